"""The media player, end to end against the virtual projector over real ADB.

Everything goes through Home Assistant's public interfaces (config entries, `hass.states`,
`hass.services`); what the projector did is read from the virtual projector's own records.
Also here: the anchor complaints about Home Assistant's built-in `androidtv` integration that
concern the media player (off at start then on through the plug, volume_set, source list,
commands while unreachable, auth surviving restarts, revoked key -> reauth).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
import stat
import time
from types import SimpleNamespace
from typing import Any

from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from homeassistant.components.media_player.const import (
    ATTR_APP_ID,
    ATTR_APP_NAME,
    ATTR_INPUT_SOURCE,
    ATTR_INPUT_SOURCE_LIST,
    ATTR_MEDIA_VOLUME_LEVEL,
    ATTR_MEDIA_VOLUME_MUTED,
    DOMAIN as MP_DOMAIN,
    SERVICE_SELECT_SOURCE,
    MediaPlayerEntityFeature,
    MediaPlayerState,
)
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    ATTR_DEVICE_CLASS,
    ATTR_ENTITY_ID,
    ATTR_FRIENDLY_NAME,
    ATTR_SUPPORTED_FEATURES,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, EventStateChangedData, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.event import async_track_state_change_event
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.xgimi_adb import control, coordinator as coordinator_module
from custom_components.xgimi_adb.const import (
    ADB_KEY_PATH,
    CONF_BROADCAST_ADDRESS,
    CONF_BROADCAST_PORT,
    CONF_POWER_CYCLE,
    CONF_POWER_CYCLE_DELAY,
    CONF_TURN_OFF_MODE,
    CONF_TURN_ON_ENTITY,
    CONF_WAKE_ON_LAN,
    DOMAIN,
    FAST_POLL_AFTER_OFF,
    SCAN_INTERVAL_OFF,
    SCAN_INTERVAL_ON,
    TURN_OFF_STANDBY,
)
from custom_components.xgimi_adb.projector.catalog import Source, SourceKind
from custom_components.xgimi_adb.projector.client import ProjectorClient
from custom_components.xgimi_adb.projector.device import XgimiDevice
from custom_components.xgimi_adb.projector.errors import CommandRejected, ConnectionLost
from tests.entities_common import (
    ALL_PROFILES,
    MAX_VOLUME,
    Harness,
    entity_id,
    muted,
    new_commands,
    non_poll,
    power,
    read_facts,
    refresh,
    runtime,
    state_of,
)
from tests.virtual_projector import AuthPolicy, PlaybackState, PowerState, VirtualProjector

KEY_VOLUME_UP, KEY_VOLUME_DOWN, KEY_MUTE = 24, 25, 164
KEY_POWER, KEY_SLEEP, KEY_WAKEUP = 26, 223, 224
PLUG = "input_boolean.plug"


pytestmark = pytest.mark.usefixtures("fast")


@pytest.fixture
def player(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Entity id of the media player."""
    return entity_id(hass, MP_DOMAIN, entry)


async def call(hass: HomeAssistant, service: str, entity: str, **data: Any) -> None:
    """Call a media_player action and wait for it."""
    await hass.services.async_call(
        MP_DOMAIN, service, {ATTR_ENTITY_ID: entity, **data}, blocking=True
    )


async def poll_state(hass: HomeAssistant, entry: MockConfigEntry, entity: str) -> str:
    """Poll now; return the entity's state."""
    await refresh(entry)
    return state_of(hass, entity).state


def expected_sources(projector: VirtualProjector, facts: dict[str, Any]) -> list[str]:
    """HDMI inputs by port, then the launchable apps by name, as a person would pick them."""
    hdmi = [
        f"HDMI {item['port']}" for item in sorted(facts["hdmi_inputs"], key=lambda i: i["port"])
    ]
    names = [app["name"] for app in facts["apps"]]
    return hdmi + [
        name if names.count(name) == 1 else f"{name} ({app['package']})"
        for name, app in zip(names, facts["apps"], strict=True)
    ]


