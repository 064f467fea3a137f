"""The integration's actions, end to end against the virtual projector over real ADB.

`launch_app` only ever puts a validated package name on the command line (anchor 8: shell text
is refused before anything runs); `shell_command` runs the user's text as is, but only when the
option allows it and only for administrators.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import Context, HomeAssistant, ServiceResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser

from custom_components.xgimi_adb.const import (
    ATTR_COMMAND,
    ATTR_PACKAGE,
    CONF_ALLOW_SHELL,
    DOMAIN,
    SERVICE_LAUNCH_APP,
    SERVICE_SHELL_COMMAND,
)
from tests.entities_common import Harness, new_commands, non_poll, power
from tests.virtual_projector import PowerState, VirtualProjector

pytestmark = pytest.mark.usefixtures("fast")


async def launch(hass: HomeAssistant, entry: MockConfigEntry, package: str) -> None:
    """Call xgimi_adb.launch_app and wait for it."""
    await hass.services.async_call(
        DOMAIN,
        SERVICE_LAUNCH_APP,
        {ATTR_CONFIG_ENTRY_ID: entry.entry_id, ATTR_PACKAGE: package},
        blocking=True,
    )


async def shell(
    hass: HomeAssistant, entry_id: str, command: str, context: Context | None = None
) -> ServiceResponse:
    """Call xgimi_adb.shell_command and return its response."""
    return await hass.services.async_call(
        DOMAIN,
        SERVICE_SHELL_COMMAND,
        {ATTR_CONFIG_ENTRY_ID: entry_id, ATTR_COMMAND: command},
        blocking=True,
        return_response=True,
        context=context,
    )


def user_app(projector: VirtualProjector) -> str:
    """Return a user-installed launchable app of the profile."""
    return next(app.package for app in projector.profile.apps if not app.system and app.activities)


@pytest.mark.parametrize("profile", ["gmui_android11", "androidtv_10"])
async def test_launch_app(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, profile: str
) -> None:
    """An app starts by package (GMUI: launcher category; Android TV: leanback)."""
    package = user_app(xgimi)
    await launch(hass, entry, package)
    assert xgimi.device.foreground == package
    assert entry.runtime_data.coordinator.data.foreground_package == package  # refreshed


async def test_launch_app_input_rules(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry
) -> None:
    """Anchor (8): anything that is not a package name is refused before anything runs."""
    before = len(xgimi.received_commands)
    for package in (
        "com.ktcp.video; reboot",
        "$(reboot)",
        "com.ktcp.video && reboot",
        "`reboot`",
        "com.ktcp.video\nreboot",
        "../../system/bin/sh",
        "-p com.ktcp.video",
        "noDots",
        "",
        "a." + "b" * 300,
    ):
        with pytest.raises(ServiceValidationError) as err:
            await launch(hass, entry, package)
        assert err.value.translation_key == "invalid_package"
    assert new_commands(xgimi, before) == []
    assert power(xgimi) is PowerState.ON


async def test_launch_app_not_installed(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry
) -> None:
    """A valid name the projector does not have: the device's refusal, translated."""
    with pytest.raises(HomeAssistantError) as err:
        await launch(hass, entry, "com.example.notinstalled")
    assert err.value.translation_key == "command_rejected"
    assert err.value.translation_placeholders is not None
    assert "No activities found" in err.value.translation_placeholders["error"]


async def test_launch_app_unreachable(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector
) -> None:
    """Anchor (7): in standby the action fails with a translated error."""
    await xgimi.set_power(PowerState.STANDBY)
    entry = await harness.load()
    with pytest.raises(HomeAssistantError) as err:
        await launch(hass, entry, user_app(xgimi))
    assert err.value.translation_key == "unreachable"


