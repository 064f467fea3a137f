"""Polls the projector: one ADB round trip per update, a TCP probe while it is away."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import logging
import time

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import CONFIRM_POLL_SECONDS, DOMAIN, SCAN_INTERVAL_OFF, SCAN_INTERVAL_ON
from .projector.client import ProjectorClient
from .projector.device import XgimiDevice
from .projector.errors import AuthError, ProjectorError, TlsOnlyPort
from .projector.state import ProjectorState, Wakefulness

_LOGGER = logging.getLogger(__name__)

type XgimiConfigEntry = ConfigEntry[XgimiRuntimeData]


@dataclass
class XgimiRuntimeData:
    """What a loaded entry holds."""

    client: ProjectorClient
    device: XgimiDevice
    coordinator: XgimiCoordinator


class XgimiCoordinator(DataUpdateCoordinator[ProjectorState | None]):
    """The projector's state; `None` means it is not reachable (off or in deep standby)."""

    config_entry: XgimiConfigEntry

    def __init__(self, hass: HomeAssistant, entry: XgimiConfigEntry, device: XgimiDevice) -> None:
        """Poll `device` for `entry`."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=SCAN_INTERVAL_ON,
            always_update=False,
        )
        self.device = device

    async def _async_update_data(self) -> ProjectorState | None:
        try:
            state = await self.device.async_poll()
        except AuthError as err:
            self._report_revoked_key()
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_revoked"
            ) from err
        except TlsOnlyPort as err:
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="tls_only") from err
        except ProjectorError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="update_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        if state is not None:
            ir.async_delete_issue(self.hass, DOMAIN, self._revoked_issue_id)
        self.update_interval = SCAN_INTERVAL_ON if is_on(state) else SCAN_INTERVAL_OFF
        return state

    @property
    def _revoked_issue_id(self) -> str:
        return f"auth_revoked_{self.config_entry.entry_id}"

    def _report_revoked_key(self) -> None:
        """Raise a repair issue next to the reauth flow: the fix happens on the projector."""
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._revoked_issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.ERROR,
            translation_key="auth_revoked",
            translation_placeholders={"name": self.config_entry.title},
        )

    async def async_confirm(self, want_on: bool, timeout: float) -> bool:
        """Poll quickly until the power state is `want_on`; return whether it got there."""
        deadline = time.monotonic() + timeout
        while True:
            await self.async_refresh()
            if is_on(self.data) == want_on:
                return True
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(CONFIRM_POLL_SECONDS)


def is_on(state: ProjectorState | None) -> bool:
    """Awake and showing something (reachable but asleep counts as off for power)."""
    return state is not None and state.wakefulness is Wakefulness.AWAKE
