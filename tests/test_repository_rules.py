"""Repository rules of HACS and hassfest, checked offline.

The HACS action needs GitHub and hassfest needs a Home Assistant source checkout (its
`script/hassfest` is not in the `homeassistant` wheel), so neither runs here. These tests hold
the same rules: the schemas are modelled on HACS's `utils/validate.py` and on hassfest's
`manifest.py`, `translations.py` and `services.py` for custom integrations, plus what
Home Assistant's own loader, service helper and brands view read at runtime.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
import colorsys
from http import HTTPStatus
from importlib import metadata
import importlib.machinery
import importlib.util
import json
from pathlib import Path
import re
import statistics
import tomllib
from typing import Any, cast

from awesomeversion import AwesomeVersion, AwesomeVersionStrategy
import homeassistant
from homeassistant import config_entries
from homeassistant.components.brands.const import ALLOWED_IMAGES
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers.selector import SelectSelector
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from PIL import Image, ImageChops, ImageStat
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.xgimi_adb.const import DOMAIN

ROOT = Path(__file__).parents[1]
INTEGRATION = ROOT / "custom_components" / DOMAIN
HA_PACKAGE = Path(homeassistant.__file__).parent
LANGUAGES = ("en", "zh-Hans")
BRAND_SUPPORT = AwesomeVersion("2026.3.0")  # first release that serves custom brand/ images

JSON = dict[str, Any]


def _json(path: Path) -> JSON:
    data: JSON = json.loads(path.read_text(encoding="utf-8"))
    return data


def _translations(language: str) -> JSON:
    return _json(INTEGRATION / "translations" / f"{language}.json")


def _flatten(tree: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, str]]:
    """Yield ("a.b.c", text) for every string in a translation tree."""
    for key, value in tree.items():
        if isinstance(value, Mapping):
            yield from _flatten(value, (*prefix, key))
        else:
            yield ".".join((*prefix, key)), value


def _test_pins() -> dict[str, Requirement]:
    """Return the requirements_test.txt pins by canonical name."""
    pins: dict[str, Requirement] = {}
    for line in (ROOT / "requirements_test.txt").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            requirement = Requirement(line.split("#")[0].strip())
            pins[canonicalize_name(requirement.name)] = requirement
    return pins


def _pinned_version(requirement: Requirement) -> str:
    """Return the version of an exact `==` pin; fail for anything looser."""
    specs = list(requirement.specifier)
    assert len(specs) == 1 and specs[0].operator == "==", f"{requirement} is not pinned with =="
    return specs[0].version


# -- hacs.json --------------------------------------------------------------------------------

# HACS's HACS_MANIFEST_JSON_SCHEMA: every key it knows, and nothing else (PREVENT_EXTRA).
HACS_SCHEMA = probatio.Schema(
    {
        probatio.Required("name"): str,
        probatio.Optional("content_in_root"): bool,
        probatio.Optional("country"): probatio.Any(str, [str]),
        probatio.Optional("filename"): str,
        probatio.Optional("hacs"): str,
        probatio.Optional("hide_default_branch"): bool,
        probatio.Optional("homeassistant"): str,
        probatio.Optional("persistent_directory"): str,
        probatio.Optional("render_readme"): bool,
        probatio.Optional("zip_release"): bool,
    },
    extra=probatio.PREVENT_EXTRA,
)


def test_hacs_json_has_only_keys_hacs_knows() -> None:
    """hacs.json passes HACS's schema and fits a custom_components/ layout."""
    hacs = HACS_SCHEMA(_json(ROOT / "hacs.json"))
    assert hacs["name"] == _json(INTEGRATION / "manifest.json")["name"]
    assert not hacs.get("content_in_root", False), "the integration lives in custom_components/"
    if hacs.get("zip_release"):
        assert hacs.get("filename"), "zip_release needs filename (HACS: filename is not set)"
    assert "render_readme" not in hacs, "render_readme is dead in HACS 2; do not ship it"


