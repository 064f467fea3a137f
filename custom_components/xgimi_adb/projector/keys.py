"""The ADB key pair of a Home Assistant instance: created once, owner-only, never logged."""

from __future__ import annotations

from pathlib import Path

from adb_shell.auth.keygen import keygen
from adb_shell.auth.sign_pythonrsa import PythonRSASigner

PRIVATE_MODE = 0o600
DIRECTORY_MODE = 0o700


def load_or_create_signer(private_key: Path) -> PythonRSASigner:
    """Return the signer for `private_key`, generating the pair first if it does not exist.

    Blocking (file I/O, RSA key generation): run it in an executor.
    """
    private_key.parent.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    public_key = private_key.with_name(private_key.name + ".pub")
    if not private_key.exists():
        # Create the file owner-only before the key is written into it.
        private_key.touch(mode=PRIVATE_MODE)
        keygen(str(private_key))
    for path in (private_key, public_key):
        if path.exists():
            path.chmod(PRIVATE_MODE)
    return PythonRSASigner.FromRSAKeyPath(str(private_key))


def delete_key_pair(private_key: Path) -> None:
    """Remove the key pair, if present. Blocking: run it in an executor."""
    private_key.unlink(missing_ok=True)
    private_key.with_name(private_key.name + ".pub").unlink(missing_ok=True)
