"""The virtual projector's device model, sandbox and stand-in tools, through `run_shell` (no ADB).

Every profile answers the cookbook's commands in the documented formats; python-androidtv's own
one-liners (`androidtv.constants`) run in the real shell and its own parsers read the output, so a
format drift shows up as a wrong state here. The sandbox must survive `rm -rf /*`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import os
from pathlib import Path
import shutil
import tempfile
import threading
import time
from typing import Any

from androidtv import constants as atv
from androidtv.androidtv.androidtv_async import AndroidTVAsync
from androidtv.basetv.basetv import BaseTV
import pytest

from tests.virtual_projector import (
    PROFILES,
    DeviceModel,
    Faults,
    OutputFault,
    PlaybackState,
    PowerState,
    sandbox as sandbox_module,
    toolbox,
)
from tests.virtual_projector.profiles import COOKBOOK_HDMI_INTENTS, PowerKeyTarget, VolumeCommand
from tests.virtual_projector.sandbox import SandboxMode, ToolReply, ToolServer

ALL = sorted(PROFILES)
REPO = Path(__file__).resolve().parents[1]
KEY_HOME, KEY_VOL_UP, KEY_VOL_DOWN, KEY_POWER, KEY_PLAY_PAUSE, KEY_MUTE = 3, 24, 25, 26, 85, 164
KEY_SLEEP, KEY_WAKEUP, KEY_XGIMI_POWER = 223, 224, 2100
USER_APP = {
    "gmui_android9": "com.ktcp.video",
    "gmui_android11": "com.ktcp.video",
    "androidtv_10": "com.netflix.ninja",
    "googletv_12": "com.netflix.ninja",
}


def parser(name: str) -> Callable[..., Any]:
    """One of python-androidtv's parsing helpers (static methods of BaseTV)."""
    func: Callable[..., Any] = getattr(BaseTV, name)
    return func


def power_of(model: DeviceModel) -> PowerState:
    """Read the power state (a call, so type checkers do not narrow it across actions)."""
    return model.power


async def make_model(name: str, work_dir: Path, **kwargs: Any) -> DeviceModel:
    """Start a device model for a profile."""
    model = DeviceModel(PROFILES[name], Faults(), work_dir=work_dir, **kwargs)
    await model.start()
    return model


@pytest.fixture(params=ALL)
async def device(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DeviceModel]:
    """Start a device model, once per profile."""
    model = await make_model(request.param, tmp_path / "device")
    yield model
    await model.stop()


@pytest.fixture
async def gmui11(tmp_path: Path) -> AsyncIterator[DeviceModel]:
    """Start the default profile only (behaviour that does not depend on the firmware)."""
    model = await make_model("gmui_android11", tmp_path / "device")
    yield model
    await model.stop()


async def sh(model: DeviceModel, command: str) -> str:
    """Run like adb-shell's `shell()` does (v1: stdout and stderr merged), decoded."""
    result = await model.run_shell(command, merge_stderr=True)
    return result.stdout.decode()


class ShellAdb:
    """What python-androidtv needs of its ADB manager, answered by the model's shell."""

    available = True

    def __init__(self, model: DeviceModel) -> None:
        """Wrap a model."""
        self.model = model

    async def shell(self, cmd: str) -> str:
        """adb-shell returns the raw (merged) output, decoded."""
        return await sh(self.model, cmd)


async def android_tv(model: DeviceModel) -> AndroidTVAsync:
    """python-androidtv's device class, talking to the model's shell, properties read."""
    tv = AndroidTVAsync("127.0.0.1")
    setattr(tv, "_adb", ShellAdb(model))  # noqa: B010 - swap the transport, keep the logic
    await tv.get_device_properties()
    return tv


# -- profiles and banner --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_profile_data_is_consistent(name: str) -> None:
    """Launcher, player and inputs exist; HDMI intents are cookbook ones; features are a prefix."""
    profile = PROFILES[name]
    assert profile.app(profile.launcher_package) is not None
    assert profile.hdmi_player is not None
    assert profile.app(profile.hdmi_player.split("/")[0]) is not None
    assert profile.hdmi_intents <= set(COOKBOOK_HDMI_INTENTS)
    assert len(profile.hdmi_inputs) >= 2
    assert profile.adb_features[:2] == ("shell_v2", "cmd")
    assert "delayed_ack" not in profile.adb_features
    assert profile.legacy_protocol is False
    for key in (
        "ro.product.model",
        "ro.product.name",
        "ro.product.device",
        "ro.serialno",
        "ro.product.manufacturer",
        "ro.build.fingerprint",
        "ro.product.vendor.device",
    ):
        assert profile.props[key], key
    assert profile.props["ro.build.version.sdk"] == str(profile.sdk)
    expected = VolumeCommand.MEDIA if profile.sdk <= 29 else VolumeCommand.CMD_MEDIA_SESSION
    assert profile.volume_command is expected


def test_gmui_and_android_tv_differ_where_the_cookbook_says() -> None:
    """GMUI: com.xgimi.home, XGIMI model prop, Chinese apps; ATV/GTV: Google launchers."""
    gmui9, gmui11 = PROFILES["gmui_android9"], PROFILES["gmui_android11"]
    atv10, gtv12 = PROFILES["androidtv_10"], PROFILES["googletv_12"]
    assert gmui9.launcher_package == gmui11.launcher_package == "com.xgimi.home"
    assert gmui11.props["ro.boot.xgimi.modelname"] == "XGIMI Play 6"
    for gmui in (gmui9, gmui11):
        assert gmui.app("com.ktcp.video") and gmui.app("com.gitvdemo.video")
        assert gmui.power_key_target is PowerKeyTarget.STANDBY
    assert atv10.launcher_package == "com.google.android.tvlauncher"
    assert atv10.app("com.xgimi.xhplayer") and atv10.app("com.netflix.ninja")
    assert gtv12.app("com.google.android.tv.inputplayer")
    assert all(i.input_id.startswith("com.mediatek.tis/") for i in gtv12.hdmi_inputs)
    for tv in (atv10, gtv12):
        assert tv.power_key_target is PowerKeyTarget.SCREEN_OFF


