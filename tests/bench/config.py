"""Settings of a benchmark run (no Home Assistant imports: the command line reads them)."""

from __future__ import annotations

from dataclasses import dataclass, fields
import json
import os
from pathlib import Path

ENV = "XGIMI_BENCH"  # JSON settings handed from `python -m tests.bench` to the pytest session


@dataclass
class BenchConfig:
    """How many samples of each kind (0 skips the scenario)."""

    profile: str = "gmui_android11"
    poll_samples: int = 10  # manual polls per side with the projector on (half as many off)
    baseline_polls: int = 3  # polls per side with the cost model off (the emulator's own cost)
    standby_polls: bool = True  # also measure polls in standby (costs a 10 s timeout once)
    key_samples: int = 10  # single keys per side
    bursts: int = 1  # bursts of `burst_size` separate service calls per side
    burst_size: int = 20
    one_call_bursts: int = 1  # `remote.send_command` with `burst_size` keys in one call
    # Seconds each side keeps making device-side changes (app launched, app playing, remote
    # HOME key, in turn) and timing them: a faster-polling side collects more samples.
    freshness_s: float = 70.0
    standby_cycles: int = 2  # standby -> notice -> power key -> accurate state
    reboots: int = 2
    reboot_down_s: float = 3.0
    seed: int = 5


def load_settings() -> tuple[BenchConfig, Path]:
    """Sample counts and output directory from the environment."""
    settings = json.loads(os.environ.get(ENV, "{}"))
    known = {f.name for f in fields(BenchConfig)}
    config = BenchConfig(**{k: v for k, v in settings.items() if k in known})
    return config, Path(settings.get("out_dir", ".bench"))
