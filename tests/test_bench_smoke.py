"""Smoke test of the benchmark machinery (`scripts/bench`), with tiny sample counts.

Both integrations (this one and Home Assistant's built-in `androidtv`) are loaded in one Home
Assistant against two virtual projectors, the bench runs one sample of the cheap scenarios, and
the report is written. No timing is asserted (machines are noisy): only that every scenario
produced its samples and that the counts the bench measures are the ones known from the code
(one round trip per poll for this integration, six shell streams for androidtv on an awake
Android 11 projector), that every key reached the device, and that the table shows them.
"""

from __future__ import annotations

import json
from pathlib import Path

from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from homeassistant.core import HomeAssistant

from custom_components.xgimi_adb.const import DOMAIN
from tests.bench.config import BenchConfig
from tests.bench.report import build_report, markdown_table, write_outputs
from tests.bench.runner import Bench
from tests.bench.sides import bench_sides
from tests.bench.util import run_metadata
from tests.virtual_projector.costs import CostModel, starts_vm

TINY = BenchConfig(
    poll_samples=2,
    baseline_polls=1,
    standby_polls=False,
    key_samples=1,
    bursts=1,
    burst_size=3,
    one_call_bursts=1,
    freshness_s=0.0,
    standby_cycles=0,
    reboots=0,
)


def test_cost_model_is_off_by_default_and_charges_the_java_vm() -> None:
    """Off: nothing costs anything; on: `input` below Android 12 pays for a VM, `cmd input` not."""
    model = CostModel()
    assert model.tool_cost(["input", "keyevent", "3"], 30) == 0.0
    assert model.shell_cost() == 0.0
    model.enabled = True
    assert starts_vm("input", 30) and not starts_vm("input", 31) and not starts_vm("cmd", 30)
    vm = model.tool_cost(["input", "keyevent", "3"], 30)
    assert vm == model.process_s + model.vm_s
    assert model.tool_cost(["cmd", "input", "keyevent", "3"], 30) == model.process_s
    assert model.tool_cost(["dumpsys", "power"], 30) > model.process_s


async def test_bench_runs_both_integrations(
    hass: HomeAssistant,
    socket_enabled: None,
    adb_key_path: Path,
    adb_signer: PythonRSASigner,
    tmp_path: Path,
) -> None:
    """One sample of each cheap scenario; the report has every row, nothing dropped."""
    async with bench_sides(hass, adb_key_path, adb_signer, TINY.profile, tmp_path) as sides:
        assert sides.ours.entry.domain == DOMAIN
        raw = await Bench(hass, sides, TINY).run()
        # The cost model is switched off again for whatever runs next.
        assert not sides.ours.projector.costs.enabled
        assert not sides.anchor.projector.costs.enabled

    samples = raw["samples"]
    assert samples["poll_on_round_trips"] == {"ours": [1, 1], "anchor": [6, 6]}
    assert samples["poll_screen_off_round_trips"] == {"ours": [1], "anchor": [1]}
    for side in ("ours", "anchor"):
        assert len(samples["poll_on_emulator_only_time"][side]) == 1
        assert all(size > 0 for size in samples["poll_on_bytes"][side])
        assert len(samples["key_single"][side]) == 1
        assert len(samples["key_burst"][side]) == 3
        assert len(samples["key_one_call_total"][side]) == 1
        assert raw["counts"]["keys_sent"][side] == 1 + 3 + 3
        assert raw["counts"]["keys_dropped"][side] == 0
    assert raw["lag"]["all"], "the event-loop lag probe ran"

    report = build_report(raw, run_metadata())
    table = markdown_table(report)
    assert "| Poll, on: ADB round trips (streams opened) | 2/2 | 1 | 1 | 1 | 6 | 6 | 6 |" in table
    assert "3 keys in one remote.send_command" in table
    json_path, md_path = await hass.async_add_executor_job(write_outputs, report, tmp_path)
    written = json.loads(json_path.read_text())
    assert written["summary"]["poll_on_round_trips"]["ours"]["p50"] == 1
    assert "Keys dropped, anchor: 0 of 7" in md_path.read_text()