async def test_banner(device: DeviceModel) -> None:
    """device::ro.product.name=..;ro.product.model=..;ro.product.device=..;features=shell_v2,cmd.."""
    props = device.profile.props
    banner = device.banner().decode()
    assert banner == (
        f"device::ro.product.name={props['ro.product.name']};"
        f"ro.product.model={props['ro.product.model']};"
        f"ro.product.device={props['ro.product.device']};"
        f"features={','.join(device.profile.adb_features)}"
    )
    assert ";features=shell_v2,cmd" in banner


# -- properties, network, packages ----------------------------------------------------------------


async def test_getprop(device: DeviceModel) -> None:
    """One value per line; no name: `[name]: [value]` sorted; unknown: empty line."""
    props = device.profile.props
    assert await sh(device, "getprop ro.product.model") == props["ro.product.model"] + "\n"
    assert await sh(device, "getprop no.such.prop") == "\n"
    assert await sh(device, "getprop no.such.prop fallback") == "fallback\n"
    listing = (await sh(device, "getprop")).splitlines()
    assert f"[ro.serialno]: [{props['ro.serialno']}]" in listing
    assert listing == sorted(listing)
    xgimi = await sh(device, "getprop ro.boot.xgimi.modelname")
    assert xgimi == props.get("ro.boot.xgimi.modelname", "") + "\n"


async def test_device_properties_and_mac_parse_with_androidtv(device: DeviceModel) -> None:
    """CMD_DEVICE_PROPERTIES and the MAC one-liners, through androidtv's own parsers."""
    tv = await android_tv(device)
    props = device.profile.props
    assert tv.device_properties["manufacturer"] == props["ro.product.manufacturer"]
    assert tv.device_properties["model"] == props["ro.product.model"]
    assert tv.device_properties["serialno"] == props["ro.serialno"]
    assert tv.device_properties["sw_version"] == props["ro.build.version.release"]
    macs = {iface.name: iface.mac for iface in device.profile.interfaces}
    assert tv.device_properties["wifimac"] == macs["wlan0"]
    assert tv.device_properties["ethmac"] == macs.get("eth0")
    found = tv.device_properties["ethmac"] or tv.device_properties["wifimac"]
    assert found == device.profile.primary_mac


async def test_ip_addr(device: DeviceModel) -> None:
    """iproute2 format; a missing interface is an error on stderr."""
    wlan = next(i for i in device.profile.interfaces if i.name == "wlan0")
    out = await sh(device, "ip addr show wlan0")
    assert f"    link/ether {wlan.mac} brd ff:ff:ff:ff:ff:ff\n" in out
    assert f"    inet {wlan.ipv4} brd " in out
    assert "lo:" in await sh(device, "ip addr")
    missing = await device.run_shell("ip addr show nope0", merge_stderr=False)
    assert (missing.stdout, missing.stderr, missing.exit_code) == (
        b"",
        b'Device "nope0" does not exist.\n',
        1,
    )
    assert await sh(device, "cat /sys/class/net/wlan0/address") == wlan.mac + "\n"


async def test_packages(device: DeviceModel) -> None:
    """`pm list packages [-3]`, resolve-activity, and androidtv's installed-apps parser."""
    profile = device.profile
    listing = await sh(device, atv.CMD_INSTALLED_APPS)
    apps = parser("_get_installed_apps")(listing)
    assert apps == [app.package for app in profile.apps]
    third = (await sh(device, "pm list packages -3")).split()
    assert third == [f"package:{app.package}" for app in profile.apps if not app.system]
    assert USER_APP[device.profile.name] in apps
    resolve = await sh(device, f"cmd package resolve-activity --brief {USER_APP[profile.name]}")
    first, component = resolve.splitlines()
    assert first.startswith("priority=0 preferredOrder=0 match=0x108000")
    assert component.startswith(USER_APP[profile.name] + "/")
    assert await sh(device, "cmd package resolve-activity --brief no.such.app") == (
        "No activity found\n"
    )


# -- power ----------------------------------------------------------------------------------------


async def test_power_key_per_profile(tmp_path: Path) -> None:
    """KEYCODE_POWER: GMUI goes to standby (network down), Android/Google TV to screen off."""
    for name in ALL:
        seen: list[PowerState] = []
        model = await make_model(name, tmp_path / name, on_power_change=seen.append)
        try:
            await sh(model, "input keyevent 26")
            target = PowerState(model.profile.power_key_target.value)
            assert power_of(model) is target, name
            model.press_key(KEY_POWER)  # the remote wakes it from either
            assert power_of(model) is PowerState.ON
            assert seen == [target, PowerState.ON]
            assert model.key_events == [KEY_POWER, KEY_POWER]
        finally:
            await model.stop()


