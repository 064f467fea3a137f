"""Config flow for XGIMI projectors over network ADB.

Adding a projector means getting this Home Assistant's ADB key accepted on it. One background
task connects and reads the device facts. If the key is already trusted it finishes within the
handshake time and the entry is created at once; if the projector shows "Allow USB debugging?"
instead, the flow shows a progress step (`pair`) until a person accepts it, and a `pair_failed`
form (submit = try again) when nobody accepted it in time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
import ipaddress
import logging
import re
from typing import Any, override

from adb_shell.auth.sign_pythonrsa import PythonRSASigner
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_RECONFIGURE,
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlowWithReload,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import callback
from homeassistant.data_entry_flow import SectionConfig, section
from homeassistant.helpers.device_registry import format_mac
from homeassistant.helpers.selector import (
    BooleanSelector,
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import probatio

from . import xiaoai
from .const import (
    CONF_ALLOW_SHELL,
    CONF_BROADCAST_ADDRESS,
    CONF_BROADCAST_PORT,
    CONF_FACTS,
    CONF_POWER_CYCLE,
    CONF_POWER_CYCLE_DELAY,
    CONF_TURN_OFF_MODE,
    CONF_TURN_ON_ENTITY,
    CONF_WAKE_ON_LAN,
    DEFAULT_BROADCAST_ADDRESS,
    DEFAULT_BROADCAST_PORT,
    DEFAULT_PORT,
    DEFAULT_POWER_CYCLE_DELAY,
    DOMAIN,
    TURN_OFF_SLEEP,
    TURN_OFF_STANDBY,
)
from .helpers import async_get_signer
from .projector.client import ProjectorClient, Timeouts
from .projector.device import XgimiDevice
from .projector.errors import AuthRejected, ProjectorError, ProjectorTimeout, TlsOnlyPort
from .projector.state import DeviceFacts, Platform
from .projector.storage import facts_from_dict, facts_to_dict

_LOGGER = logging.getLogger(__name__)

# Time limits, in seconds (module constants so tests can shorten them).
CONNECT_TIMEOUT = 5.0  # TCP connect plus the ADB handshake with a key the projector knows
HANDSHAKE_WAIT = 8.0  # how long the form waits for "connected" or "prompt on screen"
PAIR_TIMEOUT = 60.0  # how long a person has to accept "Allow USB debugging?"
COMMAND_TIMEOUT = 10.0  # one shell command while reading the device facts
FACTS_TIMEOUT = 45.0  # reading all device facts (two round trips, one may list many apps)
CANCEL_WAIT = 3.0  # closing the connection of an abandoned attempt
REMEMBER_CHECK_TIMEOUT = 3.0  # reconnecting right after pairing: a remembered key needs nobody

STEP_PAIR = "pair"
STEP_PAIR_FAILED = "pair_failed"
STEP_NOT_REMEMBERED = "not_remembered"
STEP_FINISH = "finish"
PROGRESS_WAIT_FOR_ACCEPT = "wait_for_accept"
SECTION_ADVANCED = "advanced"

# Outcomes of a pairing attempt besides success.
_PAIR_FAILED = "pair_failed"
_NOT_REMEMBERED = "not_remembered"
# Outcomes that lead to a step of their own (submit = try again) rather than a form error.
_RETRY_STEPS = {_PAIR_FAILED: STEP_PAIR_FAILED, _NOT_REMEMBERED: STEP_NOT_REMEMBERED}
ERROR_CANNOT_CONNECT = "cannot_connect"
ERROR_TIMEOUT = "timeout"
ERROR_TLS_ONLY = "tls_only"
ERROR_UNKNOWN = "unknown"
ERROR_INVALID_HOST = "invalid_host"
ERROR_INVALID_BROADCAST = "invalid_broadcast_address"

# RFC 1123 host name label; the last label of a name must not be all digits (that is an IP).
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)", re.IGNORECASE)
_SCOPE_ID = re.compile(r"[a-z0-9_.-]{1,32}", re.IGNORECASE)  # IPv6 zone, as in "fe80::1%eth0"


class KeyNotRemembered(ProjectorError):
    """The prompt was accepted without "Always allow": every reconnect would ask again."""


def normalize_host(value: str) -> str | None:
    """Return the host if it is an IPv4/IPv6 address or a DNS host name, else None.

    Anything else (spaces, `;`, `$(...)`, quotes, URLs) is rejected outright.
    """
    host = value.strip()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # "[fe80::1]" as URLs write IPv6 addresses
    address, _, scope = host.partition("%")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        pass
    else:
        if scope and (ip.version != 6 or not _SCOPE_ID.fullmatch(scope)):
            return None
        return host
    name = host.removesuffix(".")
    if not name or len(name) > 253:
        return None
    labels = name.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        return None
    return name.lower()


def _is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value.strip())
    except ValueError:
        return False
    return True


def _host_port_schema(host: str | None, port: int) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Required(
                CONF_HOST, default=host if host is not None else probatio.UNDEFINED
            ): TextSelector(),
            probatio.Required(CONF_PORT, default=port): probatio.Port(),
        }
    )


class XgimiConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an XGIMI projector: address, then get our ADB key accepted on it."""

    VERSION = 1

    def __init__(self) -> None:
        """Start with nothing known."""
        self._host: str | None = None
        self._port: int = DEFAULT_PORT
        self._form_step = "user"  # the step with the address, errors go back there
        self._errors: dict[str, str] = {}
        self._facts: DeviceFacts | None = None
        self._pair_task: asyncio.Task[DeviceFacts] | None = None

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> XgimiOptionsFlow:
        """Return the options flow."""
        return XgimiOptionsFlow()

    # -- steps with an address ---------------------------------------------------------------

    @override
    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the projector's address."""
        self._form_step = "user"
        if user_input is not None and self._accept_address(user_input):
            return await self._async_start_pairing()
        return self._async_show_address_form("user", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address of a configured projector."""
        self._form_step = "reconfigure"
        if user_input is not None and self._accept_address(user_input):
            return await self._async_start_pairing()
        if user_input is None and self._host is None:
            entry = self._get_reconfigure_entry()
            self._host, self._port = entry.data[CONF_HOST], entry.data[CONF_PORT]
        return self._async_show_address_form("reconfigure", user_input)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Start over when the projector no longer accepts our key."""
        self._host, self._port = entry_data[CONF_HOST], entry_data[CONF_PORT]
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain that the prompt will appear on the projector again, then connect."""
        self._form_step = "reauth_confirm"
        if user_input is not None:
            return await self._async_start_pairing()
        return self.async_show_form(
            step_id="reauth_confirm",
            description_placeholders=self._placeholders(),
            errors=self._pop_errors(),
        )

    def _accept_address(self, user_input: dict[str, Any]) -> bool:
        """Store a valid address; otherwise set the field error."""
        host = normalize_host(user_input[CONF_HOST])
        if host is None:
            self._errors = {CONF_HOST: ERROR_INVALID_HOST}
            return False
        self._host, self._port = host, user_input[CONF_PORT]
        return True

    @callback
    def _async_show_address_form(
        self, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        host = user_input[CONF_HOST] if user_input else self._host
        port = user_input[CONF_PORT] if user_input else self._port
        return self.async_show_form(
            step_id=step_id,
            data_schema=_host_port_schema(host, port),
            errors=self._pop_errors(),
        )

    def _pop_errors(self) -> dict[str, str]:
        errors, self._errors = self._errors, {}
        return errors

    def _placeholders(self) -> dict[str, str]:
        host = f"[{self._host}]" if self._host and ":" in self._host else self._host
        return {
            CONF_HOST: f"{host}:{self._port}",
            "timeout": str(round(PAIR_TIMEOUT)),
        }

    # -- pairing -----------------------------------------------------------------------------

    async def _async_start_pairing(self) -> ConfigFlowResult:
        """Connect in the background; decide the next step once connected or prompted."""
        signer = await async_get_signer(self.hass)
        prompted, connected = asyncio.Event(), asyncio.Event()
        task = self.hass.async_create_task(
            self._async_connect_and_read(signer, prompted.set, connected.set),
            f"{DOMAIN} pairing with {self._host}:{self._port}",
        )
        waiters = [asyncio.create_task(event.wait()) for event in (prompted, connected)]
        try:
            await asyncio.wait(
                (task, *waiters), timeout=HANDSHAKE_WAIT, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()
        if prompted.is_set() and not task.done():
            self._pair_task = task
            return await self.async_step_pair()
        if connected.is_set():  # a trusted key: reading the facts has its own time limit
            await asyncio.wait((task,))
        if task.done():
            return await self._async_after_attempt(task)
        # Neither connected nor prompted: the handshake is not being answered.
        task.cancel()
        await asyncio.wait((task,), timeout=CANCEL_WAIT)
        return await self._async_back_to_form(ERROR_TIMEOUT)

    async def _async_after_attempt(self, task: asyncio.Task[DeviceFacts]) -> ConfigFlowResult:
        """Go on from an attempt that ended without a progress step."""
        outcome = self._outcome(task)
        if outcome is None:
            return await self.async_step_finish()
        if (retry_step := _RETRY_STEPS.get(outcome)) is not None:
            step: Callable[[], Awaitable[ConfigFlowResult]] = getattr(
                self, f"async_step_{retry_step}"
            )
            return await step()
        return await self._async_back_to_form(outcome)

    async def _async_connect_and_read(
        self,
        signer: PythonRSASigner,
        on_prompt: Callable[[], None],
        on_connected: Callable[[], None],
    ) -> DeviceFacts:
        """Connect (waiting for a person if the projector prompts) and read the device facts."""
        assert self._host is not None
        client = ProjectorClient(
            self._host,
            self._port,
            signer,
            timeouts=Timeouts(connect=CONNECT_TIMEOUT, auth=PAIR_TIMEOUT, command=COMMAND_TIMEOUT),
        )
        prompted = False

        def prompt_shown() -> None:
            nonlocal prompted
            prompted = True
            on_prompt()

        try:
            await client.async_connect(auth_timeout=PAIR_TIMEOUT, on_prompt=prompt_shown)
            if prompted:
                await _async_check_remembered(client)
            on_connected()
            async with asyncio.timeout(FACTS_TIMEOUT):
                return await XgimiDevice(client).async_read_facts()
        finally:
            await client.async_close()

    def _outcome(self, task: asyncio.Task[DeviceFacts]) -> str | None:
        """Store the facts and return None, or return what went wrong."""
        try:
            self._facts = task.result()
        except KeyNotRemembered:
            return _NOT_REMEMBERED
        except AuthRejected:
            return _PAIR_FAILED
        except TlsOnlyPort:
            return ERROR_TLS_ONLY
        except ProjectorTimeout, TimeoutError:
            return ERROR_TIMEOUT
        except ProjectorError as err:
            _LOGGER.debug("cannot connect to %s:%s: %s", self._host, self._port, err)
            return ERROR_CANNOT_CONNECT
        except Exception:
            _LOGGER.exception("Unexpected error while connecting to %s", self._host)
            return ERROR_UNKNOWN
        return None

    async def _async_back_to_form(self, error: str) -> ConfigFlowResult:
        """Show the step the address (or the reauth confirmation) came from, with the error."""
        self._errors = {"base": error}
        if self._form_step == "reauth_confirm":
            return await self.async_step_reauth_confirm()
        return self._async_show_address_form(self._form_step, None)

    async def async_step_pair(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Wait while the person in front of the projector accepts the prompt."""
        task = self._pair_task
        assert task is not None
        if not task.done():
            return self.async_show_progress(
                step_id=STEP_PAIR,
                progress_action=PROGRESS_WAIT_FOR_ACCEPT,
                progress_task=task,
                description_placeholders=self._placeholders(),
            )
        self._pair_task = None
        outcome = self._outcome(task)
        if outcome is None:
            return self.async_show_progress_done(next_step_id=STEP_FINISH)
        if (retry_step := _RETRY_STEPS.get(outcome)) is not None:
            return self.async_show_progress_done(next_step_id=retry_step)
        self._errors = {"base": outcome}
        return self.async_show_progress_done(next_step_id=self._form_step)

    async def async_step_pair_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain that the prompt was not accepted in time; submitting tries again."""
        if user_input is not None:
            return await self._async_start_pairing()
        return self.async_show_form(
            step_id=STEP_PAIR_FAILED, description_placeholders=self._placeholders()
        )

    async def async_step_not_remembered(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Explain that "Always allow" was not ticked; submitting tries again."""
        if user_input is not None:
            return await self._async_start_pairing()
        return self.async_show_form(
            step_id=STEP_NOT_REMEMBERED, description_placeholders=self._placeholders()
        )

    async def async_step_finish(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Create (or update) the entry from the facts just read."""
        facts = self._facts
        assert facts is not None and self._host is not None
        unique_id = facts.serial or (format_mac(facts.mac) if facts.mac else None)
        if not unique_id:
            return self.async_abort(reason="no_unique_id")
        await self.async_set_unique_id(unique_id, raise_on_progress=False)
        data = {CONF_HOST: self._host, CONF_PORT: self._port, CONF_FACTS: facts_to_dict(facts)}
        if self.source == SOURCE_RECONFIGURE:
            self._abort_if_unique_id_mismatch(reason="wrong_device")
            return self.async_update_reload_and_abort(
                self._get_reconfigure_entry(), data_updates=data
            )
        if self.source == SOURCE_REAUTH:
            self._abort_if_unique_id_mismatch(reason="wrong_device")
            return self.async_update_reload_and_abort(self._get_reauth_entry(), data_updates=data)
        self._abort_if_unique_id_configured(updates={CONF_HOST: self._host, CONF_PORT: self._port})
        return self.async_create_entry(title=facts.model, data=data)


async def _async_check_remembered(client: ProjectorClient) -> None:
    """Reconnect once after a prompt was accepted: a key kept without "Always allow" asks again."""
    await client.async_disconnect()
    asked_again = False

    def prompt_shown() -> None:
        nonlocal asked_again
        asked_again = True

    try:
        await client.async_connect(auth_timeout=REMEMBER_CHECK_TIMEOUT, on_prompt=prompt_shown)
    except AuthRejected as err:
        if asked_again:
            raise KeyNotRemembered(str(err)) from err
        raise
    if asked_again:
        raise KeyNotRemembered("the projector asked again on reconnect")


class XgimiOptionsFlow(OptionsFlowWithReload):
    """Power-on fallbacks, power-off mode and the raw shell service."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show and store the options."""
        errors: dict[str, str] = {}
        platform = facts_from_dict(self.config_entry.data[CONF_FACTS]).platform
        modes = [TURN_OFF_SLEEP]
        if platform is Platform.GMUI:
            modes.append(TURN_OFF_STANDBY)
        if user_input is not None:
            bridge_input = xiaoai.pop_sections(user_input)  # the Xiao Ai bridge's two sections
            options = {key: value for key, value in user_input.items() if key != SECTION_ADVANCED}
            options.update(user_input[SECTION_ADVANCED])
            if _is_ipv4(options[CONF_BROADCAST_ADDRESS]):
                options[CONF_BROADCAST_ADDRESS] = options[CONF_BROADCAST_ADDRESS].strip()
                options[CONF_POWER_CYCLE_DELAY] = int(options[CONF_POWER_CYCLE_DELAY])
                options[CONF_BROADCAST_PORT] = int(options[CONF_BROADCAST_PORT])
                errors = await xiaoai.async_apply_options(
                    self.hass, self.config_entry, bridge_input, options, normalize_host
                )
                if not errors:
                    return self.async_create_entry(data=options)
            else:
                errors[SECTION_ADVANCED] = ERROR_INVALID_BROADCAST
            current: Mapping[str, Any] = options
        else:
            current = self.config_entry.options
        suggested: dict[str, Any] = {
            key: value
            for key, value in current.items()
            if key not in (CONF_BROADCAST_ADDRESS, CONF_BROADCAST_PORT)
        }
        if suggested.get(CONF_TURN_OFF_MODE) not in modes:
            suggested[CONF_TURN_OFF_MODE] = TURN_OFF_SLEEP
        suggested[SECTION_ADVANCED] = {
            key: current[key]
            for key in (CONF_BROADCAST_ADDRESS, CONF_BROADCAST_PORT)
            if key in current
        }
        suggested.update(xiaoai.suggested_sections(current))
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(_options_schema(modes), suggested),
            errors=errors,
        )


def _options_schema(modes: list[str]) -> probatio.Schema:
    return probatio.Schema(
        {
            probatio.Optional(CONF_TURN_ON_ENTITY): EntitySelector(
                EntitySelectorConfig(domain=["switch", "input_boolean"])
            ),
            probatio.Required(CONF_POWER_CYCLE, default=False): BooleanSelector(),
            probatio.Required(
                CONF_POWER_CYCLE_DELAY, default=DEFAULT_POWER_CYCLE_DELAY
            ): NumberSelector(
                NumberSelectorConfig(
                    min=1, max=60, step=1, unit_of_measurement="s", mode=NumberSelectorMode.SLIDER
                )
            ),
            probatio.Required(CONF_WAKE_ON_LAN, default=False): BooleanSelector(),
            probatio.Required(SECTION_ADVANCED): section(
                probatio.Schema(
                    {
                        probatio.Required(
                            CONF_BROADCAST_ADDRESS, default=DEFAULT_BROADCAST_ADDRESS
                        ): TextSelector(),
                        probatio.Required(
                            CONF_BROADCAST_PORT, default=DEFAULT_BROADCAST_PORT
                        ): NumberSelector(
                            NumberSelectorConfig(
                                min=1, max=65535, step=1, mode=NumberSelectorMode.BOX
                            )
                        ),
                    }
                ),
                SectionConfig(collapsed=True),
            ),
            probatio.Required(CONF_TURN_OFF_MODE, default=TURN_OFF_SLEEP): SelectSelector(
                SelectSelectorConfig(
                    options=modes,
                    translation_key=CONF_TURN_OFF_MODE,
                    mode=SelectSelectorMode.LIST,
                )
            ),
            probatio.Required(CONF_ALLOW_SHELL, default=False): BooleanSelector(),
            **xiaoai.options_schema_fields(),
        }
    )
