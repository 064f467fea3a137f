"""The Bemfa emulator itself, checked with independent clients.

MQTT against paho-mqtt 2.1.0 (what Home Assistant's MQTT integration pins), the TCP line
protocol and the HTTP API with raw sockets and aiohttp, so the emulator the bridge is tested
against behaves as facts §3 describe, not merely as the bridge expects.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import threading
from typing import Any

import aiohttp
from paho.mqtt.client import Client, MQTTMessage
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.reasoncodes import ReasonCode
import pytest

from custom_components.xgimi_adb.const import DOMAIN
from tests.bemfa_emulator import DEFAULT_KEY, MQTT, TCP, BemfaEmulator
from tests.xiaoai_common import bemfa_fixture, until

bemfa = bemfa_fixture  # the shared fixture, by the name the tests ask for

OTHER_KEY = "fedcba9876543210fedcba9876543210"
assert DOMAIN == "xgimi_adb"


class Paho:
    """A paho-mqtt client on its own network thread, as a Bemfa device would use it."""

    def __init__(self, client_id: str = DEFAULT_KEY) -> None:
        """Create the client (MQTT 3.1.1, client id = private key)."""
        self.client = Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv311
        )
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.on_disconnect = self._on_disconnect
        self.client.on_subscribe = self._on_subscribe
        self.connack: ReasonCode | None = None
        self.granted: list[int] = []
        self.messages: list[tuple[str, str, int, bool]] = []
        self.disconnected = threading.Event()
        self._lock = threading.Lock()

    def _on_connect(self, _c: Client, _u: Any, _f: Any, reason: ReasonCode, _p: Any) -> None:
        self.connack = reason

    def _on_subscribe(self, _c: Client, _u: Any, _m: int, codes: list[ReasonCode], _p: Any) -> None:
        self.granted = [code.value for code in codes]

    def _on_message(self, _c: Client, _u: Any, message: MQTTMessage) -> None:
        with self._lock:
            self.messages.append(
                (message.topic, message.payload.decode(), message.qos, bool(message.retain))
            )

    def _on_disconnect(self, *_: Any) -> None:
        self.disconnected.set()

    async def connect(self, port: int, keepalive: int = 60) -> None:
        """Connect and wait for the CONNACK."""
        await asyncio.to_thread(self.client.connect, "127.0.0.1", port, keepalive)
        self.client.loop_start()
        await until(lambda: self.connack is not None)

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
async def paho(bemfa: BemfaEmulator) -> AsyncIterator[Callable[..., Any]]:
    """Make connected paho clients; all are stopped at the end."""
    made: list[Paho] = []

    async def connect(client_id: str = DEFAULT_KEY, keepalive: int = 60) -> Paho:
        client = Paho(client_id)
        made.append(client)
        await client.connect(bemfa.mqtt_port, keepalive)
        return client

    yield connect
    for client in made:
        await asyncio.to_thread(client.stop)


# -- MQTT ----------------------------------------------------------------------------------------


async def test_key_is_the_client_id(bemfa: BemfaEmulator, paho: Callable[..., Any]) -> None:
    """A known private key is accepted; an unknown or rejected one gets CONNACK refused."""
    good = await paho(DEFAULT_KEY)
    assert good.connack is not None and not good.connack.is_failure
    unknown = await paho(OTHER_KEY)
    assert unknown.connack is not None and unknown.connack.is_failure
    assert unknown.connack.getName() == "Not authorized"
    bemfa.reject_key(DEFAULT_KEY)
    await until(good.disconnected.is_set)
    again = await paho(DEFAULT_KEY)
    assert again.connack is not None and again.connack.is_failure


async def test_set_up_and_bare_topic_semantics(
    bemfa: BemfaEmulator, paho: Callable[..., Any]
) -> None:
    """`T/set` reaches others but not the sender, `T/up` nobody, bare `T` everyone."""
    bemfa.faults.kick_duplicate_ids = False  # two devices of one account
    device, other = await paho(), await paho()
    for client in (device, other):
        client.client.subscribe("lamp006", qos=1)
    await until(lambda: len(bemfa.subscribers("lamp006")) == 2)
    assert device.granted == [1]

    device.client.publish("lamp006/set", "on", qos=1)
    await until(lambda: other.messages == [("lamp006", "on", 1, False)])
    device.client.publish("lamp006/up", "off", qos=1)
    await until(lambda: bemfa.reported_state("lamp006") == "off")
    device.client.publish("lamp006", "ping", qos=0)
    await until(lambda: len(device.messages) == 1 and len(other.messages) == 2)
    assert device.messages == [("lamp006", "ping", 0, False)]
    assert bemfa.reports("lamp006") == ["on", "off"]
    record = bemfa.topic("lamp006", MQTT)
    assert record is not None and record.latest == "ping"


async def test_xiaoai_pushes_to_every_subscriber(
    bemfa: BemfaEmulator, paho: Callable[..., Any]
) -> None:
    """The cloud side delivers at the granted QoS; nobody subscribed means "设备不在线"."""
    assert await bemfa.xiaoai_say("tv006", "on") == 0
    device = await paho()
    device.client.subscribe("tv006", qos=1)
    await bemfa.wait_for_subscriber("tv006")
    assert await bemfa.xiaoai_say("tv006", "off") == 1
    await until(lambda: device.messages == [("tv006", "off", 1, False)])
    bemfa.faults.duplicate = 2
    await bemfa.xiaoai_say("tv006", "on")
    await until(lambda: len(device.messages) == 3)
    await until(lambda: [p.kind for p in bemfa.packets].count("PUBACK") == 3)  # QoS 1 acked


async def test_hold_and_reorder(bemfa: BemfaEmulator, paho: Callable[..., Any]) -> None:
    """Held commands are delivered on release, reversed on request."""
    device = await paho()
    device.client.subscribe("tv006", qos=0)
    await bemfa.wait_for_subscriber("tv006")
    bemfa.faults.hold = True
    for word in ("on", "off", "on#5"):
        assert await bemfa.xiaoai_say("tv006", word) == 0
    await bemfa.release(reverse=True)
    await until(lambda: len(device.messages) == 3)
    assert [payload for _, payload, _, _ in device.messages] == ["on#5", "off", "on"]


@pytest.mark.parametrize("action", ["subscribe", "publish"])
async def test_qos2_forces_the_client_offline(
    bemfa: BemfaEmulator, paho: Callable[..., Any], action: str
) -> None:
    """Bemfa: "不支持qos2，使用qos2会被强制下线"."""
    device = await paho()
    if action == "subscribe":
        device.client.subscribe("tv006", qos=2)
    else:
        device.client.publish("tv006/set", "on", qos=2)
    await until(device.disconnected.is_set)
    assert len(bemfa.bans) == 1


async def test_retained_message_replayed(bemfa: BemfaEmulator, paho: Callable[..., Any]) -> None:
    """RETAIN=1 is stored and sent to later subscribers with the retain flag."""
    first = await paho()
    first.client.publish("tv006/set", "on", qos=1, retain=True)
    await until(lambda: bemfa.reported_state("tv006") == "on")
    await asyncio.to_thread(first.stop)
    second = await paho()
    second.client.subscribe("tv006", qos=1)
    await until(lambda: second.messages == [("tv006", "on", 1, True)])


async def test_keepalive(bemfa: BemfaEmulator, paho: Callable[..., Any]) -> None:
    """PINGREQ gets PINGRESP; a client silent for 1.5 keepalives is dropped."""
    pinging = await paho(keepalive=1)
    await until(lambda: any(p.kind == "PINGRESP" for p in bemfa.packets), timeout=4)
    assert not pinging.disconnected.is_set()
    await asyncio.to_thread(pinging.stop)

    reader, writer = await asyncio.open_connection("127.0.0.1", bemfa.mqtt_port)
    uid = DEFAULT_KEY.encode()
    body = b"\x00\x04MQTT\x04\x02\x00\x01" + len(uid).to_bytes(2) + uid  # keepalive 1 s
    writer.write(bytes([0x10, len(body)]) + body)
    assert await reader.readexactly(4) == b"\x20\x02\x00\x00"
    async with asyncio.timeout(4):
        assert await reader.read() == b""  # closed by the broker after ~1.5 s
    writer.close()


async def test_restart_and_drop(bemfa: BemfaEmulator, paho: Callable[..., Any]) -> None:
    """Stopping the broker drops clients and refuses; it comes back on the same port."""
    device = await paho()
    port = bemfa.mqtt_port
    await bemfa.stop_broker()
    await until(device.disconnected.is_set)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    await bemfa.start_broker()
    assert bemfa.mqtt_port == port
    again = await paho()
    assert again.connack is not None and not again.connack.is_failure
    await bemfa.drop_connections()
    await until(again.disconnected.is_set)


# -- TCP line protocol -------------------------------------------------------------------------------


class Line:
    """A raw TCP line-protocol client."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Wrap a connection."""
        self.reader, self.writer = reader, writer

    async def send(self, line: str) -> None:
        """Send one line with CRLF."""
        self.writer.write(f"{line}\r\n".encode())
        await self.writer.drain()

    async def receive(self) -> str:
        """Read one line."""
        async with asyncio.timeout(3):
            return (await self.reader.readuntil(b"\n")).decode().rstrip("\r\n")