async def test_sleep_wakeup_and_xgimi_power(device: DeviceModel) -> None:
    """223 sleeps only when awake, 224 wakes only when asleep, 2100 toggles where supported."""
    await sh(device, "input keyevent 224")
    assert power_of(device) is PowerState.ON
    await sh(device, "input keyevent 223")
    assert power_of(device) is PowerState.SCREEN_OFF
    await sh(device, "input keyevent 223")
    assert power_of(device) is PowerState.SCREEN_OFF
    await sh(device, "input keyevent 224")
    assert power_of(device) is PowerState.ON
    await sh(device, "input keyevent 2100")
    toggles = device.profile.xgimi_power_key
    assert power_of(device) is (PowerState.SCREEN_OFF if toggles else PowerState.ON)
    await sh(device, "input keyevent 2100")
    assert power_of(device) is PowerState.ON


async def test_screen_off_reads_and_ignores_app_keys(device: DeviceModel) -> None:
    """Screen off: dumpsys power says Asleep/OFF; volume and HOME keys do nothing while the screen is off."""
    device.set_power(PowerState.SCREEN_OFF)
    power = await sh(device, "dumpsys power")
    assert "  mWakefulness=Asleep\n" in power
    assert "\nDisplay Power: state=OFF\n" in power
    assert "  mHoldingDisplaySuspendBlocker=false\n" in power
    volume = device.volume
    await sh(device, "input keyevent 24")
    assert device.volume == volume
    output = await sh(device, atv.CMD_SCREEN_ON_AWAKE_WAKE_LOCK_SIZE)
    assert parser("_screen_on_awake_wake_lock_size")(output) == (False, False, 0)


async def test_standby_only_wakes_on_power(gmui11: DeviceModel) -> None:
    """In standby the SoC sleeps: only the remote's power key is handled."""
    gmui11.set_power(PowerState.STANDBY)
    gmui11.press_key(KEY_HOME)
    gmui11.press_key(KEY_WAKEUP)
    assert power_of(gmui11) is PowerState.STANDBY
    assert gmui11.key_events == []
    gmui11.press_key(KEY_POWER)
    assert power_of(gmui11) is PowerState.ON
    gmui11.set_power(PowerState.UNPOWERED)
    gmui11.press_key(KEY_POWER)
    assert power_of(gmui11) is PowerState.UNPOWERED


async def test_power_menu_service_twice_turns_off(gmui11: DeviceModel) -> None:
    """Play 6: the WINODWSYSTEM power-menu intent sent twice in a row means standby."""
    command = "am startservice -a com.xgimi.action.WINODWSYSTEM -p com.xgimi.shutdown"
    out = await sh(gmui11, command)
    assert out == (
        "Starting service: Intent { act=com.xgimi.action.WINODWSYSTEM pkg=com.xgimi.shutdown }\n"
    )
    assert power_of(gmui11) is PowerState.ON
    await sh(gmui11, command)
    assert power_of(gmui11) is PowerState.STANDBY


async def test_shell_reboot_and_reboot_completed(gmui11: DeviceModel) -> None:
    """`reboot` takes the device off the network, then it comes back with the launcher."""
    seen: list[PowerState] = []
    gmui11.on_power_change = seen.append
    gmui11.reboot_duration_s = 0.05
    gmui11.launch_app("com.ktcp.video")
    gmui11.set_playback(PlaybackState.PLAYING)
    assert await sh(gmui11, "reboot") == ""
    assert power_of(gmui11) is PowerState.UNPOWERED
    async with asyncio.timeout(5):
        while power_of(gmui11) is not PowerState.ON:
            await asyncio.sleep(0.01)
    assert seen == [PowerState.UNPOWERED, PowerState.ON]
    assert gmui11.foreground == "com.xgimi.home"
    gmui11.launch_app("com.ktcp.video")
    gmui11.set_playback(PlaybackState.PAUSED)
    gmui11.reboot_completed()
    assert (gmui11.foreground, gmui11.playback) == ("com.xgimi.home", PlaybackState.NONE)


# -- androidtv's view of the device ---------------------------------------------------------------


async def test_androidtv_update_idle_playing_paused_off(device: DeviceModel) -> None:
    """python-androidtv's full update() on every profile: launcher idle, app playing/paused, off."""
    tv = await android_tv(device)
    profile = device.profile
    state, app, running, device_name, muted, level, _ = await tv.update()
    assert (state, app) == ("idle", profile.launcher_package)
    assert device_name == profile.audio_device
    assert muted is False
    assert level == pytest.approx(profile.music_initial_volume / profile.music_max_volume)
    assert profile.launcher_package in running
    device.launch_app(USER_APP[profile.name])
    device.set_playback(PlaybackState.PLAYING)
    state, app, running, *_ = await tv.update()
    assert (state, app) == ("playing", USER_APP[profile.name])
    assert USER_APP[profile.name] in running
    await sh(device, "input keyevent 85")
    assert device.playback is PlaybackState.PAUSED
    state, *_ = await tv.update()
    assert state == "paused"
    await tv.turn_off()
    state, *_ = await tv.update()
    assert state == "off"
    assert power_of(device) is PowerState(profile.power_key_target.value)


async def test_androidtv_volume_and_mute(device: DeviceModel) -> None:
    """Volume via python-androidtv: set (media/cmd media_session per version), up/down and mute parse."""
    tv = await android_tv(device)
    await tv.update()
    maximum = device.profile.music_max_volume
    await tv.set_volume_level(0.2)
    assert device.volume == round(maximum * 0.2)
    await tv.volume_up()
    assert device.volume == round(maximum * 0.2) + 1
    await tv.mute_volume()
    _, _, _, _, muted, level, _ = await tv.update()
    assert muted is True
    assert level == pytest.approx(device.volume / maximum)
    await tv.volume_down()
    assert device.muted is False


