"""The "Refresh app list" button: the stored facts are read again from the projector."""

from __future__ import annotations

from homeassistant.components.button.const import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.components.media_player.const import ATTR_INPUT_SOURCE_LIST
from homeassistant.components.remote.const import ATTR_ACTIVITY_LIST
from homeassistant.const import ATTR_ENTITY_ID, EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest

from custom_components.xgimi_adb.const import CONF_FACTS, DOMAIN
from tests.entities_common import Harness, entity_id, state_of
from tests.virtual_projector import PowerState, VirtualProjector


def _button(hass: HomeAssistant, unique_id: str) -> str:
    found = er.async_get(hass).async_get_entity_id(
        BUTTON_DOMAIN, DOMAIN, f"{unique_id}_refresh_apps"
    )
    assert found is not None
    return found


async def _press(hass: HomeAssistant, button: str) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: button}, blocking=True
    )


async def test_refresh_brings_back_an_app_missing_from_the_stored_list(
    hass: HomeAssistant, harness: Harness, fast: None
) -> None:
    """An app installed after setup is not a source until the list is refreshed; then it is.

    The stored facts are made stale by dropping one app, as if it had been installed later.
    """
    apps = harness.facts["apps"]
    stale = {**harness.facts, "apps": apps[1:]}
    entry = await harness.load(facts=stale)
    assert entry.unique_id is not None
    player = entity_id(hass, "media_player", entry)
    remote = entity_id(hass, "remote", entry)
    missing = apps[0]["name"]
    assert missing not in state_of(hass, player).attributes[ATTR_INPUT_SOURCE_LIST]
    button = _button(hass, entry.unique_id)
    registry_entry = er.async_get(hass).async_get(button)
    assert registry_entry is not None
    assert registry_entry.entity_category is EntityCategory.CONFIG

    await _press(hass, button)

    assert missing in state_of(hass, player).attributes[ATTR_INPUT_SOURCE_LIST]
    assert missing in state_of(hass, remote).attributes[ATTR_ACTIVITY_LIST]
    assert entry.data[CONF_FACTS]["apps"] == apps  # stored: survives a restart


async def test_refresh_while_off_is_a_translated_error(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, fast: None
) -> None:
    """The projector in standby: pressing says it cannot be reached; the stored list stays."""
    entry = await harness.load()
    assert entry.unique_id is not None
    before = entry.data[CONF_FACTS]
    await xgimi.set_power(PowerState.STANDBY)

    with pytest.raises(HomeAssistantError) as raised:
        await _press(hass, _button(hass, entry.unique_id))

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key in {"unreachable", "timeout", "connection_lost"}
    assert entry.data[CONF_FACTS] == before
