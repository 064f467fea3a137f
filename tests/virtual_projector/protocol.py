"""ADB wire protocol: packet framing and constants, as adbd speaks it.

Spec: AOSP `docs/dev/protocol.md`, `adb.h`, `transport.cpp` (summarised in
shared/docs/xgimi-adb-facts.md part b).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
import struct

HEADER = struct.Struct("<6I")
HEADER_SIZE = HEADER.size

A_VERSION_MIN = 0x01000000
A_VERSION_SKIP_CHECKSUM = 0x01000001
A_VERSION = A_VERSION_SKIP_CHECKSUM
A_STLS_VERSION = 0x01000000
MAX_PAYLOAD_V1 = 4096
MAX_PAYLOAD = 1024 * 1024
TOKEN_SIZE = 20


class Command(IntEnum):
    """Packet commands (little-endian ASCII of the four letters)."""

    SYNC = 0x434E5953
    CNXN = 0x4E584E43
    AUTH = 0x48545541
    OPEN = 0x4E45504F
    OKAY = 0x59414B4F
    CLSE = 0x45534C43
    WRTE = 0x45545257
    STLS = 0x534C5453


class AuthType(IntEnum):
    """AUTH packet arg0 values."""

    TOKEN = 1
    SIGNATURE = 2
    RSAPUBLICKEY = 3


class ProtocolError(Exception):
    """The peer sent something adbd would drop the connection for."""


def checksum(data: bytes) -> int:
    """Return adb's payload checksum: the byte sum (the field is historically named crc32)."""
    return sum(data) & 0xFFFFFFFF


@dataclass(frozen=True, slots=True)
class Packet:
    """One ADB packet."""

    command: int
    arg0: int
    arg1: int
    data: bytes = b""

    @property
    def name(self) -> str:
        """Four-letter name, or hex for unknown commands."""
        try:
            return Command(self.command).name
        except ValueError:
            return f"0x{self.command:08x}"

    def encode(self, *, with_checksum: bool) -> bytes:
        """Serialise; peers below A_VERSION_SKIP_CHECKSUM need the checksum."""
        check = checksum(self.data) if with_checksum else 0
        magic = self.command ^ 0xFFFFFFFF
        header = HEADER.pack(self.command, self.arg0, self.arg1, len(self.data), check, magic)
        return header + self.data


@dataclass(frozen=True, slots=True)
class Header:
    """A decoded packet header whose payload has not been read yet."""

    command: int
    arg0: int
    arg1: int
    length: int
    check: int

    @classmethod
    def decode(cls, raw: bytes, max_payload: int) -> Header:
        """Validate a 24-byte header the way adbd's `check_header` does."""
        command, arg0, arg1, length, check, magic = HEADER.unpack(raw)
        if magic != command ^ 0xFFFFFFFF:
            raise ProtocolError(f"bad magic {magic:#x} for command {command:#x}")
        if length > max_payload:
            raise ProtocolError(f"payload of {length} bytes exceeds {max_payload}")
        return cls(command, arg0, arg1, length, check)


def banner_fields(banner: bytes) -> dict[str, str]:
    """Parse `type::key=value;key=value` banners (host or device) into a dict."""
    text = banner.rstrip(b"\0").decode(errors="replace")
    _, _, props = text.partition("::")
    fields: dict[str, str] = {}
    for item in props.split(";"):
        key, sep, value = item.partition("=")
        if sep:
            fields[key] = value
    return fields
