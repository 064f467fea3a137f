"""The device layer's command lines, parsers and catalog, on the virtual projector's real output.

Every profile runs the poll, facts and launchable command lines in the device model's shell
(no ADB), and the parsers read what it printed. Fault outputs, hand-made texts and fuzzing check
that nothing ever raises: what cannot be read is unknown and named in `unparsed`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
import dataclasses
import logging
from pathlib import Path
import shlex
import time

from hypothesis import HealthCheck, given, settings, strategies as st
import pytest

from custom_components.xgimi_adb.projector import catalog
from custom_components.xgimi_adb.projector.catalog import (
    KEYS,
    XGIMI_KEYS,
    Source,
    SourceKind,
    UnknownKeyError,
    app_name,
    hdmi_command,
    is_valid_package,
    keys_command,
    keys_for,
    launch_command,
    resolve_key,
    set_volume_command,
    source_command,
    sources,
)
from custom_components.xgimi_adb.projector.parse import (
    MAX_SECTION_CHARS,
    SECTION_MARK,
    build_facts_command,
    build_launchable_command,
    build_poll_command,
    detect_platform,
    output_complete,
    parse_active_hdmi,
    parse_facts,
    parse_foreground,
    parse_launchable,
    parse_mac,
    parse_playback,
    parse_poll,
    parse_volume,
    parse_wakefulness,
    split_sections,
)
from custom_components.xgimi_adb.projector.state import (
    App,
    DeviceFacts,
    HdmiInput,
    Platform,
    Playback,
    ProjectorState,
    Volume,
    Wakefulness,
)
from tests.virtual_projector import PROFILES, DeviceModel, Faults, OutputFault, PlaybackState
from tests.virtual_projector.profiles import (
    CATEGORY_LAUNCHER,
    CATEGORY_LEANBACK,
    COOKBOOK_HDMI_INTENTS,
)

ALL = sorted(PROFILES)
KEY_HOME = 3
USER_APP = {
    "gmui_android9": "com.ktcp.video",
    "gmui_android11": "com.ktcp.video",
    "androidtv_10": "com.netflix.ninja",
    "googletv_12": "com.netflix.ninja",
}
PLATFORM = {
    "gmui_android9": Platform.GMUI,
    "gmui_android11": Platform.GMUI,
    "androidtv_10": Platform.ANDROID_TV,
    "googletv_12": Platform.GOOGLE_TV,
}
MAX_VOLUME = {"gmui_android9": 100, "gmui_android11": 100, "androidtv_10": 15, "googletv_12": 25}
LAUNCHERS = {
    "com.xgimi.home",
    "com.google.android.tvlauncher",
    "com.google.android.apps.tv.launcherx",
}
PLAYERS = {"com.xgimi.xhplayer", "com.google.android.tv.inputplayer"}

# Facts do not change while a model runs: read once per profile (output, facts).
_FACTS: dict[str, tuple[str, DeviceFacts]] = {}


@pytest.fixture(params=ALL)
async def device(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DeviceModel]:
    """Start a device model, once per profile."""
    model = DeviceModel(PROFILES[request.param], Faults(), work_dir=tmp_path / "device")
    await model.start()
    yield model
    await model.stop()


async def sh(model: DeviceModel, command: str) -> str:
    """Run a line as adb-shell's `shell()` does (stdout and stderr merged), decoded leniently."""
    result = await model.run_shell(command, merge_stderr=True)
    return result.stdout.decode(errors="replace")


async def facts_and_output(model: DeviceModel) -> tuple[str, DeviceFacts]:
    """Facts in the integration's two round trips, and the facts output (cached per profile)."""
    name = model.profile.name
    if name not in _FACTS:
        output = await sh(model, build_facts_command())
        first = parse_facts(output, ())
        launchable = await sh(model, build_launchable_command(first.platform))
        _FACTS[name] = output, parse_facts(output, parse_launchable(launchable))
    return _FACTS[name]


async def read_facts(model: DeviceModel) -> DeviceFacts:
    """Facts of the model's profile."""
    return (await facts_and_output(model))[1]


async def poll(model: DeviceModel, facts: DeviceFacts | None = None) -> ProjectorState:
    """One poll round trip, parsed."""
    return parse_poll(await sh(model, build_poll_command(facts)), facts)


async def run_and_poll(
    model: DeviceModel, command: str, facts: DeviceFacts | None
) -> tuple[str, ProjectorState]:
    """Run a command, then poll, in one round trip: (the command's output, the state)."""
    output = await sh(model, f"{command}; {build_poll_command(facts)}")
    head, _, _ = output.partition(SECTION_MARK)
    return head, parse_poll(output, facts)


