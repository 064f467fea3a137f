"""Fault suite, abuse: shell injection through every input, broken output, revoked keys, secrets.

What the user sees: text that is not a key, source, package, address or option is refused with a
translated message and the projector runs nothing; a firmware that prints garbage, half an
answer, megabytes or nothing leaves that one value unknown (and a debug log of what it printed),
never a crash or an invented value; a key revoked on the projector asks them to pair again; the
ADB private key never leaves its owner-only file.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
import stat
from typing import Any
import uuid

from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from homeassistant.components.media_player.const import (
    ATTR_MEDIA_VOLUME_LEVEL,
    DOMAIN as MP_DOMAIN,
    SERVICE_SELECT_SOURCE,
)
from homeassistant.components.remote.const import (
    ATTR_ACTIVITY,
    DOMAIN as REMOTE_DOMAIN,
    SERVICE_SEND_COMMAND,
)
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER
from homeassistant.const import (
    ATTR_COMMAND,
    ATTR_CONFIG_ENTRY_ID,
    ATTR_ENTITY_ID,
    CONF_HOST,
    CONF_PORT,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import Context, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import issue_registry as ir
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.xgimi_adb.const import (
    ADB_KEY_PATH,
    ATTR_PACKAGE,
    CONF_ALLOW_SHELL,
    CONF_BROADCAST_ADDRESS,
    CONF_TURN_ON_ENTITY,
    DOMAIN,
    SERVICE_LAUNCH_APP,
    SERVICE_SHELL_COMMAND,
)
from custom_components.xgimi_adb.projector.parse import split_sections
from custom_components.xgimi_adb.projector.state import Playback, Wakefulness
from tests.entities_common import (
    Harness,
    entity_id,
    new_commands,
    read_facts,
    refresh,
    runtime,
    state_of,
)
from tests.faults_common import real_command_limits
from tests.virtual_projector import (
    AuthPolicy,
    OutputFault,
    PlaybackState,
    PowerState,
    VirtualProjector,
)

pytestmark = pytest.mark.usefixtures("fast")

PARSE_LOGGER = "custom_components.xgimi_adb.projector.parse"


# -- shell injection through every input -------------------------------------------------------


class Canary:
    """A payload that leaves a file in the projector's scratch directory if a shell ever runs it.

    The scratch directory is the only place the sandboxed shell can write (`$TMPDIR`, Android's
    /data/local/tmp); the file name is unique per test.
    """

    def __init__(self, projector: VirtualProjector) -> None:
        """Make a fresh marker for `projector`."""
        self.name = f"xgimi-pwned-{uuid.uuid4().hex}"
        self.path = projector.device.scratch_dir / self.name
        self.command = f'echo pwned > "$TMPDIR/{self.name}"'

    def payloads(self, prefix: str) -> list[str]:
        """Return the usual ways to smuggle a command in after a plausible value."""
        cmd = self.command
        return [
            f"{prefix}; {cmd}",
            f"{prefix} && {cmd}",
            f"{prefix} | {cmd}",
            f"{prefix}\n{cmd}",
            f"$({cmd})",
            f"`{cmd}`",
            f"{prefix}'; {cmd}; '",
            f'{prefix}"; {cmd}; "',
        ]

    def ran(self) -> bool:
        """Whether the payload ran on the projector."""
        return self.path.exists()


def assert_nothing_ran(projector: VirtualProjector, before: int, canary: Canary) -> None:
    """No command line reached the projector at all, and the canary file does not exist."""
    assert new_commands(projector, before) == []
    assert not any(canary.name in line for line in projector.received_commands)
    assert not canary.ran()


async def test_canary_is_live(
    hass: HomeAssistant,
    harness: Harness,
    xgimi: VirtualProjector,
    hass_admin_user: MockUser,
) -> None:
    """The canary works: run on purpose (the admin-only raw shell action), it leaves its file.

    Without this, "the file does not exist" below would prove nothing.
    """
    entry = await harness.load({CONF_ALLOW_SHELL: True})
    canary = Canary(xgimi)
    await hass.services.async_call(
        DOMAIN,
        SERVICE_SHELL_COMMAND,
        {ATTR_CONFIG_ENTRY_ID: entry.entry_id, ATTR_COMMAND: canary.command},
        blocking=True,
        return_response=True,
        context=Context(user_id=hass_admin_user.id),
    )
    assert canary.ran()


async def test_injection_through_entity_actions(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry
) -> None:
    """Key names, remote activities, media sources: refused with a translated error, nothing runs.

    The user's view: "unknown key" / "unknown source" with the valid names listed.
    """
    remote = entity_id(hass, REMOTE_DOMAIN, entry)
    player = entity_id(hass, MP_DOMAIN, entry)
    canary = Canary(xgimi)
    before = len(xgimi.received_commands)
    attempts: list[tuple[str, str, dict[str, Any], str]] = []
    for payload in canary.payloads("home"):
        attempts.append(
            (REMOTE_DOMAIN, SERVICE_SEND_COMMAND, {ATTR_COMMAND: [payload]}, "unknown_key")
        )
        attempts.append(
            (REMOTE_DOMAIN, SERVICE_SEND_COMMAND, {ATTR_COMMAND: ["up", payload]}, "unknown_key")
        )
    for payload in canary.payloads("HDMI 1"):
        attempts.append((REMOTE_DOMAIN, "turn_on", {ATTR_ACTIVITY: payload}, "unknown_source"))
        attempts.append((MP_DOMAIN, SERVICE_SELECT_SOURCE, {"source": payload}, "unknown_source"))
    for domain, service, data, key in attempts:
        target = remote if domain == REMOTE_DOMAIN else player
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                domain, service, {ATTR_ENTITY_ID: target, **data}, blocking=True
            )
        assert err.value.translation_domain == DOMAIN
        assert err.value.translation_key == key, (service, data)
        assert str(err.value)  # a rendered, translated message
    assert_nothing_ran(xgimi, before, canary)


async def test_injection_through_service_data(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    hass_read_only_user: MockUser,
) -> None:
    """Every field of the integration's actions, and the remote's numeric options.

    The user's view: "invalid package", "no such projector", "shell commands are off", or Home
    Assistant's own form error for a number that is not a number; the projector runs nothing.
    """
    canary = Canary(xgimi)
    before = len(xgimi.received_commands)
    for payload in canary.payloads("com.ktcp.video"):
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN,
                SERVICE_LAUNCH_APP,
                {ATTR_CONFIG_ENTRY_ID: entry.entry_id, ATTR_PACKAGE: payload},
                blocking=True,
            )
        assert (err.value.translation_domain, err.value.translation_key) == (
            DOMAIN,
            "invalid_package",
        )
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN,
                SERVICE_LAUNCH_APP,
                {ATTR_CONFIG_ENTRY_ID: payload, ATTR_PACKAGE: "com.ktcp.video"},
                blocking=True,
            )
        assert err.value.translation_key == "entry_not_found"
        # The raw shell action is off by default: the text is never sent.
        with pytest.raises(ServiceValidationError) as err:
            await hass.services.async_call(
                DOMAIN,
                SERVICE_SHELL_COMMAND,
                {ATTR_CONFIG_ENTRY_ID: entry.entry_id, ATTR_COMMAND: payload},
                blocking=True,
                return_response=True,
            )
        assert err.value.translation_key == "shell_disabled"
    # Numbers of the remote action are numbers (Home Assistant's schema refuses the rest).
    remote = entity_id(hass, REMOTE_DOMAIN, entry)
    for field in ("num_repeats", "delay_secs", "hold_secs"):
        with pytest.raises(probatio.Invalid):
            await hass.services.async_call(
                REMOTE_DOMAIN,
                SERVICE_SEND_COMMAND,
                {ATTR_ENTITY_ID: remote, ATTR_COMMAND: ["up"], field: f"1; {canary.command}"},
                blocking=True,
            )
    with pytest.raises(probatio.Invalid):
        await hass.services.async_call(
            MP_DOMAIN,
            "volume_set",
            {ATTR_ENTITY_ID: entity_id(hass, MP_DOMAIN, entry), "volume_level": canary.command},
            blocking=True,
        )
    # A read-only user cannot reach the raw shell action at all.
    with pytest.raises(Unauthorized):
        await hass.services.async_call(
            DOMAIN,
            SERVICE_SHELL_COMMAND,
            {ATTR_CONFIG_ENTRY_ID: entry.entry_id, ATTR_COMMAND: canary.command},
            blocking=True,
            return_response=True,
            context=Context(user_id=hass_read_only_user.id),
        )
    assert_nothing_ran(xgimi, before, canary)


async def test_injection_through_the_flows(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry
) -> None:
    """The address in the setup form, and the options: refused in the form, nothing runs.

    The user's view: "invalid host" / "invalid broadcast address" next to the field, or the form
    refusing an entity id that is not one.
    """
    canary = Canary(xgimi)
    before = len(xgimi.received_commands)
    for payload in canary.payloads("127.0.0.1"):
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_HOST: payload, CONF_PORT: xgimi.port}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_HOST: "invalid_host"}

        result = await hass.config_entries.options.async_init(entry.entry_id)
        result = await hass.config_entries.options.async_configure(
            result["flow_id"], {"advanced": {CONF_BROADCAST_ADDRESS: payload}}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"advanced": "invalid_broadcast_address"}
        hass.config_entries.options.async_abort(result["flow_id"])

        result = await hass.config_entries.options.async_init(entry.entry_id)
        with pytest.raises(InvalidData):
            await hass.config_entries.options.async_configure(
                result["flow_id"], {CONF_TURN_ON_ENTITY: payload}
            )
        hass.config_entries.options.async_abort(result["flow_id"])
    assert_nothing_ran(xgimi, before, canary)
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


# -- broken output, section by section ---------------------------------------------------------

# What each poll section feeds, and how "unknown" looks for it.
SECTION_FIELDS = {
    "power": ("wakefulness", Wakefulness.UNKNOWN),
    "activity": ("foreground_package", None),
    "media": ("playback", Playback.UNKNOWN),
    "audio": ("volume", None),
}


@pytest.mark.parametrize("section", list(SECTION_FIELDS))
async def test_broken_section_output(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    section: str,
) -> None:
    """One dumpsys prints garbage, half its answer, megabytes of noise, or nothing.

    The user's view: the entity stays available; that one value is unknown (or, where the part
    that matters survived, still right, never invented); the other values are as before; the
    debug log shows what the projector printed.
    """
    caplog.set_level(logging.DEBUG, logger=PARSE_LOGGER)
    real_command_limits(runtime(entry).client)  # megabytes of output on a loaded machine
    await xgimi.launch_app(entry.data["facts"]["apps"][0]["package"])
    await xgimi.set_playback(PlaybackState.PLAYING)  # every section has something to say
    await refresh(entry)
    coordinator = runtime(entry).coordinator
    clean = coordinator.data
    assert clean is not None
    assert clean.unparsed == ()
    assert clean.playback is Playback.PLAYING
    field, unknown = SECTION_FIELDS[section]
    player = entity_id(hass, MP_DOMAIN, entry)
    for fault in OutputFault:
        caplog.clear()
        xgimi.faults.section_faults = {section: fault}
        await refresh(entry)
        state = coordinator.data
        assert state is not None, fault
        assert coordinator.last_update_success, fault
        assert state_of(hass, player).state != STATE_UNAVAILABLE
        value = getattr(state, field)
        if section == "media" and fault is OutputFault.EMPTY:
            assert value is Playback.NONE  # no session at all is a valid answer
            continue
        assert value in (unknown, getattr(clean, field)), (fault, value)
        if fault in (OutputFault.GARBAGE, OutputFault.OVERSIZED, OutputFault.EMPTY):
            assert value == unknown, (fault, value)  # unreadable: unknown, never the old value
        # Playback is read for the foreground app: unknown app, unknown playback.
        dependent = {"playback"} if section == "activity" else set()
        others = {name for name, _ in SECTION_FIELDS.values()} - {field} - dependent
        if section != "power":  # power gates what the other sections mean
            for other in others:
                assert getattr(state, other) == getattr(clean, other), (fault, other)
        if value == unknown:
            assert section in state.unparsed, fault
            if section == "power":  # the entity does not guess on or off
                assert state_of(hass, player).state == STATE_UNKNOWN, fault
            raw = split_sections(runtime(entry).device.last_poll_output or "")[section]
            logged = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
            assert any(
                f"the {section} section" in message and repr(raw[:60])[1:-1] in message
                for message in logged
            ), (fault, logged)
    xgimi.faults.section_faults = {}
    await refresh(entry)
    assert coordinator.data == clean  # back to normal at the next poll


# -- auth revoked while running; TLS-only port -------------------------------------------------


async def test_revoked_key_on_a_command(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry
) -> None:
    """The key is revoked on the projector while Home Assistant runs; the user presses a key.

    The user's view: a translated "pair again" error for the key (which is not pressed), the
    entities unavailable, a reauth flow and a repair issue.
    """
    player = entity_id(hass, MP_DOMAIN, entry)
    xgimi.revoke_keys()
    xgimi.set_auth_policy(AuthPolicy.REJECT)
    await xgimi.drop_connections()
    keys = len(xgimi.key_events)
    # The key finds the connection the revocation cut ("connection lost") or the refused
    # handshake ("pair again"); either way it is an error, and the poll after it starts reauth.
    with pytest.raises(HomeAssistantError) as err:
        await hass.services.async_call(
            MP_DOMAIN, "volume_up", {ATTR_ENTITY_ID: player}, blocking=True
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key in {"connection_lost", "auth_revoked"}
    await hass.async_block_till_done()
    assert xgimi.key_events[keys:] == []
    assert state_of(hass, player).state == STATE_UNAVAILABLE
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"].get("source") == SOURCE_REAUTH
    ]
    assert len(flows) == 1
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"auth_revoked_{entry.entry_id}")
    assert issue is not None
    assert issue.translation_key == "auth_revoked"
    # Unavailable now: Home Assistant itself does not pass actions to the entity any more.
    await hass.services.async_call(MP_DOMAIN, "volume_up", {ATTR_ENTITY_ID: player}, blocking=True)
    assert xgimi.key_events[keys:] == []


# -- secrets -----------------------------------------------------------------------------------


def key_fragments(private_key: Path) -> list[str]:
    """Pieces of the private key's PEM body, as they would appear if any of it were logged."""
    body = "".join(
        line for line in private_key.read_text().splitlines() if not line.startswith("-----")
    )
    assert len(body) > 1000
    return [body[start : start + 40] for start in range(0, len(body) - 40, 200)]


