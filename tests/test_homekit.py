"""HomeKit Bridge (Siri): the projector as a HomeKit Television accessory, end to end.

Home Assistant's own `homekit` integration runs in accessory mode for the media player, with
its HAP server on 127.0.0.1. What an iPhone would write is given to the accessory driver the way
its HAP server hands over a decrypted PUT /characteristics (`set_characteristics`), and what it
would read comes from `get_characteristics`; pairing (SRP over the network) is not part of the
test. The commands are checked on the virtual projector over real ADB.

Mocked, because it cannot run here: Home Assistant's zeroconf instance (multicast mDNS on the
LAN), through the test plugin's `mock_async_zeroconf`; in the setup-flow test only, the port probe
(binds on every interface) and the entry setup. Nothing else is replaced.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import socket
from typing import Any
from unittest.mock import MagicMock, patch

from homeassistant.components.homekit.const import (
    CONF_ADVERTISE_IP,
    CONF_FILTER,
    CONF_HOMEKIT_MODE,
    DOMAIN as HOMEKIT_DOMAIN,
    HOMEKIT_MODE_ACCESSORY,
)
from homeassistant.components.homekit.util import cleanup_name_for_homekit
from homeassistant.components.media_player.const import (
    ATTR_INPUT_SOURCE_LIST,
    DOMAIN as MP_DOMAIN,
    MediaPlayerState,
)
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_IP_ADDRESS, CONF_NAME, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import parse_yaml
from pyhap.const import CATEGORY_TELEVISION  # type: ignore[import-untyped]
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.xgimi_adb.projector.catalog import KEYS
from tests.entities_common import entity_id, muted, power, refresh, state_of
from tests.virtual_projector import PlaybackState, PowerState, VirtualProjector

pytestmark = pytest.mark.usefixtures("fast")

HOMEKIT = "homeassistant.components.homekit"
FLOW = f"{HOMEKIT}.config_flow"
LOOPBACK = "127.0.0.1"
CLIENT = ("127.0.0.1", 50000)  # the "iPhone" address pyhap records for a write
VOLUME_UP, VOLUME_DOWN = 0, 1  # HomeKit VolumeSelector values


class Tv:
    """The accessory as an iPhone sees it: its services, reads and writes through the driver."""

    # HAP-python ships no type information: its objects are `Any` here.
    def __init__(self, hass: HomeAssistant, driver: Any) -> None:
        """Wrap the running accessory driver."""
        self.hass = hass
        self.driver = driver
        self.accessory = driver.accessory

    def service(self, name: str) -> Any:
        """Return the one service of that type."""
        [service] = [s for s in self.accessory.services if s.display_name == name]
        return service

    def inputs(self) -> list[tuple[int, str]]:
        """Return (Identifier, ConfiguredName) of each InputSource linked to the Television."""
        linked = self.service("Television").linked_services
        return [
            (
                service.get_characteristic("Identifier").value,
                service.get_characteristic("ConfiguredName").value,
            )
            for service in linked
            if service.display_name == "InputSource"
        ]

    def _iid(self, char: Any) -> int:
        iid: int = self.accessory.iid_manager.get_iid(char)
        return iid

    def read(self, service: str, char: str) -> Any:
        """Read a characteristic as HAP GET /characteristics does."""
        target = self.service(service).get_characteristic(char)
        aid = self.accessory.aid
        answer = self.driver.get_characteristics([f"{aid}.{self._iid(target)}"])
        [result] = answer["characteristics"]
        assert result.get("status", 0) == 0, result
        return result["value"]

    async def write(self, service: str, char: str, value: Any) -> None:
        """Write a characteristic as HAP PUT /characteristics does; wait for what it started."""
        target = self.service(service).get_characteristic(char)
        query = {"aid": self.accessory.aid, "iid": self._iid(target), "value": value}
        self.driver.set_characteristics({"characteristics": [query]}, CLIENT)
        await self.hass.async_block_till_done()


def free_loopback_port() -> int:
    """Return a TCP port free on 127.0.0.1 for the HAP server."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def player(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """Entity id of the projector's media player."""
    return entity_id(hass, MP_DOMAIN, entry)


