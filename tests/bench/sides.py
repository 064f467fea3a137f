"""The two integrations under test, set up in one Home Assistant against their own projector.

`ours` is this repository's `xgimi_adb`; `anchor` is Home Assistant's built-in `androidtv`
(python-androidtv + adb-shell), configured with its defaults. Each gets its own virtual
projector of the same profile with the same cost model: nothing is shared but Home Assistant's
event loop (and the machine).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
import shutil
from typing import Any

from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from homeassistant.components.androidtv.const import DOMAIN as ANDROIDTV_DOMAIN
from homeassistant.components.media_player import SCAN_INTERVAL as MEDIA_PLAYER_SCAN_INTERVAL
from homeassistant.components.remote.const import DOMAIN as REMOTE_DOMAIN
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import (
    ATTR_COMMAND,
    ATTR_ENTITY_ID,
    CONF_DEVICE_CLASS,
    CONF_HOST,
    CONF_PORT,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_component import async_update_entity
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.xgimi_adb.const import SCAN_INTERVAL_OFF, SCAN_INTERVAL_ON
from custom_components.xgimi_adb.projector.catalog import KEYS
from tests.entities_common import entity_id, make_entry, read_facts, runtime, seed_key
from tests.virtual_projector import VirtualProjector
from tests.virtual_projector.costs import CostModel

ANDROIDTV_KEY = (".storage", "androidtv_adbkey")  # where androidtv looks for its key by default
# Keys without side effects on the device model (digits, D-pad, channel, menus): 20 distinct
# ones, so every key of a burst can be told apart on the device.
HARMLESS_KEYS = (
    *(str(digit) for digit in range(10)),
    "up",
    "down",
    "left",
    "right",
    "channel_up",
    "channel_down",
    "info",
    "menu",
    "search",
    "settings",
)


class Side(ABC):
    """One integration, its config entry, its entities and its projector."""

    name: str
    entry: MockConfigEntry
    media_player: str
    remote: str

    def __init__(self, hass: HomeAssistant, projector: VirtualProjector) -> None:
        """Remember the Home Assistant and the projector this side talks to."""
        self.hass = hass
        self.projector = projector

    @property
    @abstractmethod
    def poll_intervals(self) -> tuple[float, float]:
        """Default polling interval (s) while on and while off."""

    @abstractmethod
    async def async_update(self) -> None:
        """Run one poll now, as the integration's timer would."""

    @abstractmethod
    async def async_press(self, key: str) -> None:
        """Send one key through the integration's service (one service call)."""

    @abstractmethod
    async def async_press_many(self, keys: Sequence[str]) -> None:
        """Send several keys in one `remote.send_command` call."""

    async def async_set_polling(self, enabled: bool) -> None:
        """Switch the entry's automatic polling on or off (reloads the entry)."""
        entry = self.entry
        if entry.pref_disable_polling == (not enabled):
            return
        self.hass.config_entries.async_update_entry(entry, pref_disable_polling=not enabled)
        assert await self.hass.config_entries.async_reload(entry.entry_id)
        await self.hass.async_block_till_done()
        assert entry.state is ConfigEntryState.LOADED

    async def _send_command(self, command: list[str]) -> None:
        await self.hass.services.async_call(
            REMOTE_DOMAIN,
            "send_command",
            {ATTR_ENTITY_ID: self.remote, ATTR_COMMAND: command},
            blocking=True,
        )


class OursSide(Side):
    """Ours: this repository's `xgimi_adb`."""

    name = "ours"

    async def async_setup(self, facts: dict[str, Any]) -> None:
        """Create and load the entry (polling off until `async_set_polling`)."""
        self.entry = make_entry(self.projector, facts)
        self.entry.add_to_hass(self.hass)
        self.hass.config_entries.async_update_entry(self.entry, pref_disable_polling=True)
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done()
        self.media_player = entity_id(self.hass, "media_player", self.entry)
        self.remote = entity_id(self.hass, "remote", self.entry)

    @property
    def poll_intervals(self) -> tuple[float, float]:
        """5 s on, 15 s off (const.py)."""
        return SCAN_INTERVAL_ON.total_seconds(), SCAN_INTERVAL_OFF.total_seconds()

    async def async_update(self) -> None:
        """One coordinator refresh."""
        await runtime(self.entry).coordinator.async_refresh()

    async def async_press(self, key: str) -> None:
        """`remote.send_command` with one key name."""
        await self._send_command([key])

    async def async_press_many(self, keys: Sequence[str]) -> None:
        """`remote.send_command` with all the key names."""
        await self._send_command(list(keys))


