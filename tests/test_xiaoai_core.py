"""The Bemfa client core (no Home Assistant), against the emulator.

Rules, payloads, the command queue, the connections' typed errors, reconnect backoff and the
topic API.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

import aiohttp
import pytest

from custom_components.xgimi_adb.bemfa import link as link_module
from custom_components.xgimi_adb.bemfa.api import BemfaApi, TopicSpec
from custom_components.xgimi_adb.bemfa.commands import CommandQueue
from custom_components.xgimi_adb.bemfa.errors import (
    BemfaApiError,
    BemfaAuthError,
    BemfaConnectionLost,
    BemfaUnreachable,
)
from custom_components.xgimi_adb.bemfa.link import BemfaLink, LinkSettings, Protocol
from custom_components.xgimi_adb.bemfa.mqtt import MqttConnection
from custom_components.xgimi_adb.bemfa.tcp import TcpConnection, parse_line
from custom_components.xgimi_adb.bemfa.topics import (
    DeviceType,
    LightCommand,
    derive_topic,
    is_valid_topic,
    light_payload,
    name_fits,
    normalize_key,
    parse_light,
    parse_switch,
    truncate_name,
)
from tests.bemfa_emulator import DEFAULT_KEY, TCP, BemfaEmulator
from tests.xiaoai_common import bemfa_fixture, until  # noqa: F401 - fixture "bemfa"

# -- rules and payloads ----------------------------------------------------------------------------


def test_key_format() -> None:
    """32 hex characters; spaces and capitals from copy-paste are forgiven."""
    assert normalize_key(f"  {DEFAULT_KEY.upper()}\n") == DEFAULT_KEY
    for bad in ("", DEFAULT_KEY[:-1], f"{DEFAULT_KEY}0", DEFAULT_KEY.replace("a", "g"), "x" * 32):
        assert normalize_key(bad) is None


def test_topics_derived_from_the_unique_id() -> None:
    """Lowercase alphanumerics ending in the type, stable, different per projector."""
    power = derive_topic("SN-0001", "", DeviceType.SWITCH)
    assert power == derive_topic("SN-0001", "", DeviceType.SWITCH)
    assert power != derive_topic("SN-0002", "", DeviceType.SWITCH)
    assert power.startswith("xgimi") and power.endswith("006") and len(power) == 20
    volume = derive_topic("SN-0001", "v", DeviceType.LIGHT)
    assert volume.endswith("v002") and is_valid_topic(volume)
    for topic in (power, volume, derive_topic("SN-0001", "p", DeviceType.SWITCH)):
        assert topic.isalnum() and topic == topic.lower() and len(topic) <= 39
    assert not is_valid_topic("xgimi_lamp006")
    assert not is_valid_topic("xgimilamp007")
    with pytest.raises(ValueError, match="invalid topic kind"):
        derive_topic("SN-0001", "Bad_", DeviceType.SWITCH)


def test_spoken_name_bytes() -> None:
    """At most 32 bytes of UTF-8; truncation never splits a character."""
    assert name_fits("投影仪") and name_fits("一二三四五六七八九十")  # 30 bytes
    assert not name_fits("一二三四五六七八九十一")  # 33 bytes
    assert not name_fits("   ")
    assert truncate_name("一二三四五六七八九十一") == "一二三四五六七八九十"
    assert truncate_name("投影仪", 8) == "投影"  # 6 bytes, not a broken third character
    assert truncate_name("projector") == "projector"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("on", True),
        ("off", False),
        ("ON\r\n", True),
        ("on#80", True),
        ('{"on": false}', False),
        ('{"on": "yes"}', None),
        ("{broken", None),
        ("toggle", None),
        ("", None),
    ],
)
def test_switch_payloads(payload: str, expected: bool | None) -> None:
    """`006`: `on`/`off` (first `#` field, JSON `{"on": …}` too); anything else is None."""
    assert parse_switch(payload) is expected


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("on", LightCommand(True)),
        ("off", LightCommand(False)),
        ("on#30", LightCommand(True, 30)),
        ("on#100#16711680", LightCommand(True, 100)),
        ("on#250", LightCommand(True, 100)),
        ("on#", LightCommand(True)),
        ("on#loud", None),
        ("dim#30", None),
    ],
)
def test_light_payloads(payload: str, expected: LightCommand | None) -> None:
    """`002`: `on`, `off`, `on#N` (clamped to 0-100), a colour field is ignored."""
    assert parse_light(payload) == expected


def test_light_reports() -> None:
    """The state a `002` light reports."""
    assert light_payload(True, 30) == "on#30"
    assert light_payload(True, 0) == "on#1"  # on at 0 % would read as off
    assert light_payload(True, None) == "on"
    assert light_payload(False, 30) == "off"


def test_tcp_line_parsing() -> None:
    """`msg` is everything after `&msg=`: it may contain `&`, `=` and `#`."""
    assert parse_line("cmd=2&uid=U&topic=t006&msg=a&b=c#1") == {
        "cmd": "2",
        "uid": "U",
        "topic": "t006",
        "msg": "a&b=c#1",
    }
    assert parse_line("cmd=1&res=1") == {"cmd": "1", "res": "1"}


# -- the command queue --------------------------------------------------------------------------------


class FakeClock:
    """A clock the test moves."""

    def __init__(self) -> None:
        """Start at zero."""
        self.now = 0.0

    def __call__(self) -> float:
        """Return the current time."""
        return self.now


async def test_queue_drops_repeats_within_the_window() -> None:
    """The same command again within a second is dropped; after it, or a different one, runs."""
    ran: list[tuple[str, str]] = []

    async def execute(topic: str, payload: str) -> None:
        ran.append((topic, payload))

    clock = FakeClock()
    queue = CommandQueue(execute, window=1.0, clock=clock)
    assert queue.submit("t", "on")
    assert not queue.submit("t", "on")
    clock.now = 0.5
    assert queue.submit("other", "on")  # per topic
    await queue.idle()
    clock.now = 0.9
    assert queue.submit("t", "off")
    await queue.idle()
    clock.now = 1.0
    assert queue.submit("t", "on")  # repeats after the window run again
    await queue.idle()
    assert queue.submit("t", "off")
    await queue.idle()
    assert ran == [("t", "on"), ("other", "on"), ("t", "off"), ("t", "on"), ("t", "off")]


async def test_queue_latest_wins_and_survives_errors() -> None:
    """While one command runs, newer ones replace each other; a failing one does not stop the rest."""
    release = asyncio.Event()
    ran: list[str] = []

    async def execute(_topic: str, payload: str) -> None:
        ran.append(payload)
        if payload == "boom":
            raise RuntimeError("device error")
        await release.wait()

    queue = CommandQueue(execute, window=0.0)
    queue.submit("t", "boom")
    await asyncio.sleep(0)  # runs and fails
    queue.submit("t", "on")
    await asyncio.sleep(0)  # runs, waits
    for payload in ("off", "on#3", "on"):
        queue.submit("t", payload)  # each replaces the one before
    release.set()
    await queue.idle()
    assert ran == ["boom", "on", "on"]
    assert queue.executed == 3 and queue.dropped == 2
    queue.submit("t", "x")
    await queue.stop()


# -- connections -----------------------------------------------------------------------------------


async def test_mqtt_typed_errors(bemfa: BemfaEmulator) -> None:
    """Refused key → BemfaAuthError; nothing listening or a silent server → BemfaUnreachable."""
    with pytest.raises(BemfaAuthError):
        await MqttConnection.open("127.0.0.1", bemfa.mqtt_port, "f" * 32, timeout=2)
    port = bemfa.mqtt_port
    await bemfa.stop_broker()
    with pytest.raises(BemfaUnreachable):
        await MqttConnection.open("127.0.0.1", port, DEFAULT_KEY, timeout=2)

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    try:
        with pytest.raises(BemfaUnreachable, match="no CONNACK") as caught:
            await MqttConnection.open(
                "127.0.0.1", server.sockets[0].getsockname()[1], DEFAULT_KEY, timeout=0.3
            )
        assert DEFAULT_KEY not in str(caught.value)
    finally:
        server.close()


async def test_mqtt_keepalive_and_loss(bemfa: BemfaEmulator) -> None:
    """The client pings before the broker's 1.5 keepalives; a dropped socket ends `run`."""
    connection = await MqttConnection.open("127.0.0.1", bemfa.mqtt_port, DEFAULT_KEY, keepalive=1)
    runner = asyncio.create_task(connection.run(lambda _t, _p: None))
    await until(lambda: sum(p.kind == "PINGRESP" for p in bemfa.packets) >= 2, timeout=5)
    assert bemfa.clients  # still connected after more than 1.5 keepalives
    await bemfa.drop_connections()
    with pytest.raises(BemfaConnectionLost):
        await asyncio.wait_for(runner, 3)


