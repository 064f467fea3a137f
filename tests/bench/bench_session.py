"""The benchmark as one pytest session (collected only when `python -m tests.bench` names it).

Running inside pytest reuses Home Assistant's test harness (`hass`, loopback sockets, the
session ADB key) exactly as the tests use it; the settings come from the `XGIMI_BENCH`
environment variable that `tests/bench/__main__.py` sets (config.py).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from homeassistant.core import HomeAssistant
import pytest

from custom_components.xgimi_adb.const import DOMAIN
from tests.bench.config import load_settings
from tests.bench.report import build_report, write_outputs
from tests.bench.runner import Bench
from tests.bench.sides import bench_sides
from tests.bench.util import run_metadata

assert DOMAIN == "xgimi_adb"


@pytest.fixture(autouse=True)
async def enable_event_loop_debug() -> None:
    """Measure the loop as Home Assistant runs it: asyncio debug mode off (tests turn it on)."""
    asyncio.get_running_loop().set_debug(False)


async def test_benchmark(
    hass: HomeAssistant,
    socket_enabled: None,
    adb_key_path: Path,
    adb_signer: PythonRSASigner,
    tmp_path: Path,
) -> None:
    """Run every scenario against both integrations; write results.json and results.md."""
    config, out_dir = load_settings()
    async with bench_sides(hass, adb_key_path, adb_signer, config.profile, tmp_path) as sides:
        raw = await Bench(hass, sides, config).run()
    report = build_report(raw, run_metadata())
    await hass.async_add_executor_job(write_outputs, report, out_dir)
