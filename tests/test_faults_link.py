"""Fault suite, the link: dropped mid-command, half-open, reboot, standby mid-burst, slow device.

What the user sees: a command that hits a broken link is a translated error (never silence, never
sent twice when sending it twice would do it twice); the rest of Home Assistant keeps running
while the integration waits; and the first poll after the projector is back shows it as it is.

"The first poll after it is back" is checked with the real reconnect backoff (up to a minute):
the device layer's clock is moved forward by the poll interval instead of waiting for it.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

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

from custom_components.xgimi_adb.const import SCAN_INTERVAL_OFF
from custom_components.xgimi_adb.projector.catalog import KEYS
from tests.entities_common import FAST_TIMEOUTS, entity_id, new_commands, refresh, runtime, state_of
from tests.faults_common import (
    FakeClock,
    LoopLagProbe,
    assert_translated,
    install_clock,
    production_backoff,
    real_command_limits,
    record_lag,
    timed,
)
from tests.virtual_projector import VirtualProjector

pytestmark = pytest.mark.usefixtures("fast")

KEY_VOLUME_UP, KEY_POWER = KEYS["volume_up"], KEYS["power"]
POLL_INTERVAL_OFF_S = SCAN_INTERVAL_OFF.total_seconds()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, entry: MockConfigEntry) -> FakeClock:
    """Give the entry's client the real reconnect backoff and a clock the test moves."""
    production_backoff(runtime(entry).client)
    return install_clock(monkeypatch)


