"""Diagnostic: whether the Xiao Ai bridge is connected to Bemfa (only when it is enabled)."""

from __future__ import annotations

from typing import override

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import XgimiConfigEntry
from .entity import XiaoAiBridgeEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: XgimiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the bridge's connection sensor when the bridge runs."""
    if (bridge := entry.runtime_data.bridge) is not None:
        async_add_entities([XiaoAiConnectedSensor(bridge, "xiaoai_connected")])


class XiaoAiConnectedSensor(XiaoAiBridgeEntity, BinarySensorEntity):
    """On while the bridge is connected to Bemfa (Xiao Ai can reach the projector)."""

    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY

    @property
    @override
    def is_on(self) -> bool:
        """Whether the Bemfa connection is up."""
        return self._bridge.connected
