"""Diagnostic: the last Xiao Ai voice command and its result (only when the bridge is enabled)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import SensorEntity
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
    """Add the last-command sensor when the bridge runs."""
    if (bridge := entry.runtime_data.bridge) is not None:
        async_add_entities([XiaoAiLastCommandSensor(bridge, "xiaoai_last_command")])


class XiaoAiLastCommandSensor(XiaoAiBridgeEntity, SensorEntity):
    """`power on`, `volume on#30`, `playback off`…; unknown until the first command."""

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