class AnchorSide(Side):
    """Home Assistant's built-in `androidtv`, default options."""

    name = "anchor"

    async def async_setup(self) -> None:
        """Create and load the entry as its config flow stores it (polling off for now)."""
        macs = {iface.name: iface.mac for iface in self.projector.profile.interfaces}
        self.entry = MockConfigEntry(
            domain=ANDROIDTV_DOMAIN,
            title=self.projector.host,
            unique_id=(macs.get("eth0") or macs["wlan0"]).lower(),
            data={
                CONF_HOST: self.projector.host,
                CONF_PORT: self.projector.port,
                CONF_DEVICE_CLASS: "androidtv",
            },
            pref_disable_polling=True,
        )
        self.entry.add_to_hass(self.hass)
        assert await self.hass.config_entries.async_setup(self.entry.entry_id)
        await self.hass.async_block_till_done()
        assert self.entry.state is ConfigEntryState.LOADED
        registry = er.async_get(self.hass)
        unique_id = self.entry.unique_id
        player = registry.async_get_entity_id("media_player", ANDROIDTV_DOMAIN, unique_id)
        remote = registry.async_get_entity_id(REMOTE_DOMAIN, ANDROIDTV_DOMAIN, unique_id)
        assert player is not None and remote is not None
        self.media_player, self.remote = player, remote

    @property
    def poll_intervals(self) -> tuple[float, float]:
        """media_player's SCAN_INTERVAL (10 s), on or off."""
        seconds = MEDIA_PLAYER_SCAN_INTERVAL.total_seconds()
        return seconds, seconds

    async def async_update(self) -> None:
        """One entity update (what the 10 s poll runs)."""
        await async_update_entity(self.hass, self.media_player)

    async def async_press(self, key: str) -> None:
        """`androidtv.adb_command` with `input keyevent N`: the anchor's path for a key."""
        await self.hass.services.async_call(
            ANDROIDTV_DOMAIN,
            "adb_command",
            {ATTR_ENTITY_ID: self.media_player, "command": f"input keyevent {KEYS[key]}"},
            blocking=True,
        )

    async def async_press_many(self, keys: Sequence[str]) -> None:
        """`remote.send_command` with one `input keyevent N` line per key."""
        await self._send_command([f"input keyevent {KEYS[key]}" for key in keys])


@dataclass
class Sides:
    """Both integrations, loaded."""

    ours: OursSide
    anchor: AnchorSide

    def __iter__(self) -> Any:
        """Ours first."""
        return iter((self.ours, self.anchor))


def _copy_key(hass: HomeAssistant, adb_key_path: Path) -> None:
    """Give androidtv the session key as its own (`.storage/androidtv_adbkey`)."""
    key = Path(hass.config.path(*ANDROIDTV_KEY))
    key.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(adb_key_path, key)
    shutil.copyfile(f"{adb_key_path}.pub", f"{key}.pub")


@asynccontextmanager
async def bench_sides(
    hass: HomeAssistant,
    adb_key_path: Path,
    signer: PythonRSASigner,
    profile: str,
    state_dir: Path,
) -> AsyncIterator[Sides]:
    """Start two identical projectors, load both integrations, stop everything after."""
    public_key = Path(f"{adb_key_path}.pub").read_text()
    async with (
        VirtualProjector(profile, state_dir=state_dir / "ours", costs=CostModel()) as first,
        VirtualProjector(profile, state_dir=state_dir / "anchor", costs=CostModel()) as second,
    ):
        for projector in (first, second):
            projector.keys.trust(public_key)
        seed_key(hass, adb_key_path)
        _copy_key(hass, adb_key_path)
        ours, anchor = OursSide(hass, first), AnchorSide(hass, second)
        try:
            await ours.async_setup(await read_facts(first, signer))
            await anchor.async_setup()
            yield Sides(ours, anchor)
        finally:
            for side in (ours, anchor):
                entry = getattr(side, "entry", None)
                if entry is not None and entry.state is ConfigEntryState.LOADED:
                    await hass.config_entries.async_unload(entry.entry_id)
            await hass.async_block_till_done()
            for projector in (first, second):
                await projector.drop_connections()
