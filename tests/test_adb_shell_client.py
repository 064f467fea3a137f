"""adb-shell 0.4.4 (async), the library Home Assistant uses, against the virtual projector.

Every test goes through the real ADB wire protocol on 127.0.0.1: handshake, RSA authentication,
streams and checksums (adb-shell announces the old protocol version, so every device packet must
carry a correct byte-sum or adb-shell raises InvalidChecksumError).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from adb_shell.adb_device_async import AdbDeviceTcpAsync
from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from adb_shell.exceptions import DeviceAuthError, TcpTimeoutException
import pytest

from tests.virtual_projector import AuthPolicy, VirtualProjector

TIMEOUT_S = 5.0


@pytest.fixture
async def client(trusted_projector: VirtualProjector) -> AsyncIterator[AdbDeviceTcpAsync]:
    """Return an adb-shell client, not connected yet."""
    device = AdbDeviceTcpAsync(
        trusted_projector.host, trusted_projector.port, default_transport_timeout_s=TIMEOUT_S
    )
    yield device
    await device.close()


async def connect(
    projector: VirtualProjector, signer: PythonRSASigner, auth_timeout_s: float = 2.0
) -> AdbDeviceTcpAsync:
    """Connect a fresh adb-shell client with one key."""
    device = AdbDeviceTcpAsync(
        projector.host, projector.port, default_transport_timeout_s=TIMEOUT_S
    )
    await device.connect(rsa_keys=[signer], auth_timeout_s=auth_timeout_s, read_timeout_s=TIMEOUT_S)
    return device


async def test_known_key_connects_without_prompt(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """A trusted key signs the token and the device goes online with no prompt."""
    device = await connect(trusted_projector, adb_signer)
    assert device.available
    assert await device.shell("getprop ro.product.model") == (
        f"{trusted_projector.profile.props['ro.product.model']}\n"
    )
    assert trusted_projector.prompts == []
    await device.close()


async def test_output_is_byte_exact(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Binary output, every byte value, arrives unchanged (checksummed packets)."""
    device = await connect(trusted_projector, adb_signer)
    script = 'i=0; while [ $i -lt 256 ]; do printf "\\\\$(printf %o $i)"; i=$((i+1)); done'
    raw = await device.shell(script, decode=False)
    assert raw == bytes(range(256))
    await device.close()


async def test_large_output_is_chunked_and_complete(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """2 MiB of output crosses several maxdata-sized WRTE packets with flow control."""
    device = await connect(trusted_projector, adb_signer)
    output = await device.shell("head -c 2097152 /dev/zero | tr '\\0' 'x'", decode=False)
    assert output == b"x" * 2097152
    await device.close()


async def test_exec_out_returns_raw_output(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """`exec:` runs the command with no shell protocol."""
    device = await connect(trusted_projector, adb_signer)
    assert await device.exec_out("echo exec-ok") == "exec-ok\n"
    assert [s.service for s in trusted_projector.received_services][-1] == "exec:echo exec-ok"
    await device.close()


async def test_new_key_accepted_on_screen_is_remembered(
    projector: VirtualProjector, adb_signer: PythonRSASigner, adb_key_path: Path
) -> None:
    """First connection prompts; "Always allow" means the next one signs in silently."""
    device = await connect(projector, adb_signer)
    assert await device.shell("echo hi") == "hi\n"
    await device.close()
    assert projector.prompts == [Path(f"{adb_key_path}.pub").read_text().strip()]
    assert len(projector.keys) == 1

    again = await connect(projector, adb_signer)
    assert again.available
    assert len(projector.prompts) == 1  # no second prompt
    await again.close()


async def test_new_key_rejected_times_out(
    projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Rejecting (or ignoring) the prompt leaves the client waiting until its auth timeout."""
    projector.set_auth_policy(AuthPolicy.REJECT)
    with pytest.raises(TcpTimeoutException):
        await connect(projector, adb_signer, auth_timeout_s=0.5)
    assert len(projector.prompts) == 1
    assert len(projector.keys) == 0


async def test_prompt_answered_late(
    projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """A person who takes 1 s to accept: a 0.3 s auth timeout fails, a 3 s one succeeds."""
    projector.set_auth_policy(AuthPolicy.DELAY, delay_s=1.0)
    with pytest.raises(TcpTimeoutException):
        await connect(projector, adb_signer, auth_timeout_s=0.3)
    projector.keys.revoke_all()  # the late acceptance of the first attempt was stored; start over
    device = await connect(projector, adb_signer, auth_timeout_s=3.0)
    assert await device.shell("echo late") == "late\n"
    await device.close()


async def test_no_keys_is_an_auth_error(trusted_projector: VirtualProjector) -> None:
    """A client without keys cannot get past AUTH."""
    device = AdbDeviceTcpAsync(
        trusted_projector.host, trusted_projector.port, default_transport_timeout_s=TIMEOUT_S
    )
    with pytest.raises(DeviceAuthError):
        await device.connect(rsa_keys=[], auth_timeout_s=0.5)
    await device.close()


async def test_unknown_key_is_not_trusted_by_signature(
    trusted_projector: VirtualProjector, other_adb_key_path: Path
) -> None:
    """A different key's signature is rejected, so the device falls back to the prompt."""
    trusted_projector.set_auth_policy(AuthPolicy.REJECT)
    other = PythonRSASigner.FromRSAKeyPath(str(other_adb_key_path))
    with pytest.raises(TcpTimeoutException):
        await connect(trusted_projector, other, auth_timeout_s=0.3)
    assert len(trusted_projector.prompts) == 1


async def test_always_allow_survives_restart(
    socket_enabled: None, tmp_path: Path, adb_signer: PythonRSASigner
) -> None:
    """Trusted keys persist in the state directory, like /data/misc/adb/adb_keys."""
    async with VirtualProjector(state_dir=tmp_path) as first:
        await (await connect(first, adb_signer)).close()
        assert len(first.prompts) == 1
    async with VirtualProjector(state_dir=tmp_path) as second:
        second.set_auth_policy(AuthPolicy.REJECT)
        device = await connect(second, adb_signer)
        assert second.prompts == []
        await device.close()


async def test_sequential_commands_on_one_connection(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Stream ids keep counting on one connection; each command gets its own output."""
    device = await connect(trusted_projector, adb_signer)
    outputs = [await device.shell(f"echo {n}") for n in range(20)]
    assert outputs == [f"{n}\n" for n in range(20)]
    assert trusted_projector.received_commands[-20:] == [f"echo {n}" for n in range(20)]
    await device.close()
