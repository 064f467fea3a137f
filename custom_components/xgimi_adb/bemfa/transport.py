"""What the link needs from a connection, whichever protocol carries it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Protocol

from .errors import BemfaConnectionLost, BemfaUnreachable

type MessageCallback = Callable[[str, str], None]


class Connection(Protocol):
    """One open, authenticated connection to Bemfa."""

    async def subscribe(self, topics: Sequence[str]) -> None:
        """Subscribe to `topics`; raise `BemfaAuthError` if the key is refused."""

    async def report(self, topic: str, payload: str) -> None:
        """Publish a state to `topic/set`: stored, pushed to everyone but us."""

    async def run(self, on_message: MessageCallback) -> None:
        """Read until the connection ends; raise `BemfaConnectionLost` when it does."""

    async def close(self) -> None:
        """Close the connection (idempotent)."""


async def open_stream(
    host: str, port: int, timeout: float
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open a TCP connection to Bemfa within `timeout`; `BemfaUnreachable` when that fails."""
    try:
        async with asyncio.timeout(timeout):
            return await asyncio.open_connection(host, port)
    except (OSError, TimeoutError) as err:
        raise BemfaUnreachable(f"cannot connect to {host}:{port}: {err!r}") from err


async def write_stream(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Send `data`; `BemfaConnectionLost` when the connection is closed or the write fails."""
    if writer.is_closing():
        raise BemfaConnectionLost("connection closed")
    try:
        writer.write(data)
        await writer.drain()
    except OSError as err:
        raise BemfaConnectionLost(f"write failed: {err!r}") from err
