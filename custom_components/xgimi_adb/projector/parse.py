"""Shell command lines that read a projector in one round trip, and parsers for their output.

A command line prints sections, each starting with a line `@@xgimi:<name>`. The parsers are pure
and total: garbage, truncated, empty or huge output never raises; what cannot be read becomes
unknown (None / UNKNOWN) and the section's name goes into `ProjectorState.unparsed`. Command lines
are constant text: nothing user- or device-supplied is ever put in them. No Home Assistant imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
import logging
import re

from .catalog import (
    HDMI_PLAYERS,
    INPUTPLAYER,
    LAUNCHER_PACKAGES,
    XHPLAYER,
    app_name,
    is_valid_package,
    launcher_category,
)
from .state import (
    App,
    DeviceFacts,
    HdmiInput,
    Platform,
    Playback,
    ProjectorState,
    Volume,
    Wakefulness,
)

_LOGGER = logging.getLogger(__name__)

SECTION_MARK = "@@xgimi:"
MAX_LOGGED_CHARS = 2000
# grep output of one section is a few KiB at most; more than this is noise, not state.
MAX_SECTION_CHARS = 256 * 1024

# Section names of the poll command.
POWER, ACTIVITY, MEDIA, AUDIO, INPUT = "power", "activity", "media", "audio", "input"
POLL_SECTIONS = (POWER, ACTIVITY, MEDIA, AUDIO, INPUT)
# Last mark of every command: output without it was cut short.
END = "end"
# Section names of the facts command.
PROPS, NET, PACKAGES, USER_PACKAGES, TV_INPUT = (
    "props",
    "net",
    "packages",
    "user_packages",
    "tv_input",
)

FACT_PROPS = (
    "ro.serialno",
    "ro.product.model",
    "ro.boot.xgimi.modelname",
    "ro.product.manufacturer",
    "ro.build.display.id",
    "ro.build.version.incremental",
    "ro.build.version.release",
    "ro.build.version.sdk",
)

# -- command lines -------------------------------------------------------------------------------

_POWER_GREP = "dumpsys power | grep -E 'mWakefulness=|Display Power: state='"
_ACTIVITY_GREP = "dumpsys activity activities | grep -E 'mResumedActivity|topResumedActivity'"
_MEDIA_GREP = "dumpsys media_session | grep -E 'package=|state=PlaybackState'"
_AUDIO_GREP = "dumpsys audio | grep -A 8 -- '- STREAM_MUSIC:'"
_INPUT_GREP = "dumpsys tv_input | grep 'Connection{'"
# The shell gathers the rest only for these power texts (`case` patterns; see `_awake_text`).
_AWAKE_PATTERNS = ("Awake", "state=ON")


def _mark(name: str) -> str:
    return f"echo {SECTION_MARK}{name}"


def _players(facts: DeviceFacts | None) -> tuple[str, ...]:
    """HDMI player packages whose presence in front makes the poll read `tv_input`."""
    if facts is None:
        return (XHPLAYER, INPUTPLAYER)
    return (facts.hdmi_player,) if facts.hdmi_player in HDMI_PLAYERS else ()


def build_poll_command(facts: DeviceFacts | None) -> str:
    """One shell line: power always; activity, media, audio when awake; input when on HDMI."""
    players = _players(facts)
    input_part = ""
    if players:
        pattern = "|".join(f"*{package}*" for package in players)
        input_part = f'; case "$a" in {pattern}) {_mark(INPUT)}; {_INPUT_GREP};; esac'
    awake = "|".join(f"*'{text}'*" for text in _AWAKE_PATTERNS)
    return (
        f'{_mark(POWER)}; p=$({_POWER_GREP}); echo "$p"; case "$p" in {awake}) '
        f'{_mark(ACTIVITY)}; a=$({_ACTIVITY_GREP}); echo "$a"; '
        f"{_mark(MEDIA)}; {_MEDIA_GREP}; {_mark(AUDIO)}; {_AUDIO_GREP}{input_part};; esac; "
        f"{_mark(END)}"
    )


def build_facts_command() -> str:
    """One shell line: props, network interfaces, packages (all, third-party), HDMI hardware."""
    props = " ".join(FACT_PROPS)
    return (
        f'{_mark(PROPS)}; for n in {props}; do echo "$n=$(getprop $n)"; done; '
        f"{_mark(NET)}; ip addr; "
        f"{_mark(PACKAGES)}; pm list packages; "
        f"{_mark(USER_PACKAGES)}; pm list packages -3; "
        f"{_mark(TV_INPUT)}; {_INPUT_GREP}; {_mark(END)}"
    )


def build_launchable_command(platform: Platform) -> str:
    """One shell line printing each package whose launcher activity resolves (one per line)."""
    category = launcher_category(platform)
    return (
        "for p in $(pm list packages | cut -d: -f2); do "
        f"case $(cmd package resolve-activity --brief -a android.intent.action.MAIN "
        f'-c {category} "$p" 2>/dev/null | tail -n 1) in "$p"/*) echo "$p";; esac; done'
    )


# -- sections ------------------------------------------------------------------------------------


def output_complete(output: str) -> bool:
    """Whether a command's output reached its end mark (else it was cut short)."""
    return END in split_sections(output)


