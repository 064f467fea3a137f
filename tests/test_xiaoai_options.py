"""The Xiao Ai bridge settings in the options flow, checked against the Bemfa emulator."""

from __future__ import annotations

from collections.abc import Mapping
import json
from pathlib import Path
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import config_validation as cv
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.xgimi_adb import xiaoai
from custom_components.xgimi_adb.bemfa.topics import DeviceType, derive_topic
from custom_components.xgimi_adb.const import (
    CONF_BEMFA_API_BASE,
    CONF_BEMFA_HOST,
    CONF_BEMFA_KEY,
    CONF_BEMFA_PORT,
    CONF_BEMFA_PROTOCOL,
    CONF_XIAOAI_ENABLED,
    CONF_XIAOAI_NAME,
    CONF_XIAOAI_PLAYBACK,
    CONF_XIAOAI_VOLUME,
    DOMAIN,
    PROTOCOL_MQTT,
    PROTOCOL_TCP,
    SECTION_BEMFA_SERVER,
    SECTION_XIAOAI,
)
from tests.bemfa_emulator import DEFAULT_KEY, BemfaEmulator
from tests.entities_common import Harness, entity_id, power
from tests.virtual_projector import PowerState, VirtualProjector
from tests.xiaoai_common import bemfa_fixture, fast_bridge_fixture

# The shared fixtures, by the names the tests ask for.
bemfa = bemfa_fixture
fast_bridge = fast_bridge_fixture

pytestmark = pytest.mark.usefixtures("fast_bridge")


