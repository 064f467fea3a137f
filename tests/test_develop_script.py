"""`scripts/develop` starts Home Assistant and the virtual projector, serves HTTP, stops cleanly."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
import signal
import socket

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """Return an unused loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def http_status(port: int, path: str) -> int | None:
    """Status code of a GET on 127.0.0.1, or None while nothing answers."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return None
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    status_line = await reader.readline()
    writer.close()
    parts = status_line.split()
    return int(parts[1]) if len(parts) > 1 else None


async def test_develop_serves_and_stops(socket_enabled: None, tmp_path: Path) -> None:
    """Home Assistant answers on its HTTP port, the projector on its ADB port; SIGINT ends both."""
    http_port, adb_port = free_port(), free_port()
    env = os.environ | {
        "XGIMI_DEVELOP_PORT": str(http_port),
        "XGIMI_DEVELOP_ADB_PORT": str(adb_port),
        "XGIMI_DEVELOP_CONFIG": str(tmp_path / "config"),
    }
    proc = await asyncio.create_subprocess_exec(
        "bash",
        str(ROOT / "scripts" / "develop"),
        env=env,
        cwd=ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        async with asyncio.timeout(240):
            while (status := await http_status(http_port, "/api/")) is None:
                assert proc.returncode is None, "scripts/develop exited early"
                await asyncio.sleep(0.5)
        assert status == 401  # the REST API is up and asks for a token
        _, writer = await asyncio.open_connection("127.0.0.1", adb_port)
        writer.close()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        async with asyncio.timeout(60):
            output, _ = await proc.communicate()
    log = output.decode(errors="replace")
    assert proc.returncode in (0, 130, -signal.SIGINT), log[-3000:]
    assert await http_status(http_port, "/api/") is None
    assert "Traceback" not in log, log[-3000:]