def split_sections(output: str) -> dict[str, str]:
    """Map section name -> its text (first occurrence); text before the first mark is dropped."""
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in output.splitlines():
        stripped = line.strip()
        if stripped.startswith(SECTION_MARK):
            name = stripped[len(SECTION_MARK) :]
            current = None if name in sections else sections.setdefault(name, [])
        elif current is not None:
            current.append(line.rstrip("\r"))
    return {name: "\n".join(lines) for name, lines in sections.items()}


def _log_unparsed(name: str, text: str | None) -> None:
    shown = "<absent>" if text is None else text[:MAX_LOGGED_CHARS]
    _LOGGER.debug("Could not parse the %s section (%d chars): %r", name, len(text or ""), shown)


def _usable(text: str | None) -> str | None:
    """Return the section text if present and of sane size."""
    if text is None or len(text) > MAX_SECTION_CHARS:
        return None
    return text


# -- power -------------------------------------------------------------------------------------

_WAKEFULNESS_RE = re.compile(r"mWakefulness=(\w+)")
_DISPLAY_RE = re.compile(r"Display Power: state=(\w+)")
_WAKEFULNESS = {
    "Awake": Wakefulness.AWAKE,
    "Asleep": Wakefulness.ASLEEP,
    "Dreaming": Wakefulness.DREAMING,
    "Dozing": Wakefulness.DOZING,
}
_DISPLAY_STATES = {
    "ON": Wakefulness.AWAKE,
    "OFF": Wakefulness.ASLEEP,
    "DOZE": Wakefulness.DOZING,
    "DOZE_SUSPEND": Wakefulness.DOZING,
}


def parse_wakefulness(text: str) -> Wakefulness | None:
    """`mWakefulness=Awake` (else the display state); None when neither is readable."""
    if match := _WAKEFULNESS_RE.search(text):
        return _WAKEFULNESS.get(match.group(1))
    if match := _DISPLAY_RE.search(text):
        return _DISPLAY_STATES.get(match.group(1))
    return None


def _awake_text(text: str) -> bool:
    """Mirror the poll command's `case`: whether the shell went on to read the other sections."""
    return any(pattern in text for pattern in _AWAKE_PATTERNS)


# -- foreground activity ------------------------------------------------------------------------

_RESUMED_RE = re.compile(
    r"(?:mResumedActivity|topResumedActivity)[:=] ?ActivityRecord\{\w+ u\d+ ([^\s/{}]+)/([^\s{}]+)"
)


def parse_foreground(text: str) -> tuple[str, str] | None:
    """(package, "pkg/.Activity") of the resumed activity; None when there is none to read."""
    for line in text.splitlines():
        match = _RESUMED_RE.search(line)
        if match and is_valid_package(match.group(1)):
            return match.group(1), f"{match.group(1)}/{match.group(2)}"
    return None


# -- media sessions -----------------------------------------------------------------------------

_SESSION_PACKAGE_RE = re.compile(r"^\s*package=(\S+)\s*$")
_SESSION_STATE_RE = re.compile(r"state=PlaybackState \{state=(-?\d{1,9})(?!\d)")
_PLAYBACK_STATES = {
    0: Playback.NONE,
    1: Playback.STOPPED,
    2: Playback.PAUSED,
    3: Playback.PLAYING,
    6: Playback.BUFFERING,
}


