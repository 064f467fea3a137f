"""Actions of the integration: launch an app; run a raw shell command (only when enabled).

Both are registered once in `async_setup` and take the config entry of a projector. `launch_app`
only ever puts a validated package name on the device's command line. `shell_command` passes the
user's text to the projector's shell as is: that is its purpose, so it is off unless the user
enables it in the options, and only administrators may call it.
"""

from __future__ import annotations

import logging

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, service
import probatio

from .const import (
    ATTR_COMMAND,
    ATTR_PACKAGE,
    CONF_ALLOW_SHELL,
    DOMAIN,
    SERVICE_LAUNCH_APP,
    SERVICE_SHELL_COMMAND,
)
from .coordinator import XgimiConfigEntry
from .entity import command_error
from .projector.catalog import is_valid_package
from .projector.errors import ProjectorError

_LOGGER = logging.getLogger(__name__)

LAUNCH_APP_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_PACKAGE): cv.string,
    }
)
SHELL_COMMAND_SCHEMA = probatio.Schema(
    {
        probatio.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        probatio.Required(ATTR_COMMAND): probatio.All(cv.string, probatio.Length(min=1)),
    }
)


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions."""
    hass.services.async_register(
        DOMAIN, SERVICE_LAUNCH_APP, _async_launch_app, schema=LAUNCH_APP_SCHEMA
    )
    service.async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_SHELL_COMMAND,
        _async_shell_command,
        SHELL_COMMAND_SCHEMA,
        SupportsResponse.ONLY,
    )


def _loaded_entry(call: ServiceCall) -> XgimiConfigEntry:
    """Return the loaded config entry the call names; a translated validation error otherwise."""
    entry_id: str = call.data[ATTR_CONFIG_ENTRY_ID]
    entry: XgimiConfigEntry | None = call.hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_found",
            translation_placeholders={"entry_id": entry_id[:64]},
        )
    if entry.state is not ConfigEntryState.LOADED:
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="entry_not_loaded",
            translation_placeholders={"title": entry.title},
        )
    return entry


async def _async_launch_app(call: ServiceCall) -> None:
    """Start an app by package name."""
    entry = _loaded_entry(call)
    package: str = call.data[ATTR_PACKAGE]
    if not is_valid_package(package):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_package",
            translation_placeholders={"package": package[:100]},
        )
    data = entry.runtime_data
    try:
        await data.device.async_launch(package)
    except ProjectorError as err:
        raise command_error(err) from err
    finally:
        await data.coordinator.async_refresh()


async def _async_shell_command(call: ServiceCall) -> ServiceResponse:
    """Run the user's command line on the projector and return its output."""
    entry = _loaded_entry(call)
    if not entry.options.get(CONF_ALLOW_SHELL, False):
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="shell_disabled",
            translation_placeholders={"title": entry.title},
        )
    data = entry.runtime_data
    command: str = call.data[ATTR_COMMAND]
    _LOGGER.debug("running a shell command the user typed (%d chars)", len(command))
    try:
        output = await data.device.async_run_raw(command)
    except ProjectorError as err:
        raise command_error(err) from err
    finally:
        await data.coordinator.async_refresh()
    return {"output": output}
