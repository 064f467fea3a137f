"""Debian's real `adb` client (29.0.6) against the virtual projector.

adb announces the new protocol version (no checksums), opens `shell,v2,...` streams with exit
codes and uses `exec:` for exec-out: a second, independent client proves the daemon speaks ADB and
not just what adb-shell tolerates. Isolation: a private adb server port (-P), a private HOME (its
key lives in $HOME/.android), the device on an ephemeral port outside 5555-5585 (the adb server
probes those for emulators), and `kill-server` at teardown.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
import os
from pathlib import Path
import shutil
import socket

import pytest

from tests.virtual_projector import AuthPolicy, VirtualProjector

pytestmark = [
    pytest.mark.adb_client,
    pytest.mark.skipif(
        shutil.which("adb") is None, reason="Debian's adb is installed by scripts/setup"
    ),
]


@dataclass
class AdbResult:
    """What an adb invocation printed and returned."""

    returncode: int
    stdout: str
    stderr: str


def free_port() -> int:
    """Return an unused loopback TCP port for the private adb server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Adb:
    """Runs Debian's adb with a private server and HOME."""

    def __init__(self, home: Path) -> None:
        """Use `home` as HOME and a free port for the adb server."""
        self.home = home
        self.server_port = free_port()

    async def __call__(self, *args: str, timeout: float = 20.0) -> AdbResult:
        """Run `adb -P <port> args...`."""
        env = {"HOME": str(self.home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        proc = await asyncio.create_subprocess_exec(
            "adb",
            "-P",
            str(self.server_port),
            *args,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        async with asyncio.timeout(timeout):
            out, err = await proc.communicate()
        assert proc.returncode is not None
        return AdbResult(proc.returncode, out.decode(), err.decode())

    async def state_of(self, address: str) -> str:
        """Return the device's state column in `adb devices` ("device", "unauthorized", ...)."""
        devices = await self("devices")
        for line in devices.stdout.splitlines():
            if line.startswith(address):
                return line.split()[1]
        return "absent"

    async def wait_for_state(self, address: str, state: str, timeout: float = 10.0) -> None:
        """Poll `adb devices` until the device reaches a state."""
        async with asyncio.timeout(timeout):
            while await self.state_of(address) != state:
                await asyncio.sleep(0.1)


@pytest.fixture
async def adb(tmp_path: Path, socket_enabled: None) -> AsyncIterator[Adb]:
    """Provide a private adb server, killed afterwards."""
    client = Adb(tmp_path / "home")
    client.home.mkdir()
    yield client
    await client("kill-server")


@pytest.fixture
async def connected(adb: Adb, projector: VirtualProjector) -> VirtualProjector:
    """Adb connected and authorised (prompt accepted)."""
    result = await adb("connect", projector.address)
    assert result.returncode == 0, result
    await adb.wait_for_state(projector.address, "device")
    return projector


async def test_unauthorized_until_prompt_accepted(adb: Adb, projector: VirtualProjector) -> None:
    """An unknown key shows as unauthorized until the person taps Allow on the projector."""
    projector.set_auth_policy(AuthPolicy.REJECT)
    await adb("connect", projector.address)
    await adb.wait_for_state(projector.address, "unauthorized")
    assert len(projector.prompts) == 1
    assert projector.prompts[0].endswith("@unknown")

    assert await projector.accept_pending_prompts() == 1
    await adb.wait_for_state(projector.address, "device")
    devices = await adb("devices", "-l")
    model = projector.profile.props["ro.product.model"].replace(" ", "_")
    assert f"model:{model}" in devices.stdout


async def test_getprop(adb: Adb, connected: VirtualProjector) -> None:
    """`adb shell getprop ro.product.model` prints the model."""
    result = await adb("-s", connected.address, "shell", "getprop", "ro.product.model")
    assert result.returncode == 0
    assert result.stdout == f"{connected.profile.props['ro.product.model']}\n"
    assert connected.received_services[-1].service.startswith("shell,v2,")


async def test_shell_v2_exit_codes_and_stderr(adb: Adb, connected: VirtualProjector) -> None:
    """Shell protocol v2 carries the exit status and keeps stderr apart."""
    result = await adb("-s", connected.address, "shell", "echo out; echo err >&2; exit 3")
    assert result.returncode == 3
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"
    ok = await adb("-s", connected.address, "shell", "true")
    assert ok.returncode == 0


async def test_shell_v1_with_x(adb: Adb, connected: VirtualProjector) -> None:
    """`adb shell -x` uses the legacy `shell:` service: output only, no exit status."""
    result = await adb("-s", connected.address, "shell", "-x", "echo legacy; exit 3")
    assert result.stdout == "legacy\n"
    assert result.returncode == 0
    assert connected.received_services[-1].service == "shell:echo legacy; exit 3"


async def test_exec_out(adb: Adb, connected: VirtualProjector) -> None:
    """`adb exec-out` opens `exec:` and returns raw bytes."""
    result = await adb("-s", connected.address, "exec-out", "getprop", "ro.build.version.sdk")
    assert result.stdout == f"{connected.profile.props['ro.build.version.sdk']}\n"
    assert connected.received_services[-1].service == "exec:getprop 'ro.build.version.sdk'"


async def test_unknown_command_is_shell_text(adb: Adb, connected: VirtualProjector) -> None:
    """A tool that Android lacks fails in the shell, exactly like on a device."""
    result = await adb("-s", connected.address, "shell", "frobnicate")
    assert result.returncode == 127
    assert "frobnicate: inaccessible or not found" in result.stderr


async def test_stls_port_fails_to_connect(adb: Adb, projector: VirtualProjector) -> None:
    """A wireless-debugging (TLS) port: adb 29 cannot pair or speak TLS, so it is offline."""
    projector.faults.stls_only = True
    result = await adb("connect", projector.address)
    assert "failed to connect" in result.stdout + result.stderr or (
        await adb.state_of(projector.address) in ("offline", "absent")
    )
    assert await adb.state_of(projector.address) != "device"


async def test_refused_connection(adb: Adb, projector: VirtualProjector) -> None:
    """Standby with the network down: adb reports the refusal."""
    await projector.refuse_connections()
    result = await adb("connect", projector.address)
    assert "Connection refused" in result.stdout + result.stderr
