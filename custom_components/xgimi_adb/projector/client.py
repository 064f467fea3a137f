"""One persistent ADB connection to a projector, with a command queue that never drops a command.

adb-shell's own timeouts do not cover every wait (a half-open TCP connection can block a read
forever), so every call here runs under an explicit `asyncio.timeout`. Device access is
serialized through a priority queue: user commands go before polls, and each caller gets the
result or an exception, never silence.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
import itertools
import logging
import time
from typing import Any

from adb_shell.adb_device_async import AdbDeviceTcpAsync
from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from adb_shell.exceptions import (
    AdbConnectionError,
    AdbTimeoutError,
    DeviceAuthError,
    InvalidCommandError,
    InvalidResponseError,
    TcpTimeoutException,
)

from .errors import (
    AuthRejected,
    ConnectionLost,
    ProjectorError,
    ProjectorTimeout,
    ProjectorUnreachable,
    TlsOnlyPort,
)

_LOGGER = logging.getLogger(__name__)

BANNER = "homeassistant"  # given explicitly: adb-shell would call gethostname() in an executor
# What adb-shell raises when the link breaks or stops answering mid-command.
_LINK_ERRORS = (
    OSError,
    asyncio.IncompleteReadError,
    TcpTimeoutException,
    AdbTimeoutError,
    AdbConnectionError,
    InvalidResponseError,
)


class Priority(IntEnum):
    """Queue order: lower runs first."""

    USER = 0
    POLL = 1


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Explicit time limits, in seconds."""

    connect: float = 5.0  # TCP connect and the CNXN/AUTH exchange with a known key
    auth: float = 10.0  # waiting for a person to accept the on-screen prompt
    command: float = 10.0  # one shell command, output included
    # One poll. Shorter than a command: XGIMI standby drops the network without closing the
    # connection, and a silent poll is how an open connection notices.
    poll: float = 5.0
    probe: float = 2.0  # the cheap TCP probe while the projector is away
    # Longest pause between reconnects of background polls. Below the 15 s poll interval while
    # off, so the backoff only thins out the quick confirm/refresh polls: a scheduled poll after
    # the projector is back always reconnects.
    backoff_max: float = 10.0


# Merged command lines stay far below the smallest ADB payload (4096 bytes on legacy adbd).
MAX_MERGED_LENGTH = 1024

type Merge = Callable[[list[str]], str]


@dataclass(order=True)
class _Job:
    priority: Priority
    seq: int
    # What each caller asked for, with the future it waits on. One part unless `merge` is set.
    parts: list[tuple[str, asyncio.Future[str]]] = field(compare=False)
    timeout: float = field(compare=False)
    retry: bool = field(compare=False)
    merge: Merge | None = field(compare=False, default=None)
    started: bool = field(compare=False, default=False)

    def accepts(self, merge: Merge, part: str) -> bool:
        """Whether `part` can still join this job (not started, same kind, short enough)."""
        length = sum(len(text) for text, _ in self.parts) + len(part)
        return not self.started and self.merge is merge and length <= MAX_MERGED_LENGTH


