"""The integration package: loads from this repository, repair issue, key removal."""

from __future__ import annotations

import asyncio
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import UpdateFailed
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.xgimi_adb.const import ADB_KEY_PATH, DOMAIN
from tests.entities_common import Harness, refresh
from tests.virtual_projector import AuthPolicy, VirtualProjector


async def test_integration_loads_from_repository(hass: HomeAssistant) -> None:
    """Home Assistant finds the custom integration and sets it up without a config entry."""
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.pkg_path == "custom_components.xgimi_adb"
    assert integration.requirements == ["adb-shell[async]==0.4.4"]
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components


@pytest.mark.usefixtures("fast")
async def test_revoked_key_raises_a_repair_issue_until_fixed(
    hass: HomeAssistant, xgimi: VirtualProjector, entry: MockConfigEntry, adb_key_path: Path
) -> None:
    """A revoked key opens a repair issue next to the reauth flow; a good poll closes it."""
    issue_id = f"auth_revoked_{entry.entry_id}"
    xgimi.revoke_keys()
    xgimi.set_auth_policy(AuthPolicy.REJECT)
    await xgimi.drop_connections()
    await refresh(entry)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "auth_revoked"

    xgimi.keys.trust(Path(f"{adb_key_path}.pub").read_text())
    async with asyncio.timeout(5):  # polls wait out the reconnect backoff first
        while ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None:
            await asyncio.sleep(0.1)
            await refresh(entry)
    assert entry.runtime_data.coordinator.data is not None


@pytest.mark.usefixtures("fast")
async def test_removing_the_last_projector_deletes_the_key(
    hass: HomeAssistant, harness: Harness
) -> None:
    """The instance key stays while a projector uses it and goes with the last one."""
    first = await harness.load()
    second = await harness.load(facts=harness.facts | {"serial": "OTHER-SERIAL"})
    key = Path(hass.config.path(*ADB_KEY_PATH))
    assert await hass.config_entries.async_remove(first.entry_id)
    assert key.exists()
    assert await hass.config_entries.async_remove(second.entry_id)
    assert not key.exists()
    assert not key.with_name("adbkey.pub").exists()


@pytest.mark.usefixtures("fast")
async def test_tls_only_port_later_makes_entities_unavailable(
    xgimi: VirtualProjector, entry: MockConfigEntry
) -> None:
    """The port turning into a TLS-only wireless-debugging port is a real error: unavailable."""
    coordinator = entry.runtime_data.coordinator
    xgimi.faults.stls_only = True
    await xgimi.drop_connections()
    await refresh(entry)
    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == "tls_only"
    await refresh(entry)  # within the reconnect backoff: still the same error, not "off"
    assert not coordinator.last_update_success
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == "tls_only"
