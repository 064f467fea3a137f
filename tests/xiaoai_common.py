"""Fixtures and helpers shared by the Xiao Ai bridge tests (import the fixtures by name)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import pytest

from custom_components.xgimi_adb import xiaoai
from tests.bemfa_emulator import BemfaEmulator
from tests.entities_common import make_fast


@pytest.fixture(name="fast_bridge")
def fast_bridge_fixture(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shorten the ADB and Bemfa time limits (everything is on loopback)."""
    make_fast(monkeypatch)
    monkeypatch.setattr(xiaoai, "BACKOFF_MIN", 0.05)
    monkeypatch.setattr(xiaoai, "BACKOFF_MAX", 0.3)
    monkeypatch.setattr(xiaoai, "TIMEOUT", 2.0)


@pytest.fixture(name="bemfa")
async def bemfa_fixture(socket_enabled: None) -> AsyncIterator[BemfaEmulator]:
    """Run the Bemfa cloud on loopback."""
    async with BemfaEmulator() as emulator:
        yield emulator


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (polling) until `condition()` holds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)