def form(
    bemfa: BemfaEmulator,
    key: str = DEFAULT_KEY,
    protocol: str = PROTOCOL_MQTT,
    fields: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return what a person submits: projector options untouched, the bridge enabled."""
    port = bemfa.mqtt_port if protocol == PROTOCOL_MQTT else bemfa.tcp_port
    return {
        "advanced": {},
        SECTION_XIAOAI: {
            CONF_XIAOAI_ENABLED: True,
            CONF_BEMFA_KEY: key,
            CONF_BEMFA_PROTOCOL: protocol,
            CONF_XIAOAI_NAME: "客厅投影仪",
            **(fields or {}),
        },
        SECTION_BEMFA_SERVER: {
            CONF_BEMFA_HOST: "127.0.0.1",
            CONF_BEMFA_PORT: port,
            CONF_BEMFA_API_BASE: bemfa.api_base,
        },
    }


def section_suggestions(schema: Any, name: str) -> dict[str, Any]:
    """Return the suggested values of the fields of one section of a form."""
    inner = next(value for key, value in schema.schema.items() if str(key) == name)
    return {
        str(key): key.description["suggested_value"]
        for key in inner.schema.schema
        if key.description and "suggested_value" in key.description
    }


async def submit(hass: HomeAssistant, entry: MockConfigEntry, data: dict[str, Any]) -> Any:
    """Open the options and submit `data`."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    return await hass.config_entries.options.async_configure(result["flow_id"], data)


async def test_enable_the_bridge(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """A good key: stored apart from the options, the entry reloads and the bridge connects."""
    entry = await harness.load()
    result = await submit(hass, entry, form(bemfa, key=f" {DEFAULT_KEY.upper()} "))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    assert CONF_BEMFA_KEY not in entry.options
    assert DEFAULT_KEY not in json.dumps(dict(entry.options))
    assert entry.options[CONF_XIAOAI_ENABLED] is True
    assert entry.options[CONF_XIAOAI_NAME] == "客厅投影仪"
    assert entry.options[CONF_BEMFA_PORT] == bemfa.mqtt_port
    assert await xiaoai.async_get_key(hass, entry.entry_id) == DEFAULT_KEY
    assert entry.state is ConfigEntryState.LOADED

    assert entry.unique_id is not None
    topic = derive_topic(entry.unique_id, "", DeviceType.SWITCH)
    await bemfa.wait_for_subscriber(topic)
    await bemfa.wait_for_report(topic, "on")
    record = bemfa.topic(topic)
    assert record is not None and record.created and record.name == "客厅投影仪"

    # Reopened: the form shows the settings but never the key; an empty key keeps the saved one.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    shown = section_suggestions(result["data_schema"], SECTION_XIAOAI)
    assert shown[CONF_XIAOAI_NAME] == "客厅投影仪"
    assert shown[CONF_XIAOAI_ENABLED] is True
    assert CONF_BEMFA_KEY not in shown
    data = form(bemfa, key="", fields={CONF_XIAOAI_VOLUME: True})
    result = await hass.config_entries.options.async_configure(result["flow_id"], data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert await xiaoai.async_get_key(hass, entry.entry_id) == DEFAULT_KEY
    volume_topic = derive_topic(entry.unique_id, "v", DeviceType.LIGHT)
    await bemfa.wait_for_subscriber(volume_topic)


@pytest.mark.parametrize(
    "case",
    [
        ("not-a-key", "投影仪", "invalid_bemfa_key"),
        ("0123456789abcdef0123456789abcdeg", "投影仪", "invalid_bemfa_key"),
        ("", "投影仪", "invalid_bemfa_key"),  # nothing saved yet
        ("fedcba9876543210fedcba9876543210", "投影仪", "bemfa_key_rejected"),  # unknown account
        (DEFAULT_KEY, "一二三四五六七八九十一", "invalid_xiaoai_name"),  # 33 bytes
        (DEFAULT_KEY, "  ", "invalid_xiaoai_name"),
    ],
)
async def test_bad_settings_are_refused(
    hass: HomeAssistant,
    harness: Harness,
    xgimi: VirtualProjector,
    bemfa: BemfaEmulator,
    case: tuple[str, str, str],
) -> None:
    """A clear error on the bridge section; nothing is stored and the projector keeps working."""
    key, name, error = case
    entry = await harness.load()
    before = dict(entry.options)
    result = await submit(hass, entry, form(bemfa, key=key, fields={CONF_XIAOAI_NAME: name}))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {SECTION_XIAOAI: error}
    assert dict(entry.options) == before
    assert await xiaoai.async_get_key(hass, entry.entry_id) is None
    assert entry.state is ConfigEntryState.LOADED
    player = entity_id(hass, "media_player", entry)
    await hass.services.async_call("media_player", "turn_off", {"entity_id": player}, blocking=True)
    assert power(xgimi) is PowerState.SCREEN_OFF


@pytest.mark.parametrize("protocol", [PROTOCOL_MQTT, PROTOCOL_TCP])
async def test_rejected_key_per_protocol(
    hass: HomeAssistant,
    harness: Harness,
    xgimi: VirtualProjector,
    bemfa: BemfaEmulator,
    protocol: str,
) -> None:
    """The key is checked by a real connection over the chosen protocol."""
    entry = await harness.load()
    bemfa.reject_key(DEFAULT_KEY)
    result = await submit(hass, entry, form(bemfa, protocol=protocol))
    assert result["errors"] == {SECTION_XIAOAI: "bemfa_key_rejected"}
    bemfa.rejected.clear()
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], form(bemfa, protocol=protocol)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_BEMFA_PROTOCOL] == protocol


async def test_server_unreachable(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """Bemfa down while saving: a connection error, not a key error."""
    entry = await harness.load()
    await bemfa.stop_broker()
    result = await submit(hass, entry, form(bemfa))
    assert result["errors"] == {SECTION_XIAOAI: "bemfa_cannot_connect"}


async def test_saved_bridge_does_not_block_other_options(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """With the key saved and the server unchanged, saving needs no connection; a change does."""
    entry = await harness.load()
    assert (await submit(hass, entry, form(bemfa)))["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await bemfa.stop_broker()
    connects = sum(p.kind == "CONNECT" for p in bemfa.packets)

    data = form(bemfa, key="", fields={CONF_XIAOAI_NAME: "卧室投影仪"})
    result = await submit(hass, entry, data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_XIAOAI_NAME] == "卧室投影仪"

    data = form(bemfa, key="", protocol=PROTOCOL_TCP)  # another server: checked again
    result = await submit(hass, entry, data)
    assert result["errors"] == {SECTION_XIAOAI: "bemfa_cannot_connect"}
    assert sum(p.kind == "CONNECT" for p in bemfa.packets) == connects
    await hass.async_block_till_done()


@pytest.mark.parametrize(
    "server",
    [
        {CONF_BEMFA_HOST: "bemfa.com; reboot"},
        {CONF_BEMFA_API_BASE: "ftp://127.0.0.1/"},
        {CONF_BEMFA_API_BASE: "not a url"},
    ],
)
async def test_bad_server_settings(
    hass: HomeAssistant,
    harness: Harness,
    xgimi: VirtualProjector,
    bemfa: BemfaEmulator,
    server: dict[str, Any],
) -> None:
    """The advanced server section is validated before anything connects."""
    entry = await harness.load()
    data = form(bemfa)
    data[SECTION_BEMFA_SERVER].update(server)
    result = await submit(hass, entry, data)
    assert result["errors"] == {SECTION_BEMFA_SERVER: "invalid_bemfa_server"}
    assert bemfa.clients == [] and bemfa.packets == []


async def test_disabled_needs_no_key(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """Leaving the bridge off stores the settings without connecting anywhere."""
    entry = await harness.load()
    data = form(bemfa, key="")
    data[SECTION_XIAOAI][CONF_XIAOAI_ENABLED] = False
    data[SECTION_XIAOAI][CONF_XIAOAI_PLAYBACK] = True
    result = await submit(hass, entry, data)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_XIAOAI_ENABLED] is False
    assert entry.options[CONF_XIAOAI_PLAYBACK] is True
    assert bemfa.packets == []
    await hass.async_block_till_done()
    assert xiaoai.get_bridge(hass, entry.entry_id) is None


async def test_form_serializes_for_the_frontend(
    hass: HomeAssistant, harness: Harness, xgimi: VirtualProjector, bemfa: BemfaEmulator
) -> None:
    """The form as the frontend gets it: two collapsed sections, the key a password field."""
    entry = await harness.load()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    fields: list[dict[str, Any]] = probatio.to_field_list(  # type: ignore[assignment]
        result["data_schema"], custom_serializer=cv.custom_serializer
    )
    by_name = {field["name"]: field for field in fields}
    for name in (SECTION_XIAOAI, SECTION_BEMFA_SERVER):
        assert by_name[name]["type"] == "expandable"
        assert by_name[name]["expanded"] is False
    inner = {field["name"]: field for field in by_name[SECTION_XIAOAI]["schema"]}
    assert inner[CONF_BEMFA_KEY]["selector"] == {
        "text": {"multiline": False, "multiple": False, "type": "password"}
    }
    assert inner[CONF_XIAOAI_ENABLED]["default"] is False
    assert inner[CONF_XIAOAI_NAME]["default"] == "投影仪"


def test_translations_cover_the_bridge() -> None:
    """Every bridge field, error, issue and entity is translated in English and Chinese."""
    root = Path(xiaoai.__file__).parent
    strings = json.loads((root / "strings.json").read_text(encoding="utf-8"))
    chinese = json.loads((root / "translations/zh-Hans.json").read_text(encoding="utf-8"))
    assert (root / "translations/en.json").read_bytes() == (root / "strings.json").read_bytes()
    for tree in (strings, chinese):
        sections = tree["options"]["step"]["init"]["sections"]
        assert set(sections[SECTION_XIAOAI]["data"]) == {
            CONF_XIAOAI_ENABLED,
            CONF_BEMFA_KEY,
            CONF_BEMFA_PROTOCOL,
            CONF_XIAOAI_NAME,
            CONF_XIAOAI_VOLUME,
            CONF_XIAOAI_PLAYBACK,
        }
        assert set(sections[SECTION_XIAOAI]["data_description"]) == set(
            sections[SECTION_XIAOAI]["data"]
        )
        assert set(sections[SECTION_BEMFA_SERVER]["data"]) == {
            CONF_BEMFA_HOST,
            CONF_BEMFA_PORT,
            CONF_BEMFA_API_BASE,
        }
        errors = tree["options"]["error"]
        for error in (
            "invalid_bemfa_key",
            "bemfa_key_rejected",
            "bemfa_cannot_connect",
            "invalid_xiaoai_name",
            "invalid_bemfa_server",
        ):
            assert errors[error]
        assert set(tree["selector"]["bemfa_protocol"]["options"]) == {PROTOCOL_MQTT, PROTOCOL_TCP}
        assert tree["entity"]["binary_sensor"]["xiaoai_connected"]["name"]
        assert tree["entity"]["sensor"]["xiaoai_last_command"]["name"]
        issue = tree["issues"]["bemfa_topics"]
        for placeholder in ("{name}", "{console}", "{topics}", "{error}"):
            assert placeholder in issue["title"] + issue["description"]
    assert "巴法" in chinese["issues"]["bemfa_topics"]["description"]
    assert DOMAIN == "xgimi_adb"