async def test_androidtv_launch_and_stop_app(device: DeviceModel) -> None:
    """launch_app uses monkey with LEANBACK_LAUNCHER; stop_app uses am force-stop."""
    tv = await android_tv(device)
    app = USER_APP[device.profile.name]
    await tv.launch_app(app)
    assert device.foreground == app
    assert (await tv.current_app()).strip() == app  # androidtv keeps echo's newline
    await tv.stop_app(app)
    assert device.foreground == device.profile.launcher_package
    assert app not in device.running_packages


async def test_current_app_one_liners(device: DeviceModel) -> None:
    """The focus lines each firmware prints feed androidtv's matching CMD_CURRENT_APP*."""
    sdk = device.profile.sdk
    device.launch_app(USER_APP[device.profile.name])
    commands = [atv.CMD_CURRENT_APP, atv.CMD_CURRENT_APP_GOOGLE_TV]
    commands += [atv.CMD_CURRENT_APP11] if sdk == 30 else []
    commands += [atv.CMD_CURRENT_APP12, atv.CMD_CURRENT_APP13] if sdk >= 31 else []
    for command in commands:
        output = (await sh(device, command)).strip()
        assert parser("_current_app")(output) == USER_APP[device.profile.name], command


async def test_media_session_state(device: DeviceModel) -> None:
    """`dumpsys media_session` Sessions Stack + PlaybackState, read by androidtv's one-liner."""
    app = USER_APP[device.profile.name]
    device.launch_app(app)
    for state in (PlaybackState.PLAYING, PlaybackState.PAUSED, PlaybackState.STOPPED):
        device.set_playback(state)
        output = await sh(device, atv.CMD_CURRENT_APP_MEDIA_SESSION_STATE)
        tv = BaseTV(None, "127.0.0.1")
        assert tv._current_app_media_session_state(output) == (app, state.value)  # noqa: SLF001
    dump = await sh(device, "dumpsys media_session")
    assert "  Sessions Stack - have 1 sessions:\n" in dump
    assert "state=PlaybackState {state=1, position=0, buffered position=0, speed=0.0" in dump


async def test_audio_state_one_liners(device: DeviceModel) -> None:
    """Player states in dumpsys audio for CMD_AUDIO_STATE (and its Android 11 event-log variant)."""
    command = atv.CMD_AUDIO_STATE11 if device.profile.sdk >= 30 else atv.CMD_AUDIO_STATE
    assert await sh(device, command) == "0"
    device.launch_app(USER_APP[device.profile.name])
    device.set_playback(PlaybackState.PLAYING)
    assert parser("_audio_state")(await sh(device, command)) == "playing"
    device.set_playback(PlaybackState.PAUSED)
    assert parser("_audio_state")(await sh(device, command)) == "paused"


async def test_running_apps(device: DeviceModel) -> None:
    """`ps -A | grep u0_a` lists app processes; the launched app appears."""
    app = USER_APP[device.profile.name]
    device.launch_app(app)
    output = await sh(device, atv.CMD_RUNNING_APPS)
    assert all(" u0_a" in f" {line}" for line in output.splitlines())
    assert app in parser("_running_apps")(output)
    assert "USER" in (await sh(device, "ps -A")).splitlines()[0]


# -- volume ---------------------------------------------------------------------------------------


async def test_volume_commands_and_dumpsys_audio(device: DeviceModel) -> None:
    """VolumeCtrl text for set/get, the exact range error, and the STREAM_MUSIC block."""
    profile = device.profile
    command = "media" if profile.volume_command is VolumeCommand.MEDIA else "cmd media_session"
    out = await sh(device, f"{command} volume --show --stream 3 --set 7")
    assert out == (
        "[V] will control stream=3 (STREAM_MUSIC)\n"
        "[V] will set volume to index=7\n"
        "[V] Connecting to AudioService\n"
    )
    assert device.volume == 7
    get = await sh(device, f"{command} volume --stream 3 --get")
    assert get.endswith(f"[V] volume is 7 in range [0..{profile.music_max_volume}]\n")
    too_big = profile.music_max_volume + 1
    bad = await device.run_shell(f"{command} volume --stream 3 --set {too_big}", merge_stderr=False)
    assert bad.stderr.decode() == (
        f"Error: invalid volume index {too_big} for stream 3 "
        f"(should be in [0..{profile.music_max_volume}])\n"
    )
    assert device.volume == 7
    raw = await sh(device, atv.CMD_STREAM_MUSIC)
    block = parser("_parse_stream_music")(raw)
    output_device = parser("_audio_output_device")(block)
    assert output_device == profile.audio_device
    assert parser("_is_volume_muted")(block) is False
    tv = BaseTV(None, "127.0.0.1")
    assert tv._volume(block, output_device) == 7  # noqa: SLF001
    assert tv.max_volume == profile.music_max_volume


async def test_other_volume_command_is_missing(device: DeviceModel) -> None:
    """<= 10 has no `cmd media_session volume`; >= 11 has no `media`."""
    if device.profile.volume_command is VolumeCommand.MEDIA:
        result = await device.run_shell("cmd media_session volume --get", merge_stderr=True)
        assert result.exit_code == 255
    else:
        result = await device.run_shell("media volume --get", merge_stderr=True)
        assert result.stdout == b"/system/bin/sh: media: inaccessible or not found\n"
        assert result.exit_code == 127