async def setup_plug(
    hass: HomeAssistant, projector: VirtualProjector, *, boots_to: PowerState = PowerState.ON
) -> list[str]:
    """Add a smart plug (an input_boolean) powering the projector; return its history."""
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"plug": {}}})
    history: list[str] = []

    async def switched(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        assert new is not None
        history.append(new.state)
        if new.state == STATE_ON:
            await projector.set_power(boots_to)  # "power on when powered"
        else:
            await projector.set_power(PowerState.UNPOWERED)

    async_track_state_change_event(hass, PLUG, switched)
    return history


# -- every profile --------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ALL_PROFILES)
async def test_profile(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str, profile: str
) -> None:
    """Each firmware: state, sources (anchor 6), volume on its own scale (anchor 5), HDMI, apps."""
    state = state_of(hass, player)
    assert state.state == MediaPlayerState.IDLE  # the launcher
    assert state.attributes[ATTR_DEVICE_CLASS] == "projector"
    assert state.attributes[ATTR_FRIENDLY_NAME] == f"{entry.title} Projector"
    assert state.attributes[ATTR_APP_ID] == xgimi.device.foreground
    assert state.attributes[ATTR_SUPPORTED_FEATURES] == (
        MediaPlayerEntityFeature.TURN_ON
        | MediaPlayerEntityFeature.TURN_OFF
        | MediaPlayerEntityFeature.VOLUME_SET
        | MediaPlayerEntityFeature.VOLUME_STEP
        | MediaPlayerEntityFeature.VOLUME_MUTE
        | MediaPlayerEntityFeature.SELECT_SOURCE
        | MediaPlayerEntityFeature.PLAY
        | MediaPlayerEntityFeature.PAUSE
        | MediaPlayerEntityFeature.STOP
        | MediaPlayerEntityFeature.NEXT_TRACK
        | MediaPlayerEntityFeature.PREVIOUS_TRACK
    )

    # Anchor (6): the source list is what a person would pick, never running processes.
    facts = entry.data["facts"]
    sources = expected_sources(xgimi, facts)
    assert state.attributes[ATTR_INPUT_SOURCE_LIST] == sources
    assert sources[:2] == ["HDMI 1", "HDMI 2"]
    packages = {app["package"] for app in facts["apps"]}
    assert packages <= {app.package for app in xgimi.profile.apps if app.activities}
    running = set(xgimi.device.running_packages)
    assert running - packages, "the profile runs background processes"
    for process in running - packages:
        assert all(process not in name for name in sources)
    assert xgimi.profile.launcher_package not in packages

    # Anchor (5): volume_set on the device's own scale, read back from the device.
    maximum = MAX_VOLUME[profile]
    assert xgimi.device.max_volume == maximum
    level = state.attributes[ATTR_MEDIA_VOLUME_LEVEL]
    assert level == pytest.approx(xgimi.device.volume / maximum)
    await call(hass, "volume_set", player, volume_level=0.6)
    assert xgimi.device.volume == round(0.6 * maximum)
    level = state_of(hass, player).attributes[ATTR_MEDIA_VOLUME_LEVEL]
    assert level == pytest.approx(round(0.6 * maximum) / maximum)

    # HDMI inputs through the firmware's own player.
    await call(hass, SERVICE_SELECT_SOURCE, player, source="HDMI 2")
    assert xgimi.device.current_input == "HDMI2"
    assert state_of(hass, player).attributes[ATTR_INPUT_SOURCE] == "HDMI 2"
    assert state_of(hass, player).attributes[ATTR_APP_NAME] == "HDMI 2"  # not the player's package

    # An app by its launcher activity (the Play Store is not what a projector is for).
    index, app = next(
        (i, app) for i, app in enumerate(facts["apps"]) if app["package"] != "com.android.vending"
    )
    name = sources[2 + index]
    await call(hass, SERVICE_SELECT_SOURCE, player, source=name)
    assert xgimi.device.foreground == app["package"]
    state = state_of(hass, player)
    assert state.state == MediaPlayerState.ON
    assert state.attributes[ATTR_INPUT_SOURCE] == name
    assert state.attributes[ATTR_APP_ID] == app["package"]
    assert state.attributes[ATTR_APP_NAME] == app["name"]

    # Its media session, then the screen going off (network still up).
    await xgimi.set_playback(PlaybackState.PLAYING)
    assert await poll_state(hass, entry, player) == MediaPlayerState.PLAYING
    await xgimi.set_playback(PlaybackState.PAUSED)
    assert await poll_state(hass, entry, player) == MediaPlayerState.PAUSED
    await xgimi.set_power(PowerState.SCREEN_OFF)
    assert await poll_state(hass, entry, player) == MediaPlayerState.OFF


async def test_device_info(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry
) -> None:
    """The device: XGIMI, the model, the serial number and the MAC as a connection."""
    facts = entry.data["facts"]
    [device] = dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
    assert device.identifiers == {(DOMAIN, facts["serial"])}
    props = xgimi.device.props
    assert device.manufacturer == "XGIMI"
    assert device.model == facts["model"] == props["ro.boot.xgimi.modelname"]
    assert device.serial_number == facts["serial"]
    assert (dr.CONNECTION_NETWORK_MAC, xgimi.profile.primary_mac) in device.connections


async def test_states_in_between(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str
) -> None:
    """An app without playback is on, a stopped session too; standby (network down) is off."""
    await xgimi.launch_app(entry.data["facts"]["apps"][0]["package"])
    assert await poll_state(hass, entry, player) == MediaPlayerState.ON
    await xgimi.set_playback(PlaybackState.STOPPED)
    assert await poll_state(hass, entry, player) == MediaPlayerState.ON
    await xgimi.set_power(PowerState.STANDBY)
    assert await poll_state(hass, entry, player) == STATE_OFF  # not unavailable
    assert ATTR_APP_ID not in state_of(hass, player).attributes


# -- volume ---------------------------------------------------------------------------------------


async def test_volume_steps_and_mute(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str
) -> None:
    """Steps are one key each (never resent); mute toggles only when the state differs."""
    keys = len(xgimi.key_events)
    volume = xgimi.device.volume
    await call(hass, "volume_up", player)
    assert xgimi.key_events[keys:] == [KEY_VOLUME_UP]
    assert xgimi.device.volume == volume + 1
    await call(hass, "volume_down", player)
    assert xgimi.key_events[keys:] == [KEY_VOLUME_UP, KEY_VOLUME_DOWN]
    assert xgimi.device.volume == volume

    keys = len(xgimi.key_events)
    await call(hass, "volume_mute", player, is_volume_muted=True)
    assert muted(xgimi)
    assert state_of(hass, player).attributes[ATTR_MEDIA_VOLUME_MUTED] is True
    await call(hass, "volume_mute", player, is_volume_muted=True)  # already muted: no toggle
    assert muted(xgimi)
    await call(hass, "volume_mute", player, is_volume_muted=False)
    assert not muted(xgimi)
    assert state_of(hass, player).attributes[ATTR_MEDIA_VOLUME_MUTED] is False
    assert xgimi.key_events[keys:] == [KEY_MUTE, KEY_MUTE]

    await call(hass, "volume_set", player, volume_level=1.0)
    assert xgimi.device.volume == 100
    await call(hass, "volume_set", player, volume_level=0.0)
    assert xgimi.device.volume == 0


async def test_volume_unknown_while_asleep(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str
) -> None:
    """Asleep, the poll does not read the volume: volume_set says so; mute is sent anyway."""
    await xgimi.set_power(PowerState.SCREEN_OFF)
    await refresh(entry)
    before = len(xgimi.received_commands)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "volume_set", player, volume_level=0.5)
    assert err.value.translation_key == "volume_unknown"
    assert new_commands(xgimi, before) == []
    assert ATTR_MEDIA_VOLUME_MUTED not in state_of(hass, player).attributes
    keys = len(xgimi.key_events)
    await call(hass, "volume_mute", player, is_volume_muted=True)
    assert xgimi.key_events[keys:] == [KEY_MUTE]


