"""The Xiao Ai bridge end to end: Bemfa emulator → bridge → integration → ADB → virtual projector.

Xiao Ai's side is the emulator's cloud API (`xiaoai_say`, `reported_state`); the projector is
the virtual one over the real ADB protocol. Nothing is mocked in between.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.xgimi_adb import xiaoai
from custom_components.xgimi_adb.bemfa.topics import DeviceType, derive_topic
from custom_components.xgimi_adb.const import (
    CONF_BEMFA_API_BASE,
    CONF_BEMFA_HOST,
    CONF_BEMFA_PORT,
    CONF_BEMFA_PROTOCOL,
    CONF_XIAOAI_ENABLED,
    CONF_XIAOAI_NAME,
    CONF_XIAOAI_PLAYBACK,
    CONF_XIAOAI_VOLUME,
    DOMAIN,
    PROTOCOL_MQTT,
    PROTOCOL_TCP,
)
from custom_components.xgimi_adb.diagnostics import async_get_config_entry_diagnostics
from tests.bemfa_emulator import DEFAULT_KEY, BemfaEmulator
from tests.entities_common import Harness, entity_id, make_entry, muted, power, setup_entry
from tests.virtual_projector import PlaybackState, PowerState, VirtualProjector
from tests.xiaoai_common import bemfa_fixture, fast_bridge_fixture, until  # noqa: F401 - fixtures "bemfa" and "fast_bridge"

KEY_WAKEUP, KEY_SLEEP, KEY_MUTE, KEY_PLAY, KEY_PAUSE = 224, 223, 164, 126, 127


pytestmark = pytest.mark.usefixtures("fast_bridge")


def bridge_options(
    bemfa: BemfaEmulator, protocol: str = PROTOCOL_MQTT, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the options of an entry whose bridge talks to the emulator."""
    port = bemfa.mqtt_port if protocol == PROTOCOL_MQTT else bemfa.tcp_port
    return {
        CONF_XIAOAI_ENABLED: True,
        CONF_BEMFA_PROTOCOL: protocol,
        CONF_BEMFA_HOST: "127.0.0.1",
        CONF_BEMFA_PORT: port,
        CONF_BEMFA_API_BASE: bemfa.api_base,
        CONF_XIAOAI_NAME: "投影仪",
        **(extra or {}),
    }


async def load_bridge(
    hass: HomeAssistant, harness: Harness, options: Mapping[str, Any], key: str = DEFAULT_KEY
) -> MockConfigEntry:
    """Create an entry with the bridge options and a saved key; set it up."""
    entry = make_entry(harness.projector, harness.facts, options)
    harness.entries.append(entry)
    await xiaoai.async_set_key(hass, entry.entry_id, key)
    await setup_entry(hass, entry)
    return entry


def topic_of(
    entry: MockConfigEntry, kind: str = "", device_type: DeviceType = DeviceType.SWITCH
) -> str:
    """Return the topic the bridge derives for `entry`."""
    assert entry.unique_id is not None
    return derive_topic(entry.unique_id, kind, device_type)


def bridge_of(hass: HomeAssistant, entry: MockConfigEntry) -> xiaoai.XiaoAiBridge:
    """Return the running bridge of `entry`."""
    bridge = xiaoai.get_bridge(hass, entry.entry_id)
    assert bridge is not None
    return bridge


async def settle(hass: HomeAssistant, entry: MockConfigEntry, received: int) -> None:
    """Wait until the bridge got `received` commands in all and every one has run."""
    bridge = bridge_of(hass, entry)
    await until(lambda: bridge.received >= received)
    await bridge._queue.idle()  # noqa: SLF001 - the test waits on the queue
    await hass.async_block_till_done()


# -- power ---------------------------------------------------------------------------------------


