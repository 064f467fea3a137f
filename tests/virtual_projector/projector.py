"""`VirtualProjector`: the ADB daemon and the device model, running in a thread of their own.

The device lives on its own event loop in its own thread, like a real projector lives on its own
hardware: its work never shows up as lag on the Home Assistant event loop under test, and Home
Assistant's blocking-call checks never see the device's file I/O. Every control method is a
coroutine for the caller's loop that runs the action on the device's loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
import tempfile
import threading
from types import TracebackType
from typing import Any, Self

from .adbd import AdbDaemon, AuthPolicy, AuthSettings, ReceivedService
from .auth import KeyStore
from .costs import CostModel
from .device import DeviceModel, PlaybackState, PowerState
from .faults import Faults
from .profiles import PROFILES, Profile

DEFAULT_PROFILE = "gmui_android11"
REACHABLE = (PowerState.ON, PowerState.SCREEN_OFF)


class VirtualProjector:
    """A virtual XGIMI projector answering ADB on 127.0.0.1."""

    def __init__(
        self,
        profile: str | Profile = DEFAULT_PROFILE,
        *,
        port: int = 0,
        auth: AuthSettings | None = None,
        state_dir: Path | None = None,
        legacy: bool | None = None,
        reboot_duration_s: float = 3.0,
        costs: CostModel | None = None,
    ) -> None:
        """Build the device; nothing listens until `start()`.

        `costs`: simulated device-side run time (costs.py); off unless given enabled or
        switched on later through `projector.costs.enabled`.
        """
        self.profile = PROFILES[profile] if isinstance(profile, str) else profile
        self.faults = Faults()
        self.costs = costs or CostModel()
        self.auth = auth or AuthSettings()
        self.reboot_duration_s = reboot_duration_s
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="virtual-projector-")
            state_dir = Path(self._tmp.name)
        self.state_dir = state_dir
        # /data/misc/adb/adb_keys: survives reconnects and restarts of the virtual device.
        self.keys = KeyStore(state_dir / "adb_keys")
        self.device = DeviceModel(
            self.profile,
            self.faults,
            work_dir=state_dir / "device",
            on_power_change=self._power_changed,
            costs=self.costs,
        )
        # `reboot` typed in a shell goes down the same path as the `reboot:` service.
        self.device.on_reboot_request = self._reboot_requested
        use_legacy = self.profile.legacy_protocol if legacy is None else legacy
        self.daemon = AdbDaemon(
            self.device,
            self.faults,
            self.keys,
            self.auth,
            port=port,
            legacy=use_legacy,
            on_reboot_request=self._reboot_requested,
        )
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """Always IPv4 loopback."""
        return self.daemon.host

    @property
    def port(self) -> int:
        """TCP port of the ADB daemon (chosen by the OS when 0 was asked for)."""
        return self.daemon.port

    @property
    def address(self) -> str:
        """`host:port`, as `adb connect` takes it."""
        return f"{self.host}:{self.port}"

    async def start(self) -> None:
        """Start the device thread, the device model and the daemon."""
        self._thread = threading.Thread(
            target=self._run_loop, name=f"virtual-projector-{id(self):x}", daemon=True
        )
        self._thread.start()
        await self._on_device_loop(self._start_device)

    async def stop(self) -> None:
        """Stop everything and join the device thread."""
        if self._thread is None:
            return
        await self._on_device_loop(self._stop_device)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = None
        self._loop.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    async def __aenter__(self) -> Self:
        """Start the projector."""
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the projector."""
        await self.stop()

    def _run_loop(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_forever()
        # Let cancelled tasks finish before the loop is closed.
        pending = asyncio.all_tasks(self._loop)
        for task in pending:
            task.cancel()
        self._loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())

    async def _start_device(self) -> None:
        await self.device.start()
        await self.daemon.start()

    async def _stop_device(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await self.daemon.stop()
        await self.device.stop()

    async def _on_device_loop[T](self, func: Callable[[], Coroutine[Any, Any, T]]) -> T:
        """Run a coroutine function on the device loop and await its result here."""
        future = asyncio.run_coroutine_threadsafe(func(), self._loop)
        return await asyncio.wrap_future(future)

    async def _call[T](self, func: Callable[[], T]) -> T:
        """Run a plain function on the device loop (the model is not thread-safe)."""

        async def run() -> T:
            return func()

        return await self._on_device_loop(run)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- power and network ------------------------------------------------------------------

    def _power_changed(self, state: PowerState) -> None:
        """Follow a power change (on the device loop) with the network side."""
        if state in REACHABLE:
            # The network came back: the device's TCP stack forgot old connections (RST).
            self.daemon.reset_silenced_connections()
        else:
            # The network adapter went down: peers hear nothing any more (no FIN, no RST).
            self.daemon.silence_all_connections()
        self._spawn(self.daemon.sync_listener())

    async def _reboot_requested(self) -> None:
        self._spawn(self._reboot(self.reboot_duration_s))

    async def _reboot(self, down_s: float) -> None:
        self.daemon.rebooting = True
        self.daemon.drop_all_connections()
        await self.daemon.sync_listener()
        await asyncio.sleep(down_s)
        self.device.reboot_completed()
        self.daemon.rebooting = False
        await self.daemon.sync_listener()

    # -- controls: a person with the remote, or a test --------------------------------------

    async def press_key(self, keycode: int) -> None:
        """Press a key on the physical remote."""
        await self._call(lambda: self.device.press_key(keycode))

    async def set_power(self, state: PowerState) -> None:
        """Force a power state (mains switch, remote, network loss)."""
        await self._call(lambda: self.device.set_power(state))

    async def launch_app(self, package: str) -> None:
        """Bring an app to the foreground, as the person would from the launcher."""
        await self._call(lambda: self.device.launch_app(package))

    async def set_playback(self, state: PlaybackState) -> None:
        """Change the foreground app's media session state."""
        await self._call(lambda: self.device.set_playback(state))

    async def reboot(self, down_s: float | None = None) -> None:
        """Reboot: connections drop, nothing answers for `down_s`, then the device is back on."""
        duration = self.reboot_duration_s if down_s is None else down_s

        async def start() -> None:
            self._spawn(self._reboot(duration))

        await self._on_device_loop(start)

    async def wait_until_listening(self, timeout: float = 10.0) -> None:
        """Wait for the ADB port to accept connections (after a reboot or power-on)."""
        async with asyncio.timeout(timeout):
            while not self.daemon.listening:
                await asyncio.sleep(0.02)

    # -- faults ------------------------------------------------------------------------------

    async def refuse_connections(self, refuse: bool = True) -> None:
        """Close (or reopen) the ADB port: clients get "connection refused"."""
        self.faults.refuse_connections = refuse
        await self._on_device_loop(self.daemon.sync_listener)

    async def set_half_open(self, half_open: bool = True) -> None:
        """Accept connections but never answer; open connections go silent too."""

        def apply() -> None:
            self.faults.half_open = half_open
            self.daemon.silence_all_connections(half_open)

        await self._call(apply)

    async def drop_connections(self) -> None:
        """Reset every open TCP connection."""
        await self._call(self.daemon.drop_all_connections)

    async def accept_pending_prompts(self) -> int:
        """Tap "Allow" on every "Allow USB debugging?" prompt on screen; returns how many."""
        return await self._call(self.daemon.accept_pending_prompts)

    def revoke_keys(self) -> None:
        """Revoke USB debugging authorizations: every stored key is forgotten."""
        self.keys.revoke_all()

    def set_auth_policy(self, policy: AuthPolicy, delay_s: float | None = None) -> None:
        """Choose what the person does with the next "Allow USB debugging?" prompt."""
        self.auth.policy = policy
        if delay_s is not None:
            self.auth.delay_s = delay_s

    # -- observations ------------------------------------------------------------------------

    @property
    def received_services(self) -> list[ReceivedService]:
        """Every service opened on the daemon, in order."""
        return list(self.daemon.received_services)

    @property
    def received_commands(self) -> list[str]:
        """Every shell/exec command line the device ran, in order."""
        return list(self.device.received_commands)

    @property
    def tool_calls(self) -> list[tuple[str, ...]]:
        """Every Android tool process the commands started (dumpsys, input, am, ...)."""
        return list(self.device.tool_calls)

    @property
    def key_events(self) -> list[int]:
        """Every keycode the device handled (remote or `input keyevent`)."""
        return list(self.device.key_events)

    @property
    def key_event_times(self) -> list[float]:
        """`time.monotonic()` at which each entry of `key_events` reached the device."""
        return list(self.device.key_event_times)

    @property
    def prompts(self) -> list[str]:
        """Public keys shown in "Allow USB debugging?" prompts."""
        return list(self.daemon.prompts)
