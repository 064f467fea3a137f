"""The integration package loads in Home Assistant from this repository."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component

from custom_components.xgimi_adb.const import DOMAIN


async def test_integration_loads_from_repository(hass: HomeAssistant) -> None:
    """Home Assistant finds the custom integration and sets it up without a config entry."""
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.pkg_path == "custom_components.xgimi_adb"
    assert integration.requirements == ["adb-shell[async]==0.4.4"]
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components
