"""The XGIMI projector (ADB) integration.

The foundation release only makes the integration loadable; the config flow, the media player
and the remote arrive with the integration issue.
"""

from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (nothing to do before config entries exist)."""
    return True
