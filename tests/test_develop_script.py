"""`scripts/develop` (onboarding, projector, dashboard; idempotent; clean stop) and the `ctl` CLI."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import signal
import sys

import aiohttp

from custom_components.xgimi_adb.const import DOMAIN
from tests.develop.bootstrap import DASHBOARD_URL_PATH, DEMO_PASSWORD, DEMO_USERNAME
from tests.develop.harness import ROOT, Develop, free_port, unexpected_exceptions


async def http_status(url: str) -> int | None:
    """Status code of a GET, or None while nothing answers."""
    try:
        async with aiohttp.ClientSession() as session, session.get(url) as response:
            return response.status
    except aiohttp.ClientError:
        return None


async def test_develop_sets_up_once_and_stops(socket_enabled: None, tmp_path: Path) -> None:
    """First run onboards and pairs through the config flow; the second run reuses all of it."""
    first = Develop(tmp_path)
    async with first:
        assert await http_status(f"{first.base_url}/api/") == 401  # the REST API wants a token
        _, writer = await asyncio.open_connection("127.0.0.1", first.adb_port)
        writer.close()
    progress = "\n".join(first.develop_lines())
    assert f"onboarding: creating the demo user '{DEMO_USERNAME}'" in progress
    assert "integration: config flow for 127.0.0.1" in progress
    assert f"/{DASHBOARD_URL_PATH}/" in first.dashboard_url
    assert first.returncode in (0, 130, -signal.SIGINT), first.log[-3000:]
    assert await http_status(f"{first.base_url}/api/") is None  # Home Assistant stopped
    assert not unexpected_exceptions(first.log), first.log[-5000:]
    # Stopped cleanly: Home Assistant wrote its storage (the entry the config flow created).
    entries = (first.config_dir / ".storage" / "core.config_entries").read_text()
    assert DOMAIN in entries, first.log[-6000:]

    second = Develop(tmp_path, http_port=first.http_port, adb_port=first.adb_port)
    async with second:
        pass
    progress = "\n".join(second.develop_lines())
    assert f"logged in as '{DEMO_USERNAME}'" in progress
    assert "creating the demo user" not in progress
    assert "integration: already configured" in progress
    assert second.device_url == first.device_url  # the same device, not a second entry
    assert not unexpected_exceptions(second.log), second.log[-5000:]
    assert DEMO_PASSWORD in progress  # printed for the person at the keyboard


async def run_cli(*args: str) -> tuple[int, str]:
    """Run `python -m tests.virtual_projector ARGS`; exit code and output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.virtual_projector",
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(60):
        output, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, output.decode()


async def test_cli_plays_the_person_with_the_remote(socket_enabled: None, tmp_path: Path) -> None:
    """`ctl` commands reach a running projector through its control socket and change it."""
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.virtual_projector",
        "--port",
        str(free_port()),
        "--state-dir",
        str(tmp_path),
        "--no-stdin",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        assert server.stdout is not None
        async with asyncio.timeout(60):
            await server.stdout.readline()  # "virtual projector ... on 127.0.0.1:PORT"
        state_dir = ("--state-dir", str(tmp_path))
        assert (await run_cli(*state_dir, "ctl", "key", "right"))[0] == 0
        assert (await run_cli(*state_dir, "send", "key", "4"))[0] == 0  # the older spelling
        assert (await run_cli(*state_dir, "ctl", "app", "com.ktcp.video"))[0] == 0
        assert (await run_cli(*state_dir, "ctl", "play"))[0] == 0
        code, answer = await run_cli(*state_dir, "ctl", "state")
        state = json.loads(answer)
        assert code == 0
        assert state["keys"] == [22, 4]
        assert state["foreground"] == "com.ktcp.video"
        assert state["playback"] == "playing"
        assert (await run_cli(*state_dir, "ctl", "power", "screen_off"))[0] == 0
        assert json.loads((await run_cli(*state_dir, "ctl", "state"))[1])["power"] == "screen_off"
        code, answer = await run_cli(*state_dir, "ctl", "frobnicate")
        assert code == 1
        assert answer.startswith("unknown command: frobnicate")
    finally:
        server.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            await server.wait()
    assert server.returncode == 0
    assert not (tmp_path / "control.sock").exists()
