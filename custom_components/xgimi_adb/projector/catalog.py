"""What can be sent to an XGIMI projector: keys, app names, sources and command lines.

Every command line built here is made of constant text plus values that are validated (package
names, integers) or shell-quoted (anything that came from the device). No Home Assistant imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
import re
import shlex
from types import MappingProxyType

from .state import DeviceFacts, HdmiInput, Platform

__all__ = [
    "APP_NAMES",
    "CATEGORY_LAUNCHER",
    "CATEGORY_LEANBACK_LAUNCHER",
    "HDMI_PLAYERS",
    "INPUTPLAYER",
    "KEYS",
    "LAUNCHER_PACKAGES",
    "PACKAGE_PATTERN",
    "SLEEP",
    "WAKE",
    "XGIMI_KEYS",
    "XHPLAYER",
    "Platform",
    "Source",
    "SourceKind",
    "UnknownKeyError",
    "app_name",
    "find_hdmi",
    "hdmi_command",
    "is_valid_package",
    "keys_command",
    "merge_keys_commands",
    "keys_for",
    "launch_command",
    "launcher_category",
    "resolve_key",
    "set_volume_command",
    "source_command",
    "sources",
]

# -- packages ----------------------------------------------------------------------------------

PACKAGE_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+")
MAX_PACKAGE_LENGTH = 255

XHPLAYER = "com.xgimi.xhplayer"
INPUTPLAYER = "com.google.android.tv.inputplayer"
HDMI_PLAYERS = frozenset({XHPLAYER, INPUTPLAYER})
LAUNCHER_PACKAGES = frozenset(
    {
        "com.xgimi.home",
        "com.google.android.tvlauncher",
        "com.google.android.apps.tv.launcherx",
        "com.google.android.leanbacklauncher",
    }
)

CATEGORY_LAUNCHER = "android.intent.category.LAUNCHER"
CATEGORY_LEANBACK_LAUNCHER = "android.intent.category.LEANBACK_LAUNCHER"


def is_valid_package(value: str) -> bool:
    """Whether `value` is a Java package name (and so safe to put on a shell line)."""
    return len(value) <= MAX_PACKAGE_LENGTH and PACKAGE_PATTERN.fullmatch(value) is not None


def launcher_category(platform: Platform) -> str:
    """Return the intent category of launchable apps: leanback on Android TV / Google TV."""
    if platform in (Platform.ANDROID_TV, Platform.GOOGLE_TV):
        return CATEGORY_LEANBACK_LAUNCHER
    return CATEGORY_LAUNCHER


# -- keys (cookbook a.5) -------------------------------------------------------------------------

_STANDARD_KEYS: Mapping[str, int] = {
    "home": 3,
    "back": 4,
    "up": 19,
    "down": 20,
    "left": 21,
    "right": 22,
    "center": 23,
    "ok": 23,
    "volume_up": 24,
    "volume_down": 25,
    "power": 26,
    "enter": 66,
    "menu": 82,
    "search": 84,
    "play_pause": 85,
    "stop": 86,
    "next": 87,
    "previous": 88,
    "rewind": 89,
    "fast_forward": 90,
    "play": 126,
    "pause": 127,
    "mute": 164,
    "info": 165,
    "channel_up": 166,
    "channel_down": 167,
    "settings": 176,
    "tv_power": 177,
    "input": 178,
    "sleep": 223,
    "wakeup": 224,
    **{str(digit): 7 + digit for digit in range(10)},
}

# XGIMI's own keycodes (Horizon Pro reports; per model, none verified on Google TV).
_XGIMI_KEYS: Mapping[str, int] = {
    "motor_left_start": 2092,
    "motor_right_start": 2093,
    "motor_stop": 2094,
    "motor_left_overstep": 2095,
    "motor_right_overstep": 2096,
    "focus_left": 2097,
    "focus_right": 2098,
    "focus_auto": 2099,
    "xgimi_power": 2100,
    "quick_settings": 2101,
    "source": 2102,
    "focus_auto_new": 2103,
}

KEYS: Mapping[str, int] = MappingProxyType({**_STANDARD_KEYS, **_XGIMI_KEYS})
XGIMI_KEYS: frozenset[str] = frozenset(_XGIMI_KEYS)
_STANDARD_ONLY: Mapping[str, int] = MappingProxyType(dict(_STANDARD_KEYS))

# Android KeyEvent names (without KEYCODE_) accepted as aliases of the names above.
_ANDROID_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "HOME": "home",
        "BACK": "back",
        "DPAD_UP": "up",
        "DPAD_DOWN": "down",
        "DPAD_LEFT": "left",
        "DPAD_RIGHT": "right",
        "DPAD_CENTER": "center",
        "VOLUME_UP": "volume_up",
        "VOLUME_DOWN": "volume_down",
        "POWER": "power",
        "ENTER": "enter",
        "MENU": "menu",
        "SEARCH": "search",
        "MEDIA_PLAY_PAUSE": "play_pause",
        "MEDIA_STOP": "stop",
        "MEDIA_NEXT": "next",
        "MEDIA_PREVIOUS": "previous",
        "MEDIA_REWIND": "rewind",
        "MEDIA_FAST_FORWARD": "fast_forward",
        "MEDIA_PLAY": "play",
        "MEDIA_PAUSE": "pause",
        "VOLUME_MUTE": "mute",
        "INFO": "info",
        "CHANNEL_UP": "channel_up",
        "CHANNEL_DOWN": "channel_down",
        "SETTINGS": "settings",
        "TV_POWER": "tv_power",
        "TV_INPUT": "input",
        "SLEEP": "sleep",
        "WAKEUP": "wakeup",
        **{str(digit): str(digit) for digit in range(10)},
    }
)


class UnknownKeyError(ValueError):
    """A key name that is not in the catalog (for this platform)."""

    def __init__(self, name: str, valid: Iterable[str]) -> None:
        """Remember the rejected name and the names that would have been accepted."""
        self.name = name
        self.valid: tuple[str, ...] = tuple(sorted(valid))
        super().__init__(f"Unknown key {name[:60]!r}; valid keys: {', '.join(self.valid)}")


def keys_for(platform: Platform) -> Mapping[str, int]:
    """Key names usable on a platform: XGIMI keys only where XGIMI firmware handles them."""
    if platform in (Platform.GMUI, Platform.ANDROID_TV):
        return KEYS
    return _STANDARD_ONLY


def resolve_key(name: str, platform: Platform) -> int:
    """Return the keycode of a key name ("home", "HOME", "KEYCODE_HOME"); else UnknownKeyError."""
    keys = keys_for(platform)
    wanted = name.lower()
    if name[:8].upper() == "KEYCODE_":
        wanted = _ANDROID_NAMES.get(name[8:].upper(), "")
    if wanted not in keys:
        raise UnknownKeyError(name, keys)
    return keys[wanted]


def _keycode(code: int) -> str:
    """Validate one keycode (a plain non-negative int) and render it."""
    if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code <= 0xFFFF:
        raise ValueError(f"Invalid keycode: {code!r}")
    return str(code)


def keys_command(codes: Sequence[int], *, long_press: bool = False) -> str:
    """`input keyevent 19 19 20` (one round trip), `--longpress` to hold them."""
    if not codes:
        raise ValueError("No keycodes")
    rendered = " ".join(_keycode(code) for code in codes)
    return f"input keyevent --longpress {rendered}" if long_press else f"input keyevent {rendered}"


_KEYS_PREFIX = "input keyevent "


def merge_keys_commands(commands: Sequence[str]) -> str:
    """One `input keyevent` line for several built by `keys_command` (short presses), in order."""
    if any(not line.startswith(_KEYS_PREFIX) or "--" in line for line in commands):
        raise ValueError("Only short key presses can be merged")
    return _KEYS_PREFIX + " ".join(line.removeprefix(_KEYS_PREFIX) for line in commands)


# -- power and volume (cookbook a.2, a.6) ----------------------------------------------------------

WAKE = "input keyevent 224"
SLEEP = "input keyevent 223"
VOLUME_SET_MIN_SDK = 30  # `cmd media_session volume` from Android 11; `media volume` before


def set_volume_command(level: int, sdk: int) -> str:
    """Set STREAM_MUSIC to an absolute index (the device rejects one above its max)."""
    if isinstance(level, bool) or not isinstance(level, int) or level < 0:
        raise ValueError(f"Invalid volume level: {level!r}")
    tool = "cmd media_session" if sdk >= VOLUME_SET_MIN_SDK else "media"
    return f"{tool} volume --stream 3 --set {level}"


# -- apps (cookbook a.7) ---------------------------------------------------------------------------

APP_NAMES: Mapping[str, str] = MappingProxyType(
    {
        # Chinese market (GMUI)
        "com.ktcp.video": "云视听极光",
        "com.ktcp.tvvideo": "云视听极光",
        "com.gitvdemo.video": "奇异果TV",
        "com.gitvjimi.video": "奇异果TV",
        "com.xiaodianshi.tv.yst": "云视听小电视",
        "com.cibn.tv": "CIBN酷喵",
        "com.hunantv.license": "芒果TV",
        "com.xgimi.filemanager": "文件管理",
        "com.xgimi.atmosphere": "任意门",
        # International
        "com.netflix.ninja": "Netflix",
        "com.google.android.youtube.tv": "YouTube",
        "com.google.android.youtube.tvkids": "YouTube Kids",
        "com.google.android.youtube.tvmusic": "YouTube Music",
        "com.amazon.amazonvideo.livingroom": "Prime Video",
        "com.disney.disneyplus": "Disney+",
        "com.hulu.livingroomplus": "Hulu",
        "com.wbd.stream": "Max",
        "com.apple.atve.androidtv.appletv": "Apple TV",
        "com.spotify.tv.android": "Spotify",
        "tv.twitch.android.app": "Twitch",
        "com.plexapp.android": "Plex",
        "org.videolan.vlc": "VLC",
        "org.xbmc.kodi": "Kodi",
        "com.mxtech.videoplayer.ad": "MX Player",
        "com.android.tv.settings": "Settings",
        "com.android.vending": "Google Play Store",
        # Launchers and HDMI players (what is in front on the home screen or an HDMI input)
        "com.xgimi.home": "极米桌面",
        "com.google.android.tvlauncher": "Android TV Home",
        "com.google.android.leanbacklauncher": "Android TV Home",
        "com.google.android.apps.tv.launcherx": "Google TV Home",
        XHPLAYER: "HDMI",
        INPUTPLAYER: "HDMI",
    }
)


def app_name(package: str) -> str:
    """Friendly name of an app, else its package."""
    return APP_NAMES.get(package, package)


def launch_command(package: str, platform: Platform) -> str:
    """`monkey -p <pkg> -c <launcher category> 1`: starts the app's launchable activity."""
    if not is_valid_package(package):
        raise ValueError(f"Invalid package name: {package[:60]!r}")
    return f"monkey -p {shlex.quote(package)} -c {launcher_category(platform)} 1"