def parse_sessions(text: str) -> dict[str, int] | None:
    """Package -> PlaybackState int of its first session; None when the text is not grep output."""
    sessions: dict[str, int] = {}
    current: str | None = None
    understood = False
    for line in text.splitlines():
        if match := _SESSION_PACKAGE_RE.match(line):
            current, understood = match.group(1), True
        elif (match := _SESSION_STATE_RE.search(line)) and current is not None:
            sessions.setdefault(current, int(match.group(1)))
            current, understood = None, True
    if not understood and text.strip():
        return None
    return sessions


def parse_playback(text: str, package: str | None) -> Playback | None:
    """Playback state of `package`'s media session (NONE: it has none); None if unreadable."""
    sessions = parse_sessions(text)
    if sessions is None:
        return None
    if not sessions:
        return Playback.NONE
    if package is None:
        return Playback.UNKNOWN
    if package not in sessions:
        return Playback.NONE
    return _PLAYBACK_STATES.get(sessions[package], Playback.UNKNOWN)


# -- volume --------------------------------------------------------------------------------------

# One `Current:` entry, "2 (speaker): 8". Matched per entry (anchored): a findall over the
# whole line would be quadratic on long runs of hex digits.
_CURRENT_ENTRY_RE = re.compile(r"\s*[0-9A-Fa-f]{1,16} \(([^()]*)\): (\d{1,9})\s*")
_INT_RE = re.compile(r"-?[0-9]{1,9}")


def _volume_fields(text: str) -> dict[str, str] | None:
    """`Name: value` lines of the STREAM_MUSIC block; None when there is no such block."""
    fields: dict[str, str] = {}
    inside = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("- STREAM_"):
            if inside:
                break
            inside = stripped.startswith("- STREAM_MUSIC:")
        elif inside:
            key, sep, value = stripped.partition(":")
            if sep:
                fields.setdefault(key.strip(), value.strip())
    return fields if inside else None


def _int_field(fields: Mapping[str, str], key: str) -> int | None:
    value = fields.get(key, "")
    return int(value) if _INT_RE.fullmatch(value) else None


def _level(fields: Mapping[str, str]) -> int | None:
    """Return the index for the device in `Devices:`, else streamVolume, else the first value."""
    values: dict[str, int] = {}
    for entry in fields.get("Current", "").split(","):
        if match := _CURRENT_ENTRY_RE.fullmatch(entry):
            values.setdefault(match.group(1).strip(), int(match.group(2)))
    device = fields.get("Devices", "").split(",")[0].strip()
    if device in values:
        return values[device]
    if (stream_volume := _int_field(fields, "streamVolume")) is not None:
        return stream_volume
    return next(iter(values.values()), None)


def parse_volume(text: str) -> Volume | None:
    """STREAM_MUSIC level, max and mute from `dumpsys audio`; None when unreadable."""
    fields = _volume_fields(text)
    if fields is None:
        return None
    level, max_level = _level(fields), _int_field(fields, "Max")
    if level is None and max_level is None:
        return None
    muted = {"true": True, "false": False}.get(fields.get("Muted", ""))
    return Volume(level, max_level, muted)


# -- HDMI ----------------------------------------------------------------------------------------

_PORT_RE = re.compile(r"hdmi_port=(\d{1,4})\b")
_INPUT_ID_RE = re.compile(r"mInfo: TvInputInfo\{id=([^,{}\s]+)")
_CALLBACK_RE = re.compile(r"mCallback: (\S+?),")


def _connection(line: str) -> tuple[HdmiInput, bool] | None:
    """(input, in use) from one `Connection{` line; None when it is not an HDMI connection."""
    port, input_id = _PORT_RE.search(line), _INPUT_ID_RE.search(line)
    if port is None or input_id is None:
        return None
    callback = _CALLBACK_RE.search(line)
    used = callback is not None and callback.group(1) != "null"
    number = int(port.group(1))
    return HdmiInput(f"HDMI{number}", number, input_id.group(1)), used


def parse_connections(text: str) -> list[tuple[HdmiInput, bool]]:
    """(input, in use) of every HDMI `Connection{` line, in order."""
    return [c for line in text.splitlines() if (c := _connection(line)) is not None]


