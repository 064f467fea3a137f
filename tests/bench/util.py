"""Facts about the run: date, machine and versions."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.metadata import version
import os
import platform

from homeassistant.const import __version__ as HA_VERSION


def run_metadata() -> dict[str, object]:
    """Return what the results were measured on."""
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M"),
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "ha_version": HA_VERSION,
        "androidtv_version": version("androidtv"),
        "adb_shell_version": version("adb-shell"),
    }
