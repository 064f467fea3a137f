"""The projector's remote control: named keys, with a real on/off state."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any, override

from homeassistant.components.remote import RemoteEntity
from homeassistant.components.remote.const import (
    ATTR_ACTIVITY,
    ATTR_DELAY_SECS,
    ATTR_HOLD_SECS,
    ATTR_NUM_REPEATS,
    DEFAULT_HOLD_SECS,
    DEFAULT_NUM_REPEATS,
    RemoteEntityFeature,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import control
from .coordinator import XgimiConfigEntry, XgimiCoordinator, is_on
from .entity import XgimiEntity, handle_errors, unknown_key_error
from .projector.catalog import Source, UnknownKeyError, resolve_key

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: XgimiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the projector's remote."""
    async_add_entities([XgimiRemote(entry.runtime_data.coordinator)])


class XgimiRemote(XgimiEntity, RemoteEntity):
    """Sends keys from the catalog; on/off follows the projector, activities are its sources.

    Keys are delivered in one round trip (`input keyevent a b c`) unless the caller asks for a
    delay between them. Home Assistant's remote default of 0.4 s is not applied: only a
    `delay_secs` the caller passed spaces the keys out (one round trip per key).
    """

    _attr_translation_key = "remote"
    _attr_supported_features = RemoteEntityFeature.ACTIVITY

    def __init__(self, coordinator: XgimiCoordinator) -> None:
        """Create the remote of the coordinator's projector."""
        super().__init__(coordinator, "remote")

    @property
    @override
    def is_on(self) -> bool:
        """Whether the projector is awake."""
        return is_on(self.coordinator.data)

    @property
    @override
    def activity_list(self) -> list[str]:
        """The sources, as the media player lists them."""
        return list(control.source_map(self.coordinator.device.facts))

    @property
    @override
    def current_activity(self) -> str | None:
        """The source on screen."""
        return control.current_source(self.coordinator.device.facts, self.coordinator.data)

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Turn the projector on, then select the `activity` source if one was given."""
        activity: str | None = kwargs.get(ATTR_ACTIVITY)
        source = None
        if activity is not None:
            source = control.find_source(self.coordinator.device.facts, activity)
        await self._async_turn_on(source)

    @handle_errors
    async def _async_turn_on(self, source: Source | None) -> None:
        await control.async_turn_on(self.coordinator)
        if source is not None:
            await control.async_select_source(self.coordinator.device, source)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Put the projector to sleep (or standby, per the options)."""
        await self._async_turn_off()

    @handle_errors
    async def _async_turn_off(self) -> None:
        await control.async_turn_off(self.coordinator)

    @override
    async def async_send_command(self, command: Iterable[str], **kwargs: Any) -> None:
        """Press keys by name; every name is checked before any key is sent."""
        platform = self.coordinator.device.platform
        try:
            codes = [resolve_key(name, platform) for name in command]
        except UnknownKeyError as err:
            raise unknown_key_error(err) from err
        repeats: int = kwargs.get(ATTR_NUM_REPEATS, DEFAULT_NUM_REPEATS)
        delay: float | None = kwargs.get(ATTR_DELAY_SECS)
        hold: float = kwargs.get(ATTR_HOLD_SECS, DEFAULT_HOLD_SECS)
        if codes and repeats > 0:
            await self._async_send(codes * repeats, delay or 0.0, long_press=hold > 0)

    @handle_errors
    async def _async_send(self, codes: Sequence[int], delay: float, *, long_press: bool) -> None:
        device = self.coordinator.device
        if delay <= 0:
            await device.async_send_keys(codes, long_press=long_press)
            return
        for index, code in enumerate(codes):
            if index:
                await asyncio.sleep(delay)
            await device.async_send_keys([code], long_press=long_press)