# -- sources --------------------------------------------------------------------------------------


async def test_unknown_source_sends_nothing(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str
) -> None:
    """An unknown source (or shell text) is a translated validation error listing the valid ones."""
    before = len(xgimi.received_commands)
    for name in ("HDMI 9", "Netflix; reboot", "$(reboot)", "com.xgimi.home"):
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, SERVICE_SELECT_SOURCE, player, source=name)
        assert err.value.translation_key == "unknown_source"
        assert err.value.translation_placeholders is not None
        assert "HDMI 1" in err.value.translation_placeholders["valid"]
    assert new_commands(xgimi, before) == []  # not even a poll
    assert power(xgimi) is PowerState.ON


async def test_source_the_device_rejects(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector
) -> None:
    """An app stored at setup but gone from the projector: the device's refusal is shown."""
    facts = dict(harness.facts)
    facts["apps"] = [*facts["apps"], {"package": "com.example.gone", "name": "Gone"}]
    entry = await harness.load(facts=facts)
    player = entity_id(hass, MP_DOMAIN, entry)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, SERVICE_SELECT_SOURCE, player, source="Gone")
    assert err.value.translation_key == "command_rejected"
    assert any("com.example.gone" in line for line in xgimi.received_commands)


async def test_unknown_hdmi_label_is_rejected(adb_signer: PythonRSASigner) -> None:
    """A source naming an HDMI input the facts do not have never reaches the device."""
    device = XgimiDevice(ProjectorClient("127.0.0.1", 9, adb_signer), facts=None)
    with pytest.raises(CommandRejected):
        await control.async_select_source(device, Source(SourceKind.HDMI, "HDMI9"))
    assert device.client.round_trips == 0