@pytest.fixture
def player(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Entity id of the media player."""
    return entity_id(hass, MP_DOMAIN, entry)


async def press(hass: HomeAssistant, service: str, player: str, **data: Any) -> None:
    """Call a media_player action."""
    await hass.services.async_call(
        MP_DOMAIN, service, {ATTR_ENTITY_ID: player, **data}, blocking=True
    )


async def first_poll_after_return(entry: MockConfigEntry, clock: FakeClock) -> None:
    """Run the next scheduled poll: the one a poll interval after the projector was lost."""
    clock.advance(POLL_INTERVAL_OFF_S)
    await refresh(entry)


def volume_level(hass: HomeAssistant, player: str) -> float:
    """Return the media player's volume level."""
    level = state_of(hass, player).attributes[ATTR_MEDIA_VOLUME_LEVEL]
    assert isinstance(level, float)
    return level


# -- dropped mid-command -----------------------------------------------------------------------


async def test_connection_dropped_mid_command(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    player: str,
    clock: FakeClock,
) -> None:
    """The link breaks right after a volume step ran: one step, an error, then the truth.

    The user's view: "connection lost" (the step may or may not have happened), never a second
    step from a silent retry; the next poll shows the volume the projector really has.
    """
    volume = xgimi.device.volume
    before = len(xgimi.received_commands)
    xgimi.faults.drop_after_command = f"input keyevent {KEY_VOLUME_UP}"
    with pytest.raises(HomeAssistantError) as err:
        await press(hass, "volume_up", player)
    assert_translated(err.value, {"connection_lost"})
    assert xgimi.device.volume == volume + 1
    assert new_commands(xgimi, before).count(f"input keyevent {KEY_VOLUME_UP}") == 1
    assert xgimi.key_events.count(KEY_VOLUME_UP) == 1

    await refresh(entry)
    assert volume_level(hass, player) == pytest.approx((volume + 1) / 100)


async def test_absolute_command_is_resent_once(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str
) -> None:
    """An absolute volume is safe to repeat: after a dropped link it is resent, once.

    The user's view: volume_set to 60 % just works, even though the first answer was lost.
    """
    xgimi.faults.drop_after_command = "volume --stream 3 --set 60"
    before = len(xgimi.received_commands)
    await press(hass, "volume_set", player, volume_level=0.6)
    assert xgimi.device.volume == 60
    sets = [line for line in new_commands(xgimi, before) if "--set 60" in line]
    assert len(sets) == 2  # the lost answer, then the one resend
    assert volume_level(hass, player) == pytest.approx(0.6)


# -- half-open ---------------------------------------------------------------------------------


async def test_half_open_then_back(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    clock: FakeClock,
    record_property: Any,
) -> None:
    """The connection stays open but nothing answers any more (deep sleep, a bad access point).

    The user's view: the volume step is a translated timeout after the command's time limit,
    Home Assistant stays responsive meanwhile, the projector shows off; once it answers again,
    the first poll shows it on, and the step that timed out was never carried out later.
    """
    player = entity_id(hass, MP_DOMAIN, entry)
    await xgimi.set_half_open()
    async with LoopLagProbe() as lag:
        start, end, caught = await timed(_expect_error(press(hass, "volume_up", player)))
    record_lag(record_property, "half_open", lag)
    assert_translated(caught, {"timeout"})
    lag.assert_free_while(start, end)
    assert state_of(hass, player).state == STATE_OFF

    await xgimi.set_half_open(False)
    await first_poll_after_return(entry, clock)
    assert state_of(hass, player).state == MediaPlayerState.IDLE
    assert KEY_VOLUME_UP not in xgimi.key_events


async def test_long_half_open_then_back(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, clock: FakeClock
) -> None:
    """Half-open for one to eight polls (deep sleep with the access point keeping the link).

    The user's view: off while it sleeps; the first poll after it answers again shows it on,
    however long it slept (each poll already waits a poll interval; a reconnect backoff longer
    than that only delays the moment the user sees the projector back).
    """
    player = entity_id(hass, MP_DOMAIN, entry)
    client = runtime(entry).client
    client.timeouts = replace(client.timeouts, connect=0.3, auth=0.2)  # quick failed handshakes
    late: list[int] = []
    for polls_asleep in range(1, 9):
        await xgimi.set_half_open()
        await xgimi.drop_connections()
        for _ in range(polls_asleep):
            await first_poll_after_return(entry, clock)
            assert state_of(hass, player).state == STATE_OFF
        await xgimi.set_half_open(False)
        await first_poll_after_return(entry, clock)
        if state_of(hass, player).state != MediaPlayerState.IDLE:
            late.append(polls_asleep)
            for _ in range(8):  # catch up before the next round (the backoff is at most 60 s)
                if state_of(hass, player).state == MediaPlayerState.IDLE:
                    break
                await first_poll_after_return(entry, clock)
            assert state_of(hass, player).state == MediaPlayerState.IDLE
    assert late == [], f"still shown off at the first poll after sleeping {late} polls"


async def _expect_error(call: Any) -> HomeAssistantError:
    """Await a call that must fail with a HomeAssistantError; return the error."""
    with pytest.raises(HomeAssistantError) as err:
        await call
    return err.value


# -- reboot ------------------------------------------------------------------------------------


async def test_reboot_then_back(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    player: str,
    clock: FakeClock,
) -> None:
    """The projector reboots while in use (a firmware update, a crash).

    The user's view: a key pressed while it is down is a translated error and is not replayed
    when it comes back; the first poll after it is up shows it on, on the launcher.
    """
    await xgimi.launch_app(entry.data["facts"]["apps"][0]["package"])
    await refresh(entry)
    assert state_of(hass, player).state == MediaPlayerState.ON
    await xgimi.reboot(down_s=1.0)
    with pytest.raises(HomeAssistantError) as err:
        await press(hass, "volume_up", player)
    assert_translated(err.value)
    await xgimi.wait_until_listening()

    await first_poll_after_return(entry, clock)
    assert state_of(hass, player).state == MediaPlayerState.IDLE  # rebooted to the launcher
    assert KEY_VOLUME_UP not in xgimi.key_events


# -- standby in the middle of a key burst ------------------------------------------------------


async def test_standby_in_the_middle_of_a_key_burst(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    player: str,
    clock: FakeClock,
) -> None:
    """Ten remote calls are on their way when someone presses power on the physical remote.

    The user's view: each call either did its keys (once) or failed with a translated error;
    no key is pressed twice, none arrives after the projector is back; after the person turns it
    on again, the first poll shows it on.
    """
    remote = entity_id(hass, REMOTE_DOMAIN, entry)
    calls = [["up", "down", "left"] for _ in range(10)]
    xgimi.faults.command_latency_s = 0.1  # slow enough that the burst is still running
    keys_before = len(xgimi.key_events)

    async def send(names: list[str]) -> HomeAssistantError | None:
        try:
            await hass.services.async_call(
                REMOTE_DOMAIN,
                SERVICE_SEND_COMMAND,
                {ATTR_ENTITY_ID: remote, ATTR_COMMAND: names},
                blocking=True,
            )
        except HomeAssistantError as err:
            return err
        return None

    async def one_after_another() -> list[HomeAssistantError | None]:
        # Spaced out as a person or script presses them: calls queued back to back would share
        # one `input keyevent` line and the whole burst would be over before the power key.
        tasks = []
        for names in calls:
            tasks.append(asyncio.create_task(send(names)))
            await asyncio.sleep(0.15)
        return await asyncio.gather(*tasks)

    burst = asyncio.create_task(one_after_another())
    async with asyncio.timeout(10):
        while len(xgimi.key_events) - keys_before < 6:  # two calls delivered
            await asyncio.sleep(0.01)
    await xgimi.press_key(KEY_POWER)  # XGIMI standby: the network goes down with it
    results = await burst
    xgimi.faults.command_latency_s = 0

    delivered = xgimi.key_events[keys_before:]
    assert delivered[-1] == KEY_POWER
    burst_keys = delivered[:-1]
    per_call = [KEYS[name] for name in calls[0]]
    succeeded = sum(result is None for result in results)
    # Whole calls, in order, each once: nothing half-sent, nothing doubled.
    assert burst_keys == per_call * (len(burst_keys) // 3)
    assert succeeded <= len(burst_keys) // 3  # more: a line ran, its answer was lost
    assert 1 <= succeeded < len(calls)
    for result in results:
        if result is not None:
            assert_translated(result)

    await xgimi.press_key(KEY_POWER)  # the person turns it back on
    await xgimi.wait_until_listening()
    await first_poll_after_return(entry, clock)
    assert state_of(hass, player).state == MediaPlayerState.IDLE
    assert xgimi.key_events[keys_before:] == [*burst_keys, KEY_POWER, KEY_POWER]


# -- slow device -------------------------------------------------------------------------------


async def test_slow_device(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    player: str,
    record_property: Any,
) -> None:
    """Every command takes 2 s on the projector (a busy, overheated or swapping device).

    The user's view: within the time limit the volume step works (late, once) and the state is
    right, and Home Assistant stays responsive all along.
    """
    real_command_limits(runtime(entry).client)  # 10 s per command, 5 s per poll
    xgimi.faults.command_latency_s = 2.0
    volume = xgimi.device.volume
    async with LoopLagProbe() as lag:
        start, end, _ = await timed(press(hass, "volume_up", player))
        lag.assert_free_while(start, end)
        assert end - start >= 2.0
        await refresh(entry)
    record_lag(record_property, "slow_device", lag)
    assert xgimi.key_events.count(KEY_VOLUME_UP) == 1
    assert xgimi.device.volume == volume + 1
    assert volume_level(hass, player) == pytest.approx((volume + 1) / 100)


async def test_slow_device_beyond_the_time_limit(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    player: str,
    clock: FakeClock,
) -> None:
    """Commands take longer than their limit: a timeout error, and the step is not repeated.

    The user's view: "the projector did not answer in time"; the step is not sent again behind
    their back; when the projector is quick again, the first poll shows it.
    """
    before = len(xgimi.received_commands)
    latency = FAST_TIMEOUTS.command + 0.5
    xgimi.faults.command_latency_s = latency
    with pytest.raises(HomeAssistantError) as err:
        await press(hass, "volume_up", player)
    assert_translated(err.value, {"timeout"})
    await asyncio.sleep(latency)  # anything still on its way on the device would have run now
    assert new_commands(xgimi, before).count(f"input keyevent {KEY_VOLUME_UP}") == 1
    assert xgimi.key_events.count(KEY_VOLUME_UP) <= 1

    xgimi.faults.command_latency_s = 0
    await first_poll_after_return(entry, clock)
    assert state_of(hass, player).state == MediaPlayerState.IDLE