@pytest.fixture
async def homekit(
    hass: HomeAssistant, player: str, mock_async_zeroconf: MagicMock
) -> AsyncIterator[MockConfigEntry]:
    """HomeKit in accessory mode for the media player, listening on loopback only."""
    assert await async_setup_component(hass, "homeassistant", {})
    entry = MockConfigEntry(
        domain=HOMEKIT_DOMAIN,
        title="Projector",
        # An accessory entry as the config flow makes it (setup moves mode and filter to the
        # options), plus the YAML-only bind and advertise addresses: loopback.
        data={
            CONF_NAME: "Projector",
            CONF_PORT: free_loopback_port(),
            CONF_IP_ADDRESS: LOOPBACK,
            CONF_ADVERTISE_IP: [LOOPBACK],
        },
        options={
            CONF_HOMEKIT_MODE: HOMEKIT_MODE_ACCESSORY,
            CONF_FILTER: {
                "include_domains": [],
                "exclude_domains": [],
                "include_entities": [player],
                "exclude_entities": [],
            },
        },
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    yield entry
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
def tv(hass: HomeAssistant, homekit: MockConfigEntry) -> Tv:
    """Return the running Television accessory."""
    driver = homekit.runtime_data.homekit.driver
    assert driver is not None
    return Tv(hass, driver)


async def test_setup_flow_gives_the_projector_its_own_accessory(
    hass: HomeAssistant, player: str
) -> None:
    """The README's steps: a bridge with "Media player" pairs the projector on its own."""

    def next_port(_hass: HomeAssistant, start: int) -> int:
        return start

    with (
        # The real ones bind probe sockets on every interface, or start the HAP server on it.
        patch(f"{FLOW}.async_find_next_available_port", side_effect=next_port),
        patch(f"{HOMEKIT}.async_setup_entry", return_value=True),
    ):
        result = await hass.config_entries.flow.async_init(
            HOMEKIT_DOMAIN, context={"source": SOURCE_USER}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"include_domains": [MP_DOMAIN]}
        )
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
        await hass.async_block_till_done()

    assert result["type"] is FlowResultType.CREATE_ENTRY
    # What the flow stored (setup, patched out here, moves mode and filter to the options).
    stored = [{**e.data, **e.options} for e in hass.config_entries.async_entries(HOMEKIT_DOMAIN)]
    accessory, bridge = sorted(stored, key=lambda conf: str(conf[CONF_HOMEKIT_MODE]))
    assert accessory[CONF_HOMEKIT_MODE] == HOMEKIT_MODE_ACCESSORY
    assert accessory[CONF_FILTER]["include_entities"] == [player]
    assert accessory[CONF_NAME] == state_of(hass, player).name
    assert bridge[CONF_HOMEKIT_MODE] == "bridge"
    assert bridge["exclude_accessory_mode"] is True  # so the projector is not bridged too


async def test_projector_is_a_television_with_inputs(
    hass: HomeAssistant, player: str, tv: Tv, mock_async_zeroconf: MagicMock
) -> None:
    """A projector maps to a Television (category 31) whose inputs are our source list."""
    assert type(tv.accessory).__name__ == "TelevisionMediaPlayer"
    assert tv.accessory.category == CATEGORY_TELEVISION
    # The category the Home app uses to pick the icon is advertised over (mocked) mDNS.
    info = mock_async_zeroconf.async_register_service.call_args.args[0]
    assert info.properties[b"ci"] == str(CATEGORY_TELEVISION).encode()
    assert LOOPBACK in info.parsed_addresses()

    sources = state_of(hass, player).attributes[ATTR_INPUT_SOURCE_LIST]
    names = [cleanup_name_for_homekit(source) for source in sources]
    assert len(set(names)) == len(sources) > 2  # none merged by HomeKit's name cleanup
    assert tv.inputs() == list(enumerate(names))
    assert names[:2] == ["HDMI 1", "HDMI 2"]
    # Volume buttons (VolumeSelector) and mute come with the TelevisionSpeaker service.
    speaker = tv.service("TelevisionSpeaker")
    assert {char.display_name for char in speaker.characteristics} >= {
        "Mute",
        "VolumeSelector",
        "Volume",
    }


async def test_active_follows_and_drives_the_projector(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    player: str,
    tv: Tv,
) -> None:
    """Active reads the projector's state; writing it sleeps and wakes the projector."""
    assert state_of(hass, player).state == MediaPlayerState.IDLE
    assert tv.read("Television", "Active") == 1

    # Off with the physical remote: HomeKit follows the next poll.
    await xgimi.press_key(KEYS["sleep"])
    await refresh(entry)
    assert state_of(hass, player).state == MediaPlayerState.OFF
    assert tv.read("Television", "Active") == 0

    keys = len(xgimi.key_events)
    await tv.write("Television", "Active", 1)
    assert power(xgimi) is PowerState.ON
    assert tv.read("Television", "Active") == 1

    await tv.write("Television", "Active", 0)
    assert power(xgimi) is PowerState.SCREEN_OFF
    assert tv.read("Television", "Active") == 0
    assert xgimi.key_events[keys:] == [KEYS["wakeup"], KEYS["sleep"]]


