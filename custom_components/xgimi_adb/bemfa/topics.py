"""Private key, topic and spoken-name rules, and the payloads of the device types we use.

Topic ids: lowercase letters and digits whose last three characters set the Mi Home device type
(`006` switch, `002` light). Names: at most 32 bytes of UTF-8 (a longer one makes Bemfa's topic
creation fail). Payloads: `on`/`off` for a switch; `on`, `off`, `on#<1-100>` for a light.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
import hashlib
import json
import re

KEY_PATTERN = re.compile(r"[0-9a-f]{32}")
TOPIC_PATTERN = re.compile(r"[a-z0-9]{4,39}")  # 39 = longest length seen working in the wild
MAX_NAME_BYTES = 32
TOPIC_PREFIX = "xgimi"


class DeviceType(StrEnum):
    """Topic suffixes Xiao Ai understands that the bridge uses."""

    LIGHT = "002"
    SWITCH = "006"


def normalize_key(value: str) -> str | None:
    """Return the private key (32 lowercase hex characters) or None if it cannot be one."""
    key = value.strip().lower()
    return key if KEY_PATTERN.fullmatch(key) else None


def is_valid_topic(topic: str) -> bool:
    """Whether `topic` is lowercase alphanumerics ending in a suffix the bridge uses."""
    return TOPIC_PATTERN.fullmatch(topic) is not None and topic[-3:] in set(DeviceType)


def derive_topic(unique_id: str, kind: str, device_type: DeviceType) -> str:
    """Topic of one projector function: stable across renames, different per projector.

    `xgimi` + 12 hex of sha1(unique id) + `kind` (`""`, `v`, `p`) + the type suffix.
    """
    digest = hashlib.sha1(unique_id.encode(), usedforsecurity=False).hexdigest()[:12]
    topic = f"{TOPIC_PREFIX}{digest}{kind}{device_type}"
    if not is_valid_topic(topic):
        raise ValueError(f"invalid topic kind {kind!r}")
    return topic


def name_fits(name: str) -> bool:
    """Whether a spoken name is non-empty and at most 32 bytes of UTF-8."""
    return bool(name.strip()) and len(name.encode()) <= MAX_NAME_BYTES


def truncate_name(name: str, max_bytes: int = MAX_NAME_BYTES) -> str:
    """Cut `name` to `max_bytes` of UTF-8 without splitting a character."""
    return name.encode()[:max_bytes].decode(errors="ignore")


def parse_switch(payload: str) -> bool | None:
    """`on`/`off` (first `#` field, any case, or JSON `{"on": bool}`); None if neither."""
    text = payload.strip()
    if text.startswith("{"):
        try:
            value = json.loads(text)
        except ValueError:
            return None
        state = value.get("on") if isinstance(value, dict) else None
        return state if isinstance(state, bool) else None
    word = text.split("#", 1)[0].lower()
    return {"on": True, "off": False}.get(word)


@dataclass(frozen=True, slots=True)
class LightCommand:
    """A `002` light command: on/off, with a brightness (1-100 %) when one was given."""

    on: bool
    brightness: int | None = None


def parse_light(payload: str) -> LightCommand | None:
    """`on`, `off`, `on#N` or `on#N#<colour>` (colour ignored); None if malformed."""
    fields = payload.strip().split("#")
    on = parse_switch(fields[0])
    if on is None:
        return None
    if not on or len(fields) < 2 or not fields[1]:
        return LightCommand(on)
    try:
        level = int(fields[1])
    except ValueError:
        return None
    return LightCommand(True, min(max(level, 0), 100))


def switch_payload(on: bool) -> str:
    """State report of a switch."""
    return "on" if on else "off"


def light_payload(on: bool, brightness: int | None) -> str:
    """State report of a light: `on#N` with a brightness, `on` without, `off`."""
    if not on:
        return "off"
    return "on" if brightness is None else f"on#{min(max(brightness, 1), 100)}"
