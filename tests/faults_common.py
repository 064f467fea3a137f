"""Helpers of the fault and abuse suite (`test_faults_*.py`): loop-lag probe, clock, fast keys.

Not fixtures: plain helpers the fault tests share on top of `tests/entities_common.py`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field, replace
import re
import time
from types import TracebackType
from typing import Any

from homeassistant.exceptions import HomeAssistantError
import pytest

from custom_components.xgimi_adb.const import DOMAIN
from custom_components.xgimi_adb.projector import client as client_module
from custom_components.xgimi_adb.projector.client import ProjectorClient, Timeouts
from tests.virtual_projector import VirtualProjector
from tests.virtual_projector.sandbox import RunResult

# The client's real reconnect backoff (tests otherwise shorten it to 0.5 s).
PRODUCTION_BACKOFF_MAX = Timeouts().backoff_max
# A command that could not be delivered is one of these translated errors, never silence.
LINK_ERROR_KEYS = {"unreachable", "timeout", "connection_lost"}
# While a fault keeps a command waiting, the event loop must stay free for everything else: the
# lag probe must wake up at least this many times during the wait. A loop blocked by the wait
# (a synchronous read on a silent socket, `time.sleep`) wakes it at most once; a free loop wakes
# it hundreds of times a second even on a loaded machine. Counting wake-ups instead of bounding
# the worst lag keeps the check about blocking, not about how busy the test machine is.
MIN_WAKEUPS_WHILE_WAITING = 5
_KEYEVENT_LINE = re.compile(r"input keyevent((?: \d{1,5})+)")


@dataclass
class LoopLag:
    """Measured lateness of a probe that wakes up every `interval` seconds."""

    interval: float = 0.005
    samples: list[float] = field(default_factory=list)
    wakeups: list[float] = field(default_factory=list)  # loop.time() of each wake-up

    @property
    def max(self) -> float:
        """Worst lag seen (seconds)."""
        return max(self.samples, default=0.0)

    @property
    def p99(self) -> float:
        """99th percentile lag (seconds)."""
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]

    def wakeups_between(self, start: float, end: float) -> int:
        """How often the probe ran between two loop.time() values."""
        return sum(1 for moment in self.wakeups if start < moment < end)

    def assert_free_while(self, start: float, end: float) -> None:
        """Assert the loop kept running other tasks between `start` and `end` (loop.time())."""
        assert end > start
        assert self.wakeups_between(start, end) >= MIN_WAKEUPS_WHILE_WAITING, (
            f"event loop blocked: {self.wakeups_between(start, end)} wake-ups in "
            f"{end - start:.2f} s"
        )


class LoopLagProbe:
    """Measure how late the event loop runs a timer while a fault plays out.

    A blocked loop (a synchronous socket read, `time.sleep`, a parser stuck on megabytes) shows
    up as a sample as long as the block, and as no wake-ups while it lasts.
    """

    def __init__(self, interval: float = 0.005) -> None:
        """Sample every `interval` seconds once entered."""
        self.lag = LoopLag(interval)
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            expected = loop.time() + self.lag.interval
            await asyncio.sleep(self.lag.interval)
            now = loop.time()
            self.lag.wakeups.append(now)
            self.lag.samples.append(max(0.0, now - expected))

    async def __aenter__(self) -> LoopLag:
        """Start sampling."""
        self._task = asyncio.create_task(self._run())
        return self.lag

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop sampling."""
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def timed[T](awaitable: Awaitable[T]) -> tuple[float, float, T]:
    """Await something; return (start, end) in loop.time() and its result."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    result = await awaitable
    return start, loop.time(), result


def record_lag(record_property: Any, name: str, lag: LoopLag) -> None:
    """Attach lag numbers to the test report (junit XML `property` elements)."""
    record_property(f"{name}_loop_lag_max_ms", round(lag.max * 1000, 1))
    record_property(f"{name}_loop_lag_p99_ms", round(lag.p99 * 1000, 1))


class FakeClock:
    """The client's monotonic clock, advanced by hand to where the next scheduled poll would be.

    Lets a test ask "is the state right at the first poll after the projector came back" with the
    real reconnect backoff (up to a minute) without waiting for it.
    """

    def __init__(self) -> None:
        """Start at the real clock."""
        self.offset = 0.0

    def monotonic(self) -> float:
        """Return the real monotonic time plus what the test skipped."""
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        """Skip ahead."""
        self.offset += seconds


def install_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Give the device layer's client a clock the test can move forward."""
    clock = FakeClock()
    monkeypatch.setattr(client_module, "time", clock)
    return clock


def production_backoff(client: ProjectorClient) -> None:
    """Restore the real reconnect backoff on a client made with the tests' short limits."""
    client.timeouts = Timeouts(
        connect=client.timeouts.connect,
        auth=client.timeouts.auth,
        command=client.timeouts.command,
        probe=client.timeouts.probe,
        backoff_max=PRODUCTION_BACKOFF_MAX,
    )


def real_command_limits(client: ProjectorClient) -> None:
    """Give a client the real command and poll time limits (the other limits stay short).

    For tests whose point is not a timeout: on a loaded two-core test machine a poll that moves
    megabytes, or one of many running at once, can take longer than the tests' 1.5 s.
    """
    real = Timeouts()
    client.timeouts = replace(client.timeouts, command=real.command, poll=real.poll)


def fast_keys(projector: VirtualProjector, monkeypatch: pytest.MonkeyPatch) -> None:
    """Answer plain `input keyevent N...` lines in the device model, without starting a shell.

    Starting the sandboxed shell and the stand-in `input` tool costs the emulator ~0.15 s per
    line; a thousand-key test would spend minutes in it. The ADB side (daemon, streams, the
    command record) is unchanged: the line is received and recorded as before, and the keys go
    through the same key handling a remote press uses. Every other line runs in the shell.
    """
    device = projector.device
    real_run = device.sandbox.run

    async def run(command: str, *, merge_stderr: bool) -> RunResult:
        if match := _KEYEVENT_LINE.fullmatch(command):
            for code in match.group(1).split():
                device.press_key(int(code))
            return RunResult(b"", b"", 0)
        return await real_run(command, merge_stderr=merge_stderr)

    monkeypatch.setattr(device.sandbox, "run", run)


def assert_translated(err: HomeAssistantError, keys: Iterable[str] = LINK_ERROR_KEYS) -> None:
    """Assert the error is a translated message of the integration, its text rendered."""
    assert err.translation_domain == DOMAIN
    assert err.translation_key in set(keys), err.translation_key
    assert str(err), "the translated message is rendered"
