"""What the media player and the remote both do: power on/off and sources, in one place.

Turning on wakes the projector over ADB when it is reachable. When it is not (XGIMI standby takes
the network down), the fallback chain from the options runs: a Home Assistant entity to switch on
(a smart plug, with the projector set to power on when powered), optionally power-cycled, then a
Wake-on-LAN magic packet. Every path is confirmed by polling; nothing is reported done that the
projector did not confirm.

Sources are the HDMI inputs and the launchable apps stored at setup (never running processes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from functools import lru_cache
import logging
from types import MappingProxyType

from homeassistant.const import ATTR_ENTITY_ID, SERVICE_TURN_OFF, SERVICE_TURN_ON
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import (
    CONF_BROADCAST_ADDRESS,
    CONF_BROADCAST_PORT,
    CONF_POWER_CYCLE,
    CONF_POWER_CYCLE_DELAY,
    CONF_TURN_OFF_MODE,
    CONF_TURN_ON_ENTITY,
    CONF_WAKE_ON_LAN,
    DEFAULT_BROADCAST_ADDRESS,
    DEFAULT_BROADCAST_PORT,
    DEFAULT_POWER_CYCLE_DELAY,
    DOMAIN,
    POWER_OFF_TIMEOUT,
    POWER_ON_TIMEOUT,
    TURN_OFF_STANDBY,
)
from .coordinator import XgimiCoordinator, is_on
from .projector import catalog
from .projector.catalog import KEYS, Source, SourceKind
from .projector.device import AWAY_ERRORS, XgimiDevice
from .projector.errors import CommandRejected
from .projector.state import DeviceFacts, ProjectorState

_LOGGER = logging.getLogger(__name__)

KEY_POWER = KEYS["power"]  # GMUI: XGIMI standby (network down); Android TV: screen off


def magic_packet(mac: str) -> bytes:
    """Wake-on-LAN magic packet: six 0xFF bytes, then the MAC sixteen times."""
    raw = bytes.fromhex(mac.replace(":", "").replace("-", ""))
    if len(raw) != 6:
        raise ValueError(f"Invalid MAC address: {mac!r}")
    return b"\xff" * 6 + raw * 16


async def async_send_magic_packet(mac: str, address: str, port: int) -> None:
    """Send one magic packet over UDP (broadcast allowed)."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, remote_addr=(address, port), allow_broadcast=True
    )
    try:
        transport.sendto(magic_packet(mac))
    finally:
        transport.close()


async def async_turn_on(coordinator: XgimiCoordinator) -> None:
    """Wake the projector, or bring it up through the configured fallbacks; confirm it is on."""
    device = coordinator.device
    if coordinator.data is not None or await device.client.async_probe():
        try:
            await device.async_wake()
        except AWAY_ERRORS:
            _LOGGER.debug("projector went away before the wake key; trying the fallbacks")
        else:
            await _async_confirm_on(coordinator, woken=True)
            return
    await _async_fallbacks(coordinator)
    await _async_confirm_on(coordinator, woken=False)


async def _async_fallbacks(coordinator: XgimiCoordinator) -> None:
    """Run the fallback chain from the options; raise if none is configured."""
    hass = coordinator.hass
    options = coordinator.config_entry.options
    plug: str | None = options.get(CONF_TURN_ON_ENTITY) or None
    facts = coordinator.device.facts
    mac = facts.mac if facts is not None else None
    wake_on_lan = bool(options.get(CONF_WAKE_ON_LAN)) and mac is not None
    if plug is None and not wake_on_lan:
        raise HomeAssistantError(translation_domain=DOMAIN, translation_key="turn_on_unreachable")
    if plug is not None:
        target = {ATTR_ENTITY_ID: plug}
        if options.get(CONF_POWER_CYCLE):
            delay = float(options.get(CONF_POWER_CYCLE_DELAY, DEFAULT_POWER_CYCLE_DELAY))
            await hass.services.async_call(
                HOMEASSISTANT_DOMAIN, SERVICE_TURN_OFF, target, blocking=True
            )
            await asyncio.sleep(delay)
        await hass.services.async_call(HOMEASSISTANT_DOMAIN, SERVICE_TURN_ON, target, blocking=True)
    if wake_on_lan:
        assert mac is not None
        address = str(options.get(CONF_BROADCAST_ADDRESS) or DEFAULT_BROADCAST_ADDRESS)
        port = int(options.get(CONF_BROADCAST_PORT) or DEFAULT_BROADCAST_PORT)
        try:
            await async_send_magic_packet(mac, address, port)
        except OSError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="wake_on_lan_failed",
                translation_placeholders={"error": str(err)},
            ) from err


