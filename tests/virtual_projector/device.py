"""The device model of the virtual projector: power, keys, apps, inputs, volume, media, tools.

Shell command lines run for real in mksh (`sandbox.py`); the Android tools they call (`dumpsys`,
`am`, `input`, `getprop`, ...) are answered here, from the model's state, with output shaped as
the real tools print it (AOSP dump formats; python-androidtv's parsers and one-liners are the
acceptance test). Device-specific values come from the profile (`profiles.py`).

Classes build on each other: `_Core` holds the state and its transitions, `_Dumps` renders the
`dumpsys` services, `_Tools` implements the command-line tools, `DeviceModel` is the public face.
Everything runs on the event loop that started the model.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
import ipaddress
import logging
from pathlib import Path
import random
import struct
import time
from typing import Any
from urllib.parse import unquote
import zlib

from .costs import CostModel
from .faults import Faults, OutputFault
from .profiles import (
    ACTION_MAIN,
    CATEGORY_HOME,
    CATEGORY_LAUNCHER,
    CATEGORY_LEANBACK,
    PASSTHROUGH_PREFIX,
    Activity,
    App,
    CurrentAppFormat,
    HdmiForm,
    HdmiInput,
    NetInterface,
    Profile,
)
from .sandbox import RunResult, Sandbox, SandboxMode, ToolReply

_LOGGER = logging.getLogger(__name__)


class PowerState(StrEnum):
    """Power states of an XGIMI projector (cookbook a.2)."""

    ON = "on"  # awake, display on
    SCREEN_OFF = "screen_off"  # asleep, display off, still on the network
    STANDBY = "standby"  # XGIMI standby: network adapter down
    UNPOWERED = "unpowered"  # mains off (or rebooting)


class PlaybackState(IntEnum):
    """MediaSession PlaybackState.state of the foreground app (NONE = no session)."""

    NONE = 0
    STOPPED = 1
    PAUSED = 2
    PLAYING = 3


@dataclass(frozen=True)
class ShellResult:
    """Output of one shell/exec command line."""

    stdout: bytes
    stderr: bytes
    exit_code: int


# -- keys ---------------------------------------------------------------------------------------

KEYCODE_HOME = 3
KEYCODE_BACK = 4
KEYCODE_VOLUME_UP = 24
KEYCODE_VOLUME_DOWN = 25
KEYCODE_POWER = 26
KEYCODE_MEDIA_PLAY_PAUSE = 85
KEYCODE_MEDIA_STOP = 86
KEYCODE_MEDIA_PLAY = 126
KEYCODE_MEDIA_PAUSE = 127
KEYCODE_VOLUME_MUTE = 164
KEYCODE_SLEEP = 223
KEYCODE_WAKEUP = 224
KEYCODE_XGIMI_POWER = 2100

# `input keyevent NAME` (with or without the KEYCODE_ prefix).
KEY_NAMES = {
    "HOME": 3,
    "BACK": 4,
    "CALL": 5,
    "DPAD_UP": 19,
    "DPAD_DOWN": 20,
    "DPAD_LEFT": 21,
    "DPAD_RIGHT": 22,
    "DPAD_CENTER": 23,
    "VOLUME_UP": 24,
    "VOLUME_DOWN": 25,
    "POWER": 26,
    "ENTER": 66,
    "DEL": 67,
    "MENU": 82,
    "SEARCH": 84,
    "MEDIA_PLAY_PAUSE": 85,
    "MEDIA_STOP": 86,
    "MEDIA_NEXT": 87,
    "MEDIA_PREVIOUS": 88,
    "MEDIA_REWIND": 89,
    "MEDIA_FAST_FORWARD": 90,
    "MUTE": 91,
    "MOVE_HOME": 122,
    "MEDIA_PLAY": 126,
    "MEDIA_PAUSE": 127,
    "F4": 134,
    "F5": 135,
    "F9": 139,
    "F10": 140,
    "F12": 142,
    "VOLUME_MUTE": 164,
    "SETTINGS": 176,
    "TV_POWER": 177,
    "TV_INPUT": 178,
    "SLEEP": 223,
    "WAKEUP": 224,
    "TV_INPUT_HDMI_1": 243,
    "TV_INPUT_HDMI_2": 244,
    "TV_INPUT_HDMI_3": 245,
    "TV_INPUT_HDMI_4": 246,
}
INPUT_SOURCES = frozenset(
    {
        "keyboard",
        "dpad",
        "gamepad",
        "touchscreen",
        "mouse",
        "trackball",
        "stylus",
        "joystick",
        "touchpad",
        "touchnavigation",
        "rotaryencoder",
    }
)

# -- audio --------------------------------------------------------------------------------------

STREAM_MUSIC = 3
STREAMS = {
    0: ("STREAM_VOICE_CALL", 1, 5, 4),
    1: ("STREAM_SYSTEM", 0, 7, 5),
    2: ("STREAM_RING", 0, 7, 5),
    3: ("STREAM_MUSIC", 0, 15, 8),
    4: ("STREAM_ALARM", 1, 7, 6),
    5: ("STREAM_NOTIFICATION", 0, 7, 5),
    6: ("STREAM_BLUETOOTH_SCO", 0, 15, 7),
    7: ("STREAM_SYSTEM_ENFORCED", 0, 7, 5),
    8: ("STREAM_DTMF", 0, 15, 11),
    9: ("STREAM_TTS", 0, 15, 11),
    10: ("STREAM_ACCESSIBILITY", 1, 15, 11),
}  # stream -> (name, min, max, default index); STREAM_MUSIC's max comes from the profile

# -- Android tools: the names in /system/bin that reach the model ------------------------------

BASE_TOOLS = (
    "dumpsys",
    "getprop",
    "setprop",
    "settings",
    "input",
    "cmd",
    "am",
    "pm",
    "monkey",
    "screencap",
    "ip",
    "ps",
    "wm",
    "reboot",
)
DUMPSYS_SERVICES = (
    "activity",
    "audio",
    "display",
    "media_session",
    "package",
    "power",
    "tv_input",
    "window",
)
SHELL_WRITABLE_PROPS = ("debug.", "log.", "persist.log.", "persist.debug.", "service.adb.")
MONKEY_EXIT_NO_ACTIVITIES = 252  # Monkey returns -4

_FLAG_OPTIONS = {
    "--activity-brought-to-front": 0x00400000,
    "--activity-clear-top": 0x04000000,
    "--activity-clear-when-task-reset": 0x00080000,
    "--activity-clear-task": 0x00008000,
    "--activity-exclude-from-recents": 0x00800000,
    "--activity-launched-from-history": 0x00100000,
    "--activity-multiple-task": 0x08000000,
    "--activity-no-animation": 0x00010000,
    "--activity-no-history": 0x40000000,
    "--activity-no-user-action": 0x00040000,
    "--activity-previous-is-top": 0x01000000,
    "--activity-reorder-to-front": 0x00020000,
    "--activity-reset-task-if-needed": 0x00200000,
    "--activity-single-top": 0x20000000,
    "--activity-task-on-home": 0x00004000,
    "--activity-new-task": 0x10000000,
    "--activity-match-external": 0x00000800,
}
_EXTRA_OPTIONS = frozenset(
    {
        "-e",
        "--es",
        "--ez",
        "--ei",
        "--el",
        "--ef",
        "--eu",
        "--ecn",
        "--eia",
        "--eial",
        "--ela",
        "--elal",
        "--efa",
        "--efal",
        "--esa",
        "--esal",
        "--ed",
        "--eda",
        "--edal",
    }
)
_VALUE_OPTIONS = frozenset(
    {
        "--user",
        "-R",
        "-P",
        "--start-profiler",
        "--sampling",
        "--attach-agent",
        "--attach-agent-bind",
        "--windowingMode",
        "--activityType",
        "--display",
        "--task",
        "-t",
        "--receiver-permission",
    }
)


def _hex(*parts: object) -> str:
    """Return a stable identity hash, as Object.toString() prints them."""
    return f"{zlib.crc32(repr(parts).encode()) & 0xFFFFFFF:07x}"


def _full_class(package: str, name: str) -> str:
    return package + name if name.startswith(".") else name


def _short_component(component: str) -> str:
    """ComponentName.flattenToShortString()."""
    package, _, cls = component.partition("/")
    if cls.startswith(package + "."):
        cls = cls[len(package) :]
    return f"{package}/{cls}"


def _parse_component(text: str) -> str:
    """ComponentName.unflattenFromString(), returned as "pkg/full.Class"."""
    package, _, cls = text.partition("/")
    return f"{package}/{_full_class(package, cls)}"


def _safe_uri(uri: str, abbreviate: bool) -> str:
    """Uri.toSafeString(): no query or fragment; newer releases keep only the authority."""
    scheme, _, rest = uri.partition(":")
    rest = rest.split("#", 1)[0]
    if rest.startswith("//") and (abbreviate or scheme in ("http", "https", "ftp", "rtsp")):
        return f"{scheme}://{rest[2:].split('/', 1)[0]}/..."
    return f"{scheme}:{unquote(rest)}"


def _tiny_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """Build a solid-colour PNG, as `screencap -p` prints one (kept tiny on purpose)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _ok(out: str = "", err: str = "", code: int = 0) -> ToolReply:
    return ToolReply(out.encode(), err.encode(), code)


class _UsageError(Exception):
    """A tool rejected its arguments: message on stderr, exit code."""

    def __init__(self, message: str, code: int = 255) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class _Intent:
    """The parts of android.content.Intent that `am` parses and prints."""

    action: str | None = None
    data: str | None = None
    mime: str | None = None
    categories: list[str] = field(default_factory=list)
    package: str | None = None
    component: str | None = None  # "pkg/full.Class"
    flags: int = 0
    extras: dict[str, str] = field(default_factory=dict)
    wait: bool = False

    def describe(self, *, secure: bool = True, abbreviate: bool = False) -> str:
        """Intent.toString(): `Intent { act=.. cat=[..] dat=.. flg=0x.. pkg=.. cmp=.. }`."""
        parts = []
        if self.action:
            parts.append(f"act={self.action}")
        if self.categories:
            parts.append(f"cat=[{','.join(self.categories)}]")
        if self.data:
            parts.append("dat=" + (_safe_uri(self.data, abbreviate) if secure else self.data))
        if self.mime:
            parts.append(f"typ={self.mime}")
        if self.flags:
            parts.append(f"flg=0x{self.flags:x}")
        if self.package:
            parts.append(f"pkg={self.package}")
        if self.component:
            parts.append(f"cmp={_short_component(self.component)}")
        if self.extras:
            parts.append("(has extras)")
        return "Intent { " + " ".join(parts) + " }"