def test_hacs_minimum_home_assistant_version_is_the_tested_release() -> None:
    """The minimum HA version is a release the tests ran on, and one that shows brand/ icons."""
    minimum = AwesomeVersion(_json(ROOT / "hacs.json")["homeassistant"])
    pinned = AwesomeVersion(_pinned_version(_test_pins()["homeassistant"]))
    assert minimum.strategy is AwesomeVersionStrategy.CALVER, minimum
    assert AwesomeVersion(HA_VERSION) == pinned, "the venv runs another HA than the pin"
    assert BRAND_SUPPORT <= minimum <= pinned
    # Same release line as the tests: an older minimum would promise support nobody checked.
    assert (minimum.section(0), minimum.section(1)) == (pinned.section(0), pinned.section(1))


# -- manifest.json ----------------------------------------------------------------------------

IOT_CLASSES = [
    "assumed_state",
    "calculated",
    "cloud_polling",
    "cloud_push",
    "local_polling",
    "local_push",
]
INTEGRATION_TYPES = ["device", "entity", "hardware", "helper", "hub", "service", "system"]
VERSION_STRATEGIES = [
    AwesomeVersionStrategy.CALVER,
    AwesomeVersionStrategy.SEMVER,
    AwesomeVersionStrategy.SIMPLEVER,
    AwesomeVersionStrategy.BUILDVER,
    AwesomeVersionStrategy.PEP440,
]


def _custom_documentation_url(value: str) -> str:
    """Hassfest: https, and not a home-assistant.io page (that is core's documentation)."""
    if not value.startswith("https://"):
        raise probatio.Invalid("documentation must be an https URL")
    if value.startswith("https://www.home-assistant.io/integrations"):
        raise probatio.Invalid("documentation must point to this integration's own docs")
    return value


def _valid_version(value: str) -> str:
    """Hassfest: the version parses with one of AwesomeVersion's strategies."""
    AwesomeVersion(value, ensure_strategy=VERSION_STRATEGIES)
    return value


_MATCHERS = [probatio.Any(str, dict)]
# Hassfest's CUSTOM_INTEGRATION_MANIFEST_SCHEMA (keys and value types), PREVENT_EXTRA as there.
MANIFEST_SCHEMA = probatio.Schema(
    {
        probatio.Required("domain"): str,
        probatio.Required("name"): str,
        probatio.Optional("integration_type"): probatio.In(INTEGRATION_TYPES),
        probatio.Optional("config_flow"): bool,
        probatio.Optional("mqtt"): [str],
        probatio.Optional("zeroconf"): _MATCHERS,
        probatio.Optional("ssdp"): [dict],
        probatio.Optional("bluetooth"): [dict],
        probatio.Optional("homekit"): {probatio.Optional("models"): [str]},
        probatio.Optional("dhcp"): [dict],
        probatio.Optional("usb"): [dict],
        probatio.Required("documentation"): probatio.All(probatio.Url(), _custom_documentation_url),
        probatio.Optional("quality_scale"): probatio.In(
            ["bronze", "silver", "gold", "platinum", "custom", "no_score", "internal", "legacy"]
        ),
        probatio.Optional("requirements"): [str],
        probatio.Optional("dependencies"): [str],
        probatio.Optional("after_dependencies"): [str],
        probatio.Required("codeowners"): [str],
        probatio.Optional("loggers"): [str],
        probatio.Optional("disabled"): str,
        probatio.Optional("iot_class"): probatio.In(IOT_CLASSES),
        probatio.Optional("single_config_entry"): bool,
        probatio.Optional("preview_features"): dict,
        probatio.Optional("version"): probatio.All(str, _valid_version),
        probatio.Optional("issue_tracker"): probatio.Url(),
        probatio.Optional("import_executor"): bool,
    },
    extra=probatio.PREVENT_EXTRA,
)
# What hassfest (version, iot_class) and HACS (its INTEGRATION_MANIFEST_JSON_SCHEMA) add on top.
REQUIRED_KEYS = {
    "domain",
    "name",
    "documentation",
    "codeowners",
    "iot_class",
    "version",
    "issue_tracker",
}