async def test_volume_keys_and_mute(gmui11: DeviceModel) -> None:
    """24/25 step within 0..max and unmute; 164 toggles mute."""
    start = gmui11.volume
    await sh(gmui11, "input keyevent 24 24 25")
    assert gmui11.volume == start + 1
    gmui11.press_key(KEY_MUTE)
    assert gmui11.muted
    assert "   Muted: true\n" in await sh(gmui11, "dumpsys audio | grep -A 1 'STREAM_MUSIC'")
    gmui11.press_key(KEY_VOL_DOWN)
    assert (gmui11.muted, gmui11.volume) == (False, start)
    await sh(gmui11, "cmd media_session volume --set 0")
    for _ in range(3):
        gmui11.press_key(KEY_VOL_DOWN)
    assert gmui11.volume == 0


# -- HDMI -----------------------------------------------------------------------------------------


async def test_hdmi_cookbook_intents(device: DeviceModel) -> None:
    """Each cookbook intent switches the input exactly on the profiles that accept it."""
    profile = device.profile
    target = profile.hdmi_inputs[1]
    for key, template in COOKBOOK_HDMI_INTENTS.items():
        device.press_key(KEY_HOME)
        out = await sh(device, template.format(label=target.label, uri=target.uri))
        assert out.startswith("Starting: Intent { "), (key, out)
        accepted = key in profile.hdmi_intents
        assert (device.current_input == target.label) is accepted, (key, out)
        if accepted:
            assert "Error" not in out
            assert device.foreground == device.foreground_activity.split("/")[0]
    device.press_key(KEY_HOME)
    assert device.current_input is None
    assert device.foreground == profile.launcher_package


async def test_hdmi_switch_is_visible_in_dumps(device: DeviceModel) -> None:
    """After a switch: resumed activity, focus, tv_input session (+ HW port on Android 11+)."""
    profile = device.profile
    target = profile.hdmi_inputs[0]
    template = COOKBOOK_HDMI_INTENTS[min(profile.hdmi_intents)]
    await sh(device, template.format(label=target.label, uri=target.uri))
    player = profile.hdmi_player or ""
    resumed = await sh(device, "dumpsys activity activities | grep -E 'mResumedActivity'")
    assert f" u0 {player.split('/')[0]}/" in resumed
    assert (
        parser("_current_app")((await sh(device, atv.CMD_CURRENT_APP)).strip())
        == (player.split("/")[0])
    )
    tv_input = await sh(device, "dumpsys tv_input")
    assert f"      inputId: {target.input_id}\n" in tv_input
    assert f"    {target.input_id}: info: TvInputInfo{{id={target.input_id}, " in tv_input
    hdmi = (await sh(device, atv.CMD_HDMI_INPUT11)).strip()
    assert hdmi == (f"HW{target.port}" if profile.sdk >= 30 else "")
    starter = await sh(device, "dumpsys activity starter")
    assert "    mLastStartActivityRecord:\n" in starter


async def test_am_start_outputs(tmp_path: Path) -> None:
    """Exact `am start` texts: success, delivered to top, unresolvable, missing class."""
    horizon = await make_model("androidtv_10", tmp_path / "atv")
    gtv = await make_model("googletv_12", tmp_path / "gtv")
    try:
        sw = COOKBOOK_HDMI_INTENTS["xhplayer_sw"].format(label="HDMI1", uri="")
        assert await sh(horizon, sw) == (
            "Starting: Intent { act=com.xgimi.action.hdmiPlayer flg=0x14000000 "
            "cmp=com.xgimi.xhplayer/.InputActivity (has extras) }\n"
        )
        assert (await sh(horizon, sw)).endswith(
            "Warning: Activity not started, intent has been delivered to currently running "
            "top-most instance.\n"
        )
        uri = horizon.profile.hdmi_inputs[0].uri
        passthrough = COOKBOOK_HDMI_INTENTS["xhplayer_passthrough"].format(uri=uri, label="")
        assert await sh(horizon, passthrough) == (
            "Starting: Intent { act=com.xgimi.action.hdmiPlayer dat=content://android.media.tv/"
            "passthrough/com.mediatek.tvinput/.hdmi.HDMIInputService/HW5 flg=0x10000000 "
            "pkg=com.xgimi.xhplayer }\nError: Activity not started, unable to resolve Intent { "
            "act=com.xgimi.action.hdmiPlayer dat=content://android.media.tv/passthrough/"
            "com.mediatek.tvinput/.hdmi.HDMIInputService/HW5 flg=0x10000000 "
            "pkg=com.xgimi.xhplayer }\n"
        )
        assert await sh(gtv, sw) == (
            "Starting: Intent { act=com.xgimi.action.hdmiPlayer flg=0x14000000 "
            "cmp=com.xgimi.xhplayer/.InputActivity (has extras) }\n"
            "Error type 3\nError: Activity class "
            "{com.xgimi.xhplayer/com.xgimi.xhplayer.InputActivity} does not exist.\n"
        )
        view = COOKBOOK_HDMI_INTENTS["view_passthrough"].format(uri=gtv.profile.hdmi_inputs[0].uri)
        assert await sh(gtv, view) == (
            "Starting: Intent { act=android.intent.action.VIEW "
            "dat=content://android.media.tv/... }\n"
        )
        assert gtv.current_input == "HDMI1"
    finally:
        await horizon.stop()
        await gtv.stop()


