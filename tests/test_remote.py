"""The remote entity, end to end against the virtual projector over real ADB.

Also here: the anchor complaint about commands dropped under load (a burst of 50 keys
interleaved with polls arrives complete and in order) and the input rules for key names.
"""

from __future__ import annotations

import asyncio
from typing import Any

from homeassistant.components.remote.const import (
    ATTR_ACTIVITY,
    ATTR_ACTIVITY_LIST,
    ATTR_CURRENT_ACTIVITY,
    ATTR_DELAY_SECS,
    ATTR_HOLD_SECS,
    ATTR_NUM_REPEATS,
    DOMAIN as REMOTE_DOMAIN,
    SERVICE_SEND_COMMAND,
)
from homeassistant.const import ATTR_COMMAND, ATTR_ENTITY_ID, STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.xgimi_adb.projector.catalog import KEYS
from tests.entities_common import (
    Harness,
    entity_id,
    new_commands,
    non_poll,
    power,
    refresh,
    runtime,
    state_of,
)
from tests.virtual_projector import PowerState, VirtualProjector

KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_OK, KEY_HOME = 19, 20, 21, 22, 23, 3


pytestmark = pytest.mark.usefixtures("fast")


@pytest.fixture
def remote(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Entity id of the remote."""
    return entity_id(hass, REMOTE_DOMAIN, entry)


async def send(hass: HomeAssistant, remote: str, *command: str, **data: Any) -> None:
    """Call remote.send_command and wait for it."""
    await hass.services.async_call(
        REMOTE_DOMAIN,
        SERVICE_SEND_COMMAND,
        {ATTR_ENTITY_ID: remote, ATTR_COMMAND: list(command), **data},
        blocking=True,
    )


async def call(hass: HomeAssistant, service: str, remote: str, **data: Any) -> None:
    """Call another remote action and wait for it."""
    await hass.services.async_call(
        REMOTE_DOMAIN, service, {ATTR_ENTITY_ID: remote, **data}, blocking=True
    )


def key_lines(projector: VirtualProjector, before: int) -> list[str]:
    """Return the `input keyevent` lines the projector ran since `before`."""
    return [line for line in new_commands(projector, before) if line.startswith("input ")]


async def test_state_and_activities(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, remote: str
) -> None:
    """On while awake, off asleep or in standby (never unavailable); activities are sources."""
    state = state_of(hass, remote)
    assert state.state == STATE_ON
    assert state.attributes[ATTR_ACTIVITY_LIST][:2] == ["HDMI 1", "HDMI 2"]
    assert len(state.attributes[ATTR_ACTIVITY_LIST]) == 2 + len(entry.data["facts"]["apps"])
    assert state.attributes[ATTR_CURRENT_ACTIVITY] is None  # the launcher is not a source
    await xgimi.set_power(PowerState.SCREEN_OFF)
    await refresh(entry)
    assert state_of(hass, remote).state == STATE_OFF

    # turn_on with an activity: wake, then show that source.
    keys = len(xgimi.key_events)
    await call(hass, "turn_on", remote, **{ATTR_ACTIVITY: "HDMI 1"})
    assert xgimi.key_events[keys:] == [KEYS["wakeup"]]
    assert xgimi.device.current_input == "HDMI1"
    state = state_of(hass, remote)
    assert state.state == STATE_ON
    assert state.attributes[ATTR_CURRENT_ACTIVITY] == "HDMI 1"

    await call(hass, "turn_off", remote)
    assert power(xgimi) is PowerState.SCREEN_OFF
    assert state_of(hass, remote).state == STATE_OFF
    await call(hass, "turn_on", remote)
    assert state_of(hass, remote).state == STATE_ON


async def test_unknown_activity_sends_nothing(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, remote: str
) -> None:
    """An unknown activity is refused before the projector is even woken."""
    await xgimi.set_power(PowerState.SCREEN_OFF)
    await refresh(entry)
    before = len(xgimi.received_commands)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "turn_on", remote, **{ATTR_ACTIVITY: "HDMI 7"})
    assert err.value.translation_key == "unknown_source"
    assert new_commands(xgimi, before) == []
    assert power(xgimi) is PowerState.SCREEN_OFF


async def test_keys_in_one_round_trip(
    hass: HomeAssistant, xgimi: VirtualProjector, remote: str
) -> None:
    """Several keys and repeats go in one `input keyevent` line, in order."""
    before, keys = len(xgimi.received_commands), len(xgimi.key_events)
    await send(hass, remote, "up", "KEYCODE_DPAD_DOWN", "OK", **{ATTR_NUM_REPEATS: 2})
    assert key_lines(xgimi, before) == ["input keyevent 19 20 23 19 20 23"]
    assert xgimi.key_events[keys:] == [KEY_UP, KEY_DOWN, KEY_OK] * 2

    before = len(xgimi.received_commands)
    await send(hass, remote, "home", **{ATTR_NUM_REPEATS: 0})
    assert non_poll(new_commands(xgimi, before)) == []


async def test_delay_spaces_keys_out(
    hass: HomeAssistant, xgimi: VirtualProjector, remote: str
) -> None:
    """An explicit delay: one round trip per key, the delay in between."""
    before, keys = len(xgimi.received_commands), len(xgimi.key_events)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await send(hass, remote, "left", "right", **{ATTR_NUM_REPEATS: 2, ATTR_DELAY_SECS: 0.1})
    assert loop.time() - started >= 0.3
    assert key_lines(xgimi, before) == [f"input keyevent {code}" for code in (21, 22, 21, 22)]
    assert xgimi.key_events[keys:] == [KEY_LEFT, KEY_RIGHT, KEY_LEFT, KEY_RIGHT]

    before = len(xgimi.received_commands)
    await send(hass, remote, "left", "right", **{ATTR_DELAY_SECS: 0})
    assert key_lines(xgimi, before) == ["input keyevent 21 22"]


async def test_hold_is_a_long_press(
    hass: HomeAssistant, xgimi: VirtualProjector, remote: str
) -> None:
    """hold_secs > 0 sends the keys as long presses."""
    before = len(xgimi.received_commands)
    await send(hass, remote, "ok", **{ATTR_HOLD_SECS: 1})
    assert key_lines(xgimi, before) == ["input keyevent --longpress 23"]
    before = len(xgimi.received_commands)
    await send(hass, remote, "ok", "back", **{ATTR_HOLD_SECS: 1, ATTR_DELAY_SECS: 0.05})
    assert key_lines(xgimi, before) == [
        "input keyevent --longpress 23",
        "input keyevent --longpress 4",
    ]


async def test_bad_key_names_send_nothing(
    hass: HomeAssistant, xgimi: VirtualProjector, remote: str
) -> None:
    """Anchor (8): unknown names and shell text are refused with the valid names; nothing runs."""
    before, keys = len(xgimi.received_commands), len(xgimi.key_events)
    for command in (
        ["home", "no_such_key"],
        ["home; reboot"],
        ["$(reboot)"],
        ["`reboot`"],
        ["3 && reboot"],
        ["KEYCODE_HOME | reboot"],
    ):
        with pytest.raises(ServiceValidationError) as err:
            await send(hass, remote, *command)
        assert err.value.translation_key == "unknown_key"
        placeholders = err.value.translation_placeholders
        assert placeholders is not None
        assert placeholders["key"] == command[-1]
        assert "home" in placeholders["valid"].split(", ")
    assert new_commands(xgimi, before) == []  # not even the "home" before the bad name
    assert xgimi.key_events[keys:] == []
    assert power(xgimi) is PowerState.ON


@pytest.mark.parametrize(("profile", "supported"), [("androidtv_10", True), ("googletv_12", False)])
async def test_xgimi_keys_where_supported(
    hass: HomeAssistant, xgimi: VirtualProjector, remote: str, supported: bool
) -> None:
    """XGIMI's own keys (autofocus) exist on XGIMI firmware only, not on Google TV."""
    keys = len(xgimi.key_events)
    if supported:
        await send(hass, remote, "focus_auto")
        assert xgimi.key_events[keys:] == [2099]
    else:
        with pytest.raises(ServiceValidationError) as err:
            await send(hass, remote, "focus_auto")
        assert err.value.translation_key == "unknown_key"
        assert xgimi.key_events[keys:] == []


async def test_keys_while_unreachable(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector
) -> None:
    """Anchor (7): in standby a key is a translated error, never silently dropped."""
    await xgimi.set_power(PowerState.STANDBY)
    entry = await harness.load()
    remote = entity_id(hass, REMOTE_DOMAIN, entry)
    assert state_of(hass, remote).state == STATE_OFF  # off, not unavailable
    with pytest.raises(HomeAssistantError) as err:
        await send(hass, remote, "home")
    assert err.value.translation_key == "unreachable"


async def test_burst_of_keys_with_polls(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, remote: str
) -> None:
    """Anchor (2): 50 keys sent at once, while a poll runs and more are asked for, all arrive.

    Home Assistant's `androidtv` drops a command that waits more than 3 s for its ADB lock
    (held by a poll). Here ten `send_command` calls of five keys each start while a poll is on
    the wire, with polls requested among them: every key arrives, once, in order; every poll
    runs too (after the keys: user commands go first).
    """
    names = [
        "up",
        "right",
        "down",
        "left",
        "ok",
        "back",
        "menu",
        "home",
        "volume_up",
        "volume_down",
    ]
    burst = [names[index % len(names)] for index in range(50)]
    calls = [burst[start : start + 5] for start in range(0, 50, 5)]
    coordinator = runtime(entry).coordinator
    before, keys = len(xgimi.received_commands), len(xgimi.key_events)
    xgimi.faults.command_latency_s = 0.2  # a slow poll on the wire when the burst comes
    polls = [asyncio.create_task(coordinator.async_refresh())]
    async with asyncio.timeout(5):
        while not new_commands(xgimi, before):
            await asyncio.sleep(0.01)
    xgimi.faults.command_latency_s = 0
    sends: list[asyncio.Task[None]] = []
    for keys_of_call in calls:
        sends.append(asyncio.create_task(send(hass, remote, *keys_of_call)))
        polls.append(asyncio.create_task(coordinator.async_refresh()))
    await asyncio.gather(*sends, *polls)

    assert xgimi.key_events[keys:] == [KEYS[name] for name in burst]
    ran = new_commands(xgimi, before)
    assert ran[0].startswith("echo @@xgimi:power")  # the poll the burst found on the wire
    # The calls queued behind the poll went out merged, in call order (fewer round trips).
    key_lines = [line for line in ran if line.startswith("input ")]
    assert " ".join(line.removeprefix("input keyevent ") for line in key_lines) == " ".join(
        str(KEYS[name]) for name in burst
    )
    assert len(key_lines) < len(calls)
    # Every poll ran too: the one on the wire and the ten asked for (plus command refreshes).
    assert sum(line.startswith("echo @@xgimi:power") for line in ran) >= 1 + 10
    assert coordinator.last_update_success


async def test_commands_ending_together_share_one_refresh(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, remote: str
) -> None:
    """Twenty `send_command` calls at once cost two state reads, not twenty.

    Each call still returns only after a read that started after its own key: the first key's
    read waits behind the other nineteen keys (user commands go first), and those nineteen share
    the next read.
    """
    xgimi.faults.command_latency_s = 0.05
    before, keys = len(xgimi.received_commands), len(xgimi.key_events)

    await asyncio.gather(*(send(hass, remote, "right") for _ in range(20)))

    assert xgimi.key_events[keys:] == [KEYS["right"]] * 20
    ran = new_commands(xgimi, before)
    assert 1 <= len(non_poll(ran)) < 20  # queued keys share lines too
    assert sum(line.startswith("echo @@xgimi:power") for line in ran) <= 2
    # The last read ran after the last key.
    assert ran[-1].startswith("echo @@xgimi:power")
