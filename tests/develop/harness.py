"""Run `scripts/develop` from a test: free ports, a config dir of the test's own, its output."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
import os
from pathlib import Path
import re
import signal
import socket
from types import TracebackType
from typing import Self

ROOT = Path(__file__).resolve().parent.parent.parent
READY = re.compile(r"^develop: ready: (?P<dashboard>\S+) .*device (?P<device>\S+)$")
STARTUP_TIMEOUT = 420.0  # first start, onboarding and pairing on a busy shared machine
STOP_TIMEOUT = 60.0

# Exceptions Home Assistant's own onboarding causes here, not this project: finishing the
# core-config step starts the flows of met, radio_browser and google_translate, whose Python
# requirements are not installed (scripts/develop runs `hass --skip-pip`, without internet).
EXPECTED_EXCEPTIONS = frozenset(
    {
        "ModuleNotFoundError: No module named 'metno'",
        "ModuleNotFoundError: No module named 'radios'",
        "ModuleNotFoundError: No module named 'gtts'",
    }
)
_EXCEPTION_LINE = re.compile(
    r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b.*$", re.MULTILINE
)


def free_port() -> int:
    """Return an unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def unexpected_exceptions(log: str) -> list[str]:
    """Return the final lines of tracebacks in `log`, except Home Assistant's known ones."""
    return [line for line in _EXCEPTION_LINE.findall(log) if line not in EXPECTED_EXCEPTIONS]


@dataclass
class Develop:
    """One `scripts/develop` run; `async with` starts it and waits until it is set up."""

    base_dir: Path
    http_port: int = field(default_factory=free_port)
    adb_port: int = field(default_factory=free_port)
    lines: list[str] = field(default_factory=list)
    dashboard_url: str = ""
    device_url: str = ""
    returncode: int | None = None
    _proc: asyncio.subprocess.Process | None = None
    _reader: asyncio.Task[None] | None = None

    @property
    def config_dir(self) -> Path:
        """Home Assistant's config directory."""
        return self.base_dir / "config"

    @property
    def projector_state_dir(self) -> Path:
        """The virtual projector's state dir (its control socket lives there)."""
        return self.base_dir / "projector"

    @property
    def base_url(self) -> str:
        """Home Assistant's URL."""
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log(self) -> str:
        """Everything the script and its children printed so far."""
        return "\n".join(self.lines)

    def develop_lines(self) -> list[str]:
        """Return the script's own progress lines (`develop: ...`)."""
        return [line for line in self.lines if line.startswith("develop: ")]

    async def __aenter__(self) -> Self:
        """Start the script and wait for its `ready` line."""
        env = os.environ | {
            "XGIMI_DEVELOP_PORT": str(self.http_port),
            "XGIMI_DEVELOP_ADB_PORT": str(self.adb_port),
            "XGIMI_DEVELOP_CONFIG": str(self.config_dir),
        }
        self._proc = await asyncio.create_subprocess_exec(
            "bash",
            str(ROOT / "scripts" / "develop"),
            env=env,
            cwd=ROOT,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        reader = self._reader = asyncio.create_task(self._read_output())
        try:
            async with asyncio.timeout(STARTUP_TIMEOUT):
                while not self.dashboard_url and not reader.done():
                    await asyncio.sleep(0.5)
        finally:
            if not self.dashboard_url:
                await self.stop()
        assert self.dashboard_url, f"scripts/develop exited early:\n{self.log[-4000:]}"
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop it (Ctrl-C, like a person)."""
        await self.stop()

    async def _read_output(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        async for raw in self._proc.stdout:
            line = raw.decode(errors="replace").rstrip("\n")
            self.lines.append(line)
            if match := READY.match(line):
                self.dashboard_url, self.device_url = match["dashboard"], match["device"]

    async def stop(self) -> None:
        """SIGINT to the whole process group, then wait for everything to end."""
        proc = self._proc
        if proc is None or self.returncode is not None:
            return
        if proc.returncode is None:
            os.killpg(proc.pid, signal.SIGINT)
        async with asyncio.timeout(STOP_TIMEOUT):
            self.returncode = await proc.wait()
            if self._reader is not None:
                await self._reader
