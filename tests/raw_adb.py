"""A minimal ADB host written against the spec, to probe the daemon below what clients expose."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Self

from tests.virtual_projector.protocol import (
    A_VERSION,
    HEADER_SIZE,
    MAX_PAYLOAD,
    Command,
    Header,
    Packet,
    checksum,
)


class RawAdbClient:
    """Sends and receives single packets; checks every received checksum and magic."""

    def __init__(self, host: str, port: int, *, version: int = A_VERSION) -> None:
        """Prepare a client for host:port announcing `version`."""
        self.host = host
        self.port = port
        self.version = version
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> Self:
        """Open the TCP connection."""
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the TCP connection."""
        assert self.writer is not None
        self.writer.close()

    def send(self, command: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        """Send one packet with a checksum (valid for every protocol version)."""
        assert self.writer is not None
        self.writer.write(Packet(command, arg0, arg1, data).encode(with_checksum=True))

    def send_raw(self, raw: bytes) -> None:
        """Send arbitrary bytes."""
        assert self.writer is not None
        self.writer.write(raw)

    async def read(self, timeout: float = 5.0) -> Packet:
        """Read one packet; the checksum must be right unless the device sent 0 (skip)."""
        assert self.reader is not None
        async with asyncio.timeout(timeout):
            header = Header.decode(await self.reader.readexactly(HEADER_SIZE), MAX_PAYLOAD)
            data = await self.reader.readexactly(header.length) if header.length else b""
        if header.check:
            assert header.check == checksum(data), "bad checksum from the device"
        return Packet(header.command, header.arg0, header.arg1, data)

    async def read_raw_header(self, timeout: float = 5.0) -> Header:
        """Read a header only (to look at the checksum field)."""
        assert self.reader is not None
        async with asyncio.timeout(timeout):
            return Header.decode(await self.reader.readexactly(HEADER_SIZE), MAX_PAYLOAD)

    async def connect_no_auth(self) -> Packet:
        """CNXN and return the device's first answer."""
        self.send(Command.CNXN, self.version, MAX_PAYLOAD, b"host::raw\0")
        return await self.read()

    async def run(self, local_id: int, service: str) -> bytes:
        """OPEN a stream, acknowledge every WRTE, return all data up to CLSE."""
        self.send(Command.OPEN, local_id, 0, service.encode() + b"\0")
        okay = await self.read()
        assert okay.command == Command.OKAY, okay.name
        output = bytearray()
        while True:
            packet = await self.read()
            if packet.command == Command.CLSE:
                self.send(Command.CLSE, local_id, packet.arg0)
                return bytes(output)
            assert packet.command == Command.WRTE
            output += packet.data
            self.send(Command.OKAY, local_id, packet.arg0)
