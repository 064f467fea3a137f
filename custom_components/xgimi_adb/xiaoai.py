"""The Xiao Ai (小爱同学) bridge: the projector as Bemfa (巴法云) topics that Mi Home syncs.

Bemfa pushes `on`/`off` to the power topic (a `006` switch) when someone says "小爱同学，打开投影仪".
Every command runs whatever Home Assistant believes the state is (`on` goes through the full
turn-on chain, so a projector in deep standby comes up through the plug fallback). The state is
reported to `topic/set` on every change, on every (re)connect and periodically. Optional topics:
volume as a `002` light (`on#N` sets N %, `off` mutes) and playback as a `006` switch.

The private key lives in an owner-only store, never in the config entry, logs or diagnostics.
Creating and naming the topics over Bemfa's HTTP API is best effort: when it fails, a repair
issue explains how to create them in the Bemfa console, and the bridge keeps running.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
import logging
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import SectionConfig, section
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
import probatio
from yarl import URL

from . import control
from .bemfa.api import BemfaApi, TopicSpec
from .bemfa.commands import CommandQueue
from .bemfa.errors import BemfaAuthError, BemfaError
from .bemfa.link import (
    DEFAULT_HOST,
    DEFAULT_PORTS,
    BemfaLink,
    LinkSettings,
    Protocol,
    async_check_key,
)
from .bemfa.topics import (
    DeviceType,
    derive_topic,
    light_payload,
    name_fits,
    normalize_key,
    parse_light,
    parse_switch,
    switch_payload,
    truncate_name,
)
from .const import (
    BEMFA_KEY_STORE,
    CONF_BEMFA_API_BASE,
    CONF_BEMFA_HOST,
    CONF_BEMFA_KEY,
    CONF_BEMFA_PORT,
    CONF_BEMFA_PROTOCOL,
    CONF_XIAOAI_ENABLED,
    CONF_XIAOAI_NAME,
    CONF_XIAOAI_PLAYBACK,
    CONF_XIAOAI_VOLUME,
    DEFAULT_XIAOAI_NAME,
    DOMAIN,
    PROTOCOL_MQTT,
    PROTOCOL_TCP,
    SECTION_BEMFA_SERVER,
    SECTION_XIAOAI,
)
from .coordinator import XgimiCoordinator, XgimiRuntimeData, is_on
from .projector.catalog import KEYS
from .projector.errors import ProjectorError
from .projector.state import Playback, ProjectorState

_LOGGER = logging.getLogger(__name__)

# Timings (module constants so tests can shorten them), seconds.
KEEPALIVE = 60
TIMEOUT = 10.0
BACKOFF_MIN = 5.0
BACKOFF_MAX = 300.0
REPUBLISH_INTERVAL = 600.0
DEDUPE_WINDOW = 1.0

_KEYS: HassKey[dict[str, str]] = HassKey(f"{DOMAIN}_bemfa_keys")
_LINKS: HassKey[dict[str, _SharedLink]] = HassKey(f"{DOMAIN}_bemfa_links")


class Function(StrEnum):
    """What a topic controls."""

    POWER = "power"
    VOLUME = "volume"
    PLAYBACK = "playback"


# Topic id part and device type per function; the spoken name gets the Chinese suffix.
_TOPIC_KINDS = {
    Function.POWER: ("", DeviceType.SWITCH, ""),
    Function.VOLUME: ("v", DeviceType.LIGHT, "音量"),
    Function.PLAYBACK: ("p", DeviceType.SWITCH, "播放"),
}


# -- the private key store ------------------------------------------------------------------------


def _store(hass: HomeAssistant) -> Store[dict[str, str]]:
    return Store(hass, 1, BEMFA_KEY_STORE, private=True, atomic_writes=True)


async def _async_keys(hass: HomeAssistant) -> dict[str, str]:
    if (keys := hass.data.get(_KEYS)) is None:
        keys = await _store(hass).async_load() or {}
        hass.data[_KEYS] = keys
    return keys


async def async_get_key(hass: HomeAssistant, entry_id: str) -> str | None:
    """Return the entry's Bemfa private key, if one was saved."""
    return (await _async_keys(hass)).get(entry_id)


