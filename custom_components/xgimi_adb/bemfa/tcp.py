"""Bemfa's TCP line protocol ("TCP创客云", port 8344): `key=value&…` lines ending in CRLF.

`cmd=1` subscribes (at most 8 topics per line), `cmd=2` publishes, pushes arrive as
`cmd=2&uid=…&topic=T&msg=M`, and any line is a heartbeat (the server drops a client silent for
65 s). Whether `ping` is answered is unknown, so liveness is checked by re-subscribing (which is
acknowledged) when nothing was received for a while.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
import time

from .errors import BemfaAuthError, BemfaConnectionLost, BemfaError
from .transport import MessageCallback, open_stream, write_stream

MAX_TOPICS_PER_SUBSCRIBE = 8
MAX_LINE = 4096


def parse_line(line: str) -> dict[str, str]:
    """Fields of a line; `msg` is everything after `&msg=` (it may contain `&` and `=`)."""
    head, sep, msg = line.partition("&msg=")
    if not sep and line.startswith("msg="):
        head, msg, sep = "", line[4:], "msg="
    fields = dict(part.partition("=")[::2] for part in head.split("&") if part)
    if sep:
        fields["msg"] = msg
    return fields


class TcpConnection:
    """One TCP line-protocol connection; `run()` must be running for acknowledgements."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        key: str,
        heartbeat: float,
        timeout: float,
    ) -> None:
        """Wrap a connected socket (use `open`)."""
        self._reader, self._writer, self._key = reader, writer, key
        self._heartbeat, self._timeout = heartbeat, timeout
        self._acks: deque[asyncio.Future[bool]] = deque()  # cmd=1 replies come in order
        self._topics: list[str] = []
        self._last_rx = time.monotonic()

    @classmethod
    async def open(
        cls, host: str, port: int, key: str, *, heartbeat: float = 30.0, timeout: float = 10.0
    ) -> TcpConnection:
        """Connect (the key is only checked by the first subscription)."""
        reader, writer = await open_stream(host, port, timeout)
        return cls(reader, writer, key, heartbeat, timeout)

    async def subscribe(self, topics: Sequence[str]) -> None:
        """Subscribe in lines of at most 8 topics, each acknowledged with `res=1`."""
        self._topics = list(topics)
        for start in range(0, len(topics), MAX_TOPICS_PER_SUBSCRIBE):
            chunk = ",".join(topics[start : start + MAX_TOPICS_PER_SUBSCRIBE])
            if not await self._subscribe_line(chunk):
                raise BemfaAuthError("subscription refused (res=0): wrong private key?")

    async def _subscribe_line(self, topics: str) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._acks.append(future)
        await self._send(f"cmd=1&uid={self._key}&topic={topics}")
        try:
            async with asyncio.timeout(self._timeout):
                return await future
        except TimeoutError as err:
            raise BemfaConnectionLost("subscription not acknowledged") from err

    async def report(self, topic: str, payload: str) -> None:
        """Publish to `topic/set` (the reply carries nothing the bridge needs)."""
        await self._send(f"cmd=2&uid={self._key}&topic={topic}/set&msg={payload}")

    async def _send(self, line: str) -> None:
        await write_stream(self._writer, f"{line}\r\n".encode())

    async def run(self, on_message: MessageCallback) -> None:
        """Read lines, send heartbeats, and check liveness until the connection ends."""
        beater = asyncio.create_task(self._heartbeats())
        try:
            while True:
                try:
                    raw = await self._reader.readuntil(b"\n")
                except asyncio.LimitOverrunError as err:
                    raise BemfaConnectionLost("line too long") from err
                except (OSError, asyncio.IncompleteReadError) as err:
                    raise BemfaConnectionLost(f"connection closed: {err!r}") from err
                self._last_rx = time.monotonic()
                self._handle(parse_line(raw.decode(errors="replace").strip()), on_message)
                if beater.done():
                    beater.result()
        finally:
            beater.cancel()
            for future in self._acks:
                if not future.done():
                    future.set_exception(BemfaConnectionLost("connection closed"))
            await self.close()

    def _handle(self, fields: dict[str, str], on_message: MessageCallback) -> None:
        if "msg" in fields and "topic" in fields:
            on_message(fields["topic"], fields["msg"])
        elif fields.get("cmd") == "1" and "res" in fields and self._acks:
            future = self._acks.popleft()
            if not future.done():
                future.set_result(fields["res"] == "1")

    async def _heartbeats(self) -> None:
        """`ping` every heartbeat; after two heartbeats of silence, re-subscribe as a probe."""
        while True:
            await asyncio.sleep(self._heartbeat)
            if time.monotonic() - self._last_rx > 2 * self._heartbeat and self._topics:
                try:
                    await self.subscribe(self._topics)
                except BemfaError:
                    self._writer.close()
                    raise
            else:
                await self._send("ping")

    async def close(self) -> None:
        """Close the socket (idempotent)."""
        if self._writer.is_closing():
            return
        self._writer.close()
        try:
            async with asyncio.timeout(1):
                await self._writer.wait_closed()
        except OSError, TimeoutError:
            pass
