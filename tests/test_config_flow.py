"""Config, reauth, reconfigure and options flows, end to end against the virtual projector.

Every flow runs through Home Assistant's public flow API and talks real ADB over loopback to a
`VirtualProjector`. Only `async_setup_entry` / `async_unload_entry` are patched (standard practice
for flow tests: setting the entry up is tested in the entry-setup tests), so creating, updating
and reloading an entry stays cheap.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import dataclasses
import json
import logging
from pathlib import Path
import re
import shutil
import stat
from types import MappingProxyType
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryState,
    ConfigFlowResult,
)
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers.selector import SelectSelector
import probatio
import pytest

from custom_components.xgimi_adb import config_flow
from custom_components.xgimi_adb.const import (
    ADB_KEY_PATH,
    CONF_ALLOW_SHELL,
    CONF_BROADCAST_ADDRESS,
    CONF_BROADCAST_PORT,
    CONF_FACTS,
    CONF_POWER_CYCLE,
    CONF_POWER_CYCLE_DELAY,
    CONF_TURN_OFF_MODE,
    CONF_TURN_ON_ENTITY,
    CONF_WAKE_ON_LAN,
    DOMAIN,
    TURN_OFF_SLEEP,
    TURN_OFF_STANDBY,
)
from custom_components.xgimi_adb.projector.client import ProjectorClient
from custom_components.xgimi_adb.projector.device import XgimiDevice
from custom_components.xgimi_adb.projector.errors import AuthRejected
from custom_components.xgimi_adb.projector.state import Platform
from custom_components.xgimi_adb.projector.storage import facts_from_dict
from tests.virtual_projector import AuthPolicy, VirtualProjector
from tests.virtual_projector.profiles import PROFILES

GMUI_SERIAL = "XKP6A23B104582"  # gmui_android11
GMUI_MODEL = "XGIMI Play 6"


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def mock_setup_entry() -> Iterator[AsyncMock]:
    """Do not set the entry up: flow tests only check what the flow stores (standard practice)."""
    with (
        patch("custom_components.xgimi_adb.async_setup_entry", return_value=True) as setup,
        patch("custom_components.xgimi_adb.async_unload_entry", return_value=True),
    ):
        yield setup


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every wait short; single tests shorten further where they wait for a timeout."""
    monkeypatch.setattr(config_flow, "CONNECT_TIMEOUT", 2.0)
    monkeypatch.setattr(config_flow, "HANDSHAKE_WAIT", 3.0)
    monkeypatch.setattr(config_flow, "PAIR_TIMEOUT", 5.0)


@pytest.fixture
def fresh_key() -> None:
    """Marker fixture: let the integration generate its own ADB key in this test."""


@pytest.fixture(autouse=True)
def instance_key(hass: HomeAssistant, adb_key_path: Path, request: pytest.FixtureRequest) -> Path:
    """Return where the instance's ADB key lives, pre-seeded from the session key (RSA is slow).

    Tests that request `fresh_key` leave the directory empty: the integration generates the key.
    """
    path = Path(hass.config.path(*ADB_KEY_PATH))
    if "fresh_key" not in request.fixturenames:
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(adb_key_path, path)
        shutil.copyfile(f"{adb_key_path}.pub", f"{path}.pub")
    return path


@pytest.fixture
async def android_tv(
    socket_enabled: None, tmp_path: Path, adb_key_path: Path
) -> AsyncIterator[VirtualProjector]:
    """Run a second projector (international Android TV, another serial) that trusts our key."""
    async with VirtualProjector("androidtv_10", state_dir=tmp_path / "android_tv") as device:
        device.keys.trust(Path(f"{adb_key_path}.pub").read_text())
        yield device


# -- helpers -----------------------------------------------------------------------------------


async def _user_flow(hass: HomeAssistant) -> ConfigFlowResult:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return result


async def _submit(hass: HomeAssistant, flow_id: str, host: str, port: int) -> ConfigFlowResult:
    return await hass.config_entries.flow.async_configure(
        flow_id, {CONF_HOST: host, CONF_PORT: port}
    )


async def _progress_done(hass: HomeAssistant, result: ConfigFlowResult) -> ConfigFlowResult:
    """Let the pairing task finish, then continue the flow as the frontend does."""
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await hass.async_block_till_done()
    return await hass.config_entries.flow.async_configure(result["flow_id"])


