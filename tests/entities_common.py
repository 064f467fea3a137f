"""Shared helpers of the entity, service and diagnostics tests (not fixtures: plain functions).

Every test sets the integration up against a virtual projector over the real ADB protocol. The
config entry is made directly (what the config flow stores: host, port and the device facts),
so these tests do not depend on the flow; the facts are read from the virtual projector itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
import shutil
from typing import Any

from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.xgimi_adb import control, coordinator as coordinator_module
from custom_components.xgimi_adb.const import ADB_KEY_PATH, CONF_FACTS, DOMAIN
from custom_components.xgimi_adb.coordinator import XgimiRuntimeData
from custom_components.xgimi_adb.projector import client as client_module
from custom_components.xgimi_adb.projector.client import ProjectorClient, Timeouts
from custom_components.xgimi_adb.projector.device import XgimiDevice
from custom_components.xgimi_adb.projector.storage import facts_to_dict
from tests.virtual_projector import PowerState, VirtualProjector

ALL_PROFILES = ["gmui_android9", "gmui_android11", "androidtv_10", "googletv_12"]
MAX_VOLUME = {"gmui_android9": 100, "gmui_android11": 100, "androidtv_10": 15, "googletv_12": 25}

# Device facts per profile: reading them costs 1-3 s, and they do not change between runs.
_FACTS: dict[str, dict[str, Any]] = {}

# Short time limits for tests (seconds): the virtual projector answers in milliseconds.
# Short, with room for a loaded machine (reading the facts takes ~0.5 s on an idle one).
FAST_TIMEOUTS = Timeouts(connect=2.0, auth=1.0, command=3.0, poll=2.0, probe=0.5, backoff_max=0.5)


def make_fast(monkeypatch: pytest.MonkeyPatch, *, power_on: float = 5.0) -> None:
    """Shorten the client's time limits and the power confirmation polling."""

    def fast_timeouts(**given: float) -> Timeouts:
        return replace(FAST_TIMEOUTS, **given)

    monkeypatch.setattr(client_module, "Timeouts", fast_timeouts)
    monkeypatch.setattr(coordinator_module, "CONFIRM_POLL_SECONDS", 0.05)
    monkeypatch.setattr(control, "POWER_ON_TIMEOUT", power_on)
    monkeypatch.setattr(control, "POWER_OFF_TIMEOUT", 3.0)


def seed_key(hass: HomeAssistant, adb_key_path: Path) -> None:
    """Install the session's (trusted) ADB key as this Home Assistant's own key."""
    key = Path(hass.config.path(*ADB_KEY_PATH))
    key.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(adb_key_path, key)
    shutil.copyfile(f"{adb_key_path}.pub", f"{key}.pub")


async def read_facts(projector: VirtualProjector, signer: PythonRSASigner) -> dict[str, Any]:
    """Return the stored form of the projector's facts (read once per profile)."""
    name = projector.profile.name
    if name not in _FACTS:
        client = ProjectorClient(projector.host, projector.port, signer)
        try:
            _FACTS[name] = facts_to_dict(await XgimiDevice(client).async_read_facts())
        finally:
            await client.async_close()
    return _FACTS[name]


def make_entry(
    projector: VirtualProjector, facts: dict[str, Any], options: Mapping[str, Any] | None = None
) -> MockConfigEntry:
    """Return a config entry as the config flow creates it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=str(facts["model"]),
        unique_id=str(facts["serial"]),
        data={CONF_HOST: projector.host, CONF_PORT: projector.port, CONF_FACTS: facts},
        options=dict(options or {}),
    )


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and set up an entry; it must load."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED


async def unload(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Unload an entry if it is loaded (closes the ADB connection)."""
    if entry.state is ConfigEntryState.LOADED:
        assert await hass.config_entries.async_unload(entry.entry_id)
        await hass.async_block_till_done()


def runtime(entry: MockConfigEntry) -> XgimiRuntimeData:
    """Return the loaded entry's client, device and coordinator."""
    data: XgimiRuntimeData = entry.runtime_data
    return data


def entity_id(hass: HomeAssistant, platform: str, entry: MockConfigEntry) -> str:
    """Return the entity id of the entry's media player ("") or remote ("_remote")."""
    assert entry.unique_id is not None
    unique_id = entry.unique_id if platform == "media_player" else f"{entry.unique_id}_remote"
    found = er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)
    assert found is not None
    return found


def state_of(hass: HomeAssistant, entity: str) -> State:
    """Return an entity's current state object."""
    state = hass.states.get(entity)
    assert state is not None
    return state


async def refresh(entry: MockConfigEntry) -> None:
    """Run one poll now (what the coordinator's timer does)."""
    await runtime(entry).coordinator.async_refresh()


def new_commands(projector: VirtualProjector, before: int) -> list[str]:
    """Command lines the projector ran since it had run `before` of them."""
    return projector.received_commands[before:]


def non_poll(commands: list[str]) -> list[str]:
    """Drop the poll command lines (they all start with the power section mark)."""
    return [line for line in commands if not line.startswith("echo @@xgimi:power")]


class Harness:
    """Creates config entries for one virtual projector and unloads them after the test."""

    def __init__(
        self, hass: HomeAssistant, projector: VirtualProjector, facts: dict[str, Any]
    ) -> None:
        """Remember what entries are made of."""
        self.hass = hass
        self.projector = projector
        self.facts = facts
        self.entries: list[MockConfigEntry] = []

    async def load(
        self, options: Mapping[str, Any] | None = None, *, facts: dict[str, Any] | None = None
    ) -> MockConfigEntry:
        """Create and set up an entry (it must load)."""
        entry = make_entry(self.projector, facts or self.facts, options)
        self.entries.append(entry)
        await setup_entry(self.hass, entry)
        return entry

    async def close(self) -> None:
        """Unload every entry still loaded."""
        for entry in self.entries:
            await unload(self.hass, entry)


def power(projector: VirtualProjector) -> PowerState:
    """Return the device model's power state (read afresh: it changes behind mypy's back)."""
    return projector.device.power


def muted(projector: VirtualProjector) -> bool:
    """Return whether the device model's music stream is muted (read afresh)."""
    return projector.device.muted
