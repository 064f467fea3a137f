"""What the link needs from a connection, whichever protocol carries it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

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