def parse_hdmi_inputs(text: str) -> tuple[HdmiInput, ...]:
    """Every HDMI input of the `Connection{` lines, one per port, sorted by port."""
    found: dict[int, HdmiInput] = {}
    for hdmi, _ in parse_connections(text):
        found.setdefault(hdmi.port, hdmi)
    return tuple(found[port] for port in sorted(found))


def parse_active_hdmi(text: str, facts: DeviceFacts | None) -> HdmiInput | None:
    """Return the input whose connection has a callback, as the facts know it (id, else port)."""
    active = next((hdmi for hdmi, used in parse_connections(text) if used), None)
    if active is None or facts is None:
        return active
    known = facts.hdmi_inputs
    by_id = next((hdmi for hdmi in known if hdmi.input_id == active.input_id), None)
    by_port = next((hdmi for hdmi in known if hdmi.port == active.port), None)
    return by_id or by_port or active


# -- the poll ------------------------------------------------------------------------------------


class _Poll:
    """Reads the sections of one poll output, recording the ones it cannot parse."""

    def __init__(self, output: str, facts: DeviceFacts | None) -> None:
        self.sections = split_sections(output)
        self.facts = facts
        self.unparsed: list[str] = []
        # Output that stops before the end mark was cut: its last section is incomplete.
        known = [name for name in self.sections if name in POLL_SECTIONS]
        self.cut = known[-1] if known and END not in self.sections else None

    def fail(self, name: str) -> None:
        if name not in self.unparsed:
            self.unparsed.append(name)
            _log_unparsed(name, self.sections.get(name))

    def section(self, name: str, expected: bool) -> str | None:
        """Return a section's text; absent-but-expected, cut and oversized ones are failures."""
        raw = self.sections.get(name)
        text = None if name == self.cut else _usable(raw)
        if text is None and (expected or raw is not None):
            self.fail(name)
        return text

    def wakefulness(self) -> tuple[Wakefulness, bool]:
        """Wakefulness, and whether the shell went on to read the other sections."""
        text = self.section(POWER, expected=True)
        result = parse_wakefulness(text) if text is not None else None
        if text is not None and result is None:
            self.fail(POWER)
        return result or Wakefulness.UNKNOWN, text is not None and _awake_text(text)

    def foreground(self, expected: bool) -> tuple[str, str] | None:
        text = self.section(ACTIVITY, expected)
        result = parse_foreground(text) if text is not None else None
        if text is not None and result is None:
            self.fail(ACTIVITY)
        return result

    def playback(self, expected: bool, package: str | None) -> Playback:
        text = self.section(MEDIA, expected)
        result = parse_playback(text, package) if text is not None else None
        if text is not None and result is None:
            self.fail(MEDIA)
        return result or Playback.UNKNOWN

    def volume(self, expected: bool) -> Volume | None:
        text = self.section(AUDIO, expected)
        result = parse_volume(text) if text is not None else None
        if text is not None and result is None:
            self.fail(AUDIO)
        return result

    def hdmi(self, package: str | None) -> HdmiInput | None:
        players = _players(self.facts)
        activity = self.sections.get(ACTIVITY) or ""
        expected = any(player in activity for player in players)
        text = self.section(INPUT, expected)
        if text is None:
            return None
        if not parse_connections(text):
            self.fail(INPUT)
            return None
        result = parse_active_hdmi(text, self.facts)
        return result if package in players else None


def parse_poll(output: str, facts: DeviceFacts | None) -> ProjectorState:
    """Parse the output of `build_poll_command(facts)` (never raises)."""
    poll = _Poll(output, facts)
    wakefulness, awake = poll.wakefulness()
    foreground = poll.foreground(awake)
    package = foreground[0] if foreground else None
    playback = poll.playback(awake, package)
    volume = poll.volume(awake)
    hdmi = poll.hdmi(package)
    return ProjectorState(
        wakefulness=wakefulness,
        foreground_package=package,
        foreground_activity=foreground[1] if foreground else None,
        playback=playback,
        volume=volume,
        hdmi_input=hdmi,
        unparsed=tuple(poll.unparsed),
    )


# -- facts ---------------------------------------------------------------------------------------

_PACKAGE_LINE_RE = re.compile(r"^package:(\S+)\s*$")
_IFACE_RE = re.compile(r"^\d+: ([^:@\s]+)(?:@\S+)?: <")
_ETHER_RE = re.compile(r"^\s+link/\w+ ((?:[0-9A-Fa-f]{2}:){5}[0-9A-Fa-f]{2})\b")
_SDK_RE = re.compile(r"[0-9]{1,5}")
_NO_MAC = "00:00:00:00:00:00"
_PREFERRED_IFACES = ("eth0", "wlan0")


