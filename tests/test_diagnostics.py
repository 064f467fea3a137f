"""Diagnostics over Home Assistant's HTTP API: useful content, identifying data redacted."""

from __future__ import annotations

import json
from typing import Any

from homeassistant.components.diagnostics import REDACTED
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.xgimi_adb.const import CONF_ALLOW_SHELL, CONF_TURN_ON_ENTITY
from tests.entities_common import Harness, runtime
from tests.virtual_projector import PowerState, VirtualProjector

pytestmark = pytest.mark.usefixtures("fast")


def secrets(projector: VirtualProjector) -> list[str]:
    """Everything that identifies this projector or its network, in the forms it may take."""
    values = [projector.device.props["ro.serialno"], projector.host]
    for interface in projector.profile.interfaces:
        mac = interface.mac
        values += [mac, mac.upper(), mac.replace(":", ""), mac.replace(":", "").upper()]
    return values


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    harness: Harness,
    xgimi: VirtualProjector,
) -> None:
    """Entry, facts, state, round trips and the raw last poll; serial, MAC, host redacted."""
    entry = await harness.load({CONF_ALLOW_SHELL: True, CONF_TURN_ON_ENTITY: "switch.plug"})
    result: dict[str, Any] = await get_diagnostics_for_config_entry(hass, hass_client, entry)

    text = json.dumps(result)
    for secret in secrets(xgimi):
        assert secret not in text, secret
    assert entry.unique_id is not None
    assert entry.unique_id not in text

    assert result["entry"]["unique_id"] == REDACTED
    assert result["entry"]["data"]["host"] == REDACTED
    assert result["entry"]["data"]["port"] == xgimi.port
    assert result["entry"]["options"] == {
        CONF_ALLOW_SHELL: True,
        CONF_TURN_ON_ENTITY: "switch.plug",
    }
    assert result["facts"]["serial"] == REDACTED
    assert result["facts"]["mac"] == REDACTED
    assert result["facts"]["model"] == "XGIMI Play 6"
    assert result["facts"]["platform"] == "gmui"
    assert result["coordinator"]["last_update_success"] is True
    state = result["coordinator"]["state"]
    assert state["wakefulness"] == "awake"
    assert state["foreground_package"] == "com.xgimi.home"
    assert state["volume"]["max_level"] == 100
    assert result["client"]["connected"] is True
    assert result["client"]["round_trips"] == runtime(entry).client.round_trips >= 1
    poll = result["last_poll_output"]
    assert "@@xgimi:power" in poll
    assert "mWakefulness=Awake" in poll
    assert "STREAM_MUSIC" in poll


async def test_diagnostics_while_off(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    harness: Harness,
    xgimi: VirtualProjector,
) -> None:
    """In standby since start: no state and no poll output yet, facts from setup."""
    await xgimi.set_power(PowerState.STANDBY)
    entry = await harness.load()
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert isinstance(result["coordinator"], dict)
    assert result["coordinator"]["state"] is None
    assert result["last_poll_output"] is None
    assert isinstance(result["facts"], dict)
    assert result["facts"]["model"] == "XGIMI Play 6"


async def test_diagnostics_scrub_the_raw_output(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    harness: Harness,
    xgimi: VirtualProjector,
) -> None:
    """A serial number or any MAC address inside raw device output is redacted too."""
    entry = await harness.load()
    serial = xgimi.device.props["ro.serialno"]
    # What a firmware that prints identifiers in its dumps would have answered.
    runtime(entry).device.last_poll_output = (
        f"@@xgimi:power\nmWakefulness=Awake serial={serial.lower()}\n"
        "peer 0A-1B-2C-3D-4E-5F wlan 02:00:00:aa:bb:cc\n"
    )
    result = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert result["last_poll_output"] == (
        f"@@xgimi:power\nmWakefulness=Awake serial={REDACTED}\npeer {REDACTED} wlan {REDACTED}\n"
    )