def test_manifest_passes_the_hassfest_and_hacs_schemas() -> None:
    """Only known keys, the required ones present, the domain is the directory's name."""
    manifest = _json(INTEGRATION / "manifest.json")
    MANIFEST_SCHEMA(manifest)
    assert manifest.keys() >= REQUIRED_KEYS
    assert manifest["domain"] == INTEGRATION.name == DOMAIN
    assert not (HA_PACKAGE / "components" / DOMAIN).exists(), "domain collides with core"


def test_manifest_keys_are_domain_name_then_alphabetical() -> None:
    """Hassfest: "Manifest keys are not sorted correctly: domain, name, then alphabetical"."""
    keys = list(_json(INTEGRATION / "manifest.json"))
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_values() -> None:
    """The values describe this integration: one polled local device, set up in the UI."""
    manifest = _json(INTEGRATION / "manifest.json")
    assert manifest["integration_type"] == "device"  # one projector per config entry
    assert manifest["iot_class"] == "local_polling"  # the coordinator polls over the LAN
    assert manifest["config_flow"] is True
    assert (INTEGRATION / "config_flow.py").is_file()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert manifest["version"] == project["version"]
    assert AwesomeVersion(manifest["version"]).strategy is AwesomeVersionStrategy.SEMVER
    repository = manifest["documentation"].removesuffix("/")
    assert re.fullmatch(r"https://github\.com/[\w.-]+/[\w.-]+", repository), repository
    assert manifest["issue_tracker"] == f"{repository}/issues"
    assert manifest["codeowners"]
    for owner in manifest["codeowners"]:
        assert re.fullmatch(r"@[A-Za-z0-9-]+(/[A-Za-z0-9_.-]+)?", owner), owner


def _top_level_modules(distribution: str) -> set[str]:
    """Return the importable top-level modules an installed distribution provides."""
    wanted = canonicalize_name(distribution)
    return {
        module
        for module, owners in metadata.packages_distributions().items()
        if wanted in {canonicalize_name(owner) for owner in owners} and not module.startswith("_")
    }


def test_manifest_loggers_are_the_requirements_loggers() -> None:
    """`loggers` names exactly the libraries the integration requires (their module loggers)."""
    manifest = _json(INTEGRATION / "manifest.json")
    expected = set().union(
        *(_top_level_modules(Requirement(item).name) for item in manifest["requirements"])
    )
    assert set(manifest["loggers"]) == expected


def _core_pins() -> dict[str, list[tuple[str, Requirement]]]:
    """Return every pin core makes: its constraints, its own needs and its integrations'."""
    sources: list[tuple[str, str]] = [
        ("package_constraints.txt", line)
        for line in (HA_PACKAGE / "package_constraints.txt").read_text().splitlines()
    ]
    sources += [("homeassistant", line) for line in metadata.requires("homeassistant") or []]
    for path in sorted((HA_PACKAGE / "components").glob("*/manifest.json")):
        sources += [
            (f"{path.parent.name}/manifest.json", item)
            for item in _json(path).get("requirements", [])
        ]
    pins: dict[str, list[tuple[str, Requirement]]] = {}
    for source, line in sources:
        text = line.split("#")[0].strip()
        if not text:
            continue
        try:
            requirement = Requirement(text)
        except InvalidRequirement:  # a URL or a local path: nothing to compare with
            continue
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            pins.setdefault(canonicalize_name(requirement.name), []).append((source, requirement))
    return pins


