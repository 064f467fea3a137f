"""A projector as the Home Assistant layer sees it: facts, one-round-trip polls and commands."""

from __future__ import annotations

from collections.abc import Sequence
import logging
import re

from . import catalog
from .client import Priority, ProjectorClient
from .errors import CommandRejected, ConnectionLost, ProjectorTimeout, ProjectorUnreachable
from .parse import (
    build_facts_command,
    build_launchable_command,
    build_poll_command,
    parse_facts,
    parse_launchable,
    parse_poll,
)
from .state import DeviceFacts, HdmiInput, Platform, ProjectorState

_LOGGER = logging.getLogger(__name__)

# `am`, `monkey` and `cmd` exit 0 even when they fail: the text is the only signal.
_FAILURE = re.compile(
    r"^(Error|Exception|Unknown command|\*\* No activities found|java\.lang\.\w+Exception)",
    re.MULTILINE,
)
# The link is gone rather than the command failing: the projector counts as off.
AWAY_ERRORS = (ProjectorUnreachable, ProjectorTimeout, ConnectionLost)


class XgimiDevice:
    """Commands and polls for one projector, over one `ProjectorClient`."""

    def __init__(self, client: ProjectorClient, facts: DeviceFacts | None = None) -> None:
        """Wrap a client; `facts` come from setup (stored in the config entry)."""
        self.client = client
        self.facts = facts
        self.last_poll_output: str | None = None

    @property
    def platform(self) -> Platform:
        """The firmware family from the facts (unknown before they are read)."""
        return self.facts.platform if self.facts is not None else Platform.UNKNOWN

    # -- reading -------------------------------------------------------------------------------

    async def async_read_facts(self) -> DeviceFacts:
        """Read identity, platform, HDMI inputs and launchable apps (two round trips)."""
        output = await self.client.async_shell(build_facts_command(), retry=True)
        first = parse_facts(output, ())
        launchable = await self.client.async_shell(
            build_launchable_command(first.platform), retry=True, timeout=30
        )
        self.facts = parse_facts(output, parse_launchable(launchable))
        return self.facts

    async def async_poll(self) -> ProjectorState | None:
        """Read the whole state in one round trip; None when the projector is not reachable.

        While disconnected, a TCP probe decides whether a handshake is worth it, so a projector
        in standby costs one SYN per poll and nothing on the device.
        """
        if not self.client.connected and not await self.client.async_probe():
            return None
        try:
            output = await self.client.async_shell(
                build_poll_command(self.facts),
                priority=Priority.POLL,
                timeout=self.client.timeouts.poll,
                retry=True,
            )
        except AWAY_ERRORS:
            return None
        self.last_poll_output = output
        return parse_poll(output, self.facts)

    # -- commands ------------------------------------------------------------------------------

    async def async_run(self, command: str, *, retry: bool = False) -> str:
        """Run a command line built by the catalog; raise if the device reports a failure."""
        return _raise_on_failure(await self.client.async_shell(command, retry=retry))

    async def async_wake(self) -> None:
        """Wake the projector if asleep (idempotent)."""
        await self.async_run(catalog.WAKE, retry=True)

    async def async_sleep(self) -> None:
        """Put the projector to sleep if awake (idempotent)."""
        await self.async_run(catalog.SLEEP, retry=True)

    async def async_send_keys(self, codes: Sequence[int], *, long_press: bool = False) -> None:
        """Press keys in one round trip; never resent (a key pressed twice is a different act).

        Short presses queued right behind each other (a burst from separate calls) share one
        `input keyevent` line: on Android 11 and older every `input` starts a Java VM.
        """
        command = catalog.keys_command(codes, long_press=long_press)
        if long_press:
            await self.async_run(command)
            return
        _raise_on_failure(
            await self.client.async_shell_merged(command, catalog.merge_keys_commands)
        )

    async def async_set_volume(self, level: int) -> None:
        """Set STREAM_MUSIC to an absolute level (safe to resend)."""
        sdk = self.facts.sdk if self.facts else 30
        await self.async_run(catalog.set_volume_command(level, sdk), retry=True)

    async def async_select_hdmi(self, hdmi: HdmiInput) -> None:
        """Show an HDMI input with the firmware's own player."""
        if self.facts is None:
            raise CommandRejected("device facts unknown")
        await self.async_run(catalog.hdmi_command(self.facts, hdmi), retry=True)

    async def async_launch(self, package: str) -> None:
        """Start an app by package name (validated by the catalog)."""
        await self.async_run(catalog.launch_command(package, self.platform), retry=True)

    async def async_run_raw(self, command: str) -> str:
        """Run a command the user typed, as is (only when the user enabled it); output returned."""
        return await self.client.async_shell(command)


def _raise_on_failure(output: str) -> str:
    """Return the output, or raise if the device reports a failure in it."""
    if match := _FAILURE.search(output):
        line = output[match.start() :].splitlines()[0]
        raise CommandRejected(line)
    return output
