"""Diagnostic: whether the Xiao Ai bridge is connected to Bemfa (only when it is enabled)."""

from __future__ import annotations

from typing import override

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import XgimiConfigEntry
from .entity import XgimiEntity
from .xiaoai import XiaoAiBridge

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: XgimiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the bridge's connection sensor when the bridge runs."""
    if (bridge := entry.runtime_data.bridge) is not None:
        async_add_entities([XiaoAiConnectedSensor(bridge)])


class XiaoAiConnectedSensor(XgimiEntity, BinarySensorEntity):
    """On while the bridge is connected to Bemfa (Xiao Ai can reach the projector)."""

    _attr_translation_key = "xiaoai_connected"
    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, bridge: XiaoAiBridge) -> None:
        """Follow `bridge`."""
        super().__init__(bridge.coordinator, "xiaoai_connected")
        self._bridge = bridge

    @override
    async def async_added_to_hass(self) -> None:
        """Update on every bridge change."""
        await super().async_added_to_hass()
        self.async_on_remove(self._bridge.add_listener(self.async_write_ha_state))

    @property
    @override
    def available(self) -> bool:
        """Always: the bridge does not depend on the projector being reachable."""
        return True

    @property
    @override
    def is_on(self) -> bool:
        """Whether the Bemfa connection is up."""
        return self._bridge.connected