def test_requirements_are_pinned_compatibly_with_core() -> None:
    """Each requirement is pinned with ==, at the version core pins, with dependencies core allows.

    Home Assistant installs custom requirements into its own environment: if core (or one of its
    integrations) pins the library differently, or pins one of its dependencies outside the range
    the library accepts, one of the two breaks.
    """
    requirements = [
        Requirement(item) for item in _json(INTEGRATION / "manifest.json")["requirements"]
    ]
    assert requirements
    core = _core_pins()
    test_pins = _test_pins()
    for requirement in requirements:
        version = _pinned_version(requirement)
        name = canonicalize_name(requirement.name)
        assert metadata.version(name) == version, f"the tests run another {name}"
        assert test_pins[name].specifier == requirement.specifier, "requirements_test.txt differs"
        assert test_pins[name].extras == requirement.extras
        for source, pin in core.get(name, []):
            assert pin.specifier.contains(version, prereleases=True), f"{source} pins {pin}"
        for line in metadata.requires(name) or []:
            dependency = Requirement(line)
            extras = {"", *requirement.extras}
            if dependency.marker and not any(
                dependency.marker.evaluate({"extra": e}) for e in extras
            ):
                continue
            for source, pin in core.get(canonicalize_name(dependency.name), []):
                # An exact pin is what core installs; for a range, the installed version must
                # satisfy both sides (it proves the two ranges overlap).
                exact = [spec.version for spec in pin.specifier if spec.operator == "=="]
                chosen = exact[0] if exact else metadata.version(dependency.name)
                assert pin.specifier.contains(chosen, prereleases=True), f"{source} pins {pin}"
                assert dependency.specifier.contains(chosen, prereleases=True), (
                    f"{name} needs {dependency}, {source} pins {pin}"
                )


# -- translations -----------------------------------------------------------------------------

_TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


def _text(value: Any) -> str:
    """Hassfest's translation_value_validator: a string without HTML, edge spaces or 'quoted' {}."""
    if not isinstance(value, str) or not value:
        raise probatio.Invalid("must be a non-empty string")
    if value != value.strip():
        raise probatio.Invalid("must not start or end with whitespace")
    if re.search(r"<[a-z/!]", value, re.IGNORECASE):
        raise probatio.Invalid("must not contain HTML")
    if re.search(r"'\{\w+\}'", value):
        raise probatio.Invalid("must not put a placeholder inside single quotes")
    if re.search(r"(.+\[%)|(%\].+)", value):
        raise probatio.Invalid("must not combine a [%key:...%] reference with text")
    return value


def _key(value: Any) -> str:
    if not isinstance(value, str) or not _TRANSLATION_KEY.match(value):
        raise probatio.Invalid(f"invalid translation key {value!r}")
    return value


