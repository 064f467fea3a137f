"""The Bemfa cloud on loopback: MQTT broker, TCP line server, topic HTTP API and "Xiao Ai".

One in-memory state: accounts (private keys) -> topics per protocol namespace (1 = MQTT,
3 = TCP) -> name, latest message, retained message, what devices reported. Semantics follow
the researched Bemfa facts (`xiaoai-bemfa-facts.md` in the team's shared docs) §3: `T/set`
reaches every subscriber of `T` except the
sender, `T/up` is stored only, a bare `T` reaches everyone; QoS 2 anywhere gets the connection
dropped ("强制下线") and counted as a ban strike.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
import itertools
import logging
import struct
import time
from typing import Any, Self

from aiohttp import web

from . import mqtt_codec as codec

_LOGGER = logging.getLogger(__name__)

DEFAULT_KEY = "0123456789abcdef0123456789abcdef"
MQTT, TCP = 1, 3  # Bemfa's protocol type numbers, also the topic namespaces
HOST = "127.0.0.1"
MAX_TCP_TOPICS = 8


@dataclass
class Topic:
    """One topic of one account in one namespace."""

    name: str = ""
    created: bool = False  # made in the console / over HTTP (what Mi Home syncs)
    latest: str | None = None
    retained: str | None = None
    reports: list[str] = field(default_factory=list)  # what devices sent to /set and /up


@dataclass(frozen=True)
class Packet:
    """One packet or line seen by the emulator."""

    transport: str  # "mqtt" | "tcp"
    direction: str  # "in" (from a client) | "out" (to a client)
    client: int  # connection number
    kind: str  # MQTT packet name, or "cmd=N" / "ping" for TCP
    topic: str | None = None
    payload: str | None = None
    qos: int | None = None
    retain: bool = False


@dataclass
class Faults:
    """Knobs the tests turn."""

    duplicate: int = 1  # how many times each Xiao Ai command is delivered
    hold: bool = False  # queue Xiao Ai commands until `release()`
    http_status: int | None = None  # every HTTP call answers this status
    http_code: int | None = None  # every HTTP call answers this Bemfa code (e.g. 40007)
    tcp_ping_reply: bool = False  # answer `ping` with `cmd=0&res=1`
    tcp_heartbeat_timeout: float = 65.0  # drop a silent TCP client
    keepalive_grace: float = 1.5  # drop an MQTT client after this many keepalives of silence
    kick_duplicate_ids: bool = True  # a second CONNECT with the same id closes the first


class Client:
    """One connected client, MQTT or TCP."""

    def __init__(self, number: int, transport: str, writer: asyncio.StreamWriter) -> None:
        """Remember the socket."""
        self.number, self.transport, self.writer = number, transport, writer
        self.uid: str | None = None
        self.subscriptions: dict[str, int] = {}  # topic -> granted QoS
        self.packet_ids = itertools.cycle(range(1, 65536))

    def close(self) -> None:
        """Drop the connection."""
        self.writer.close()


class BemfaEmulator:
    """Run with `async with BemfaEmulator() as bemfa:`; every port is ephemeral."""

    def __init__(self, keys: tuple[str, ...] = (DEFAULT_KEY,)) -> None:
        """Create accounts for `keys` (private keys)."""
        self.accounts: dict[str, dict[tuple[int, str], Topic]] = {key: {} for key in keys}
        self.rejected: set[str] = set()
        self.faults = Faults()
        self.packets: list[Packet] = []
        self.http_calls: list[tuple[str, str]] = []  # (method, path)
        self.bans: list[str] = []  # why a client was forced offline (QoS 2)
        self.clients: list[Client] = []
        self.mqtt_port = self.tcp_port = self.http_port = 0
        self._numbers = itertools.count(1)
        self._servers: list[asyncio.Server] = []
        self._handlers: set[asyncio.Task[None]] = set()
        self._held: list[tuple[str, str, str]] = []
        self._http: web.AppRunner | None = None
        self._changed = asyncio.Condition()

    # -- life cycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        """Start everything."""
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop everything."""
        await self.stop()

    async def start(self) -> None:
        """Start the broker, the TCP server and the HTTP API."""
        await self.start_broker()
        app = web.Application()
        app.router.add_get("/va/alltopic", self._http_list)
        app.router.add_post("/v1/addtopic", self._http_create)
        app.router.add_post("/va/setName", self._http_rename)
        self._http = web.AppRunner(app, access_log=None)
        await self._http.setup()
        site = web.TCPSite(self._http, HOST, 0)
        await site.start()
        server = site._server  # noqa: SLF001 - aiohttp has no public accessor for the port
        assert isinstance(server, asyncio.Server)
        self.http_port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop everything."""
        await self.stop_broker()
        if self._http is not None:
            await self._http.cleanup()
            self._http = None

    @property
    def api_base(self) -> str:
        """Base URL of the HTTP topic API."""
        return f"http://{HOST}:{self.http_port}"

    async def start_broker(self) -> None:
        """(Re)open the MQTT and TCP listeners (same ports after a stop)."""
        mqtt = await asyncio.start_server(self._serve_mqtt, HOST, self.mqtt_port)
        tcp = await asyncio.start_server(self._serve_tcp, HOST, self.tcp_port)
        self._servers = [mqtt, tcp]
        self.mqtt_port = mqtt.sockets[0].getsockname()[1]
        self.tcp_port = tcp.sockets[0].getsockname()[1]

    async def stop_broker(self) -> None:
        """Close the listeners and every connection (a cloud outage)."""
        servers, self._servers = self._servers, []
        for server in servers:
            server.close()
            server.close_clients()  # also those accepted whose handler has not started yet
        await self.drop_connections()
        for server in servers:
            async with asyncio.timeout(5):
                await server.wait_closed()

    async def restart(self, down_s: float = 0.0) -> None:
        """Stop the broker, stay down `down_s` seconds, start it again."""
        await self.stop_broker()
        await asyncio.sleep(down_s)
        await self.start_broker()

    async def drop_connections(self) -> None:
        """Reset every client connection (the listeners stay open)."""
        for server in self._servers:
            server.close_clients()
        for client in list(self.clients):
            client.close()
        handlers = list(self._handlers)
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)

    def reject_key(self, key: str) -> None:
        """Refuse this private key from now on (and drop its connections)."""
        self.rejected.add(key)
        for client in self.clients:
            if client.uid == key:
                client.close()

    # -- the Xiao Ai side ------------------------------------------------------------------------

    async def xiaoai_say(self, topic: str, msg: str, *, uid: str = DEFAULT_KEY) -> int:
        """Push a command as the cloud does; return to how many connections it went."""
        if self.faults.hold:
            self._held.append((uid, topic, msg))
            return 0
        sent = 0
        for _ in range(self.faults.duplicate):
            sent = await self._deliver(uid, topic, msg, sender=None, from_cloud=True)
        return sent

    async def release(self, *, reverse: bool = False) -> None:
        """Deliver the held commands, in order or reversed; stop holding."""
        held, self._held = self._held, []
        self.faults.hold = False
        for uid, topic, msg in reversed(held) if reverse else held:
            await self.xiaoai_say(topic, msg, uid=uid)

    def reported_state(self, topic: str, uid: str = DEFAULT_KEY) -> str | None:
        """Return the last state a device reported on `topic/set` (or `/up`), any namespace."""
        reports = self.reports(topic, uid)
        return reports[-1] if reports else None

    def reports(self, topic: str, uid: str = DEFAULT_KEY) -> list[str]:
        """Every state reported on `topic`, oldest first (one namespace at a time in practice)."""
        topics = self.accounts.get(uid, {})
        return [
            report
            for (_, name), record in topics.items()
            if name == topic
            for report in record.reports
        ]

    def topic(self, topic: str, ptype: int = MQTT, uid: str = DEFAULT_KEY) -> Topic | None:
        """Return the record of a topic, if it exists."""
        return self.accounts.get(uid, {}).get((ptype, topic))

    def subscribers(self, topic: str, uid: str = DEFAULT_KEY) -> list[Client]:
        """Return the connections subscribed to `topic` with `uid`."""
        return [c for c in self.clients if c.uid == uid and topic in c.subscriptions]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until `predicate()` holds (re-checked on every event); TimeoutError if not."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    async def wait_for_report(
        self, topic: str, payload: str, timeout: float = 10.0, uid: str = DEFAULT_KEY
    ) -> None:
        """Wait until the last state reported on `topic` is `payload`."""
        await self.wait_for(lambda: self.reported_state(topic, uid) == payload, timeout)

    async def wait_for_subscriber(self, topic: str, timeout: float = 10.0) -> None:
        """Wait until some connection subscribes to `topic`."""
        await self.wait_for(lambda: bool(self.subscribers(topic)), timeout)

    # -- routing -----------------------------------------------------------------------------------

    def _record(self, uid: str, ptype: int, topic: str) -> Topic:
        return self.accounts[uid].setdefault((ptype, topic), Topic())

    async def _route(
        self,
        client: Client,
        ptype: int,
        topic: str,
        msg: str,
        *,
        qos: int = 0,
        retain: bool = False,
    ) -> None:
        """Route a device's publish: `/set` to others, `/up` stored, bare to all."""
        assert client.uid is not None
        base, _, suffix = topic.rpartition("/")
        if suffix in ("set", "up") and base:
            record = self._record(client.uid, ptype, base)
            record.latest = msg
            record.reports.append(msg)
            if retain:
                record.retained = msg
            if suffix == "set":
                await self._deliver(client.uid, base, msg, sender=client, ptype=ptype, qos=qos)
        else:
            record = self._record(client.uid, ptype, topic)
            record.latest = msg
            if retain:
                record.retained = msg
            await self._deliver(client.uid, topic, msg, sender=None, ptype=ptype, qos=qos)
        await self._notify()

    async def _deliver(
        self,
        uid: str,
        topic: str,
        msg: str,
        *,
        sender: Client | None,
        ptype: int | None = None,
        from_cloud: bool = False,
        qos: int = 1,
    ) -> int:
        sent = 0
        for client in self.subscribers(topic, uid):
            if client is sender or (ptype is not None and _ptype(client) != ptype):
                continue
            if from_cloud:
                self._record(uid, _ptype(client), topic).latest = msg
            await self._push(client, topic, msg, qos=qos)
            sent += 1
        await self._notify()
        return sent

    async def _push(
        self, client: Client, topic: str, msg: str, *, qos: int = 1, retain: bool = False
    ) -> None:
        """Send a message; MQTT at the lower of its QoS and the granted one."""
        try:
            if client.transport == "mqtt":
                qos = min(client.subscriptions[topic], qos, 1)
                body = codec.utf8(topic)
                if qos:
                    body += struct.pack("!H", next(client.packet_ids))
                flags = qos << 1 | int(retain)
                client.writer.write(codec.frame(codec.PUBLISH, flags, body + msg.encode()))
                self._log(client, "out", "PUBLISH", topic, msg, qos=qos, retain=retain)
            else:
                client.writer.write(f"cmd=2&uid={client.uid}&topic={topic}&msg={msg}\r\n".encode())
                self._log(client, "out", "cmd=2", topic, msg)
            await client.writer.drain()
        except OSError, RuntimeError:
            client.close()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _log(
        self,
        client: Client,
        direction: str,
        kind: str,
        topic: str | None = None,
        payload: str | None = None,
        *,
        qos: int | None = None,
        retain: bool = False,
    ) -> None:
        self.packets.append(
            Packet(client.transport, direction, client.number, kind, topic, payload, qos, retain)
        )

    def _track(
        self, serve: Callable[[Client, asyncio.StreamReader], Awaitable[None]], transport: str
    ) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            client = Client(next(self._numbers), transport, writer)
            task = asyncio.current_task()
            assert task is not None
            self._handlers.add(task)
            self.clients.append(client)
            try:
                await serve(client, reader)
            except (
                OSError,
                asyncio.IncompleteReadError,
                codec.MalformedPacket,
                TimeoutError,
                UnicodeDecodeError,
            ):
                pass
            finally:
                self.clients.remove(client)
                self._handlers.discard(task)
                writer.close()
                await self._notify()

        return handler

    # -- MQTT --------------------------------------------------------------------------------------

    async def _serve_mqtt(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._track(self._mqtt_session, "mqtt")(reader, writer)

    async def _mqtt_session(self, client: Client, reader: asyncio.StreamReader) -> None:
        async with asyncio.timeout(5):
            kind, _, body = await codec.read_frame(reader)
        if kind != codec.CONNECT:
            return
        cursor = codec.Cursor(body)
        protocol, level, _flags, keepalive = cursor.string(), cursor.u8(), cursor.u8(), cursor.u16()
        uid = cursor.string()
        self._log(client, "in", "CONNECT", payload=f"keepalive={keepalive}")
        if protocol != "MQTT" or level != 4:
            await self._send(client, codec.CONNACK, 0, bytes([0, codec.CONNACK_BAD_PROTOCOL]))
            return
        if uid not in self.accounts or uid in self.rejected:
            await self._send(client, codec.CONNACK, 0, bytes([0, codec.CONNACK_NOT_AUTHORIZED]))
            return
        for other in self.clients:  # a second connection with the same id replaces the first
            if other is not client and other.transport == "mqtt" and other.uid == uid:
                if self.faults.kick_duplicate_ids:
                    other.close()
        client.uid = uid
        await self._send(client, codec.CONNACK, 0, bytes([0, codec.CONNACK_ACCEPTED]))
        await self._notify()
        limit = keepalive * self.faults.keepalive_grace if keepalive else None
        while True:
            async with asyncio.timeout(limit):
                kind, flags, body = await codec.read_frame(reader)
            if not await self._mqtt_packet(client, kind, flags, body):
                return

    async def _mqtt_packet(self, client: Client, kind: int, flags: int, body: bytes) -> bool:
        """Handle one packet; False ends the session."""
        cursor = codec.Cursor(body)
        if kind == codec.PUBLISH:
            qos, retain = (flags >> 1) & 0x03, bool(flags & 0x01)
            topic = cursor.string()
            packet_id = cursor.u16() if qos else None
            msg = cursor.rest().decode()
            self._log(client, "in", "PUBLISH", topic, msg, qos=qos, retain=retain)
            if qos == 2:
                return self._ban(client, f"PUBLISH QoS 2 on {topic}")
            if packet_id is not None:
                await self._send(client, codec.PUBACK, 0, struct.pack("!H", packet_id))
            await self._route(client, MQTT, topic, msg, qos=qos, retain=retain)
        elif kind == codec.SUBSCRIBE:
            packet_id, requests = cursor.u16(), []
            while not cursor.done:
                requests.append((cursor.string(), cursor.u8()))
            for topic, qos in requests:
                self._log(client, "in", "SUBSCRIBE", topic, qos=qos)
            if any(qos >= 2 for _, qos in requests):
                return self._ban(client, "SUBSCRIBE QoS 2")
            for topic, qos in requests:
                client.subscriptions[topic] = qos
                self._record(client.uid or "", MQTT, topic)
            await self._send(
                client,
                codec.SUBACK,
                0,
                struct.pack("!H", packet_id) + bytes(q for _, q in requests),
            )
            await self._notify()
            for topic, _ in requests:
                record = self.topic(topic, MQTT, client.uid or "")
                if record is not None and record.retained is not None:
                    await self._push(client, topic, record.retained, retain=True)
        elif kind == codec.UNSUBSCRIBE:
            packet_id = cursor.u16()
            while not cursor.done:
                client.subscriptions.pop(cursor.string(), None)
            await self._send(client, codec.UNSUBACK, 0, struct.pack("!H", packet_id))
        elif kind == codec.PINGREQ:
            self._log(client, "in", "PINGREQ")
            await self._send(client, codec.PINGRESP, 0)
        elif kind == codec.PUBACK:
            self._log(client, "in", "PUBACK")
        elif kind == codec.DISCONNECT:
            self._log(client, "in", "DISCONNECT")
            return False
        else:
            self._log(client, "in", codec.NAMES.get(kind, str(kind)))
            return kind != codec.PUBREC  # QoS 2 flow from the client: forced offline
        return True

    def _ban(self, client: Client, why: str) -> bool:
        self.bans.append(why)
        _LOGGER.warning("Bemfa emulator: forced %s offline: %s", client.uid, why)
        return False

    async def _send(self, client: Client, kind: int, flags: int, body: bytes = b"") -> None:
        self._log(client, "out", codec.NAMES[kind])
        client.writer.write(codec.frame(kind, flags, body))
        await client.writer.drain()

    # -- TCP line protocol -------------------------------------------------------------------------

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._track(self._tcp_session, "tcp")(reader, writer)

    async def _tcp_session(self, client: Client, reader: asyncio.StreamReader) -> None:
        while True:
            async with asyncio.timeout(self.faults.tcp_heartbeat_timeout):
                raw = await reader.readuntil(b"\n")
            line = raw.decode().strip()
            if line:
                await self._tcp_line(client, line)

    async def _tcp_line(self, client: Client, line: str) -> None:
        fields = parse_line(line)
        cmd, uid, topic = fields.get("cmd"), fields.get("uid", ""), fields.get("topic", "")
        self._log(client, "in", f"cmd={cmd}" if cmd else "ping", topic or None, fields.get("msg"))
        known = uid in self.accounts and uid not in self.rejected
        if cmd is None:
            if self.faults.tcp_ping_reply:
                await self._reply(client, "cmd=0&res=1")
        elif cmd in ("1", "3"):
            topics = [t for t in topic.split(",") if t]
            if not known or not topics or len(topics) > MAX_TCP_TOPICS:
                await self._reply(client, f"cmd={cmd}&res=0")
                return
            client.uid = uid
            for name in topics:
                client.subscriptions[name] = 0
                self._record(uid, TCP, name)
            if cmd == "1":
                await self._reply(client, "cmd=1&res=1")
            else:
                latest = self._record(uid, TCP, topics[0]).latest or ""
                await self._reply(client, f"cmd=3&uid={uid}&topic={topics[0]}&msg={latest}")
            await self._notify()
        elif cmd == "2" and known and topic:
            client.uid = client.uid or uid
            await self._reply(client, "cmd=2&res=1")
            await self._route(client, TCP, topic, fields.get("msg", ""))
        elif cmd == "7":
            kind = fields.get("type", "1")
            now = time.gmtime(time.time() + 8 * 3600)  # Beijing time
            text = {"2": time.strftime("%H:%M:%S", now), "3": str(int(time.time()))}
            await self._reply(client, text.get(kind, time.strftime("%Y-%m-%d %H:%M:%S", now)))
        elif cmd == "9" and known:
            latest = self._record(uid, TCP, topic).latest or ""
            await self._reply(client, f"cmd=9&uid={uid}&topic={topic}&msg={latest}")
        else:
            await self._reply(client, f"cmd={cmd}&res=0")

    async def _reply(self, client: Client, line: str) -> None:
        self._log(client, "out", line.split("&", 1)[0])
        client.writer.write(f"{line}\r\n".encode())
        await client.writer.drain()

    # -- HTTP topic API ----------------------------------------------------------------------------

    def _http_fault(self, request: web.Request) -> web.Response | None:
        self.http_calls.append((request.method, request.path))
        if self.faults.http_status is not None:
            return web.Response(status=self.faults.http_status, text="server error")
        if self.faults.http_code is not None:
            return _answer(self.faults.http_code, "fault")
        return None

    async def _http_list(self, request: web.Request) -> web.Response:
        if (fault := self._http_fault(request)) is not None:
            return fault
        uid, ptype = request.query.get("uid", ""), int(request.query.get("type", MQTT))
        if uid not in self.accounts:
            return _answer(40004, "uid error")
        data = [
            {"topic": name, "name": record.name}
            for (kind, name), record in self.accounts[uid].items()
            if kind == ptype and record.created
        ]
        return _answer(0, "OK", data)

    async def _form(self, request: web.Request) -> dict[str, str]:
        if request.content_type == "application/json":
            body: dict[str, Any] = await request.json()
            return {key: str(value) for key, value in body.items()}
        return {key: str(value) for key, value in (await request.post()).items()}

    async def _http_create(self, request: web.Request) -> web.Response:
        if (fault := self._http_fault(request)) is not None:
            return fault
        form = await self._form(request)
        uid, topic, name = form.get("uid", ""), form.get("topic", ""), form.get("name", "")
        if uid not in self.accounts or not topic:
            return _answer(40004, "uid or topic error")
        if len(name.encode()) > 32:
            return _answer(40000, "db error")
        record = self._record(uid, int(form.get("type", MQTT)), topic)
        if record.created:
            return _answer(40006, "topic exists")
        record.created, record.name = True, name
        return _answer(0, "OK")

    async def _http_rename(self, request: web.Request) -> web.Response:
        if (fault := self._http_fault(request)) is not None:
            return fault
        form = await self._form(request)
        uid, topic, name = form.get("uid", ""), form.get("topic", ""), form.get("name", "")
        record = self.topic(topic, int(form.get("type", MQTT)), uid)
        if record is None or not record.created:
            return _answer(40004, "topic error")
        if len(name.encode()) > 32:
            return _answer(40000, "db error")
        record.name = name
        return _answer(0, "OK")


def _ptype(client: Client) -> int:
    return MQTT if client.transport == "mqtt" else TCP


def _answer(code: int, message: str, data: object = None) -> web.Response:
    return web.json_response({"code": code, "message": message, "data": data})


def parse_line(line: str) -> dict[str, str]:
    """`key=value&…`; `msg` is everything after `&msg=` (it may hold `&` and `=`)."""
    head, sep, msg = line.partition("&msg=")
    fields = {}
    for part in head.split("&"):
        key, eq, value = part.partition("=")
        if eq:
            fields[key] = value
    if sep:
        fields["msg"] = msg
    return fields
