"""Diagnostic: the last Xiao Ai voice command and its result (only when the bridge is enabled)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import SensorEntity
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
    """Add the last-command sensor when the bridge runs."""
    if (bridge := entry.runtime_data.bridge) is not None:
        async_add_entities([XiaoAiLastCommandSensor(bridge)])


class XiaoAiLastCommandSensor(XgimiEntity, SensorEntity):
    """`power on`, `volume on#30`, `playback off`…; unknown until the first command."""

    _attr_translation_key = "xiaoai_last_command"
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, bridge: XiaoAiBridge) -> None:
        """Follow `bridge`."""
        super().__init__(bridge.coordinator, "xiaoai_last_command")
        self._bridge = bridge

    @override
    async def async_added_to_hass(self) -> None:
        """Update on every bridge change."""
        await super().async_added_to_hass()
        self.async_on_remove(self._bridge.add_listener(self.async_write_ha_state))

    @property
    @override
    def available(self) -> bool:
        """Always: commands arrive whether or not the projector is reachable."""
        return True

    @property
    @override
    def native_value(self) -> str | None:
        """The function and the payload Bemfa delivered."""
        command = self._bridge.last_command
        return f"{command.function} {command.payload}" if command is not None else None

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any]:
        """When the command came and whether it was carried out."""
        command = self._bridge.last_command
        at: datetime | None = command.at if command is not None else None
        return {
            "result": command.result if command is not None else None,
            "received": at.isoformat() if at is not None else None,
        }
