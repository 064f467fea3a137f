"""Typed failures of the Bemfa client; messages never contain the private key."""

from __future__ import annotations


class BemfaError(Exception):
    """Any Bemfa failure."""


class BemfaAuthError(BemfaError):
    """Bemfa refused the private key (MQTT CONNACK refused, TCP subscribe `res=0`)."""


class BemfaUnreachable(BemfaError):
    """The server cannot be reached (refused, DNS, timeout while connecting)."""


class BemfaConnectionLost(BemfaError):
    """An established connection broke, stopped answering or sent something unexpected."""


class BemfaApiError(BemfaError):
    """The topic-management HTTP API failed (its endpoints change often: best effort only)."""