def base_facts(**changes: object) -> DeviceFacts:
    """Hand-made facts for parser tests."""
    facts = DeviceFacts(
        serial="S1",
        mac="aa:bb:cc:dd:ee:ff",
        model="XGIMI Test",
        manufacturer="XGIMI",
        firmware="1.0",
        android_release="11",
        sdk=30,
        platform=Platform.GMUI,
        packages=frozenset({"com.xgimi.home", "com.xgimi.xhplayer", "com.ktcp.video"}),
        hdmi_inputs=(
            HdmiInput("HDMI1", 1, "com.mediatek.tis/.HdmiInputService/HW2"),
            HdmiInput("HDMI2", 2, "com.mediatek.tis/.HdmiInputService/HW3"),
        ),
        apps=(App("com.ktcp.video", "云视听极光"),),
        hdmi_player="com.xgimi.xhplayer",
    )
    return dataclasses.replace(facts, **changes)  # type: ignore[arg-type]


def poll_text(*sections: tuple[str, str], end: bool = True) -> str:
    """Build a poll output from (name, text) sections."""
    parts = [f"{SECTION_MARK}{name}\n{text}" for name, text in sections]
    if end:
        parts.append(f"{SECTION_MARK}end\n")
    return "\n".join(parts)


AWAKE = ("power", "  mWakefulness=Awake\nDisplay Power: state=ON")
ACTIVITY = ("activity", "    mResumedActivity: ActivityRecord{593e3a2 u0 com.ktcp.video/.Main t3}")
MEDIA = ("media", "      package=com.ktcp.video\n      state=PlaybackState {state=2, position=0}")
AUDIO = (
    "audio",
    (
        "- STREAM_MUSIC:\n   Muted: true\n   Min: 0\n   Max: 15\n"
        "   Current: 2 (speaker): 8, 40000000 (default): 8\n   Devices: speaker"
    ),
)


# -- facts ----------------------------------------------------------------------------------------


async def test_facts(device: DeviceModel) -> None:
    """Identity, platform, HDMI inputs and player of every profile."""
    facts = await read_facts(device)
    profile = device.profile
    props = profile.props
    assert facts.serial == props["ro.serialno"]
    assert facts.mac == profile.primary_mac
    assert facts.model == props.get("ro.boot.xgimi.modelname", props["ro.product.model"])
    if profile.name == "gmui_android11":  # the XGIMI model prop wins (Play 6)
        assert facts.model == "XGIMI Play 6"
    assert facts.manufacturer == "XGIMI"
    assert facts.firmware == props["ro.build.display.id"]
    assert facts.android_release == props["ro.build.version.release"]
    assert facts.sdk == profile.sdk
    assert facts.platform is PLATFORM[profile.name]
    # "android" (the framework) is no Java package name: the pattern needs a dot.
    assert facts.packages == {app.package for app in profile.apps} - {"android"}
    assert facts.hdmi_inputs == tuple(
        HdmiInput(i.label, i.port, i.input_id) for i in profile.hdmi_inputs
    )
    assert [i.passthrough_uri for i in facts.hdmi_inputs] == [i.uri for i in profile.hdmi_inputs]
    assert profile.hdmi_player is not None
    assert facts.hdmi_player == profile.hdmi_player.split("/")[0]


async def test_launchable_apps_are_what_a_person_picks(device: DeviceModel) -> None:
    """User apps with the platform's launcher category; no launcher, no HDMI player."""
    facts = await read_facts(device)
    profile = device.profile
    category = CATEGORY_LEANBACK if facts.platform is not Platform.GMUI else CATEGORY_LAUNCHER
    packages = [app.package for app in facts.apps]
    assert USER_APP[profile.name] in packages
    assert not set(packages) & (LAUNCHERS | PLAYERS)
    expected = {
        app.package
        for app in profile.apps
        if (app.leanback if category == CATEGORY_LEANBACK else app.launcher)
        and app.package not in LAUNCHERS
    }
    assert set(packages) == expected
    assert len(packages) == len(set(packages))
    names = [app.name for app in facts.apps]
    assert names == sorted(names, key=str.casefold)
    # The catalog knows every app the virtual projector offers: no bare package names shown.
    assert all(app.name != app.package for app in facts.apps)


async def test_sources(device: DeviceModel) -> None:
    """HDMI inputs first, then apps; unique names; every source's command works."""
    facts = await read_facts(device)
    listing = sources(facts)
    kinds = [source.kind for source in listing.values()]
    assert kinds[:2] == [SourceKind.HDMI, SourceKind.HDMI]
    assert SourceKind.HDMI not in kinds[2:]
    assert list(listing)[:2] == ["HDMI 1", "HDMI 2"]
    assert len(listing) == len(facts.hdmi_inputs) + len(facts.apps)
    for name, source in listing.items():
        output = await sh(device, source_command(facts, source))
        assert "Error" not in output, name
        if source.kind is SourceKind.APP:
            assert device.foreground == source.target
        else:
            assert device.current_input == source.target


