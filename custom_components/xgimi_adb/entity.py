"""Base entity: device info from the facts stored at setup, and translated command errors."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, override

from homeassistant.const import EntityCategory
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers.device_registry import CONNECTION_NETWORK_MAC, DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN, MANUFACTURER
from .coordinator import XgimiCoordinator
from .projector.catalog import UnknownKeyError
from .projector.errors import (
    AuthError,
    CommandRejected,
    ConnectionLost,
    ProjectorError,
    ProjectorTimeout,
    ProjectorUnreachable,
    TlsOnlyPort,
)

if TYPE_CHECKING:
    from .xiaoai import XiaoAiBridge

# Which translated message a device-layer failure becomes.
_ERROR_KEYS: tuple[tuple[type[ProjectorError], str], ...] = (
    (ProjectorUnreachable, "unreachable"),
    (ProjectorTimeout, "timeout"),
    (ConnectionLost, "connection_lost"),
    (AuthError, "auth_revoked"),
    (TlsOnlyPort, "tls_only"),
    (CommandRejected, "command_rejected"),
)


def command_error(err: ProjectorError) -> HomeAssistantError:
    """Return the translated error for a command that could not be delivered."""
    key = next((key for kind, key in _ERROR_KEYS if isinstance(err, kind)), "command_failed")
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders={"error": str(err)},
    )


def unknown_key_error(err: UnknownKeyError) -> ServiceValidationError:
    """Return the translated validation error for a key name not in the catalog."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key="unknown_key",
        translation_placeholders={"key": err.name, "valid": ", ".join(sorted(err.valid))},
    )


def handle_errors[EntityT: XgimiEntity, **P](
    func: Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]],
) -> Callable[Concatenate[EntityT, P], Coroutine[Any, Any, None]]:
    """Turn device-layer failures into translated errors, then refresh the state.

    Commands that end together share one refresh (see `async_refresh_after_command`).
    """

    async def wrapper(self: EntityT, /, *args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await func(self, *args, **kwargs)
        except ProjectorError as err:
            raise command_error(err) from err
        finally:
            await self.coordinator.async_refresh_after_command()

    return wrapper


class XgimiEntity(CoordinatorEntity[XgimiCoordinator]):
    """An entity of one projector."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: XgimiCoordinator, key: str | None = None) -> None:
        """Attach to the coordinator; `key` suffixes the unique id of secondary entities."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        assert entry.unique_id is not None
        self._attr_unique_id = entry.unique_id if key is None else f"{entry.unique_id}_{key}"
        facts = coordinator.device.facts
        assert facts is not None
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.unique_id)},
            connections={(CONNECTION_NETWORK_MAC, facts.mac)} if facts.mac else set(),
            manufacturer=MANUFACTURER,
            model=facts.model,
            name=facts.model,
            serial_number=facts.serial,
            sw_version=facts.firmware,
            hw_version=f"Android {facts.android_release}",
        )


class XiaoAiBridgeEntity(XgimiEntity):
    """A diagnostic entity of the Xiao Ai bridge: updates with the bridge, not the projector."""

    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, bridge: XiaoAiBridge, key: str) -> None:
        """Follow `bridge`; `key` is the translation key and the unique id suffix."""
        super().__init__(bridge.coordinator, key)
        self._attr_translation_key = key
        self._bridge = bridge

    @override
    async def async_added_to_hass(self) -> None:
        """Update on every bridge change."""
        await super().async_added_to_hass()
        self.async_on_remove(self._bridge.add_listener(self.async_write_ha_state))

    @property
    @override
    def available(self) -> bool:
        """Always: the bridge works whether or not the projector is reachable."""
        return True