@pytest.fixture
async def line(bemfa: BemfaEmulator) -> AsyncIterator[Line]:
    """Connect a raw client to the TCP server."""
    reader, writer = await asyncio.open_connection("127.0.0.1", bemfa.tcp_port)
    yield Line(reader, writer)
    writer.close()


async def test_tcp_subscribe_publish_push(bemfa: BemfaEmulator, line: Line) -> None:
    """cmd=1 subscribes (≤ 8 topics), cmd=2 publishes (`/set` not echoed), pushes are cmd=2 lines."""
    await line.send(f"cmd=1&uid={DEFAULT_KEY}&topic=tv006,lamp002")
    assert await line.receive() == "cmd=1&res=1"
    nine = ",".join(f"t{i}006" for i in range(9))
    await line.send(f"cmd=1&uid={DEFAULT_KEY}&topic={nine}")
    assert await line.receive() == "cmd=1&res=0"
    await line.send(f"cmd=1&uid={OTHER_KEY}&topic=tv006")
    assert await line.receive() == "cmd=1&res=0"

    await line.send(f"cmd=2&uid={DEFAULT_KEY}&topic=tv006/set&msg=on")
    assert await line.receive() == "cmd=2&res=1"
    assert bemfa.reported_state("tv006") == "on"
    await bemfa.xiaoai_say("lamp002", "on#80#16711680")  # msg may hold `#`, `&`, `=`
    assert await line.receive() == f"cmd=2&uid={DEFAULT_KEY}&topic=lamp002&msg=on#80#16711680"
    await bemfa.xiaoai_say("tv006", "a&b=c")
    assert await line.receive() == f"cmd=2&uid={DEFAULT_KEY}&topic=tv006&msg=a&b=c"

    await line.send(f"cmd=3&uid={DEFAULT_KEY}&topic=tv006")
    assert await line.receive() == f"cmd=3&uid={DEFAULT_KEY}&topic=tv006&msg=a&b=c"
    await line.send(f"cmd=9&uid={DEFAULT_KEY}&topic=tv006")
    assert await line.receive() == f"cmd=9&uid={DEFAULT_KEY}&topic=tv006&msg=a&b=c"
    await line.send(f"cmd=7&uid={DEFAULT_KEY}&type=3")
    assert (await line.receive()).isdigit()
    assert bemfa.topic("tv006", TCP) is not None and bemfa.topic("tv006", MQTT) is None