async def async_set_key(hass: HomeAssistant, entry_id: str, key: str | None) -> None:
    """Save (or with None, delete) the entry's private key in the owner-only store."""
    keys = await _async_keys(hass)
    if key is None:
        if keys.pop(entry_id, None) is None:
            return
    else:
        keys[entry_id] = key
    await _store(hass).async_save(keys)


# -- settings --------------------------------------------------------------------------------------


def link_settings(options: Mapping[str, Any], key: str) -> LinkSettings:
    """Return the connection settings from the entry options (advanced fields may be empty)."""
    protocol = Protocol(options.get(CONF_BEMFA_PROTOCOL) or Protocol.MQTT)
    return LinkSettings(
        key=key,
        protocol=protocol,
        host=str(options.get(CONF_BEMFA_HOST) or DEFAULT_HOST),
        port=int(options.get(CONF_BEMFA_PORT) or DEFAULT_PORTS[protocol]),
        keepalive=KEEPALIVE,
        timeout=TIMEOUT,
        backoff_min=BACKOFF_MIN,
        backoff_max=BACKOFF_MAX,
        republish_interval=REPUBLISH_INTERVAL,
    )


def topic_specs(unique_id: str, options: Mapping[str, Any]) -> dict[str, tuple[Function, str]]:
    """Topic -> (function, spoken name) for the functions enabled in `options`."""
    name = str(options.get(CONF_XIAOAI_NAME) or DEFAULT_XIAOAI_NAME).strip()
    wanted = [Function.POWER]
    if options.get(CONF_XIAOAI_VOLUME):
        wanted.append(Function.VOLUME)
    if options.get(CONF_XIAOAI_PLAYBACK):
        wanted.append(Function.PLAYBACK)
    specs = {}
    for function in wanted:
        kind, device_type, suffix = _TOPIC_KINDS[function]
        spoken = truncate_name(name, 32 - len(suffix.encode())) + suffix
        specs[derive_topic(unique_id, kind, device_type)] = (function, spoken)
    return specs


def reported_payloads(
    functions: Mapping[str, Function], state: ProjectorState | None
) -> dict[str, str]:
    """Return what each topic reports for `state` (idle, paused, playing, on: all on)."""
    powered = is_on(state)
    payloads = {}
    for topic, function in functions.items():
        if function is Function.POWER:
            payloads[topic] = switch_payload(powered)
        elif function is Function.PLAYBACK:
            playing = powered and state is not None and state.playback is Playback.PLAYING
            payloads[topic] = switch_payload(playing)
        else:
            volume = state.volume if powered and state is not None else None
            fraction = volume.fraction if volume is not None else None
            audible = fraction is not None and volume is not None and not volume.muted
            percent = round(fraction * 100) if audible and fraction is not None else None
            payloads[topic] = light_payload(audible, percent)
    return payloads


def get_bridge(hass: HomeAssistant, entry_id: str) -> XiaoAiBridge | None:
    """Return the running bridge of an entry, if the bridge is enabled."""
    entry = hass.config_entries.async_get_entry(entry_id)
    data: XgimiRuntimeData | None = getattr(entry, "runtime_data", None)
    return data.bridge if data is not None else None


def enabled(options: Mapping[str, Any]) -> bool:
    """Whether the bridge is switched on in the options."""
    return bool(options.get(CONF_XIAOAI_ENABLED))


# -- one connection per private key ------------------------------------------------------------------


@dataclass
class _SharedLink:
    link: BemfaLink
    users: int = 0


def _acquire_link(hass: HomeAssistant, settings: LinkSettings) -> BemfaLink:
    links = hass.data.setdefault(_LINKS, {})
    shared = links.get(settings.key)
    if shared is None:
        shared = links[settings.key] = _SharedLink(BemfaLink(settings))
        shared.link.start()
    shared.users += 1
    return shared.link


