"""Constants for the XGIMI projector (ADB) integration."""

from datetime import timedelta
from typing import Final

DOMAIN: Final = "xgimi_adb"
MANUFACTURER: Final = "XGIMI"
DEFAULT_PORT: Final = 5555

# Config entry data
CONF_FACTS: Final = "facts"

# Options
CONF_TURN_ON_ENTITY: Final = "turn_on_entity"  # a switch (smart plug) that powers the projector
CONF_POWER_CYCLE: Final = "power_cycle"  # switch the plug off first, wait, then on
CONF_POWER_CYCLE_DELAY: Final = "power_cycle_delay"  # seconds the plug stays off
CONF_WAKE_ON_LAN: Final = "wake_on_lan"
CONF_BROADCAST_ADDRESS: Final = "broadcast_address"
CONF_BROADCAST_PORT: Final = "broadcast_port"
CONF_TURN_OFF_MODE: Final = "turn_off_mode"
CONF_ALLOW_SHELL: Final = "allow_shell"

TURN_OFF_SLEEP: Final = "sleep"  # KEYCODE_SLEEP: screen off, ADB stays reachable
TURN_OFF_STANDBY: Final = "standby"  # XGIMI's own power-off: network down, needs a fallback to wake

DEFAULT_POWER_CYCLE_DELAY: Final = 5
DEFAULT_BROADCAST_ADDRESS: Final = "255.255.255.255"
DEFAULT_BROADCAST_PORT: Final = 9

# Polling: fast while on, slow while off, quick while a power change is being confirmed.
SCAN_INTERVAL_ON: Final = timedelta(seconds=5)
SCAN_INTERVAL_OFF: Final = timedelta(seconds=15)
# After going off (or away), keep the fast interval this long: a reboot or a short power cut is
# back within it, and while unreachable a poll is only a TCP connection attempt.
FAST_POLL_AFTER_OFF: Final = timedelta(seconds=60)
CONFIRM_POLL_SECONDS: Final = 1.0
POWER_ON_TIMEOUT: Final = 60.0  # a cold boot through the plug takes ~30-45 s
POWER_OFF_TIMEOUT: Final = 15.0

# Where the instance's ADB key pair lives, relative to the config directory.
ADB_KEY_PATH: Final = (".storage", DOMAIN, "adbkey")

# Services
SERVICE_LAUNCH_APP: Final = "launch_app"
SERVICE_SHELL_COMMAND: Final = "shell_command"
ATTR_PACKAGE: Final = "package"
ATTR_COMMAND: Final = "command"

# Xiao Ai bridge through Bemfa (options)
SECTION_XIAOAI: Final = "xiaoai"
SECTION_BEMFA_SERVER: Final = "bemfa_server"
CONF_XIAOAI_ENABLED: Final = "xiaoai_enabled"
CONF_BEMFA_KEY: Final = "bemfa_key"  # stored in its own private store, never in the options
CONF_BEMFA_PROTOCOL: Final = "bemfa_protocol"
CONF_XIAOAI_NAME: Final = "xiaoai_name"
CONF_XIAOAI_VOLUME: Final = "xiaoai_volume"
CONF_XIAOAI_PLAYBACK: Final = "xiaoai_playback"
CONF_BEMFA_HOST: Final = "bemfa_host"
CONF_BEMFA_PORT: Final = "bemfa_port"
CONF_BEMFA_API_BASE: Final = "bemfa_api_base"
PROTOCOL_MQTT: Final = "mqtt"
PROTOCOL_TCP: Final = "tcp"
DEFAULT_XIAOAI_NAME: Final = "投影仪"
BEMFA_KEY_STORE: Final = f"{DOMAIN}.bemfa_keys"