def parse_props(text: str) -> dict[str, str]:
    """`name=value` lines of the props section (values stripped)."""
    props: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() in FACT_PROPS:
            props.setdefault(name.strip(), value.strip())
    return props


def parse_packages(text: str) -> frozenset[str]:
    """Package names of `pm list packages` output (invalid names dropped)."""
    names = (m.group(1) for line in text.splitlines() if (m := _PACKAGE_LINE_RE.match(line)))
    return frozenset(name for name in names if is_valid_package(name))


def parse_mac(text: str) -> str | None:
    """Return the MAC of eth0, else wlan0, else another interface (never lo or all-zero)."""
    macs: dict[str, str] = {}
    iface: str | None = None
    for line in text.splitlines():
        if match := _IFACE_RE.match(line):
            iface = match.group(1)
        elif (match := _ETHER_RE.match(line)) and iface is not None and iface != "lo":
            mac = match.group(1).lower()
            if mac != _NO_MAC:
                macs.setdefault(iface, mac)
    for name in _PREFERRED_IFACES:
        if name in macs:
            return macs[name]
    return next(iter(macs.values()), None)


def detect_platform(packages: frozenset[str]) -> Platform:
    """Platform from installed packages (never from version strings)."""
    if "com.xgimi.home" in packages:
        return Platform.GMUI
    if {INPUTPLAYER, "com.google.android.apps.tv.launcherx"} & packages:
        return Platform.GOOGLE_TV
    if "com.google.android.tvlauncher" in packages:
        return Platform.ANDROID_TV
    return Platform.UNKNOWN


def _hdmi_player(packages: frozenset[str]) -> str | None:
    for player in (XHPLAYER, INPUTPLAYER):
        if player in packages:
            return player
    return None


def _apps(launchable: Iterable[str], packages: frozenset[str]) -> tuple[App, ...]:
    """Launchable apps a person would pick as a source, sorted by friendly name."""
    chosen = {
        package
        for package in launchable
        if is_valid_package(package)
        and package not in LAUNCHER_PACKAGES
        and package not in HDMI_PLAYERS
        and (not packages or package in packages)
    }
    apps = (App(package, app_name(package)) for package in chosen)
    return tuple(sorted(apps, key=lambda app: (app.name.casefold(), app.package)))


def _sdk(value: str) -> int:
    return int(value) if _SDK_RE.fullmatch(value) else 0


def parse_facts(output: str, launchable: Iterable[str]) -> DeviceFacts:
    """Parse `build_facts_command()` output plus the launchable packages (never raises).

    Without launchable packages (first pass, or a firmware that cannot resolve activities),
    the third-party packages stand in for them.
    """
    sections = {name: _usable(text) or "" for name, text in split_sections(output).items()}
    props = parse_props(sections.get(PROPS, ""))
    packages = parse_packages(sections.get(PACKAGES, ""))
    launchable = list(launchable)
    if not launchable:
        launchable = sorted(parse_packages(sections.get(USER_PACKAGES, "")))
    return DeviceFacts(
        serial=props.get("ro.serialno") or None,
        mac=parse_mac(sections.get(NET, "")),
        model=props.get("ro.boot.xgimi.modelname") or props.get("ro.product.model") or "Unknown",
        manufacturer=props.get("ro.product.manufacturer") or "XGIMI",
        firmware=props.get("ro.build.display.id")
        or props.get("ro.build.version.incremental")
        or None,
        android_release=props.get("ro.build.version.release", ""),
        sdk=_sdk(props.get("ro.build.version.sdk", "")),
        platform=detect_platform(packages),
        packages=packages,
        hdmi_inputs=parse_hdmi_inputs(sections.get(TV_INPUT, "")),
        apps=_apps(launchable, packages),
        hdmi_player=_hdmi_player(packages),
    )


def parse_launchable(output: str) -> list[str]:
    """Return the packages printed by `build_launchable_command()` (anything else dropped)."""
    seen: dict[str, None] = {}
    for line in output.splitlines():
        name = line.strip()
        if is_valid_package(name):
            seen.setdefault(name)
    return list(seen)