# -- media keys -----------------------------------------------------------------------------------


async def test_media_keys(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str
) -> None:
    """Play / pause / stop / next / previous are the media keys, and the session follows."""
    app = entry.data["facts"]["apps"][0]["package"]
    await xgimi.launch_app(app)
    await xgimi.set_playback(PlaybackState.PAUSED)
    keys = len(xgimi.key_events)
    await call(hass, "media_play", player)
    assert state_of(hass, player).state == MediaPlayerState.PLAYING
    await call(hass, "media_pause", player)
    assert state_of(hass, player).state == MediaPlayerState.PAUSED
    await call(hass, "media_stop", player)
    await call(hass, "media_next_track", player)
    await call(hass, "media_previous_track", player)
    assert xgimi.key_events[keys:] == [126, 127, 86, 87, 88]


# -- power ----------------------------------------------------------------------------------------


async def test_turn_off_sleeps_and_turn_on_wakes(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str
) -> None:
    """Default turn_off is KEYCODE_SLEEP (idempotent, ADB stays up); turn_on is KEYCODE_WAKEUP."""
    keys = len(xgimi.key_events)
    await call(hass, "turn_off", player)
    assert state_of(hass, player).state == MediaPlayerState.OFF
    assert power(xgimi) is PowerState.SCREEN_OFF
    await call(hass, "turn_off", player)  # again: still asleep, not toggled awake
    assert power(xgimi) is PowerState.SCREEN_OFF
    assert xgimi.key_events[keys:] == [KEY_SLEEP, KEY_SLEEP]
    await call(hass, "turn_on", player)
    assert state_of(hass, player).state == MediaPlayerState.IDLE
    await call(hass, "turn_on", player)  # again: still on
    assert power(xgimi) is PowerState.ON
    assert xgimi.key_events[keys:] == [KEY_SLEEP, KEY_SLEEP, KEY_WAKEUP, KEY_WAKEUP]


async def test_turn_off_to_xgimi_standby(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector
) -> None:
    """The standby option uses the power key (GMUI: network down); pressed only while awake."""
    entry = await harness.load({CONF_TURN_OFF_MODE: TURN_OFF_STANDBY})
    player = entity_id(hass, MP_DOMAIN, entry)
    keys = len(xgimi.key_events)
    await call(hass, "turn_off", player)
    assert power(xgimi) is PowerState.STANDBY
    assert state_of(hass, player).state == STATE_OFF
    await call(hass, "turn_off", player)  # unreachable now: nothing to do, no error
    assert xgimi.key_events[keys:] == [KEY_POWER]

    await xgimi.set_power(PowerState.SCREEN_OFF)
    await refresh(entry)
    before = len(xgimi.key_events)
    await call(hass, "turn_off", player)  # asleep: the power key would wake it, so it is not sent
    assert xgimi.key_events[before:] == []
    assert power(xgimi) is PowerState.SCREEN_OFF


