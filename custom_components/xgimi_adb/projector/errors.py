"""What can go wrong talking to a projector, as exceptions the Home Assistant layer translates."""

from __future__ import annotations


class ProjectorError(Exception):
    """Base class: the projector could not do what was asked."""


class ProjectorUnreachable(ProjectorError):
    """Nothing answers on the ADB port (standby, unplugged, wrong address, port closed)."""


class ProjectorTimeout(ProjectorError):
    """The connection opened but the projector stopped answering (half-open link, hung adbd)."""


class ConnectionLost(ProjectorError):
    """The connection broke while a command ran; it may or may not have been executed."""


class TlsOnlyPort(ProjectorError):
    """The port speaks Android 11's TLS-only wireless debugging, not plain network ADB."""


class AuthError(ProjectorError):
    """The projector did not accept this Home Assistant's ADB key."""


class AuthRejected(AuthError):
    """The key is not trusted and the on-screen prompt was rejected or not answered in time.

    ADB cannot tell "rejected" from "nobody answered": a rejecting adbd stays silent.
    """


class CommandRejected(ProjectorError):
    """The projector ran the command and reported an error (for example an unknown activity)."""