async def test_entry_must_exist_and_be_loaded(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry
) -> None:
    """Unknown or other-domain entries, and unloaded ones, are validation errors."""
    other = MockConfigEntry(domain="input_boolean")
    other.add_to_hass(hass)
    for entry_id in ("no-such-entry", other.entry_id):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN,
                SERVICE_LAUNCH_APP,
                {ATTR_CONFIG_ENTRY_ID: entry_id, ATTR_PACKAGE: "com.ktcp.video"},
                blocking=True,
            )
        assert err.value.translation_key == "entry_not_found"
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
    before = len(xgimi.received_commands)
    with pytest.raises(ServiceValidationError) as err:
        await launch(hass, entry, "com.ktcp.video")
    assert err.value.translation_key == "entry_not_loaded"
    with pytest.raises(ServiceValidationError) as err:
        await shell(hass, entry.entry_id, "getprop ro.product.model")
    assert err.value.translation_key == "entry_not_loaded"
    assert new_commands(xgimi, before) == []


async def test_shell_command_disabled_by_default(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry
) -> None:
    """Without the option nothing runs, whatever the command."""
    before = len(xgimi.received_commands)
    with pytest.raises(ServiceValidationError) as err:
        await shell(hass, entry.entry_id, "reboot")
    assert err.value.translation_key == "shell_disabled"
    assert new_commands(xgimi, before) == []
    assert power(xgimi) is PowerState.ON


async def test_shell_command_when_allowed(
    hass: HomeAssistant,
    harness: Harness,
    xgimi: VirtualProjector,
    hass_admin_user: MockUser,
    hass_read_only_user: MockUser,
) -> None:
    """Enabled: the command runs as typed and its output is the response; admins only."""
    entry = await harness.load({CONF_ALLOW_SHELL: True})
    before = len(xgimi.received_commands)
    command = "getprop ro.product.model; echo $((6 * 7))"
    response = await shell(hass, entry.entry_id, command, Context(user_id=hass_admin_user.id))
    assert response == {"output": f"{xgimi.device.props['ro.product.model']}\n42\n"}
    assert non_poll(new_commands(xgimi, before)) == [command]

    before = len(xgimi.received_commands)
    with pytest.raises(Unauthorized):
        await shell(hass, entry.entry_id, "reboot", Context(user_id=hass_read_only_user.id))
    assert new_commands(xgimi, before) == []

    data: dict[str, Any] = {ATTR_CONFIG_ENTRY_ID: entry.entry_id, ATTR_COMMAND: ""}
    with pytest.raises(probatio.Invalid, match="length"):
        await hass.services.async_call(
            DOMAIN, SERVICE_SHELL_COMMAND, data, blocking=True, return_response=True
        )


async def test_shell_command_unreachable(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector
) -> None:
    """Anchor (7): a shell command in standby fails with a translated error."""
    await xgimi.set_power(PowerState.STANDBY)
    entry = await harness.load({CONF_ALLOW_SHELL: True})
    with pytest.raises(HomeAssistantError) as err:
        await shell(hass, entry.entry_id, "getprop ro.product.model")
    assert err.value.translation_key == "unreachable"


def test_translations_cover_every_error() -> None:
    """Every translation key raised in the code has a message, in English and Chinese alike."""
    base = Path(__file__).parent.parent / "custom_components" / DOMAIN
    source = "\n".join(path.read_text() for path in base.glob("*.py"))
    raised = set(re.findall(r'translation_key="([a-z_]+)"', source))
    raised |= set(re.findall(r'\(\w+, "([a-z_]+)"\)', (base / "entity.py").read_text()))
    strings = json.loads((base / "strings.json").read_text())
    english = json.loads((base / "translations" / "en.json").read_text())
    chinese = json.loads((base / "translations" / "zh-Hans.json").read_text())
    exceptions = strings["exceptions"]
    entity_keys = {key for platform in strings["entity"].values() for key in platform}
    assert raised - entity_keys <= set(exceptions) | set(strings["issues"])
    for section in ("entity", "exceptions", "issues", "services"):
        assert english[section] == strings[section]
        assert _shape(chinese[section]) == _shape(strings[section])
    for key, value in exceptions.items():
        wanted = set(re.findall(r"{(\w+)}", value["message"]))
        assert wanted == set(re.findall(r"{(\w+)}", chinese["exceptions"][key]["message"])), key


def _shape(value: Any) -> Any:
    """Return the nested keys of a translation section (the texts left out)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    return None