async def test_turn_off_not_confirmed(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    player: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A projector that ignores the sleep key: a translated error, not a silent success."""

    async def ignored(self: XgimiDevice) -> None:
        """Do nothing: the key goes nowhere."""

    monkeypatch.setattr(XgimiDevice, "async_sleep", ignored)
    monkeypatch.setattr(control, "POWER_OFF_TIMEOUT", 0.3)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "turn_off", player)
    assert err.value.translation_key == "turn_off_failed"
    assert power(xgimi) is PowerState.ON


async def test_off_at_start_then_on_through_the_plug(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector
) -> None:
    """Anchor (1): in standby at start the entry loads, shows off (not unavailable); the plug."""
    await xgimi.set_power(PowerState.STANDBY)
    history = await setup_plug(hass, xgimi)
    entry = await harness.load({CONF_TURN_ON_ENTITY: PLUG})
    player = entity_id(hass, MP_DOMAIN, entry)
    assert state_of(hass, player).state == STATE_OFF
    assert state_of(hass, entity_id(hass, "remote", entry)).state == STATE_OFF

    await call(hass, "turn_on", player)
    assert history == [STATE_ON]
    assert power(xgimi) is PowerState.ON
    assert state_of(hass, player).state == MediaPlayerState.IDLE
    assert state_of(hass, PLUG).state == STATE_ON


async def test_plug_power_cycle_then_wake(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector
) -> None:
    """Power-cycle option: plug off, wait, on; a projector that boots asleep is then woken."""
    await xgimi.set_power(PowerState.STANDBY)
    history = await setup_plug(hass, xgimi, boots_to=PowerState.SCREEN_OFF)
    await hass.services.async_call(
        "input_boolean", "turn_on", {ATTR_ENTITY_ID: PLUG}, blocking=True
    )
    await hass.async_block_till_done()
    await xgimi.set_power(PowerState.STANDBY)  # on the plug, but in XGIMI standby
    history.clear()
    entry = await harness.load(
        {CONF_TURN_ON_ENTITY: PLUG, CONF_POWER_CYCLE: True, CONF_POWER_CYCLE_DELAY: 0.2}
    )
    player = entity_id(hass, MP_DOMAIN, entry)
    keys = len(xgimi.key_events)
    started = asyncio.get_running_loop().time()
    await call(hass, "turn_on", player)
    assert asyncio.get_running_loop().time() - started >= 0.2
    assert history == [STATE_OFF, STATE_ON]
    assert xgimi.key_events[keys:] == [KEY_WAKEUP]
    assert state_of(hass, player).state == MediaPlayerState.IDLE


async def test_wake_retried_when_the_link_drops(
    hass: HomeAssistant,
    harness: Harness,
    xgimi: VirtualProjector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Powered up asleep, the link drops as the wake key goes out: it is tried again."""
    await xgimi.set_power(PowerState.STANDBY)
    await setup_plug(hass, xgimi, boots_to=PowerState.SCREEN_OFF)
    entry = await harness.load({CONF_TURN_ON_ENTITY: PLUG})
    real_wake = XgimiDevice.async_wake
    attempts: list[int] = []

    async def flaky_wake(self: XgimiDevice) -> None:
        attempts.append(len(attempts))
        if len(attempts) == 1:
            raise ConnectionLost("connection reset by peer")
        await real_wake(self)

    monkeypatch.setattr(XgimiDevice, "async_wake", flaky_wake)
    await call(hass, "turn_on", entity_id(hass, MP_DOMAIN, entry))
    assert attempts == [0, 1]
    assert power(xgimi) is PowerState.ON


async def test_wake_on_lan(hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector) -> None:
    """Wake-on-LAN: a magic packet for the stored MAC to the configured address and port."""
    await xgimi.set_power(PowerState.STANDBY)
    loop = asyncio.get_running_loop()
    packets: list[bytes] = []
    woken: list[asyncio.Task[None]] = []

    class Receiver(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
            packets.append(data)
            woken.append(loop.create_task(xgimi.set_power(PowerState.ON)))

    transport, _ = await loop.create_datagram_endpoint(Receiver, local_addr=("127.0.0.1", 0))
    try:
        port = transport.get_extra_info("sockname")[1]
        entry = await harness.load(
            {CONF_WAKE_ON_LAN: True, CONF_BROADCAST_ADDRESS: "127.0.0.1", CONF_BROADCAST_PORT: port}
        )
        player = entity_id(hass, MP_DOMAIN, entry)
        await call(hass, "turn_on", player)
        await asyncio.gather(*woken)
    finally:
        transport.close()
    mac = bytes.fromhex(xgimi.profile.primary_mac.replace(":", ""))
    assert packets == [b"\xff" * 6 + mac * 16]
    assert state_of(hass, player).state == MediaPlayerState.IDLE


async def test_wake_on_lan_send_error(
    hass: HomeAssistant,
    harness: Harness,
    xgimi: VirtualProjector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A packet the network stack refuses is a translated error."""

    async def unreachable(mac: str, address: str, port: int) -> None:
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(control, "async_send_magic_packet", unreachable)
    await xgimi.set_power(PowerState.STANDBY)
    entry = await harness.load({CONF_WAKE_ON_LAN: True})
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "turn_on", entity_id(hass, MP_DOMAIN, entry))
    assert err.value.translation_key == "wake_on_lan_failed"


def test_magic_packet_rejects_a_bad_mac() -> None:
    """Only a six-byte MAC makes a magic packet."""
    assert control.magic_packet("AA-BB-CC-DD-EE-FF")[6:12] == bytes.fromhex("aabbccddeeff")
    with pytest.raises(ValueError):
        control.magic_packet("aa:bb:cc")


async def test_turn_on_without_fallback(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector
) -> None:
    """Standby with no plug and no Wake-on-LAN: a translated error explaining the options."""
    await xgimi.set_power(PowerState.STANDBY)
    entry = await harness.load()
    player = entity_id(hass, MP_DOMAIN, entry)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "turn_on", player)
    assert err.value.translation_key == "turn_on_unreachable"
    assert state_of(hass, player).state == STATE_OFF


async def test_turn_on_not_confirmed(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plug is switched but the projector never comes up: turn_on_failed, not silence."""
    monkeypatch.setattr(control, "POWER_ON_TIMEOUT", 0.5)
    await xgimi.set_power(PowerState.STANDBY)
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "input_boolean", {"input_boolean": {"plug": {}}})
    entry = await harness.load({CONF_TURN_ON_ENTITY: PLUG})
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "turn_on", entity_id(hass, MP_DOMAIN, entry))
    assert err.value.translation_key == "turn_on_failed"
    assert state_of(hass, PLUG).state == STATE_ON


async def test_turn_on_when_it_went_away(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str
) -> None:
    """Shown on, but gone into standby since the last poll: the wake fails over to the chain."""
    await xgimi.set_power(PowerState.STANDBY)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "turn_on", player)
    assert err.value.translation_key == "turn_on_unreachable"
    assert state_of(hass, player).state == STATE_OFF


