"""What the device layer knows about a projector: facts read once, state read every poll.

Plain frozen data, no Home Assistant imports. `parse.py` builds these from shell output.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

PASSTHROUGH_PREFIX = "content://android.media.tv/passthrough/"


class Platform(StrEnum):
    """Which XGIMI family the firmware belongs to (cookbook a.0)."""

    GMUI = "gmui"  # Chinese domestic firmware, launcher com.xgimi.home
    ANDROID_TV = "android_tv"  # international Android TV, launcher com.google.android.tvlauncher
    GOOGLE_TV = "google_tv"  # international Google TV (launcherx, inputplayer)
    UNKNOWN = "unknown"


class Wakefulness(StrEnum):
    """PowerManager wakefulness (`dumpsys power`: mWakefulness=...)."""

    AWAKE = "awake"
    ASLEEP = "asleep"
    DREAMING = "dreaming"
    DOZING = "dozing"
    UNKNOWN = "unknown"


class Playback(StrEnum):
    """Media session state of the foreground app."""

    NONE = "none"  # the foreground app has no media session
    STOPPED = "stopped"
    PAUSED = "paused"
    PLAYING = "playing"
    BUFFERING = "buffering"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Volume:
    """STREAM_MUSIC volume as `dumpsys audio` reports it."""

    level: int | None
    max_level: int | None
    muted: bool | None

    @property
    def fraction(self) -> float | None:
        """Return level / max (0..1), None when either is unknown or max is 0."""
        if self.level is None or not self.max_level:
            return None
        return min(max(self.level / self.max_level, 0.0), 1.0)


@dataclass(frozen=True, slots=True)
class HdmiInput:
    """One physical HDMI port and its TV input (TIF) id."""

    label: str  # "HDMI1": what XGIMI's `sw` extra and the remote's menu call it
    port: int  # TvInputHardwareInfo hdmi_port
    input_id: str  # e.g. "com.mediatek.tis/.HdmiInputService/HW2" (device-supplied text)

    @property
    def passthrough_uri(self) -> str:
        """TvContract.buildChannelUriForPassthroughInput(id): the id URL-encoded ('/' as %2F)."""
        return PASSTHROUGH_PREFIX + quote(self.input_id, safe="")


@dataclass(frozen=True, slots=True)
class App:
    """A launchable app."""

    package: str
    name: str  # friendly name from the catalog, else the package


@dataclass(frozen=True, slots=True)
class DeviceFacts:
    """What does not change while the projector runs: read once at setup."""

    serial: str | None
    mac: str | None  # lowercase "aa:bb:cc:dd:ee:ff"
    model: str
    manufacturer: str
    firmware: str | None
    android_release: str
    sdk: int
    platform: Platform
    packages: frozenset[str]
    hdmi_inputs: tuple[HdmiInput, ...]
    apps: tuple[App, ...]  # launchable apps, sorted by name
    hdmi_player: str | None  # package that shows HDMI inputs


@dataclass(frozen=True, slots=True)
class ProjectorState:
    """Everything one poll found out."""

    wakefulness: Wakefulness
    foreground_package: str | None
    foreground_activity: str | None  # "pkg/.Activity" as dumpsys prints it
    playback: Playback
    volume: Volume | None
    hdmi_input: HdmiInput | None  # the input on screen, when the HDMI player is in front
    unparsed: tuple[str, ...] = ()  # names of sections whose text could not be parsed
