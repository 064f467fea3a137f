"""Home Assistant side helpers shared by the flow and the entry setup."""

from __future__ import annotations

from pathlib import Path

from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from homeassistant.core import HomeAssistant
from homeassistant.util.hass_dict import HassKey

from .const import ADB_KEY_PATH, DOMAIN
from .projector.keys import delete_key_pair, load_or_create_signer

_SIGNER: HassKey[PythonRSASigner] = HassKey(f"{DOMAIN}_signer")


def _key_path(hass: HomeAssistant) -> Path:
    return Path(hass.config.path(*ADB_KEY_PATH))


async def async_get_signer(hass: HomeAssistant) -> PythonRSASigner:
    """Return this instance's ADB signer; the key pair is generated once, in the executor."""
    if (signer := hass.data.get(_SIGNER)) is None:
        signer = await hass.async_add_executor_job(load_or_create_signer, _key_path(hass))
        hass.data[_SIGNER] = signer
    return signer


async def async_forget_signer(hass: HomeAssistant) -> None:
    """Delete the key pair (the last projector was removed); a new one is made when needed."""
    hass.data.pop(_SIGNER, None)
    await hass.async_add_executor_job(delete_key_pair, _key_path(hass))