async def test_active_identifier_selects_the_source(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    player: str,
    tv: Tv,
) -> None:
    """Picking an input in the Home app shows that HDMI input or starts that app."""
    inputs = {name: index for index, name in tv.inputs()}

    await tv.write("Television", "ActiveIdentifier", inputs["HDMI 2"])
    assert xgimi.device.current_input == "HDMI2"
    assert tv.read("Television", "ActiveIdentifier") == inputs["HDMI 2"]

    # An app listed under its own name (no duplicate label), as the launcher shows it.
    apps = entry.data["facts"]["apps"]
    names = [app["name"] for app in apps]
    app = next(
        app
        for app in apps
        if names.count(app["name"]) == 1 and app["package"] != "com.android.vending"
    )
    await tv.write("Television", "ActiveIdentifier", inputs[app["name"]])
    assert xgimi.device.foreground == app["package"]
    assert tv.read("Television", "ActiveIdentifier") == inputs[app["name"]]


async def test_volume_buttons_and_mute(
    hass: HomeAssistant, xgimi: VirtualProjector, player: str, tv: Tv
) -> None:
    """The iPhone remote's volume buttons step the projector's volume; Mute mutes it."""
    # 1 = relative: iOS sends VolumeSelector presses, never an absolute Volume.
    assert tv.read("TelevisionSpeaker", "VolumeControlType") == 1
    volume = xgimi.device.volume
    keys = len(xgimi.key_events)

    await tv.write("TelevisionSpeaker", "VolumeSelector", VOLUME_UP)
    assert xgimi.device.volume == volume + 1
    await tv.write("TelevisionSpeaker", "VolumeSelector", VOLUME_DOWN)
    assert xgimi.device.volume == volume
    assert xgimi.key_events[keys:] == [KEYS["volume_up"], KEYS["volume_down"]]

    await tv.write("TelevisionSpeaker", "Mute", True)
    assert muted(xgimi)
    assert tv.read("TelevisionSpeaker", "Mute") is True
    await tv.write("TelevisionSpeaker", "Mute", False)
    assert not muted(xgimi)


# The automation the README gives for the iPhone remote's other keys (entity ids of the
# "XGIMI Play 6" the tests use): HomeKit fires them as events, the remote entity presses them.
REMOTE_KEYS_AUTOMATION = """
- alias: "iPhone remote: keys to the projector"
  triggers:
    - trigger: event
      event_type: homekit_tv_remote_key_pressed
      event_data:
        entity_id: media_player.xgimi_play_6_projector
  actions:
    - action: remote.send_command
      target:
        entity_id: remote.xgimi_play_6_remote
      data:
        command: >-
          {{ {'arrow_up': 'up', 'arrow_down': 'down', 'arrow_left': 'left',
              'arrow_right': 'right', 'select': 'center', 'back': 'back',
              'exit': 'home', 'information': 'menu', 'rewind': 'rewind',
              'fast_forward': 'fast_forward', 'next_track': 'next',
              'previous_track': 'previous'}[trigger.event.data.key_name] }}
"""
REMOTE_KEY = {"arrow_up": 4, "select": 8, "back": 9, "play_pause": 11}  # HAP RemoteKey values


async def test_remote_keys(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, player: str, tv: Tv
) -> None:
    """Play/pause from the iPhone remote pauses; arrows/select/back go through the automation."""
    assert await async_setup_component(
        hass, "automation", {"automation": parse_yaml(REMOTE_KEYS_AUTOMATION)}
    )
    await hass.async_block_till_done()

    await xgimi.launch_app(entry.data["facts"]["apps"][0]["package"])
    await xgimi.set_playback(PlaybackState.PLAYING)
    await refresh(entry)
    keys = len(xgimi.key_events)
    await tv.write("Television", "RemoteKey", REMOTE_KEY["play_pause"])
    assert xgimi.device.playback is PlaybackState.PAUSED
    assert state_of(hass, player).state == MediaPlayerState.PAUSED

    for name in ("arrow_up", "select", "back"):
        await tv.write("Television", "RemoteKey", REMOTE_KEY[name])
    assert xgimi.key_events[keys:] == [
        KEYS["pause"],
        KEYS["up"],
        KEYS["center"],
        KEYS["back"],
    ]