async def test_facts_command_output_is_complete(device: DeviceModel) -> None:
    """The facts command ends with its end mark; a cut one does not."""
    output, _ = await facts_and_output(device)
    assert output_complete(output)
    assert not output_complete(output[: len(output) // 2])
    assert set(split_sections(output)) == {
        "props",
        "net",
        "packages",
        "user_packages",
        "tv_input",
        "end",
    }


# -- polls ----------------------------------------------------------------------------------------


async def test_poll_on_launcher(device: DeviceModel) -> None:
    """Awake, launcher in front, no session, the profile's volume, no HDMI."""
    facts = await read_facts(device)
    for known in (facts, None):
        state = await poll(device, known)
        assert state == ProjectorState(
            wakefulness=Wakefulness.AWAKE,
            foreground_package=device.profile.launcher_package,
            foreground_activity=device.foreground_activity,
            playback=Playback.NONE,
            volume=Volume(
                device.profile.music_initial_volume, MAX_VOLUME[device.profile.name], False
            ),
            hdmi_input=None,
            unparsed=(),
        )


async def test_poll_app_playback(device: DeviceModel) -> None:
    """The foreground app's session state; home in front shows no session."""
    facts = await read_facts(device)
    package = USER_APP[device.profile.name]
    device.launch_app(package)
    state = await poll(device, facts)
    assert (state.foreground_package, state.playback) == (package, Playback.NONE)
    assert state.foreground_activity == device.foreground_activity
    for model_state, playback in (
        (PlaybackState.PLAYING, Playback.PLAYING),
        (PlaybackState.PAUSED, Playback.PAUSED),
    ):
        device.set_playback(model_state)
        assert (await poll(device, facts)).playback is playback
    device.set_playback(PlaybackState.PLAYING)
    device.press_key(KEY_HOME)
    state = await poll(device, facts)
    assert state.foreground_package == device.profile.launcher_package
    assert state.playback is Playback.NONE
    assert state.unparsed == ()


async def test_screen_off_reads_power_only(device: DeviceModel) -> None:
    """KEYCODE_SLEEP: asleep, nothing else read, nothing unparsed; KEYCODE_WAKEUP: awake."""
    facts = await read_facts(device)
    output = await sh(device, f"{catalog.SLEEP}; {build_poll_command(facts)}")
    assert list(split_sections(output)) == ["power", "end"]
    state = parse_poll(output, facts)
    assert state == ProjectorState(Wakefulness.ASLEEP, None, None, Playback.UNKNOWN, None, None, ())
    _, state = await run_and_poll(device, catalog.WAKE, facts)
    assert state.wakefulness is Wakefulness.AWAKE


async def test_volume(device: DeviceModel) -> None:
    """Max per profile; an absolute level set with the catalog's command reads back; mute."""
    facts = await read_facts(device)
    maximum = MAX_VOLUME[device.profile.name]
    level = maximum // 3 + 1
    output, state = await run_and_poll(device, set_volume_command(level, facts.sdk), facts)
    assert "Error" not in output
    assert device.volume == level
    volume = state.volume
    assert volume == Volume(level, maximum, False)
    assert volume.fraction == pytest.approx(level / maximum)
    _, state = await run_and_poll(
        device, keys_command([resolve_key("mute", facts.platform)]), facts
    )
    assert state.volume == Volume(level, maximum, True)


async def test_hdmi_switch(device: DeviceModel) -> None:
    """Each input shows in the poll; the command is a cookbook form this firmware accepts."""
    facts = await read_facts(device)
    profile = device.profile
    for hdmi, model_input in zip(facts.hdmi_inputs, profile.hdmi_inputs, strict=True):
        command = hdmi_command(facts, hdmi)
        forms = [
            key
            for key, template in COOKBOOK_HDMI_INTENTS.items()
            if shlex.split(template.format(label=model_input.label, uri=model_input.uri))
            == shlex.split(command)
        ]
        assert forms, command
        assert set(forms) <= profile.hdmi_intents
        output, state = await run_and_poll(device, command, facts)
        assert "Error" not in output
        assert state.hdmi_input == hdmi
        assert device.current_input == hdmi.label
        assert state.foreground_package == facts.hdmi_player
        assert state.unparsed == ()
    # Without facts the poll still finds the input, from the device's own text.
    assert (await poll(device)).hdmi_input == facts.hdmi_inputs[-1]


async def test_launch_command_launches(device: DeviceModel) -> None:
    """Start an app with monkey and the platform's launcher category: it comes to the front."""
    facts = await read_facts(device)
    package = USER_APP[device.profile.name]
    output, state = await run_and_poll(device, launch_command(package, facts.platform), facts)
    assert "Events injected: 1" in output
    assert device.foreground == package
    assert state.foreground_package == package


async def test_keys_command_reaches_the_device(device: DeviceModel) -> None:
    """Several keys in one line; a long press too."""
    facts = await read_facts(device)
    codes = [resolve_key(name, facts.platform) for name in ("up", "up", "down", "KEYCODE_BACK")]
    long_press = keys_command([resolve_key("volume_up", facts.platform)], long_press=True)
    await sh(device, f"{keys_command(codes)}; {long_press}")
    assert device.key_events[-5:] == [19, 19, 20, 4, 24]


def test_poll_command_is_constant_text() -> None:
    """Only constant text: facts narrow the HDMI player, nothing device-supplied leaks in."""
    gtv = base_facts(hdmi_player="com.google.android.tv.inputplayer", serial="$(reboot)")
    weird = base_facts(hdmi_player="x; reboot", model="`reboot`")
    assert "inputplayer" in build_poll_command(gtv)
    assert "xhplayer" not in build_poll_command(gtv)
    for facts in (gtv, base_facts(), None):
        assert f"{SECTION_MARK}input" in build_poll_command(facts)
    assert f"{SECTION_MARK}input" not in build_poll_command(weird)
    for facts in (gtv, weird):
        assert "reboot" not in build_poll_command(facts)
    for platform in Platform:
        assert "LAUNCHER" in build_launchable_command(platform)


# -- faulty output ----------------------------------------------------------------------------------


@pytest.mark.parametrize("profile", ["gmui_android9", "googletv_12"])
@pytest.mark.parametrize("fault", list(OutputFault))
async def test_poll_output_faults(tmp_path: Path, profile: str, fault: OutputFault) -> None:
    """Garbage, truncated, oversized, empty: never raises; what is lost is named."""
    device = DeviceModel(PROFILES[profile], Faults(), work_dir=tmp_path / "device")
    await device.start()
    try:
        await check_poll_fault(device, fault)
    finally:
        await device.stop()


async def check_poll_fault(device: DeviceModel, fault: OutputFault) -> None:
    """Poll with one output fault on the poll line."""
    facts = await read_facts(device)
    clean = await poll(device, facts) if fault is OutputFault.OVERSIZED else None
    device.faults.output_faults["dumpsys audio"] = fault  # the poll line contains it
    state = await poll(device, facts)
    match fault:
        case OutputFault.GARBAGE | OutputFault.EMPTY:
            assert state == ProjectorState(
                Wakefulness.UNKNOWN, None, None, Playback.UNKNOWN, None, None, ("power",)
            )
        case OutputFault.TRUNCATED:
            assert "audio" in state.unparsed
            assert state.volume is None
            assert state.wakefulness is Wakefulness.AWAKE
        case _:
            # The noise follows the end mark: every section is still whole.
            assert state == clean


@pytest.mark.parametrize(
    "fault", [OutputFault.GARBAGE, OutputFault.TRUNCATED, OutputFault.OVERSIZED]
)
async def test_facts_output_faults(tmp_path: Path, fault: OutputFault) -> None:
    """A damaged facts output gives facts anyway (unknown parts empty), never an exception."""
    faults = Faults(output_faults={"pm list packages": fault})
    device = DeviceModel(PROFILES["gmui_android11"], faults, work_dir=tmp_path / "device")
    await device.start()
    try:
        output = await sh(device, build_facts_command())
    finally:
        await device.stop()
    facts = parse_facts(output, ())
    assert isinstance(facts, DeviceFacts)
    assert output_complete(output) is (fault is OutputFault.OVERSIZED)
    if fault in (OutputFault.GARBAGE, OutputFault.EMPTY):
        assert facts.platform is Platform.UNKNOWN
        assert (facts.serial, facts.mac, facts.sdk, facts.apps) == (None, None, 0, ())


def test_asleep_is_not_unparsed() -> None:
    """Only the power section when asleep: the rest is absent on purpose."""
    text = poll_text(("power", "  mWakefulness=Asleep\nDisplay Power: state=OFF"))
    assert parse_poll(text, None).unparsed == ()
    assert parse_poll(text, None).wakefulness is Wakefulness.ASLEEP


def test_awake_without_sections_is_unparsed() -> None:
    """Awake, yet the output ends: every expected section is unknown."""
    state = parse_poll(poll_text(AWAKE), base_facts())
    assert state.wakefulness is Wakefulness.AWAKE
    assert state.unparsed == ("activity", "media", "audio")


def test_hand_made_poll() -> None:
    """All sections of a hand-made poll; muted volume keeps its level."""
    state = parse_poll(poll_text(AWAKE, ACTIVITY, MEDIA, AUDIO), base_facts())
    assert state == ProjectorState(
        Wakefulness.AWAKE,
        "com.ktcp.video",
        "com.ktcp.video/.Main",
        Playback.PAUSED,
        Volume(8, 15, True),
        None,
        (),
    )


def test_cut_output_loses_the_last_section() -> None:
    """No end mark: the last section is incomplete, so its field is unknown."""
    state = parse_poll(poll_text(AWAKE, ACTIVITY, MEDIA, AUDIO, end=False), base_facts())
    assert state.volume is None
    assert state.playback is Playback.PAUSED
    assert state.unparsed == ("audio",)


@pytest.mark.parametrize(
    ("section", "field"),
    [
        ("activity", "foreground_package"),
        ("media", "playback"),
        ("audio", "volume"),
    ],
)
@pytest.mark.parametrize("junk", ["", "\x00\ufffd garbage ::: {{{", "x" * (MAX_SECTION_CHARS + 1)])
def test_garbage_section(section: str, field: str, junk: str) -> None:
    """One unreadable section: its field is unknown and it is named; the others are fine."""
    parts = dict((AWAKE, ACTIVITY, MEDIA, AUDIO))
    parts[section] = junk
    state = parse_poll(poll_text(*parts.items()), base_facts())
    unknown = {"foreground_package": None, "playback": Playback.UNKNOWN, "volume": None}
    if not (section == "media" and junk == ""):  # no sessions at all is a valid answer
        assert getattr(state, field) == unknown[field]
        assert state.unparsed == (section,)
    assert state.wakefulness is Wakefulness.AWAKE


def test_garbage_power_and_input() -> None:
    """Unreadable power: unknown, nothing else expected; unreadable input: unknown."""
    state = parse_poll(poll_text(("power", "mWakefulness=Sleepy?")), None)
    assert (state.wakefulness, state.unparsed) == (Wakefulness.UNKNOWN, ("power",))
    player = ("activity", "  mResumedActivity: ActivityRecord{1 u0 com.xgimi.xhplayer/.Input t4}")
    state = parse_poll(poll_text(AWAKE, player, MEDIA, AUDIO, ("input", "??")), base_facts())
    assert (state.hdmi_input, state.unparsed) == (None, ("input",))
    state = parse_poll(poll_text(AWAKE, player, MEDIA, AUDIO), base_facts())
    assert state.unparsed == ("input",)


def test_unparsed_text_is_logged_shortened(caplog: pytest.LogCaptureFixture) -> None:
    """The raw text of an unreadable section goes to the debug log, cut to about 2000 chars."""
    caplog.set_level(logging.DEBUG, logger="custom_components.xgimi_adb.projector.parse")
    parse_poll(poll_text(AWAKE, ("activity", "?" * 50_000), MEDIA, AUDIO), None)
    (record,) = [r for r in caplog.records if "activity" in r.getMessage()]
    assert record.levelno == logging.DEBUG
    assert "?" * 1000 in record.getMessage()
    assert len(record.getMessage()) < 2200


def test_huge_output_does_not_raise() -> None:
    """Megabytes of lines, marks inside them, CR LF line ends."""
    noise = ("@@xgimi:audio\r\n- STREAM_MUSIC:\r\n   Max: 9" + "z" * 97 + "\r\n") * 40_000
    state = parse_poll(poll_text(AWAKE, ACTIVITY) + noise, None)
    assert state.foreground_package == "com.ktcp.video"
    assert "audio" in state.unparsed


def test_pathological_numbers_and_runs() -> None:
    """Unicode digits, huge numbers, long hex runs: no exception, no quadratic time."""
    huge = "9" * 5000  # int() refuses more than 4300 digits
    audio = (
        "audio",
        f"- STREAM_MUSIC:\n   Max: {huge}\n   Current: {'a' * 200_000}\n   streamVolume:{huge}",
    )
    media = ("media", f"package=com.ktcp.video\nstate=PlaybackState {{state={huge}}}")
    started = time.monotonic()
    state = parse_poll(poll_text(AWAKE, ACTIVITY, media, audio), base_facts())
    assert time.monotonic() - started < 2
    assert (state.volume, state.unparsed) == (None, ("audio",))
    assert state.playback is Playback.NONE  # a session without a PlaybackState
    props = f"{SECTION_MARK}props\nro.build.version.sdk=\u00b2\n"  # "²".isdigit() is True
    assert parse_facts(props, []).sdk == 0
    assert parse_facts(props.replace("\u00b2", huge), []).sdk == 0


# -- single parsers -------------------------------------------------------------------------------


def test_parse_wakefulness() -> None:
    """Read mWakefulness first, the display state as a fallback."""
    assert parse_wakefulness("  mWakefulness=Dreaming\nDisplay Power: state=ON") is (
        Wakefulness.DREAMING
    )
    assert parse_wakefulness("mWakefulness=Dozing") is Wakefulness.DOZING
    assert parse_wakefulness("Display Power: state=OFF") is Wakefulness.ASLEEP
    assert parse_wakefulness("mWakefulness=Hibernating") is None
    assert parse_wakefulness("") is None


def test_parse_foreground() -> None:
    """Read mResumedActivity (<= 11) and topResumedActivity= (12+) lines; the first wins."""
    text = (
        "  topResumedActivity=ActivityRecord{a1b2c3 u0 com.google.android.apps.tv.launcherx/"
        ".home.HomeActivity t12}\n"
        "    mResumedActivity: ActivityRecord{593e3a2 u0 com.ktcp.video/.MainActivity t3}"
    )
    assert parse_foreground(text) == (
        "com.google.android.apps.tv.launcherx",
        "com.google.android.apps.tv.launcherx/.home.HomeActivity",
    )
    assert parse_foreground(text.splitlines()[1]) == (
        "com.ktcp.video",
        "com.ktcp.video/.MainActivity",
    )
    assert parse_foreground("mResumedActivity: ActivityRecord{1 u0 $(x)/.A t1}") is None
    assert parse_foreground("mResumedActivity: null") is None


def test_parse_playback() -> None:
    """The foreground package's session; AOSP ints; none for packages without one."""
    text = (
        "      package=com.netflix.ninja\n"
        "      state=PlaybackState {state=6, position=0}\n"
        "      package=org.videolan.vlc\n"
        "      state=PlaybackState {state=7, position=0}\n"
        "      package=com.ktcp.video\n"
        "      state=PlaybackState {state=3, position=0}\n"
        "      package=com.ktcp.video\n"
        "      state=PlaybackState {state=1, position=0}\n"
    )
    assert parse_playback(text, "com.netflix.ninja") is Playback.BUFFERING
    assert parse_playback(text, "org.videolan.vlc") is Playback.UNKNOWN
    assert parse_playback(text, "com.ktcp.video") is Playback.PLAYING
    assert parse_playback(text, "com.xgimi.home") is Playback.NONE
    assert parse_playback(text, None) is Playback.UNKNOWN
    assert parse_playback("", None) is Playback.NONE
    assert parse_playback("total nonsense", "com.ktcp.video") is None


def test_parse_volume() -> None:
    """The Devices: entry, else streamVolume, else the first value; stop at the next stream."""
    androidtv_sample = (
        "- STREAM_MUSIC:\n   Muted: false\n   Min: 0\n   Max: 60\n"
        "   Current: 2 (speaker): 20, 40000 (hmdi_arc): 22, 40000000 (default): 15\n"
        "   Devices: hmdi_arc\n"
    )
    assert parse_volume(androidtv_sample) == Volume(22, 60, False)
    no_device = androidtv_sample.replace("hmdi_arc\n", "usb_headset\n")
    assert parse_volume(no_device) == Volume(20, 60, False)
    stream_volume = no_device.replace("   Current", "   streamVolume:7\n   Current")
    assert parse_volume(stream_volume) == Volume(7, 60, False)
    next_stream = "- STREAM_MUSIC:\n   Muted: false\n--\n- STREAM_ALARM:\n   Max: 7\n   Current: 2 (speaker): 3\n"
    assert parse_volume(next_stream) is None
    assert parse_volume("- STREAM_ALARM:\n   Max: 7\n") is None
    assert parse_volume("") is None
    assert Volume(None, 15, None).fraction is None
    assert Volume(5, 0, None).fraction is None


def test_parse_active_hdmi() -> None:
    """The connection with a callback; mapped to the facts by id, else by port."""
    line = (
        "    {dev}: Connection{{ mHardwareInfo: TvInputHardwareInfo {{id={dev}, type=9, "
        "audio_type=0, audio_addr=, hdmi_port={port}, cable_connection_status=1}}, mInfo: "
        "TvInputInfo{{id={id}, pkg=p, service=s}}, mCallback: {callback}, mConfigs: [] }}"
    )
    facts = base_facts()
    hdmi1, hdmi2 = facts.hdmi_inputs
    text = "\n".join(
        [
            line.format(dev=2, port=1, id=hdmi1.input_id, callback="null"),
            line.format(dev=3, port=2, id="other/.Id/HW9", callback="android.os.BinderProxy@1"),
        ]
    )
    assert parse_active_hdmi(text, facts) == hdmi2
    assert parse_active_hdmi(text, None) == HdmiInput("HDMI2", 2, "other/.Id/HW9")
    assert parse_active_hdmi(text.replace("android.os.BinderProxy@1", "null"), facts) is None
    assert parse_active_hdmi("garbage", facts) is None


def test_parse_mac() -> None:
    """eth0, else wlan0, else another; never lo or all-zero; lowercase."""
    text = (
        "1: lo: <LOOPBACK,UP> mtu 65536\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
        "3: wlan0: <BROADCAST> mtu 1500\n    link/ether A4:E6:15:01:3B:5E brd ff:ff:ff:ff:ff:ff\n"
        "2: eth0: <NO-CARRIER> mtu 1500\n    link/ether a4:e6:15:01:3b:5d brd ff:ff:ff:ff:ff:ff\n"
        "4: p2p0@wlan0: <BROADCAST> mtu 1500\n    link/ether 00:00:00:00:00:00 brd ff:ff:ff:ff:ff:ff\n"
    )
    assert parse_mac(text) == "a4:e6:15:01:3b:5d"
    no_eth = "\n".join(
        line for line in text.splitlines() if "eth0" not in line and "3b:5d" not in line
    )
    assert parse_mac(no_eth) == "a4:e6:15:01:3b:5e"
    assert parse_mac(text.split("3: wlan0", maxsplit=1)[0]) is None
    assert parse_mac("") is None


def test_detect_platform() -> None:
    """By package probing only."""
    assert detect_platform(frozenset({"com.xgimi.home", "com.google.android.tvlauncher"})) is (
        Platform.GMUI
    )
    assert detect_platform(frozenset({"com.google.android.tv.inputplayer"})) is Platform.GOOGLE_TV
    assert detect_platform(frozenset({"com.google.android.apps.tv.launcherx"})) is (
        Platform.GOOGLE_TV
    )
    assert detect_platform(frozenset({"com.google.android.tvlauncher"})) is Platform.ANDROID_TV
    assert detect_platform(frozenset()) is Platform.UNKNOWN


def test_parse_launchable_and_facts_fallback() -> None:
    """Only package names count; without launchable apps the third-party list stands in."""
    assert parse_launchable("com.a.b\nNo activity found\n$(reboot)\ncom.a.b\n x.y \n") == [
        "com.a.b",
        "x.y",
    ]
    output = (
        f"{SECTION_MARK}props\nro.build.version.sdk=abc\nro.serialno=\n"
        f"{SECTION_MARK}packages\npackage:com.xgimi.home\npackage:org.videolan.vlc\n"
        f"package:com.xgimi.xhplayer\npackage:bad name\n"
        f"{SECTION_MARK}user_packages\npackage:org.videolan.vlc\n{SECTION_MARK}end\n"
    )
    facts = parse_facts(output, [])
    assert facts.apps == (App("org.videolan.vlc", "VLC"),)
    assert (facts.sdk, facts.serial, facts.model, facts.firmware) == (0, None, "Unknown", None)
    assert facts.packages == {"com.xgimi.home", "org.videolan.vlc", "com.xgimi.xhplayer"}
    assert facts.hdmi_player == "com.xgimi.xhplayer"
    assert parse_facts(output, ["com.xgimi.home", "com.not.installed"]).apps == ()


# -- fuzzing --------------------------------------------------------------------------------------

_LINES = st.one_of(
    st.sampled_from(
        [
            f"{SECTION_MARK}{name}"
            for name in ("power", "activity", "media", "audio", "input", "end", "props", "net")
        ]
        + [
            "  mWakefulness=Awake",
            "Display Power: state=ON",
            "    mResumedActivity: ActivityRecord{1 u0 com.xgimi.xhplayer/.InputActivity t4}",
            "      package=com.xgimi.xhplayer",
            "      state=PlaybackState {state=3, position=0}",
            "- STREAM_MUSIC:",
            "   Max: 15",
            "   Current: 2 (speaker): 99999999999999999999999",
            "   Devices: speaker",
            "2: Connection{ hdmi_port=1, mInfo: TvInputInfo{id=a/.b/HW2, mCallback: x, }",
            "package:com.xgimi.home",
            "ro.build.version.sdk=99999999",
            "2: eth0: <UP>",
            "    link/ether AA:BB:CC:DD:EE:FF brd",
        ]
    ),
    st.text(max_size=80),
)
_OUTPUTS = st.one_of(st.text(), st.lists(_LINES, max_size=40).map("\n".join))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(output=_OUTPUTS, with_facts=st.booleans())
def test_fuzz_parse_poll(output: str, with_facts: bool) -> None:
    """Any text: a ProjectorState of the right types, unparsed names from the poll's set."""
    state = parse_poll(output, base_facts() if with_facts else None)
    assert isinstance(state.wakefulness, Wakefulness)
    assert isinstance(state.playback, Playback)
    assert state.volume is None or isinstance(state.volume, Volume)
    assert state.hdmi_input is None or isinstance(state.hdmi_input, HdmiInput)
    assert state.foreground_package is None or is_valid_package(state.foreground_package)
    assert set(state.unparsed) <= {"power", "activity", "media", "audio", "input"}
    assert len(set(state.unparsed)) == len(state.unparsed)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(output=_OUTPUTS, launchable=st.lists(st.text(max_size=30), max_size=5))
def test_fuzz_parse_facts(output: str, launchable: list[str]) -> None:
    """Any text: DeviceFacts of the right types; packages always valid names."""
    facts = parse_facts(output, launchable)
    assert isinstance(facts.platform, Platform)
    assert isinstance(facts.sdk, int)
    assert all(is_valid_package(package) for package in facts.packages)
    assert all(is_valid_package(app.package) for app in facts.apps)
    assert [hdmi.port for hdmi in facts.hdmi_inputs] == sorted({h.port for h in facts.hdmi_inputs})
    assert facts.mac is None or facts.mac == facts.mac.lower()
    assert len(set(sources(facts))) == len(facts.hdmi_inputs) + len(facts.apps)


# -- catalog --------------------------------------------------------------------------------------


def test_resolve_key() -> None:
    """Names, case-insensitive; KEYCODE_ aliases; XGIMI keys only where they exist."""
    assert resolve_key("home", Platform.GMUI) == 3
    assert resolve_key("HOME", Platform.GOOGLE_TV) == 3
    assert resolve_key("KEYCODE_HOME", Platform.ANDROID_TV) == 3
    assert resolve_key("keycode_dpad_up", Platform.UNKNOWN) == 19
    assert resolve_key("KEYCODE_MEDIA_PLAY_PAUSE", Platform.GMUI) == 85
    assert resolve_key("KEYCODE_0", Platform.GMUI) == 7
    assert resolve_key("9", Platform.GMUI) == 16
    assert resolve_key("enter", Platform.GMUI) == 66
    assert resolve_key("ok", Platform.GMUI) == resolve_key("center", Platform.GMUI) == 23
    assert resolve_key("xgimi_power", Platform.ANDROID_TV) == 2100
    assert resolve_key("quick_settings", Platform.GMUI) == 2101
    assert set(keys_for(Platform.GMUI)) >= XGIMI_KEYS
    assert not XGIMI_KEYS & set(keys_for(Platform.GOOGLE_TV))
    assert all(KEYS[name] >= 2092 for name in XGIMI_KEYS)


@pytest.mark.parametrize(
    "name",
    [
        "home; rm -rf /",
        "",
        "dpad_up",
        "KEYCODE_OK",
        "KEYCODE_",
        "KEYCODE_XGIMI_POWER",
        "2092",
        " home",
    ],
)
def test_resolve_key_rejects(name: str) -> None:
    """Anything else raises UnknownKeyError listing the valid names."""
    with pytest.raises(UnknownKeyError) as caught:
        resolve_key(name, Platform.GMUI)
    assert isinstance(caught.value, ValueError)
    assert caught.value.name == name
    assert "home" in caught.value.valid
    assert "home" in str(caught.value)
    with pytest.raises(UnknownKeyError) as caught:
        resolve_key("xgimi_power", Platform.GOOGLE_TV)
    assert "xgimi_power" not in caught.value.valid


def test_keys_command() -> None:
    """Integers only, at least one."""
    assert keys_command([19, 19, 20]) == "input keyevent 19 19 20"
    assert keys_command([3], long_press=True) == "input keyevent --longpress 3"
    for bad in ([], [True], [-1], ["3; reboot"], [1.5]):
        with pytest.raises(ValueError):
            keys_command(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "package", ["com.foo; reboot", "$(reboot)", "../x", "", "single", "a." + "b" * 254, "com.x\n"]
)
def test_launch_command_rejects(package: str) -> None:
    """Only Java package names reach the shell."""
    assert not is_valid_package(package)
    with pytest.raises(ValueError):
        launch_command(package, Platform.GMUI)


def test_launch_command_categories() -> None:
    """Leanback on Android TV and Google TV, the plain launcher elsewhere."""
    leanback = "monkey -p com.netflix.ninja -c android.intent.category.LEANBACK_LAUNCHER 1"
    assert launch_command("com.netflix.ninja", Platform.ANDROID_TV) == leanback
    assert launch_command("com.netflix.ninja", Platform.GOOGLE_TV) == leanback
    plain = "monkey -p com.ktcp.video -c android.intent.category.LAUNCHER 1"
    assert launch_command("com.ktcp.video", Platform.GMUI) == plain
    assert launch_command("com.ktcp.video", Platform.UNKNOWN) == plain


@pytest.mark.parametrize(
    ("player", "sdk"),
    [
        ("com.xgimi.xhplayer", 28),
        ("com.xgimi.xhplayer", 30),
        ("com.google.android.tv.inputplayer", 31),
        (None, 31),
    ],
)
def test_hdmi_command_quotes_device_text(player: str | None, sdk: int) -> None:
    """A hostile label or input id stays one argument."""
    facts = base_facts(hdmi_player=player, sdk=sdk)
    hdmi = HdmiInput("HDMI1; reboot", 1, "x'; reboot #/HW2")
    argv = shlex.split(hdmi_command(facts, hdmi))
    assert "reboot" not in argv
    assert argv[:2] == ["am", "start"]
    if player == "com.xgimi.xhplayer" and sdk < 30:
        assert argv[argv.index("sw") + 1] == "HDMI1; reboot"
    else:
        assert argv[argv.index("-d") + 1] == hdmi.passthrough_uri
        assert hdmi.passthrough_uri.endswith("x%27%3B%20reboot%20%23%2FHW2")


def test_set_volume_command() -> None:
    """`media volume` before Android 11, `cmd media_session volume` from it."""
    assert set_volume_command(8, 29) == "media volume --stream 3 --set 8"
    assert set_volume_command(0, 30) == "cmd media_session volume --stream 3 --set 0"
    for bad in (-1, True, 1.5, "3"):
        with pytest.raises(ValueError):
            set_volume_command(bad, 30)  # type: ignore[arg-type]


def test_sources_are_unique() -> None:
    """Duplicate friendly names get their package; a clash with an HDMI name too."""
    facts = base_facts(
        apps=(
            App("com.ktcp.tvvideo", "云视听极光"),
            App("com.ktcp.video", "云视听极光"),
            App("com.example.hdmi", "HDMI 1"),
            App("org.videolan.vlc", "VLC"),
        )
    )
    assert sources(facts) == {
        "HDMI 1": Source(SourceKind.HDMI, "HDMI1"),
        "HDMI 2": Source(SourceKind.HDMI, "HDMI2"),
        "云视听极光 (com.ktcp.tvvideo)": Source(SourceKind.APP, "com.ktcp.tvvideo"),
        "云视听极光 (com.ktcp.video)": Source(SourceKind.APP, "com.ktcp.video"),
        "HDMI 1 (com.example.hdmi)": Source(SourceKind.APP, "com.example.hdmi"),
        "VLC": Source(SourceKind.APP, "org.videolan.vlc"),
    }
    with pytest.raises(ValueError):
        source_command(facts, Source(SourceKind.HDMI, "HDMI9"))


def test_app_names() -> None:
    """Friendly names of the virtual projector's apps; unknown packages as they are."""
    assert app_name("com.ktcp.video") == "云视听极光"
    assert app_name("com.netflix.ninja") == "Netflix"
    assert app_name("com.example.unknown") == "com.example.unknown"
    for profile in PROFILES.values():
        for app in profile.apps:
            if not app.system and app.package in catalog.APP_NAMES:
                assert app_name(app.package).startswith(app.label), app.package
