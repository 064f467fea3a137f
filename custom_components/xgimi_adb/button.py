"""Button: read the projector's app list again (it is stored at setup, so the projector can be off)."""

from __future__ import annotations

from typing import override

from homeassistant.components.button import ButtonEntity
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import XgimiConfigEntry, XgimiCoordinator
from .entity import XgimiEntity, handle_errors

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: XgimiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the projector's buttons."""
    async_add_entities([XgimiRefreshAppsButton(entry.runtime_data.coordinator)])


class XgimiRefreshAppsButton(XgimiEntity, ButtonEntity):
    """Re-read the installed apps and HDMI inputs: the source lists follow at once."""

    _attr_translation_key = "refresh_apps"
    _attr_entity_category = EntityCategory.CONFIG

    def __init__(self, coordinator: XgimiCoordinator) -> None:
        """Create the button of the coordinator's projector."""
        super().__init__(coordinator, "refresh_apps")

    @override
    @handle_errors
    async def async_press(self) -> None:
        """Read the facts and store them in the config entry."""
        await self.coordinator.async_refresh_facts()