# -- HDMI (cookbook a.4) -------------------------------------------------------------------------

PASSTHROUGH_MIN_SDK = 30  # xhplayer takes the passthrough URI from Android 11 (Play 6)


def hdmi_command(facts: DeviceFacts, hdmi: HdmiInput) -> str:
    """Show an HDMI input with the firmware's own player (every value shell-quoted)."""
    uri = shlex.quote(hdmi.passthrough_uri)
    if facts.hdmi_player == XHPLAYER and facts.sdk >= PASSTHROUGH_MIN_SDK:
        return f"am start -a com.xgimi.action.hdmiPlayer -p {XHPLAYER} -d {uri} -f 0x10000000"
    if facts.hdmi_player == XHPLAYER:
        return (
            f"am start -a com.xgimi.action.hdmiPlayer -n {XHPLAYER}/.InputActivity "
            f"--es sw {shlex.quote(hdmi.label)} -f 0x14000000"
        )
    if facts.hdmi_player == INPUTPLAYER:
        return (
            f"am start -n {INPUTPLAYER}/.player.PassthroughPlayerActivity "
            f"-a android.intent.action.VIEW -d {uri}"
        )
    # No known player: the generic passthrough intent (may open a Live TV app).
    return f"am start -a android.intent.action.VIEW -d {uri}"