async def _async_confirm_on(coordinator: XgimiCoordinator, *, woken: bool) -> None:
    """Poll until the projector is on; wake it once if it comes up reachable but asleep."""

    async def wake() -> bool:
        # Powered by the plug or woken by the packet, but the screen may still be off.
        try:
            await coordinator.device.async_wake()
        except AWAY_ERRORS:
            return False
        return True

    if not await coordinator.async_confirm(True, POWER_ON_TIMEOUT, nudge=None if woken else wake):
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="turn_on_failed",
            translation_placeholders={"timeout": f"{POWER_ON_TIMEOUT:g}"},
        )


async def async_turn_off(coordinator: XgimiCoordinator) -> None:
    """Put the projector to sleep (or XGIMI standby, per the options); idempotent, confirmed."""
    if coordinator.data is None:
        return  # not reachable: already off
    device = coordinator.device
    if coordinator.config_entry.options.get(CONF_TURN_OFF_MODE) == TURN_OFF_STANDBY:
        if not is_on(coordinator.data):
            return  # KEYCODE_POWER toggles: pressing it while asleep would wake the projector
        try:
            await device.async_send_keys([KEY_POWER])
        except AWAY_ERRORS:
            # The network goes down with the key; whether it went off, the polls below tell.
            _LOGGER.debug("the link went down with the power key, as expected for standby")
    else:
        await device.async_sleep()  # KEYCODE_SLEEP only ever sleeps
    if not await coordinator.async_confirm(False, POWER_OFF_TIMEOUT):
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="turn_off_failed",
            translation_placeholders={"timeout": f"{POWER_OFF_TIMEOUT:g}"},
        )


# -- sources ---------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def source_map(facts: DeviceFacts | None) -> Mapping[str, Source]:
    """Display name -> source: HDMI inputs first, then launchable apps.

    Cached: facts are frozen for an entry's life, and every state write asks for the source.
    """
    return MappingProxyType(catalog.sources(facts) if facts is not None else {})


def current_source(facts: DeviceFacts | None, state: ProjectorState | None) -> str | None:
    """Name of the source on screen: the HDMI input shown, else the foreground app."""
    if state is None:
        return None
    if state.hdmi_input is not None:
        wanted = Source(SourceKind.HDMI, state.hdmi_input.label)
    elif state.foreground_package is not None:
        wanted = Source(SourceKind.APP, state.foreground_package)
    else:
        return None
    return next((name for name, source in source_map(facts).items() if source == wanted), None)


def app_name(facts: DeviceFacts | None, package: str | None) -> str | None:
    """Friendly name of an app: as stored at setup, else from the catalog."""
    if package is None:
        return None
    apps = facts.apps if facts is not None else ()
    return next((app.name for app in apps if app.package == package), catalog.app_name(package))


def find_source(facts: DeviceFacts | None, name: str) -> Source:
    """Return the source called `name`; a translated validation error listing the valid ones."""
    sources = source_map(facts)
    if (source := sources.get(name)) is None:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="unknown_source",
            translation_placeholders={"source": name[:100], "valid": ", ".join(sources)},
        )
    return source


async def async_select_source(device: XgimiDevice, source: Source) -> None:
    """Show an HDMI input or start an app."""
    if source.kind is SourceKind.APP:
        await device.async_launch(source.target)
        return
    facts = device.facts
    hdmi = catalog.find_hdmi(facts, source.target) if facts is not None else None
    if hdmi is None:  # cannot happen for a source listed from the same facts
        raise CommandRejected(f"unknown HDMI input {source.target}")
    await device.async_select_hdmi(hdmi)