async def _async_release_link(hass: HomeAssistant, key: str) -> None:
    links = hass.data.get(_LINKS, {})
    shared = links.get(key)
    if shared is None:
        return
    shared.users -= 1
    if shared.users <= 0:
        del links[key]
        await shared.link.stop()


# -- the bridge ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VoiceCommand:
    """The last command Bemfa delivered and what became of it."""

    function: Function
    payload: str
    at: datetime
    result: str  # "done" | "failed" | "ignored"


class XiaoAiBridge:
    """The Bemfa topics of one projector."""

    def __init__(self, hass: HomeAssistant, coordinator: XgimiCoordinator, key: str) -> None:
        """Prepare the bridge of the coordinator's entry."""
        entry: ConfigEntry[Any] = coordinator.config_entry
        assert entry.unique_id is not None
        self.hass, self.coordinator, self.entry = hass, coordinator, entry
        self.settings = link_settings(entry.options, key)
        specs = topic_specs(entry.unique_id, entry.options)
        self.functions = {topic: function for topic, (function, _) in specs.items()}
        self.names = {topic: name for topic, (_, name) in specs.items()}
        self.last_command: VoiceCommand | None = None
        self.received = 0  # commands delivered by Bemfa, repeats included
        self._queue = CommandQueue(self._async_execute, window=DEDUPE_WINDOW)
        self._reported: dict[str, str] = {}
        self._listeners: list[Callable[[], None]] = []
        self._unsubscribers: list[Callable[[], None]] = []
        self._link: BemfaLink | None = None

    @property
    def connected(self) -> bool:
        """Whether the connection to Bemfa is up."""
        return self._link is not None and self._link.connected

    @property
    def link(self) -> BemfaLink | None:
        """The shared connection, while the bridge runs."""
        return self._link

    @property
    def reported(self) -> Mapping[str, str]:
        """What was last reported per topic."""
        return self._reported

    def add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` when the connection or the last command changes."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    @callback
    def _notify(self, *_: object) -> None:
        for listener in list(self._listeners):
            listener()

    async def async_start(self) -> None:
        """Connect (in the background), report the state, provision the topics."""
        link = self._link = _acquire_link(self.hass, self.settings)
        for topic in self.functions:
            link.add_topic(topic, self._on_message)
        self._unsubscribers = [
            link.add_listener(self._notify),
            self.coordinator.async_add_listener(self._on_state),
        ]
        await self._async_report()
        self.entry.async_create_background_task(
            self.hass, self._async_provision(), f"{DOMAIN} Bemfa topics"
        )

    async def async_stop(self) -> None:
        """Stop taking commands and release the connection."""
        if (data := getattr(self.entry, "runtime_data", None)) is not None:
            data.bridge = None
        for unsubscribe in self._unsubscribers:
            unsubscribe()
        self._unsubscribers = []
        await self._queue.stop()
        if self._link is not None:
            for topic in self.functions:
                self._link.remove_topic(topic)
            self._link = None
            await _async_release_link(self.hass, self.settings.key)

    # -- commands ------------------------------------------------------------------------------------

    @callback
    def _on_message(self, topic: str, payload: str) -> None:
        self.received += 1
        if not self._queue.submit(topic, payload):
            _LOGGER.debug("Repeated voice command %r on %s ignored", payload, topic)

    async def _async_execute(self, topic: str, payload: str) -> None:
        function = self.functions[topic]
        _LOGGER.info("Xiao Ai: %s %s", function, payload)
        try:
            handled = await self._async_run(function, payload)
        except (HomeAssistantError, ProjectorError) as err:
            _LOGGER.warning("Xiao Ai command %s %r failed: %s", function, payload, err)
            result = "failed"
        else:
            result = "done" if handled else "ignored"
        self.last_command = VoiceCommand(function, payload, dt_util.utcnow(), result)
        self._notify()
        await self.coordinator.async_refresh()
        await self._async_report(force=True)

    async def _async_run(self, function: Function, payload: str) -> bool:
        """Carry out a command; False when the payload means nothing for this topic."""
        if function is Function.VOLUME:
            command = parse_light(payload)
            if command is None:
                return False
            await self._async_volume(command.on, command.brightness)
            return True
        on = parse_switch(payload)
        if on is None:
            return False
        if function is Function.POWER:
            await (control.async_turn_on if on else control.async_turn_off)(self.coordinator)
        else:
            await self.coordinator.device.async_send_keys([KEYS["play" if on else "pause"]])
        return True

    async def _async_volume(self, on: bool, percent: int | None) -> None:
        """`on#N`: set N % (unmuting); `on`: unmute; `off`: mute."""
        await self.coordinator.async_refresh()  # the current scale and mute state
        state = self.coordinator.data
        volume = state.volume if state is not None else None
        if state is None or volume is None:
            raise HomeAssistantError(translation_domain=DOMAIN, translation_key="volume_unknown")
        device = self.coordinator.device
        if volume.muted is on:  # the mute key toggles: press it only to change
            await device.async_send_keys([KEYS["mute"]])
        if on and percent is not None:
            if not volume.max_level:
                raise HomeAssistantError(
                    translation_domain=DOMAIN, translation_key="volume_unknown"
                )
            await device.async_set_volume(round(percent / 100 * volume.max_level))

    # -- state reports -------------------------------------------------------------------------------

    @callback
    def _on_state(self) -> None:
        payloads = reported_payloads(self.functions, self.coordinator.data)
        if payloads != self._reported:
            self.entry.async_create_background_task(
                self.hass, self._async_report(), f"{DOMAIN} Bemfa state report"
            )

    async def _async_report(self, *, force: bool = False) -> None:
        """Report what changed (everything with `force`); the link replays it on reconnect."""
        if self._link is None:
            return
        payloads = reported_payloads(self.functions, self.coordinator.data)
        for topic, payload in payloads.items():
            if force or self._reported.get(topic) != payload:
                self._reported[topic] = payload
                await self._link.report(topic, payload)

    # -- topics over HTTP (best effort) --------------------------------------------------------------

    @property
    def _issue_id(self) -> str:
        return f"bemfa_topics_{self.entry.entry_id}"

    async def _async_provision(self) -> None:
        api = BemfaApi(
            async_get_clientsession(self.hass),
            self.settings.key,
            self.settings.protocol,
            str(self.entry.options.get(CONF_BEMFA_API_BASE) or "") or None,
        )
        specs = [TopicSpec(topic, name) for topic, name in self.names.items()]
        try:
            await api.ensure_topics(specs)
        except BemfaError as err:
            _LOGGER.warning("Could not create the Bemfa topics (create them by hand): %s", err)
            self._report_manual_topics(str(err))
        else:
            ir.async_delete_issue(self.hass, DOMAIN, self._issue_id)

    def _report_manual_topics(self, error: str) -> None:
        console = "TCP创客云" if self.settings.protocol is Protocol.TCP else "MQTT设备云"
        topics = ", ".join(f"{topic} ({name})" for topic, name in self.names.items())
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            self._issue_id,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key="bemfa_topics",
            translation_placeholders={
                "name": self.entry.title,
                "console": console,
                "topics": topics,
                "error": error,
            },
        )