async def test_tcp_heartbeat(bemfa: BemfaEmulator, line: Line) -> None:
    """`ping` is a heartbeat (answered only behind the flag); silence drops the client."""
    bemfa.faults.tcp_ping_reply = True
    await line.send("ping")
    assert await line.receive() == "cmd=0&res=1"
    bemfa.faults.tcp_heartbeat_timeout = 0.3
    await line.send("ping")  # the next read uses the short timeout
    assert await line.receive() == "cmd=0&res=1"
    async with asyncio.timeout(3):
        assert await line.reader.read() == b""


# -- HTTP topic API ----------------------------------------------------------------------------------


async def test_http_topic_api(bemfa: BemfaEmulator) -> None:
    """Alltopic / addtopic / setName with Bemfa's codes, and the failure knobs."""
    async with aiohttp.ClientSession() as session:

        async def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
            async with session.request(method, f"{bemfa.api_base}{path}", **kwargs) as response:
                return response.status, await response.json(content_type=None)

        form = {"uid": DEFAULT_KEY, "topic": "tv006", "type": 1, "name": "投影仪"}
        assert (await call("POST", "/v1/addtopic", data=form))[1]["code"] == 0
        assert (await call("POST", "/v1/addtopic", data=form))[1]["code"] == 40006
        listed = await call("GET", "/va/alltopic", params={"uid": DEFAULT_KEY, "type": 1})
        assert listed[1] == {
            "code": 0,
            "message": "OK",
            "data": [{"topic": "tv006", "name": "投影仪"}],
        }
        tcp_list = await call("GET", "/va/alltopic", params={"uid": DEFAULT_KEY, "type": 3})
        assert tcp_list[1]["data"] == []
        rename = {**form, "name": "客厅投影仪"}
        assert (await call("POST", "/va/setName", json=rename))[1]["code"] == 0
        assert bemfa.topic("tv006") is not None and bemfa.topic("tv006").name == "客厅投影仪"  # type: ignore[union-attr]
        too_long = {**form, "topic": "x006", "name": "一二三四五六七八九十一"}
        assert (await call("POST", "/v1/addtopic", data=too_long))[1]["code"] == 40000
        unknown = {**form, "uid": OTHER_KEY}
        assert (await call("POST", "/va/setName", data=unknown))[1]["code"] == 40004

        bemfa.faults.http_code = 40007
        assert (await call("POST", "/v1/addtopic", data=form))[1]["code"] == 40007
        bemfa.faults.http_status = 500
        async with session.get(f"{bemfa.api_base}/va/alltopic") as response:
            assert response.status == 500
    assert ("POST", "/va/setName") in bemfa.http_calls
