"""Turn raw benchmark results into JSON and a markdown table (ours, anchor, ours ÷ anchor)."""

from __future__ import annotations

from dataclasses import dataclass
import json
import math
from pathlib import Path
from typing import Any

from .stats import summarize


@dataclass(frozen=True)
class Row:
    """One line of the table."""

    key: str  # metric name in the results
    label: str
    unit: str  # "ms", "s", "B" or "" (a count)


ROWS = (
    Row("poll_on_emulator_only_time", "Poll, on, cost model off: time (emulator only)", "ms"),
    Row("poll_on_round_trips", "Poll, on: ADB round trips (streams opened)", ""),
    Row("poll_on_bytes", "Poll, on: bytes on the wire", "B"),
    Row("poll_on_tools", "Poll, on: device tool processes", ""),
    Row("poll_on_time", "Poll, on: time per update", "ms"),
    Row("poll_screen_off_round_trips", "Poll, screen off: ADB round trips", ""),
    Row("poll_screen_off_bytes", "Poll, screen off: bytes on the wire", "B"),
    Row("poll_screen_off_tools", "Poll, screen off: device tool processes", ""),
    Row("poll_screen_off_time", "Poll, screen off: time per update", "ms"),
    Row("poll_standby_round_trips", "Poll, standby (network down): ADB round trips", ""),
    Row("poll_standby_time", "Poll, standby: time per update", "ms"),
    Row("standby_first_poll", "First poll after the network went down", "s"),
    Row("key_single", "Command latency, single key (call → device)", "ms"),
    Row("key_burst", "Command latency, burst of {burst} calls, per key", "ms"),
    Row("key_burst_total", "Burst of {burst} calls: first call → last key", "s"),
    Row("key_one_call_total", "{burst} keys in one remote.send_command → last key", "s"),
    Row("fresh_app", "Freshness: app launched on device → HA", "s"),
    Row("fresh_playing", "Freshness: app starts playing → HA", "s"),
    Row("fresh_remote_key", "Freshness: remote HOME key → HA", "s"),
    Row("fresh_all", "Freshness: all device-side changes", "s"),
    Row("standby_notice", "Standby (network down) → HA off/unavailable", "s"),
    Row("recover_standby", "Recovery: standby → on, back → accurate", "s"),
    Row("recover_reboot", "Recovery: reboot, back → accurate", "s"),
)
SIDES = ("ours", "anchor")
SCALE = {"ms": 1000.0, "s": 1.0, "B": 1.0, "": 1.0}