_TEXTS = {str: _text}
_SECTION = {
    probatio.Optional("name"): _text,
    probatio.Optional("description"): _text,
    probatio.Optional("data"): _TEXTS,
    probatio.Optional("data_description"): _TEXTS,
}
_STEP = {
    probatio.Optional("title"): _text,
    probatio.Optional("description"): _text,
    probatio.Optional("data"): _TEXTS,
    probatio.Optional("data_description"): _TEXTS,
    probatio.Optional("menu_options"): _TEXTS,
    probatio.Optional("submit"): _text,
    probatio.Optional("sections"): {str: _SECTION},
}
_FLOW = {
    probatio.Optional("flow_title"): _text,
    probatio.Required("step"): {str: _STEP},
    probatio.Optional("error"): _TEXTS,
    probatio.Optional("abort"): _TEXTS,
    probatio.Optional("progress"): _TEXTS,
    probatio.Optional("create_entry"): _TEXTS,
}
# Hassfest's strings schema, the parts an integration like this one uses (PREVENT_EXTRA).
STRINGS_SCHEMA = probatio.Schema(
    {
        probatio.Optional("title"): _text,
        probatio.Optional("config"): _FLOW,
        probatio.Optional("options"): _FLOW,
        probatio.Optional("selector"): {_key: {"options": {_key: _text}}},
        probatio.Optional("entity"): {
            _key: {
                _key: {
                    probatio.Optional("name"): _text,
                    probatio.Optional("state"): {_key: _text},
                    probatio.Optional("state_attributes"): {
                        _key: {
                            probatio.Optional("name"): _text,
                            probatio.Optional("state"): {_key: _text},
                        }
                    },
                }
            }
        },
        probatio.Optional("device"): {_key: {probatio.Optional("name"): _text}},
        probatio.Optional("exceptions"): {_key: {probatio.Required("message"): _text}},
        probatio.Optional("services"): {
            _key: {
                probatio.Required("name"): _text,
                probatio.Required("description"): _text,
                probatio.Optional("fields"): {
                    _key: {
                        probatio.Required("name"): _text,
                        probatio.Required("description"): _text,
                        probatio.Optional("example"): _text,
                    }
                },
                probatio.Optional("sections"): {
                    _key: {
                        probatio.Required("name"): _text,
                        probatio.Optional("description"): _text,
                    }
                },
            }
        },
        probatio.Optional("issues"): {
            _key: {probatio.Required("title"): _text, probatio.Required("description"): _text}
        },
        probatio.Optional("common"): {_key: _text},
    },
    extra=probatio.PREVENT_EXTRA,
)


def test_en_json_is_strings_json() -> None:
    """translations/en.json is a byte-for-byte copy of strings.json (what core would generate)."""
    assert (INTEGRATION / "translations" / "en.json").read_bytes() == (
        INTEGRATION / "strings.json"
    ).read_bytes()


