"""Fault injection knobs of the virtual projector.

One mutable `Faults` object is shared by the ADB daemon (connection-level faults) and the device
model (command-level faults). Tests flip the knobs at run time through `VirtualProjector.faults`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class OutputFault(StrEnum):
    """How the output of a matching shell command is corrupted."""

    GARBAGE = "garbage"  # replaced by random-looking bytes (not valid UTF-8)
    TRUNCATED = "truncated"  # cut at half its length, mid-line
    OVERSIZED = "oversized"  # real output followed by several MiB of noise
    EMPTY = "empty"  # no output at all


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
    # Command output corruption: substring of the command line -> fault.
    output_faults: dict[str, OutputFault] = field(default_factory=dict)

    def output_fault_for(self, command: str) -> OutputFault | None:
        """Return the output fault configured for a command line, if any."""
        for needle, fault in self.output_faults.items():
            if needle in command:
                return fault
        return None