async def test_play6_passthrough_output(gmui11: DeviceModel) -> None:
    """The Play 6 form of the cookbook: -p com.xgimi.xhplayer with the passthrough URI."""
    target = gmui11.profile.hdmi_inputs[0]
    command = COOKBOOK_HDMI_INTENTS["xhplayer_passthrough"].format(uri=target.uri, label="")
    assert await sh(gmui11, command) == (
        "Starting: Intent { act=com.xgimi.action.hdmiPlayer dat=content://android.media.tv/... "
        "flg=0x10000000 pkg=com.xgimi.xhplayer }\n"
    )
    assert (gmui11.foreground, gmui11.current_input) == ("com.xgimi.xhplayer", "HDMI1")
    await sh(gmui11, "am force-stop com.xgimi.xhplayer")
    assert (gmui11.foreground, gmui11.current_input) == ("com.xgimi.home", None)


# -- apps -----------------------------------------------------------------------------------------


async def test_monkey(gmui11: DeviceModel) -> None:
    """Events injected / No activities found (stderr, exit code), as Monkey prints them."""
    ok = await gmui11.run_shell(
        "monkey -p com.gitvdemo.video -c android.intent.category.LAUNCHER 1", merge_stderr=False
    )
    lines = ok.stdout.decode().splitlines()
    assert lines[:2] == ["  bash arg: -p", "  bash arg: com.gitvdemo.video"]
    assert "Events injected: 1" in lines
    assert lines[-1].startswith("## Network stats: elapsed time=")
    assert gmui11.foreground == "com.gitvdemo.video"
    missing = await gmui11.run_shell(
        "monkey -p com.gitvdemo.video -c android.intent.category.LEANBACK_LAUNCHER 1; echo $?",
        merge_stderr=True,
    )
    text = missing.stdout.decode()
    assert "** No activities found to run, monkey aborted.\n" in text
    assert text.endswith("252\n")


async def test_home_back_and_force_stop(gmui11: DeviceModel) -> None:
    """HOME brings the launcher, BACK finishes the top app, force-stop kills it."""
    gmui11.launch_app("com.ktcp.video")
    gmui11.launch_app("com.gitvdemo.video")
    await sh(gmui11, "input keyevent KEYCODE_BACK")
    assert gmui11.foreground == "com.ktcp.video"
    await sh(gmui11, "input keyevent HOME")
    assert gmui11.foreground == "com.xgimi.home"
    assert "com.ktcp.video" in gmui11.running_packages
    await sh(gmui11, "am force-stop com.ktcp.video")
    assert "com.ktcp.video" not in gmui11.running_packages
    assert gmui11.key_events == [4, 3]


# -- the shell ------------------------------------------------------------------------------------


async def test_shell_syntax_and_unknown_tools(gmui11: DeviceModel) -> None:
    """Pipes, && / ||, $( ), exit codes; unknown tools are the shell's own error, not ADB's."""
    assert await sh(gmui11, "echo a | tr a b && false || echo c") == "b\nc\n"
    assert await sh(gmui11, "X=$(getprop ro.build.version.sdk); echo $((X + 1))") == "31\n"
    assert await sh(gmui11, "echo -e '1\\c'; echo '2\\c'") == "12"
    unknown = await gmui11.run_shell("foo --bar", merge_stderr=False)
    assert unknown.stderr == b"/system/bin/sh: foo: inaccessible or not found\n"
    assert unknown.exit_code == 127
    split = await gmui11.run_shell("echo out; echo err >&2; exit 3", merge_stderr=False)
    assert (split.stdout, split.stderr, split.exit_code) == (b"out\n", b"err\n", 3)
    assert await sh(gmui11, "settings get global device_name") == "XGIMI Play 6\n"
    await sh(gmui11, "settings put secure my_key 42")
    assert await sh(gmui11, "settings get secure my_key") == "42\n"
    assert await sh(gmui11, "settings get system nope") == "null\n"
    assert await sh(gmui11, "wm size") == "Physical size: 1920x1080\n"


async def test_records_commands_and_tool_calls(gmui11: DeviceModel) -> None:
    """Every command line and every tool process is recorded, in order."""
    await sh(gmui11, "dumpsys power | grep mWakefulness; getprop ro.serialno")
    await sh(gmui11, "input keyevent 24")
    assert gmui11.received_commands == [
        "dumpsys power | grep mWakefulness; getprop ro.serialno",
        "input keyevent 24",
    ]
    assert gmui11.tool_calls == [
        ("dumpsys", "power"),
        ("getprop", "ro.serialno"),
        ("input", "keyevent", "24"),
    ]


async def test_setprop_rules(gmui11: DeviceModel) -> None:
    """The shell user may set debug.* but not ro.* properties."""
    assert await sh(gmui11, "setprop debug.vp.test 1 && getprop debug.vp.test") == "1\n"
    denied = await gmui11.run_shell("setprop ro.serialno X", merge_stderr=True)
    assert denied.exit_code == 1
    assert denied.stdout.startswith(b"Failed to set property 'ro.serialno' to 'X'.")


async def test_screencap(gmui11: DeviceModel) -> None:
    """`screencap -p` prints a PNG; with a file name it writes one in the scratch dir."""
    png = await gmui11.run_shell("screencap -p", merge_stderr=False)
    assert png.stdout.startswith(b"\x89PNG\r\n\x1a\n")
    assert await sh(gmui11, "screencap -p /data/local/tmp/shot.png && ls /data/local/tmp") == (
        "shot.png\n"
    )
    assert (gmui11.scratch_dir / "shot.png").read_bytes().startswith(b"\x89PNG")


# -- sandbox safety -------------------------------------------------------------------------------