def _take(args: Iterator[str], option: str) -> str:
    value = next(args, None)
    if value is None:
        raise _UsageError(f'Error: No argument expected after "{option}"')
    return value


def _parse_intent(args: list[str]) -> _Intent:
    """Intent.parseCommandArgs() for the options a client sends."""
    intent = _Intent()
    it = iter(args)
    for arg in it:
        if arg in ("-a", "-d", "-t", "-c", "-n", "-p", "-f"):
            _intent_option(intent, arg, _take(it, arg))
        elif arg in _EXTRA_OPTIONS:
            key = _take(it, arg)
            intent.extras[key] = _take(it, arg)
        elif arg == "--esn":
            intent.extras[_take(it, arg)] = ""
        elif arg in _FLAG_OPTIONS:
            intent.flags |= _FLAG_OPTIONS[arg]
        elif arg == "-W":
            intent.wait = True
        elif arg in _VALUE_OPTIONS:
            _take(it, arg)
        elif arg.startswith("-"):
            if not arg.startswith(("--grant-", "--include-", "--exclude-", "--debug-", "-S", "-D")):
                raise _UsageError(f"Error: Unknown option: {arg}")
        else:
            _intent_target(intent, arg)
    return intent


def _intent_option(intent: _Intent, option: str, value: str) -> None:
    match option:
        case "-a":
            intent.action = value
        case "-d":
            intent.data = value
        case "-t":
            intent.mime = value
        case "-c":
            intent.categories.append(value)
        case "-n":
            intent.component = _parse_component(value)
        case "-p":
            intent.package = value
        case _:
            try:
                intent.flags |= int(value, 0)
            except ValueError as err:
                raise _UsageError(f"Error: Bad flags: {value}") from err


def _intent_target(intent: _Intent, arg: str) -> None:
    """Take a bare argument: a URI, a component or a package."""
    if ":" in arg:
        intent.data = arg
    elif "/" in arg:
        intent.component = _parse_component(arg)
    else:
        intent.package = arg


@dataclass
class _Task:
    """A task with one activity on top, as the activity manager dumps it."""

    task_id: int
    package: str
    activity: str  # full class name
    intent: _Intent
    input_label: str | None = None  # HDMI input shown by a player activity
    launched_from_uid: int = 2000

    @property
    def component(self) -> str:
        """Return "pkg/full.Class"."""
        return f"{self.package}/{self.activity}"

    @property
    def short(self) -> str:
        """Return "pkg/.Class"."""
        return _short_component(self.component)

    @property
    def record(self) -> str:
        """ActivityRecord.toString()."""
        return f"ActivityRecord{{{_hex('ar', self.task_id, self.activity)} u0 {self.short} t{self.task_id}}}"

    @property
    def window(self) -> str:
        """WindowState.toString()."""
        return f"Window{{{_hex('win', self.task_id, self.activity)} u0 {self.component}}}"


@dataclass
class _Session:
    """A media session and its playback state."""

    package: str
    state: PlaybackState
    piid: int
    updated_ms: int


@dataclass
class _StartRecord:
    """What `dumpsys activity starter` remembers of the last start."""

    task: _Task
    intent: _Intent
    wall_time: str


class _Core:
    """State of the projector and its transitions."""

    def __init__(
        self,
        profile: Profile,
        faults: Faults,
        *,
        work_dir: Path,
        on_power_change: Callable[[PowerState], None] | None = None,
    ) -> None:
        self.profile = profile
        self.faults = faults
        self.work_dir = work_dir
        self.on_power_change = on_power_change
        # Set by the glue to turn the shell's `reboot` into its reboot sequence.
        self.on_reboot_request: Callable[[], Coroutine[Any, Any, None]] | None = None
        self._background: set[asyncio.Task[None]] = set()
        self.reboot_duration_s = 3.0  # used when on_reboot_request is not set
        self.received_commands: list[str] = []
        self.tool_calls: list[tuple[str, ...]] = []
        self.key_events: list[int] = []
        self.key_event_times: list[float] = []  # time.monotonic() of each key_events entry
        self.typed_text: list[str] = []
        self._power = PowerState.ON
        self._props = dict(profile.props)
        self._settings = {ns: dict(values) for ns, values in profile.settings.items()}
        self._volume = profile.music_initial_volume
        self._muted = False
        self._stream_volumes = {stream: spec[3] for stream, spec in STREAMS.items()}
        self._uids = self._assign_uids()
        self._tasks: list[_Task] = []
        self._sessions: dict[str, _Session] = {}
        self._processes: dict[str, int] = {}
        self._audio_events: list[str] = []
        self._last_start: _StartRecord | None = None
        self._ids = {"task": 1, "pid": 2800, "piid": 15}
        self._boot_time = time.monotonic()
        self._power_menu_at: float | None = None
        self._power_stamps: dict[str, int] = {}
        self._boot()

    # -- identities --------------------------------------------------------------------------

    def _assign_uids(self) -> dict[str, int]:
        fixed = {
            "android": 1000,
            "com.android.providers.settings": 1000,
            "com.android.shell": 2000,
            "com.android.bluetooth": 1002,
        }
        return {
            app.package: fixed.get(app.package, 10030 + i)
            for i, app in enumerate(self.profile.apps)
        }

    def _next(self, name: str) -> int:
        self._ids[name] += 1
        return self._ids[name]

    def _uptime_ms(self) -> int:
        return int((time.monotonic() - self._boot_time) * 1000) + 61_000

    # -- boot and power ----------------------------------------------------------------------

    def _boot(self) -> None:
        """Fresh start: launcher in front, persistent processes, no sessions."""
        self._boot_time = time.monotonic()
        self._power_stamps = {"wake": self._uptime_ms(), "sleep": 0}
        package, _, name = self.profile.launcher.partition("/")
        home = _Intent(ACTION_MAIN, categories=[CATEGORY_HOME], flags=0x10000000)
        self._tasks = [
            _Task(
                self._next("task"),
                package,
                _full_class(package, name),
                home,
                launched_from_uid=1000,
            )
        ]
        self._sessions.clear()
        self._audio_events.clear()
        self._last_start = None
        self._power_menu_at = None
        self._processes = {
            app.package: self._next("pid") for app in self.profile.apps if app.persistent
        }

    def _set_power(self, state: PowerState) -> None:
        old = self._power
        if state is old:
            return
        if old is PowerState.UNPOWERED:
            self._boot()
        self._power = state
        self._power_stamps["wake" if state is PowerState.ON else "sleep"] = self._uptime_ms()
        _LOGGER.debug("%s: power %s -> %s", self.profile.name, old, state)
        if self.on_power_change is not None:
            self.on_power_change(state)

    def _power_key(self, code: int) -> bool:
        """Apply a power-related key; False when `code` is not one."""
        on, off = PowerState.ON, PowerState.SCREEN_OFF
        if code == KEYCODE_POWER:
            target = PowerState(self.profile.power_key_target.value)
            self._set_power(target if self._power is on else on)
        elif code == KEYCODE_SLEEP:
            self._set_power(off if self._power is on else self._power)
        elif code == KEYCODE_WAKEUP:
            self._set_power(on if self._power is off else self._power)
        elif code == KEYCODE_XGIMI_POWER and self.profile.xgimi_power_key:
            self._set_power(off if self._power is on else on)
        else:
            return False
        return True

    def _handle_key(self, code: int) -> None:
        """Handle a key event reaching the device (remote or `input keyevent`)."""
        if self._power is PowerState.UNPOWERED:
            return
        if self._power is PowerState.STANDBY:
            # Deep sleep: only the remote's power key wakes the SoC.
            if code == KEYCODE_POWER:
                self._record_key(code)
                self._set_power(PowerState.ON)
            return
        self._record_key(code)
        if not self._power_key(code) and self._power is PowerState.ON:
            self._app_key(code)

    def _record_key(self, code: int) -> None:
        self.key_events.append(code)
        self.key_event_times.append(time.monotonic())

    def _app_key(self, code: int) -> None:
        actions: dict[int, Callable[[], None]] = {
            KEYCODE_HOME: self._go_home,
            KEYCODE_BACK: self._go_back,
            KEYCODE_VOLUME_UP: lambda: self._step_volume(1),
            KEYCODE_VOLUME_DOWN: lambda: self._step_volume(-1),
            KEYCODE_VOLUME_MUTE: self._toggle_mute,
            KEYCODE_MEDIA_PLAY_PAUSE: lambda: self._media_key("play-pause"),
            KEYCODE_MEDIA_PLAY: lambda: self._media_key("play"),
            KEYCODE_MEDIA_PAUSE: lambda: self._media_key("pause"),
            KEYCODE_MEDIA_STOP: lambda: self._media_key("stop"),
        }
        action = actions.get(code)
        if action is not None:
            action()

    # -- volume ------------------------------------------------------------------------------

    def _step_volume(self, delta: int) -> None:
        self._muted = False
        self._volume = min(max(self._volume + delta, 0), self.profile.music_max_volume)

    def _toggle_mute(self) -> None:
        self._muted = not self._muted

    def _stream_range(self, stream: int) -> tuple[int, int]:
        if stream == STREAM_MUSIC:
            return 0, self.profile.music_max_volume
        _, low, high, _ = STREAMS[stream]
        return low, high

    def _stream_volume(self, stream: int) -> int:
        return self._volume if stream == STREAM_MUSIC else self._stream_volumes[stream]

    def _set_stream_volume(self, stream: int, index: int) -> None:
        if stream != STREAM_MUSIC:
            self._stream_volumes[stream] = index
            return
        self._volume = index
        if index > 0:
            self._muted = False

    # -- tasks and apps ----------------------------------------------------------------------

    @property
    def _top(self) -> _Task:
        return self._tasks[-1]

    def _go_home(self) -> None:
        package, _, name = self.profile.launcher.partition("/")
        launcher = self._task_of(package)
        if launcher is not None:  # always there: home is never finished
            self._tasks.remove(launcher)
            self._tasks.append(launcher)
            launcher.activity, launcher.input_label = _full_class(package, name), None

    def _go_back(self) -> None:
        if self._top.package != self.profile.launcher_package:
            self._tasks.pop()

    def _task_of(self, package: str) -> _Task | None:
        return next((task for task in self._tasks if task.package == package), None)

    def _ensure_process(self, package: str) -> None:
        if package not in self._processes:
            self._processes[package] = self._next("pid")

    def _start(self, app: App, activity: Activity, intent: _Intent, from_uid: int = 2000) -> bool:
        """Start an activity; True when it was delivered to the instance already on top."""
        name = _full_class(app.package, activity.name)
        delivered = (
            self._top.package == app.package and self._top.activity == name and activity.single_top
        )
        task = self._top if delivered else self._task_of(app.package)
        if task is None:
            task = _Task(self._next("task"), app.package, name, intent)
        elif not delivered:
            self._tasks.remove(task)
        if not delivered:
            self._tasks.append(task)
        task.activity, task.intent, task.launched_from_uid = name, intent, from_uid
        task.input_label = self._select_input(activity, intent)
        self._ensure_process(app.package)
        self._last_start = _StartRecord(task, intent, time.strftime("%Y-%m-%d %H:%M:%S"))
        return delivered

    def _select_input(self, activity: Activity, intent: _Intent) -> str | None:
        """Which HDMI input a player activity shows for this intent (None: no signal)."""
        forms = activity.hdmi_forms
        found: HdmiInput | None = None
        sw = intent.extras.get("sw", "")
        if HdmiForm.SW_EXTRA in forms and sw:
            found = next(
                (i for i in self.profile.hdmi_inputs if i.label.lower() == sw.lower()), None
            )
        data = intent.data or ""
        if (
            found is None
            and HdmiForm.PASSTHROUGH_URI in forms
            and data.startswith(PASSTHROUGH_PREFIX)
        ):
            input_id = unquote(data[len(PASSTHROUGH_PREFIX) :])
            found = next((i for i in self.profile.hdmi_inputs if i.input_id == input_id), None)
        return found.label if found else None

    def _force_stop(self, package: str) -> None:
        if self.profile.app(package) is None:
            return
        self._sessions.pop(package, None)
        if package == self.profile.launcher_package:
            self._processes[package] = self._next("pid")  # home restarts at once
            return
        self._tasks = [task for task in self._tasks if task.package != package]
        self._processes.pop(package, None)
        app = self.profile.app(package)
        if app is not None and app.persistent:
            self._processes[package] = self._next("pid")

    def _launch_main(self, app: App, category: str, from_uid: int) -> bool:
        """Start an app's launchable activity; False when it has none for `category`."""
        if not app.activities or not self._has_category(app, category):
            return False
        activity = app.activities[0]
        intent = _Intent(
            ACTION_MAIN,
            categories=[category],
            flags=0x10200000,
            component=f"{app.package}/{_full_class(app.package, activity.name)}",
        )
        self._start(app, activity, intent, from_uid)
        return True

    @staticmethod
    def _has_category(app: App, category: str) -> bool:
        launchers = {CATEGORY_LAUNCHER: app.launcher, CATEGORY_LEANBACK: app.leanback}
        return launchers.get(category, False)

    # -- media sessions ----------------------------------------------------------------------

    def _set_session(self, package: str, state: PlaybackState) -> None:
        session = self._sessions.get(package)
        if state is PlaybackState.NONE:
            self._sessions.pop(package, None)
        elif session is None:
            self._sessions[package] = _Session(
                package, state, self._next("piid"), self._uptime_ms()
            )
        else:
            session.state, session.updated_ms = state, self._uptime_ms()
        new = self._sessions.get(package)
        if new is not None:
            self._log_player_event(new)

    def _log_player_event(self, session: _Session) -> None:
        word = {PlaybackState.PLAYING: "started", PlaybackState.PAUSED: "paused"}.get(
            session.state, "stopped"
        )
        stamp = time.strftime("%m-%d %H:%M:%S") + f":{int(time.time() * 1000) % 1000:03d}"
        self._audio_events.append(f"  {stamp} player piid:{session.piid} state:{word}")
        del self._audio_events[:-40]

    def _media_key(self, command: str) -> None:
        session = self._sessions.get(self._top.package)
        if session is None:
            return
        playing = session.state is PlaybackState.PLAYING
        new = {
            "play-pause": PlaybackState.PAUSED if playing else PlaybackState.PLAYING,
            "play": PlaybackState.PLAYING,
            "pause": PlaybackState.PAUSED if playing else session.state,
            "stop": PlaybackState.STOPPED,
        }.get(command)
        if new is not None:
            self._set_session(session.package, new)

    # -- derived state -----------------------------------------------------------------------

    @property
    def _awake(self) -> bool:
        return self._power is PowerState.ON

    def _wake_lock_count(self) -> int:
        """Held wake locks: a playing app holds two (screen + audio), a paused one one."""
        if not self._awake:
            return 0
        session = self._sessions.get(self._top.package)
        state = session.state if session else PlaybackState.NONE
        return {PlaybackState.PLAYING: 2, PlaybackState.PAUSED: 1}.get(state, 0)

    def _active_input(self) -> HdmiInput | None:
        label = self._top.input_label
        return next((i for i in self.profile.hdmi_inputs if i.label == label), None)

    def _user(self, uid: int) -> str:
        names = {1000: "system", 1002: "bluetooth", 2000: "shell"}
        return names.get(uid, f"u0_a{uid - 10000}")


