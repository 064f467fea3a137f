"""The shipped automation blueprint, run by Home Assistant against the projector entity.

The lights are Home Assistant's `light.turn_on` service mocked (no light hardware here); the
projector is the virtual one, its state changes made on the device side as a person would.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
import shutil

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
import homeassistant.util.dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from tests.entities_common import entity_id, power, refresh
from tests.virtual_projector import PowerState, VirtualProjector
from tests.virtual_projector.device import PlaybackState

AUTOMATION_DOMAIN = "automation"
BLUEPRINT = (
    Path(__file__).parents[1] / "blueprints/automation/xgimi_adb/projector_cinema_lights.yaml"
)


async def _set_up(hass: HomeAssistant, player: str, *, off_time: bool) -> list[ServiceCall]:
    target = Path(hass.config.path("blueprints/automation/xgimi_adb"))
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(BLUEPRINT, target / BLUEPRINT.name)
    lights: list[ServiceCall] = async_mock_service(hass, "light", "turn_on")
    automation = {
        "alias": "cinema",
        "use_blueprint": {
            "path": f"xgimi_adb/{BLUEPRINT.name}",
            "input": {
                "projector": player,
                "lights": {"entity_id": "light.living_room"},
                "off_time_enabled": off_time,
                "off_time": "23:30:00",
            },
        },
    }
    assert await async_setup_component(hass, AUTOMATION_DOMAIN, {AUTOMATION_DOMAIN: [automation]})
    await hass.async_block_till_done()
    assert hass.states.get("automation.cinema") is not None
    return lights


async def _tear_down(hass: HomeAssistant) -> None:
    """Detach the automation's triggers (its time trigger would outlive the test)."""
    await hass.services.async_call(
        AUTOMATION_DOMAIN, "turn_off", {"entity_id": "automation.cinema"}, blocking=True
    )


async def test_lights_follow_playback(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, fast: None
) -> None:
    """Playing dims the lights to 10 %; pausing brings them back to 80 %."""
    player = entity_id(hass, "media_player", entry)
    lights = await _set_up(hass, player, off_time=False)
    await xgimi.launch_app(entry.data["facts"]["apps"][0]["package"])

    await xgimi.set_playback(PlaybackState.PLAYING)
    await refresh(entry)
    await hass.async_block_till_done()
    assert [call.data["brightness_pct"] for call in lights] == [10]
    assert lights[0].data["entity_id"] == ["light.living_room"]

    await xgimi.set_playback(PlaybackState.PAUSED)
    await refresh(entry)
    await hass.async_block_till_done()
    assert [call.data["brightness_pct"] for call in lights] == [10, 80]
    await _tear_down(hass)


async def test_off_time_turns_the_projector_off(
    hass: HomeAssistant,
    xgimi: VirtualProjector,
    entry: MockConfigEntry,
    fast: None,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With the off time enabled, the projector is put to sleep at that time."""
    player = entity_id(hass, "media_player", entry)
    now = dt_util.now()
    freezer.move_to(datetime(now.year, now.month, now.day, 23, 29, 50, tzinfo=now.tzinfo))
    await _set_up(hass, player, off_time=True)
    assert power(xgimi) is PowerState.ON

    freezer.move_to(datetime(now.year, now.month, now.day, 23, 30, 0, tzinfo=now.tzinfo))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()

    assert power(xgimi) is PowerState.SCREEN_OFF
    await _tear_down(hass)
