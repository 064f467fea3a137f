"""Fault suite, fuzzing what `test_projector_parse.py` does not fuzz yet.

`parse_poll` and `parse_facts` (and through them every section parser) are fuzzed there. Here:
the launchable-apps parser, the section splitter, and everything that turns text into a command
line (keys, packages, HDMI inputs from the device, volume) or into a source. The property that
matters to the user: whatever text comes in (from them or from the device), either a clear
refusal or a command line whose words are exactly the intended ones; nothing raises otherwise.
"""

from __future__ import annotations

import shlex

from homeassistant.exceptions import ServiceValidationError
from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.xgimi_adb import control
from custom_components.xgimi_adb.const import DOMAIN
from custom_components.xgimi_adb.projector.catalog import (
    KEYS,
    UnknownKeyError,
    hdmi_command,
    is_valid_package,
    keys_command,
    keys_for,
    launch_command,
    launcher_category,
    resolve_key,
    set_volume_command,
)
from custom_components.xgimi_adb.projector.parse import (
    SECTION_MARK,
    parse_launchable,
    split_sections,
)
from custom_components.xgimi_adb.projector.state import App, DeviceFacts, HdmiInput, Platform

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text with shell metacharacters, marks, control characters and non-ASCII more often than chance.
_NASTY = st.sampled_from(
    [";", "&&", "|", "`", "$(", ")", "'", '"', "\n", "\r", "\\", " ", "#", "*", "\x00", "好"]
)
TEXT = st.one_of(
    st.text(max_size=60),
    st.lists(st.one_of(_NASTY, st.text(max_size=8)), max_size=12).map("".join),
)
PACKAGE_LIKE = st.from_regex(
    r"[A-Za-z][A-Za-z0-9_]{0,8}(\.[A-Za-z][A-Za-z0-9_]{0,8}){1,3}", fullmatch=True
)


def facts(hdmi: tuple[HdmiInput, ...], apps: tuple[App, ...], **changes: object) -> DeviceFacts:
    """Hand-made GMUI facts around the given inputs and apps."""
    values: dict[str, object] = {
        "serial": "S1",
        "mac": None,
        "model": "XGIMI Test",
        "manufacturer": "XGIMI",
        "firmware": None,
        "android_release": "11",
        "sdk": 30,
        "platform": Platform.GMUI,
        "packages": frozenset(app.package for app in apps),
        "hdmi_inputs": hdmi,
        "apps": apps,
        "hdmi_player": "com.xgimi.xhplayer",
    } | changes
    return DeviceFacts(**values)  # type: ignore[arg-type]


@FUZZ
@given(output=st.one_of(TEXT, st.lists(st.one_of(PACKAGE_LIKE, TEXT), max_size=20).map("\n".join)))
def test_fuzz_parse_launchable(output: str) -> None:
    """Any output: only valid package names that were printed on a line of their own, once each."""
    packages = parse_launchable(output)
    lines = {line.strip() for line in output.splitlines()}
    assert len(set(packages)) == len(packages)
    for package in packages:
        assert is_valid_package(package)
        assert package in lines


@FUZZ
@given(
    output=st.lists(
        st.one_of(TEXT, st.sampled_from([f"{SECTION_MARK}a", f"{SECTION_MARK}b", SECTION_MARK])),
        max_size=20,
    ).map("\n".join)
)
def test_fuzz_split_sections(output: str) -> None:
    """Any output: section names are the marked names, each text made of the output's lines."""
    sections = split_sections(output)
    marked = {
        line.strip()[len(SECTION_MARK) :]
        for line in output.splitlines()
        if line.strip().startswith(SECTION_MARK)
    }
    assert set(sections) == marked
    lines = {line.rstrip("\r") for line in output.splitlines()}
    for text in sections.values():
        assert all(line in lines for line in text.splitlines() if text)


