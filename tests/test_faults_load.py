"""Fault suite, load: a thousand commands among polls, and ten projectors with one misbehaving.

What the user sees: every key they (or an automation) send arrives once and in order, however
many there are and whatever the polls do; a key that cannot be delivered is an error they see,
never a silent drop; and one broken projector never holds the others up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import contextlib
from pathlib import Path
from typing import Any

from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from homeassistant.components.media_player.const import (
    ATTR_MEDIA_VOLUME_LEVEL,
    DOMAIN as MP_DOMAIN,
    MediaPlayerState,
)
from homeassistant.components.remote.const import DOMAIN as REMOTE_DOMAIN, SERVICE_SEND_COMMAND
from homeassistant.const import ATTR_COMMAND, ATTR_ENTITY_ID, STATE_OFF
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.xgimi_adb.projector.catalog import KEYS
from custom_components.xgimi_adb.projector.client import ProjectorClient, Timeouts
from custom_components.xgimi_adb.projector.device import XgimiDevice
from custom_components.xgimi_adb.projector.state import ProjectorState
from tests.entities_common import (
    FAST_TIMEOUTS,
    Harness,
    entity_id,
    new_commands,
    refresh,
    runtime,
    state_of,
)
from tests.faults_common import (
    LoopLag,
    LoopLagProbe,
    assert_translated,
    fast_keys,
    real_command_limits,
    record_lag,
)
from tests.virtual_projector import OutputFault, PowerState, VirtualProjector

pytestmark = pytest.mark.usefixtures("fast")

# Keys that leave the power state alone (power, sleep and wakeup would change what is tested).
SAFE_KEYS = [
    "up",
    "down",
    "left",
    "right",
    "ok",
    "back",
    "menu",
    "volume_up",
    "volume_down",
    "mute",
    "play",
    "pause",
    "next",
    "previous",
    "info",
]
POLL_MARK = "echo @@xgimi:power"


def key_sequence(count: int, offset: int = 0) -> list[str]:
    """`count` key names cycling through SAFE_KEYS (shifted so sequences differ)."""
    return [SAFE_KEYS[(index + offset) % len(SAFE_KEYS)] for index in range(count)]


async def poll_until(stop: asyncio.Event, poll: Any, interval: float = 0.25) -> int:
    """Poll on a short timer until `stop` is set; return how many polls ran."""
    count = 0
    while not stop.is_set():
        await poll()
        count += 1
        await asyncio.sleep(interval)
    return count


# -- a thousand commands ----------------------------------------------------------------------


async def test_thousand_separate_commands_with_polls(
    trusted_projector: VirtualProjector,
    adb_signer: PythonRSASigner,
    monkeypatch: pytest.MonkeyPatch,
    record_property: Any,
) -> None:
    """1000 key commands, one call each, while polls keep running.

    The user's view: a script pressing a thousand keys, one call each, while the integration
    polls: every key arrives, once, in the order it was sent; the polls run in between (not all
    after the burst) and each reads a state. Calls queued back to back share `input keyevent`
    lines, so the thousand keys cost far fewer round trips than calls.
    """
    fast_keys(trusted_projector, monkeypatch)
    client = ProjectorClient(
        trusted_projector.host, trusted_projector.port, adb_signer, timeouts=FAST_TIMEOUTS
    )
    real_command_limits(client)
    device = XgimiDevice(client)
    names = key_sequence(1000)
    codes = [KEYS[name] for name in names]
    before = len(trusted_projector.received_commands)
    keys_before = len(trusted_projector.key_events)
    stop = asyncio.Event()
    states: list[ProjectorState | None] = []

    async def poll() -> None:
        states.append(await device.async_poll())

    try:
        async with LoopLagProbe() as lag:
            loop = asyncio.get_running_loop()
            began = loop.time()
            poller = asyncio.create_task(poll_until(stop, poll))
            for start in range(0, 1000, 50):  # bursts of 50 concurrent calls
                await asyncio.gather(
                    *(device.async_send_keys([code]) for code in codes[start : start + 50])
                )
            stop.set()
            polls = await poller
            ended = loop.time()
    finally:
        await client.async_close()
    record_lag(record_property, "thousand_commands", lag)

    assert trusted_projector.key_events[keys_before:] == codes
    ran = new_commands(trusted_projector, before)
    key_lines = [line for line in ran if line.startswith("input keyevent")]
    sent = [int(code) for line in key_lines for code in line.split()[2:]]
    assert sent == codes  # none resent, none lost, in order
    assert len(key_lines) < len(codes)  # merged while queued
    poll_positions = [index for index, line in enumerate(ran) if line.startswith(POLL_MARK)]
    assert polls == len(poll_positions) >= 2
    last_key = max(index for index, line in enumerate(ran) if line.startswith("input keyevent"))
    assert poll_positions[0] < last_key  # polls ran between the keys, not only after them
    assert all(state is not None for state in states)
    lag.assert_free_while(began, ended)


def is_interleaving(merged: list[int], first: list[int], second: list[int]) -> bool:
    """Whether `merged` is `first` and `second` interleaved, each keeping its own order."""
    if len(merged) != len(first) + len(second):
        return False
    # reachable[j]: `first[:i]` and `second[:j]` can make `merged[: i + j]`.
    reachable = [True] * (len(second) + 1)
    for j in range(1, len(second) + 1):
        reachable[j] = reachable[j - 1] and second[j - 1] == merged[j - 1]
    for i in range(1, len(first) + 1):
        reachable[0] = reachable[0] and first[i - 1] == merged[i - 1]
        for j in range(1, len(second) + 1):
            from_first = reachable[j] and first[i - 1] == merged[i + j - 1]
            from_second = reachable[j - 1] and second[j - 1] == merged[i + j - 1]
            reachable[j] = from_first or from_second
    return reachable[-1]


def test_is_interleaving() -> None:
    """The order check above accepts interleavings only."""
    assert is_interleaving([1, 9, 2, 3], [1, 2, 3], [9])
    assert not is_interleaving([2, 1, 9, 3], [1, 2, 3], [9])
    assert not is_interleaving([1, 2, 3], [1, 2, 3], [9])


async def send_keys(hass: HomeAssistant, remote: str, names: list[str]) -> None:
    """remote.send_command with several keys."""
    await hass.services.async_call(
        REMOTE_DOMAIN,
        SERVICE_SEND_COMMAND,
        {ATTR_ENTITY_ID: remote, ATTR_COMMAND: names},
        blocking=True,
    )


MEDIA_SERVICES = {
    "volume_up": "volume_up",
    "volume_down": "volume_down",
    "media_play": "play",
    "media_pause": "pause",
    "media_next_track": "next",
    "media_previous_track": "previous",
}


async def test_thousand_keys_through_services_then_device_gone(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
    record_property: Any,
) -> None:
    """1000 keys through remote.send_command and media_player actions while polls run.

    The user's view: two automations at once (one sending remote key sequences, one pressing
    media-player buttons) and the poll timer: every key arrives once, each automation's keys in
    its own order. Then the projector loses power: the next key is a translated error in the
    automation's trace, not a call that "succeeded" while nothing happened.
    """
    fast_keys(xgimi, monkeypatch)
    real_command_limits(runtime(entry).client)
    remote = entity_id(hass, REMOTE_DOMAIN, entry)
    player = entity_id(hass, MP_DOMAIN, entry)
    coordinator = runtime(entry).coordinator
    remote_calls = [key_sequence(99, offset=call) for call in range(10)]  # 990 keys
    media_calls = [list(MEDIA_SERVICES)[call % len(MEDIA_SERVICES)] for call in range(10)]
    keys_before = len(xgimi.key_events)
    before = len(xgimi.received_commands)

    async def remote_automation() -> None:
        for names in remote_calls:
            await send_keys(hass, remote, names)

    async def media_automation() -> None:
        for service in media_calls:
            await hass.services.async_call(
                MP_DOMAIN, service, {ATTR_ENTITY_ID: player}, blocking=True
            )

    stop = asyncio.Event()
    async with LoopLagProbe() as lag:
        loop = asyncio.get_running_loop()
        began = loop.time()
        poller = asyncio.create_task(poll_until(stop, coordinator.async_refresh))
        await asyncio.gather(remote_automation(), media_automation())
        stop.set()
        await poller
        ended = loop.time()
    record_lag(record_property, "thousand_keys_services", lag)

    key_lines = [
        [int(code) for code in line.split()[2:]]
        for line in new_commands(xgimi, before)
        if line.startswith("input keyevent")
    ]
    remote_codes = [[KEYS[name] for name in names] for names in remote_calls]
    media_codes = [[KEYS[MEDIA_SERVICES[service]]] for service in media_calls]
    # Every key sent once; each automation's keys in its own order (calls of the two may share
    # a line when they are queued back to back).
    delivered = xgimi.key_events[keys_before:]
    assert delivered == [code for line in key_lines for code in line]
    assert len(delivered) == 1000
    assert is_interleaving(
        delivered,
        [code for codes in remote_codes for code in codes],
        [code for codes in media_codes for code in codes],
    )
    assert coordinator.last_update_success
    lag.assert_free_while(began, ended)

    # The projector loses power: the next command is an error, and nothing reaches the device.
    await xgimi.set_power(PowerState.UNPOWERED)
    keys_before, before = len(xgimi.key_events), len(xgimi.received_commands)
    with pytest.raises(HomeAssistantError) as err:
        await send_keys(hass, remote, ["up", "down"])
    assert_translated(err.value)
    assert xgimi.key_events[keys_before:] == []
    assert new_commands(xgimi, before) == []
    assert state_of(hass, player).state == STATE_OFF


# -- ten projectors, one misbehaving ----------------------------------------------------------


@pytest.fixture
async def fleet(
    socket_enabled: None, tmp_path: Path, adb_key_path: Path
) -> AsyncIterator[list[VirtualProjector]]:
    """Ten virtual GMUI projectors that trust the session key."""
    async with contextlib.AsyncExitStack() as stack:
        devices = []
        for number in range(10):
            device = await stack.enter_async_context(
                VirtualProjector("gmui_android11", state_dir=tmp_path / f"projector{number}")
            )
            device.keys.trust(Path(f"{adb_key_path}.pub").read_text())
            devices.append(device)
        yield devices
        for device in devices:
            await device.drop_connections()


async def load_fleet(
    hass: HomeAssistant, harness: Harness, fleet: list[VirtualProjector]
) -> list[MockConfigEntry]:
    """One config entry per projector (own serial and MAC, as ten real projectors have)."""
    entries = []
    for number, device in enumerate(fleet):
        facts = harness.facts | {
            "serial": f"XGIMI-FLEET-{number:02d}",
            "mac": f"02:00:00:00:10:{number:02x}",
        }
        harness.projector = device
        entries.append(await harness.load(facts=facts))
    return entries


def volume_of(hass: HomeAssistant, entry: MockConfigEntry) -> float:
    """Return the media player's volume level."""
    level = state_of(hass, entity_id(hass, MP_DOMAIN, entry)).attributes[ATTR_MEDIA_VOLUME_LEVEL]
    assert isinstance(level, float)
    return level


