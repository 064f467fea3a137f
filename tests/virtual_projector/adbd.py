"""A loopback adbd: the device side of the ADB wire protocol.

Speaks what Android's adbd speaks to a TCP client (xgimi-adb-facts.md part b): CNXN version and
maxdata negotiation with the byte-sum checksum rule, AUTH with a 20-byte token verified against
trusted Android-format RSA keys, the RSAPUBLICKEY on-screen prompt, concurrent OPEN/OKAY/WRTE/CLSE
streams with one-outstanding-WRTE flow control, and the services `shell:` (v1),
`shell,v2,...:` (with exit status), `exec:`, `reboot:`, `root:`/`unroot:`, `tcpip:`/`usb:`.
Anything else is refused with CLSE(0, id), as adbd does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
from enum import StrEnum
import ipaddress
import itertools
import logging
import socket
import struct
import time

from .auth import InvalidPublicKey, KeyStore, decode_android_pubkey, new_token
from .device import DeviceModel, PowerState
from .faults import Faults
from .protocol import (
    A_STLS_VERSION,
    A_VERSION,
    A_VERSION_MIN,
    A_VERSION_SKIP_CHECKSUM,
    HEADER_SIZE,
    MAX_PAYLOAD,
    MAX_PAYLOAD_V1,
    AuthType,
    Command,
    Header,
    Packet,
    ProtocolError,
    banner_fields,
    checksum,
)

_LOGGER = logging.getLogger(__name__)

SHELL_V2_STDOUT = 1
SHELL_V2_STDERR = 2
SHELL_V2_EXIT = 3
_SHELL_V2_HEADER = struct.Struct("<BI")
# How long a stream waits for the client's OKAY before it gives up on the connection.
_WRTE_ACK_TIMEOUT_S = 30.0


class AuthPolicy(StrEnum):
    """What the person in front of the projector does with the "Allow USB debugging?" prompt."""

    ACCEPT = "accept"
    REJECT = "reject"  # dismisses it: the client waits and never gets an answer
    DELAY = "delay"  # accepts after `AuthSettings.delay_s`


@dataclass
class AuthSettings:
    """Authentication behaviour of the daemon."""

    required: bool = True
    policy: AuthPolicy = AuthPolicy.ACCEPT
    delay_s: float = 2.0
    # "Always allow from this computer" ticked: accepted keys are stored and trusted next time.
    always_allow: bool = True


@dataclass(frozen=True)
class ReceivedService:
    """A service a client opened (the device's record of what it was asked to do)."""

    connection: int
    service: str
    monotonic: float


@dataclass
class _Stream:
    device_id: int
    client_id: int
    acked: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class _ConnectionDropped(Exception):
    """A fault cut the connection on purpose."""


def _require_loopback(host: str) -> None:
    if not ipaddress.ip_address(host).is_loopback or ":" in host:
        raise ValueError(f"the virtual projector listens on IPv4 loopback only, not {host!r}")


class AdbDaemon:
    """Accepts ADB connections on 127.0.0.1 and serves them from a `DeviceModel`."""

    def __init__(
        self,
        device: DeviceModel,
        faults: Faults,
        keys: KeyStore,
        auth: AuthSettings,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        legacy: bool = False,
        on_reboot_request: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Serve `device` on host:port (IPv4 loopback only)."""
        _require_loopback(host)
        self.device = device
        self.faults = faults
        self.keys = keys
        self.auth = auth
        self.host = host
        self.port = port
        self.legacy = legacy
        self.received_services: list[ReceivedService] = []
        self.prompts: list[str] = []  # public keys shown in the on-screen prompt
        self._on_reboot_request = on_reboot_request
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._ids = itertools.count(1)
        self.rebooting = False

    @property
    def version(self) -> int:
        """Highest protocol version this adbd speaks (pre-P devices: A_VERSION_MIN)."""
        return A_VERSION_MIN if self.legacy else A_VERSION

    @property
    def max_payload(self) -> int:
        """Largest payload this adbd accepts (pre-N devices: 4096)."""
        return MAX_PAYLOAD_V1 if self.legacy else MAX_PAYLOAD

    @property
    def shell_v2(self) -> bool:
        """Whether the banner advertises the shell protocol (pre-N devices do not)."""
        return "shell_v2" in banner_fields(self.banner()).get("features", "").split(",")

    def banner(self) -> bytes:
        """Return the device banner; a legacy (pre-N) adbd has no shell protocol."""
        banner = self.device.banner()
        if self.legacy:
            banner = banner.replace(b"shell_v2,", b"").replace(b",shell_v2", b"")
        return banner

    @property
    def listening(self) -> bool:
        """Whether new TCP connections are accepted right now."""
        return self._server is not None

    @property
    def connection_count(self) -> int:
        """Open client connections."""
        return len(self._connections)

    def should_listen(self) -> bool:
        """Return whether the network is up and nothing makes the device refuse connections."""
        reachable = self.device.power in (PowerState.ON, PowerState.SCREEN_OFF)
        return reachable and not self.rebooting and not self.faults.refuse_connections

    async def sync_listener(self) -> None:
        """Open or close the listening socket to match power state and faults."""
        if self.should_listen() and self._server is None:
            self._server = await asyncio.start_server(
                self._accept, self.host, self.port, family=socket.AF_INET, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]
        elif not self.should_listen() and self._server is not None:
            # close() shuts the listening socket at once; wait_closed() would also wait for
            # the open connections, which a refusing or sleeping device keeps (silenced).
            self._server.close()
            self._server = None

    async def start(self) -> None:
        """Start listening (if the device is powered and reachable)."""
        await self.sync_listener()

    async def stop(self) -> None:
        """Stop listening and cut every connection."""
        server, self._server = self._server, None
        self.drop_all_connections()
        if server is not None:
            server.close()
            await server.wait_closed()

    def accept_pending_prompts(self) -> int:
        """Tap "Allow" on every prompt still on screen, as the person walking up would."""
        waiting = [conn for conn in self._connections if conn.pending_key is not None]
        for conn in waiting:
            conn.accept_key()
        return len(waiting)

    def drop_all_connections(self) -> None:
        """Reset every client connection (reboot, network reset)."""
        for conn in list(self._connections):
            conn.abort()

    def silence_all_connections(self, silenced: bool = True) -> None:
        """Stop answering open connections: the device vanished from the network."""
        for conn in self._connections:
            conn.silenced = silenced

    def reset_silenced_connections(self) -> None:
        """Reset silenced connections: back on the network, the TCP stack forgot them."""
        for conn in [conn for conn in self._connections if conn.silenced]:
            conn.abort()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Connection(self, next(self._ids), reader, writer)
        self._connections.add(conn)
        try:
            await conn.serve()
        finally:
            self._connections.discard(conn)

    async def request_reboot(self) -> None:
        """Handle the `reboot:` service."""
        if self._on_reboot_request is not None:
            await self._on_reboot_request()


class _Connection:
    """One client connection: handshake, authentication and its streams."""

    def __init__(
        self,
        daemon: AdbDaemon,
        number: int,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.daemon = daemon
        self.number = number
        self.reader = reader
        self.writer = writer
        self.version = A_VERSION_MIN
        self.max_payload = MAX_PAYLOAD_V1
        self.online = False
        self.silenced = daemon.faults.half_open
        self.token = new_token()
        self.pending_key: str | None = None  # public key whose prompt is still on screen
        self.streams: dict[int, _Stream] = {}
        self.device_ids = itertools.count(1)
        self.tasks: set[asyncio.Task[None]] = set()

    # -- transport -------------------------------------------------------------------------

    def abort(self) -> None:
        """Cut the TCP connection without a FIN (RST), as a crashing device does."""
        transport = self.writer.transport
        with contextlib.suppress(OSError):
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()

    def send(self, packet: Packet) -> None:
        """Queue a packet; checksummed unless both sides skip checksums."""
        if self.silenced or self.writer.is_closing():
            return
        with_checksum = self.version < A_VERSION_SKIP_CHECKSUM
        self.writer.write(packet.encode(with_checksum=with_checksum))

    async def read_packet(self) -> Packet:
        """Read one packet, validating it as adbd does."""
        raw = await self.reader.readexactly(HEADER_SIZE)
        header = Header.decode(raw, max(self.max_payload, MAX_PAYLOAD_V1))
        data = await self.reader.readexactly(header.length) if header.length else b""
        if self.daemon.legacy and header.check and header.check != checksum(data):
            raise ProtocolError("payload checksum mismatch")  # pre-P adbd's check_data()
        return Packet(header.command, header.arg0, header.arg1, data)

    async def serve(self) -> None:
        """Read packets until the client goes away or a fault cuts the connection."""
        try:
            while True:
                packet = await self.read_packet()
                if self.silenced or self.daemon.faults.half_open:
                    continue  # a half-open peer: bytes go in, nothing comes back
                await self.handle(packet)
        except asyncio.IncompleteReadError, ConnectionError, _ConnectionDropped:
            pass
        except ProtocolError as err:
            _LOGGER.debug("connection %s dropped: %s", self.number, err)
        finally:
            for task in self.tasks:
                task.cancel()
            self.writer.close()

    # -- handshake -------------------------------------------------------------------------

    async def handle(self, packet: Packet) -> None:
        """Dispatch one packet by command."""
        if packet.command == Command.CNXN:
            self.on_connect(packet)
        elif packet.command == Command.AUTH:
            self.on_auth(packet)
        elif packet.command == Command.STLS:
            raise ProtocolError("TLS is not implemented by the virtual projector")
        elif not self.online:
            return  # adbd ignores stream traffic before the device is online
        elif packet.command == Command.OPEN:
            self.on_open(packet)
        elif packet.command == Command.OKAY:
            self.on_okay(packet)
        elif packet.command == Command.WRTE:
            self.send(Packet(Command.OKAY, packet.arg1, packet.arg0))
        elif packet.command == Command.CLSE:
            self.on_close(packet)

    def on_connect(self, packet: Packet) -> None:
        """CNXN: negotiate, then greet with STLS, AUTH or CNXN."""
        self.version = min(packet.arg0, self.daemon.version)
        self.max_payload = min(packet.arg1, self.daemon.max_payload)
        self.online = False
        if self.daemon.faults.stls_only:
            self.send(Packet(Command.STLS, A_STLS_VERSION, 0))
        elif not self.daemon.auth.required:
            self.go_online()
        else:
            self.send_token()

    def send_token(self) -> None:
        """Ask the client to sign a fresh token."""
        self.token = new_token()
        self.send(Packet(Command.AUTH, AuthType.TOKEN, 0, self.token))

    def go_online(self) -> None:
        """Send the device CNXN with the banner; streams may be opened from now on."""
        self.online = True
        self.send(Packet(Command.CNXN, self.daemon.version, self.max_payload, self.daemon.banner()))

    def on_auth(self, packet: Packet) -> None:
        """AUTH(SIGNATURE) is checked against trusted keys; AUTH(RSAPUBLICKEY) prompts."""
        if self.online or not self.daemon.auth.required:
            return
        if packet.arg0 == AuthType.SIGNATURE:
            if self.daemon.keys.is_trusted(self.token, packet.data):
                self.go_online()
            else:
                self.send_token()
        elif packet.arg0 == AuthType.RSAPUBLICKEY:
            self.spawn(self.prompt(packet.data))

    async def prompt(self, pubkey: bytes) -> None:
        """Show the "Allow USB debugging?" dialog on the projector screen."""
        line = pubkey.rstrip(b"\0").decode(errors="replace")
        try:
            decode_android_pubkey(line)
        except InvalidPublicKey:
            return  # adbd cannot show a prompt for a key it cannot parse
        self.daemon.prompts.append(line)
        self.pending_key = line
        auth = self.daemon.auth
        if auth.policy == AuthPolicy.REJECT:
            return  # nobody taps "Allow" (until accept_pending_prompts)
        if auth.policy == AuthPolicy.DELAY:
            await asyncio.sleep(auth.delay_s)
        self.accept_key()

    def accept_key(self) -> None:
        """Accept the key on screen: remember it if "Always allow" is ticked, go online."""
        if self.pending_key is None or self.online:
            return
        if self.daemon.auth.always_allow:
            self.daemon.keys.trust(self.pending_key)
        self.pending_key = None
        self.go_online()

    # -- streams ---------------------------------------------------------------------------

    def spawn(self, coro: Awaitable[None]) -> asyncio.Task[None]:
        """Run a coroutine tied to this connection's lifetime."""
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return task

    def on_open(self, packet: Packet) -> None:
        """Start the service of an OPEN packet, or refuse it with CLSE(0, local)."""
        client_id = packet.arg0
        service = packet.data.rstrip(b"\0").decode(errors="replace")
        self.daemon.received_services.append(
            ReceivedService(self.number, service, time.monotonic())
        )
        handler = self.service_handler(service)
        if client_id == 0 or packet.arg1 != 0 or handler is None:
            self.send(Packet(Command.CLSE, 0, client_id))
            return
        stream = _Stream(next(self.device_ids), client_id)
        self.streams[stream.device_id] = stream
        self.send(Packet(Command.OKAY, stream.device_id, client_id))
        stream.task = self.spawn(self.run_stream(stream, handler))

    def on_okay(self, packet: Packet) -> None:
        """Let the stream send its next WRTE (the client acknowledged the last one)."""
        stream = self.streams.get(packet.arg1)
        if stream is not None and stream.client_id == packet.arg0:
            stream.acked.set()

    def on_close(self, packet: Packet) -> None:
        """Stop the command of a stream the client closed."""
        stream = self.streams.pop(packet.arg1, None)
        if stream is not None and stream.task is not None:
            stream.task.cancel()

    async def run_stream(self, stream: _Stream, handler: _Handler) -> None:
        """Run a service, then close the stream from the device side."""
        try:
            await handler(stream)
        except asyncio.CancelledError:
            return
        except _ConnectionDropped:
            self.abort()
            return
        if self.streams.pop(stream.device_id, None) is not None:
            self.send(Packet(Command.CLSE, stream.device_id, stream.client_id))

    async def write(self, stream: _Stream, data: bytes) -> None:
        """WRTE `data` in chunks of at most max_payload, one unacknowledged chunk at a time."""
        for start in range(0, len(data), self.max_payload):
            chunk = data[start : start + self.max_payload]
            self.check_drop(len(chunk))
            stream.acked.clear()
            self.send(Packet(Command.WRTE, stream.device_id, stream.client_id, chunk))
            try:
                await asyncio.wait_for(stream.acked.wait(), _WRTE_ACK_TIMEOUT_S)
            except TimeoutError as err:
                raise _ConnectionDropped from err

    def check_drop(self, size: int) -> None:
        """Fault: cut the connection once the configured number of output bytes went out."""
        faults = self.daemon.faults
        if faults.drop_mid_stream_after is None:
            return
        if faults.drop_mid_stream_after < size:
            faults.drop_mid_stream_after = None
            raise _ConnectionDropped
        faults.drop_mid_stream_after -= size

    def service_handler(self, service: str) -> _Handler | None:
        """Map a service string to its implementation, as adbd's `daemon_service_to_fd`."""
        name, _, arg = service.partition(":")
        if name == "shell" and arg:
            return lambda s: self.raw_command(s, arg)
        if name.startswith("shell,") and arg and self.daemon.shell_v2:
            return lambda s: self.shell_v2(s, arg)
        if name == "exec" and arg:
            return lambda s: self.raw_command(s, arg)
        if name == "reboot":
            return self.reboot
        replies = {
            "root": b"adbd cannot run as root in production builds\n",
            "unroot": b"adbd not running as root\n",
            "tcpip": f"restarting in TCP mode port: {arg}\n".encode(),
            "usb": b"restarting in USB mode\n",
        }
        if name in replies:
            return lambda s: self.write(s, replies[name])
        return None

    async def raw_command(self, stream: _Stream, command: str) -> None:
        """`shell:` v1 and `exec:`: stdout and stderr in one raw stream, no exit status."""
        if self.daemon.faults.drop_mid_stream_after == 0:
            self.check_drop(1)
        result = await self.daemon.device.run_shell(command, merge_stderr=True)
        if self.daemon.faults.take_drop_after(command):
            raise _ConnectionDropped  # it ran; its answer is lost with the connection
        await self.write(stream, result.stdout)

    async def shell_v2(self, stream: _Stream, command: str) -> None:
        """`shell,v2,...:` — stdout/stderr/exit packets of the shell protocol."""
        if self.daemon.faults.drop_mid_stream_after == 0:
            self.check_drop(1)
        result = await self.daemon.device.run_shell(command, merge_stderr=False)
        if self.daemon.faults.take_drop_after(command):
            raise _ConnectionDropped  # it ran; its answer is lost with the connection
        room = self.max_payload - _SHELL_V2_HEADER.size
        for packet_id, data in ((SHELL_V2_STDOUT, result.stdout), (SHELL_V2_STDERR, result.stderr)):
            for start in range(0, len(data), room):
                chunk = data[start : start + room]
                await self.write(stream, _SHELL_V2_HEADER.pack(packet_id, len(chunk)) + chunk)
        exit_code = bytes([result.exit_code & 0xFF])
        await self.write(stream, _SHELL_V2_HEADER.pack(SHELL_V2_EXIT, 1) + exit_code)

    async def reboot(self, stream: _Stream) -> None:
        """`reboot:` — the device goes down; the client sees the connection drop."""
        del stream
        await self.daemon.request_reboot()


_Handler = Callable[[_Stream], Awaitable[None]]
