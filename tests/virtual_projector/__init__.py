"""A virtual XGIMI projector that speaks the real ADB wire protocol on 127.0.0.1.

    async with VirtualProjector("gmui_android11") as projector:
        ...  # connect any ADB client to projector.host:projector.port

See README.md in this folder.
"""

from .adbd import AuthPolicy, AuthSettings, ReceivedService
from .auth import KeyStore, encode_android_pubkey
from .device import DeviceModel, PlaybackState, PowerState, ShellResult
from .faults import Faults, OutputFault
from .profiles import PROFILES, Profile
from .projector import VirtualProjector

__all__ = [
    "PROFILES",
    "AuthPolicy",
    "AuthSettings",
    "DeviceModel",
    "Faults",
    "KeyStore",
    "OutputFault",
    "PlaybackState",
    "PowerState",
    "Profile",
    "ReceivedService",
    "ShellResult",
    "VirtualProjector",
    "encode_android_pubkey",
]
