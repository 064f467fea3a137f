"""The benchmark scenarios: poll cost, command latency, freshness, recovery, event-loop lag.

Every scenario runs the same device-side actions on both projectors and measures both
integrations the same way. Times are `time.monotonic()`, which the projectors' threads share
with Home Assistant's loop: the device stamps each key event when its model handles it.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
import logging
import random
import time
from typing import Any

from homeassistant.components.media_player.const import ATTR_APP_ID, MediaPlayerState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Event, EventStateChangedData, HomeAssistant, State, callback
from homeassistant.helpers.event import async_track_state_change_event

from custom_components.xgimi_adb.projector.catalog import KEYS
from tests.virtual_projector import PlaybackState, PowerState, VirtualProjector

from .config import BenchConfig
from .sides import HARMLESS_KEYS, Side, Sides
from .stats import LagMonitor, TrafficCounter

_LOGGER = logging.getLogger(__name__)

KEY_POWER, KEY_HOME = 26, 3
WAIT_S = 60.0  # longest wait for any state or key before a sample counts as lost
OFF_STATES = {MediaPlayerState.OFF, STATE_UNAVAILABLE}


@dataclass
class Results:
    """Samples per metric and side, plus counters."""

    samples: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    notes: list[str] = field(default_factory=list)

    def add(self, metric: str, side: Side, value: float) -> None:
        """Record one sample."""
        self.samples[metric][side.name].append(value)

    def count(self, counter: str, side: Side, amount: int = 1) -> None:
        """Bump a counter."""
        self.counts[counter][side.name] += amount

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {
            "samples": {m: dict(by_side) for m, by_side in self.samples.items()},
            "counts": {c: dict(by_side) for c, by_side in self.counts.items()},
            "notes": list(self.notes),
        }


class Bench:
    """Runs the scenarios against both sides."""

    def __init__(self, hass: HomeAssistant, sides: Sides, config: BenchConfig) -> None:
        """Measure `sides` in `hass` with `config`'s sample counts."""
        self.hass = hass
        self.sides = sides
        self.config = config
        self.results = Results()
        self.lag = LagMonitor()
        self.traffic = TrafficCounter()
        self.random = random.Random(config.seed)
        self.phase_seconds: dict[str, float] = {}

    async def run(self) -> dict[str, Any]:
        """Run every scenario; return the raw results."""
        started = time.monotonic()
        self.traffic.install()
        await self.lag.start()
        try:
            await self._phase("emulator baseline", self.baseline)
            for side in self.sides:
                side.projector.costs.enabled = True
            await self._phase("poll cost", self.poll_cost)
            await self._phase("enable polling", self.enable_polling)
            await self._phase("command latency", self.command_latency)
            await self._phase("freshness", self.freshness)
            await self._phase("recovery", self.recovery)
        finally:
            await self.lag.stop()
            self.traffic.uninstall()
            for side in self.sides:
                side.projector.costs.enabled = False
        return {
            "config": asdict(self.config),
            "duration_s": time.monotonic() - started,
            "phase_seconds": self.phase_seconds,
            "cost_model": self.sides.ours.projector.costs.describe(),
            "poll_intervals": {side.name: side.poll_intervals for side in self.sides},
            "lag": {
                "all": self.lag.lags(),
                **{side.name: self.lag.lags(side.name) for side in self.sides},
            },
            "lag_worst": self.lag.worst(started),
            **self.results.as_dict(),
        }

    async def _phase(self, name: str, scenario: Callable[[], Awaitable[None]]) -> None:
        start = time.monotonic()
        _LOGGER.info("bench: %s", name)
        with self.lag.segment(f"phase:{name}"):
            await scenario()
        self.phase_seconds[name] = time.monotonic() - start

    # -- poll cost ----------------------------------------------------------------------------

    async def baseline(self) -> None:
        """Measure polls with the cost model off: what the emulator itself costs (same for both)."""
        for side in self.sides:
            await side.async_update()  # warm up: connected, state known
        await self._measure_polls("on_emulator_only", self.config.baseline_polls)

    async def poll_cost(self) -> None:
        """Cost of one poll with the projector on, asleep (screen off) and in standby."""
        samples = self.config.poll_samples
        if samples <= 0:
            return
        await self._measure_polls("on", samples)
        await self._all(lambda p: p.set_power(PowerState.SCREEN_OFF))
        await self._measure_polls("screen_off", max(1, samples // 2))
        await self._all(lambda p: p.set_power(PowerState.ON))
        if self.config.standby_polls:
            await self._standby_polls(max(1, samples // 2))
        for side in self.sides:
            await self._update_until(side, is_idle)

    async def _standby_polls(self, samples: int) -> None:
        await self._all(lambda p: p.set_power(PowerState.STANDBY))
        # The first poll after the network went down waits for its timeout: both at once.
        await asyncio.gather(*(self._timed_first_poll(side) for side in self.sides))
        await self._measure_polls("standby", samples)
        await self._all(lambda p: p.press_key(KEY_POWER))
        await self._all(lambda p: p.wait_until_listening())

    async def _measure_polls(self, power: str, samples: int) -> None:
        """Poll each side in turn; only that side works meanwhile (lag is attributed to it)."""
        for _ in range(samples):
            for side in self.sides:
                with self.lag.segment(side.name):
                    await self._one_poll(side, power)

    async def _one_poll(self, side: Side, power: str) -> None:
        projector = side.projector
        streams, tools = len(projector.received_services), len(projector.tool_calls)
        wire = self.traffic.total(projector.port)
        start = time.monotonic()
        await side.async_update()
        elapsed = time.monotonic() - start
        self.results.add(f"poll_{power}_time", side, elapsed)
        self.results.add(
            f"poll_{power}_round_trips", side, len(projector.received_services) - streams
        )
        self.results.add(f"poll_{power}_tools", side, len(projector.tool_calls) - tools)
        self.results.add(f"poll_{power}_bytes", side, self.traffic.total(projector.port) - wire)

    async def _timed_first_poll(self, side: Side) -> None:
        start = time.monotonic()
        await side.async_update()
        self.results.add("standby_first_poll", side, time.monotonic() - start)

    async def _update_until(self, side: Side, wanted: Callable[[State], bool]) -> None:
        """Poll by hand until the entity shows what is wanted (bounded)."""
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            await side.async_update()
            state = self.hass.states.get(side.media_player)
            if state is not None and wanted(state):
                return
            await asyncio.sleep(0.5)
        raise TimeoutError(f"{side.name}: {side.media_player} never reached the wanted state")

    async def _all(self, action: Callable[[VirtualProjector], Awaitable[None]]) -> None:
        await asyncio.gather(*(action(side.projector) for side in self.sides))

    # -- polling on ----------------------------------------------------------------------------

    async def enable_polling(self) -> None:
        """From here on, both integrations poll on their own default intervals."""
        for side in self.sides:
            await side.async_set_polling(True)
            await side.async_update()  # a reloaded entity shows nothing until its first poll
        for side in self.sides:
            assert await self._wait_state(side, is_idle) is not None

    # -- command latency -----------------------------------------------------------------------

    async def command_latency(self) -> None:
        """Service call -> key handled by the device, while both integrations poll."""
        for _ in range(self.config.key_samples):
            for side in self.sides:
                await asyncio.sleep(self.random.uniform(0.1, 1.0))  # random poll phase
                await self._single_key(side)
        for _ in range(self.config.bursts):
            for side in self.sides:
                await asyncio.sleep(self.random.uniform(0.1, 1.0))
                await self._burst(side)
        for _ in range(self.config.one_call_bursts):
            for side in self.sides:
                await self._one_call_burst(side)

    async def _single_key(self, side: Side) -> None:
        key = self.random.choice(HARMLESS_KEYS)
        seen = len(side.projector.key_events)
        start = time.monotonic()
        delivered = await self._call(side, side.async_press(key))
        self.results.count("keys_sent", side)
        observed = key_time(side.projector, seen, key)
        if observed is None or not delivered:
            self.results.count("keys_dropped", side)
            return
        self.results.add("key_single", side, observed - start)

    async def _burst(self, side: Side) -> None:
        """`burst_size` separate service calls at once (a user hammering a button)."""
        keys = HARMLESS_KEYS[: self.config.burst_size]
        seen = len(side.projector.key_events)
        starts: dict[str, float] = {}

        async def press(key: str) -> bool:
            starts[key] = time.monotonic()
            return await self._call(side, side.async_press(key))

        first = time.monotonic()
        await asyncio.gather(*(press(key) for key in keys))
        self.results.count("keys_sent", side, len(keys))
        last = None
        for key in keys:
            observed = key_time(side.projector, seen, key)
            if observed is None:
                self.results.count("keys_dropped", side)
                continue
            self.results.add("key_burst", side, observed - starts[key])
            last = observed if last is None else max(last, observed)
        if last is not None:
            self.results.add("key_burst_total", side, last - first)

    async def _one_call_burst(self, side: Side) -> None:
        """One `remote.send_command` carrying `burst_size` keys."""
        keys = HARMLESS_KEYS[: self.config.burst_size]
        seen = len(side.projector.key_events)
        start = time.monotonic()
        await self._call(side, side.async_press_many(keys))
        self.results.count("keys_sent", side, len(keys))
        times = [key_time(side.projector, seen, key) for key in keys]
        delivered = [t for t in times if t is not None]
        self.results.count("keys_dropped", side, len(keys) - len(delivered))
        if delivered:
            self.results.add("key_one_call_total", side, max(delivered) - start)

    async def _call(self, side: Side, call: Awaitable[None]) -> bool:
        """Await a service call; an error is counted (and the key then counts as dropped)."""
        try:
            async with asyncio.timeout(WAIT_S):
                await call
        except Exception as err:  # noqa: BLE001 - any failure of the call is a result
            self.results.count("command_errors", side)
            self.results.notes.append(f"{side.name}: command failed: {err!r}")
            return False
        return True

    # -- state freshness -----------------------------------------------------------------------

    async def freshness(self) -> None:
        """Device-side change -> Home Assistant state; both sides concurrently, independently."""
        if self.config.freshness_s <= 0:
            return
        deadline = time.monotonic() + self.config.freshness_s
        await asyncio.gather(*(self._freshness_loop(side, deadline) for side in self.sides))

    async def _freshness_loop(self, side: Side, deadline: float) -> None:
        """Make one change after another until `deadline`, each at a random poll phase."""
        projector = side.projector
        app = streaming_app(projector)
        launcher = projector.profile.launcher_package
        interval = side.poll_intervals[0]
        step = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(self.random.uniform(0, interval))
            match step % 3:
                case 0:
                    await self._fresh(side, "fresh_app", projector.launch_app(app), has_app(app))
                case 1:
                    playing = projector.set_playback(PlaybackState.PLAYING)
                    await self._fresh(side, "fresh_playing", playing, is_playing)
                case _:
                    # Stopped first (not timed), so that the next launch does not show playing.
                    await projector.set_playback(PlaybackState.STOPPED)
                    home = projector.press_key(KEY_HOME)
                    await self._fresh(side, "fresh_remote_key", home, has_app(launcher))
            step += 1

    async def _fresh(
        self, side: Side, metric: str, change: Awaitable[None], wanted: Callable[[State], bool]
    ) -> None:
        start = time.monotonic()
        await change
        seen = await self._wait_state(side, wanted)
        if seen is None:
            self.results.count(f"{metric}_missed", side)
            return
        self.results.add(metric, side, seen - start)
        self.results.add("fresh_all", side, seen - start)

    async def _wait_state(
        self, side: Side, wanted: Callable[[State], bool], timeout: float = WAIT_S
    ) -> float | None:
        """Wait until the media player shows `wanted`; return when, None on timeout."""
        return await wait_for_state(self.hass, side.media_player, wanted, timeout)

    # -- recovery ------------------------------------------------------------------------------

    async def recovery(self) -> None:
        """Standby and back, reboot: how long until Home Assistant is right again."""
        if self.config.standby_cycles > 0:
            # Waking from standby keeps whatever was in front: start from the launcher, idle.
            await asyncio.gather(*(self._settle(side) for side in self.sides))
        for _ in range(self.config.standby_cycles):
            await asyncio.gather(*(self._standby_cycle(side) for side in self.sides))
        for _ in range(self.config.reboots):
            await asyncio.gather(*(self._reboot_cycle(side) for side in self.sides))

    async def _settle(self, side: Side) -> None:
        """Stop playback, go home, and wait until Home Assistant shows the launcher, idle."""
        await side.projector.set_playback(PlaybackState.STOPPED)
        await side.projector.press_key(KEY_HOME)
        if await self._wait_state(side, is_idle) is None:
            raise TimeoutError(f"{side.name}: never idle on the launcher")

    async def _standby_cycle(self, side: Side) -> None:
        projector = side.projector
        await asyncio.sleep(self.random.uniform(0, side.poll_intervals[0]))
        start = time.monotonic()
        await projector.set_power(PowerState.STANDBY)
        noticed = await self._wait_state(side, is_off)
        if noticed is None:
            self.results.count("standby_not_noticed", side)
        else:
            self.results.add("standby_notice", side, noticed - start)
        await asyncio.sleep(self.random.uniform(0, side.poll_intervals[1]))
        await projector.press_key(KEY_POWER)  # the remote wakes it from standby
        await projector.wait_until_listening()
        back = time.monotonic()
        await self._recovered(side, "recover_standby", back)

    async def _reboot_cycle(self, side: Side) -> None:
        projector = side.projector
        app = streaming_app(projector)
        await projector.launch_app(app)
        await projector.set_playback(PlaybackState.PLAYING)
        await self._wait_state(side, lambda s: has_app(app)(s) and is_playing(s))
        await asyncio.sleep(self.random.uniform(0, side.poll_intervals[0]))
        await projector.reboot(self.config.reboot_down_s)
        await asyncio.sleep(0.1)  # the port closes on the device loop
        await projector.wait_until_listening(timeout=self.config.reboot_down_s + 10)
        back = time.monotonic()
        await self._recovered(side, "recover_reboot", back)

    async def _recovered(self, side: Side, metric: str, back: float) -> None:
        accurate = await self._wait_state(side, is_idle)
        if accurate is None:
            self.results.count(f"{metric}_failed", side)
            return
        self.results.add(metric, side, accurate - back)


# -- helpers ---------------------------------------------------------------------------------------


def key_time(projector: VirtualProjector, seen: int, key: str) -> float | None:
    """When the device handled the first `key` after its first `seen` key events."""
    codes, times = projector.key_events, projector.key_event_times
    code = KEYS[key]
    for index in range(seen, min(len(codes), len(times))):
        if codes[index] == code:
            return times[index]
    return None


def streaming_app(projector: VirtualProjector) -> str:
    """Return a launchable, user-installed app of the profile (one with a media session)."""
    return next(app.package for app in projector.profile.apps if not app.system and app.activities)


def has_app(package: str) -> Callable[[State], bool]:
    """State test: the app in front is `package`."""
    return lambda state: state.attributes.get(ATTR_APP_ID) == package


def is_playing(state: State) -> bool:
    """State test: playing."""
    return state.state == MediaPlayerState.PLAYING


def is_idle(state: State) -> bool:
    """State test: on with the launcher in front (what a freshly woken projector shows)."""
    return state.state == MediaPlayerState.IDLE


def is_off(state: State) -> bool:
    """State test: off or unavailable (androidtv cannot tell standby from gone)."""
    return state.state in OFF_STATES


async def wait_for_state(
    hass: HomeAssistant, entity: str, wanted: Callable[[State], bool], timeout: float
) -> float | None:
    """Return the monotonic time at which `entity`'s state satisfied `wanted` (None: never)."""
    current = hass.states.get(entity)
    if current is not None and wanted(current):
        return time.monotonic()
    reached: asyncio.Future[float] = hass.loop.create_future()

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        state = event.data["new_state"]
        if state is not None and wanted(state) and not reached.done():
            reached.set_result(time.monotonic())

    unsubscribe = async_track_state_change_event(hass, [entity], changed)
    try:
        async with asyncio.timeout(timeout):
            return await reached
    except TimeoutError:
        return None
    finally:
        unsubscribe()
