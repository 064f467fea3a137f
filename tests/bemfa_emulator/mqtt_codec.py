"""The broker side of MQTT 3.1.1 framing (written apart from the bridge's client on purpose)."""

from __future__ import annotations

import asyncio
import struct

CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC = 1, 2, 3, 4, 5
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK = 8, 9, 10, 11
PINGREQ, PINGRESP, DISCONNECT = 12, 13, 14
NAMES = {
    CONNECT: "CONNECT",
    CONNACK: "CONNACK",
    PUBLISH: "PUBLISH",
    PUBACK: "PUBACK",
    PUBREC: "PUBREC",
    SUBSCRIBE: "SUBSCRIBE",
    SUBACK: "SUBACK",
    UNSUBSCRIBE: "UNSUBSCRIBE",
    UNSUBACK: "UNSUBACK",
    PINGREQ: "PINGREQ",
    PINGRESP: "PINGRESP",
    DISCONNECT: "DISCONNECT",
}
CONNACK_ACCEPTED, CONNACK_BAD_PROTOCOL, CONNACK_NOT_AUTHORIZED = 0, 1, 5


class MalformedPacket(Exception):
    """The client sent bytes that are not MQTT 3.1.1."""


def encode_length(length: int) -> bytes:
    """MQTT variable-length integer."""
    out = bytearray()
    while True:
        length, digit = divmod(length, 128)
        out.append(digit | (0x80 if length else 0))
        if not length:
            return bytes(out)


def frame(kind: int, flags: int, body: bytes = b"") -> bytes:
    """Return the fixed header plus the body."""
    return bytes([(kind << 4) | flags]) + encode_length(len(body)) + body


def utf8(value: str) -> bytes:
    """Length-prefixed UTF-8 string."""
    data = value.encode()
    return struct.pack("!H", len(data)) + data


class Cursor:
    """Reads the fields of a packet body."""

    def __init__(self, body: bytes) -> None:
        """Start at the first byte."""
        self.body, self.offset = body, 0

    def u8(self) -> int:
        """One byte."""
        if self.offset >= len(self.body):
            raise MalformedPacket("truncated")
        self.offset += 1
        return self.body[self.offset - 1]

    def u16(self) -> int:
        """Two bytes, big endian."""
        return (self.u8() << 8) | self.u8()

    def string(self) -> str:
        """Length-prefixed UTF-8."""
        size = self.u16()
        if self.offset + size > len(self.body):
            raise MalformedPacket("string past the end")
        self.offset += size
        return self.body[self.offset - size : self.offset].decode()

    def rest(self) -> bytes:
        """Everything left."""
        return self.body[self.offset :]

    @property
    def done(self) -> bool:
        """Whether every byte was read."""
        return self.offset >= len(self.body)


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, int, bytes]:
    """(type, flags, body) of the next packet."""
    first = (await reader.readexactly(1))[0]
    multiplier, length = 1, 0
    for _ in range(4):
        digit = (await reader.readexactly(1))[0]
        length += (digit & 0x7F) * multiplier
        if not digit & 0x80:
            return first >> 4, first & 0x0F, await reader.readexactly(length)
        multiplier *= 128
    raise MalformedPacket("remaining length over 4 bytes")
