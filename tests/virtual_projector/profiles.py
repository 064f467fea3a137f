"""Firmware profiles of the virtual projector: everything device-specific, as data.

Four XGIMI families (see the cookbook, part a.0): the Chinese GMUI firmware on Android 9 and 11,
international Android TV 10 and Google TV 12. Values marked "synthetic" in comments were not
captured from hardware: they are plausible and internally consistent, nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import quote

# Intent categories and actions the model understands.
CATEGORY_LAUNCHER = "android.intent.category.LAUNCHER"
CATEGORY_LEANBACK = "android.intent.category.LEANBACK_LAUNCHER"
CATEGORY_HOME = "android.intent.category.HOME"
ACTION_MAIN = "android.intent.action.MAIN"
ACTION_VIEW = "android.intent.action.VIEW"
ACTION_XGIMI_HDMI = "com.xgimi.action.hdmiPlayer"
PASSTHROUGH_PREFIX = "content://android.media.tv/passthrough/"


class HdmiForm(StrEnum):
    """How an activity learns which input to show."""

    SW_EXTRA = "sw_extra"  # `--es sw HDMI1` (XGIMI xhplayer on the Horizon Pro)
    PASSTHROUGH_URI = "passthrough_uri"  # data = TvContract passthrough URI of the input id


class CurrentAppFormat(StrEnum):
    """Which focus lines `dumpsys window windows` prints (python-androidtv's CMD_CURRENT_APP*)."""

    APP_WINDOW_TOKEN = (
        "app_window_token"  # <= 10: mFocusedApp=AppWindowToken{.. ActivityRecord{..}}
    )
    INPUT_METHOD_TARGET = "input_method_target"  # 11: mInputMethodTarget / mInputMethodInputTarget
    IME_TARGET = "ime_target"  # 12+: imeLayeringTarget / imeInputTarget / imeControlTarget


class VolumeCommand(StrEnum):
    """Which shell command sets STREAM_MUSIC (AOSP VolumeCtrl behind both)."""

    MEDIA = "media"  # `media volume ...` (Android <= 10)
    CMD_MEDIA_SESSION = "cmd_media_session"  # `cmd media_session volume ...` (Android >= 11)


class PowerKeyTarget(StrEnum):
    """What KEYCODE_POWER (26) does to an awake projector."""

    STANDBY = "standby"  # XGIMI standby: the network adapter goes down (GMUI reports)
    SCREEN_OFF = "screen_off"  # Android sleep: display off, still on the network


@dataclass(frozen=True)
class Activity:
    """One activity and the implicit intents it accepts."""

    name: str  # ".MainActivity" (relative to the package) or a full class name
    actions: tuple[str, ...] = ()
    data_prefixes: tuple[str, ...] = ()  # an intent with data must match one; none = no data
    single_top: bool = False  # an intent for it while on top is delivered to that instance
    hdmi_forms: frozenset[HdmiForm] = frozenset()  # input selection it understands


@dataclass(frozen=True)
class App:
    """An installed package."""

    package: str
    label: str
    activities: tuple[Activity, ...] = ()  # the first one is the launchable (main) activity
    leanback: bool = False  # main activity has CATEGORY_LEANBACK_LAUNCHER
    launcher: bool = False  # main activity has CATEGORY_LAUNCHER
    system: bool = True  # preinstalled (`pm list packages -3` omits it)
    persistent: bool = False  # its process always runs (services, launcher)
    version: str = "1.0"


@dataclass(frozen=True)
class HdmiInput:
    """A TV input (TIF) for one physical HDMI port."""

    label: str  # "HDMI1": what XGIMI's `sw` extra and the remote's menu call it
    input_id: str  # TvInputInfo id, as `dumpsys tv_input` prints it
    port: int  # TvInputHardwareInfo hdmi_port
    device_id: int  # TvInputHardwareInfo id

    @property
    def uri(self) -> str:
        """TvContract.buildChannelUriForPassthroughInput(id): the id with '/' as %2F."""
        return PASSTHROUGH_PREFIX + quote(self.input_id, safe="")


@dataclass(frozen=True)
class NetInterface:
    """A network interface as `ip addr` shows it."""

    name: str
    mac: str
    ipv4: str | None  # "192.168.1.50/24", None when down
    index: int


# Cookbook a.4: the HDMI switching command lines, with {label} / {uri} placeholders.
COOKBOOK_HDMI_INTENTS: Mapping[str, str] = MappingProxyType(
    {
        "xhplayer_sw": (
            "am start -a com.xgimi.action.hdmiPlayer -n com.xgimi.xhplayer/.InputActivity "
            "--es sw {label} -f 0x14000000"
        ),
        "xhplayer_passthrough": (
            "am start -a com.xgimi.action.hdmiPlayer -p com.xgimi.xhplayer -d '{uri}' -f 0x10000000"
        ),
        "inputplayer_passthrough": (
            "am start -n com.google.android.tv.inputplayer/.player.PassthroughPlayerActivity "
            '-a android.intent.action.VIEW -d "{uri}"'
        ),
        "view_passthrough": "am start -a android.intent.action.VIEW -d '{uri}'",
    }
)

# adbd feature lists by release (prefixes of AOSP's list, b.5; no delayed_ack before 2023).
FEATURES_P = ("shell_v2", "cmd", "stat_v2", "ls_v2", "fixed_push_mkdir")
FEATURES_Q = (
    *FEATURES_P,
    "apex",
    "abb",
    "fixed_push_symlink_timestamp",
    "abb_exec",
    "remount_shell",
)
FEATURES_R = (
    *FEATURES_Q,
    "track_app",
    "sendrecv_v2",
    "sendrecv_v2_brotli",
    "sendrecv_v2_lz4",
    "sendrecv_v2_zstd",
    "sendrecv_v2_dry_run_send",
)
FEATURES_S = (*FEATURES_R, "openscreen_mdns")

PATH_P = "/sbin:/system/sbin:/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin"
PATH_R = (
    "/product/bin:/apex/com.android.runtime/bin:/apex/com.android.art/bin:/system_ext/bin:"
    "/system/bin:/system/xbin:/odm/bin:/vendor/bin:/vendor/xbin"
)


@dataclass(frozen=True)
class Profile:
    """Everything that differs between firmwares."""

    name: str
    props: Mapping[str, str]  # getprop
    interfaces: tuple[NetInterface, ...]
    apps: tuple[App, ...]  # in `pm list packages` order
    launcher: str  # component of the home activity, "pkg/.Activity"
    hdmi_player: str | None  # component that shows HDMI inputs
    hdmi_inputs: tuple[HdmiInput, ...]
    hdmi_intents: frozenset[str]  # keys of COOKBOOK_HDMI_INTENTS that switch the input
    music_max_volume: int  # STREAM_MUSIC max index
    music_initial_volume: int
    volume_command: VolumeCommand
    current_app_format: CurrentAppFormat
    power_key_target: PowerKeyTarget
    xgimi_power_key: bool  # KEYCODE 2100 toggles the display (Horizon Pro)
    power_menu_service: str | None  # package of the WINODWSYSTEM power-menu service (Play 6)
    adb_features: tuple[str, ...]
    shell_path: str  # PATH of adbd's shell
    settings: Mapping[str, Mapping[str, str]]  # `settings get <namespace> <key>`
    legacy_protocol: bool = False
    audio_device: str = "speaker"  # STREAM_MUSIC output device name (dumpsys audio)
    audio_device_code: int = 2  # AudioSystem.DEVICE_OUT_SPEAKER
    display_size: tuple[int, int] = (1920, 1080)
    density: int = 320
    extra_tools: tuple[str, ...] = ()  # tools only this firmware has

    @property
    def sdk(self) -> int:
        """ro.build.version.sdk as a number."""
        return int(self.props["ro.build.version.sdk"])

    @property
    def launcher_package(self) -> str:
        """Package of the home activity."""
        return self.launcher.split("/", 1)[0]

    @property
    def primary_mac(self) -> str:
        """The MAC python-androidtv (and so HA's androidtv) takes as unique id: eth0, else wlan0."""
        macs = {iface.name: iface.mac for iface in self.interfaces}
        return macs.get("eth0") or macs["wlan0"]

    def app(self, package: str) -> App | None:
        """Return the installed app with that package name."""
        return next((app for app in self.apps if app.package == package), None)


def _props(common: dict[str, str], **extra: str) -> Mapping[str, str]:
    return MappingProxyType(common | {key.replace("__", "."): val for key, val in extra.items()})


def _base_props(model: str, name: str, device: str, release: str, sdk: str) -> dict[str, str]:
    """Props every profile has; product/vendor variants mirror the main ones."""
    return {
        "ro.product.model": model,
        "ro.product.name": name,
        "ro.product.device": device,
        "ro.product.brand": "XGIMI",
        "ro.product.manufacturer": "XGIMI",
        "ro.product.vendor.model": model,
        "ro.product.vendor.name": name,
        "ro.product.vendor.device": device,
        "ro.product.vendor.brand": "XGIMI",
        "ro.product.vendor.manufacturer": "XGIMI",
        "ro.product.cpu.abi": "armeabi-v7a",
        "ro.build.version.release": release,
        "ro.build.version.sdk": sdk,
        "ro.build.type": "user",
        "ro.build.tags": "release-keys",
        "ro.debuggable": "0",
        "ro.secure": "1",
        "ro.adb.secure": "1",
        "ro.hardware": device,
        "ro.boot.hardware": device,
        "sys.boot_completed": "1",
        "dev.bootcomplete": "1",
        "service.adb.tcp.port": "5555",
        "persist.sys.usb.config": "adb",
        "init.svc.adbd": "running",
        "net.hostname": f"android-{device}",
    }


def _system_apps(*extra: App) -> tuple[App, ...]:
    """AOSP packages every firmware ships, then the firmware's own."""
    base = (
        App("android", "Android System"),
        App("com.android.providers.settings", "Settings Storage", persistent=True),
        App("com.android.shell", "Shell"),
        App("com.android.providers.tv", "TV Storage", persistent=True),
        App("com.android.inputdevices", "Input Devices"),
        App("com.android.bluetooth", "Bluetooth", persistent=True),
        App("com.android.externalstorage", "External Storage"),
        App("com.android.packageinstaller", "Package installer"),
        App("com.android.webview", "Android System WebView"),
    )
    return base + extra


def _launcher_app(package: str, label: str, activity: str, *extra: Activity) -> App:
    home = Activity(activity, actions=(ACTION_MAIN,), single_top=True)
    return App(package, label, (home, *extra), launcher=True, persistent=True)


def _xhplayer(forms: frozenset[HdmiForm], *, passthrough_filter: bool) -> App:
    """XGIMI's HDMI player; whether its filter takes data decides the `-p`+`-d` form."""
    prefixes = (PASSTHROUGH_PREFIX,) if passthrough_filter else ()
    activity = Activity(
        ".InputActivity",
        actions=(ACTION_XGIMI_HDMI,),
        data_prefixes=prefixes,
        single_top=True,
        hdmi_forms=forms,
    )
    return App("com.xgimi.xhplayer", "XGIMI HDMI", (activity,), persistent=False, version="2.3.1")


def _user_app(package: str, label: str, *, leanback: bool, launcher: bool, version: str) -> App:
    activity = Activity(".MainActivity", actions=(ACTION_MAIN,))
    return App(
        package,
        label,
        (activity,),
        leanback=leanback,
        launcher=launcher,
        system=False,
        version=version,
    )


def _live_tv(package: str, activity: str, forms: frozenset[HdmiForm]) -> App:
    """Build a Live TV app: it takes `VIEW content://android.media.tv/...`."""
    view = Activity(
        activity,
        actions=(ACTION_VIEW,),
        data_prefixes=("content://android.media.tv/",),
        hdmi_forms=forms,
    )
    return App(package, "Live TV", (view,), leanback=False)


def _chinese_tv_apps() -> tuple[App, ...]:
    """User-installed Chinese streaming apps (package names as published; labels)."""
    return (
        _user_app("com.ktcp.video", "云视听极光", leanback=True, launcher=True, version="11.5.0"),
        _user_app("com.gitvdemo.video", "奇异果", leanback=False, launcher=True, version="13.3.0"),
        _user_app(
            "com.xiaodianshi.tv.yst", "云视听小电视", leanback=True, launcher=True, version="1.6.6"
        ),
    )


# -- GMUI, Android 9 (Z6X-style, Amlogic TIF ids) -- mostly synthetic -------------------------

_GMUI9_INPUTS = (
    HdmiInput("HDMI1", "com.droidlogic.tvinput/.services.Hdmi1InputService/HW5", 1, 5),
    HdmiInput("HDMI2", "com.droidlogic.tvinput/.services.Hdmi2InputService/HW6", 2, 6),
)

GMUI_ANDROID9 = Profile(
    name="gmui_android9",
    props=_props(
        _base_props("XGIMI Z6X", "z6x", "z6x", "9", "28"),
        ro__serialno="XK9Z6X20A00317",
        ro__boot__serialno="XK9Z6X20A00317",
        ro__build__id="PPR1.180610.011",
        ro__build__display__id="GMUI 3.6.28",
        ro__build__version__incremental="V3.6.28",
        ro__build__version__security_patch="2019-08-05",
        ro__build__fingerprint="XGIMI/z6x/z6x:9/PPR1.180610.011/V3.6.28:user/release-keys",
        ro__product__board="t950x",
        ro__product__locale="zh-CN",
        persist__sys__timezone="Asia/Shanghai",
        persist__xgimi__platform="amlogic",
        persist__xgimi__ui="gmui",
    ),
    interfaces=(NetInterface("wlan0", "d4:12:43:5a:1c:07", "192.168.1.61/24", 5),),
    apps=_system_apps(
        _launcher_app("com.xgimi.home", "桌面", ".HomeActivity"),
        App("com.android.systemui", "System UI", persistent=True),
        App("com.android.newsettings", "设置", persistent=True),
        App("com.xgimi.vcontrol", "微联控", persistent=True),
        App("com.xgimi.xgimiservice", "XgimiService", persistent=True),
        _xhplayer(
            frozenset({HdmiForm.SW_EXTRA, HdmiForm.PASSTHROUGH_URI}), passthrough_filter=True
        ),
        _live_tv("com.android.tv", "com.android.tv.TvActivity", frozenset()),
        App(
            "com.xgimi.filemanager",
            "文件管理",
            (Activity(".FileManagerActivity", actions=(ACTION_MAIN,)),),
            launcher=True,
        ),
        *_chinese_tv_apps(),
    ),
    launcher="com.xgimi.home/.HomeActivity",
    hdmi_player="com.xgimi.xhplayer/.InputActivity",
    hdmi_inputs=_GMUI9_INPUTS,
    hdmi_intents=frozenset({"xhplayer_sw", "xhplayer_passthrough"}),
    music_max_volume=100,
    music_initial_volume=40,
    volume_command=VolumeCommand.MEDIA,
    current_app_format=CurrentAppFormat.APP_WINDOW_TOKEN,
    power_key_target=PowerKeyTarget.STANDBY,
    xgimi_power_key=False,
    power_menu_service=None,
    adb_features=FEATURES_P,
    shell_path=PATH_P,
    settings=MappingProxyType(
        {
            "global": {"adb_enabled": "1", "device_name": "XGIMI Z6X", "wifi_on": "1"},
            "secure": {"android_id": "5f1c2a9e7b3d4c11", "user_setup_complete": "1"},
            "system": {"screen_off_timeout": "2147483647", "sound_effects_enabled": "0"},
        }
    ),
    extra_tools=("media",),
)

# -- GMUI, Android 11 (Play 6; packages from tonisaf/beam-launcher) ---------------------------

_GMUI11_INPUTS = (
    HdmiInput("HDMI1", "com.mediatek.tvinput/.hdmi.HDMIInputService/HW2", 1, 2),
    HdmiInput("HDMI2", "com.mediatek.tvinput/.hdmi.HDMIInputService/HW3", 2, 3),
)

GMUI_ANDROID11 = Profile(
    name="gmui_android11",
    props=_props(
        _base_props("XGIMI Play 6", "play6", "play6", "11", "30"),
        ro__serialno="XKP6A23B104582",
        ro__boot__serialno="XKP6A23B104582",
        ro__boot__xgimi__modelname="XGIMI Play 6",
        ro__build__id="RP1A.201005.006",
        ro__build__display__id="GMUI 5.1.12",
        ro__build__version__incremental="V5.1.12",
        ro__build__version__security_patch="2022-03-05",
        ro__build__fingerprint="XGIMI/play6/play6:11/RP1A.201005.006/V5.1.12:user/release-keys",
        ro__product__board="mt9629",
        ro__product__locale="zh-CN",
        persist__sys__timezone="Asia/Shanghai",
        persist__sys__hdmi__bootsource="0",
        persist__xgimi__ui="gmui",
    ),
    interfaces=(NetInterface("wlan0", "d4:12:43:7e:90:b2", "192.168.1.62/24", 6),),
    apps=_system_apps(
        _launcher_app("com.xgimi.home", "桌面", ".HomeActivity"),
        App("com.xgimi.systemui", "SystemUI", persistent=True),
        App("com.android.newsettings", "设置", persistent=True),
        App("com.xgimi.shutdown", "关机", persistent=True),
        App("com.xgimi.vcontrol", "微联控", persistent=True),
        App("com.xgimi.xgimiservice", "XgimiService", persistent=True),
        _xhplayer(frozenset({HdmiForm.PASSTHROUGH_URI}), passthrough_filter=True),
        _live_tv("com.android.tv", "com.android.tv.TvActivity", frozenset()),
        App(
            "com.xgimi.atmosphere",
            "任意门",
            (Activity(".MainActivity", actions=(ACTION_MAIN,)),),
            launcher=True,
        ),
        App(
            "com.xgimi.filemanager",
            "文件管理",
            (Activity(".FileManagerActivity", actions=(ACTION_MAIN,)),),
            launcher=True,
        ),
        App(
            "com.cibn.tv",
            "CIBN酷喵",
            (Activity("com.youku.tv.home.activity.HomeActivity", actions=(ACTION_MAIN,)),),
            launcher=True,
        ),
        App(
            "com.ktcp.tvvideo",
            "云视听极光",
            (Activity("com.ktcp.video.activity.HomeActivity", actions=(ACTION_MAIN,)),),
            launcher=True,
        ),
        App(
            "com.gitvjimi.video",
            "奇异果",
            (Activity("com.gala.video.app.epg.HomeActivity", actions=(ACTION_MAIN,)),),
            launcher=True,
        ),
        App(
            "com.hunantv.license",
            "芒果TV",
            (Activity("com.mgtv.tv.launcher.ChannelHomeActivity", actions=(ACTION_MAIN,)),),
            launcher=True,
        ),
        *_chinese_tv_apps(),
    ),
    launcher="com.xgimi.home/.HomeActivity",
    hdmi_player="com.xgimi.xhplayer/.InputActivity",
    hdmi_inputs=_GMUI11_INPUTS,
    hdmi_intents=frozenset({"xhplayer_passthrough"}),
    music_max_volume=100,
    music_initial_volume=30,
    volume_command=VolumeCommand.CMD_MEDIA_SESSION,
    current_app_format=CurrentAppFormat.INPUT_METHOD_TARGET,
    power_key_target=PowerKeyTarget.STANDBY,
    xgimi_power_key=False,
    power_menu_service="com.xgimi.shutdown",
    adb_features=FEATURES_R,
    shell_path=PATH_R,
    settings=MappingProxyType(
        {
            "global": {
                "adb_enabled": "1",
                "device_name": "XGIMI Play 6",
                "wifi_on": "1",
                "bluetooth_discoverable": "1",
            },
            "secure": {
                "android_id": "8e02b7c4d19a6f30",
                "user_setup_complete": "1",
                "enabled_accessibility_services": "",
            },
            "system": {"screen_off_timeout": "2147483647", "sound_effects_enabled": "1"},
        }
    ),
)

# -- Android TV 10 (Horizon Pro, MediaTek MT9669; packages from andotsy/xgimi-bridge) -----------

_ATV10_INPUTS = (
    HdmiInput("HDMI1", "com.mediatek.tvinput/.hdmi.HDMIInputService/HW5", 1, 5),
    HdmiInput("HDMI2", "com.mediatek.tvinput/.hdmi.HDMIInputService/HW6", 2, 6),
)

ANDROIDTV_10 = Profile(
    name="androidtv_10",
    props=_props(
        _base_props("XGIMI Horizon Pro", "horizon_pro", "mt9669", "10", "29"),
        ro__serialno="XGHP2010B07731",
        ro__boot__serialno="XGHP2010B07731",
        ro__build__id="QP1A.190711.020",
        ro__build__display__id="QP1A.190711.020 release-keys",
        ro__build__version__incremental="1.8.34",
        ro__build__version__security_patch="2021-06-05",
        ro__build__fingerprint=(
            "XGIMI/horizon_pro/mt9669:10/QP1A.190711.020/1.8.34:user/release-keys"
        ),
        ro__product__board="mt9669",
        ro__product__locale="en-US",
        persist__sys__timezone="Europe/Berlin",
    ),
    interfaces=(
        NetInterface("eth0", "a4:e6:15:01:3b:5d", None, 4),
        NetInterface("wlan0", "a4:e6:15:01:3b:5e", "192.168.1.63/24", 7),
    ),
    apps=_system_apps(
        _launcher_app(
            "com.google.android.tvlauncher",
            "Android TV Home",
            ".MainActivity",
            Activity(".inputs.InputsPanelActivity"),
        ),
        App("com.android.systemui", "System UI", persistent=True),
        App(
            "com.android.tv.settings",
            "Settings",
            (Activity(".MainSettings", actions=(ACTION_MAIN,)),),
            leanback=True,
        ),
        App(
            "com.android.vending",
            "Google Play Store",
            (
                Activity(
                    "com.google.android.finsky.tvmainactivity.TvMainActivity",
                    actions=(ACTION_MAIN,),
                ),
            ),
            leanback=True,
        ),
        App("com.google.android.tvrecommendations", "Android TV Core Services", persistent=True),
        App("com.google.android.katniss", "Google app for Android TV"),
        App("com.google.android.apps.mediashell", "Chromecast built-in", persistent=True),
        _live_tv("com.google.android.tv", "com.android.tv.TvActivity", frozenset()),
        App("com.xgimi.xgimiservice", "XgimiService", persistent=True),
        App("com.xgimi.misckey", "XGIMI MiscKey", persistent=True),
        _xhplayer(frozenset({HdmiForm.SW_EXTRA}), passthrough_filter=False),
        App(
            "com.google.android.youtube.tv",
            "YouTube",
            (
                Activity(
                    "com.google.android.apps.youtube.tv.activity.ShellActivity",
                    actions=(ACTION_MAIN,),
                ),
            ),
            leanback=True,
            version="2.12.08",
        ),
        App(
            "com.netflix.ninja",
            "Netflix",
            (Activity(".MainActivity", actions=(ACTION_MAIN,)),),
            leanback=True,
            version="8.1.1",
        ),
        _user_app(
            "com.amazon.amazonvideo.livingroom",
            "Prime Video",
            leanback=True,
            launcher=False,
            version="6.6.2",
        ),
        _user_app("com.plexapp.android", "Plex", leanback=True, launcher=True, version="9.9.0"),
        _user_app("org.videolan.vlc", "VLC", leanback=True, launcher=True, version="3.5.4"),
    ),
    launcher="com.google.android.tvlauncher/.MainActivity",
    hdmi_player="com.xgimi.xhplayer/.InputActivity",
    hdmi_inputs=_ATV10_INPUTS,
    hdmi_intents=frozenset({"xhplayer_sw"}),
    music_max_volume=15,
    music_initial_volume=8,
    volume_command=VolumeCommand.MEDIA,
    current_app_format=CurrentAppFormat.APP_WINDOW_TOKEN,
    power_key_target=PowerKeyTarget.SCREEN_OFF,
    xgimi_power_key=True,
    power_menu_service=None,
    adb_features=FEATURES_Q,
    shell_path=PATH_P,
    settings=MappingProxyType(
        {
            "global": {
                "adb_enabled": "1",
                "device_name": "XGIMI Horizon Pro",
                "wifi_on": "1",
                "stay_on_while_plugged_in": "0",
            },
            "secure": {
                "android_id": "c3a9d0e51f7b2846",
                "user_setup_complete": "1",
                "tv_user_setup_complete": "1",
            },
            "system": {"screen_off_timeout": "1800000", "sound_effects_enabled": "1"},
        }
    ),
    extra_tools=("media",),
)

# -- Google TV 12 (MediaTek; ids from giubbe/xgimi-remote-bridge) -------------------------------

_GTV12_INPUTS = (
    HdmiInput("HDMI1", "com.mediatek.tis/.HdmiInputService/HW2", 1, 2),
    HdmiInput("HDMI2", "com.mediatek.tis/.HdmiInputService/HW3", 2, 3),
)

_INPUTPLAYER = App(
    "com.google.android.tv.inputplayer",
    "Inputs",
    (
        Activity(
            ".player.PassthroughPlayerActivity",
            actions=(ACTION_VIEW,),
            data_prefixes=(PASSTHROUGH_PREFIX,),
            single_top=True,
            hdmi_forms=frozenset({HdmiForm.PASSTHROUGH_URI}),
        ),
        Activity(".switcher.SelectInputActivity"),
    ),
)

GOOGLETV_12 = Profile(
    name="googletv_12",
    props=_props(
        _base_props("XGIMI MoGo 3 Pro", "mogo3pro", "mt9630", "12", "31"),
        ro__serialno="XGM3P24C005193",
        ro__boot__serialno="XGM3P24C005193",
        ro__build__id="STT2.230221.002",
        ro__build__display__id="STT2.230221.002 release-keys",
        ro__build__version__incremental="2.4.7",
        ro__build__version__security_patch="2023-11-01",
        ro__build__fingerprint=("XGIMI/mogo3pro/mt9630:12/STT2.230221.002/2.4.7:user/release-keys"),
        ro__product__board="mt9630",
        ro__product__locale="en-US",
        persist__sys__timezone="America/New_York",
    ),
    interfaces=(NetInterface("wlan0", "a4:e6:15:44:c0:19", "192.168.1.64/24", 5),),
    apps=_system_apps(
        _launcher_app(
            "com.google.android.apps.tv.launcherx", "Google TV Home", ".home.HomeActivity"
        ),
        App("com.android.systemui", "System UI", persistent=True),
        App(
            "com.android.tv.settings",
            "Settings",
            (Activity(".MainSettings", actions=(ACTION_MAIN,)),),
            leanback=True,
        ),
        App("com.android.vending", "Google Play Store"),
        App("com.google.android.katniss", "Google app for Android TV"),
        App("com.google.android.apps.mediashell", "Chromecast built-in", persistent=True),
        App("com.mediatek.tis", "MediaTek TV Input Service", persistent=True),
        _INPUTPLAYER,
        App("com.xgimi.xgimiservice", "XgimiService", persistent=True),
        App(
            "com.google.android.youtube.tv",
            "YouTube",
            (
                Activity(
                    "com.google.android.apps.youtube.tv.activity.ShellActivity",
                    actions=(ACTION_MAIN,),
                ),
            ),
            leanback=True,
            version="5.30.301",
        ),
        App(
            "com.netflix.ninja",
            "Netflix",
            (Activity(".MainActivity", actions=(ACTION_MAIN,)),),
            leanback=True,
            version="11.3.0",
        ),
        _user_app(
            "com.amazon.amazonvideo.livingroom",
            "Prime Video",
            leanback=True,
            launcher=False,
            version="6.17.5",
        ),
        _user_app(
            "com.disney.disneyplus", "Disney+", leanback=True, launcher=True, version="2.16.2"
        ),
    ),
    launcher="com.google.android.apps.tv.launcherx/.home.HomeActivity",
    hdmi_player="com.google.android.tv.inputplayer/.player.PassthroughPlayerActivity",
    hdmi_inputs=_GTV12_INPUTS,
    hdmi_intents=frozenset({"inputplayer_passthrough", "view_passthrough"}),
    music_max_volume=25,
    music_initial_volume=10,
    volume_command=VolumeCommand.CMD_MEDIA_SESSION,
    current_app_format=CurrentAppFormat.IME_TARGET,
    power_key_target=PowerKeyTarget.SCREEN_OFF,
    xgimi_power_key=False,
    power_menu_service=None,
    adb_features=FEATURES_S,
    shell_path=PATH_R,
    settings=MappingProxyType(
        {
            "global": {"adb_enabled": "1", "device_name": "XGIMI MoGo 3 Pro", "wifi_on": "1"},
            "secure": {
                "android_id": "71be4f02a8c96d53",
                "user_setup_complete": "1",
                "tv_user_setup_complete": "1",
            },
            "system": {"screen_off_timeout": "900000", "sound_effects_enabled": "1"},
        }
    ),
)

PROFILES: Mapping[str, Profile] = MappingProxyType(
    {p.name: p for p in (GMUI_ANDROID9, GMUI_ANDROID11, ANDROIDTV_10, GOOGLETV_12)}
)