async def test_tcp_subscribes_in_chunks_of_eight(bemfa: BemfaEmulator) -> None:
    """More than 8 topics take several acknowledged `cmd=1` lines; a refused key raises."""
    connection = await TcpConnection.open("127.0.0.1", bemfa.tcp_port, DEFAULT_KEY)
    got: list[tuple[str, str]] = []
    runner = asyncio.create_task(connection.run(lambda t, p: got.append((t, p))))
    topics = [f"t{i}006" for i in range(10)]
    await connection.subscribe(topics)
    lines = [p for p in bemfa.packets if p.kind == "cmd=1" and p.direction == "in"]
    assert [len((p.topic or "").split(",")) for p in lines] == [8, 2]
    await connection.report("t0006", "on")
    await bemfa.wait_for_report("t0006", "on")
    await bemfa.xiaoai_say("t9006", "on#1")
    await until(lambda: got == [("t9006", "on#1")])
    runner.cancel()
    await connection.close()

    bad = await TcpConnection.open("127.0.0.1", bemfa.tcp_port, "f" * 32)
    runner = asyncio.create_task(bad.run(lambda _t, _p: None))
    with pytest.raises(BemfaAuthError):
        await bad.subscribe(["t0006"])
    runner.cancel()
    await bad.close()
    assert bemfa.topic("t0006", TCP) is not None


