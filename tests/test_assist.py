"""Assist: Home Assistant's own conversation agent drives the projector, in English and Chinese.

The sentences are the ones that ship with Home Assistant (`home-assistant-intents`; Home
Assistant's `zh-Hans` picks its `zh-CN` sentences). Each phrase goes through the default agent,
the built-in intent handlers and this integration's media player, down to the virtual
projector over real ADB; the assertions read what the projector itself did.

The default name of the media player is "<model> Projector" ("<型号> 投影仪"), so a short
"the projector" / "投影仪" needs an alias, set here through the entity registry as a user does
in the entity's voice settings.
"""

from __future__ import annotations

from homeassistant.components import conversation
from homeassistant.components.media_player.const import DOMAIN as MP_DOMAIN, MediaPlayerState
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import entity_registry as er, intent
from homeassistant.setup import async_setup_component
import pytest

from custom_components.xgimi_adb.projector.catalog import KEYS
from tests.entities_common import Harness, entity_id, power, refresh, state_of
from tests.virtual_projector import PlaybackState, PowerState, VirtualProjector

pytestmark = pytest.mark.usefixtures("fast")

# Home Assistant's language setting (what a Chinese user picks), then the spoken alias and the
# four phrases of the issue.
PHRASES = {
    "en": {
        "alias": "Projector",
        "off": "turn off the projector",
        "on": "turn on the projector",
        "pause": "pause the projector",
        "volume": "set the projector volume to 30",
    },
    "zh-Hans": {
        "alias": "投影仪",
        "off": "关闭投影仪",
        "on": "打开投影仪",
        "pause": "暂停投影仪",
        "volume": "把投影仪音量调到30",
    },
}


async def load_with_assist(hass: HomeAssistant, harness: Harness, language: str) -> str:
    """Set the language, start Assist, load the entry; return the media player's entity id."""
    await hass.config.async_update(language=language)
    for component in ("homeassistant", "intent", "conversation"):
        assert await async_setup_component(hass, component, {})
    entry = await harness.load()
    return entity_id(hass, MP_DOMAIN, entry)


def add_alias(hass: HomeAssistant, player: str, alias: str) -> None:
    """Add a spoken alias next to the entity's own name (Settings > Entity > Voice assistants)."""
    er.async_get(hass).async_update_entity(player, aliases=[er.COMPUTED_NAME, alias])


async def say(hass: HomeAssistant, text: str) -> intent.IntentResponse:
    """Give a sentence to the default agent and wait for what it started to finish."""
    result = await conversation.async_converse(hass, text, None, Context(), None)
    # Intent handlers let slow actions finish in the background: wait for them.
    await hass.async_block_till_done()
    return result.response


def assert_done(response: intent.IntentResponse, intent_type: str, player: str) -> None:
    """Check the agent recognized `intent_type` and acted on the media player only."""
    assert response.response_type is intent.IntentResponseType.ACTION_DONE, response.speech
    assert response.intent is not None
    assert response.intent.intent_type == intent_type
    assert [target.id for target in response.success_results] == [player]


@pytest.mark.parametrize("language", list(PHRASES))
async def test_voice_commands_reach_the_projector(
    hass: HomeAssistant, xgimi: VirtualProjector, harness: Harness, language: str
) -> None:
    """Off, on, pause (while playing) and volume 30 % end on the projector, not only in HA."""
    phrases = PHRASES[language]
    player = await load_with_assist(hass, harness, language)
    add_alias(hass, player, phrases["alias"])
    keys = len(xgimi.key_events)

    assert_done(await say(hass, phrases["off"]), intent.INTENT_TURN_OFF, player)
    assert power(xgimi) is PowerState.SCREEN_OFF
    assert state_of(hass, player).state == MediaPlayerState.OFF

    assert_done(await say(hass, phrases["on"]), intent.INTENT_TURN_ON, player)
    assert power(xgimi) is PowerState.ON
    assert xgimi.key_events[keys:] == [KEYS["sleep"], KEYS["wakeup"]]

    # Pause needs a playing media player: a video in an app, as the projector reports it.
    entry = harness.entries[0]
    await xgimi.launch_app(entry.data["facts"]["apps"][0]["package"])
    await xgimi.set_playback(PlaybackState.PLAYING)
    await refresh(entry)
    assert state_of(hass, player).state == MediaPlayerState.PLAYING
    keys = len(xgimi.key_events)
    assert_done(await say(hass, phrases["pause"]), "HassMediaPause", player)
    assert xgimi.key_events[keys:] == [KEYS["pause"]]
    assert xgimi.device.playback is PlaybackState.PAUSED
    assert state_of(hass, player).state == MediaPlayerState.PAUSED

    # 30 % of the device's own scale (100 steps on this firmware), read back from the device;
    # the physical remote first moves it away from 30.
    for _ in range(5):
        await xgimi.press_key(KEYS["volume_down"])
    await refresh(entry)
    assert xgimi.device.volume != 30
    assert_done(await say(hass, phrases["volume"]), "HassSetVolume", player)
    assert xgimi.device.volume == round(0.3 * xgimi.device.max_volume) == 30
    assert state_of(hass, player).attributes["volume_level"] == pytest.approx(0.3)


@pytest.mark.parametrize("language", list(PHRASES))
async def test_pause_needs_playback(
    hass: HomeAssistant, xgimi: VirtualProjector, harness: Harness, language: str
) -> None:
    """On the launcher nothing plays: "pause" finds no target and nothing is sent."""
    phrases = PHRASES[language]
    player = await load_with_assist(hass, harness, language)
    add_alias(hass, player, phrases["alias"])
    assert state_of(hass, player).state == MediaPlayerState.IDLE
    keys = len(xgimi.key_events)

    response = await say(hass, phrases["pause"])

    assert response.response_type is intent.IntentResponseType.ERROR
    assert response.error_code is intent.IntentResponseErrorCode.NO_VALID_TARGETS
    assert xgimi.key_events[keys:] == []


@pytest.mark.parametrize("language", list(PHRASES))
async def test_without_alias_the_full_name_works(
    hass: HomeAssistant, xgimi: VirtualProjector, harness: Harness, language: str
) -> None:
    """Without an alias only the full name ("<model> Projector") is understood."""
    player = await load_with_assist(hass, harness, language)
    keys = len(xgimi.key_events)

    response = await say(hass, PHRASES[language]["off"])
    assert response.error_code is intent.IntentResponseErrorCode.NO_VALID_TARGETS
    assert xgimi.key_events[keys:] == []
    assert power(xgimi) is PowerState.ON

    full_name = state_of(hass, player).name
    command = f"turn off {full_name}" if language == "en" else f"关闭{full_name}"
    assert_done(await say(hass, command), intent.INTENT_TURN_OFF, player)
    assert power(xgimi) is PowerState.SCREEN_OFF
