"""quality_scale.yaml names every Integration Quality Scale rule once, with a valid status.

hassfest skips this file for custom integrations, so this test is what keeps it honest in form:
all 54 rule ids (Home Assistant's `script/hassfest/quality_scale.py` ALL_RULES), nothing else,
and a reason for every exemption.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from homeassistant.util.yaml import load_yaml_dict

from custom_components.xgimi_adb.const import DOMAIN

FILE = Path(__file__).parents[1] / "custom_components" / DOMAIN / "quality_scale.yaml"
RULES = {
    "bronze": [
        "action-setup",
        "appropriate-polling",
        "brands",
        "common-modules",
        "config-flow-test-coverage",
        "config-flow",
        "dependency-transparency",
        "docs-actions",
        "docs-conditions",
        "docs-high-level-description",
        "docs-installation-instructions",
        "docs-removal-instructions",
        "docs-triggers",
        "entity-event-setup",
        "entity-unique-id",
        "has-entity-name",
        "runtime-data",
        "test-before-configure",
        "test-before-setup",
        "unique-config-entry",
    ],
    "silver": [
        "action-exceptions",
        "config-entry-unloading",
        "docs-configuration-parameters",
        "docs-installation-parameters",
        "entity-unavailable",
        "integration-owner",
        "log-when-unavailable",
        "parallel-updates",
        "reauthentication-flow",
        "test-coverage",
    ],
    "gold": [
        "devices",
        "diagnostics",
        "discovery-update-info",
        "discovery",
        "docs-data-update",
        "docs-examples",
        "docs-known-limitations",
        "docs-supported-devices",
        "docs-supported-functions",
        "docs-troubleshooting",
        "docs-use-cases",
        "dynamic-devices",
        "entity-category",
        "entity-device-class",
        "entity-disabled-by-default",
        "entity-translations",
        "exception-translations",
        "icon-translations",
        "reconfiguration-flow",
        "repair-issues",
        "stale-devices",
    ],
    "platinum": ["async-dependency", "inject-websession", "strict-typing"],
}


def _status(value: Any) -> tuple[str, str | None]:
    if isinstance(value, str):
        return value, None
    assert isinstance(value, dict), value
    assert set(value) <= {"status", "comment"}, value
    return value["status"], value.get("comment")


def test_every_rule_listed_once_with_a_valid_status() -> None:
    """54 rules (20/10/21/3), statuses done/todo/exempt, every exemption explained."""
    assert [len(ids) for ids in RULES.values()] == [20, 10, 21, 3]
    rules = load_yaml_dict(str(FILE))["rules"]
    assert sorted(rules) == sorted(rule for ids in RULES.values() for rule in ids)
    for rule, value in rules.items():
        status, comment = _status(value)
        assert status in {"done", "todo", "exempt"}, rule
        if status == "exempt":
            assert comment, f"{rule} is exempt without a reason"