async def test_voice_on_off(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """`off` ("关闭投影仪") puts it to sleep, `on` wakes it; states go to `/set` at QoS 1."""
    entry = await load_bridge(hass, harness, bridge_options(bemfa))
    topic = topic_of(entry)
    await bemfa.wait_for_subscriber(topic)
    await bemfa.wait_for_report(topic, "on")  # reported at connect: the launcher counts as on

    keys = len(xgimi.key_events)
    assert await bemfa.xiaoai_say(topic, "off") == 1
    await bemfa.wait_for_report(topic, "off")
    assert power(xgimi) is PowerState.SCREEN_OFF

    assert await bemfa.xiaoai_say(topic, "on") == 1
    await bemfa.wait_for_report(topic, "on")
    assert power(xgimi) is PowerState.ON
    assert xgimi.key_events[keys:] == [KEY_SLEEP, KEY_WAKEUP]

    # Reports go to `topic/set` at QoS 1, never QoS 2, and are not echoed back to the bridge.
    published = [p for p in bemfa.packets if p.kind == "PUBLISH" and p.direction == "in"]
    assert published and {p.topic for p in published} == {f"{topic}/set"}
    assert {p.qos for p in published} == {1}
    pushed = [p.payload for p in bemfa.packets if p.direction == "out" and p.kind == "PUBLISH"]
    assert pushed == ["off", "on"]  # only Xiao Ai's commands
    subscribed = [p for p in bemfa.packets if p.kind == "SUBSCRIBE"]
    assert subscribed and all(p.qos == 1 for p in subscribed)
    assert bemfa.bans == []

    # The diagnostic entities.
    connected = entity_id_of(hass, "binary_sensor", entry, "xiaoai_connected")
    last = entity_id_of(hass, "sensor", entry, "xiaoai_last_command")
    assert hass.states.get(connected).state == "on"  # type: ignore[union-attr]
    state = hass.states.get(last)
    assert state is not None and state.state == "power on"
    assert state.attributes["result"] == "done"


def entity_id_of(hass: HomeAssistant, platform: str, entry: MockConfigEntry, key: str) -> str:
    """Entity id of one of the bridge's diagnostic entities."""
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, f"{entry.unique_id}_{key}")
    assert found is not None
    entity = er.async_get(hass).async_get(found)
    assert entity is not None and entity.entity_category == "diagnostic"
    return found


async def test_commands_run_whatever_home_assistant_believes(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """`off` while idle (not playing) still turns it off; `on` while on still wakes (larry-wong/bemfa#94)."""
    entry = await load_bridge(hass, harness, bridge_options(bemfa))
    topic = topic_of(entry)
    await bemfa.wait_for_report(topic, "on")
    assert hass.states.get(entity_id(hass, "media_player", entry)).state == "idle"  # type: ignore[union-attr]

    keys = len(xgimi.key_events)
    assert await bemfa.xiaoai_say(topic, "on") == 1  # already on: the wake key is sent anyway
    await settle(hass, entry, 1)
    assert xgimi.key_events[keys:] == [KEY_WAKEUP]

    await asyncio.sleep(xiaoai.DEDUPE_WINDOW)
    await xgimi.set_power(PowerState.SCREEN_OFF)  # off behind Home Assistant's back
    assert await bemfa.xiaoai_say(topic, "on") == 1
    await settle(hass, entry, 2)
    assert power(xgimi) is PowerState.ON
    assert bemfa.reported_state(topic) == "on"


async def test_deep_standby_comes_up_through_the_plug(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """`on` uses the integration's whole turn-on chain: a projector off the network, via the plug."""
    from homeassistant.setup import async_setup_component  # noqa: PLC0415

    from custom_components.xgimi_adb.const import CONF_TURN_ON_ENTITY  # noqa: PLC0415

    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"plug": {}}})

    async def plug_changed(event: Any) -> None:
        if (
            event.data["entity_id"] == "input_boolean.plug"
            and event.data["new_state"].state == "on"
        ):
            await xgimi.set_power(PowerState.ON)

    hass.bus.async_listen("state_changed", plug_changed)
    await xgimi.set_power(PowerState.STANDBY)
    entry = await load_bridge(
        hass, harness, bridge_options(bemfa, extra={CONF_TURN_ON_ENTITY: "input_boolean.plug"})
    )
    topic = topic_of(entry)
    await bemfa.wait_for_report(topic, "off")
    assert await bemfa.xiaoai_say(topic, "on") == 1
    await bemfa.wait_for_report(topic, "on", timeout=10)
    assert power(xgimi) is PowerState.ON
    assert hass.states.get("input_boolean.plug").state == "on"  # type: ignore[union-attr]


