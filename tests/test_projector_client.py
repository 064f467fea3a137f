"""The device layer's ADB client against the virtual projector, over the real protocol.

No Home Assistant here: the client must stand on its own (explicit timeouts, a queue that puts
user commands first and drops nothing, reconnects, precise errors).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
import stat

from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from adb_shell.exceptions import DeviceAuthError, InvalidCommandError, TcpTimeoutException
import pytest

from custom_components.xgimi_adb.const import SCAN_INTERVAL_OFF
from custom_components.xgimi_adb.projector import catalog
from custom_components.xgimi_adb.projector.client import (
    Priority,
    ProjectorClient,
    Timeouts,
    _connect_error,
)
from custom_components.xgimi_adb.projector.device import XgimiDevice
from custom_components.xgimi_adb.projector.errors import (
    AuthRejected,
    ConnectionLost,
    ProjectorError,
    ProjectorTimeout,
    ProjectorUnreachable,
    TlsOnlyPort,
)
from custom_components.xgimi_adb.projector.keys import load_or_create_signer
from tests.virtual_projector import AuthPolicy, PowerState, VirtualProjector

FAST = Timeouts(connect=1.0, auth=1.0, command=2.0, poll=2.0, probe=0.5, backoff_max=2.0)


def client_for(projector: VirtualProjector, signer: PythonRSASigner) -> ProjectorClient:
    """Return a client with short timeouts."""
    return ProjectorClient(projector.host, projector.port, signer, timeouts=FAST)


async def test_runs_commands_on_one_connection(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Commands share one authenticated connection and return the exact output."""
    client = client_for(trusted_projector, adb_signer)
    assert await client.async_shell("getprop ro.product.model") == "XGIMI Play 6\n"
    assert await client.async_shell("echo 你好") == "你好\n"
    assert client.connected
    opened = list(trusted_projector.received_services)
    assert len(opened) == 2
    assert trusted_projector.daemon.connection_count == 1
    assert client.round_trips == 2
    await client.async_close()


