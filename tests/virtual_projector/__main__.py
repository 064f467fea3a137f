"""Command line: run a virtual XGIMI projector on 127.0.0.1 and act on it like a person.

    python -m tests.virtual_projector --port 5590 --profile gmui_android11 --auth accept

While it runs, type commands on stdin, or send them from another terminal with
`python -m tests.virtual_projector --state-dir DIR ctl key right` (through `DIR/control.sock`):

    key N|NAME | power on|screen_off|standby|unpowered | app PACKAGE | play | pause | stop
    reboot [SECONDS] | revoke | auth accept|reject|delay [SECONDS] | allow | status | state | quit

Key names: home back up down left right ok volume_up volume_down mute power sleep wakeup
play_pause play pause stop. `state` prints JSON (power, foreground, input, playback, volume,
every key received, the last shell commands); `allow` taps Allow on a pending ADB prompt.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
from pathlib import Path
import signal
import sys

from .adbd import AuthPolicy, AuthSettings
from .device import (
    KEYCODE_BACK,
    KEYCODE_HOME,
    KEYCODE_MEDIA_PAUSE,
    KEYCODE_MEDIA_PLAY,
    KEYCODE_MEDIA_PLAY_PAUSE,
    KEYCODE_MEDIA_STOP,
    KEYCODE_POWER,
    KEYCODE_SLEEP,
    KEYCODE_VOLUME_DOWN,
    KEYCODE_VOLUME_MUTE,
    KEYCODE_VOLUME_UP,
    KEYCODE_WAKEUP,
    PlaybackState,
    PowerState,
)
from .profiles import PROFILES
from .projector import DEFAULT_PROFILE, VirtualProjector

CONTROL_SOCKET = "control.sock"
HELP = "\n\n".join(__doc__.split("\n\n")[2:]) if __doc__ else ""
CLIENT_VERBS = ("ctl", "send")  # `... ctl key 22`: the words after it go to a running projector
RECENT_COMMANDS = 50  # shell command lines `state` reports
KEY_NAMES = {
    "home": KEYCODE_HOME,
    "back": KEYCODE_BACK,
    "up": 19,
    "down": 20,
    "left": 21,
    "right": 22,
    "ok": 23,
    "volume_up": KEYCODE_VOLUME_UP,
    "volume_down": KEYCODE_VOLUME_DOWN,
    "mute": KEYCODE_VOLUME_MUTE,
    "power": KEYCODE_POWER,
    "sleep": KEYCODE_SLEEP,
    "wakeup": KEYCODE_WAKEUP,
    "play_pause": KEYCODE_MEDIA_PLAY_PAUSE,
    "play": KEYCODE_MEDIA_PLAY,
    "pause": KEYCODE_MEDIA_PAUSE,
    "stop": KEYCODE_MEDIA_STOP,
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.virtual_projector",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--port", type=int, default=5590, help="ADB port on 127.0.0.1 (default 5590)"
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), default=DEFAULT_PROFILE)
    parser.add_argument(
        "--auth",
        choices=[p.value for p in AuthPolicy],
        default="accept",
        help="what the person does with the 'Allow USB debugging?' prompt",
    )
    parser.add_argument(
        "--auth-delay", type=float, default=3.0, help="seconds before --auth delay accepts"
    )
    parser.add_argument(
        "--no-auth", action="store_true", help="accept every client without RSA auth"
    )
    parser.add_argument(
        "--legacy", action="store_true", help="pre-N adbd: old version, checksums, 4 KiB"
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(".virtual-projector"),
        help="trusted keys and the control socket live here (default .virtual-projector)",
    )
    parser.add_argument("--no-stdin", action="store_true", help="do not read commands from stdin")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument(
        "send",
        nargs="*",
        metavar="ctl COMMAND",
        help="send one command to a running projector (found by --state-dir) and exit",
    )
    return parser.parse_args(argv)


async def execute(projector: VirtualProjector, line: str) -> str:
    """Run one control command; return the answer to print."""
    words = line.split()
    if not words:
        return ""
    verb, args = words[0], words[1:]
    device = projector.device
    if verb == "key" and args:
        await projector.press_key(KEY_NAMES.get(args[0].lower()) or int(args[0]))
    elif verb == "power" and args:
        await projector.set_power(PowerState(args[0]))
    elif verb == "app" and args:
        await projector.launch_app(args[0])
    elif verb in ("play", "pause", "stop"):
        state = {
            "play": PlaybackState.PLAYING,
            "pause": PlaybackState.PAUSED,
            "stop": PlaybackState.STOPPED,
        }
        await projector.set_playback(state[verb])
    elif verb == "reboot":
        await projector.reboot(float(args[0]) if args else None)
    elif verb == "revoke":
        projector.revoke_keys()
    elif verb == "auth" and args:
        projector.set_auth_policy(AuthPolicy(args[0]), float(args[1]) if args[1:] else None)
    elif verb == "allow":
        return f"accepted {await projector.accept_pending_prompts()} prompt(s)"
    elif verb == "state":
        return json.dumps(await _state(projector))
    elif verb != "status":
        return f"unknown command: {line.strip()}\n{HELP}"
    return (
        f"power={device.power} foreground={device.foreground} volume={device.volume} "
        f"muted={device.muted} input={device.current_input} adb={projector.address} "
        f"listening={projector.daemon.listening} connections={projector.daemon.connection_count}"
    )


async def _state(projector: VirtualProjector) -> dict[str, object]:
    """Describe what the device shows and everything it received (for scripts and tests)."""
    device = projector.device
    return {
        "power": str(device.power),
        "foreground": device.foreground,
        "input": device.current_input,
        "playback": device.playback.name.lower(),
        "volume": device.volume,
        "muted": device.muted,
        "keys": projector.key_events,
        "commands": projector.received_commands[-RECENT_COMMANDS:],
        "prompts": len(projector.prompts),
        "auth": str(projector.auth.policy),
    }


async def serve_control(projector: VirtualProjector, path: Path) -> asyncio.Server:
    """Accept one-line commands on a Unix socket (owner-only)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).decode()
        try:
            answer = await execute(projector, line)
        except (ValueError, KeyError) as err:
            answer = f"error: {err}"
        writer.write(answer.encode() + b"\n")
        await writer.drain()
        writer.close()

    path.unlink(missing_ok=True)
    server = await asyncio.start_unix_server(handle, path)
    path.chmod(0o600)
    return server


