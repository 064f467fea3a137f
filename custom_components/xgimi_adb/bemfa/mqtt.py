"""A minimal MQTT 3.1.1 client for Bemfa: QoS 0/1 only (QoS 2 gets accounts banned).

CONNECT with the private key as client id, SUBSCRIBE at QoS 1, PUBLISH QoS 1 with PUBACK,
PINGREQ keepalive. Nothing else of MQTT is needed, so nothing else is implemented.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
import contextlib
import itertools
import logging
import struct
import time

from .errors import BemfaAuthError, BemfaConnectionLost, BemfaUnreachable
from .transport import MessageCallback, open_stream, write_stream

_LOGGER = logging.getLogger(__name__)

CONNECT, CONNACK, PUBLISH, PUBACK = 1, 2, 3, 4
SUBSCRIBE, SUBACK, PINGREQ, PINGRESP, DISCONNECT = 8, 9, 12, 13, 14
QOS_1 = 1
# CONNACK codes meaning "this client id (the private key) is not accepted".
_REFUSED_KEY = {2: "identifier rejected", 4: "bad user name or password", 5: "not authorized"}
MAX_PACKET = 64 * 1024  # Bemfa messages are short; anything larger is a broken stream


def _string(value: str) -> bytes:
    data = value.encode()
    return struct.pack("!H", len(data)) + data


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        length, digit = divmod(length, 128)
        out.append(digit | (0x80 if length else 0))
        if not length:
            return bytes(out)


def packet(kind: int, flags: int, body: bytes) -> bytes:
    """One MQTT packet: fixed header (type, flags, remaining length), then the body."""
    return bytes([kind << 4 | flags]) + _remaining_length(len(body)) + body


def connect_packet(client_id: str, keepalive: int) -> bytes:
    """CONNECT, MQTT 3.1.1, clean session, no user name or password."""
    header = _string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", keepalive)
    return packet(CONNECT, 0, header + _string(client_id))


async def read_packet(reader: asyncio.StreamReader) -> tuple[int, int, bytes]:
    """Read one packet: (type, flags, body)."""
    first = (await reader.readexactly(1))[0]
    length, shift = 0, 0
    for _ in range(4):
        digit = (await reader.readexactly(1))[0]
        length |= (digit & 0x7F) << shift
        if not digit & 0x80:
            break
        shift += 7
    else:
        raise BemfaConnectionLost("malformed MQTT remaining length")
    if length > MAX_PACKET:
        raise BemfaConnectionLost(f"MQTT packet of {length} bytes")
    return first >> 4, first & 0x0F, await reader.readexactly(length)


def parse_publish(flags: int, body: bytes) -> tuple[str, str, int, int | None]:
    """(topic, payload, qos, packet id) of a PUBLISH body."""
    (size,) = struct.unpack_from("!H", body)
    topic = body[2 : 2 + size].decode(errors="replace")
    offset, qos, packet_id = 2 + size, (flags >> 1) & 0x03, None
    if qos:
        (packet_id,) = struct.unpack_from("!H", body, offset)
        offset += 2
    return topic, body[offset:].decode(errors="replace"), qos, packet_id


class MqttConnection:
    """One MQTT connection to Bemfa; `run()` must be running for subscribe/report to finish."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        keepalive: int,
        timeout: float,
    ) -> None:
        """Wrap an accepted connection (use `open`)."""
        self._reader, self._writer = reader, writer
        self._keepalive, self._timeout = keepalive, timeout
        self._ids = itertools.cycle(range(1, 65536))
        self._pending: dict[int, asyncio.Future[bytes]] = {}
        self._last_tx = time.monotonic()
        self._pong = asyncio.Event()

    @classmethod
    async def open(
        cls, host: str, port: int, key: str, *, keepalive: int = 60, timeout: float = 10.0
    ) -> MqttConnection:
        """Connect and authenticate; `BemfaAuthError` when the key is refused."""
        reader, writer = await open_stream(host, port, timeout)
        connection = cls(reader, writer, keepalive, timeout)
        try:
            async with asyncio.timeout(timeout):
                writer.write(connect_packet(key, keepalive))
                await writer.drain()
                kind, _, body = await read_packet(reader)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as err:
            await connection.close()
            raise BemfaUnreachable(f"no CONNACK from {host}:{port}: {err!r}") from err
        except BaseException:
            await connection.close()
            raise
        if kind != CONNACK or len(body) != 2 or body[1] != 0:
            await connection.close()
            code = body[1] if kind == CONNACK and len(body) == 2 else None
            if code in _REFUSED_KEY:
                raise BemfaAuthError(f"private key refused ({_REFUSED_KEY[code]})")
            raise BemfaUnreachable(f"connection refused (packet {kind}, code {code})")
        return connection

    async def subscribe(self, topics: Sequence[str]) -> None:
        """Subscribe to `topics` at QoS 1 (never 2)."""
        packet_id = next(self._ids)
        body = struct.pack("!H", packet_id) + b"".join(
            _string(topic) + bytes([QOS_1]) for topic in topics
        )
        granted = await self._request(packet(SUBSCRIBE, 0x02, body), packet_id)
        if any(code == 0x80 for code in granted):
            raise BemfaAuthError("subscription refused")

    async def report(self, topic: str, payload: str) -> None:
        """Publish `payload` to `topic/set` at QoS 1 and wait for the PUBACK."""
        packet_id = next(self._ids)
        body = _string(f"{topic}/set") + struct.pack("!H", packet_id) + payload.encode()
        await self._request(packet(PUBLISH, QOS_1 << 1, body), packet_id)

    async def _request(self, data: bytes, packet_id: int) -> bytes:
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[packet_id] = future
        try:
            await self._send(data)
            async with asyncio.timeout(self._timeout):
                return await future
        except TimeoutError as err:
            raise BemfaConnectionLost("no acknowledgement from the broker") from err
        finally:
            self._pending.pop(packet_id, None)

    async def _send(self, data: bytes) -> None:
        self._last_tx = time.monotonic()
        await write_stream(self._writer, data)

    async def run(self, on_message: MessageCallback) -> None:
        """Read packets and keep the connection alive until it ends."""
        pinger = asyncio.create_task(self._keep_alive())
        try:
            while True:
                try:
                    kind, flags, body = await read_packet(self._reader)
                except (OSError, asyncio.IncompleteReadError) as err:
                    raise BemfaConnectionLost(f"connection closed: {err!r}") from err
                await self._handle(kind, flags, body, on_message)
                if pinger.done():
                    pinger.result()  # raises why the keepalive gave up
        finally:
            pinger.cancel()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(BemfaConnectionLost("connection closed"))
            await self.close()

    async def _handle(
        self, kind: int, flags: int, body: bytes, on_message: MessageCallback
    ) -> None:
        if kind == PUBLISH:
            topic, payload, qos, packet_id = parse_publish(flags, body)
            if qos == QOS_1 and packet_id is not None:
                await self._send(packet(PUBACK, 0, struct.pack("!H", packet_id)))
            on_message(topic, payload)
        elif kind in (PUBACK, SUBACK) and len(body) >= 2:
            (packet_id,) = struct.unpack_from("!H", body)
            future = self._pending.get(packet_id)
            if future is not None and not future.done():
                future.set_result(body[2:])
        elif kind == PINGRESP:
            self._pong.set()
        else:
            _LOGGER.debug("ignoring MQTT packet type %s", kind)

    async def _keep_alive(self) -> None:
        """PINGREQ after half a keepalive without sending; no answer within the timeout: dead."""
        interval = self._keepalive / 2
        while True:
            await asyncio.sleep(max(0.0, self._last_tx + interval - time.monotonic()))
            if time.monotonic() - self._last_tx < interval:
                continue
            self._pong.clear()
            await self._send(packet(PINGREQ, 0, b""))
            try:
                async with asyncio.timeout(self._timeout):
                    await self._pong.wait()
            except TimeoutError:
                self._writer.close()  # wakes the reader, which reports the loss
                raise BemfaConnectionLost("no PINGRESP from the broker") from None

    async def close(self) -> None:
        """Send DISCONNECT if possible and close the socket."""
        if self._writer.is_closing():
            return
        with contextlib.suppress(OSError):
            self._writer.write(packet(DISCONNECT, 0, b""))
        self._writer.close()
        try:
            async with asyncio.timeout(1):
                await self._writer.wait_closed()
        except OSError, TimeoutError:
            pass