def test_translation_files_are_the_two_languages() -> None:
    """Exactly English and Simplified Chinese ship, under Home Assistant's language codes."""
    files = sorted(path.name for path in (INTEGRATION / "translations").iterdir())
    assert files == sorted(f"{language}.json" for language in LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_pass_the_hassfest_schema(language: str) -> None:
    """Known sections only; every text non-empty, trimmed, without HTML or quoted placeholders."""
    STRINGS_SCHEMA(_translations(language))


def test_languages_have_the_same_keys_and_placeholders() -> None:
    """zh-Hans is complete: the same keys as English and the same {placeholders} in each text."""
    english = dict(_flatten(_translations("en")))
    chinese = dict(_flatten(_translations("zh-Hans")))
    assert sorted(chinese.keys() - english.keys()) == []
    assert sorted(english.keys() - chinese.keys()) == []
    for key, text in english.items():
        assert set(_PLACEHOLDER.findall(chinese[key])) == set(_PLACEHOLDER.findall(text)), key


def test_chinese_texts_are_translated() -> None:
    """Every zh-Hans text is Chinese, not a copied English string."""
    untranslated = [
        key for key, text in _flatten(_translations("zh-Hans")) if not _CJK.search(text)
    ]
    assert untranslated == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_flow_field_has_a_description(language: str) -> None:
    """Each config/options step and section describes every field it names, and nothing else."""
    strings = _translations(language)
    for flow in ("config", "options"):
        for step_id, step in strings[flow]["step"].items():
            parts = [(step_id, step)] + [
                (f"{step_id}.{name}", part) for name, part in step.get("sections", {}).items()
            ]
            for where, part in parts:
                assert part.get("data", {}).keys() == part.get("data_description", {}).keys(), (
                    f"{flow}.step.{where}"
                )


def _form_fields(schema: probatio.Schema) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Yield (section path + field name, validator) for every field of a form, sections included."""
    for marker, validator in schema.schema.items():
        name = str(marker)
        if isinstance(validator, section):
            for path, inner in _form_fields(validator.schema):
                yield (name, *path), inner
        else:
            yield (name,), validator


def _assert_form_translated(flow: str, result: Mapping[str, Any]) -> None:
    """Each field of the form has a label and a description, its select options a text."""
    assert result["type"] is FlowResultType.FORM, result
    fields = list(_form_fields(result["data_schema"]))
    assert fields
    for language in LANGUAGES:
        strings = _translations(language)
        step = strings[flow]["step"].get(result["step_id"], {})
        for path, validator in fields:
            field = f"{language}: {flow}.step.{result['step_id']}.{'.'.join(path)}"
            part = step
            for name in path[:-1]:
                assert name in part.get("sections", {}), f"{field}: section {name} untranslated"
                part = part["sections"][name]
            assert path[-1] in part.get("data", {}), f"{field} has no label"
            assert path[-1] in part.get("data_description", {}), f"{field} has no data_description"
            if isinstance(validator, SelectSelector) and (
                key := validator.config.get("translation_key")
            ):
                options = strings["selector"][key]["options"]
                assert set(validator.config["options"]) <= options.keys(), field
        for name in {path[0] for path, _ in fields if len(path) > 1}:
            assert step["sections"][name].get("name"), f"{language}: section {name} has no name"


async def test_forms_shown_to_users_are_fully_translated(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """The real user, reconfigure and options forms: every field labelled and described."""
    user = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    _assert_form_translated("config", user)
    _assert_form_translated("config", await entry.start_reconfigure_flow(hass))
    _assert_form_translated("options", await hass.config_entries.options.async_init(entry.entry_id))
    for flow_id in [flow["flow_id"] for flow in hass.config_entries.flow.async_progress()]:
        hass.config_entries.flow.async_abort(flow_id)


# -- services.yaml and icons.json -------------------------------------------------------------

_FIELD = {
    probatio.Optional("name"): str,
    probatio.Optional("description"): str,
    probatio.Optional("example"): probatio.Any(str, int, float, bool, list, dict),
    probatio.Optional("default"): object,
    probatio.Optional("required"): bool,
    probatio.Optional("advanced"): bool,
    probatio.Optional("selector"): dict,
    probatio.Optional("filter"): dict,
}
# Hassfest's CUSTOM_INTEGRATION_SERVICES_SCHEMA (PREVENT_EXTRA at every level).
SERVICES_SCHEMA = probatio.Schema(
    {
        _key: probatio.Any(
            None,
            {
                probatio.Optional("name"): str,
                probatio.Optional("description"): str,
                probatio.Optional("target"): dict,
                probatio.Optional("fields"): {
                    str: probatio.Any(
                        _FIELD,
                        {
                            probatio.Optional("collapsed"): bool,
                            probatio.Optional("name"): str,
                            probatio.Optional("description"): str,
                            probatio.Required("fields"): {str: _FIELD},
                        },
                    )
                },
            },
        )
    }
)


def _services_yaml() -> JSON:
    services: JSON = SERVICES_SCHEMA(load_yaml_dict(str(INTEGRATION / "services.yaml")))
    return services


def _yaml_fields(service: JSON | None) -> dict[str, JSON]:
    """Return the fields of a services.yaml entry, sections flattened."""
    fields: dict[str, JSON] = {}
    for name, field in ((service or {}).get("fields") or {}).items():
        fields |= (field or {}).get("fields", {name: field or {}})
    return fields


async def test_services_yaml_describes_exactly_the_registered_services(
    hass: HomeAssistant, entry: MockConfigEntry
) -> None:
    """After setup, the registered actions, their fields and required flags match services.yaml."""
    services_yaml = _services_yaml()
    registered = hass.services.async_services_for_domain(DOMAIN)
    assert sorted(registered) == sorted(services_yaml)
    for name, service in registered.items():
        assert isinstance(service.schema, probatio.Schema), name
        schema_fields = {str(marker): marker for marker in service.schema.schema}
        yaml_fields = _yaml_fields(services_yaml[name])
        assert sorted(schema_fields) == sorted(yaml_fields), name
        for field, marker in schema_fields.items():
            required = isinstance(marker, probatio.Required)
            assert yaml_fields[field].get("required", False) is required, f"{name}.{field}"
    # Home Assistant's own loader reads the file (it logs and returns no fields if it cannot).
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    for name in registered:
        assert descriptions[name]["fields"].keys() == _yaml_fields(services_yaml[name]).keys()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_service_and_field_is_translated(language: str) -> None:
    """Each action and each field has a name and a description; no stale translations."""
    services_yaml = _services_yaml()
    translated = _translations(language)["services"]
    assert sorted(translated) == sorted(services_yaml)
    for name, service in services_yaml.items():
        assert translated[name]["name"] and translated[name]["description"], name
        fields = translated[name].get("fields", {})
        assert sorted(fields) == sorted(_yaml_fields(service)), name
        for field, text in fields.items():
            assert text["name"] and text["description"], f"{name}.{field}"
        sections = {
            key for key, value in (service or {}).get("fields", {}).items() if "fields" in value
        }
        assert sorted(translated[name].get("sections", {})) == sorted(sections), name


def _icon(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"mdi:[a-z0-9-]+", value):
        raise probatio.Invalid(f"{value!r} is not an mdi: icon")
    return value


# Hassfest's icons.json schema, the parts used here.
ICONS_SCHEMA = probatio.Schema(
    {
        probatio.Optional("entity"): {
            _key: {
                _key: {
                    probatio.Optional("default"): _icon,
                    probatio.Optional("state"): {_key: _icon},
                    probatio.Optional("range"): {str: _icon},
                    probatio.Optional("state_attributes"): dict,
                }
            }
        },
        probatio.Optional("services"): {
            _key: {
                probatio.Required("service"): _icon,
                probatio.Optional("sections"): {_key: _icon},
            }
        },
    },
    extra=probatio.PREVENT_EXTRA,
)


def test_icons_cover_every_service_and_translated_entity() -> None:
    """icons.json gives each action an icon and only names entities that exist in strings."""
    icons = ICONS_SCHEMA(_json(INTEGRATION / "icons.json"))
    assert sorted(icons["services"]) == sorted(_services_yaml())
    entities = _translations("en")["entity"]
    for platform, keys in icons.get("entity", {}).items():
        assert keys.keys() <= entities.get(platform, {}).keys(), platform


# -- brand icons ------------------------------------------------------------------------------

BRAND = INTEGRATION / "brand"
ICON_SIZES = {"icon.png": 256, "icon@2x.png": 512, "dark_icon.png": 256, "dark_icon@2x.png": 512}
WHITE = (255, 255, 255)
DARK_CARD = (28, 28, 28)  # Home Assistant's dark theme card colour


def _open_png(path: Path) -> Image.Image:
    image = Image.open(path)
    assert image.format == "PNG", path
    image.load()
    return image


def test_brand_directory_holds_the_icons_home_assistant_serves() -> None:
    """icon, icon@2x and the dark variants exist; nothing the brands view would not serve."""
    names = {path.name for path in BRAND.iterdir()}
    assert ICON_SIZES.keys() <= names
    assert names <= ALLOWED_IMAGES


@pytest.mark.parametrize(("name", "size"), ICON_SIZES.items())
def test_brand_icon_size_transparency_and_trim(name: str, size: int) -> None:
    """Square PNG of the exact size, transparent background, trimmed, no odd colour profile."""
    image = _open_png(BRAND / name)
    assert image.size == (size, size)
    assert image.mode == "RGBA"
    assert "icc_profile" not in image.info and "gamma" not in image.info, "must be plain sRGB"
    alpha = image.getchannel("A")
    corners = [(0, 0), (size - 1, 0), (0, size - 1), (size - 1, size - 1)]
    assert all(alpha.getpixel(corner) == 0 for corner in corners), "background not transparent"
    left, top, right, bottom = alpha.getbbox() or (0, 0, 0, 0)
    assert (left, right) == (0, size) or (top, bottom) == (0, size), "not trimmed"


@pytest.mark.parametrize("name", ["icon", "dark_icon"])
def test_hidpi_icon_is_the_same_picture(name: str) -> None:
    """@2x is the 1x icon at double resolution (no stale half of a pair)."""
    small = _open_png(BRAND / f"{name}.png")
    large = _open_png(BRAND / f"{name}@2x.png").resize(small.size, Image.Resampling.LANCZOS)
    difference = ImageChops.difference(small, large).convert("L")
    assert ImageStat.Stat(difference).mean[0] < 3


def _rgba_pixels(image: Image.Image) -> tuple[tuple[int, int, int, int], ...]:
    assert image.mode == "RGBA"
    return cast("tuple[tuple[int, int, int, int], ...]", image.get_flattened_data())


def _luminance(rgb: tuple[int, ...]) -> float:
    """WCAG relative luminance."""
    channels = [c / 255 for c in rgb[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _median_contrast(path: Path, background: tuple[int, int, int]) -> float:
    """Median WCAG contrast of the icon's opaque pixels against a background."""
    image = _open_png(path)
    back = _luminance(background)
    ratios = []
    for pixel in _rgba_pixels(image):
        if pixel[3] >= 250:
            lighter, darker = sorted((_luminance(pixel), back), reverse=True)
            ratios.append((lighter + 0.05) / (darker + 0.05))
    return statistics.median(ratios)


@pytest.mark.parametrize(("name", "background"), [("icon", WHITE), ("dark_icon", DARK_CARD)])
def test_icons_stand_out_on_their_theme(name: str, background: tuple[int, int, int]) -> None:
    """Light icons read on white cards, dark icons on dark cards (WCAG 4.5:1 for most pixels)."""
    for suffix in ("", "@2x"):
        assert _median_contrast(BRAND / f"{name}{suffix}.png", background) >= 4.5


def test_icons_have_colour() -> None:
    """The icon is a coloured picture, not a grey silhouette (the lens and beam carry colour)."""
    image = _open_png(BRAND / "icon.png")
    saturated = sum(
        1
        for r, g, b, a in _rgba_pixels(image)
        if a >= 250 and colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)[1] > 0.5
    )
    assert saturated > 0.05 * 256 * 256


