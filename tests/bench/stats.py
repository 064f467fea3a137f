"""Measuring instruments of the benchmark: percentiles, event-loop lag and ADB traffic."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
import math
import time
from typing import Any

from adb_shell.transport.tcp_transport_async import TcpTransportAsync

PERCENTILES = (50, 95, 99)
LAG_PERIOD_S = 0.010  # the lag probe sleeps this long and measures how late it wakes up


def percentile(samples: Sequence[float], pct: float) -> float:
    """Linear-interpolated percentile (numpy's default); NaN for no samples."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = pct / 100 * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(samples: Sequence[float]) -> dict[str, float]:
    """n, p50/p95/p99 and max of a sample list."""
    summary = {f"p{pct}": percentile(samples, pct) for pct in PERCENTILES}
    summary["max"] = max(samples) if samples else math.nan
    summary["n"] = len(samples)
    return summary


@dataclass
class LagMonitor:
    """Measures event-loop lag: how late a 10 ms sleep wakes up, all the time.

    `segment(label)` marks a span of the run as belonging to one integration (only its polls or
    commands ran then), so lag can be attributed where it can be.
    """

    samples: list[tuple[float, float]] = field(default_factory=list)  # (monotonic, lag s)
    segments: list[tuple[str, float, float]] = field(default_factory=list)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start probing on the running loop."""
        self._task = asyncio.get_running_loop().create_task(self._probe(), name="bench lag probe")

    async def stop(self) -> None:
        """Stop probing."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _probe(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(LAG_PERIOD_S)
            now = time.monotonic()
            self.samples.append((now, max(0.0, now - before - LAG_PERIOD_S)))

    @contextmanager
    def segment(self, label: str) -> Iterator[None]:
        """Attribute the lag measured inside the block to `label`."""
        start = time.monotonic()
        try:
            yield
        finally:
            self.segments.append((label, start, time.monotonic()))

    def worst(self, origin: float, count: int = 15) -> list[dict[str, object]]:
        """Return the largest lags: when (s after `origin`), how long (ms), in which segments."""
        top = sorted(self.samples, key=lambda sample: sample[1], reverse=True)[:count]
        return [
            {
                "at_s": round(when - origin, 3),
                "lag_ms": round(lag * 1000, 1),
                "during": [name for name, a, b in self.segments if a <= when <= b],
            }
            for when, lag in top
        ]

    def lags(self, label: str | None = None) -> list[float]:
        """Lag samples (s), all of them or those inside `label`'s segments."""
        if label is None:
            return [lag for _, lag in self.samples]
        spans = [(start, end) for name, start, end in self.segments if name == label]
        return [lag for when, lag in self.samples if any(a <= when <= b for a, b in spans)]


class TrafficCounter:
    """Counts the ADB bytes every adb-shell TCP transport in this process sends and receives.

    Both integrations talk through adb-shell's `TcpTransportAsync`; counting there (per
    projector port) measures the exact bytes on the wire, headers included, for both alike.
    """

    def __init__(self) -> None:
        """Nothing is counted until `install()`."""
        self.by_port: defaultdict[int, int] = defaultdict(int)
        self._saved: tuple[Any, Any] | None = None

    def install(self) -> None:
        """Wrap `bulk_read` / `bulk_write` of adb-shell's async TCP transport."""
        if self._saved is not None:
            return
        read, write = TcpTransportAsync.bulk_read, TcpTransportAsync.bulk_write
        self._saved = (read, write)
        counter = self

        async def bulk_read(transport: Any, numbytes: int, transport_timeout_s: Any) -> Any:
            data = await read(transport, numbytes, transport_timeout_s)
            counter.add(transport, len(data))
            return data

        async def bulk_write(transport: Any, data: bytes, transport_timeout_s: Any) -> Any:
            sent = await write(transport, data, transport_timeout_s)
            counter.add(transport, len(data))
            return sent

        TcpTransportAsync.bulk_read = bulk_read
        TcpTransportAsync.bulk_write = bulk_write

    def uninstall(self) -> None:
        """Put adb-shell back as it was."""
        if self._saved is not None:
            TcpTransportAsync.bulk_read, TcpTransportAsync.bulk_write = self._saved
            self._saved = None

    def add(self, transport: Any, size: int) -> None:
        """Count `size` bytes for the transport's port."""
        self.by_port[int(transport._port)] += size  # noqa: SLF001 - adb-shell keeps it private

    def total(self, port: int) -> int:
        """Bytes exchanged with the projector on `port` so far."""
        return self.by_port[port]