async def async_setup_bridge(hass: HomeAssistant, coordinator: XgimiCoordinator) -> None:
    """Start the entry's bridge if enabled; it stops with the entry."""
    entry = coordinator.config_entry
    key = await async_get_key(hass, entry.entry_id) if enabled(entry.options) else None
    if key is None:
        if enabled(entry.options):
            _LOGGER.warning(
                "Xiao Ai bridge enabled but no Bemfa key saved: enter it in the options"
            )
        ir.async_delete_issue(hass, DOMAIN, f"bemfa_topics_{entry.entry_id}")
        return
    bridge = XiaoAiBridge(hass, coordinator, key)
    await bridge.async_start()
    entry.runtime_data.bridge = bridge
    entry.async_on_unload(bridge.async_stop)


# -- options flow: two collapsed sections of the projector options ---------------------------------

_XIAOAI_FIELDS = (
    CONF_XIAOAI_ENABLED,
    CONF_BEMFA_PROTOCOL,
    CONF_XIAOAI_NAME,
    CONF_XIAOAI_VOLUME,
    CONF_XIAOAI_PLAYBACK,
)
_SERVER_FIELDS = (CONF_BEMFA_HOST, CONF_BEMFA_PORT, CONF_BEMFA_API_BASE)
OPTION_KEYS = _XIAOAI_FIELDS + _SERVER_FIELDS
ERROR_INVALID_KEY = "invalid_bemfa_key"
ERROR_KEY_REJECTED = "bemfa_key_rejected"
ERROR_CANNOT_CONNECT = "bemfa_cannot_connect"
ERROR_INVALID_NAME = "invalid_xiaoai_name"
ERROR_INVALID_SERVER = "invalid_bemfa_server"


