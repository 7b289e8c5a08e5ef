"""Ed25519 signatures over a pack's SHA256SUMS (``cryptography``, imported only when used).

Keys are read as PEM (PKCS#8 / SubjectPublicKeyInfo) or OpenSSH; the fingerprint is OpenSSH's
(``SHA256:`` and the unpadded base64 of the key blob's SHA-256), as ``ssh-keygen -lf`` prints it.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reporter.errors import KeyFileError, Problem

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

_KEY_HINT = ("give an unencrypted Ed25519 key, e.g. made with "
             "`ssh-keygen -t ed25519 -N '' -f pack-key` or `openssl genpkey -algorithm ed25519`")


def _crypto_missing() -> KeyFileError:
    return KeyFileError("signing needs the 'cryptography' package, which is not installed",
                     hint="pip install cryptography")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise KeyFileError([Problem(f"cannot read the key: {error.strerror}", file=str(path))],
                        hint=_KEY_HINT) from None


def public_openssh(key: Ed25519PublicKey) -> str:
    from cryptography.hazmat.primitives import serialization

    line = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return line.decode()


def fingerprint(key: Ed25519PublicKey) -> str:
    blob = base64.b64decode(public_openssh(key).split()[1])
    digest = base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return f"SHA256:{digest}"


@dataclass(frozen=True, slots=True)
class SigningKey:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    def sign(self, data: bytes) -> bytes:
        """The signature, base64 on one line (what ``pack.sig`` holds)."""
        return base64.b64encode(self.private.sign(data)) + b"\n"


def load_signing_key(path: Path) -> SigningKey:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    except ImportError:
        raise _crypto_missing() from None
    data = _read(path)
    key: object
    try:
        if b"OPENSSH PRIVATE KEY" in data:
            key = serialization.load_ssh_private_key(data, password=None)
        else:
            key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:  # encrypted, malformed or not a key at all
        raise KeyFileError([Problem(f"not a usable private key: {error}", file=str(path))],
                        hint=_KEY_HINT) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError([Problem(f"a {type(key).__name__} key, not Ed25519", file=str(path))],
                        hint=_KEY_HINT)
    return SigningKey(key)


def load_public_key(data: bytes, origin: str) -> Ed25519PublicKey:
    """An Ed25519 public key from OpenSSH (``ssh-ed25519 AAAA...``) or PEM text."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        raise _crypto_missing() from None
    key: object
    try:
        if data.lstrip().startswith(b"ssh-"):
            key = serialization.load_ssh_public_key(data.strip())
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError, IndexError) as error:
        raise KeyFileError([Problem(f"not a usable public key: {error}", file=origin)],
                        hint="give the Ed25519 public key (OpenSSH or PEM) of the signer") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError([Problem(f"a {type(key).__name__} key, not Ed25519", file=origin)])
    return key


def signature_matches(key: Ed25519PublicKey, data: bytes, signature_text: bytes) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        key.verify(base64.b64decode(signature_text.strip(), validate=True), data)
    except (InvalidSignature, ValueError):
        return False
    return True