async def _accept_prompt(projector: VirtualProjector) -> None:
    """Tap Allow once the prompt is on screen (the daemon may still be processing the key)."""
    for _ in range(200):
        if await projector.accept_pending_prompts():
            return
        await asyncio.sleep(0.01)
    pytest.fail("no prompt appeared on the projector")


async def _add_entry(hass: HomeAssistant, projector: VirtualProjector) -> ConfigEntry:
    """Add a projector through the user flow (its key trusted or accepted at once)."""
    result = await _user_flow(hass)
    result = await _submit(hass, result["flow_id"], projector.host, projector.port)
    if result["type"] is FlowResultType.SHOW_PROGRESS:
        result = await _progress_done(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    assert isinstance(entry, ConfigEntry)
    return entry


async def _stale_entry(hass: HomeAssistant) -> ConfigEntry:
    """Add (and set up) an entry for the GMUI projector at an old address, with old facts."""
    entry = ConfigEntry(
        data={CONF_HOST: "192.0.2.7", CONF_PORT: 5555, CONF_FACTS: {"stale": True}},
        discovery_keys=MappingProxyType({}),
        domain=DOMAIN,
        minor_version=1,
        options={},
        source=SOURCE_USER,
        subentries_data=None,
        title=GMUI_MODEL,
        unique_id=GMUI_SERIAL,
        version=1,
    )
    await hass.config_entries.async_add(entry)
    return entry


async def _start_reconfigure(hass: HomeAssistant, entry: ConfigEntry) -> ConfigFlowResult:
    return await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
    )


async def _start_reauth(hass: HomeAssistant, entry: ConfigEntry) -> ConfigFlowResult:
    """Start reauth as the entry setup does on ConfigEntryAuthFailed; return its first form."""
    entry.async_start_reauth(hass)
    await hass.async_block_till_done()
    [progress] = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    return await hass.config_entries.flow.async_configure(progress["flow_id"])


def _schema_field(result: ConfigFlowResult, name: str) -> Any:
    schema = result["data_schema"]
    assert isinstance(schema, probatio.Schema)
    for key, value in schema.schema.items():
        if str(key) == name:
            return key, value
    raise AssertionError(f"{name} not in the form")


# -- user flow ---------------------------------------------------------------------------------


async def test_trusted_key_creates_entry_without_pairing(
    hass: HomeAssistant,
    trusted_projector: VirtualProjector,
    mock_setup_entry: AsyncMock,
) -> None:
    """A projector that already trusts our key is added straight away, no progress step."""
    result = await _user_flow(hass)
    key, _ = _schema_field(result, CONF_PORT)
    assert key.default() == 5555
    assert result["errors"] == {}

    result = await _submit(hass, result["flow_id"], trusted_projector.host, trusted_projector.port)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == GMUI_MODEL
    assert result["data"][CONF_HOST] == "127.0.0.1"
    assert result["data"][CONF_PORT] == trusted_projector.port
    facts = facts_from_dict(result["data"][CONF_FACTS])
    assert facts.serial == GMUI_SERIAL
    assert facts.platform is Platform.GMUI
    assert result["result"].unique_id == GMUI_SERIAL
    assert trusted_projector.prompts == []
    await hass.async_block_till_done()
    assert mock_setup_entry.call_count == 1


