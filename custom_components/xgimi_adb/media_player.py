"""The projector as a media player: power, volume, sources and media keys."""

from __future__ import annotations

from typing import override

from homeassistant.components.media_player import MediaPlayerEntity
from homeassistant.components.media_player.const import (
    MediaPlayerDeviceClass,
    MediaPlayerEntityFeature,
    MediaPlayerState,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from . import control
from .const import DOMAIN
from .coordinator import XgimiConfigEntry, XgimiCoordinator
from .entity import XgimiEntity, command_error, handle_errors
from .projector.catalog import KEYS, LAUNCHER_PACKAGES, Source
from .projector.errors import ProjectorUnreachable
from .projector.state import Playback, Volume, Wakefulness

# The coordinator serializes device access; entities need no limit of their own.
PARALLEL_UPDATES = 0

KEY_VOLUME_UP = KEYS["volume_up"]
KEY_VOLUME_DOWN = KEYS["volume_down"]
KEY_MUTE = KEYS["mute"]
KEY_PLAY = KEYS["play"]
KEY_PAUSE = KEYS["pause"]
KEY_STOP = KEYS["stop"]
KEY_NEXT = KEYS["next"]
KEY_PREVIOUS = KEYS["previous"]

_PLAYBACK_STATES = {
    Playback.PLAYING: MediaPlayerState.PLAYING,
    Playback.PAUSED: MediaPlayerState.PAUSED,
    Playback.BUFFERING: MediaPlayerState.BUFFERING,
}


async def async_setup_entry(
    hass: HomeAssistant,
    entry: XgimiConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the projector's media player."""
    async_add_entities([XgimiMediaPlayer(entry.runtime_data.coordinator)])


class XgimiMediaPlayer(XgimiEntity, MediaPlayerEntity):
    """An XGIMI projector; `off` (not unavailable) while it is in standby."""

    _attr_translation_key = "projector"
    _attr_device_class = MediaPlayerDeviceClass.PROJECTOR
    _attr_supported_features = (
        MediaPlayerEntityFeature.TURN_ON
        | MediaPlayerEntityFeature.TURN_OFF
        | MediaPlayerEntityFeature.VOLUME_SET
        | MediaPlayerEntityFeature.VOLUME_STEP
        | MediaPlayerEntityFeature.VOLUME_MUTE
        | MediaPlayerEntityFeature.SELECT_SOURCE
        | MediaPlayerEntityFeature.PLAY
        | MediaPlayerEntityFeature.PAUSE
        | MediaPlayerEntityFeature.STOP
        | MediaPlayerEntityFeature.NEXT_TRACK
        | MediaPlayerEntityFeature.PREVIOUS_TRACK
    )

    def __init__(self, coordinator: XgimiCoordinator) -> None:
        """Create the media player of the coordinator's projector."""
        super().__init__(coordinator)

    # -- state -------------------------------------------------------------------------------

    @property
    @override
    def state(self) -> MediaPlayerState | None:
        """Off when unreachable or asleep, unknown when unreadable, else what is on screen.

        Asleep is not reported as `standby`: Home Assistant deprecated that state (2026.8) in
        favour of `off`. Whether the projector is still reachable decides how it turns on, not
        what it shows.
        """
        data = self.coordinator.data
        if data is None:
            return MediaPlayerState.OFF
        if data.wakefulness is Wakefulness.UNKNOWN:
            return None  # the power section was unreadable: not guessed
        if data.wakefulness is not Wakefulness.AWAKE:
            return MediaPlayerState.OFF
        if (playing := _PLAYBACK_STATES.get(data.playback)) is not None:
            return playing
        if data.foreground_package in LAUNCHER_PACKAGES:
            return MediaPlayerState.IDLE
        return MediaPlayerState.ON

    @property
    def _volume(self) -> Volume | None:
        data = self.coordinator.data
        return data.volume if data is not None else None

    @property
    @override
    def volume_level(self) -> float | None:
        """STREAM_MUSIC level as read from the device, 0..1."""
        return volume.fraction if (volume := self._volume) is not None else None

    @property
    @override
    def is_volume_muted(self) -> bool | None:
        """Whether STREAM_MUSIC is muted."""
        return volume.muted if (volume := self._volume) is not None else None

    @property
    @override
    def source_list(self) -> list[str]:
        """HDMI inputs, then the launchable apps (as last read from the projector)."""
        return list(control.source_map(self.coordinator.device.facts))

    @property
    @override
    def source(self) -> str | None:
        """The HDMI input or app on screen."""
        return control.current_source(self.coordinator.device.facts, self.coordinator.data)

    @property
    @override
    def app_id(self) -> str | None:
        """Package of the foreground app."""
        data = self.coordinator.data
        return data.foreground_package if data is not None else None

    @property
    @override
    def app_name(self) -> str | None:
        """Friendly name of the foreground app; the input's name while an HDMI input shows."""
        data = self.coordinator.data
        if data is not None and data.hdmi_input is not None:
            return self.source
        return control.app_name(self.coordinator.device.facts, self.app_id)

    # -- power ---------------------------------------------------------------------------------

    @handle_errors
    @override
    async def async_turn_on(self) -> None:
        """Wake the projector, or bring it up through the configured fallbacks."""
        await control.async_turn_on(self.coordinator)

    @handle_errors
    @override
    async def async_turn_off(self) -> None:
        """Put the projector to sleep (or standby, per the options)."""
        await control.async_turn_off(self.coordinator)

    # -- volume --------------------------------------------------------------------------------

    @override
    async def async_set_volume_level(self, volume: float) -> None:
        """Set the level as a fraction of the device's own maximum (read by the last poll)."""
        if self.coordinator.data is None:
            raise command_error(ProjectorUnreachable("the projector is off"))
        current = self._volume
        if current is None or not current.max_level:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="volume_unknown")
        await self._async_set_volume(round(volume * current.max_level))

    @handle_errors
    async def _async_set_volume(self, level: int) -> None:
        await self.coordinator.device.async_set_volume(level)

    @handle_errors
    @override
    async def async_volume_up(self) -> None:
        """One step up (one key press, never resent)."""
        await self.coordinator.device.async_send_keys([KEY_VOLUME_UP])

    @handle_errors
    @override
    async def async_volume_down(self) -> None:
        """One step down (one key press, never resent)."""
        await self.coordinator.device.async_send_keys([KEY_VOLUME_DOWN])

    @handle_errors
    @override
    async def async_mute_volume(self, mute: bool) -> None:
        """Mute or unmute; the mute key toggles, so it is pressed only when needed."""
        if self.is_volume_muted is not mute:
            await self.coordinator.device.async_send_keys([KEY_MUTE])

    # -- sources -------------------------------------------------------------------------------

    @override
    async def async_select_source(self, source: str) -> None:
        """Show an HDMI input or start an app (an unknown name sends nothing)."""
        await self._async_select(control.find_source(self.coordinator.device.facts, source))

    @handle_errors
    async def _async_select(self, source: Source) -> None:
        await control.async_select_source(self.coordinator.device, source)

    # -- media keys ------------------------------------------------------------------------------

    @handle_errors
    @override
    async def async_media_play(self) -> None:
        """Send MEDIA_PLAY."""
        await self.coordinator.device.async_send_keys([KEY_PLAY])

    @handle_errors
    @override
    async def async_media_pause(self) -> None:
        """Send MEDIA_PAUSE."""
        await self.coordinator.device.async_send_keys([KEY_PAUSE])

    @handle_errors
    @override
    async def async_media_stop(self) -> None:
        """Send MEDIA_STOP."""
        await self.coordinator.device.async_send_keys([KEY_STOP])

    @handle_errors
    @override
    async def async_media_next_track(self) -> None:
        """Send MEDIA_NEXT."""
        await self.coordinator.device.async_send_keys([KEY_NEXT])

    @handle_errors
    @override
    async def async_media_previous_track(self) -> None:
        """Send MEDIA_PREVIOUS."""
        await self.coordinator.device.async_send_keys([KEY_PREVIOUS])
