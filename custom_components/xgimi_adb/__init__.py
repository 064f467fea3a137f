"""The XGIMI projector (ADB) integration."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PORT, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import CONF_FACTS, DOMAIN
from .coordinator import XgimiConfigEntry, XgimiCoordinator, XgimiRuntimeData
from .helpers import async_forget_signer, async_get_signer
from .projector.client import ProjectorClient
from .projector.device import XgimiDevice
from .projector.storage import facts_from_dict
from .services import async_setup_services
from .xiaoai import async_set_key, async_setup_bridge

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.MEDIA_PLAYER,
    Platform.REMOTE,
    Platform.SENSOR,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the integration's services (they work on any loaded entry)."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: XgimiConfigEntry) -> bool:
    """Set up a projector; it loads while the projector is off (facts were stored at setup)."""
    signer = await async_get_signer(hass)
    client = ProjectorClient(entry.data[CONF_HOST], entry.data[CONF_PORT], signer)
    device = XgimiDevice(client, facts_from_dict(entry.data[CONF_FACTS]))
    coordinator = XgimiCoordinator(hass, entry, device)
    entry.async_on_unload(client.async_close)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = XgimiRuntimeData(client, device, coordinator)
    await async_setup_bridge(hass, coordinator)  # Xiao Ai via Bemfa, when enabled
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: XgimiConfigEntry) -> bool:
    """Unload a projector; the client closes through the entry's unload callbacks."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: XgimiConfigEntry) -> None:
    """Delete the instance's ADB key with the last projector: nothing is left behind."""
    await async_set_key(hass, entry.entry_id, None)  # the entry's Bemfa key
    if not any(
        other.entry_id != entry.entry_id for other in hass.config_entries.async_entries(DOMAIN)
    ):
        await async_forget_signer(hass)
