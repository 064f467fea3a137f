"""Voice commands per topic: latest wins, duplicates within a second are dropped.

Bemfa and Mi Home may deliver a command twice, and a person may repeat one. Per topic, one
command runs at a time; commands arriving meanwhile replace each other (only the newest still
matters), and a command equal to the last accepted one within `window` seconds is dropped.
Every accepted command runs whatever the projector's state seems to be.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import logging
import time

_LOGGER = logging.getLogger(__name__)

type Executor = Callable[[str, str], Awaitable[None]]


class CommandQueue:
    """Runs `execute(topic, payload)` for accepted commands, one at a time per topic."""

    def __init__(
        self,
        execute: Executor,
        *,
        window: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Run commands with `execute`; drop repeats within `window` seconds."""
        self._execute, self._window, self._clock = execute, window, clock
        self._last: dict[str, tuple[str, float]] = {}  # topic -> last accepted payload, time
        self._pending: dict[str, str] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}
        self.executed = 0
        self.dropped = 0

    def submit(self, topic: str, payload: str) -> bool:
        """Queue a command; False if it repeats the last one within the window."""
        now = self._clock()
        last = self._last.get(topic)
        if last is not None and last[0] == payload and now - last[1] < self._window:
            self.dropped += 1
            return False
        self._last[topic] = (payload, now)
        if topic in self._pending:
            self.dropped += 1  # superseded before it ran
        self._pending[topic] = payload
        if topic not in self._workers:
            self._workers[topic] = asyncio.create_task(self._work(topic), name=f"bemfa {topic}")
        return True

    async def _work(self, topic: str) -> None:
        try:
            while (payload := self._pending.pop(topic, None)) is not None:
                self.executed += 1
                try:
                    await self._execute(topic, payload)
                except Exception:
                    _LOGGER.exception("Voice command %r on %s failed", payload, topic)
        finally:
            self._workers.pop(topic, None)

    async def idle(self) -> None:
        """Wait until every queued command has run."""
        while self._workers:
            await asyncio.gather(*self._workers.values(), return_exceptions=True)

    async def stop(self) -> None:
        """Drop what is queued and cancel what runs."""
        self._pending.clear()
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
