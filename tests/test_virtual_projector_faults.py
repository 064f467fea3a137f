"""Every fault knob of the virtual projector, and what an ADB client (adb-shell) sees.

These are the failure modes real projectors show (standby taking the network down, half-open
TCP after deep sleep, reboots, revoked keys, Android 11's TLS-only wireless-debugging port, old
adbd versions, slow or garbled command output); the integration's fault suite builds on them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import time

from adb_shell.adb_device_async import AdbDeviceTcpAsync
from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from adb_shell.exceptions import AdbTimeoutError, InvalidCommandError, TcpTimeoutException
import pytest

from tests.raw_adb import RawAdbClient
from tests.virtual_projector import (
    AuthPolicy,
    AuthSettings,
    OutputFault,
    PowerState,
    VirtualProjector,
)
from tests.virtual_projector.protocol import A_VERSION, A_VERSION_MIN, MAX_PAYLOAD, Command, Packet

TIMEOUT_S = 2.0
# What adb-shell raises when the device stops answering or the connection breaks.
LINK_ERRORS = (OSError, TcpTimeoutException, AdbTimeoutError, asyncio.IncompleteReadError)


async def connect(projector: VirtualProjector, signer: PythonRSASigner) -> AdbDeviceTcpAsync:
    """adb-shell, connected with short timeouts."""
    device = AdbDeviceTcpAsync(
        projector.host, projector.port, default_transport_timeout_s=TIMEOUT_S
    )
    await device.connect(rsa_keys=[signer], auth_timeout_s=0.5, read_timeout_s=TIMEOUT_S)
    return device


def power_of(projector: VirtualProjector) -> PowerState:
    """Read the power state afresh (a function call keeps mypy from narrowing across awaits)."""
    return projector.device.power


def pending_drop(projector: VirtualProjector) -> int | None:
    """Return the armed one-shot mid-stream drop, if any."""
    return projector.faults.drop_mid_stream_after


async def test_command_latency(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """A slow device: every command takes at least the injected latency."""
    device = await connect(trusted_projector, adb_signer)
    trusted_projector.faults.command_latency_s = 0.4
    started = time.monotonic()
    assert await device.shell("echo slow") == "slow\n"
    assert time.monotonic() - started >= 0.4
    await device.close()


async def test_refused_connections(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Refusal: connect fails with ConnectionRefusedError; lifting it restores service."""
    await trusted_projector.refuse_connections()
    with pytest.raises(ConnectionRefusedError):
        await connect(trusted_projector, adb_signer)
    await trusted_projector.refuse_connections(False)
    device = await connect(trusted_projector, adb_signer)
    assert await device.shell("echo back") == "back\n"
    await device.close()


async def test_half_open(trusted_projector: VirtualProjector, adb_signer: PythonRSASigner) -> None:
    """Half-open: TCP connects, then nothing answers; open connections go silent too."""
    device = await connect(trusted_projector, adb_signer)
    await trusted_projector.set_half_open()
    with pytest.raises(LINK_ERRORS):
        await device.shell("echo lost", read_timeout_s=0.5, transport_timeout_s=0.5)
    fresh = AdbDeviceTcpAsync(
        trusted_projector.host, trusted_projector.port, default_transport_timeout_s=0.5
    )
    with pytest.raises(LINK_ERRORS):
        await fresh.connect(rsa_keys=[adb_signer], auth_timeout_s=0.5, read_timeout_s=0.5)
    assert "echo lost" not in trusted_projector.received_commands
    await device.close()