async def test_slow_facts_read_after_connecting_is_not_a_timeout(
    hass: HomeAssistant, trusted_projector: VirtualProjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Connected with a trusted key: reading the facts may take longer than the handshake wait."""
    monkeypatch.setattr(config_flow, "HANDSHAKE_WAIT", 0.5)
    trusted_projector.faults.command_latency_s = 0.4  # two round trips: 0.8 s > 0.5 s
    result = await _user_flow(hass)

    result = await _submit(hass, result["flow_id"], trusted_projector.host, trusted_projector.port)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == GMUI_SERIAL


async def test_new_key_paired_through_progress_step(
    hass: HomeAssistant,
    projector: VirtualProjector,
    fresh_key: None,
    instance_key: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A new key: the flow waits on a progress step until the prompt is accepted.

    The key is generated by the integration, owner-only, and never appears in the log.
    """
    caplog.set_level(logging.DEBUG)
    projector.set_auth_policy(AuthPolicy.DELAY, delay_s=0.5)
    result = await _user_flow(hass)

    result = await _submit(hass, result["flow_id"], projector.host, projector.port)

    assert result["type"] is FlowResultType.SHOW_PROGRESS
    assert result["step_id"] == "pair"
    assert result["progress_action"] == "wait_for_accept"
    assert result["description_placeholders"] == {
        CONF_HOST: f"127.0.0.1:{projector.port}",
        "timeout": "5",
    }
    await hass.async_block_till_done()
    # The progress task finished: the flow moved on by itself.
    progressed = hass.config_entries.flow.async_get(result["flow_id"])
    assert progressed["step_id"] == "finish"
    result = await hass.config_entries.flow.async_configure(result["flow_id"])
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == GMUI_SERIAL
    assert len(projector.prompts) == 1

    assert stat.S_IMODE(instance_key.stat().st_mode) == 0o600
    assert stat.S_IMODE(instance_key.parent.stat().st_mode) == 0o700
    private = instance_key.read_text()
    body = "".join(line for line in private.splitlines() if "-----" not in line)
    assert len(body) > 1000
    for chunk in (body[:64], body[500:564], body[-64:]):
        assert chunk not in caplog.text
    # "Always allow" was ticked: the key is trusted from now on.
    assert len(projector.keys) == 1


async def test_rejected_prompt_then_retry(
    hass: HomeAssistant, projector: VirtualProjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nobody accepts in time: `pair_failed` explains; submitting retries and then succeeds."""
    monkeypatch.setattr(config_flow, "PAIR_TIMEOUT", 1.0)
    projector.set_auth_policy(AuthPolicy.REJECT)
    result = await _user_flow(hass)
    result = await _submit(hass, result["flow_id"], projector.host, projector.port)

    result = await _progress_done(hass, result)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pair_failed"
    assert result["description_placeholders"] == {
        CONF_HOST: f"127.0.0.1:{projector.port}",
        "timeout": "1",
    }

    monkeypatch.setattr(config_flow, "PAIR_TIMEOUT", 5.0)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    await _accept_prompt(projector)
    result = await _progress_done(hass, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == GMUI_SERIAL
    assert len(projector.prompts) == 2


async def test_accepted_without_always_allow_asks_to_tick_it(
    hass: HomeAssistant, projector: VirtualProjector
) -> None:
    """Allow tapped without "Always allow": the flow says so instead of an entry that reauths.

    The flow reconnects right after pairing; the projector asking again is the proof that the key
    was not remembered. Ticking the box on the next prompt then creates the entry.
    """
    projector.auth.always_allow = False
    projector.set_auth_policy(AuthPolicy.DELAY, delay_s=0.3)
    result = await _user_flow(hass)
    result = await _submit(hass, result["flow_id"], projector.host, projector.port)

    result = await _progress_done(hass, result)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "not_remembered"
    assert result["description_placeholders"] == {
        CONF_HOST: f"127.0.0.1:{projector.port}",
        "timeout": "5",
    }
    assert len(projector.prompts) == 2  # pairing, then the check on reconnect
    assert not hass.config_entries.async_entries(DOMAIN)

    projector.auth.always_allow = True
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    result = await _progress_done(hass, result)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert len(projector.prompts) == 3  # the check after this pairing did not prompt
    assert len(projector.keys) == 1


async def test_unanswered_prompt_on_reconnect_counts_as_not_remembered(
    hass: HomeAssistant, projector: VirtualProjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check's own prompt left unanswered also means the key was not remembered."""
    monkeypatch.setattr(config_flow, "REMEMBER_CHECK_TIMEOUT", 0.1)
    projector.auth.always_allow = False
    projector.set_auth_policy(AuthPolicy.DELAY, delay_s=0.3)
    result = await _user_flow(hass)
    result = await _submit(hass, result["flow_id"], projector.host, projector.port)

    result = await _progress_done(hass, result)

    assert result["step_id"] == "not_remembered"


async def test_key_refused_on_reconnect_without_prompt_is_pair_failed(
    hass: HomeAssistant, projector: VirtualProjector
) -> None:
    """Accepted, then refused outright on the check (no second prompt): `pair_failed`."""
    projector.set_auth_policy(AuthPolicy.DELAY, delay_s=0.3)
    real_connect = ProjectorClient.async_connect
    calls = 0

    async def connect_then_refuse(client: ProjectorClient, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            raise AuthRejected("refused")
        await real_connect(client, **kwargs)

    result = await _user_flow(hass)
    with patch.object(ProjectorClient, "async_connect", connect_then_refuse):
        result = await _submit(hass, result["flow_id"], projector.host, projector.port)
        result = await _progress_done(hass, result)

    assert result["step_id"] == "pair_failed"
    assert calls == 2


async def test_auth_rejected_without_prompt_shows_pair_failed(
    hass: HomeAssistant, projector: VirtualProjector
) -> None:
    """A key refused before any prompt showed (no progress step) also lands on `pair_failed`."""
    result = await _user_flow(hass)
    with patch.object(ProjectorClient, "async_connect", side_effect=AuthRejected("refused")):
        result = await _submit(hass, result["flow_id"], projector.host, projector.port)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "pair_failed"


async def test_refused_then_recovers(
    hass: HomeAssistant, trusted_projector: VirtualProjector
) -> None:
    """Connection refused: `cannot_connect`, and the flow recovers once the port is open."""
    await trusted_projector.refuse_connections()
    result = await _user_flow(hass)

    result = await _submit(hass, result["flow_id"], trusted_projector.host, trusted_projector.port)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "cannot_connect"}
    key, _ = _schema_field(result, CONF_HOST)
    assert key.default() == "127.0.0.1"

    await trusted_projector.refuse_connections(False)
    result = await _submit(hass, result["flow_id"], trusted_projector.host, trusted_projector.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_half_open_handshake_times_out(
    hass: HomeAssistant, trusted_projector: VirtualProjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TCP connects but the handshake is never answered: `timeout`."""
    monkeypatch.setattr(config_flow, "CONNECT_TIMEOUT", 0.5)
    await trusted_projector.set_half_open()
    result = await _user_flow(hass)

    result = await _submit(hass, result["flow_id"], trusted_projector.host, trusted_projector.port)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "timeout"}

    await trusted_projector.set_half_open(False)
    result = await _submit(hass, result["flow_id"], trusted_projector.host, trusted_projector.port)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_handshake_wait_expires(
    hass: HomeAssistant, trusted_projector: VirtualProjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Neither connected nor prompted within the handshake wait: the attempt is cancelled."""
    monkeypatch.setattr(config_flow, "CONNECT_TIMEOUT", 5.0)
    monkeypatch.setattr(config_flow, "HANDSHAKE_WAIT", 0.3)
    await trusted_projector.set_half_open()
    result = await _user_flow(hass)

    result = await _submit(hass, result["flow_id"], trusted_projector.host, trusted_projector.port)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "timeout"}


async def test_tls_only_port(hass: HomeAssistant, projector: VirtualProjector) -> None:
    """Android 11 wireless debugging port (STLS greeting): `tls_only`."""
    projector.faults.stls_only = True
    result = await _user_flow(hass)

    result = await _submit(hass, result["flow_id"], projector.host, projector.port)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "tls_only"}
    assert projector.prompts == []


async def test_unexpected_error_is_logged(
    hass: HomeAssistant, trusted_projector: VirtualProjector, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug surfaces as `unknown` and a logged traceback."""
    result = await _user_flow(hass)
    with patch.object(XgimiDevice, "async_read_facts", side_effect=RuntimeError("boom")):
        result = await _submit(
            hass, result["flow_id"], trusted_projector.host, trusted_projector.port
        )

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while connecting to 127.0.0.1" in caplog.text
    assert "RuntimeError: boom" in caplog.text


async def test_error_after_prompt_returns_to_form(
    hass: HomeAssistant, projector: VirtualProjector
) -> None:
    """The prompt was accepted but reading the facts failed: back to the address form."""
    projector.set_auth_policy(AuthPolicy.DELAY, delay_s=0.3)
    result = await _user_flow(hass)
    with patch.object(XgimiDevice, "async_read_facts", side_effect=RuntimeError("boom")):
        result = await _submit(hass, result["flow_id"], projector.host, projector.port)
        result = await _progress_done(hass, result)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {"base": "unknown"}


@pytest.mark.parametrize(
    "host",
    [
        "1.2.3.4; reboot",
        "$(reboot)",
        "`reboot`",
        "",
        "   ",
        "projector.lan && reboot",
        "http://192.168.1.50",
        "192.168.1.50:5555",
        "a..b",
        "-projector.lan",
        "999.1.1.1",
        "1.2.3.4%eth0",
        "fe80::1%$(reboot)",
        "projector\n.lan",
        "x" * 64 + ".lan",
        ("a" * 60 + ".") * 5,
    ],
)
async def test_invalid_host(hass: HomeAssistant, host: str) -> None:
    """Anything that is not an IP address or a DNS name is refused before connecting."""
    result = await _user_flow(hass)

    result = await _submit(hass, result["flow_id"], host, 5555)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_HOST: "invalid_host"}


async def test_invalid_port(hass: HomeAssistant) -> None:
    """The port is checked by the form schema."""
    result = await _user_flow(hass)
    with pytest.raises(InvalidData):
        await _submit(hass, result["flow_id"], "127.0.0.1", 70000)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("192.168.1.50", "192.168.1.50"),
        (" 192.168.1.50 ", "192.168.1.50"),
        ("fd00::50", "fd00::50"),
        ("[fd00::50]", "fd00::50"),
        ("fe80::1%eth0", "fe80::1%eth0"),
        ("Projector.LAN.", "projector.lan"),
        ("xgimi-play6", "xgimi-play6"),
    ],
)
def test_valid_host_forms(value: str, expected: str) -> None:
    """IPv4, IPv6 (bracketed, with a zone) and host names are accepted and normalized."""
    assert config_flow.normalize_host(value) == expected


async def test_host_name_resolves(hass: HomeAssistant, trusted_projector: VirtualProjector) -> None:
    """A DNS name is accepted and connected to."""
    result = await _user_flow(hass)

    result = await _submit(hass, result["flow_id"], "localhost", trusted_projector.port)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"][CONF_HOST] == "localhost"


async def test_duplicate_aborts(hass: HomeAssistant, trusted_projector: VirtualProjector) -> None:
    """The same projector cannot be added twice."""
    await _add_entry(hass, trusted_projector)
    result = await _user_flow(hass)

    result = await _submit(hass, result["flow_id"], trusted_projector.host, trusted_projector.port)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1


async def test_same_projector_new_address_updates_entry(
    hass: HomeAssistant, trusted_projector: VirtualProjector, mock_setup_entry: AsyncMock
) -> None:
    """Found again at another address: the existing entry is updated and reloaded."""
    entry = await _stale_entry(hass)
    assert mock_setup_entry.call_count == 1
    result = await _user_flow(hass)

    result = await _submit(hass, result["flow_id"], trusted_projector.host, trusted_projector.port)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert entry.data[CONF_HOST] == "127.0.0.1"
    assert entry.data[CONF_PORT] == trusted_projector.port
    await hass.async_block_till_done()
    assert mock_setup_entry.call_count == 2
    assert entry.state is ConfigEntryState.LOADED


@pytest.mark.parametrize("mac", [True, False], ids=["mac", "no_mac"])
async def test_unique_id_fallback(
    hass: HomeAssistant, socket_enabled: None, tmp_path: Path, adb_key_path: Path, mac: bool
) -> None:
    """No serial number: the MAC is the unique id; neither: abort `no_unique_id`."""
    base = PROFILES["gmui_android11"]
    profile = dataclasses.replace(
        base,
        name="gmui_android11",
        props=MappingProxyType(
            {key: value for key, value in base.props.items() if "serialno" not in key}
        ),
        interfaces=base.interfaces if mac else (),
    )
    async with VirtualProjector(profile, state_dir=tmp_path / "p") as device:
        device.keys.trust(Path(f"{adb_key_path}.pub").read_text())
        result = await _user_flow(hass)
        result = await _submit(hass, result["flow_id"], device.host, device.port)

    if mac:
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["result"].unique_id == base.primary_mac
    else:
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "no_unique_id"


# -- reconfigure -------------------------------------------------------------------------------


async def test_reconfigure_new_address(
    hass: HomeAssistant, trusted_projector: VirtualProjector, mock_setup_entry: AsyncMock
) -> None:
    """Reconfigure moves the entry to the new address and refreshes the facts."""
    entry = await _stale_entry(hass)
    result = await _start_reconfigure(hass, entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    key, _ = _schema_field(result, CONF_HOST)
    assert key.default() == "192.0.2.7"

    result = await _submit(hass, result["flow_id"], "127.0.0.1", trusted_projector.port)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data[CONF_PORT] == trusted_projector.port
    assert facts_from_dict(entry.data[CONF_FACTS]).serial == GMUI_SERIAL
    await hass.async_block_till_done()
    assert mock_setup_entry.call_count == 2  # set up, then reloaded


async def test_reconfigure_wrong_device(
    hass: HomeAssistant, trusted_projector: VirtualProjector, android_tv: VirtualProjector
) -> None:
    """Pointing an entry at another projector aborts `wrong_device` and changes nothing."""
    entry = await _stale_entry(hass)
    result = await _start_reconfigure(hass, entry)

    result = await _submit(hass, result["flow_id"], android_tv.host, android_tv.port)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_device"
    assert entry.data[CONF_HOST] == "192.0.2.7"


async def test_reconfigure_errors_then_recovers(
    hass: HomeAssistant, trusted_projector: VirtualProjector
) -> None:
    """Invalid host and refused connections show on the reconfigure form; then it succeeds."""
    entry = await _stale_entry(hass)
    result = await _start_reconfigure(hass, entry)

    result = await _submit(hass, result["flow_id"], "1.2.3.4; reboot", 5555)
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {CONF_HOST: "invalid_host"}

    await trusted_projector.refuse_connections()
    result = await _submit(hass, result["flow_id"], "127.0.0.1", trusted_projector.port)
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "cannot_connect"}
    key, _ = _schema_field(result, CONF_PORT)
    assert key.default() == trusted_projector.port

    await trusted_projector.refuse_connections(False)
    result = await _submit(hass, result["flow_id"], "127.0.0.1", trusted_projector.port)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def test_reconfigure_error_after_prompt(
    hass: HomeAssistant, projector: VirtualProjector
) -> None:
    """After the progress step, errors go back to the reconfigure form."""
    entry = await _stale_entry(hass)
    result = await _start_reconfigure(hass, entry)
    with patch.object(XgimiDevice, "async_read_facts", side_effect=RuntimeError("boom")):
        result = await _submit(hass, result["flow_id"], "127.0.0.1", projector.port)
        result = await _progress_done(hass, result)

    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {"base": "unknown"}


# -- reauth ------------------------------------------------------------------------------------


async def test_reauth_after_keys_revoked(
    hass: HomeAssistant,
    trusted_projector: VirtualProjector,
    mock_setup_entry: AsyncMock,
) -> None:
    """Keys revoked on the projector: reauth explains, the prompt is accepted, entry reloaded."""
    entry = await _add_entry(hass, trusted_projector)
    await hass.async_block_till_done()
    assert mock_setup_entry.call_count == 1
    trusted_projector.revoke_keys()

    result = await _start_reauth(hass, entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["description_placeholders"] == {
        "name": GMUI_MODEL,
        CONF_HOST: f"127.0.0.1:{trusted_projector.port}",
        "timeout": "5",
    }

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.SHOW_PROGRESS
    result = await _progress_done(hass, result)

    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert len(trusted_projector.prompts) == 1
    await hass.async_block_till_done()
    assert mock_setup_entry.call_count == 2
    assert entry.state is ConfigEntryState.LOADED


async def test_reauth_error_then_recovers(
    hass: HomeAssistant, trusted_projector: VirtualProjector
) -> None:
    """Errors during reauth show on the confirmation form; resubmitting retries."""
    entry = await _stale_entry(hass)
    hass.config_entries.async_update_entry(
        entry, data={**entry.data, CONF_HOST: "127.0.0.1", CONF_PORT: trusted_projector.port}
    )
    await trusted_projector.refuse_connections()
    result = await _start_reauth(hass, entry)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "cannot_connect"}

    await trusted_projector.refuse_connections(False)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert facts_from_dict(entry.data[CONF_FACTS]).serial == GMUI_SERIAL


# -- options -----------------------------------------------------------------------------------


def _turn_off_modes(result: ConfigFlowResult) -> list[str]:
    _, selector = _schema_field(result, CONF_TURN_OFF_MODE)
    assert isinstance(selector, SelectSelector)
    return [str(option) for option in selector.config["options"]]


OPTIONS = {
    CONF_TURN_ON_ENTITY: "switch.projector_plug",
    CONF_POWER_CYCLE: True,
    CONF_POWER_CYCLE_DELAY: 8,
    CONF_WAKE_ON_LAN: True,
    "advanced": {CONF_BROADCAST_ADDRESS: " 192.168.1.255 ", CONF_BROADCAST_PORT: 7},
    CONF_TURN_OFF_MODE: TURN_OFF_STANDBY,
    CONF_ALLOW_SHELL: True,
}


async def test_options_gmui(
    hass: HomeAssistant, trusted_projector: VirtualProjector, mock_setup_entry: AsyncMock
) -> None:
    """All options are stored flat; GMUI offers XGIMI standby; the entry reloads."""
    entry = await _add_entry(hass, trusted_projector)
    await hass.async_block_till_done()

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert _turn_off_modes(result) == [TURN_OFF_SLEEP, TURN_OFF_STANDBY]

    result = await hass.config_entries.options.async_configure(result["flow_id"], OPTIONS)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_TURN_ON_ENTITY: "switch.projector_plug",
        CONF_POWER_CYCLE: True,
        CONF_POWER_CYCLE_DELAY: 8,
        CONF_WAKE_ON_LAN: True,
        CONF_BROADCAST_ADDRESS: "192.168.1.255",
        CONF_BROADCAST_PORT: 7,
        CONF_TURN_OFF_MODE: TURN_OFF_STANDBY,
        CONF_ALLOW_SHELL: True,
    }
    assert isinstance(entry.options[CONF_POWER_CYCLE_DELAY], int)
    await hass.async_block_till_done()
    assert mock_setup_entry.call_count == 2  # OptionsFlowWithReload reloaded the entry

    # Reopened, the form shows what is stored (the section gets its own values).
    result = await hass.config_entries.options.async_init(entry.entry_id)
    key, _ = _schema_field(result, CONF_TURN_OFF_MODE)
    assert key.description == {"suggested_value": TURN_OFF_STANDBY}
    _, advanced = _schema_field(result, "advanced")
    suggested = {str(k): k.description for k in advanced.schema.schema}
    assert suggested[CONF_BROADCAST_ADDRESS] == {"suggested_value": "192.168.1.255"}
    assert advanced.options == {"collapsed": True}

    # Defaults: clearing the plug removes it.
    result = await hass.config_entries.options.async_configure(result["flow_id"], {"advanced": {}})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options == {
        CONF_POWER_CYCLE: False,
        CONF_POWER_CYCLE_DELAY: 5,
        CONF_WAKE_ON_LAN: False,
        CONF_BROADCAST_ADDRESS: "255.255.255.255",
        CONF_BROADCAST_PORT: 9,
        CONF_TURN_OFF_MODE: TURN_OFF_SLEEP,
        CONF_ALLOW_SHELL: False,
    }


async def test_options_invalid_broadcast_address(
    hass: HomeAssistant, trusted_projector: VirtualProjector
) -> None:
    """A broadcast address that is not IPv4 is refused on the section; then corrected."""
    entry = await _add_entry(hass, trusted_projector)
    result = await hass.config_entries.options.async_init(entry.entry_id)

    bad = {**OPTIONS, "advanced": {CONF_BROADCAST_ADDRESS: "192.168.1.255; reboot"}}
    result = await hass.config_entries.options.async_configure(result["flow_id"], bad)

    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"advanced": "invalid_broadcast_address"}
    key, _ = _schema_field(result, CONF_TURN_ON_ENTITY)
    assert key.description == {"suggested_value": "switch.projector_plug"}

    result = await hass.config_entries.options.async_configure(result["flow_id"], OPTIONS)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_BROADCAST_ADDRESS] == "192.168.1.255"


async def test_options_android_tv_has_no_standby(
    hass: HomeAssistant, android_tv: VirtualProjector
) -> None:
    """XGIMI standby is only offered on GMUI; a stored `standby` falls back to `sleep`."""
    entry = await _add_entry(hass, android_tv)
    assert facts_from_dict(entry.data[CONF_FACTS]).platform is Platform.ANDROID_TV
    hass.config_entries.async_update_entry(entry, options={CONF_TURN_OFF_MODE: TURN_OFF_STANDBY})

    result = await hass.config_entries.options.async_init(entry.entry_id)

    assert _turn_off_modes(result) == [TURN_OFF_SLEEP]
    key, _ = _schema_field(result, CONF_TURN_OFF_MODE)
    assert key.description == {"suggested_value": TURN_OFF_SLEEP}
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(result["flow_id"], OPTIONS)


# -- abandoning a flow and translations ---------------------------------------------------------


async def test_abandoned_pairing_is_cancelled(
    hass: HomeAssistant, projector: VirtualProjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing the dialog during the progress step stops the attempt at once."""
    monkeypatch.setattr(config_flow, "PAIR_TIMEOUT", 30.0)
    projector.set_auth_policy(AuthPolicy.REJECT)
    result = await _user_flow(hass)
    result = await _submit(hass, result["flow_id"], projector.host, projector.port)
    assert result["type"] is FlowResultType.SHOW_PROGRESS

    hass.config_entries.flow.async_abort(result["flow_id"])
    async with asyncio.timeout(5):  # far below PAIR_TIMEOUT: the task was cancelled
        await hass.async_block_till_done()

    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert hass.config_entries.async_entries(DOMAIN) == []


TRANSLATIONS = Path(config_flow.__file__).parent
FLOW_SECTIONS = ("config", "options", "selector")


def _key_paths(tree: Any, prefix: str = "") -> set[str]:
    if not isinstance(tree, dict):
        return {prefix}
    return {path for key, value in tree.items() for path in _key_paths(value, f"{prefix}/{key}")}


def test_flow_translations_complete() -> None:
    """Every step, error and abort of the flows is translated, in English and Chinese."""
    strings = json.loads((TRANSLATIONS / "strings.json").read_text(encoding="utf-8"))
    english = json.loads((TRANSLATIONS / "translations/en.json").read_text(encoding="utf-8"))
    chinese = json.loads((TRANSLATIONS / "translations/zh-Hans.json").read_text(encoding="utf-8"))
    for section in FLOW_SECTIONS:
        assert english[section] == strings[section]
        assert _key_paths(chinese[section]) == _key_paths(strings[section])
    config = strings["config"]
    assert set(config["step"]) == {
        "user",
        "reconfigure",
        "pair",
        "pair_failed",
        "not_remembered",
        "reauth_confirm",
    }
    assert set(config["progress"]) == {"wait_for_accept"}
    assert set(config["error"]) == {
        "cannot_connect",
        "timeout",
        "tls_only",
        "unknown",
        "invalid_host",
    }
    assert {"already_configured", "no_unique_id", "wrong_device"} <= set(config["abort"])
    for step in ("user", "reconfigure"):
        assert set(config["step"][step]["data_description"]) == {CONF_HOST, CONF_PORT}
    init = strings["options"]["step"]["init"]
    fields = {
        CONF_TURN_ON_ENTITY,
        CONF_POWER_CYCLE,
        CONF_POWER_CYCLE_DELAY,
        CONF_WAKE_ON_LAN,
        CONF_TURN_OFF_MODE,
        CONF_ALLOW_SHELL,
    }
    assert set(init["data"]) == set(init["data_description"]) == fields
    advanced = init["sections"]["advanced"]
    assert set(advanced["data_description"]) == {CONF_BROADCAST_ADDRESS, CONF_BROADCAST_PORT}
    assert set(strings["selector"]["turn_off_mode"]["options"]) == {
        TURN_OFF_SLEEP,
        TURN_OFF_STANDBY,
    }
    # Placeholders are only those the flow provides.
    for text in _texts(config) | _texts(strings["options"]):
        assert set(re.findall(r"{(\w*)}", text)) <= {"name", "host", "timeout"}
    assert "Allow USB debugging?" in config["progress"]["wait_for_accept"]
    assert "允许USB调试吗？" in chinese["config"]["progress"]["wait_for_accept"]
    assert (
        "一律允许使用这台计算机进行调试" in chinese["config"]["step"]["pair_failed"]["description"]
    )


def _texts(tree: Any) -> set[str]:
    if isinstance(tree, str):
        return {tree}
    return {text for value in tree.values() for text in _texts(value)}