# -- errors ---------------------------------------------------------------------------------------


async def test_commands_while_unreachable_raise(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector
) -> None:
    """Anchor (7): in standby every command is a translated error, never silently dropped."""
    await xgimi.set_power(PowerState.STANDBY)
    entry = await harness.load()
    player = entity_id(hass, MP_DOMAIN, entry)
    assert state_of(hass, player).state == STATE_OFF
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("volume_up", {}),
        ("volume_down", {}),
        ("volume_set", {"volume_level": 0.3}),
        ("volume_mute", {"is_volume_muted": True}),
        ("media_play", {}),
        ("media_pause", {}),
        (SERVICE_SELECT_SOURCE, {"source": "HDMI 1"}),
    ]
    for service, data in attempts:
        with pytest.raises(HomeAssistantError) as err:
            await call(hass, service, player, **data)
        assert err.value.translation_key == "unreachable", service
        assert "not reachable" in str(err.value)  # the translated message
    assert state_of(hass, player).state == STATE_OFF


async def test_half_open_link_times_out(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str
) -> None:
    """A link that stops answering gives the timeout error within the command time limit."""
    client = runtime(entry).client
    client.timeouts = replace(client.timeouts, command=0.5, connect=0.3, auth=0.2)
    await xgimi.set_half_open()
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "media_play", player)
    assert err.value.translation_key == "timeout"
    assert state_of(hass, player).state == STATE_OFF
    await xgimi.set_half_open(False)


# -- authorization --------------------------------------------------------------------------------


