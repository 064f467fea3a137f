"""Diagnostics: entry, device facts, the last state and the raw output of the last poll.

The serial number, the MAC address, the unique id and the host are redacted by key, and every
string is scrubbed of them (and of anything shaped like a MAC) wherever else they appear.
"""

from __future__ import annotations

from dataclasses import asdict
import re
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant

from . import xiaoai
from .const import CONF_BEMFA_KEY
from .coordinator import XgimiConfigEntry
from .projector.storage import facts_to_dict

TO_REDACT = {
    CONF_HOST,
    "serial",
    "serial_number",
    "mac",
    "unique_id",
    "adbkey",
    "key",
    CONF_BEMFA_KEY,
}
_MAC_RE = re.compile(r"(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}(?![0-9A-Fa-f])")


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: XgimiConfigEntry
) -> dict[str, Any]:
    """Return diagnostics for a config entry."""
    data = entry.runtime_data
    device, coordinator, client = data.device, data.coordinator, data.client
    facts = device.facts
    secrets = [entry.unique_id, entry.data.get(CONF_HOST)]
    secrets += [facts.serial, facts.mac] if facts is not None else []
    xiaoai_bridge, bemfa_secrets = await xiaoai.async_diagnostics(hass, entry)
    secrets += bemfa_secrets  # the Bemfa private key, wherever it might appear
    diagnostics = {
        "entry": {
            "title": entry.title,
            "unique_id": entry.unique_id,
            "version": entry.version,
            "minor_version": entry.minor_version,
            "data": dict(entry.data),
            "options": dict(entry.options),
        },
        "facts": facts_to_dict(facts) if facts is not None else None,
        "coordinator": {
            "last_update_success": coordinator.last_update_success,
            "last_exception": repr(coordinator.last_exception)
            if coordinator.last_exception
            else None,
            "update_interval_s": coordinator.update_interval.total_seconds()
            if coordinator.update_interval
            else None,
            "state": asdict(coordinator.data) if coordinator.data is not None else None,
        },
        "client": {"connected": client.connected, "round_trips": client.round_trips},
        "last_poll_output": device.last_poll_output,
        "xiaoai": xiaoai_bridge,
    }
    redacted: dict[str, Any] = _scrub(
        async_redact_data(diagnostics, TO_REDACT), [secret for secret in secrets if secret]
    )
    return redacted


def _scrub(value: Any, secrets: list[str]) -> Any:
    """Replace the secrets (any case, MAC with or without separators) in every string."""
    if isinstance(value, str):
        text = _MAC_RE.sub(REDACTED, value)
        for secret in secrets:
            variants = {secret, secret.replace(":", ""), secret.replace(":", "-")}
            for variant in variants:
                text = re.sub(re.escape(variant), REDACTED, text, flags=re.IGNORECASE)
        return text
    if isinstance(value, dict):
        return {key: _scrub(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_scrub(item, secrets) for item in value]
    return value