async def test_one_connection_per_key(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """Two projectors with the same Bemfa key share one connection; each gets its own topic."""
    first = await load_bridge(hass, harness, bridge_options(bemfa))
    other = make_entry(xgimi, {**harness.facts, "serial": "SECOND0001"}, bridge_options(bemfa))
    harness.entries.append(other)
    await xiaoai.async_set_key(hass, other.entry_id, DEFAULT_KEY)
    await setup_entry(hass, other)
    for entry in (first, other):
        await bemfa.wait_for_report(topic_of(entry), "on")
    assert len(bemfa.clients) == 1
    assert set(bemfa.clients[0].subscriptions) == {topic_of(first), topic_of(other)}
    assert sum(p.kind == "CONNECT" for p in bemfa.packets) == 1

    await hass.config_entries.async_unload(first.entry_id)
    assert await bemfa.xiaoai_say(topic_of(other), "off") == 1  # the other one still listens
    await bemfa.wait_for_report(topic_of(other), "off")
    assert power(xgimi) is PowerState.SCREEN_OFF


# -- volume and playback ---------------------------------------------------------------------------


async def test_voice_volume_and_pause(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """Volume `002` light: `on#30` sets 30 %, `off` mutes; playback switch: off pauses, on plays."""
    options = bridge_options(bemfa, extra={CONF_XIAOAI_VOLUME: True, CONF_XIAOAI_PLAYBACK: True})
    entry = await load_bridge(hass, harness, options)
    volume_topic = topic_of(entry, "v", DeviceType.LIGHT)
    playback_topic = topic_of(entry, "p", DeviceType.SWITCH)
    await bemfa.wait_for_subscriber(playback_topic)
    await bemfa.wait_for_report(playback_topic, "off")

    assert await bemfa.xiaoai_say(volume_topic, "on#30") == 1
    await bemfa.wait_for_report(volume_topic, "on#30")
    assert xgimi.device.volume == round(0.3 * xgimi.device.max_volume)
    assert await bemfa.xiaoai_say(volume_topic, "off") == 1
    await bemfa.wait_for_report(volume_topic, "off")
    assert muted(xgimi)
    assert await bemfa.xiaoai_say(volume_topic, "on#55") == 1
    await bemfa.wait_for_report(volume_topic, "on#55")
    assert not muted(xgimi)

    app = entry.data["facts"]["apps"][0]["package"]
    await xgimi.launch_app(app)
    await xgimi.set_playback(PlaybackState.PLAYING)
    keys = len(xgimi.key_events)
    assert await bemfa.xiaoai_say(playback_topic, "off") == 1  # "暂停投影仪"
    await settle(hass, entry, 4)
    assert playback(xgimi) is PlaybackState.PAUSED
    assert await bemfa.xiaoai_say(playback_topic, "on") == 1
    await bemfa.wait_for_report(playback_topic, "on")
    assert xgimi.key_events[keys:] == [KEY_PAUSE, KEY_PLAY]

    # Bemfa names: the spoken name plus 音量 / 播放, created over the HTTP API.
    names = {topic: record.name for (_, topic), record in bemfa.accounts[DEFAULT_KEY].items()}
    assert names[volume_topic] == "投影仪音量"
    assert names[playback_topic] == "投影仪播放"


def playback(projector: VirtualProjector) -> PlaybackState:
    """Return the device model's media session state (read afresh)."""
    return projector.device.playback


async def test_unknown_payloads_and_failures_are_reported(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """Nonsense is ignored; a volume command while asleep fails cleanly; the bridge carries on."""
    options = bridge_options(bemfa, extra={CONF_XIAOAI_VOLUME: True})
    entry = await load_bridge(hass, harness, options)
    topic, volume_topic = topic_of(entry), topic_of(entry, "v", DeviceType.LIGHT)
    await bemfa.wait_for_subscriber(volume_topic)
    last = entity_id_of(hass, "sensor", entry, "xiaoai_last_command")
    keys = len(xgimi.key_events)
    commands = len(xgimi.received_commands)

    assert await bemfa.xiaoai_say(topic, "toggle") == 1
    assert await bemfa.xiaoai_say(volume_topic, "on#loud") == 1
    await settle(hass, entry, 2)
    state = hass.states.get(last)
    assert state is not None and state.state == "volume on#loud"
    assert state.attributes["result"] == "ignored"
    assert xgimi.key_events[keys:] == []

    await xgimi.set_power(PowerState.SCREEN_OFF)
    assert await bemfa.xiaoai_say(volume_topic, "on#30") == 1
    await settle(hass, entry, 3)
    state = hass.states.get(last)
    assert state is not None and state.attributes["result"] == "failed"
    assert not any("volume" in line for line in xgimi.received_commands[commands:])
    await bemfa.wait_for_report(volume_topic, "off")  # asleep: the volume light reads off

    assert await bemfa.xiaoai_say(topic, "on") == 1  # and the bridge still works
    await bemfa.wait_for_report(topic, "on")
    assert power(xgimi) is PowerState.ON


# -- the connection ---------------------------------------------------------------------------------


async def test_broker_restart_loses_no_command(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """After a Bemfa outage the bridge resubscribes and republishes; the next command runs."""
    entry = await load_bridge(hass, harness, bridge_options(bemfa))
    topic = topic_of(entry)
    await bemfa.wait_for_report(topic, "on")
    reports = len(bemfa.reports(topic))
    connected = entity_id_of(hass, "binary_sensor", entry, "xiaoai_connected")

    await bemfa.stop_broker()
    await until(lambda: hass.states.get(connected).state == "off")  # type: ignore[union-attr]
    await asyncio.sleep(0.5)  # a few failed reconnects
    await bemfa.start_broker()
    await bemfa.wait_for_subscriber(topic)
    await bemfa.wait_for(lambda: len(bemfa.reports(topic)) > reports)  # republished
    await until(lambda: hass.states.get(connected).state == "on")  # type: ignore[union-attr]

    assert await bemfa.xiaoai_say(topic, "off") == 1
    await bemfa.wait_for_report(topic, "off")
    assert power(xgimi) is PowerState.SCREEN_OFF

    # A dropped connection (listener still up) too.
    await bemfa.drop_connections()
    await bemfa.wait_for_subscriber(topic)
    assert await bemfa.xiaoai_say(topic, "on") == 1
    await bemfa.wait_for_report(topic, "on")
    assert power(xgimi) is PowerState.ON


async def test_tcp_transport(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """The TCP line protocol does the same: subscribe, report to `/set`, commands, reconnect."""
    entry = await load_bridge(hass, harness, bridge_options(bemfa, PROTOCOL_TCP))
    topic = topic_of(entry)
    await bemfa.wait_for_subscriber(topic)
    await bemfa.wait_for_report(topic, "on")
    assert await bemfa.xiaoai_say(topic, "off") == 1
    await bemfa.wait_for_report(topic, "off")
    assert power(xgimi) is PowerState.SCREEN_OFF
    assert [p.transport for p in bemfa.packets] and {p.transport for p in bemfa.packets} == {"tcp"}
    assert any(p.kind == "cmd=2" and p.topic == f"{topic}/set" for p in bemfa.packets)

    await bemfa.restart(0.2)
    await bemfa.wait_for_subscriber(topic)
    assert await bemfa.xiaoai_say(topic, "on") == 1
    await bemfa.wait_for_report(topic, "on")
    assert power(xgimi) is PowerState.ON
    assert bemfa.topic(topic, 3) is not None and bemfa.topic(topic, 3).created  # type: ignore[union-attr]


# -- duplicates, order, floods -------------------------------------------------------------------------


async def test_duplicates_run_once(
    hass: HomeAssistant,
    harness: Harness,
    xgimi: VirtualProjector,
    bemfa: BemfaEmulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command delivered three times, then repeated after it ran, within the window: once."""
    monkeypatch.setattr(xiaoai, "DEDUPE_WINDOW", 30.0)  # the repeat surely falls inside it
    entry = await load_bridge(hass, harness, bridge_options(bemfa))
    topic = topic_of(entry)
    await bemfa.wait_for_report(topic, "on")
    bemfa.faults.duplicate = 3
    keys = len(xgimi.key_events)
    assert await bemfa.xiaoai_say(topic, "off") == 1
    await settle(hass, entry, 3)
    assert xgimi.key_events[keys:] == [KEY_SLEEP]
    bemfa.faults.duplicate = 1
    assert await bemfa.xiaoai_say(topic, "off") == 1  # after the first ran: still a repeat
    await settle(hass, entry, 4)
    assert xgimi.key_events[keys:] == [KEY_SLEEP]
    assert bemfa.reported_state(topic) == "off"
    last = hass.states.get(entity_id_of(hass, "sensor", entry, "xiaoai_last_command"))
    assert last is not None and last.state == "power off"


async def test_out_of_order_delivery_ends_in_the_last_delivered_state(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """`on`, `off` delivered reversed: both run, in delivery order; the state is the last one."""
    entry = await load_bridge(hass, harness, bridge_options(bemfa))
    topic = topic_of(entry)
    await bemfa.wait_for_report(topic, "on")
    bemfa.faults.hold = True
    await bemfa.xiaoai_say(topic, "off")
    await bemfa.xiaoai_say(topic, "on")
    await bemfa.xiaoai_say(topic, "off")
    keys = len(xgimi.key_events)
    await bemfa.release(reverse=True)  # delivered: off, on, off
    await settle(hass, entry, 3)
    assert power(xgimi) is PowerState.SCREEN_OFF
    assert bemfa.reported_state(topic) == "off"
    # The first `off` ran; the `on` was replaced by the newer `off` before it could run.
    assert xgimi.key_events[keys:] in ([KEY_SLEEP], [KEY_SLEEP, KEY_WAKEUP, KEY_SLEEP])


async def test_flood_of_commands(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """100 commands in a burst: no crash, the last one wins, no repeat runs within the window."""
    entry = await load_bridge(hass, harness, bridge_options(bemfa))
    topic = topic_of(entry)
    await bemfa.wait_for_report(topic, "on")
    keys = len(xgimi.key_events)
    words = ["on", "off", "off", "on"] * 24 + ["off", "off", "on", "off"]
    assert len(words) == 100
    for word in words:
        assert await bemfa.xiaoai_say(topic, word) == 1
    await settle(hass, entry, 100)
    assert power(xgimi) is PowerState.SCREEN_OFF
    assert bemfa.reported_state(topic) == "off"
    pressed = xgimi.key_events[keys:]
    assert pressed and pressed[-1] == KEY_SLEEP
    # Latest wins: while one command runs, newer ones replace each other; the burst runs a few.
    # Every command was either run once or dropped (superseded, or a repeat within the window).
    queue = bridge_of(hass, entry)._queue  # noqa: SLF001 - the counters of this burst
    assert bridge_of(hass, entry).received == 100
    assert queue.executed + queue.dropped == 100
    assert queue.executed == len(pressed) < 10
    assert entry.state is ConfigEntryState.LOADED
    assert bridge_of(hass, entry).connected


# -- failures that must not break anything ----------------------------------------------------------


async def test_http_api_failure_raises_a_repair_issue(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """The topic API failing (HTTP 500, then rate limited) leaves a translated repair; commands still work."""
    bemfa.faults.http_status = 500
    entry = await load_bridge(hass, harness, bridge_options(bemfa))
    topic = topic_of(entry)
    issue_id = f"bemfa_topics_{entry.entry_id}"
    await until(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None and issue.translation_key == "bemfa_topics"
    assert issue.translation_placeholders is not None
    assert topic in issue.translation_placeholders["topics"]
    assert "投影仪" in issue.translation_placeholders["topics"]
    assert issue.translation_placeholders["console"] == "MQTT设备云"
    assert DEFAULT_KEY not in str(issue.translation_placeholders)

    await bemfa.wait_for_subscriber(topic)  # the API fails, the bridge still subscribes
    assert await bemfa.xiaoai_say(topic, "off") == 1
    await bemfa.wait_for_report(topic, "off")
    assert power(xgimi) is PowerState.SCREEN_OFF

    # Once the API works again, the next start creates the topic and the issue goes away.
    bemfa.faults.http_status = None
    assert await hass.config_entries.async_reload(entry.entry_id)
    await until(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None)
    record = bemfa.topic(topic)
    assert record is not None and record.created and record.name == "投影仪"


async def test_rate_limited_api_also_raises_the_issue(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """Bemfa's 40007 (too many requests) is a failure too."""
    bemfa.faults.http_code = 40007
    entry = await load_bridge(hass, harness, bridge_options(bemfa))
    issue_id = f"bemfa_topics_{entry.entry_id}"
    await until(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None and "40007" in issue.translation_placeholders["error"]  # type: ignore[index]


async def test_rejected_key_at_runtime_keeps_the_projector_working(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """A key Bemfa refuses: the bridge shows disconnected, the projector entities work."""
    bemfa.reject_key(DEFAULT_KEY)
    entry = await load_bridge(hass, harness, bridge_options(bemfa))
    assert entry.state is ConfigEntryState.LOADED
    bridge = bridge_of(hass, entry)
    await until(lambda: bridge.link is not None and bridge.link.auth_failed)
    assert not bridge.connected
    player = entity_id(hass, "media_player", entry)
    await hass.services.async_call("media_player", "turn_off", {"entity_id": player}, blocking=True)
    assert power(xgimi) is PowerState.SCREEN_OFF


async def test_bridge_disabled(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """Off (the default): no connection, no bridge entities, the projector works as before."""
    entry = await harness.load()
    assert xiaoai.get_bridge(hass, entry.entry_id) is None
    assert bemfa.clients == [] and bemfa.packets == []
    registry = er.async_get(hass)
    unique_ids = {e.unique_id for e in er.async_entries_for_config_entry(registry, entry.entry_id)}
    assert unique_ids and not any("xiaoai" in unique_id for unique_id in unique_ids)
    player = entity_id(hass, "media_player", entry)
    await hass.services.async_call("media_player", "turn_off", {"entity_id": player}, blocking=True)
    assert power(xgimi) is PowerState.SCREEN_OFF

    # Saved key but the switch off: still nothing.
    disabled = bridge_options(bemfa, extra={CONF_XIAOAI_ENABLED: False})
    other = await load_bridge(hass, harness, disabled)
    assert xiaoai.get_bridge(hass, other.entry_id) is None
    assert bemfa.clients == []


# -- the key stays secret ---------------------------------------------------------------------------


async def test_key_never_in_logs_or_diagnostics(
    hass: HomeAssistant,
    harness: Harness,
    xgimi: VirtualProjector,
    bemfa: BemfaEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Debug logs of a whole session (connect, failures, commands) and diagnostics: no key."""
    caplog.set_level(logging.DEBUG)
    bemfa.faults.http_status = 500
    entry = await load_bridge(hass, harness, bridge_options(bemfa))
    topic = topic_of(entry)
    await bemfa.wait_for_report(topic, "on")
    assert await bemfa.xiaoai_say(topic, "off") == 1
    await bemfa.wait_for_report(topic, "off")
    await bemfa.drop_connections()
    await bemfa.wait_for_subscriber(topic)
    bemfa.reject_key(DEFAULT_KEY)
    await until(lambda: bridge_of(hass, entry).link.auth_failed)  # type: ignore[union-attr]

    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    assert diagnostics["xiaoai"]["connected"] is False
    assert diagnostics["xiaoai"]["key_saved"] is True
    assert DEFAULT_KEY not in str(diagnostics)
    assert DEFAULT_KEY not in str(dict(entry.options))
    # The test harness's in-memory storage logs what it is asked to write; Home Assistant's
    # real storage does not, so its records are left out.
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("pytest_homeassistant_custom_component")
    )
    assert "Bemfa" in logged  # the session was logged…
    assert "refused" in logged
    assert DEFAULT_KEY.upper() not in logged.upper()  # …without the key


async def test_key_store_is_owner_only(
    hass: HomeAssistant,
    harness: Harness,
    xgimi: VirtualProjector,
    bemfa: BemfaEmulator,
    hass_storage: dict[str, Any],
) -> None:
    """The key is saved in its own private store (not the config entries), deleted with the entry."""
    entry = await load_bridge(hass, harness, bridge_options(bemfa))
    assert hass_storage[f"{DOMAIN}.bemfa_keys"]["data"] == {entry.entry_id: DEFAULT_KEY}
    assert xiaoai._store(hass)._private  # noqa: SLF001 - written 0600 by Home Assistant
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert await xiaoai.async_get_key(hass, entry.entry_id) is None
    assert hass_storage[f"{DOMAIN}.bemfa_keys"]["data"] == {}