class ProjectorClient:
    """Talk to one projector over network ADB."""

    def __init__(
        self,
        host: str,
        port: int,
        signer: PythonRSASigner,
        *,
        timeouts: Timeouts | None = None,
    ) -> None:
        """Prepare a client; nothing connects until the first command or `async_connect`."""
        self.host = host
        self.port = port
        self._signer = signer
        self.timeouts = timeouts or Timeouts()
        self._device: AdbDeviceTcpAsync | None = None
        self._queue: asyncio.PriorityQueue[_Job] = asyncio.PriorityQueue()
        self._seq = itertools.count()
        self._worker: asyncio.Task[None] | None = None
        self._last_user_job: _Job | None = None  # the newest user command, for merging
        self._failures = 0
        self._next_attempt = 0.0  # monotonic time before which background polls do not reconnect
        self._last_connect_error: ProjectorError | None = None
        self.round_trips = 0  # shell commands sent, for diagnostics and benchmarks

    @property
    def connected(self) -> bool:
        """Whether an authenticated connection is open."""
        return self._device is not None

    # -- connection ----------------------------------------------------------------------------

    async def async_connect(
        self,
        *,
        auth_timeout: float | None = None,
        on_prompt: Callable[[], None] | None = None,
    ) -> None:
        """Open and authenticate a connection (a no-op when one is open).

        `on_prompt` is called when the projector shows "Allow USB debugging?" for this key; the
        call then waits up to `auth_timeout` for a person to accept it.
        """
        if self._device is not None:
            return
        wait_for_person = self.timeouts.auth if auth_timeout is None else auth_timeout
        prompted = False

        def prompt_shown(_device: Any) -> None:
            nonlocal prompted
            prompted = True
            if on_prompt is not None:
                on_prompt()

        device = AdbDeviceTcpAsync(
            self.host, self.port, default_transport_timeout_s=self.timeouts.connect, banner=BANNER
        )
        try:
            async with asyncio.timeout(self.timeouts.connect + wait_for_person + 1):
                await device.connect(
                    rsa_keys=[self._signer],
                    transport_timeout_s=self.timeouts.connect,
                    auth_timeout_s=wait_for_person,
                    read_timeout_s=self.timeouts.connect,
                    auth_callback=prompt_shown,
                )
        except BaseException as err:
            await _close_quietly(device)
            raise _connect_error(err, prompted=prompted) from err
        self._device = device
        self._failures = 0
        self._next_attempt = 0.0
        self._last_connect_error = None
        _LOGGER.debug("connected to %s:%s", self.host, self.port)

    async def async_probe(self) -> bool:
        """Return whether the ADB port accepts TCP connections (no ADB handshake)."""
        try:
            async with asyncio.timeout(self.timeouts.probe):
                _, writer = await asyncio.open_connection(self.host, self.port)
        except OSError, TimeoutError:
            return False
        writer.close()
        return True

    async def async_disconnect(self) -> None:
        """Close the connection; queued commands reconnect when they run."""
        device, self._device = self._device, None
        if device is not None:
            await _close_quietly(device)

    async def async_close(self) -> None:
        """Stop the worker, fail queued commands and close the connection."""
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        while not self._queue.empty():
            job = self._queue.get_nowait()
            for _, future in job.parts:
                if not future.done():
                    future.set_exception(ProjectorUnreachable("client closed"))
        await self.async_disconnect()

    # -- commands ------------------------------------------------------------------------------

    async def async_shell(
        self,
        command: str,
        *,
        priority: Priority = Priority.USER,
        timeout: float | None = None,
        retry: bool = False,
    ) -> str:
        """Run one shell command line and return its output.

        Commands run one at a time, user commands first. `retry` allows one resend after a
        broken connection: only for commands that are safe to run twice (reads, absolute
        settings), never for relative ones such as a volume step.
        """
        return await self._enqueue(command, priority, timeout, retry, None)

    async def async_shell_merged(
        self, part: str, merge: Merge, *, timeout: float | None = None
    ) -> str:
        """Run `merge([part])`; parts queued back to back with the same `merge` run as one line.

        For commands that do the same in one line as in a row, such as key presses: a burst of
        keys from separate calls costs one round trip instead of one each. Only parts that
        directly follow each other among the user commands are merged, so nothing changes
        order; every caller gets the merged command's output or error. Never resent.
        """
        last = self._last_user_job
        if last is not None and last.accepts(merge, part):
            future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            last.parts.append((part, future))
            return await future
        return await self._enqueue(part, Priority.USER, timeout, False, merge)

    async def _enqueue(
        self,
        command: str,
        priority: Priority,
        timeout: float | None,
        retry: bool,
        merge: Merge | None,
    ) -> str:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._run_jobs(), name=f"xgimi_adb {self.host}")
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        job = _Job(
            priority,
            next(self._seq),
            [(command, future)],
            self.timeouts.command if timeout is None else timeout,
            retry,
            merge,
        )
        if priority is Priority.USER:
            self._last_user_job = job
        await self._queue.put(job)
        return await future

    async def _run_jobs(self) -> None:
        while True:
            job = await self._queue.get()
            job.started = True
            # Callers that gave up while they waited are left out.
            parts = [(text, future) for text, future in job.parts if not future.done()]
            if not parts:
                continue
            texts = [text for text, _ in parts]
            command = job.merge(texts) if job.merge is not None else texts[0]
            try:
                output = await self._execute(job, command)
            except asyncio.CancelledError:
                for _, future in parts:
                    future.cancel()
                raise
            except Exception as err:  # noqa: BLE001 - every failure goes to the callers
                for _, future in parts:
                    if not future.done():
                        future.set_exception(err)
            else:
                for _, future in parts:
                    if not future.done():  # a caller cancelled mid-command gets nothing
                        future.set_result(output)

    async def _execute(self, job: _Job, command: str) -> str:
        await self._ensure_connected(job.priority)
        try:
            return await self._send(command, job.timeout)
        except ConnectionLost, ProjectorTimeout:
            if not job.retry:
                raise
            _LOGGER.debug("retrying %r once after a broken connection", command)
            await self._ensure_connected(Priority.USER)
            return await self._send(command, job.timeout)

    async def _ensure_connected(self, priority: Priority) -> None:
        if self._device is not None:
            return
        if priority is Priority.POLL and time.monotonic() < self._next_attempt:
            # Keep reporting why the last attempt failed: a revoked key or a TLS-only port is
            # still an error while polls wait, not a projector that went away.
            last = self._last_connect_error
            if isinstance(last, (AuthRejected, TlsOnlyPort)):
                raise type(last)(str(last))
            raise ProjectorUnreachable("waiting before the next reconnect")
        try:
            await self.async_connect()
        except ProjectorError as err:
            self._last_connect_error = err
            self._failures += 1
            delay = min(self.timeouts.backoff_max, 2.0 ** min(self._failures, 6))
            self._next_attempt = time.monotonic() + delay
            raise

    async def _send(self, command: str, timeout: float) -> str:
        device = self._device
        assert device is not None
        self.round_trips += 1
        try:
            async with asyncio.timeout(timeout):
                output = await device.shell(
                    command,
                    transport_timeout_s=timeout,
                    read_timeout_s=timeout,
                    timeout_s=timeout,
                    decode=False,
                )
        except TimeoutError as err:
            await self.async_disconnect()
            raise ProjectorTimeout(f"no answer within {timeout} s") from err
        except _LINK_ERRORS as err:
            await self.async_disconnect()
            raise ConnectionLost(str(err) or type(err).__name__) from err
        assert isinstance(output, bytes)
        return output.decode("utf-8", errors="replace")


async def _close_quietly(device: AdbDeviceTcpAsync) -> None:
    try:
        async with asyncio.timeout(1):
            await device.close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail in any way
        _LOGGER.debug("error while closing a broken connection", exc_info=True)


def _connect_error(err: BaseException, *, prompted: bool) -> BaseException:
    """Translate what adb-shell raised while connecting."""
    if isinstance(err, asyncio.CancelledError):
        return err
    if isinstance(err, InvalidCommandError) and "STLS" in str(err):
        return TlsOnlyPort("the port only speaks TLS (Android wireless debugging)")
    if prompted:
        return AuthRejected("the key was not accepted on the projector")
    if isinstance(err, DeviceAuthError):
        return AuthRejected(str(err))
    if isinstance(err, ConnectionRefusedError):
        return ProjectorUnreachable("connection refused")
    if isinstance(err, (TimeoutError, TcpTimeoutException, AdbTimeoutError)):
        return ProjectorTimeout("no answer to the ADB handshake")
    if isinstance(err, (OSError, asyncio.IncompleteReadError, InvalidResponseError)):
        return ProjectorUnreachable(str(err) or type(err).__name__)
    if isinstance(err, InvalidCommandError):
        return ProjectorError(f"unexpected answer: {err}")
    return err