async def control_request(state_dir: Path, line: str) -> str:
    """Send one command to the projector running with `state_dir`; return its answer."""
    reader, writer = await asyncio.open_unix_connection(state_dir / CONTROL_SOCKET)
    try:
        writer.write(line.encode() + b"\n")
        await writer.drain()
        return (await reader.read()).decode()
    finally:
        writer.close()


async def send(state_dir: Path, words: list[str]) -> int:
    """Client side of the control socket."""
    if words[0] in CLIENT_VERBS:
        words = words[1:]
    try:
        answer = await control_request(state_dir, " ".join(words))
    except OSError as err:
        sys.stderr.write(f"no virtual projector runs with --state-dir {state_dir} ({err})\n")
        return 1
    sys.stdout.write(answer)
    return 1 if answer.startswith(("error:", "unknown command:")) else 0


async def read_stdin(projector: VirtualProjector, stop: asyncio.Event) -> None:
    """Interactive commands from the terminal."""
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while not stop.is_set():
        line = (await reader.readline()).decode()
        if not line or line.strip() == "quit":
            stop.set()
            return
        try:
            print(await execute(projector, line), flush=True)
        except (ValueError, KeyError) as err:
            print(f"error: {err}", flush=True)


async def run(args: argparse.Namespace) -> int:
    """Run until Ctrl-C, SIGTERM or `quit`."""
    auth = AuthSettings(
        required=not args.no_auth, policy=AuthPolicy(args.auth), delay_s=args.auth_delay
    )
    args.state_dir.mkdir(parents=True, exist_ok=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    projector = VirtualProjector(
        args.profile,
        port=args.port,
        auth=auth,
        state_dir=args.state_dir,
        legacy=args.legacy or None,
    )
    async with projector:
        control = await serve_control(projector, args.state_dir / CONTROL_SOCKET)
        print(
            f"virtual projector {projector.profile.props['ro.product.model']} ({args.profile}) "
            f"on {projector.address}; auth={args.auth}; type 'status' or 'quit'",
            flush=True,
        )
        tasks = [] if args.no_stdin else [asyncio.create_task(read_stdin(projector, stop))]
        await stop.wait()
        control.close()
        for task in tasks:
            task.cancel()
    with contextlib.suppress(FileNotFoundError):
        (args.state_dir / CONTROL_SOCKET).unlink()
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO)
    if args.send:
        return asyncio.run(send(args.state_dir, args.send))
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
