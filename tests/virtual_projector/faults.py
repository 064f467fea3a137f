"""Fault injection knobs of the virtual projector.

One mutable `Faults` object is shared by the ADB daemon (connection-level faults) and the device
model (command-level faults). Tests flip the knobs at run time through `VirtualProjector.faults`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
import re


class OutputFault(StrEnum):
    """How the output of a matching shell command is corrupted."""

    GARBAGE = "garbage"  # replaced by random-looking bytes (not valid UTF-8)
    TRUNCATED = "truncated"  # cut at half its length, mid-line
    OVERSIZED = "oversized"  # real output followed by several MiB of noise
    EMPTY = "empty"  # no output at all


# A section of command output starts with a line `@@xgimi:<name>` (the marks the integration's
# one-round-trip command lines echo) and runs to the next such line.
SECTION_MARK = b"@@xgimi:"
_SECTION_RE = re.compile(rb"^" + re.escape(SECTION_MARK) + rb"(\S+)[ \t\r]*$", re.MULTILINE)

type Corrupter = Callable[[bytes, OutputFault, str], bytes]


@dataclass
class Faults:
    """Knobs that make the virtual projector misbehave like real hardware does."""

    # Seconds added before every shell/exec command runs (a slow or busy device).
    command_latency_s: float = 0.0
    # TCP connections are refused outright (standby with the network adapter down).
    refuse_connections: bool = False
    # TCP connections are accepted, then nothing is ever sent (half-open, deep sleep).
    half_open: bool = False
    # The TCP connection is cut after this many more bytes of command output have been
    # sent (0 = right after the stream is opened); None disables the fault. One-shot.
    drop_mid_stream_after: int | None = None
    # Greet every connection with STLS like Android 11's wireless-debugging port.
    stls_only: bool = False
    # The TCP connection is reset right after a command line containing this text has run: its
    # effect happened, its answer is lost (a crash or Wi-Fi drop mid-command). One-shot.
    drop_after_command: str | None = None
    # Command output corruption: substring of the command line -> fault.
    output_faults: dict[str, OutputFault] = field(default_factory=dict)
    # Corruption of one section of the output: section name (after `@@xgimi:`) -> fault. What a
    # firmware whose `dumpsys <service>` prints garbage, stops half-way, floods or says nothing
    # looks like inside a one-round-trip command line; the other sections stay intact.
    section_faults: dict[str, OutputFault] = field(default_factory=dict)

    def output_fault_for(self, command: str) -> OutputFault | None:
        """Return the output fault configured for a command line, if any."""
        for needle, fault in self.output_faults.items():
            if needle in command:
                return fault
        return None

    def take_drop_after(self, command: str) -> bool:
        """Whether the connection must drop after `command` ran (disarms the one-shot fault)."""
        if self.drop_after_command is None or self.drop_after_command not in command:
            return False
        self.drop_after_command = None
        return True

    def corrupt_sections(self, stdout: bytes, corrupt: Corrupter) -> bytes:
        """Apply `section_faults` to the body of each named section of `stdout`."""
        if not self.section_faults or SECTION_MARK not in stdout:
            return stdout
        marks = list(_SECTION_RE.finditer(stdout))
        pieces = [stdout[: marks[0].start()] if marks else stdout]
        for index, mark in enumerate(marks):
            end = marks[index + 1].start() if index + 1 < len(marks) else len(stdout)
            body = stdout[mark.end() + 1 : end]  # after the mark's newline
            pieces.append(stdout[mark.start() : min(mark.end() + 1, end)])
            fault = self.section_faults.get(mark.group(1).decode(errors="replace"))
            if fault is not None and body:
                corrupted = corrupt(body, fault, mark.group(1).decode(errors="replace"))
                # Keep the next mark on a line of its own, as the shell's `echo` would.
                body = (
                    corrupted if corrupted.endswith(b"\n") or not corrupted else corrupted + b"\n"
                )
            pieces.append(body)
        return b"".join(pieces)