def options_schema_fields() -> dict[Any, Any]:
    """Return the bridge sections of the projector options form (both optional)."""
    return {
        probatio.Optional(SECTION_XIAOAI): section(
            probatio.Schema(
                {
                    probatio.Required(CONF_XIAOAI_ENABLED, default=False): BooleanSelector(),
                    probatio.Optional(CONF_BEMFA_KEY): TextSelector(
                        TextSelectorConfig(type=TextSelectorType.PASSWORD)
                    ),
                    probatio.Required(CONF_BEMFA_PROTOCOL, default=PROTOCOL_MQTT): SelectSelector(
                        SelectSelectorConfig(
                            options=[PROTOCOL_MQTT, PROTOCOL_TCP],
                            translation_key=CONF_BEMFA_PROTOCOL,
                            mode=SelectSelectorMode.LIST,
                        )
                    ),
                    probatio.Required(
                        CONF_XIAOAI_NAME, default=DEFAULT_XIAOAI_NAME
                    ): TextSelector(),
                    probatio.Required(CONF_XIAOAI_VOLUME, default=False): BooleanSelector(),
                    probatio.Required(CONF_XIAOAI_PLAYBACK, default=False): BooleanSelector(),
                }
            ),
            SectionConfig(collapsed=True),
        ),
        probatio.Optional(SECTION_BEMFA_SERVER): section(
            probatio.Schema(
                {
                    probatio.Required(CONF_BEMFA_HOST, default=DEFAULT_HOST): TextSelector(),
                    probatio.Required(CONF_BEMFA_PORT, default=0): NumberSelector(
                        NumberSelectorConfig(min=0, max=65535, step=1, mode=NumberSelectorMode.BOX)
                    ),
                    probatio.Optional(CONF_BEMFA_API_BASE, default=""): TextSelector(),
                }
            ),
            SectionConfig(collapsed=True),
        ),
    }