# -- sources ---------------------------------------------------------------------------------------


class SourceKind(StrEnum):
    """What selecting a source does."""

    HDMI = "hdmi"
    APP = "app"


@dataclass(frozen=True, slots=True)
class Source:
    """One entry of the source list: an HDMI input (by label) or an app (by package)."""

    kind: SourceKind
    target: str  # HdmiInput.label ("HDMI1") or the package


def _unique(name: str, package: str, taken: Mapping[str, object]) -> str:
    """Return `name`, else "name (package)", else a numbered variant: never one in `taken`."""
    candidate = name if name not in taken else f"{name} ({package})"
    number = 2
    while candidate in taken:
        candidate = f"{name} ({package}) {number}"
        number += 1
    return candidate


def sources(facts: DeviceFacts) -> dict[str, Source]:
    """Display name -> source: HDMI inputs first ("HDMI 1"), then apps by friendly name."""
    result: dict[str, Source] = {}
    for hdmi in sorted(facts.hdmi_inputs, key=lambda item: item.port):
        name = _unique(f"HDMI {hdmi.port}", hdmi.label, result)
        result[name] = Source(SourceKind.HDMI, hdmi.label)
    counts: dict[str, int] = {}
    for app in facts.apps:
        counts[app.name] = counts.get(app.name, 0) + 1
    for app in facts.apps:
        name = app.name if counts[app.name] == 1 else f"{app.name} ({app.package})"
        result[_unique(name, app.package, result)] = Source(SourceKind.APP, app.package)
    return result


def find_hdmi(facts: DeviceFacts, label: str) -> HdmiInput | None:
    """Return the HDMI input with that label ("HDMI1")."""
    return next((hdmi for hdmi in facts.hdmi_inputs if hdmi.label == label), None)


def source_command(facts: DeviceFacts, source: Source) -> str:
    """Return the command line that selects a source; ValueError for an unknown HDMI label."""
    if source.kind is SourceKind.APP:
        return launch_command(source.target, facts.platform)
    hdmi = find_hdmi(facts, source.target)
    if hdmi is None:
        raise ValueError(f"Unknown HDMI input: {source.target[:60]!r}")
    return hdmi_command(facts, hdmi)
