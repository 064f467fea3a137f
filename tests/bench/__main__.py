"""`python -m tests.bench`: run the benchmark, print the table, write JSON and markdown.

The benchmark runs as a pytest session (Home Assistant's test harness, loopback only) over
`tests/bench/bench_session.py` (in a child process), then prints `.bench/results.md`.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict, fields
import json
import os
from pathlib import Path
import subprocess
import sys

from .config import ENV, BenchConfig

SESSION = Path(__file__).with_name("bench_session.py")
# The virtual projector's firmware profiles (tests/virtual_projector/profiles.py); importing them
# here would load the device model before pytest's Home Assistant plugin, which must come first.
MAX_BURST = 20  # len(sides.HARMLESS_KEYS)
PROFILES = ("gmui_android11", "gmui_android9", "androidtv_10", "googletv_12")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line: profile, sample counts, output directory."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    defaults = BenchConfig()
    parser.add_argument("--profile", choices=PROFILES, default=defaults.profile)
    parser.add_argument("--out", type=Path, default=Path(".bench"), help="output directory")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    for item in fields(BenchConfig):
        if item.name in {"profile", "seed"}:
            continue
        default = getattr(defaults, item.name)
        flag = f"--{item.name.replace('_', '-')}"
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=default)
        else:
            parser.add_argument(
                flag, type=type(default), default=default, help=f"default {default}"
            )
    parser.add_argument("--quick", action="store_true", help="tiny sample counts (smoke run)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest output")
    return parser.parse_args(argv)


def config_from(args: argparse.Namespace) -> BenchConfig:
    """BenchConfig from the parsed options (`--quick` shrinks every count)."""
    config = BenchConfig(**{f.name: getattr(args, f.name) for f in fields(BenchConfig)})
    if args.quick:
        config = BenchConfig(
            profile=config.profile,
            poll_samples=2,
            baseline_polls=1,
            key_samples=2,
            bursts=1,
            burst_size=5,
            one_call_bursts=1,
            freshness_s=15.0,
            standby_cycles=1,
            reboots=1,
            seed=config.seed,
        )
    return config


def main(argv: list[str] | None = None) -> int:
    """Run the session, then print the table."""
    args = parse_args(argv)
    if not 1 <= args.burst_size <= MAX_BURST:
        sys.stderr.write(f"--burst-size must be 1..{MAX_BURST} (distinct harmless keys)\n")
        return 2
    out_dir = args.out.resolve()
    env = dict(os.environ)
    env[ENV] = json.dumps({**asdict(config_from(args)), "out_dir": str(out_dir)})
    pytest_args = [str(SESSION), "-p", "no:cacheprovider", "--no-cov", "-x"]
    pytest_args += ["-s", "-v", "--log-cli-level=INFO"] if args.verbose else ["-q"]
    # A process of its own: pytest's Home Assistant plugin must be imported before HA itself.
    code = subprocess.run(
        [sys.executable, "-m", "pytest", *pytest_args], env=env, check=False
    ).returncode
    results = out_dir / "results.md"
    if code != 0 or not results.exists():
        sys.stderr.write(f"benchmark failed (pytest exit code {code})\n")
        return int(code) or 1
    sys.stdout.write("\n" + results.read_text())
    sys.stdout.write(f"\nWritten: {out_dir / 'results.json'}, {results}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