async def test_sandbox_protects_the_host(gmui11: DeviceModel, tmp_path: Path) -> None:
    """Harmless: rm -rf /, rm -rf /*, writes to /etc and to the repository harm nothing; scratch works."""
    if gmui11.sandbox_mode is SandboxMode.DIRECT:
        pytest.skip("no bwrap and not root: the fallback shell has the user's own rights")
    canary = tmp_path / "canary.txt"
    canary.write_text("alive")
    repo_file = REPO / "tests" / "virtual_projector" / "faults.py"
    before = repo_file.read_bytes()
    await sh(gmui11, "echo kept > /data/local/tmp/kept.txt")
    etc = await sh(gmui11, "echo x > /etc/passwd; echo rc=$?")
    assert "rc=1" in etc
    into_repo = await sh(gmui11, f"echo x > {repo_file}; echo x > {canary}; echo rc=$?")
    assert "rc=1" in into_repo
    await sh(gmui11, "rm -rf /")
    await sh(gmui11, "rm -rf /*; /usr/bin/rm -rf --no-preserve-root / 2>/dev/null; true")
    assert canary.read_text() == "alive"
    assert repo_file.read_bytes() == before
    assert Path("/usr/bin/mksh").exists()
    assert await sh(gmui11, "echo fresh > /data/local/tmp/f && cat /data/local/tmp/f") == "fresh\n"
    assert (gmui11.scratch_dir / "f").read_text() == "fresh\n"
    assert "/system/bin/mksh" not in await sh(gmui11, "ls /system/bin")


async def test_sandbox_user_and_network(gmui11: DeviceModel) -> None:
    """Android's shell user; no network namespace shared with the host (bwrap mode)."""
    if gmui11.sandbox_mode is not SandboxMode.BWRAP:
        pytest.skip("bwrap not available")
    assert (await sh(gmui11, "id")).startswith("uid=2000(shell) gid=2000(shell)")
    assert await sh(gmui11, "cat /proc/net/dev | grep -c wlan; ls /proc/net/ >/dev/null") == "0\n"
    assert (
        await sh(gmui11, "echo $0; echo $PATH")
        == f"/system/bin/sh\n{PROFILES['gmui_android11'].shell_path}\n"
    )


async def test_hard_timeout_kills_the_command(gmui11: DeviceModel) -> None:
    """A command that never ends is killed after the sandbox timeout (exit 137)."""
    gmui11.sandbox.timeout_s = 0.5
    started = time.monotonic()
    result = await gmui11.run_shell("echo before; sleep 30; echo after", merge_stderr=True)
    assert time.monotonic() - started < 5
    assert (result.stdout, result.exit_code) == (b"before\n", 137)


async def test_works_on_another_threads_loop(tmp_path: Path) -> None:
    """The projector runs on its own thread and loop: the model must work there too."""
    results: list[str] = []

    async def inside() -> None:
        model = await make_model("googletv_12", tmp_path / "threaded")
        try:
            results.append(
                await sh(
                    model, "getprop ro.product.model; dumpsys power | grep -c mWakefulness=Awake"
                )
            )
        finally:
            await model.stop()

    thread = threading.Thread(target=lambda: asyncio.run(inside()))
    thread.start()
    await asyncio.to_thread(thread.join, 30)
    assert results == ["XGIMI MoGo 3 Pro\n1\n"]


# -- faults ---------------------------------------------------------------------------------------