async def test_tcp_heartbeat_keeps_the_connection(bemfa: BemfaEmulator) -> None:
    """`ping` lines keep a TCP client alive past the server's heartbeat timeout."""
    bemfa.faults.tcp_heartbeat_timeout = 0.6
    connection = await TcpConnection.open("127.0.0.1", bemfa.tcp_port, DEFAULT_KEY, heartbeat=0.2)
    runner = asyncio.create_task(connection.run(lambda _t, _p: None))
    await connection.subscribe(["t006"])
    await asyncio.sleep(1.5)
    assert not runner.done() and bemfa.clients
    assert sum(p.kind == "ping" for p in bemfa.packets) >= 3
    runner.cancel()
    await connection.close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the link's reconnect delays (no jitter) and skip waiting them."""
    delays: list[float] = []

    async def record(_link: BemfaLink, delay: float) -> None:
        delays.append(round(delay, 3))
        await asyncio.sleep(0.001)

    monkeypatch.setattr(f"{link_module.__name__}.random.uniform", lambda _a, b: b)
    monkeypatch.setattr(BemfaLink, "_wait", record)
    return delays


async def test_backoff_doubles_up_to_the_cap(bemfa: BemfaEmulator, sleeps: list[float]) -> None:
    """Unreachable: 1, 2, 4, 8, then the cap; a refused key waits the cap at once."""
    port = bemfa.mqtt_port
    await bemfa.stop_broker()
    settings = LinkSettings(
        DEFAULT_KEY, Protocol.MQTT, "127.0.0.1", port, timeout=1, backoff_min=1, backoff_max=10
    )
    link = BemfaLink(settings)
    link.start()
    await until(lambda: len(sleeps) >= 6)
    await link.stop()
    assert sleeps[:6] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]

    sleeps.clear()
    await bemfa.start_broker()
    bemfa.reject_key(DEFAULT_KEY)
    link = BemfaLink(replace(settings, port=bemfa.mqtt_port))
    link.start()
    await until(lambda: len(sleeps) >= 2)
    await link.stop()
    assert link.auth_failed and sleeps[:2] == [10.0, 10.0]