def build_report(raw: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    """Summaries of every metric (and the raw samples) as one JSON-ready dict."""
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for metric, by_side in raw["samples"].items():
        summary[metric] = {side: summarize(values) for side, values in by_side.items()}
    lag = {name: summarize(values) for name, values in raw["lag"].items()}
    return {"meta": meta, "summary": summary, "lag_summary": lag, "raw": raw}


def _fmt(value: float, unit: str) -> str:
    if math.isnan(value):
        return "—"
    scaled = value * SCALE[unit]
    if unit == "s":
        return f"{scaled:.2f} s"
    if unit == "ms":
        return f"{scaled:.0f} ms"
    if unit == "B":
        return f"{scaled:,.0f} B"
    return f"{scaled:.0f}" if scaled == round(scaled) else f"{scaled:.1f}"


def _ratio(ours: float, anchor: float) -> str:
    if math.isnan(ours) or math.isnan(anchor) or anchor == 0:
        return "—"
    return f"{ours / anchor:.2f}×"


def _stats(report: dict[str, Any], key: str, side: str) -> dict[str, float]:
    found: dict[str, float] = report["summary"].get(key, {}).get(side, {})
    return found or {"p50": math.nan, "p95": math.nan, "p99": math.nan, "n": 0}


def markdown_table(report: dict[str, Any]) -> str:
    """Return the results table (markdown), one line per metric, then drops and event-loop lag."""
    head = (
        "| Metric | n ours/anchor | ours p50 | ours p95 | ours p99 "
        "| anchor p50 | anchor p95 | anchor p99 | ours ÷ anchor p50 | ours ÷ anchor p99 |"
    )
    lines = [head, "|" + "---|" * 10]
    for row in ROWS:
        ours, anchor = _stats(report, row.key, "ours"), _stats(report, row.key, "anchor")
        if not ours["n"] and not anchor["n"]:
            continue
        label = row.label.format(burst=report["raw"]["config"]["burst_size"])
        cells = [label, f"{ours['n']:.0f}/{anchor['n']:.0f}"]
        cells += [_fmt(ours[p], row.unit) for p in ("p50", "p95", "p99")]
        cells += [_fmt(anchor[p], row.unit) for p in ("p50", "p95", "p99")]
        cells += [_ratio(ours["p50"], anchor["p50"]), _ratio(ours["p99"], anchor["p99"])]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append(_lag_row(report, "Event-loop lag during its own polls (p50 / p99 / max)", SIDES))
    lines.append(_lag_row(report, "Event-loop lag, whole run (p50 / p99 / max)", ("all", "all")))
    return "\n".join(lines) + "\n"


def _lag_row(report: dict[str, Any], label: str, names: tuple[str, str]) -> str:
    cells = [label]
    lags = report["lag_summary"]
    counts = "/".join(f"{lags.get(name, {}).get('n', 0):.0f}" for name in names)
    cells.append(counts)
    for name in names:
        lag = lags.get(name, {"max": math.nan, "p99": math.nan, "p50": math.nan})
        cells += [_fmt(lag["p50"], "ms"), _fmt(lag["p99"], "ms"), f"max {_fmt(lag['max'], 'ms')}"]
    ours, anchor = lags.get(names[0], {}), lags.get(names[1], {})
    if names[0] == names[1]:
        cells += ["—", "—"]
    else:
        cells += [
            _ratio(ours.get("p50", math.nan), anchor.get("p50", math.nan)),
            _ratio(ours.get("p99", math.nan), anchor.get("p99", math.nan)),
        ]
    return "| " + " | ".join(cells) + " |"


def summary_lines(report: dict[str, Any]) -> list[str]:
    """Context printed above the table: machine, settings, drops and errors."""
    meta, raw = report["meta"], report["raw"]
    counts = raw["counts"]
    intervals = raw["poll_intervals"]
    lines = [
        (
            f"Date (UTC): {meta['date']} · CPU cores: {meta['cpu_count']} · "
            f"profile: {raw['config']['profile']} · run time: {raw['duration_s']:.0f} s"
        ),
        (
            f"Home Assistant {meta['ha_version']}, Python {meta['python']}; "
            f"androidtv {meta['androidtv_version']}, adb-shell {meta['adb_shell_version']}"
        ),
        "Polling intervals (default, on / off): "
        + ", ".join(f"{side} {on:g} s / {off:g} s" for side, (on, off) in intervals.items()),
        "Cost model: " + _cost_text(raw["cost_model"]),
    ]
    for side in SIDES:
        sent = counts.get("keys_sent", {}).get(side, 0)
        dropped = counts.get("keys_dropped", {}).get(side, 0)
        errors = counts.get("command_errors", {}).get(side, 0)
        lines.append(
            f"Keys dropped, {side}: {dropped} of {sent} (service calls that raised: {errors})"
        )
    lost = {k: v for k, v in counts.items() if k not in {"keys_sent", "keys_dropped"}}
    if lost:
        lines.append(f"Other counters: {json.dumps(lost, sort_keys=True)}")
    return lines


def _cost_text(cost: dict[str, Any]) -> str:
    work = ", ".join(f"{tool} +{s * 1000:g} ms" for tool, s in cost["tool_work_s"].items())
    return (
        f"sh -c {cost['shell_s'] * 1000:g} ms per stream, {cost['process_s'] * 1000:g} ms per "
        f"tool process ({work}), Java VM +{cost['vm_s'] * 1000:g} ms for "
        f"{', '.join(cost['vm_tools'])} and input below SDK {cost['input_starts_vm_below_sdk']}"
    )


def _finite(value: Any) -> Any:
    """Replace NaN (no samples) with null: JSON has no NaN."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(key): _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def write_outputs(report: dict[str, Any], out_dir: Path) -> tuple[Path, Path]:
    """Write `results.json` and `results.md` into `out_dir`; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "results.json", out_dir / "results.md"
    json_path.write_text(json.dumps(_finite(report), indent=1, sort_keys=True) + "\n")
    text = "\n".join(f"- {line}" for line in summary_lines(report))
    md_path.write_text(text + "\n\n" + markdown_table(report))
    return json_path, md_path
