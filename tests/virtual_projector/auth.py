"""ADB RSA authentication, device side.

adbd verifies `AUTH(SIGNATURE)` with RSA_verify(NID_sha1, token, ...): PKCS#1 v1.5 with a SHA-1
DigestInfo where the 20-byte token *is* the digest. Public keys use Android's 524-byte
`RSAPublicKey` struct, base64-encoded, followed by ` user@host` (libcrypto_utils android_pubkey).
Trusted keys persist in an `adb_keys` file, one per line, as /data/misc/adb/adb_keys does.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path
import struct
import threading

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

ANDROID_PUBKEY_WORDS = 64  # 2048-bit keys only, as in libcrypto_utils
_PUBKEY_STRUCT = struct.Struct(f"<II{ANDROID_PUBKEY_WORDS * 4}s{ANDROID_PUBKEY_WORDS * 4}sI")


class InvalidPublicKey(ValueError):
    """The RSAPUBLICKEY payload is not an Android public key."""


def decode_android_pubkey(line: bytes | str) -> rsa.RSAPublicKey:
    """Decode `<base64 struct> [comment]` into an RSA public key."""
    text = line.decode(errors="replace") if isinstance(line, bytes) else line
    b64 = text.strip("\0 \n").split(" ", 1)[0]
    try:
        raw = base64.b64decode(b64, validate=True)
        words, _n0inv, modulus, _rr, exponent = _PUBKEY_STRUCT.unpack(raw)
    except (binascii.Error, struct.error) as err:
        raise InvalidPublicKey(str(err)) from err
    if words != ANDROID_PUBKEY_WORDS:
        raise InvalidPublicKey(f"modulus of {words} words, expected {ANDROID_PUBKEY_WORDS}")
    n = int.from_bytes(modulus, "little")
    try:
        return rsa.RSAPublicNumbers(exponent, n).public_key()
    except ValueError as err:
        raise InvalidPublicKey(str(err)) from err


def encode_android_pubkey(key: rsa.RSAPublicKey, comment: str = "test@virtual") -> str:
    """Encode a 2048-bit public key the way `adb keygen` writes `adbkey.pub`."""
    numbers = key.public_numbers()
    n = numbers.n
    n0inv = (-pow(n, -1, 1 << 32)) & 0xFFFFFFFF
    rr = pow(2, ANDROID_PUBKEY_WORDS * 32 * 2, n)
    size = ANDROID_PUBKEY_WORDS * 4
    raw = _PUBKEY_STRUCT.pack(
        ANDROID_PUBKEY_WORDS,
        n0inv,
        n.to_bytes(size, "little"),
        rr.to_bytes(size, "little"),
        numbers.e,
    )
    return f"{base64.b64encode(raw).decode()} {comment}"


def verify_token_signature(key: rsa.RSAPublicKey, token: bytes, signature: bytes) -> bool:
    """Return whether `signature` signs `token` as adbd's RSA_verify(NID_sha1) checks it."""
    try:
        key.verify(signature, token, padding.PKCS1v15(), utils.Prehashed(hashes.SHA1()))
    except InvalidSignature, ValueError:
        return False
    return True


def new_token() -> bytes:
    """Return a fresh random AUTH token."""
    return os.urandom(20)


class KeyStore:
    """Trusted public keys ("Always allow from this computer"), optionally persisted.

    Thread-safe: tests revoke keys from their own thread while the daemon verifies.
    """

    def __init__(self, path: Path | None = None) -> None:
        """Load trusted keys from `path` (one per line), if given."""
        self._path = path
        self._lock = threading.Lock()
        self._lines: list[str] = []
        if path is not None and path.exists():
            self._lines = [ln for ln in path.read_text().splitlines() if ln.strip()]

    def __len__(self) -> int:
        """Return the number of trusted keys."""
        with self._lock:
            return len(self._lines)

    def keys(self) -> list[rsa.RSAPublicKey]:
        """Return the trusted keys; malformed lines are skipped as adbd does."""
        with self._lock:
            lines = list(self._lines)
        decoded = []
        for line in lines:
            try:
                decoded.append(decode_android_pubkey(line))
            except InvalidPublicKey:
                continue
        return decoded

    def trust(self, pubkey_line: str) -> None:
        """Remember a key (the user ticked "Always allow")."""
        line = pubkey_line.strip("\0 \n")
        with self._lock:
            if line not in self._lines:
                self._lines.append(line)
            self._save()

    def revoke_all(self) -> None:
        """Forget every key (Developer options → Revoke USB debugging authorizations)."""
        with self._lock:
            self._lines.clear()
            self._save()

    def is_trusted(self, token: bytes, signature: bytes) -> bool:
        """Whether any trusted key signed the token."""
        return any(verify_token_signature(key, token, signature) for key in self.keys())

    def _save(self) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text("".join(f"{line}\n" for line in self._lines))
        tmp.chmod(0o600)
        tmp.replace(self._path)