async def misbehave(bad: VirtualProjector, mode: str) -> None:
    """Make one projector half-open, slow or garbled (and only that)."""
    await bad.set_half_open(False)
    bad.faults.command_latency_s = 0.0
    bad.faults.output_faults.clear()
    if mode == "half_open":
        await bad.set_half_open()
    elif mode == "slow":
        bad.faults.command_latency_s = 30.0  # hangs until `misbehave(bad, "fixed")`
    elif mode == "garbage":
        bad.faults.output_faults["dumpsys"] = OutputFault.GARBAGE  # the whole poll is garbage
    await bad.drop_connections()


async def test_ten_projectors_one_misbehaving(
    hass: HomeAssistant,
    harness: Harness,
    fleet: list[VirtualProjector],
    record_property: Any,
) -> None:
    """Ten projectors; the first goes half-open, then slow, then garbled.

    The user's view: the nine others keep showing what their projectors do and obey their
    remotes at once, while the broken one shows off or unknown values; their polls finish while
    the broken one's is still waiting (nothing is shared between entries).
    """
    entries = await load_fleet(hass, harness, fleet)
    bad, good = fleet[0], fleet[1:]
    bad_entry, good_entries = entries[0], entries[1:]
    for entry in good_entries:
        # Ten emulated projectors share this machine's cores (a real one has its own): give
        # their commands the real time limit so that CPU contention is not taken for a fault.
        real_command_limits(runtime(entry).client)
    # Long limits on the broken one: its poll hangs until the test fixes the projector, so
    # "the nine were done while it hung" does not depend on how fast this machine is. No
    # reconnect backoff: each phase's poll really reaches the broken projector.
    runtime(bad_entry).client.timeouts = Timeouts(connect=30, command=60, poll=60, backoff_max=0)
    async with LoopLagProbe() as lag:
        for mode in ("half_open", "slow", "garbage"):
            await misbehave(bad, mode)
            await check_nine_unaffected(
                hass, bad, bad_entry, good, good_entries, mode=mode, lag=lag
            )
        await refresh(bad_entry)  # fixed: one poll shows it as it is
        assert state_of(hass, entity_id(hass, MP_DOMAIN, bad_entry)).state == (
            MediaPlayerState.IDLE
        )
    record_lag(record_property, "ten_projectors", lag)
    assert all(runtime(entry).client.connected for entry in good_entries)