class _Dumps(_Core):
    """`dumpsys` services, in AOSP's dump formats."""

    def _dump(self, service: str, args: list[str]) -> str | None:
        renderers: dict[str, Callable[[list[str]], str]] = {
            "activity": self._dump_activity,
            "audio": lambda _: self._dump_audio(),
            "display": lambda _: self._dump_display(),
            "media_session": lambda _: self._dump_media_session(),
            "package": self._dump_package,
            "power": lambda _: self._dump_power(),
            "tv_input": lambda _: self._dump_tv_input(),
            "window": lambda _: self._dump_window(),
        }
        renderer = renderers.get(service)
        return renderer(args) if renderer else None

    # -- power / display ---------------------------------------------------------------------

    def _dump_power(self) -> str:
        awake = self._awake
        wakefulness = "Awake" if awake else "Asleep"
        locks = self._wake_lock_lines()
        raw = f"  mWakefulnessRaw={wakefulness}\n" if self.profile.sdk >= 31 else ""
        return (
            "POWER MANAGER (dumpsys power)\n\n"
            "Power Manager State:\n"
            "  Settings power_manager_constants:\n    no_cached_wake_locks=true\n"
            f"  mDirty=0x0\n  mWakefulness={wakefulness}\n{raw}"
            "  mWakefulnessChanging=false\n  mIsPowered=true\n  mPlugType=1\n"
            "  mBatteryLevel=100\n  mDockState=0\n  mStayOn=false\n  mProximityPositive=false\n"
            "  mBootCompleted=true\n  mSystemReady=true\n  mHalAutoSuspendModeEnabled=false\n"
            f"  mHalInteractiveModeEnabled={str(awake).lower()}\n"
            f"  mWakeLockSummary=0x{0x1 if locks else 0:x}\n"
            f"  mUserActivitySummary=0x{0x1 if awake else 0:x}\n"
            "  mRequestWaitForNegativeProximity=false\n  mSandmanScheduled=false\n"
            "  mBatteryLevelLow=false\n  mLightDeviceIdleMode=false\n  mDeviceIdleMode=false\n"
            # Stamps of the last transitions, not "now": two dumps of an idle device match.
            f"  mLastWakeTime={self._power_stamps['wake']}\n"
            f"  mLastSleepTime={self._power_stamps['sleep']}\n"
            "  mDisplayReady=true\n"
            f"  mHoldingWakeLockSuspendBlocker={str(bool(locks)).lower()}\n"
            f"  mHoldingDisplaySuspendBlocker={str(awake).lower()}\n\n"
            "Settings and Configuration:\n"
            f"  mScreenOffTimeoutSetting={self._settings['system'].get('screen_off_timeout', '')}\n"
            "  mStayOnWhilePluggedInSetting=0\n  mDreamsSupportedConfig=true\n\n"
            f"Wake Locks: size={len(locks)}\n{''.join(locks)}\n"
            "Suspend Blockers: size=4\n"
            f"  PowerManagerService.WakeLocks: ref count={int(bool(locks))}\n"
            f"  PowerManagerService.Display: ref count={int(awake)}\n"
            "  PowerManagerService.Broadcasts: ref count=0\n"
            "  PowerManagerService.WirelessChargerDetector: ref count=0\n\n"
            f"Display Power: state={'ON' if awake else 'OFF'}\n"
        )

    def _wake_lock_lines(self) -> list[str]:
        count = self._wake_lock_count()
        uid = self._uids.get(self._top.package, 1000)
        lines = [
            f"  SCREEN_BRIGHT_WAKE_LOCK        'WindowManager' ON_AFTER_RELEASE ACQ=-41s (uid={uid})\n",
            "  PARTIAL_WAKE_LOCK              'AudioMix' ACQ=-40s (uid=1041)\n",
        ]
        return lines[:count]

    def _dump_display(self) -> str:
        state = "ON" if self._awake else "OFF"
        width, height = self.profile.display_size
        return (
            "DISPLAY MANAGER (dumpsys display)\n"
            f"  mOnlyCore=false\n  mSafeMode=false\n  mGlobalDisplayState={state}\n"
            "  mDefaultDisplayDefaultColorMode=0\n\n"
            "Display Devices: size=1\n"
            f'  DisplayDeviceInfo{{"Built-in Screen": uniqueId="local:0", {width} x {height}, '
            f"modeId 1, defaultModeId 1, density {self.profile.density}, state {state}}}\n\n"
            "Display Power Controller Locked State:\n  mDisplayReadyLocked=true\n\n"
            "Display Power State:\n"
            f"  mScreenState={state}\n  mScreenBrightness=1.0\n"
        )

    # -- window / activity -------------------------------------------------------------------

    def _dump_window(self) -> str:
        lines = ["WINDOW MANAGER WINDOWS (dumpsys window windows)"]
        for number, task in enumerate(reversed(self._tasks[-2:])):
            uid = self._uids.get(task.package, 1000)
            lines += [
                f"  Window #{number} {task.window}:",
                (
                    f"    mDisplayId=0 rootTaskId={task.task_id} mSession=Session{{"
                    f"{_hex('s', task.package)} {self._processes.get(task.package, 0)}:"
                    f"{self._user(uid).replace('_', '')}}} mClient=android.os.BinderProxy@"
                    f"{_hex('c', task.task_id)}"
                ),
                f"    mOwnerUid={uid} showForAllUsers=false package={task.package} appop=NONE",
                (
                    f"    mHasSurface={str(number == 0 and self._awake).lower()} "
                    "isReadyForDisplay()=true mWindowRemovalAllowed=false"
                ),
            ]
        lines += [
            "",
            (
                f"  mGlobalConfiguration={{1.0 ?mcc?mnc [{self._locale()}] ldltr sw540dp "
                "w960dp h540dp 320dpi lrg long land television -touch qwerty/v/v -nav/h}"
            ),
            "  mHasPermanentDpad=true",
            "  mTopFocusedDisplayId=0",
        ]
        lines += self._focus_lines()
        return "\n".join(lines) + "\n"

    def _locale(self) -> str:
        return self._props.get("ro.product.locale", "en-US").replace("-", "_")

    def _focus_lines(self) -> list[str]:
        top = self._top
        window = top.window
        match self.profile.current_app_format:
            case CurrentAppFormat.APP_WINDOW_TOKEN:
                token = (
                    f"AppWindowToken{{{_hex('awt', top.task_id)} token=Token{{"
                    f"{_hex('tok', top.task_id)} {top.record}}}}}"
                )
                return [
                    f"  mInputMethodTarget={window}",
                    "  mInputMethodWindow=null",
                    f"  mCurrentFocus={window}",
                    f"  mFocusedApp={token}",
                ]
            case CurrentAppFormat.INPUT_METHOD_TARGET:
                return [
                    f"  mInputMethodTarget={window}",
                    f"  mInputMethodInputTarget={window}",
                    "  mInputMethodWindow=null",
                    f"  mCurrentFocus={window}",
                    f"  mFocusedApp={top.record}",
                ]
            case _:
                return [
                    f"  mCurrentFocus={window}",
                    f"  mFocusedApp={top.record}",
                    f"  imeLayeringTarget in display# 0 {window}",
                    f"  imeInputTarget in display# 0 {window}",
                    f"  imeControlTarget in display# 0 {window}",
                ]

    def _dump_activity(self, args: list[str]) -> str:
        section = args[0] if args else ""
        sections: dict[str, Callable[[], str]] = {
            "activities": self._dump_activities,
            "a": self._dump_activities,
            "starter": self._dump_starter,
            "top": self._dump_top,
            "processes": self._dump_processes,
            "p": self._dump_processes,
            "recents": self._dump_recents,
            "r": self._dump_recents,
        }
        if section in sections:
            return sections[section]()
        if not section:
            return self._dump_activities() + "\n" + self._dump_starter()
        return self._dump_activities()

    def _task_lines(self, task: _Task, top: bool) -> list[str]:
        uid = self._uids.get(task.package, 1000)
        pid = self._processes.get(task.package, 0)
        kind = "home" if task.package == self.profile.launcher_package else "standard"
        header = (
            f"  * TaskRecord{{{_hex('tr', task.task_id)} #{task.task_id} A={task.package} "
            f"U=0 StackId={task.task_id} sz=1}}"
            if self.profile.sdk <= 29
            else f"  * Task{{{_hex('t', task.task_id)} #{task.task_id} type={kind} "
            f"A={uid}:{task.package} U=0 visible={str(top).lower()} mode=fullscreen "
            "translucent=false sz=1}"
        )
        lines = [
            header,
            (
                f"    userId=0 effectiveUid={self._user(uid).replace('_', '')} "
                "mCallingUid=2000 mUserSetupComplete=true mCallingPackage=null"
            ),
            f"    affinity={task.package}",
            f"    intent={{{task.intent.describe(secure=False)[len('Intent { ') : -2]}}}",
            f"    realActivity={task.short}",
            f"    isSleeping={str(not self._awake).lower()}",
            f"    * Hist #0: {task.record}",
            f"        packageName={task.package} processName={task.package}",
            f"        launchedFromUid={task.launched_from_uid} launchedFromPackage=null userId=0",
            (
                f"        app=ProcessRecord{{{_hex('pr', pid)} {pid}:{task.package}/"
                f"{self._user(uid).replace('_', '')}}}"
            ),
            f"        {task.intent.describe(secure=False)}",
        ]
        if top and self._awake:
            lines.append(f"    mResumedActivity: {task.record}")
        elif top:
            lines.append(f"    mLastPausedActivity: {task.record}")
        return lines

    def _dump_activities(self) -> str:
        lines = [
            "ACTIVITY MANAGER ACTIVITIES (dumpsys activity activities)",
            "Display #0 (activities from top to bottom):",
        ]
        for task in reversed(self._tasks):
            lines += ["", *self._task_lines(task, task is self._top)]
        lines.append("")
        if self._awake and self.profile.sdk >= 29:
            lines.append(f"  ResumedActivity: {self._top.record}")
        lines += [
            f"  mCurTaskIdForUser={{0={self._ids['task']}}}",
            "  mUserStackInFront={}",
            "  isHomeRecentsComponent=true",
            "  KeyguardController:",
            "    mKeyguardShowing=false",
            "    mAodShowing=false",
        ]
        return "\n".join(lines) + "\n"

    def _dump_starter(self) -> str:
        lines = [
            "ACTIVITY MANAGER STARTER (dumpsys activity starter)",
            "  ActivityStarter:",
            "    mCurrentUser=0",
        ]
        record = self._last_start
        if record is not None:
            lines += [
                "    mLastStartReason=startActivityAsUser",
                f"    mLastStartActivityTimeMs={record.wall_time}",
                "    mLastStartActivityResult=0",
                "    mLastStartActivityRecord:",
                f"     {record.task.record}",
                f"      packageName={record.task.package} processName={record.task.package}",
                (
                    f"      launchedFromUid={record.task.launched_from_uid} "
                    "launchedFromPackage=null userId=0"
                ),
                f"      {record.intent.describe(abbreviate=self.profile.sdk >= 30)}",
            ]
        home = self._task_of(self.profile.launcher_package)
        if home is not None:
            lines += [
                "    mLastHomeActivityStartResult=0",
                "    mLastHomeActivityStartRecord:",
                f"     {home.record}",
            ]
        lines.append("  mPendingActivityLaunches=[]")
        return "\n".join(lines) + "\n"

    def _dump_top(self) -> str:
        top = self._top
        pid = self._processes.get(top.package, 0)
        return (
            f"TASK {top.package} id={top.task_id} userId=0\n"
            f"  ACTIVITY {top.short} {_hex('ar', top.task_id, top.activity)} pid={pid}\n"
        )

    def _dump_recents(self) -> str:
        lines = ["ACTIVITY MANAGER RECENT TASKS (dumpsys activity recents)", "  Recent tasks:"]
        lines += [
            f"  * Recent #{n}: Task{{{_hex('t', task.task_id)} #{task.task_id} "
            f"A={task.package} U=0 sz=1}}"
            for n, task in enumerate(reversed(self._tasks))
        ]
        return "\n".join(lines) + "\n"

    def _dump_processes(self) -> str:
        lines = [
            "ACTIVITY MANAGER RUNNING PROCESSES (dumpsys activity processes)",
            f"  All known processes: {len(self._processes)}",
        ]
        for package, pid in self._processes.items():
            uid = self._uids.get(package, 1000)
            lines.append(
                f"  *APP* UID {uid} ProcessRecord{{{_hex('pr', pid)} {pid}:{package}/"
                f"{self._user(uid).replace('_', '')}}}"
            )
        return "\n".join(lines) + "\n"

    # -- audio / media -----------------------------------------------------------------------

    def _dump_audio(self) -> str:
        return (
            self._audio_focus()
            + "\nStream volumes (device: index)\n"
            + "".join(self._stream_block(stream) for stream in STREAMS)
            + "\nRinger mode:\n- mode (internal) = NORMAL\n- mode (external) = NORMAL\n"
            + "\nAudio routes:\n  mMainType=0x0\n  mBluetoothName=null\n"
            + self._playback_activity()
        )

    def _audio_focus(self) -> str:
        lines = ["\nAudio Focus stack entries (last is top of stack):"]
        for session in self._sessions.values():
            if session.state is PlaybackState.PLAYING:
                uid = self._uids.get(session.package, 1000)
                lines.append(
                    f"  source:android.os.BinderProxy@{_hex('f', session.piid)} -- "
                    f"pack: {session.package} -- client: android.media.AudioManager@"
                    f"{_hex('am', session.piid)} -- gain: GAIN -- flags:  -- loss: "
                    f"none -- notified: true -- uid: {uid} -- attr: AudioAttributes: "
                    "usage=USAGE_MEDIA content=CONTENT_TYPE_MOVIE flags=0x800 tags= "
                    f"bundle=null -- sdk:{self.profile.sdk}"
                )
        lines.append(" No external focus policy")
        return "\n".join(lines) + "\n"

    def _stream_block(self, stream: int) -> str:
        name = STREAMS[stream][0]
        low, high = self._stream_range(stream)
        index = self._stream_volume(stream)
        muted = self._muted if stream == STREAM_MUSIC else False
        device, code = self.profile.audio_device, self.profile.audio_device_code
        stream_volume = (
            f"   streamVolume:{0 if muted else index}\n" if self.profile.sdk >= 30 else ""
        )
        return (
            f"- {name}:\n   Muted: {str(muted).lower()}\n   Min: {low}\n   Max: {high}\n"
            f"{stream_volume}   Current: {code:x} ({device}): {index}, "
            f"40000000 (default): {index}\n   Devices: {device}\n"
        )

    def _playback_activity(self) -> str:
        lines = ["", "Playback activity:", "  players:"]
        for session in self._sessions.values():
            uid = self._uids.get(session.package, 1000)
            pid = self._processes.get(session.package, 0)
            word = {PlaybackState.PLAYING: "started", PlaybackState.PAUSED: "paused"}.get(
                session.state, "stopped"
            )
            lines.append(
                f"  AudioPlaybackConfiguration piid:{session.piid} "
                f"type:android.media.AudioTrack u/pid:{uid}/{pid} state:{word} "
                "attr:AudioAttributes: usage=USAGE_MEDIA content=CONTENT_TYPE_MOVIE "
                "flags=0x800 tags= bundle=null"
            )
        lines += ["  ducked players piids:", "  muted player piids:"]
        if self.profile.sdk >= 30:
            # Android 11+ keeps an event log; python-androidtv's CMD_AUDIO_STATE11 reads its tail.
            lines += [
                "",
                "  playback activity as reported through PlayerBase:",
                *self._audio_events,
            ]
        return "\n".join(lines) + "\n"

    def _dump_media_session(self) -> str:
        sessions = sorted(self._sessions.values(), key=lambda s: -s.updated_ms)
        top = next((s for s in sessions if s.state is PlaybackState.PLAYING), None)
        button = f"{top.package}/{top.package.rsplit('.', 1)[-1]}" if top else "null"
        lines = [
            "MEDIA SESSION SERVICE (dumpsys media_session)",
            "",
            f"  Media button session is {button} (userId=0)",
            f"  Sessions Stack - have {len(sessions)} sessions:",
        ]
        for session in sessions:
            lines += self._session_lines(session)
        lines += ["Audio playback (lastly played comes first)"]
        lines += [
            f"  uid={self._uids.get(s.package, 0)} packages={s.package}"
            for s in sessions
            if s.state is PlaybackState.PLAYING
        ]
        return "\n".join(lines) + "\n"

    def _session_lines(self, session: _Session) -> list[str]:
        tag = session.package.rsplit(".", 1)[-1]
        uid = self._uids.get(session.package, 0)
        speed = "1.0" if session.state is PlaybackState.PLAYING else "0.0"
        return [
            f"    {tag} {session.package}/{tag} (userId=0)",
            f"      ownerPid={self._processes.get(session.package, 0)}, ownerUid={uid}, userId=0",
            f"      package={session.package}",
            "      launchIntent=null",
            "      mediaButtonReceiver=null",
            "      active=true",
            "      flags=3",
            "      rating type=0",
            "      controllers: 1",
            (
                f"      state=PlaybackState {{state={session.state.value}, position=0, buffered "
                f"position=0, speed={speed}, updated={session.updated_ms}, actions=3669967, custom "
                "actions=[], active item id=-1, error=null}"
            ),
            (
                "      audioAttrs=AudioAttributes: usage=USAGE_MEDIA content=CONTENT_TYPE_UNKNOWN "
                "flags=0x0 tags= bundle=null"
            ),
            "      volumeType=1, controlType=2, max=0, current=0",
            "      metadata: size=2, description=null",
            "      queueTitle=null, size=0",
        ]

    # -- tv inputs ---------------------------------------------------------------------------

    def _dump_tv_input(self) -> str:
        lines = [
            "User Ids (Current user: 0):",
            "  0",
            "",
            "UserState (0):",
            "  inputMap: inputId -> TvInputState",
        ]
        for hdmi in self.profile.hdmi_inputs:
            package, _, service = hdmi.input_id.partition("/")
            lines.append(
                f"    {hdmi.input_id}: info: TvInputInfo{{id={hdmi.input_id}, "
                f"pkg={package}, service={_full_class(package, service.split('/')[0])}}}"
                "; state: 0"
            )
        packages = sorted({hdmi.input_id.split("/")[0] for hdmi in self.profile.hdmi_inputs})
        lines += ["  packageSet:", *[f"    {p}" for p in packages]]
        lines += self._session_state_lines()
        lines += self._hardware_lines()
        return "\n".join(lines) + "\n"

    def _session_state_lines(self) -> list[str]:
        lines = ["  sessionStateMap: ITvInputSession -> SessionState"]
        active = self._active_input()
        if active is not None:
            uid = self._uids.get(self._top.package, 1000)
            token = _hex("session", self._top.task_id, active.input_id)
            lines += [
                f"    android.os.Binder@{token}:",
                f"      inputId: {active.input_id}",
                "      client: android.os.BinderProxy@" + _hex("client", token),
                "      seq: 1",
                f"      callingUid: {uid}",
                "      userId: 0",
                f"      sessionToken: android.os.Binder@{token}",
                "      session: android.os.BinderProxy@" + _hex("proxy", token),
                "      logUri: null",
                "      hardwareSessionToken: android.os.Binder@" + _hex("hw", token),
            ]
        lines.append(
            "  mMainSessionToken: "
            + (
                "android.os.Binder@" + _hex("session", self._top.task_id, active.input_id)
                if active
                else "null"
            )
        )
        return lines

    def _hardware_lines(self) -> list[str]:
        """TvInputHardwareManager connections; Android 11+ adds the tuner resource profile."""
        active = self._active_input()
        lines = ["", "TvInputHardwareManager Info:", "  mConnections: deviceId -> Connection"]
        for hdmi in self.profile.hdmi_inputs:
            package, _, service = hdmi.input_id.partition("/")
            info = (
                f"TvInputHardwareInfo {{id={hdmi.device_id}, type=9, audio_type=0, "
                f"audio_addr=, hdmi_port={hdmi.port}, cable_connection_status=1}}"
            )
            used = hdmi is active
            callback = f"android.os.BinderProxy@{_hex('cb', hdmi.device_id)}" if used else "null"
            profile = ""
            if self.profile.sdk >= 30:
                profile = (
                    ", mResourceClientProfile: ResourceClientProfile {tvInputSessionId="
                    f"{_hex('sid', hdmi.device_id)}, useCase=500}}"
                    if used
                    else ", mResourceClientProfile: null"
                )
            lines.append(
                f"    {hdmi.device_id}: Connection{{ mHardwareInfo: {info}, mInfo: TvInputInfo{{"
                f"id={hdmi.input_id}, pkg={package}, service="
                f"{_full_class(package, service.split('/')[0])}}}, mCallback: {callback}, "
                f"mConfigs: [], mCallingUid: {1000 if used else 'null'}, mResolvedUserId: "
                f"{0 if used else 'null'}{profile} }}"
            )
        return lines

    # -- packages ----------------------------------------------------------------------------

    def _dump_package(self, args: list[str]) -> str:
        app = self.profile.app(args[0]) if args else None
        if app is None:
            return "\nDexopt state:\n  Unable to find package: " + (args[0] if args else "") + "\n"
        uid = self._uids[app.package]
        code_path = self._code_path(app).rsplit("/", 1)[0]
        return (
            "Packages:\n"
            f"  Package [{app.package}] ({_hex('pkg', app.package)}):\n"
            f"    userId={uid}\n"
            f"    pkg=Package{{{_hex('p', app.package)} {app.package}}}\n"
            f"    codePath={code_path}\n"
            f"    versionCode={zlib.crc32(app.version.encode()) % 100000} minSdk=21 "
            f"targetSdk={self.profile.sdk}\n"
            f"    versionName={app.version}\n"
            f"    flags=[ {'SYSTEM ' if app.system else ''}HAS_CODE ALLOW_CLEAR_USER_DATA ]\n"
            "    User 0: ceDataInode=0 installed=true hidden=false suspended=false "
            f"stopped={str(app.package not in self._processes).lower()} notLaunched=false "
            "enabled=0 instant=false virtual=false\n"
        )

    @staticmethod
    def _code_path(app: App) -> str:
        if app.system:
            name = app.package.rsplit(".", 1)[-1]
            return f"/system/app/{name}/{name}.apk"
        return f"/data/app/{app.package}-1/base.apk"