async def test_output_faults(gmui11: DeviceModel) -> None:
    """Garbage (not UTF-8), truncated (half), oversized (MiBs more), empty; only matching lines."""
    clean = (await gmui11.run_shell("dumpsys audio", merge_stderr=True)).stdout
    faults = gmui11.faults
    faults.output_faults["dumpsys audio"] = OutputFault.GARBAGE
    garbage = (await gmui11.run_shell("dumpsys audio", merge_stderr=True)).stdout
    with pytest.raises(UnicodeDecodeError):
        garbage.decode()
    faults.output_faults["dumpsys audio"] = OutputFault.TRUNCATED
    truncated = (await gmui11.run_shell("dumpsys audio", merge_stderr=True)).stdout
    assert truncated == clean[: len(clean) // 2]
    faults.output_faults["dumpsys audio"] = OutputFault.OVERSIZED
    oversized = (await gmui11.run_shell("dumpsys audio", merge_stderr=True)).stdout
    assert oversized.startswith(clean)
    assert len(oversized) > len(clean) + 3 * 1024 * 1024
    faults.output_faults["dumpsys audio"] = OutputFault.EMPTY
    assert await gmui11.run_shell("dumpsys audio", merge_stderr=False) == type(
        await gmui11.run_shell("true", merge_stderr=False)
    )(b"", b"", 0)
    assert await sh(gmui11, "getprop ro.product.model") == "XGIMI Play 6\n"


async def test_command_latency(gmui11: DeviceModel) -> None:
    """faults.command_latency_s delays every command line."""
    gmui11.faults.command_latency_s = 0.3
    started = time.monotonic()
    assert await sh(gmui11, "echo hi") == "hi\n"
    assert time.monotonic() - started >= 0.3


# -- more tools -----------------------------------------------------------------------------------


async def test_input_variants(device: DeviceModel) -> None:
    """--longpress, key names, a source, `input text`; `cmd input` exists from Android 11."""
    await sh(device, "input keyevent --longpress KEYCODE_VOLUME_UP")
    await sh(device, "input keyboard keyevent 25")
    await sh(device, "input text hello%sworld")
    assert device.key_events == [KEY_VOL_UP, KEY_VOL_DOWN]
    assert device.typed_text == ["hello world"]
    via_cmd = await device.run_shell("cmd input keyevent 24", merge_stderr=True)
    if device.profile.sdk >= 30:
        assert (via_cmd.stdout, via_cmd.exit_code) == (b"", 0)
        assert device.key_events[-1] == KEY_VOL_UP
    else:
        assert via_cmd.stdout == b"No shell command implementation.\n"


async def test_dumpsys_listing_and_unknown_service(gmui11: DeviceModel) -> None:
    """`dumpsys -l` lists services; an unknown one is reported on stderr."""
    listing = await sh(gmui11, "dumpsys -l")
    assert listing.startswith("Currently running services:\n")
    assert "  tv_input\n" in listing
    unknown = await gmui11.run_shell("dumpsys nosuch", merge_stderr=False)
    assert (unknown.stdout, unknown.stderr) == (b"", b"Can't find service: nosuch\n")
    everything = await sh(gmui11, "dumpsys")
    assert "DUMP OF SERVICE power:\n" in everything
    assert "DUMP OF SERVICE window:\n" in everything


async def test_idle_dumps_are_stable(device: DeviceModel) -> None:
    """Two dumps of an idle device are identical (fault tests compare them byte for byte)."""
    for service in ("power", "audio", "window windows", "activity activities", "tv_input"):
        first = await sh(device, f"dumpsys {service}")
        assert await sh(device, f"dumpsys {service}") == first, service


async def test_am_start_wait_and_launcher_intent(tmp_path: Path) -> None:
    """-W adds the launch report; the launcher on top gets the intent delivered to it."""
    model = await make_model("androidtv_10", tmp_path / "atv")
    try:
        out = await sh(model, "am start -W -n com.netflix.ninja/.MainActivity")
        assert out.splitlines() == [
            "Starting: Intent { cmp=com.netflix.ninja/.MainActivity }",
            "Status: ok",
            "LaunchState: COLD",
            "Activity: com.netflix.ninja/.MainActivity",
            "TotalTime: 412",
            "WaitTime: 418",
            "Complete",
        ]
        await sh(model, "input keyevent 3")
        home = await sh(model, "am start -n com.google.android.tvlauncher/.MainActivity")
        assert home == (
            "Starting: Intent { cmp=com.google.android.tvlauncher/.MainActivity }\n"
            "Warning: Activity not started, intent has been delivered to currently running "
            "top-most instance.\n"
        )
        picker = await sh(
            model, "am start -n com.google.android.tvlauncher/.inputs.InputsPanelActivity"
        )
        assert "Error" not in picker
        assert (
            model.foreground_activity == "com.google.android.tvlauncher/.inputs.InputsPanelActivity"
        )
    finally:
        await model.stop()


async def test_fallback_without_bwrap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No bwrap: mksh runs directly, as nobody when the daemon is root, tools still answer."""
    if os.geteuid() != 0:
        pytest.skip("the fallback only confines commands when the daemon runs as root")

    async def no_bwrap() -> SandboxMode:
        return SandboxMode.DIRECT_UNPRIVILEGED

    monkeypatch.setattr(sandbox_module, "detect_mode", no_bwrap)
    model = await make_model("gmui_android9", tmp_path / "fallback")
    try:
        assert model.sandbox_mode is SandboxMode.DIRECT_UNPRIVILEGED
        assert (await sh(model, "id -u; echo $0")) == "65534\n/system/bin/sh\n"
        assert await sh(model, "getprop ro.product.model") == "XGIMI Z6X\n"
        denied = await sh(model, "echo x > /etc/passwd; echo rc=$?")
        assert denied.endswith("rc=1\n")
        assert await sh(model, "echo ok > here.txt && cat here.txt") == "ok\n"
        assert (model.scratch_dir / "here.txt").read_text() == "ok\n"
    finally:
        await model.stop()


async def test_toolbox_client_round_trip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]
) -> None:
    """toolbox.py forwards argv, prints both streams, writes files, returns the exit code."""
    seen: list[list[str]] = []

    def handler(argv: list[str]) -> ToolReply:
        seen.append(argv)
        return ToolReply(b"out\x00\xff", b"err\n", 3, (("shot.bin", b"\x89PNG"),))

    server = ToolServer(tmp_path / "tb.sock", handler)
    await server.start()
    monkeypatch.setenv(toolbox.SOCKET_ENV, str(tmp_path / "tb.sock"))
    monkeypatch.chdir(tmp_path)
    try:
        code = await asyncio.to_thread(toolbox.main, ["/system/bin/dumpsys", "a b", "ü"])
    finally:
        await server.stop()
    out, err = capfdbinary.readouterr()
    assert (code, out, err) == (3, b"out\x00\xff", b"err\n")
    assert seen == [["dumpsys", "a b", "ü"]]
    assert (tmp_path / "shot.bin").read_bytes() == b"\x89PNG"
    monkeypatch.setenv(toolbox.SOCKET_ENV, str(tmp_path / "gone.sock"))
    assert toolbox.main(["/system/bin/getprop"]) == 1
    assert capfdbinary.readouterr().err.startswith(b"getprop: ")


async def test_long_work_dir_in_direct_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """A socket path beyond sun_path's ~108 bytes still works (bind via /proc, short link)."""

    async def direct() -> SandboxMode:
        return SandboxMode.DIRECT

    monkeypatch.setattr(sandbox_module, "detect_mode", direct)
    base = Path(tempfile.mkdtemp(prefix="vp-long-"))
    base.chmod(0o755)
    work_dir = base / ("deep" * 30) / "device"
    model = await make_model("googletv_12", work_dir)
    try:
        assert len(str(model.sandbox.root / "run" / "toolbox.sock")) > 108
        assert await sh(model, "getprop ro.build.version.release") == "12\n"
    finally:
        await model.stop()
        shutil.rmtree(base)
