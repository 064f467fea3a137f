"""The daemon's wire protocol, probed packet by packet with a spec-written raw client.

These pin the details clients rely on but do not show: checksum rules per negotiated version,
version/maxdata negotiation, the token/signature/public-key dance, stream ids, flow control,
concurrent streams and refusal of unknown services.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

from adb_shell.auth.sign_pythonrsa import PythonRSASigner
import pytest

from tests.raw_adb import RawAdbClient
from tests.virtual_projector import AuthSettings, VirtualProjector
from tests.virtual_projector.adbd import AdbDaemon
from tests.virtual_projector.auth import (
    InvalidPublicKey,
    decode_android_pubkey,
    encode_android_pubkey,
    verify_token_signature,
)
from tests.virtual_projector.protocol import (
    A_VERSION,
    A_VERSION_MIN,
    MAX_PAYLOAD,
    AuthType,
    Command,
    banner_fields,
    checksum,
)


@pytest.fixture
async def open_projector(socket_enabled: None, tmp_path: Path) -> AsyncIterator[VirtualProjector]:
    """Run a projector that needs no authentication (like `ro.adb.secure=0`)."""
    projector = VirtualProjector(state_dir=tmp_path, auth=AuthSettings(required=False))
    await projector.start()
    yield projector
    await projector.stop()


async def test_new_client_gets_no_checksums(open_projector: VirtualProjector) -> None:
    """A peer announcing A_VERSION_SKIP_CHECKSUM gets data_check=0 and the negotiated maxdata."""
    async with RawAdbClient(open_projector.host, open_projector.port) as raw:
        raw.send(Command.CNXN, A_VERSION, 256 * 1024, b"host::raw\0")
        header = await raw.read_raw_header()
        assert header.command == Command.CNXN
        assert (header.arg0, header.arg1) == (A_VERSION, 256 * 1024)
        assert header.check == 0


async def test_old_client_gets_checksums_everywhere(open_projector: VirtualProjector) -> None:
    """adb-shell announces A_VERSION_MIN: every device payload carries the byte sum."""
    async with RawAdbClient(open_projector.host, open_projector.port, version=A_VERSION_MIN) as raw:
        cnxn = await raw.connect_no_auth()
        assert cnxn.command == Command.CNXN
        assert cnxn.arg0 == A_VERSION  # the device states its own maximum
        fields = banner_fields(cnxn.data)
        assert fields["ro.product.model"] == open_projector.profile.props["ro.product.model"]
        assert "shell_v2" in fields["features"].split(",")
        raw.send(Command.OPEN, 7, 0, b"shell:echo sum\0")
        okay = await raw.read()
        assert (okay.command, okay.arg1) == (Command.OKAY, 7)
        header = await raw.read_raw_header()
        assert header.command == Command.WRTE
        data = await raw.reader.readexactly(header.length)  # type: ignore[union-attr]
        assert data == b"sum\n"
        assert header.check == checksum(b"sum\n") != 0


async def test_auth_token_signature_and_retry(
    projector: VirtualProjector, adb_signer: PythonRSASigner, adb_key_path: Path
) -> None:
    """Wrong signature → a new token; right signature (after trusting) → CNXN."""
    async with RawAdbClient(projector.host, projector.port) as raw:
        raw.send(Command.CNXN, A_VERSION, MAX_PAYLOAD, b"host::raw\0")
        first = await raw.read()
        assert (first.command, first.arg0, len(first.data)) == (Command.AUTH, AuthType.TOKEN, 20)
        raw.send(Command.AUTH, AuthType.SIGNATURE, 0, adb_signer.Sign(first.data))
        second = await raw.read()
        assert second.command == Command.AUTH and second.data != first.data
        projector.keys.trust(Path(f"{adb_key_path}.pub").read_text())
        raw.send(Command.AUTH, AuthType.SIGNATURE, 0, adb_signer.Sign(second.data))
        online = await raw.read()
        assert online.command == Command.CNXN


async def test_streams_before_auth_are_ignored(projector: VirtualProjector) -> None:
    """OPEN before the device is online gets nothing and runs nothing."""
    async with RawAdbClient(projector.host, projector.port) as raw:
        raw.send(Command.CNXN, A_VERSION, MAX_PAYLOAD, b"host::raw\0")
        assert (await raw.read()).command == Command.AUTH
        raw.send(Command.OPEN, 1, 0, b"shell:touch /data/local/tmp/x\0")
        with pytest.raises(TimeoutError):
            await raw.read(timeout=0.3)
    assert projector.received_commands == []


async def test_unknown_service_is_closed(open_projector: VirtualProjector) -> None:
    """Unknown services and empty shells get CLSE(0, local) like adbd."""
    async with RawAdbClient(open_projector.host, open_projector.port) as raw:
        await raw.connect_no_auth()
        for local_id, service in ((3, b"jdwp:123\0"), (4, b"sync:\0"), (5, b"shell:\0")):
            raw.send(Command.OPEN, local_id, 0, service)
            answer = await raw.read()
            assert (answer.command, answer.arg0, answer.arg1) == (Command.CLSE, 0, local_id)


async def test_canned_services(open_projector: VirtualProjector) -> None:
    """root:/tcpip: print what a production adbd prints."""
    async with RawAdbClient(open_projector.host, open_projector.port) as raw:
        await raw.connect_no_auth()
        assert await raw.run(1, "root:") == b"adbd cannot run as root in production builds\n"
        assert await raw.run(2, "tcpip:5555") == b"restarting in TCP mode port: 5555\n"


async def test_concurrent_streams_on_one_connection(open_projector: VirtualProjector) -> None:
    """Two streams interleave on one connection; each gets its own output and ids."""
    async with RawAdbClient(open_projector.host, open_projector.port) as raw:
        await raw.connect_no_auth()
        raw.send(Command.OPEN, 10, 0, b"shell:sleep 0.3; echo slow\0")
        raw.send(Command.OPEN, 11, 0, b"shell:echo fast\0")
        outputs: dict[int, bytes] = {10: b"", 11: b""}
        device_ids: dict[int, int] = {}
        closed: set[int] = set()
        order: list[int] = []
        while closed != {10, 11}:
            packet = await raw.read()
            local = packet.arg1
            if packet.command == Command.OKAY:
                device_ids[local] = packet.arg0
            elif packet.command == Command.WRTE:
                outputs[local] += packet.data
                order.append(local)
                raw.send(Command.OKAY, local, packet.arg0)
            elif packet.command == Command.CLSE:
                closed.add(local)
        assert outputs == {10: b"slow\n", 11: b"fast\n"}
        assert order == [11, 10]  # the fast stream was not held up by the slow one
        assert device_ids[10] != device_ids[11]


async def test_flow_control_waits_for_okay(open_projector: VirtualProjector) -> None:
    """The device sends one WRTE and waits for OKAY before the next."""
    async with RawAdbClient(open_projector.host, open_projector.port) as raw:
        raw.send(Command.CNXN, A_VERSION, 4096, b"host::raw\0")
        await raw.read()
        raw.send(Command.OPEN, 1, 0, b"shell:head -c 10000 /dev/zero\0")
        assert (await raw.read()).command == Command.OKAY
        first = await raw.read()
        assert first.command == Command.WRTE and len(first.data) == 4096
        with pytest.raises(TimeoutError):
            await raw.read(timeout=0.3)  # nothing more until we acknowledge
        raw.send(Command.OKAY, 1, first.arg0)
        second = await raw.read()
        assert second.command == Command.WRTE and len(second.data) == 4096


async def test_bad_magic_drops_connection(open_projector: VirtualProjector) -> None:
    """A header whose magic is wrong makes adbd hang up."""
    async with RawAdbClient(open_projector.host, open_projector.port) as raw:
        raw.send_raw(b"CNXN" + b"\0" * 20)
        assert raw.reader is not None
        assert await asyncio.wait_for(raw.reader.read(), 5) == b""


def test_android_pubkey_round_trip(adb_key_path: Path) -> None:
    """Our encoder matches adb-shell's keygen byte for byte, and decoding inverts it."""
    line = Path(f"{adb_key_path}.pub").read_text().strip()
    key = decode_android_pubkey(line)
    assert encode_android_pubkey(key, line.split(" ", 1)[1]) == line


def test_signature_verification(adb_key_path: Path, other_adb_key_path: Path) -> None:
    """Only the matching private key's signature verifies."""
    token = bytes(range(20))
    signature = PythonRSASigner.FromRSAKeyPath(str(adb_key_path)).Sign(token)
    key = decode_android_pubkey(Path(f"{adb_key_path}.pub").read_text())
    other = decode_android_pubkey(Path(f"{other_adb_key_path}.pub").read_text())
    assert verify_token_signature(key, token, signature)
    assert not verify_token_signature(other, token, signature)
    assert not verify_token_signature(key, bytes(20), signature)


@pytest.mark.parametrize("bad", ["", "not base64!", "QUJD"])
def test_malformed_public_keys(bad: str) -> None:
    """Garbage in an RSAPUBLICKEY payload is refused, not crashed on."""
    with pytest.raises(InvalidPublicKey):
        decode_android_pubkey(bad)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::1"])
def test_refuses_non_loopback(host: str) -> None:
    """The daemon never listens beyond IPv4 loopback."""
    with pytest.raises(ValueError, match="loopback"):
        AdbDaemon(None, None, None, None, host=host)  # type: ignore[arg-type]