class _Tools(_Dumps):
    """The Android command-line tools, argv in, ToolReply out."""

    def _tool(self, argv: list[str]) -> ToolReply:
        """Answer one tool invocation (called by the tool server for every process)."""
        self.tool_calls.append(tuple(argv))
        name, args = argv[0], argv[1:]
        impl = self._tool_table().get(name)
        if impl is None:
            return _ok(err=f"/system/bin/sh: {name}: inaccessible or not found\n", code=127)
        try:
            return impl(args)
        except _UsageError as err:
            return _ok(err=f"{err}\n", code=err.code)

    def _tool_names(self) -> tuple[str, ...]:
        return BASE_TOOLS + self.profile.extra_tools

    def _tool_table(self) -> dict[str, Callable[[list[str]], ToolReply]]:
        table: dict[str, Callable[[list[str]], ToolReply]] = {
            "dumpsys": self._dumpsys,
            "getprop": self._getprop,
            "setprop": self._setprop,
            "settings": self._settings_tool,
            "input": self._input,
            "cmd": self._cmd,
            "am": self._am,
            "pm": self._pm,
            "monkey": self._monkey,
            "media": self._media,
            "screencap": self._screencap,
            "ip": self._ip,
            "ps": self._ps,
            "wm": self._wm,
            "reboot": self._reboot,
        }
        return {name: table[name] for name in self._tool_names() if name in table}

    # -- dumpsys -----------------------------------------------------------------------------

    def _dumpsys(self, args: list[str]) -> ToolReply:
        while args and args[0] in ("-t", "--priority"):
            args = args[2:]
        if args[:1] == ["-l"]:
            return _ok(
                "Currently running services:\n" + "".join(f"  {s}\n" for s in DUMPSYS_SERVICES)
            )
        if not args:
            return _ok("".join(self._dump_all()))
        text = self._dump(args[0], args[1:])
        if text is None:
            return _ok(err=f"Can't find service: {args[0]}\n")
        return _ok(text)

    def _dump_all(self) -> Iterator[str]:
        rule = "-" * 79
        for service in DUMPSYS_SERVICES:
            yield f"{rule}\nDUMP OF SERVICE {service}:\n{self._dump(service, []) or ''}"
            yield f"--------- 0.004s was the duration of dumpsys {service}\n"

    # -- properties and settings -------------------------------------------------------------

    def _getprop(self, args: list[str]) -> ToolReply:
        if not args:
            return _ok("".join(f"[{k}]: [{v}]\n" for k, v in sorted(self._props.items())))
        default = args[1] if len(args) > 1 else ""
        return _ok(self._props.get(args[0], default) + "\n")

    def _setprop(self, args: list[str]) -> ToolReply:
        if len(args) != 2:
            raise _UsageError("usage: setprop NAME VALUE\n\nSets an Android system property.", 1)
        name, value = args
        if not name.startswith(SHELL_WRITABLE_PROPS):
            return _ok(
                err=f"Failed to set property '{name}' to '{value}'.\nSee dmesg for error reason.\n",
                code=1,
            )
        self._props[name] = value
        return _ok()

    def _settings_tool(self, args: list[str]) -> ToolReply:
        while args[:1] == ["--user"]:
            args = args[2:]
        if len(args) < 2:
            raise _UsageError("usage:  settings [--user <USER_ID> | current] get namespace key")
        verb, namespace, rest = args[0], args[1], args[2:]
        table = self._settings.get(namespace)
        if table is None:
            raise _UsageError(f"Invalid namespace '{namespace}'")
        if verb == "list":
            return _ok("".join(f"{k}={v}\n" for k, v in sorted(table.items())))
        if not rest:
            raise _UsageError(f"Error: key required for {verb}")
        return self._settings_verb(verb, table, rest)

    @staticmethod
    def _settings_verb(verb: str, table: dict[str, str], rest: list[str]) -> ToolReply:
        key = rest[0]
        match verb:
            case "get":
                return _ok(table.get(key, "null") + "\n")
            case "put" if len(rest) >= 2:
                table[key] = rest[1]
                return _ok()
            case "delete":
                return _ok(f"Deleted {int(table.pop(key, None) is not None)} rows\n")
        raise _UsageError(f"Invalid command: {verb}")

    # -- input -------------------------------------------------------------------------------

    def _input(self, args: list[str]) -> ToolReply:
        if args[:1] and args[0] in INPUT_SOURCES:
            args = args[1:]
        if args[:1] == ["-d"]:
            args = args[2:]
        if not args:
            raise _UsageError("Usage: input [<source>] [-d DISPLAY_ID] <command> [<arg>...]", 1)
        command, rest = args[0], args[1:]
        if command == "keyevent":
            return self._keyevent(rest)
        if command == "text" and rest:
            self.typed_text.append(" ".join(rest).replace("%s", " "))
            return _ok()
        if command in (
            "tap",
            "swipe",
            "draganddrop",
            "press",
            "roll",
            "motionevent",
            "keycombination",
        ):
            return _ok()
        raise _UsageError(f"Error: Unknown command: {command}", 1)

    def _keyevent(self, args: list[str]) -> ToolReply:
        codes = [arg for arg in args if not arg.startswith("--")]
        if not codes:
            raise _UsageError("Error: Invalid arguments for command: keyevent", 1)
        for code in codes:
            self._handle_key(self._keycode(code))
        return _ok()

    @staticmethod
    def _keycode(text: str) -> int:
        if text.isdigit():
            return int(text)
        return KEY_NAMES.get(text.removeprefix("KEYCODE_"), 0)

    # -- cmd ---------------------------------------------------------------------------------

    def _cmd(self, args: list[str]) -> ToolReply:
        if not args or args[0] == "-l":
            services = ["activity", "input", "media_session", "package", "power", "settings"]
            return _ok("Currently running services:\n" + "".join(f"  {s}\n" for s in services))
        service, rest = args[0], args[1:]
        sdk = self.profile.sdk
        handlers: dict[str, Callable[[list[str]], ToolReply]] = {
            "activity": self._am,
            "package": self._pm,
            "settings": self._settings_tool,
            "input": self._input if sdk >= 30 else self._no_shell_command,
            "media_session": self._media_session if sdk >= 30 else self._no_shell_command,
            "power": self._no_shell_command,
        }
        handler = handlers.get(service)
        if handler is None:
            return _ok(err=f"cmd: Can't find service: {service}\n", code=20)
        return handler(rest)

    @staticmethod
    def _no_shell_command(_: list[str]) -> ToolReply:
        return _ok(err="No shell command implementation.\n", code=255)

    # -- volume (AOSP VolumeCtrl, behind `media volume` and `cmd media_session volume`) --------

    def _media(self, args: list[str]) -> ToolReply:
        return self._media_session(args)

    def _media_session(self, args: list[str]) -> ToolReply:
        if args[:1] == ["volume"]:
            return self._volume_ctrl(args[1:])
        if args[:1] == ["dispatch"] and len(args) > 1:
            self._media_key(args[1])
            return _ok()
        raise _UsageError(f"Unknown command: {args[0] if args else ''}")

    def _volume_ctrl(self, args: list[str]) -> ToolReply:
        stream, mode, value = STREAM_MUSIC, "", ""
        it = iter(args)
        for arg in it:
            if arg == "--stream":
                stream = self._int_arg(next(it, ""), arg)
            elif arg in ("--set", "--adj"):
                mode, value = arg, next(it, "")
            elif arg == "--get":
                mode = arg
            elif arg != "--show":
                return _ok(err=f"Error: Unknown argument {arg}\n", code=1)
        if stream not in STREAMS:
            return _ok(err=f"Error: invalid stream {stream}\n", code=1)
        return self._volume_apply(stream, mode, value)

    @staticmethod
    def _int_arg(text: str, option: str) -> int:
        try:
            return int(text)
        except ValueError as err:
            raise _UsageError(f"Error: invalid value for {option}: {text}", 1) from err

    def _volume_apply(self, stream: int, mode: str, value: str) -> ToolReply:
        name = STREAMS[stream][0]
        out = [f"[V] will control stream={stream} ({name})"]
        low, high = self._stream_range(stream)
        if mode == "--set":
            index = self._int_arg(value, mode)
            out += [f"[V] will set volume to index={index}", "[V] Connecting to AudioService"]
            if not low <= index <= high:
                error = (
                    f"Error: invalid volume index {index} for stream {stream} "
                    f"(should be in [{low}..{high}])\n"
                )
                return _ok("\n".join(out) + "\n", error)
            self._set_stream_volume(stream, index)
        elif mode == "--adj":
            step = {"raise": 1, "lower": -1, "same": 0}.get(value)
            if step is None:
                return _ok(err=f"Error: Invalid adjustment: {value}\n", code=1)
            out += ["[V] will adjust volume", "[V] Connecting to AudioService"]
            index = min(max(self._stream_volume(stream) + step, low), high)
            self._set_stream_volume(stream, index)
        elif mode == "--get":
            out += [
                "[V] will get volume",
                "[V] Connecting to AudioService",
                f"[V] volume is {self._stream_volume(stream)} in range [{low}..{high}]",
            ]
        else:
            out.append("[V] Connecting to AudioService")
        return _ok("\n".join(out) + "\n")

    # -- am ----------------------------------------------------------------------------------

    def _am(self, args: list[str]) -> ToolReply:
        if not args:
            raise _UsageError("Activity manager (activity) commands:", 255)
        verb, rest = args[0], args[1:]
        verbs: dict[str, Callable[[list[str]], ToolReply]] = {
            "start": self._am_start,
            "start-activity": self._am_start,
            "startservice": self._am_service,
            "start-service": self._am_service,
            "start-foreground-service": self._am_service,
            "broadcast": self._am_broadcast,
            "force-stop": self._am_force_stop,
            "kill": self._am_kill,
        }
        handler = verbs.get(verb)
        if handler is None:
            return _ok(err=f"Unknown command: {verb}\n", code=255)
        return handler(rest)

    def _resolve(self, intent: _Intent) -> tuple[App, Activity] | str:
        """Find the activity for an intent; a string names the failure."""
        if intent.component is not None:
            package, _, cls = intent.component.partition("/")
            app = self.profile.app(package)
            found = (
                next((a for a in app.activities if _full_class(package, a.name) == cls), None)
                if app
                else None
            )
            return (app, found) if app and found else "class"
        for app in self.profile.apps:
            if intent.package not in (None, app.package):
                continue
            for activity in app.activities:
                if self._matches(app, activity, intent):
                    return app, activity
        return "unresolved"

    def _matches(self, app: App, activity: Activity, intent: _Intent) -> bool:
        if intent.action is None or intent.action not in activity.actions:
            return False
        categories = {"android.intent.category.DEFAULT"}
        if activity is app.activities[0]:
            categories |= {
                c for c in (CATEGORY_LAUNCHER, CATEGORY_LEANBACK) if self._has_category(app, c)
            }
        if not set(intent.categories) <= categories:
            return False
        if intent.data is None:
            return not activity.data_prefixes
        return any(intent.data.startswith(prefix) for prefix in activity.data_prefixes)

    def _am_start(self, args: list[str]) -> ToolReply:
        intent = _parse_intent(args)
        text = intent.describe(abbreviate=self.profile.sdk >= 30)
        out = [f"Starting: {text}"]
        resolved = self._resolve(intent)
        if resolved == "class" and intent.component:
            package, _, cls = intent.component.partition("/")
            return _ok(
                out[0] + "\n",
                f"Error type 3\nError: Activity class {{{package}/{cls}}} does not exist.\n",
            )
        if isinstance(resolved, str):
            return _ok(out[0] + "\n", f"Error: Activity not started, unable to resolve {text}\n")
        app, activity = resolved
        delivered = self._start(app, activity, intent)
        err = (
            "Warning: Activity not started, intent has been delivered to currently running "
            "top-most instance.\n"
            if delivered
            else ""
        )
        if intent.wait:
            out += [
                "Status: ok",
                "LaunchState: " + ("UNKNOWN (0)" if delivered else "COLD"),
                f"Activity: {self._top.short}",
                "TotalTime: 412",
                "WaitTime: 418",
                "Complete",
            ]
        return _ok("\n".join(out) + "\n", err)

    def _am_service(self, args: list[str]) -> ToolReply:
        intent = _parse_intent(args)
        text = intent.describe(abbreviate=self.profile.sdk >= 30)
        package = intent.package or (intent.component or "").split("/")[0]
        if self.profile.app(package) is None:
            return _ok(f"Starting service: {text}\n", "Error: Not found; no service started.\n")
        if (
            package == self.profile.power_menu_service
            and intent.action == "com.xgimi.action.WINODWSYSTEM"
        ):
            self._power_menu()
        return _ok(f"Starting service: {text}\n")

    def _power_menu(self) -> None:
        """XGIMI's power menu: a second request while it is open turns the projector off."""
        now = time.monotonic()
        if self._power_menu_at is not None and now - self._power_menu_at < 3.0:
            self._power_menu_at = None
            self._set_power(PowerState.STANDBY)
        else:
            self._power_menu_at = now

    def _am_broadcast(self, args: list[str]) -> ToolReply:
        text = _parse_intent(args).describe(abbreviate=self.profile.sdk >= 30)
        return _ok(f"Broadcasting: {text}\nBroadcast completed: result=0\n")

    def _am_force_stop(self, args: list[str]) -> ToolReply:
        packages = [arg for arg in args if not arg.startswith("--")]
        if args[:1] == ["--user"]:
            packages = packages[1:]
        for package in packages:
            self._force_stop(package)
        return _ok()

    def _am_kill(self, args: list[str]) -> ToolReply:
        for package in args:
            app = self.profile.app(package)
            if app and not app.persistent and package != self._top.package:
                self._processes.pop(package, None)
        return _ok()

    # -- monkey ------------------------------------------------------------------------------

    def _monkey(self, args: list[str]) -> ToolReply:
        packages, categories, count = self._monkey_args(args)
        echo = "".join(f"  bash arg: {arg}\n" for arg in args)
        echo += f"args: [{', '.join(args)}]\n" + "".join(f' arg: "{a}"\n' for a in args)
        echo += "".join(f'data="{value}"\n' for value in (*packages, *categories))
        category_list = categories or [CATEGORY_LAUNCHER]
        for package in packages:
            app = self.profile.app(package)
            if app and any(self._launch_main(app, c, 2000) for c in category_list):
                return _ok(
                    echo + f"Events injected: {count}\n"
                    "## Network stats: elapsed time=31ms (0ms mobile, 0ms wifi, "
                    "31ms not connected)\n"
                )
        return _ok(
            echo, "** No activities found to run, monkey aborted.\n", MONKEY_EXIT_NO_ACTIVITIES
        )

    @staticmethod
    def _monkey_args(args: list[str]) -> tuple[list[str], list[str], int]:
        packages: list[str] = []
        categories: list[str] = []
        count = 0
        it = iter(args)
        for arg in it:
            if arg == "-p":
                packages.append(next(it, ""))
            elif arg == "-c":
                categories.append(next(it, ""))
            elif arg.startswith("--pct-") or arg in ("-s", "--throttle", "--seed"):
                next(it, None)
            elif arg.isdigit():
                count = int(arg)
        return packages, categories, count

    # -- pm ----------------------------------------------------------------------------------

    def _pm(self, args: list[str]) -> ToolReply:
        verb, rest = (args[0], args[1:]) if args else ("", [])
        if verb == "list" and rest[:1] == ["packages"]:
            return self._pm_list(rest[1:])
        if verb == "path" and rest:
            app = self.profile.app(rest[-1])
            return _ok(f"package:{self._code_path(app)}\n") if app else _ok(code=1)
        if verb == "resolve-activity":
            return self._pm_resolve(rest)
        if verb == "dump" and rest:
            return _ok(self._dump_package(rest))
        if verb == "clear" and rest:
            self._force_stop(rest[-1])
            return _ok("Success\n")
        return _ok(err=f"Unknown command: {verb}\n", code=255)

    def _pm_list(self, args: list[str]) -> ToolReply:
        flags = {arg for arg in args if arg.startswith("-")}
        needle = next((arg for arg in args if not arg.startswith("-")), "")
        lines = []
        for app in self.profile.apps:
            if (
                ("-3" in flags and app.system)
                or ("-s" in flags and not app.system)
                or "-d" in flags
                or needle not in app.package
            ):
                continue
            path = f"{self._code_path(app)}=" if "-f" in flags else ""
            uid = f" uid:{self._uids[app.package]}" if "-U" in flags else ""
            lines.append(f"package:{path}{app.package}{uid}\n")
        return _ok("".join(lines))

    def _pm_resolve(self, args: list[str]) -> ToolReply:
        brief = "--brief" in args
        rest = [arg for arg in args if arg not in ("--brief", "--components")]
        intent = _parse_intent(rest)
        app = self.profile.app(intent.package or (intent.component or "").split("/")[0])
        categories = intent.categories or [CATEGORY_LAUNCHER, CATEGORY_LEANBACK]
        if (
            app is None
            or not app.activities
            or not any(self._has_category(app, c) for c in categories)
        ):
            return _ok("No activity found\n")
        component = _short_component(
            f"{app.package}/{_full_class(app.package, app.activities[0].name)}"
        )
        info = "priority=0 preferredOrder=0 match=0x108000 specificIndex=-1 isDefault=false"
        if brief:
            return _ok(f"{info}\n{component}\n")
        return _ok(f"Activity Resolver:\n  {info}\n  ActivityInfo:\n    name={component}\n")

    # -- screencap / wm / reboot -------------------------------------------------------------

    def _screencap(self, args: list[str]) -> ToolReply:
        png = "-p" in args
        files = [arg for arg in args if not arg.startswith("-")]
        if "-d" in args:
            files = files[1:]
        colour = (24, 24, 32) if self._awake else (0, 0, 0)
        width, height = 16, 9  # scaled down on purpose: tests want bytes, not pixels
        if files:
            path = files[0]
            image = (
                _tiny_png(width, height, colour)
                if png or path.endswith(".png")
                else self._raw_frame(width, height, colour)
            )
            return ToolReply(files=((path, image),))
        image = _tiny_png(width, height, colour) if png else self._raw_frame(width, height, colour)
        return ToolReply(stdout=image)

    @staticmethod
    def _raw_frame(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
        """`screencap` without -p: width, height, format (RGBA_8888 = 1), then pixels."""
        return struct.pack("<III", width, height, 1) + bytes((*colour, 255)) * (width * height)

    def _wm(self, args: list[str]) -> ToolReply:
        width, height = self.profile.display_size
        if args[:1] == ["size"]:
            return _ok(f"Physical size: {width}x{height}\n")
        if args[:1] == ["density"]:
            return _ok(f"Physical density: {self.profile.density}\n")
        return _ok(err=f"Unknown command: {args[0] if args else ''}\n", code=255)

    def _reboot(self, args: list[str]) -> ToolReply:
        if "-p" in args or args[:1] == ["shutdown"]:
            self._set_power(PowerState.UNPOWERED)
            return _ok()
        loop = asyncio.get_running_loop()
        if self.on_reboot_request is not None:
            task = loop.create_task(self.on_reboot_request())
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            return _ok()
        self._set_power(PowerState.UNPOWERED)
        loop.call_later(self.reboot_duration_s, self._finish_reboot)
        return _ok()

    def _finish_reboot(self) -> None:
        if self._power is PowerState.UNPOWERED:
            self._boot()
            self._set_power(PowerState.ON)

    # -- ip / ps -----------------------------------------------------------------------------

    def _ip(self, args: list[str]) -> ToolReply:
        args = [arg for arg in args if arg not in ("-4", "-6", "-o")]
        obj = args[0] if args else ""
        if obj in ("a", "addr", "address", "l", "link") or obj.startswith(("addr", "li")):
            rest = [arg for arg in args[1:] if arg not in ("show", "list", "dev")]
            return self._ip_show(rest[0] if rest else None, link_only=obj[0] == "l")
        if obj in ("r", "route"):
            return _ok(self._routes())
        return _ok(err=f'Object "{obj}" is unknown, try "ip help".\n', code=255)

    def _ip_show(self, name: str | None, *, link_only: bool) -> ToolReply:
        interfaces = [
            NetInterface("lo", "00:00:00:00:00:00", "127.0.0.1/8", 1),
            *self.profile.interfaces,
        ]
        chosen = [i for i in interfaces if name in (None, i.name)]
        if not chosen:
            return _ok(err=f'Device "{name}" does not exist.\n', code=1)
        return _ok("".join(_ip_block(i, link_only) for i in chosen))

    def _routes(self) -> str:
        lines = []
        for iface in self.profile.interfaces:
            if iface.ipv4:
                net = ipaddress.ip_interface(iface.ipv4)
                lines.append(
                    f"{net.network} dev {iface.name} proto kernel scope link src {net.ip}\n"
                )
        return "".join(lines)

    def _ps(self, args: list[str]) -> ToolReply:
        every = any(flag in args for flag in ("-A", "-e", "-ef", "-Af", "-a"))
        rows = [("USER", "PID", "PPID", "VSZ", "RSS", "WCHAN", "ADDR", "S", "NAME")]
        shell_pid = 9000 + len(self.tool_calls)
        if every:
            rows += [
                (user, str(pid), str(ppid), "2193872", "6832", "SyS_epoll_wait", "0", "S", name)
                for user, pid, ppid, name in _SYSTEM_PROCESSES
            ]
            rows += [
                (
                    self._user(self._uids.get(package, 1000)),
                    str(pid),
                    "320",
                    "1523448",
                    "96212",
                    "SyS_epoll_wait",
                    "0",
                    "S",
                    package,
                )
                for package, pid in sorted(self._processes.items(), key=lambda kv: kv[1])
            ]
        rows += [
            ("shell", str(shell_pid), "410", "10928", "2712", "sigsuspend", "0", "S", "sh"),
            ("shell", str(shell_pid + 1), str(shell_pid), "11864", "2988", "0", "0", "R", "ps"),
        ]
        return _ok("".join(_ps_row(row) for row in rows))


_SYSTEM_PROCESSES = (
    ("root", 1, 0, "init"),
    ("root", 2, 0, "[kthreadd]"),
    ("logd", 190, 1, "logd"),
    ("system", 230, 1, "servicemanager"),
    ("system", 231, 1, "hwservicemanager"),
    ("root", 260, 1, "vold"),
    ("system", 290, 1, "surfaceflinger"),
    ("root", 320, 1, "zygote"),
    ("audioserver", 360, 1, "audioserver"),
    ("media", 370, 1, "media.codec"),
    ("shell", 410, 1, "adbd"),
    ("system", 700, 320, "system_server"),
)


def _ps_row(row: tuple[str, ...]) -> str:
    user, pid, ppid, vsz, rss, wchan, addr, state, name = row
    return f"{user:<12}{pid:>6}{ppid:>6}{vsz:>8}{rss:>7} {wchan:<16}{addr:>5} {state} {name}\n"


def _ip_block(iface: NetInterface, link_only: bool) -> str:
    """One interface as iproute2's `ip addr show` prints it."""
    loopback = iface.name == "lo"
    up = iface.ipv4 is not None
    flags = (
        "LOOPBACK,UP,LOWER_UP"
        if loopback
        else ("BROADCAST,MULTICAST,UP,LOWER_UP" if up else "NO-CARRIER,BROADCAST,MULTICAST,UP")
    )
    state = "UNKNOWN" if loopback else ("UP" if up else "DOWN")
    kind = "loopback" if loopback else "ether"
    text = (
        f"{iface.index}: {iface.name}: <{flags}> mtu {65536 if loopback else 1500} qdisc "
        f"{'noqueue' if loopback else 'mq'} state {state} group default qlen 1000\n"
        f"    link/{kind} {iface.mac} brd {'00:00:00:00:00:00' if loopback else 'ff:ff:ff:ff:ff:ff'}\n"
    )
    if link_only or iface.ipv4 is None:
        return text
    net = ipaddress.ip_interface(iface.ipv4)
    scope = "host" if loopback else "global"
    brd = "" if loopback else f" brd {net.network.broadcast_address}"
    text += (
        f"    inet {iface.ipv4}{brd} scope {scope} {iface.name}\n"
        "       valid_lft forever preferred_lft forever\n"
    )
    return text + (
        f"    inet6 {_link_local(iface.mac) if not loopback else '::1/128'} scope "
        f"{'host' if loopback else 'link'} \n"
        "       valid_lft forever preferred_lft forever\n"
    )


def _link_local(mac: str) -> str:
    """fe80:: EUI-64 address of a MAC."""
    octets = [int(part, 16) for part in mac.split(":")]
    octets[0] ^= 0x02
    eui = [*octets[:3], 0xFF, 0xFE, *octets[3:]]
    groups = [f"{eui[i] << 8 | eui[i + 1]:x}" for i in range(0, 8, 2)]
    return f"fe80::{':'.join(groups)}/64"


def _corrupt(data: bytes, fault: OutputFault, seed: str) -> bytes:
    """Apply an output fault to a command's stdout."""
    rng = random.Random(seed)
    match fault:
        case OutputFault.GARBAGE:
            # 0xff never occurs in UTF-8: the result cannot decode.
            return b"\xff\xfe" + rng.randbytes(max(len(data), 64))
        case OutputFault.TRUNCATED:
            return data[: len(data) // 2]
        case OutputFault.OVERSIZED:
            line = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(99))
            return data + (line + b"\n") * (4 * 1024 * 1024 // 100)
        case _:
            return b""


class DeviceModel(_Tools):
    """A virtual XGIMI projector's Android side, driven by shell commands and controls."""

    def __init__(
        self,
        profile: Profile,
        faults: Faults,
        *,
        work_dir: Path,
        on_power_change: Callable[[PowerState], None] | None = None,
        costs: CostModel | None = None,
    ) -> None:
        """Build the model (powered on, launcher in front); `start()` prepares the shell."""
        super().__init__(profile, faults, work_dir=work_dir, on_power_change=on_power_change)
        self.costs = costs or CostModel()  # simulated run time of the device's work (off)
        self.sandbox = Sandbox(
            work_dir,
            tools=self._tool_names(),
            handler=self._tool,
            env=self._shell_env(),
            files=self._device_files(),
            tool_cost=lambda argv: self.costs.tool_cost(argv, self.profile.sdk),
        )

    def _shell_env(self) -> dict[str, str]:
        """Adbd's shell environment."""
        return {
            "PATH": self.profile.shell_path,
            "ANDROID_ROOT": "/system",
            "ANDROID_DATA": "/data",
            "ANDROID_STORAGE": "/storage",
            "ANDROID_ASSETS": "/system/app",
            "EXTERNAL_STORAGE": "/sdcard",
            "ASEC_MOUNTPOINT": "/mnt/asec",
            "HOME": "/",
            "HOSTNAME": "localhost",
            "LOGNAME": "shell",
            "USER": "shell",
            "SHELL": "/bin/sh",
        }

    def _device_files(self) -> dict[str, str]:
        files = {
            "/system/build.prop": "".join(
                f"{k}={v}\n" for k, v in sorted(self.profile.props.items()) if k.startswith("ro.")
            )
        }
        for iface in self.profile.interfaces:
            files[f"/sys/class/net/{iface.name}/address"] = iface.mac + "\n"
        return files

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        """Prepare work_dir (scratch, tools, socket) and start the tool server."""
        await self.sandbox.start()

    async def stop(self) -> None:
        """Stop the tool server."""
        await self.sandbox.stop()

    @property
    def scratch_dir(self) -> Path:
        """Host directory the shell sees as /data/local/tmp."""
        return self.sandbox.scratch_dir

    @property
    def sandbox_mode(self) -> SandboxMode:
        """How command lines are confined (known after `start()`)."""
        return self.sandbox.mode

    def banner(self) -> bytes:
        """Return the device banner of the CNXN packet (b.5)."""
        props = self._props
        fields = [
            f"ro.product.name={props['ro.product.name']}",
            f"ro.product.model={props['ro.product.model']}",
            f"ro.product.device={props['ro.product.device']}",
            f"features={','.join(self.profile.adb_features)}",
        ]
        return ("device::" + ";".join(fields)).encode()

    async def run_shell(self, command: str, *, merge_stderr: bool) -> ShellResult:
        """Run one shell/exec command line on the device."""
        self.received_commands.append(command)
        if self.faults.command_latency_s > 0:
            await asyncio.sleep(self.faults.command_latency_s)
        if (spawn := self.costs.shell_cost()) > 0:
            await asyncio.sleep(spawn)  # adbd forking `sh -c` (costs.py)
        result: RunResult = await self.sandbox.run(command, merge_stderr=merge_stderr)
        stdout, stderr = result.stdout, result.stderr
        fault = self.faults.output_fault_for(command)
        if fault is not None:
            stdout = _corrupt(stdout, fault, command)
            stderr = b"" if fault is OutputFault.EMPTY else stderr
        stdout = self.faults.corrupt_sections(stdout, _corrupt)
        return ShellResult(stdout, stderr, result.exit_code)

    # -- controls ----------------------------------------------------------------------------

    def press_key(self, keycode: int) -> None:
        """Press a key on the physical remote: same effect as `input keyevent N`."""
        self._handle_key(keycode)

    def set_power(self, state: PowerState) -> None:
        """Force a power state (mains, remote, network loss, BLE wake-up)."""
        self._set_power(state)

    def launch_app(self, package: str) -> None:
        """Open an app from the launcher, as a person would."""
        app = self.profile.app(package)
        if app is None or not app.activities:
            raise ValueError(f"{package} is not installed or has no activity")
        category = CATEGORY_LEANBACK if app.leanback else CATEGORY_LAUNCHER
        launcher_uid = self._uids.get(self.profile.launcher_package, 1000)
        if not self._launch_main(app, category, launcher_uid):
            self._start(app, app.activities[0], _Intent(ACTION_MAIN), launcher_uid)

    def set_playback(self, state: PlaybackState) -> None:
        """Change the media session state of the foreground app."""
        self._set_session(self._top.package, state)

    def reboot_completed(self) -> None:
        """Finish booting: on, launcher in front, no media sessions."""
        self._boot()
        self._set_power(PowerState.ON)

    # -- observations ------------------------------------------------------------------------

    @property
    def power(self) -> PowerState:
        """Current power state."""
        return self._power

    @property
    def foreground(self) -> str:
        """Package of the activity on top."""
        return self._top.package

    @property
    def foreground_activity(self) -> str:
        """Component of the activity on top ("pkg/.Activity")."""
        return self._top.short

    @property
    def volume(self) -> int:
        """STREAM_MUSIC index."""
        return self._volume

    @property
    def max_volume(self) -> int:
        """STREAM_MUSIC max index."""
        return self.profile.music_max_volume

    @property
    def muted(self) -> bool:
        """STREAM_MUSIC mute."""
        return self._muted

    @property
    def current_input(self) -> str | None:
        """Label ("HDMI1") of the input the HDMI player shows, None when none is on screen."""
        input_ = self._active_input()
        return input_.label if input_ else None

    @property
    def playback(self) -> PlaybackState:
        """Media session state of the foreground app."""
        session = self._sessions.get(self._top.package)
        return session.state if session else PlaybackState.NONE

    @property
    def running_packages(self) -> list[str]:
        """Packages with a process (`ps -A | grep u0_a` shows the app ones)."""
        return list(self._processes)

    @property
    def props(self) -> dict[str, str]:
        """Current system properties (setprop changes them)."""
        return dict(self._props)

    def setting(self, namespace: str, key: str) -> str | None:
        """Read a setting without the shell (`settings get`)."""
        return self._settings.get(namespace, {}).get(key)