async def test_user_commands_go_before_polls(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """With commands queued behind a slow one, user commands run before waiting polls."""
    client = client_for(trusted_projector, adb_signer)
    await client.async_connect()
    slow = asyncio.create_task(client.async_shell("sleep 0.5; echo slow"))
    await asyncio.sleep(0.1)  # the slow command is running; the rest queue behind it
    polls = [
        asyncio.create_task(client.async_shell(f"echo poll{n}", priority=Priority.POLL))
        for n in range(3)
    ]
    await asyncio.sleep(0)
    users = [asyncio.create_task(client.async_shell(f"echo user{n}")) for n in range(3)]
    await asyncio.gather(slow, *polls, *users)
    order = [cmd for cmd in trusted_projector.received_commands if cmd.startswith("echo ")]
    assert order == [f"echo user{n}" for n in range(3)] + [f"echo poll{n}" for n in range(3)]
    await client.async_close()


async def test_burst_is_complete_and_in_order(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """100 concurrent user commands interleaved with polls: all delivered, in call order."""
    client = client_for(trusted_projector, adb_signer)
    calls = []
    for n in range(100):
        calls.append(client.async_shell(f"echo {n}"))
        if n % 10 == 0:
            calls.append(client.async_shell("echo poll", priority=Priority.POLL))
    outputs = await asyncio.gather(*calls)
    assert [out for out in outputs if out != "poll\n"] == [f"{n}\n" for n in range(100)]
    sent = [cmd for cmd in trusted_projector.received_commands if cmd != "echo poll"]
    assert sent == [f"echo {n}" for n in range(100)]
    await client.async_close()


async def test_new_key_prompts_and_waits_for_the_person(
    projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """An unknown key shows the prompt (callback fires); accepted after a delay, it connects."""
    projector.set_auth_policy(AuthPolicy.DELAY, delay_s=0.3)
    prompts: list[bool] = []
    client = client_for(projector, adb_signer)
    await client.async_connect(auth_timeout=3, on_prompt=lambda: prompts.append(True))
    assert prompts == [True]
    assert client.connected
    await client.async_close()


async def test_rejected_key_is_an_auth_error(
    projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Nobody accepts the prompt: AuthRejected, not a generic timeout."""
    projector.set_auth_policy(AuthPolicy.REJECT)
    client = client_for(projector, adb_signer)
    with pytest.raises(AuthRejected):
        await client.async_shell("echo hi")
    assert not client.connected
    await client.async_close()


async def test_refused_port_is_unreachable(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """A closed port (standby, adbd off) raises ProjectorUnreachable and the probe says no."""
    await trusted_projector.refuse_connections()
    client = client_for(trusted_projector, adb_signer)
    assert not await client.async_probe()
    with pytest.raises(ProjectorUnreachable):
        await client.async_shell("echo hi")
    await client.async_close()


async def test_tls_only_port(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Android 11's wireless-debugging port answers STLS: a distinct error."""
    trusted_projector.faults.stls_only = True
    client = client_for(trusted_projector, adb_signer)
    with pytest.raises(TlsOnlyPort):
        await client.async_connect()
    await client.async_close()


async def test_half_open_handshake_times_out(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Accepted but silent: a timeout within the explicit limit, never a hang."""
    await trusted_projector.set_half_open()
    client = client_for(trusted_projector, adb_signer)
    async with asyncio.timeout(10):
        with pytest.raises(ProjectorTimeout):
            await client.async_connect()
    await client.async_close()


async def test_silent_connection_times_out_then_reconnects(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Standby silences the open connection: the command times out, then a later one reconnects."""
    client = client_for(trusted_projector, adb_signer)
    await client.async_shell("echo hi")
    await trusted_projector.set_power(PowerState.STANDBY)
    with pytest.raises(ProjectorTimeout):
        await client.async_shell("echo lost")
    assert not client.connected
    assert not await client.async_probe()
    await trusted_projector.set_power(PowerState.ON)
    await trusted_projector.wait_until_listening()
    assert await client.async_probe()
    assert await client.async_shell("echo back") == "back\n"
    await client.async_close()


async def test_dropped_connection_is_not_resent_unless_safe(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """A step that may have run is never sent twice; a read marked retry=True is resent once."""
    client = client_for(trusted_projector, adb_signer)
    await client.async_connect()
    trusted_projector.faults.drop_mid_stream_after = 10
    with pytest.raises(ConnectionLost):
        await client.async_shell("input keyevent 24; head -c 100000 /dev/zero")
    assert trusted_projector.key_events.count(24) == 1
    assert (
        trusted_projector.received_commands.count("input keyevent 24; head -c 100000 /dev/zero")
        == 1
    )

    trusted_projector.faults.drop_mid_stream_after = 10
    output = await client.async_shell("head -c 50000 /dev/zero | wc -c", retry=True)
    assert output.strip() == "50000"
    await client.async_close()


async def test_poll_backs_off_but_user_commands_try_at_once(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """After a failed connect, polls wait for the backoff; a user command still tries now."""
    await trusted_projector.refuse_connections()
    client = client_for(trusted_projector, adb_signer)
    with pytest.raises(ProjectorUnreachable):
        await client.async_shell("echo poll", priority=Priority.POLL)
    await trusted_projector.refuse_connections(False)
    with pytest.raises(ProjectorUnreachable, match="waiting"):
        await client.async_shell("echo poll", priority=Priority.POLL)
    assert await client.async_shell("echo now") == "now\n"
    await client.async_close()


async def test_close_fails_queued_commands(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Closing the client fails what is still queued instead of leaving callers waiting."""
    client = client_for(trusted_projector, adb_signer)
    await client.async_connect()
    running = asyncio.create_task(client.async_shell("sleep 1"))
    await asyncio.sleep(0.1)
    queued = asyncio.create_task(client.async_shell("echo never"))
    await asyncio.sleep(0)
    await client.async_close()
    with pytest.raises(ProjectorUnreachable):
        await queued
    assert running.cancelled()
    assert "echo never" not in trusted_projector.received_commands


async def test_cancelled_caller_does_not_break_the_queue(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """A caller that gives up mid-command leaves the worker healthy for the next one."""
    client = client_for(trusted_projector, adb_signer)
    task = asyncio.create_task(client.async_shell("sleep 0.3; echo late"))
    await asyncio.sleep(0.1)
    task.cancel()
    assert await client.async_shell("echo next") == "next\n"
    await client.async_close()


def test_key_pair_is_created_once_owner_only(tmp_path: Path) -> None:
    """The instance key is generated on first use, 0600, and reused afterwards."""
    path = tmp_path / "storage" / "xgimi_adb" / "adbkey"
    first = load_or_create_signer(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.with_name("adbkey.pub").stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    content = path.read_bytes()
    second = load_or_create_signer(path)
    assert path.read_bytes() == content
    assert first.GetPublicKey() == second.GetPublicKey()


@pytest.mark.parametrize(
    ("raised", "prompted", "expected"),
    [
        (InvalidCommandError("Unknown command: 1397511251 = 'STLS'"), False, TlsOnlyPort),
        (TcpTimeoutException("no answer"), True, AuthRejected),
        (DeviceAuthError("no keys"), False, AuthRejected),
        (ConnectionRefusedError(), False, ProjectorUnreachable),
        (TimeoutError(), False, ProjectorTimeout),
        (OSError("no route to host"), False, ProjectorUnreachable),
        (InvalidCommandError("Unknown command: 1 = 'ABCD'"), False, ProjectorError),
    ],
)
def test_connect_errors_are_translated(
    raised: BaseException, prompted: bool, expected: type[ProjectorError]
) -> None:
    """Every way adb-shell fails to connect becomes one precise error of the device layer."""
    assert type(_connect_error(raised, prompted=prompted)) is expected


def test_unexpected_connect_errors_pass_through() -> None:
    """Cancellation and programming errors are not disguised as device errors."""
    cancelled = asyncio.CancelledError()
    assert _connect_error(cancelled, prompted=True) is cancelled
    bug = KeyError("bug")
    assert _connect_error(bug, prompted=False) is bug


async def test_connect_is_a_no_op_when_connected(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """A second connect keeps the open connection instead of opening another."""
    client = client_for(trusted_projector, adb_signer)
    await client.async_connect()
    await client.async_connect()
    assert len(trusted_projector.received_services) == 0
    assert await client.async_shell("echo one") == "one\n"
    assert trusted_projector.daemon.connection_count == 1
    await client.async_close()


async def test_poll_on_a_silent_connection_gives_up_after_the_poll_timeout(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """XGIMI standby silences an open connection: the poll's own short limit notices it.

    The command limit here is 60 s; the poll returns "unreachable" after its 0.5 s limit.
    """
    timeouts = Timeouts(connect=1.0, auth=1.0, command=60.0, poll=0.5, probe=0.5)
    client = ProjectorClient(
        trusted_projector.host, trusted_projector.port, adb_signer, timeouts=timeouts
    )
    device = XgimiDevice(client)
    assert await device.async_poll() is not None
    await trusted_projector.set_half_open()
    started = asyncio.get_running_loop().time()

    assert await device.async_poll() is None

    assert asyncio.get_running_loop().time() - started < 30  # far below the command limit
    assert not client.connected
    await client.async_close()


def test_poll_backoff_never_outlasts_the_poll_interval_while_off() -> None:
    """A regular poll after the projector is back must reconnect, whatever failed before.

    Polls while off are `SCAN_INTERVAL_OFF` apart; a longer backoff kept the entity `off` for
    up to a minute after the projector returned (tests/test_faults_link.py shows it end to end).
    """
    assert Timeouts().backoff_max < SCAN_INTERVAL_OFF.total_seconds() - 1


def _keys(*codes: int) -> str:
    return "input keyevent " + " ".join(map(str, codes))


async def test_keys_queued_back_to_back_share_one_line(
    trusted_projector: VirtualProjector, adb_signer: PythonRSASigner
) -> None:
    """Key presses from separate callers, queued behind a busy link, go out as one line.

    A command queued between them keeps its place: keys before it, it, keys after it. A
    caller that gave up while waiting has its keys left out; everyone else gets the answer.
    """
    client = client_for(trusted_projector, adb_signer)
    await client.async_connect()
    busy = asyncio.create_task(client.async_shell("sleep 0.3; echo busy"))
    await asyncio.sleep(0.1)
    merge = catalog.merge_keys_commands
    first = [asyncio.create_task(client.async_shell_merged(_keys(n), merge)) for n in (19, 20)]
    await asyncio.sleep(0)
    between = asyncio.create_task(client.async_shell("echo between"))
    await asyncio.sleep(0)
    gives_up = asyncio.create_task(client.async_shell_merged(_keys(21), merge))
    later = [asyncio.create_task(client.async_shell_merged(_keys(n), merge)) for n in (22, 23)]
    await asyncio.sleep(0)
    gives_up.cancel()

    await asyncio.gather(busy, *first, between, *later)

    ran = [line for line in trusted_projector.received_commands if line != "sleep 0.3; echo busy"]
    assert ran == [_keys(19, 20), "echo between", _keys(22, 23)]
    assert trusted_projector.key_events[-4:] == [19, 20, 22, 23]
    await client.async_close()


def test_only_short_presses_merge() -> None:
    """A long press or anything but `input keyevent` is never folded into another line."""
    assert catalog.merge_keys_commands([_keys(3), _keys(4, 5)]) == _keys(3, 4, 5)
    with pytest.raises(ValueError, match="short key presses"):
        catalog.merge_keys_commands([_keys(3), "input keyevent --longpress 4"])
    with pytest.raises(ValueError, match="short key presses"):
        catalog.merge_keys_commands(["reboot"])