async def test_link_resubscribes_and_replays(bemfa: BemfaEmulator) -> None:
    """Every (re)connect subscribes every topic and reports every known state again."""
    settings = LinkSettings(
        DEFAULT_KEY, Protocol.MQTT, "127.0.0.1", bemfa.mqtt_port, backoff_min=0.05
    )
    link = BemfaLink(settings)
    got: list[str] = []
    link.add_topic("a006", lambda _t, p: got.append(p))
    await link.report("a006", "off")  # before connecting: replayed on connect
    link.start()
    await bemfa.wait_for_report("a006", "off")
    link.add_topic("b006", lambda _t, p: got.append(p))  # added while connected
    await bemfa.wait_for_subscriber("b006")
    await link.report("b006", "on")
    await bemfa.drop_connections()
    await until(lambda: bemfa.reports("a006") == ["off", "off"])
    await until(lambda: bemfa.reports("b006") == ["on", "on"])
    await bemfa.xiaoai_say("b006", "off")
    await until(lambda: got == ["off"])
    await link.stop()
    assert not link.connected


# -- the topic API --------------------------------------------------------------------------------------


async def test_api_creates_and_renames(bemfa: BemfaEmulator, socket_enabled: None) -> None:
    """Missing topics are created with their name; a wrong name is corrected."""
    async with aiohttp.ClientSession() as session:
        api = BemfaApi(session, DEFAULT_KEY, Protocol.MQTT, bemfa.api_base)
        await api.ensure_topics([TopicSpec("a006", "投影仪"), TopicSpec("av002", "投影仪音量")])
        assert await api.list_topics() == {"a006": "投影仪", "av002": "投影仪音量"}
        calls = len(bemfa.http_calls)
        await api.ensure_topics([TopicSpec("a006", "卧室投影仪")])
        assert bemfa.http_calls[calls:] == [("GET", "/va/alltopic"), ("POST", "/va/setName")]
        assert (await api.list_topics())["a006"] == "卧室投影仪"
        tcp = BemfaApi(session, DEFAULT_KEY, Protocol.TCP, bemfa.api_base)
        assert await tcp.list_topics() == {}  # the TCP console is separate


@pytest.mark.parametrize(
    ("fault", "message"),
    [({"http_status": 500}, "HTTP 500"), ({"http_code": 40007}, "rate limited")],
)
async def test_api_failures_never_show_the_key(
    bemfa: BemfaEmulator, fault: dict[str, int], message: str
) -> None:
    """HTTP errors, Bemfa codes and unreachable servers: BemfaApiError without the key."""
    for name, value in fault.items():
        setattr(bemfa.faults, name, value)
    async with aiohttp.ClientSession() as session:
        api = BemfaApi(session, DEFAULT_KEY, Protocol.MQTT, bemfa.api_base)
        with pytest.raises(BemfaApiError, match=message) as caught:
            await api.ensure_topics([TopicSpec("a006", "投影仪")])
        assert DEFAULT_KEY not in str(caught.value)
        await bemfa.stop()  # the API server goes away too
        with pytest.raises(BemfaApiError) as caught:
            await api.list_topics()
        assert DEFAULT_KEY not in str(caught.value)


async def test_link_republishes_periodically(bemfa: BemfaEmulator) -> None:
    """The states are reported again every `republish_interval` (Bemfa's stored state stays fresh)."""
    settings = LinkSettings(
        DEFAULT_KEY, Protocol.MQTT, "127.0.0.1", bemfa.mqtt_port, republish_interval=0.1
    )
    link = BemfaLink(settings)
    link.add_topic("a006", lambda _t, _p: None)
    await link.report("a006", "on")
    link.start()
    await until(lambda: len(bemfa.reports("a006")) >= 4)
    await link.stop()
    assert set(bemfa.reports("a006")) == {"on"}