@FUZZ
@given(name=TEXT, platform=st.sampled_from(list(Platform)), long_press=st.booleans())
def test_fuzz_key_names(name: str, platform: Platform, long_press: bool) -> None:
    """Any key name: refused, or one keycode of the platform's catalog on a digits-only line."""
    try:
        code = resolve_key(name, platform)
    except UnknownKeyError as err:
        refused: UnknownKeyError | None = err
    else:
        refused = None
    if refused is not None:
        assert refused.name == name
        assert set(refused.valid) == set(keys_for(platform))
        return
    assert code in keys_for(platform).values()
    argv = shlex.split(keys_command([code], long_press=long_press))
    assert argv == ["input", "keyevent", *(["--longpress"] if long_press else []), str(code)]


@FUZZ
@given(package=st.one_of(TEXT, PACKAGE_LIKE), platform=st.sampled_from(list(Platform)))
def test_fuzz_packages(package: str, platform: Platform) -> None:
    """Any package text: refused, or exactly one argument of `monkey` (never shell syntax)."""
    try:
        command = launch_command(package, platform)
    except ValueError:
        assert not is_valid_package(package)
        return
    assert is_valid_package(package)
    assert shlex.quote(package) == package  # nothing in it the shell would interpret
    assert shlex.split(command) == [
        "monkey",
        "-p",
        package,
        "-c",
        launcher_category(platform),
        "1",
    ]


@FUZZ
@given(
    label=TEXT,
    input_id=TEXT,
    port=st.integers(min_value=0, max_value=9999),
    player=st.sampled_from(["com.xgimi.xhplayer", "com.google.android.tv.inputplayer", None]),
    sdk=st.sampled_from([28, 30]),
)
def test_fuzz_hdmi_from_device_text(
    label: str, input_id: str, port: int, player: str | None, sdk: int
) -> None:
    """HDMI label and input id come from the device: whatever they are, each stays one argument."""
    hdmi = HdmiInput(label, port, input_id)
    command = hdmi_command(facts((hdmi,), (), hdmi_player=player, sdk=sdk), hdmi)
    if "\x00" in command:
        return  # no shell line can carry NUL; adb refuses it before any shell sees it
    argv = shlex.split(command)
    assert argv[:2] == ["am", "start"]
    if "sw" in argv:
        assert argv[argv.index("sw") + 1] == label
    else:
        assert argv[argv.index("-d") + 1] == hdmi.passthrough_uri


@FUZZ
@given(
    level=st.integers(min_value=-5, max_value=10**12), sdk=st.integers(min_value=0, max_value=40)
)
def test_fuzz_volume_levels(level: int, sdk: int) -> None:
    """Any level: refused when negative, else digits only on the line."""
    try:
        command = set_volume_command(level, sdk)
    except ValueError:
        assert level < 0
        return
    assert command.split()[-1] == str(level)
    assert shlex.split(command)[-2:] == ["--set", str(level)]


@FUZZ
@given(
    name=TEXT,
    packages=st.lists(PACKAGE_LIKE, max_size=4, unique=True),
    ports=st.lists(st.integers(min_value=1, max_value=4), max_size=3, unique=True),
)
def test_fuzz_source_names(name: str, packages: list[str], ports: list[int]) -> None:
    """Any source name: a listed source, or a translated refusal that lists the valid ones."""
    hdmi = tuple(HdmiInput(f"HDMI{port}", port, f"id/HW{port}") for port in ports)
    apps = tuple(App(package, package) for package in packages)
    known = facts(hdmi, apps)
    listed = control.source_map(known)
    if name in listed:
        assert control.find_source(known, name) == listed[name]
        return
    with pytest.raises(ServiceValidationError) as err:
        control.find_source(known, name)
    assert (err.value.translation_domain, err.value.translation_key) == (DOMAIN, "unknown_source")
    assert err.value.translation_placeholders is not None
    assert err.value.translation_placeholders["valid"] == ", ".join(listed)


def test_key_catalog_is_digits_only() -> None:
    """Every keycode in the catalog renders as digits (the key line never carries text)."""
    for code in KEYS.values():
        assert keys_command([code]) == f"input keyevent {code}"