async def check_nine_unaffected(
    hass: HomeAssistant,
    bad: VirtualProjector,
    bad_entry: MockConfigEntry,
    good: list[VirtualProjector],
    good_entries: list[MockConfigEntry],
    *,
    mode: str,
    lag: LoopLag,
) -> None:
    """Poll all ten at once; the nine show their change and obey a command meanwhile."""
    for device in good:
        await device.press_key(KEYS["volume_up"])  # changed on the physical remote
    loop = asyncio.get_running_loop()
    hang_began = loop.time()
    bad_poll = asyncio.create_task(refresh(bad_entry))
    await asyncio.sleep(0.05)  # the broken projector's poll is on its way
    await asyncio.gather(*(refresh(entry) for entry in good_entries))
    for device, entry in zip(good, good_entries, strict=True):
        assert volume_of(hass, entry) == pytest.approx(device.device.volume / 100), mode
    keys = [len(device.key_events) for device in good]
    await asyncio.gather(
        *(
            hass.services.async_call(
                MP_DOMAIN,
                "volume_down",
                {ATTR_ENTITY_ID: entity_id(hass, MP_DOMAIN, entry)},
                blocking=True,
            )
            for entry in good_entries
        )
    )
    for device, count in zip(good, keys, strict=True):
        assert device.key_events[count:] == [KEYS["volume_down"]], mode
    if mode != "garbage":
        # Polled and commanded, all nine, while the broken one's poll still hangs.
        assert not bad_poll.done(), mode
        lag.assert_free_while(hang_began, loop.time())
    await misbehave(bad, "fixed")  # connections reset: the hanging poll ends
    await bad_poll
    for entry in good_entries:
        assert state_of(hass, entity_id(hass, MP_DOMAIN, entry)).state == MediaPlayerState.IDLE
    bad_data = runtime(bad_entry).coordinator.data
    if mode == "garbage":  # reachable, nothing readable: no made-up values
        assert bad_data is not None
        assert bad_data.volume is None
        assert bad_data.foreground_package is None