def test_brand_icons_are_what_the_script_draws(tmp_path: Path) -> None:
    """The committed PNGs are the output of scripts/make-brand-icons (edit the script, rerun)."""
    loader = importlib.machinery.SourceFileLoader(
        "make_brand_icons", str(ROOT / "scripts" / "make-brand-icons")
    )
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    script = importlib.util.module_from_spec(spec)
    loader.exec_module(script)
    written = script.render(tmp_path)
    assert sorted(path.name for path in written) == sorted(ICON_SIZES)
    for path in written:
        fresh, committed = _open_png(path), _open_png(BRAND / path.name)
        assert fresh.size == committed.size
        _, high = zip(*ImageChops.difference(fresh, committed).getextrema(), strict=True)
        assert max(high) <= 2, f"{path.name} differs from a fresh render"


async def test_home_assistant_serves_the_brand_icons(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """Home Assistant's brands view answers with our files, the dark variant included."""
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    for name in ICON_SIZES:
        response = await client.get(f"/api/brands/integration/{DOMAIN}/{name}")
        assert response.status == HTTPStatus.OK, name
        assert await response.read() == (BRAND / name).read_bytes(), name


def test_quality_scale_brands_rule_matches_the_brand_directory() -> None:
    """`brands` is done exactly when brand/icon.png ships."""
    rule = load_yaml_dict(str(INTEGRATION / "quality_scale.yaml"))["rules"]["brands"]
    status = rule if isinstance(rule, str) else rule["status"]
    assert (status == "done") is (BRAND / "icon.png").is_file()