def suggested_sections(current: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Values shown in the sections (never the private key)."""
    return {
        SECTION_XIAOAI: {key: current[key] for key in _XIAOAI_FIELDS if key in current},
        SECTION_BEMFA_SERVER: {key: current[key] for key in _SERVER_FIELDS if key in current},
    }


def pop_sections(user_input: dict[str, Any]) -> dict[str, Any] | None:
    """Take the bridge's sections out of the submitted form (None when not submitted)."""
    xiaoai = user_input.pop(SECTION_XIAOAI, None)
    server = user_input.pop(SECTION_BEMFA_SERVER, None)
    if xiaoai is None and server is None:
        return None
    return {**(xiaoai or {}), **(server or {})}


def _valid_api_base(value: str) -> bool:
    if not value:
        return True
    try:
        url = URL(value)
    except ValueError:
        return False
    return url.scheme in ("http", "https") and bool(url.host) and not url.query_string


async def async_apply_options(
    hass: HomeAssistant,
    entry: ConfigEntry[Any],
    submitted: Mapping[str, Any] | None,
    options: dict[str, Any],
    normalize_host: Callable[[str], str | None],
) -> dict[str, str]:
    """Store the bridge settings flat in `options`; check an enabled bridge for real.

    The key is tried on the configured server (a refused key or an unreachable server is a
    form error) and saved in the owner-only store, never in the options. An empty key field
    keeps the saved key. Returns the form errors.
    """
    if submitted is None:  # the sections were not part of the submission: keep what is stored
        options.update({key: entry.options[key] for key in OPTION_KEYS if key in entry.options})
        return {}
    values = dict(submitted)
    typed_key = str(values.pop(CONF_BEMFA_KEY, "") or "").strip()
    options.update({key: values[key] for key in OPTION_KEYS if key in values})
    options[CONF_XIAOAI_NAME] = str(options.get(CONF_XIAOAI_NAME) or "").strip()
    options[CONF_BEMFA_PORT] = int(options.get(CONF_BEMFA_PORT) or 0)
    options[CONF_BEMFA_API_BASE] = str(options.get(CONF_BEMFA_API_BASE) or "").strip()
    host = normalize_host(str(options.get(CONF_BEMFA_HOST) or DEFAULT_HOST))
    if host is None or not _valid_api_base(options[CONF_BEMFA_API_BASE]):
        return {SECTION_BEMFA_SERVER: ERROR_INVALID_SERVER}
    options[CONF_BEMFA_HOST] = host
    if not enabled(options):
        return {}
    key = normalize_key(typed_key) if typed_key else await async_get_key(hass, entry.entry_id)
    if key is None:
        return {SECTION_XIAOAI: ERROR_INVALID_KEY}
    if not name_fits(options[CONF_XIAOAI_NAME]):
        return {SECTION_XIAOAI: ERROR_INVALID_NAME}
    if not typed_key and _same_connection(entry.options, options):
        return {}  # checked when it was saved: other options stay editable while Bemfa is down
    assert entry.unique_id is not None
    power_topic = next(iter(topic_specs(entry.unique_id, options)))
    try:
        await async_check_key(link_settings(options, key), power_topic)
    except BemfaAuthError:
        return {SECTION_XIAOAI: ERROR_KEY_REJECTED}
    except BemfaError as err:
        _LOGGER.debug("Bemfa check failed: %s", err)
        return {SECTION_XIAOAI: ERROR_CANNOT_CONNECT}
    await async_set_key(hass, entry.entry_id, key)
    return {}


def _same_connection(stored: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether an enabled bridge keeps its key's server and protocol."""
    fields = (CONF_XIAOAI_ENABLED, CONF_BEMFA_PROTOCOL, CONF_BEMFA_HOST, CONF_BEMFA_PORT)
    return all(stored.get(field) == new.get(field) for field in fields)


async def async_diagnostics(
    hass: HomeAssistant, entry: ConfigEntry[Any]
) -> tuple[dict[str, Any] | None, list[str]]:
    """Return the bridge's state for diagnostics, and the secrets to scrub (the key)."""
    key = await async_get_key(hass, entry.entry_id)
    secrets = [key] if key else []
    bridge = get_bridge(hass, entry.entry_id)
    if bridge is None:
        return {"enabled": enabled(entry.options), "key_saved": key is not None}, secrets
    link = bridge.link
    command = bridge.last_command
    return {
        "enabled": True,
        "key_saved": True,
        "protocol": bridge.settings.protocol,
        "port": bridge.settings.port,
        "connected": bridge.connected,
        "auth_failed": link.auth_failed if link is not None else None,
        "last_error": link.last_error if link is not None else None,
        "topics": {topic: str(function) for topic, function in bridge.functions.items()},
        "reported": dict(bridge.reported),
        "received": bridge.received,
        "last_command": None
        if command is None
        else {
            "function": command.function,
            "payload": command.payload,
            "at": command.at.isoformat(),
            "result": command.result,
        },
    }, secrets
