"""Polls the projector: one ADB round trip per update, a TCP probe while it is away."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import logging
import time
from typing import TYPE_CHECKING

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    CONF_FACTS,
    CONFIRM_POLL_SECONDS,
    DOMAIN,
    FAST_POLL_AFTER_OFF,
    SCAN_INTERVAL_OFF,
    SCAN_INTERVAL_ON,
)
from .projector.client import ProjectorClient
from .projector.device import XgimiDevice
from .projector.errors import AuthError, ProjectorError, TlsOnlyPort
from .projector.state import ProjectorState, Wakefulness
from .projector.storage import facts_to_dict

if TYPE_CHECKING:
    from .xiaoai import XiaoAiBridge

_LOGGER = logging.getLogger(__name__)

type XgimiConfigEntry = ConfigEntry[XgimiRuntimeData]


@dataclass
class XgimiRuntimeData:
    """What a loaded entry holds."""

    client: ProjectorClient
    device: XgimiDevice
    coordinator: XgimiCoordinator
    bridge: XiaoAiBridge | None = None  # Xiao Ai through Bemfa, while enabled


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
        self._refresh_lock = asyncio.Lock()
        self._next_refresh: asyncio.Task[None] | None = None
        self._fast_until = 0.0  # monotonic time until which polls stay fast after going off

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
        self._choose_interval(state)
        return state

    def _choose_interval(self, state: ProjectorState | None) -> None:
        """Fast while on, and for a while after it went off: it may be rebooting or back soon."""
        now = time.monotonic()
        if is_on(self.data) and not is_on(state):
            self._fast_until = now + FAST_POLL_AFTER_OFF.total_seconds()
        fast = is_on(state) or now < self._fast_until
        self.update_interval = SCAN_INTERVAL_ON if fast else SCAN_INTERVAL_OFF

    async def async_refresh_facts(self) -> None:
        """Read the device facts again (apps installed since setup) and store them."""
        facts = await self.device.async_read_facts()
        entry = self.config_entry
        self.hass.config_entries.async_update_entry(
            entry, data={**entry.data, CONF_FACTS: facts_to_dict(facts)}
        )
        self.async_update_listeners()  # the source lists changed even if the state did not

    async def async_refresh_after_command(self) -> None:
        """Read the state after a command; commands that end together share one read.

        A read joins only if its poll has not started yet, so it always sees this command's
        effect: a burst of N commands costs two polls, not N, and each caller still waits for
        a state that includes its own command.
        """
        if self._next_refresh is None:
            self._next_refresh = self.hass.async_create_task(
                self._async_next_refresh(), f"{DOMAIN} refresh after a command", eager_start=False
            )
        await asyncio.shield(self._next_refresh)

    async def _async_next_refresh(self) -> None:
        async with self._refresh_lock:
            self._next_refresh = None  # commands ending from now on need a later read
            await self.async_refresh()

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

    async def async_confirm(
        self,
        want_on: bool,
        timeout: float,
        *,
        nudge: Callable[[], Awaitable[bool]] | None = None,
    ) -> bool:
        """Poll quickly until the power state is `want_on`; return whether it got there.

        `nudge` runs while the projector is reachable but not yet as wanted, until it reports
        that it was delivered (turning on: the wake key once the plug brought it up asleep).
        """
        deadline = time.monotonic() + timeout
        while True:
            await self.async_refresh()
            if is_on(self.data) == want_on:
                return True
            if nudge is not None and self.data is not None and await nudge():
                nudge = None
                continue
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(CONFIRM_POLL_SECONDS)


def is_on(state: ProjectorState | None) -> bool:
    """Awake and showing something (reachable but asleep counts as off for power)."""
    return state is not None and state.wakefulness is Wakefulness.AWAKE