async def test_drop_mid_stream(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """The TCP connection is reset after part of the output; the next connection works."""
    device = await connect(trusted_projector, adb_signer)
    trusted_projector.faults.drop_mid_stream_after = 100_000
    with pytest.raises(LINK_ERRORS):
        await device.shell("head -c 300000 /dev/zero", read_timeout_s=1.0, transport_timeout_s=1.0)
    assert pending_drop(trusted_projector) is None  # one-shot
    await device.close()
    again = await connect(trusted_projector, adb_signer)
    assert await again.shell("echo ok") == "ok\n"
    await again.close()


async def test_reboot(trusted_projector: VirtualProjector, adb_signer: PythonRSASigner) -> None:
    """Reboot: connections drop, the port refuses while booting, then the device is back on."""
    device = await connect(trusted_projector, adb_signer)
    await trusted_projector.reboot(down_s=0.5)
    with pytest.raises(LINK_ERRORS):
        await device.shell("echo gone", read_timeout_s=0.5, transport_timeout_s=0.5)
    with pytest.raises(ConnectionRefusedError):
        await connect(trusted_projector, adb_signer)
    await trusted_projector.wait_until_listening()
    back = await connect(trusted_projector, adb_signer)
    assert trusted_projector.device.power == PowerState.ON
    assert trusted_projector.device.foreground == trusted_projector.profile.launcher_package
    await back.close()
    await device.close()


async def test_reboot_service(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """`adb reboot` (the `reboot:` service) takes the device down the same way."""
    trusted_projector.reboot_duration_s = 0.3
    device = await connect(trusted_projector, adb_signer)
    await device.reboot(transport_timeout_s=0.5, read_timeout_s=0.5)
    assert trusted_projector.received_services[-1].service == "reboot:"
    await asyncio.sleep(0.1)
    assert not trusted_projector.daemon.listening
    await trusted_projector.wait_until_listening()
    await device.close()


async def test_revoked_keys(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Revoking authorizations forces the prompt again; unanswered, auth times out."""
    await (await connect(trusted_projector, adb_signer)).close()
    trusted_projector.revoke_keys()
    trusted_projector.set_auth_policy(AuthPolicy.REJECT)
    with pytest.raises(TcpTimeoutException):
        await connect(trusted_projector, adb_signer)
    assert len(trusted_projector.prompts) == 1


async def test_stls_only(trusted_projector: VirtualProjector, adb_signer: PythonRSASigner) -> None:
    """Android 11 wireless-debugging port: adb-shell cannot speak STLS."""
    trusted_projector.faults.stls_only = True
    with pytest.raises(InvalidCommandError):
        await connect(trusted_projector, adb_signer)
    async with RawAdbClient(trusted_projector.host, trusted_projector.port) as raw:
        greeting = await raw.connect_no_auth()
    assert (greeting.command, greeting.arg0) == (Command.STLS, 0x01000000)


async def test_legacy_profile(
    socket_enabled: None, tmp_path: Path, adb_signer: PythonRSASigner, adb_key_path: Path
) -> None:
    """Pre-N adbd: old version, checksums both ways, 4096-byte payloads, no shell_v2."""
    async with VirtualProjector(state_dir=tmp_path, legacy=True) as legacy:
        legacy.keys.trust(Path(f"{adb_key_path}.pub").read_text())
        device = await connect(legacy, adb_signer)
        assert await device.shell("head -c 10000 /dev/zero | tr '\\0' y") == "y" * 10000
        await device.close()
        async with RawAdbClient(legacy.host, legacy.port) as raw:
            raw.send(Command.CNXN, A_VERSION, MAX_PAYLOAD, b"host::raw\0")
            token = await raw.read()
            assert token.command == Command.AUTH
        legacy.auth.required = False
        async with RawAdbClient(legacy.host, legacy.port) as raw:
            cnxn = await raw.connect_no_auth()
            assert (cnxn.arg0, cnxn.arg1) == (A_VERSION_MIN, 4096)
            assert b"shell_v2" not in cnxn.data
            raw.send(Command.OPEN, 1, 0, b"shell,v2,raw:echo v2\0")
            assert (await raw.read()).command == Command.CLSE
            # pre-P adbd verifies checksums: a corrupted one gets the connection dropped
            bad = bytearray(
                Packet(Command.OPEN, 2, 0, b"shell:echo x\0").encode(with_checksum=True)
            )
            bad[16] ^= 0xFF
            raw.send_raw(bytes(bad))
            assert raw.reader is not None
            assert await asyncio.wait_for(raw.reader.read(), 5) == b""


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        (OutputFault.EMPTY, lambda out, real: out == b""),
        (
            OutputFault.TRUNCATED,
            lambda out, real: 0 < len(out) < len(real) and real.startswith(out),
        ),
        (OutputFault.GARBAGE, lambda out, real: out != real and len(out) > 0),
        (OutputFault.OVERSIZED, lambda out, real: out.startswith(real) and len(out) > 2_000_000),
    ],
)
async def test_output_faults(
    trusted_projector: VirtualProjector,
    adb_signer: PythonRSASigner,
    fault: OutputFault,
    check: object,
) -> None:
    """Corrupted output for one chosen command; other commands are untouched."""
    device = await connect(trusted_projector, adb_signer)
    real = await device.shell("dumpsys power", decode=False)
    trusted_projector.faults.output_faults["dumpsys power"] = fault
    corrupted = await device.shell("dumpsys power", decode=False, read_timeout_s=10)
    assert callable(check) and check(corrupted, real)
    assert await device.shell("echo fine") == "fine\n"
    await device.close()


async def test_standby_takes_the_network_down(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """GMUI standby: the open connection goes silent, new ones are refused, the remote wakes it."""
    device = await connect(trusted_projector, adb_signer)
    await trusted_projector.set_power(PowerState.STANDBY)
    with pytest.raises(LINK_ERRORS):
        await device.shell("echo asleep", read_timeout_s=0.5, transport_timeout_s=0.5)
    with pytest.raises(ConnectionRefusedError):
        await connect(trusted_projector, adb_signer)
    await trusted_projector.press_key(26)  # the physical remote's power key
    await trusted_projector.wait_until_listening()
    awake = await connect(trusted_projector, adb_signer)
    assert await awake.shell("dumpsys power | grep mWakefulness=") == "  mWakefulness=Awake\n"
    await awake.close()
    await device.close()


async def test_screen_off_keeps_adb(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Screen off (KEYCODE_SLEEP): ADB stays reachable and reports Asleep."""
    device = await connect(trusted_projector, adb_signer)
    await device.shell("input keyevent 223")
    assert power_of(trusted_projector) == PowerState.SCREEN_OFF
    assert "mWakefulness=Asleep" in await device.shell("dumpsys power")
    await device.shell("input keyevent 224")
    assert power_of(trusted_projector) == PowerState.ON
    await device.close()


async def test_no_auth_projector(socket_enabled: None, tmp_path: Path) -> None:
    """`ro.adb.secure=0` devices: CNXN answers CNXN directly."""
    async with VirtualProjector(
        state_dir=tmp_path, auth=AuthSettings(required=False)
    ) as open_device:
        device = AdbDeviceTcpAsync(
            open_device.host, open_device.port, default_transport_timeout_s=TIMEOUT_S
        )
        await device.connect(rsa_keys=[], auth_timeout_s=0.5)
        assert await device.shell("echo open") == "open\n"
        await device.close()
