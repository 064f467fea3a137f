"""Device facts to and from JSON-safe dicts, so a config entry loads while the projector is off."""

from __future__ import annotations

from typing import Any

from .state import App, DeviceFacts, HdmiInput, Platform


def facts_to_dict(facts: DeviceFacts) -> dict[str, Any]:
    """Serialize facts for a config entry."""
    return {
        "serial": facts.serial,
        "mac": facts.mac,
        "model": facts.model,
        "manufacturer": facts.manufacturer,
        "firmware": facts.firmware,
        "android_release": facts.android_release,
        "sdk": facts.sdk,
        "platform": facts.platform.value,
        "packages": sorted(facts.packages),
        "hdmi_inputs": [
            {"label": hdmi.label, "port": hdmi.port, "input_id": hdmi.input_id}
            for hdmi in facts.hdmi_inputs
        ],
        "apps": [{"package": app.package, "name": app.name} for app in facts.apps],
        "hdmi_player": facts.hdmi_player,
    }


def facts_from_dict(data: dict[str, Any]) -> DeviceFacts:
    """Rebuild facts stored by `facts_to_dict`."""
    return DeviceFacts(
        serial=data["serial"],
        mac=data["mac"],
        model=data["model"],
        manufacturer=data["manufacturer"],
        firmware=data["firmware"],
        android_release=data["android_release"],
        sdk=int(data["sdk"]),
        platform=Platform(data["platform"]),
        packages=frozenset(data["packages"]),
        hdmi_inputs=tuple(
            HdmiInput(label=item["label"], port=int(item["port"]), input_id=item["input_id"])
            for item in data["hdmi_inputs"]
        ),
        apps=tuple(App(package=item["package"], name=item["name"]) for item in data["apps"]),
        hdmi_player=data["hdmi_player"],
    )
