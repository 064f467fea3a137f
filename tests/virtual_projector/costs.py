"""Device-side cost model: how long the projector's own work takes, for benchmarks.

The virtual projector answers in milliseconds on a PC; a real XGIMI projector runs every shell
command on a slow ARM TV SoC. To compare two clients fairly, the benchmark turns this model on
for every virtual projector alike: the same numbers whatever client sends the commands, so a
client that makes the device do less work wins, not one that is tuned to the emulator.

The model is OFF by default (the tests stay fast). When on, it adds a delay:
- per shell stream (`shell:`/`exec:` command line): adbd forks `/system/bin/sh -c <line>`;
- per Android tool process the line starts (`dumpsys`, `ps`, `getprop`, `settings`, `am`,
  `cmd`, ...): fork + exec + dynamic linking, plus that tool's own work;
- per tool that starts a Java VM (`app_process`): `input` up to Android 11, `monkey`, `media`.
  `cmd input` and, from Android 12, `input` itself are a binder call into system_server: no VM.

Every delay is an `asyncio.sleep` on the projector's event loop (in the tool server, before the
tool's answer, and before the shell line runs), so other connections to the same projector keep
being served meanwhile, as on a multi-core device. Nothing in this file blocks.

Sources for the numbers (most are ESTIMATES: there are no published timings for XGIMI firmware,
and none were measured on a real projector):
- `input` = Java VM: AOSP `frameworks/base/cmds/input/input` is the script
  `exec app_process $base/bin com.android.commands.input.Input "$@"` (a fresh ART VM per call);
  Android 12 moved the command into system_server (`InputShellCommand`, reached by `cmd input`),
  the SDK 31 boundary is from AOSP history, not checked on XGIMI firmware. `monkey` and (Android
  <= 10) `media` are app_process scripts on every version; `am`, `pm` and `settings` have been
  `cmd activity|package|settings` wrappers (no VM) since Android 7-9, older than every profile.
- VM start 0.40 s: ESTIMATE. Starting ART and the framework classes for a command-line tool is
  what makes `adb shell input ...` slow: "the most time-consuming is the launch of the java
  process ... on my Galaxy Note 4, adb input tap takes 1160 ms" (prog.world, "tap, swipe and two
  smoking events"); 0.4 s is a deliberately low figure for a current 4x Cortex-A55 TV SoC.
- process start 10 ms, `sh -c` 5 ms: ESTIMATE for fork/exec/linker on such a SoC.
- `dumpsys <service>` 25 ms: ESTIMATE. A bugreport prints "--------- 0.0NNs was the duration of
  dumpsys <service>"; window/activity/audio/media_session dumps typically take tens of ms.
- `ps -A` 30 ms: ESTIMATE, it reads /proc/<pid>/stat of ~300 processes on an Android TV.
- `screencap -p` 400 ms: ESTIMATE, PNG encoding of a 1080p frame on the CPU.
- everything else (getprop, settings, ip, wm, cmd ...): only the process start.

Not modelled: network round-trip time (the virtual projector is on loopback, so a client that
opens more streams per poll is not charged the 2-10 ms of Wi-Fi latency per stream it would pay),
and CPU contention on the device between concurrent commands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

# First SDK where `input` forwards to system_server (`cmd input`) instead of starting a VM.
INPUT_IN_SYSTEM_SERVER_SDK = 31
# Tools that always start a Java VM through app_process.
VM_TOOLS = frozenset({"monkey", "media"})

DEFAULT_TOOL_WORK_S: Mapping[str, float] = MappingProxyType(
    {
        "dumpsys": 0.025,
        "ps": 0.030,
        "screencap": 0.400,
    }
)


@dataclass
class CostModel:
    """Simulated run time of the projector's work, in seconds (see the module docstring)."""

    enabled: bool = False
    shell_s: float = 0.005  # adbd forks `sh -c <line>` for each shell/exec stream
    process_s: float = 0.010  # any tool process: fork, exec, dynamic linking
    vm_s: float = 0.400  # app_process: a fresh Java VM (input <= Android 11, monkey, media)
    tool_work_s: Mapping[str, float] = field(default_factory=lambda: DEFAULT_TOOL_WORK_S)

    def shell_cost(self) -> float:
        """Delay before a shell/exec command line runs."""
        return self.shell_s if self.enabled else 0.0

    def tool_cost(self, argv: Sequence[str], sdk: int) -> float:
        """Delay of one tool process `argv` (argv[0] is the tool's name) on firmware `sdk`."""
        if not self.enabled or not argv:
            return 0.0
        name = argv[0]
        cost = self.process_s + self.tool_work_s.get(name, 0.0)
        if starts_vm(name, sdk):
            cost += self.vm_s
        return cost

    def describe(self) -> dict[str, object]:
        """Return the numbers, for benchmark reports."""
        return {
            "enabled": self.enabled,
            "shell_s": self.shell_s,
            "process_s": self.process_s,
            "vm_s": self.vm_s,
            "tool_work_s": dict(self.tool_work_s),
            "vm_tools": sorted(VM_TOOLS),
            "input_starts_vm_below_sdk": INPUT_IN_SYSTEM_SERVER_SDK,
        }


def starts_vm(tool: str, sdk: int) -> bool:
    """Whether running `tool` starts a Java VM (app_process) on firmware `sdk`."""
    if tool == "input":
        return sdk < INPUT_IN_SYSTEM_SERVER_SDK
    return tool in VM_TOOLS
