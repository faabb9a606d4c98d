"""Ed25519 keys for the signed credential: base58btc, Multikey values and the key file on disk.

* Public keys are published as ``Multikey`` (``publicKeyMultibase = 'z' + base58btc(0xed01 ||
  32-byte key)``), see :func:`certificates.credential.issuer_document`.
* The private key lives outside the database, created by :func:`load_or_create_key` (PEM,
  mode 0600).
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519_PUB_PREFIX = b"\xed\x01"  # multicodec ed25519-pub, varint
ED25519_PRIV_PREFIX = b"\x80\x26"  # multicodec ed25519-priv, varint

# ---------------------------------------------------------------------------------------------
# base58btc and Multikey
# ---------------------------------------------------------------------------------------------

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def b58encode(data: bytes) -> str:
    """Encode bytes with the Bitcoin base58 alphabet, as multibase 'z' requires."""
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, r = divmod(n, 58)
        out.append(_B58[r])
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    """Decode base58btc text; raises ValueError on characters outside the alphabet."""
    n = 0
    for ch in text:
        try:
            n = n * 58 + _B58_INDEX[ch]
        except KeyError:
            raise ValueError(f"invalid base58 character {ch!r}") from None
    pad = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * pad + body


def _multibase_decode(text: str) -> bytes:
    """Strip the 'z' multibase header and decode; only base58btc is accepted."""
    if not isinstance(text, str) or not text.startswith("z"):
        raise ValueError("expected a base58btc multibase value starting with 'z'")
    return b58decode(text[1:])


def _public_raw(public_key: Ed25519PublicKey | bytes) -> bytes:
    """Accept a key object or its 32 raw bytes."""
    if isinstance(public_key, Ed25519PublicKey):
        return public_key.public_bytes_raw()
    if isinstance(public_key, bytes | bytearray) and len(public_key) == 32:
        return bytes(public_key)
    raise TypeError("expected an Ed25519 public key or 32 raw bytes")


def multikey_from_public(public_key: Ed25519PublicKey | bytes) -> str:
    """Express a public key as a Multikey ``publicKeyMultibase`` value (z6Mk…)."""
    return "z" + b58encode(ED25519_PUB_PREFIX + _public_raw(public_key))


def public_key_from_multikey(text: str) -> Ed25519PublicKey:
    """Parse a ``publicKeyMultibase`` value back into a key."""
    raw = _multibase_decode(text)
    if len(raw) != 34 or raw[:2] != ED25519_PUB_PREFIX:
        raise ValueError("not an Ed25519 Multikey")
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def private_key_from_multibase(text: str) -> Ed25519PrivateKey:
    """Parse a ``secretKeyMultibase`` value (as used by the W3C test vectors)."""
    raw = _multibase_decode(text)
    if len(raw) != 34 or raw[:2] != ED25519_PRIV_PREFIX:
        raise ValueError("not an Ed25519 secret Multikey")
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


# ---------------------------------------------------------------------------------------------
# Keys
# ---------------------------------------------------------------------------------------------


def generate_key() -> bytes:
    """Return a new raw 32-byte Ed25519 private key (seed)."""
    return Ed25519PrivateKey.generate().private_bytes_raw()


def _read_key(path: Path) -> Ed25519PrivateKey:
    """Load a key file, refusing ones that others could replace or read."""
    mode = path.stat().st_mode
    if mode & 0o027:
        raise PermissionError(
            f"{path}: signing key must not be writable by group/others or readable by others "
            f"(mode {stat.filemode(mode)}); run chmod 600"
        )
    data = path.read_bytes()
    if data.lstrip().startswith(b"-----BEGIN"):
        key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path}: not an Ed25519 private key")
        return key
    if len(data) == 32:
        return Ed25519PrivateKey.from_private_bytes(data)
    raise ValueError(f"{path}: expected a PEM (PKCS#8) Ed25519 key or 32 raw bytes")


def load_or_create_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Load the issuer's signing key, creating it (PEM, mode 0600) on first use."""
    target = Path(path)
    if target.exists():
        return _read_key(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    # Write a private temp file, then hard-link it into place: the link is atomic and fails if
    # another process won the race, in which case we use that process's key instead.
    fd, tmp = tempfile.mkstemp(prefix=".signing-key-", dir=target.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)
        except FileExistsError:
            return _read_key(target)
        except OSError:  # filesystem without hard links: fall back to an exclusive create
            try:
                out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return _read_key(target)
            with os.fdopen(out, "wb") as fh:
                fh.write(pem)
    finally:
        os.unlink(tmp)
    return key