async def test_adb_key_is_owner_only_and_never_shown(
    hass: HomeAssistant,
    *,
    hass_client: ClientSessionGenerator,
    hass_admin_user: MockUser,
    projector: VirtualProjector,
    adb_key_path: Path,
    adb_signer: PythonRSASigner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A full life: the key is made, paired, used for commands and polls, diagnostics downloaded.

    The user's view: the key file is readable by Home Assistant's user only (in a directory only
    it can enter), and nothing they can see or share (logs at debug level, diagnostics) contains
    any of it.
    """
    caplog.set_level(logging.DEBUG)
    projector.keys.trust(Path(f"{adb_key_path}.pub").read_text())  # only to read the facts
    harness = Harness(hass, projector, await read_facts(projector, adb_signer))
    try:
        entry = await harness.load({CONF_ALLOW_SHELL: True})  # the integration makes its key
        key = Path(hass.config.path(*ADB_KEY_PATH))
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert stat.S_IMODE(key.with_name("adbkey.pub").stat().st_mode) == 0o600
        assert stat.S_IMODE(key.parent.stat().st_mode) == 0o700
        player = entity_id(hass, MP_DOMAIN, entry)
        await hass.services.async_call(
            MP_DOMAIN, "volume_up", {ATTR_ENTITY_ID: player}, blocking=True
        )
        await hass.services.async_call(
            REMOTE_DOMAIN,
            SERVICE_SEND_COMMAND,
            {ATTR_ENTITY_ID: entity_id(hass, REMOTE_DOMAIN, entry), ATTR_COMMAND: ["up"]},
            blocking=True,
        )
        await hass.services.async_call(
            DOMAIN,
            SERVICE_SHELL_COMMAND,
            {ATTR_CONFIG_ENTRY_ID: entry.entry_id, ATTR_COMMAND: "getprop ro.product.model"},
            blocking=True,
            return_response=True,
            context=Context(user_id=hass_admin_user.id),
        )
        await projector.set_power(PowerState.STANDBY)
        await refresh(entry)
        await projector.set_power(PowerState.ON)
        await projector.wait_until_listening()
        async with asyncio.timeout(5):  # polls wait out the (short) reconnect backoff
            while state_of(hass, player).attributes.get(ATTR_MEDIA_VOLUME_LEVEL) is None:
                await asyncio.sleep(0.1)
                await refresh(entry)
        diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    finally:
        await harness.close()
    shown = json.dumps(diagnostics) + "\n" + caplog.text
    assert "PRIVATE KEY" not in shown
    for fragment in key_fragments(key):
        assert fragment not in shown