async def test_auth_survives_restarts(
    hass: HomeAssistant,
    socket_enabled: None,
    tmp_path: Path,
    adb_key_path: Path,
    adb_signer: PythonRSASigner,
) -> None:
    """Anchor (3): accepted once, the key works after restarting Home Assistant and the projector."""
    state_dir = tmp_path / "projector"
    async with VirtualProjector("gmui_android11", state_dir=state_dir) as first:
        first.keys.trust(Path(f"{adb_key_path}.pub").read_text())  # only to read the facts
        harness = Harness(hass, first, await read_facts(first, adb_signer))
        try:
            # This Home Assistant has no key yet: the integration makes its own, once.
            entry = await harness.load()
            key = Path(hass.config.path(*ADB_KEY_PATH))
            assert stat.S_IMODE(key.stat().st_mode) == 0o600
            assert len(first.prompts) == 1  # the first connection asked; "Always allow" ticked
            assert first.prompts[0].split()[0] == Path(f"{key}.pub").read_text().split()[0]
            player = entity_id(hass, MP_DOMAIN, entry)
            assert state_of(hass, player).state == MediaPlayerState.IDLE

            # Restart Home Assistant's side: unload, set up again.
            assert await hass.config_entries.async_reload(entry.entry_id)
            await hass.async_block_till_done()
            assert entry.state is ConfigEntryState.LOADED
            await first.press_key(KEY_VOLUME_UP)
            assert await poll_state(hass, entry, player) == MediaPlayerState.IDLE
            level = state_of(hass, player).attributes[ATTR_MEDIA_VOLUME_LEVEL]
            assert level == pytest.approx(first.device.volume / 100)
            assert len(first.prompts) == 1
            port = first.port
            await first.drop_connections()
        except BaseException:
            await harness.close()
            raise
    # Restart the projector on the same address, with the same stored authorizations.
    try:
        async with VirtualProjector("gmui_android11", port=port, state_dir=state_dir) as again:
            assert await poll_state(hass, entry, player) == MediaPlayerState.IDLE
            assert again.prompts == []
            assert any(line.startswith("echo @@xgimi:power") for line in again.received_commands)
            await harness.close()
            await again.drop_connections()
    finally:
        await harness.close()


async def test_revoked_key_starts_reauth(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str
) -> None:
    """Anchor (4): a revoked key makes the entities unavailable and starts a reauth flow."""
    xgimi.revoke_keys()
    xgimi.set_auth_policy(AuthPolicy.REJECT)
    await xgimi.drop_connections()
    await refresh(entry)
    await hass.async_block_till_done()
    assert state_of(hass, player).state == STATE_UNAVAILABLE
    assert state_of(hass, entity_id(hass, "remote", entry)).state == STATE_UNAVAILABLE
    flows = [
        flow
        for flow in hass.config_entries.flow.async_progress()
        if flow["context"].get("source") == SOURCE_REAUTH
        and flow["context"].get("entry_id") == entry.entry_id
    ]
    assert len(flows) == 1
    assert len(xgimi.prompts) == 1

    # The person accepts the prompt this time: the reauth flow finishes, the entry comes back.
    xgimi.set_auth_policy(AuthPolicy.ACCEPT)
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"], {})
    while result["type"] in (FlowResultType.SHOW_PROGRESS, FlowResultType.SHOW_PROGRESS_DONE):
        await hass.async_block_till_done()
        result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.state is ConfigEntryState.LOADED
    assert state_of(hass, player).state == MediaPlayerState.IDLE


async def test_one_round_trip_per_poll(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry
) -> None:
    """Each poll is one ADB round trip."""
    client = runtime(entry).client
    before = client.round_trips
    commands = len(xgimi.received_commands)
    await refresh(entry)
    assert client.round_trips == before + 1
    assert len(new_commands(xgimi, commands)) == 1
    assert non_poll(new_commands(xgimi, commands)) == []


async def test_polls_stay_fast_for_a_while_after_going_off(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A projector that drops off (reboot, short power cut) is looked for every 5 s at first.

    While it is unreachable a poll is only a TCP connection attempt, so this costs nothing on
    the device; after a minute polls slow down to the 15 s of a projector that is off.
    """
    coordinator = runtime(entry).coordinator
    assert coordinator.update_interval == SCAN_INTERVAL_ON
    await xgimi.set_power(PowerState.STANDBY)

    await refresh(entry)

    assert coordinator.data is None
    assert coordinator.update_interval == SCAN_INTERVAL_ON
    later = time.monotonic() + FAST_POLL_AFTER_OFF.total_seconds() + 1
    monkeypatch.setattr(coordinator_module, "time", SimpleNamespace(monotonic=lambda: later))
    await refresh(entry)
    assert coordinator.update_interval == SCAN_INTERVAL_OFF
