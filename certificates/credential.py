"""Open Badges 3.0 export of a certificate, signed as a W3C Data Integrity proof (eddsa-jcs-2022).

The verify page (``/verify/<code>``, a database lookup) stays the primary check (security
reference §4.2, option A). This module adds a portable, offline-verifiable copy for wallets:
a 1EdTech Open Badges 3.0 ``OpenBadgeCredential`` in the W3C VC 2.0 data model.

Signing follows https://www.w3.org/TR/vc-di-eddsa/ §3.3 (eddsa-jcs-2022):

1. proof options = ``{type: DataIntegrityProof, cryptosuite: eddsa-jcs-2022, created,
   verificationMethod, proofPurpose: assertionMethod, @context: <document's @context>}``;
2. ``hash = SHA-256(JCS(proof options)) || SHA-256(JCS(document without proof))`` (RFC 8785);
3. ``proofValue = 'z' + base58btc(Ed25519.sign(hash))``.

Keys and where verifiers find them:

* The issuer is ``<base_url>/issuer``. The app must serve :func:`issuer_document` there as JSON
  (``GET /issuer``, ``Content-Type: application/json``). It is both the OB 3.0 issuer
  ``Profile`` and a controlled-identifier document listing the public key as a ``Multikey``
  (``publicKeyMultibase = 'z' + base58btc(0xed01 || 32-byte key)``) in ``verificationMethod``
  and ``assertionMethod``.
* Proofs name ``<base_url>/issuer#key-1`` as ``verificationMethod``. After a key rotation keep the
  old key in the document (``extra_keys``) so older exports still verify; drop it only if it
  was compromised.
* The private key lives outside the database, created by :func:`load_or_create_key` (PEM,
  mode 0600).

:func:`verify` checks the proof, that the key belongs to the credential's issuer, and
``validFrom``/``validUntil`` against ``now``; revocation is the caller's ``status_lookup``.
Reasons returned in :class:`VerifyResult`: ``ok``, ``malformed``, ``unsupported_proof``,
``context_mismatch``, ``key_not_issuer``, ``unknown_key``, ``bad_signature``,
``not_yet_valid``, ``expired``, or whatever non-``'valid'`` value ``status_lookup`` returned
(e.g. ``revoked``).
"""

from __future__ import annotations

import copy
import hashlib
import os
import stat
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certificates.numbering import normalise_code

__all__ = [
    "CRYPTOSUITE",
    "OB3_CONTEXT",
    "OB3_SCHEMA_URL",
    "VerifyResult",
    "b58decode",
    "b58encode",
    "build_credential",
    "generate_key",
    "issuer_document",
    "issuer_id",
    "load_or_create_key",
    "multikey_from_public",
    "private_key_from_multibase",
    "public_key_from_multikey",
    "resolver_from_issuer_document",
    "sign",
    "verification_method_id",
    "verify",
]

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = [VC2_CONTEXT, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"
OB3_SCHEMA_URL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_TYPE = "DataIntegrityProof"
PROOF_PURPOSE = "assertionMethod"
ISSUER_PATH = "/issuer"
DEFAULT_KEY_ID = "key-1"
ED25519_PUB_PREFIX = b"\xed\x01"  # multicodec ed25519-pub, varint
ED25519_PRIV_PREFIX = b"\x80\x26"  # multicodec ed25519-priv, varint

DISCLAIMER_ID = "Sertifikat pelatihan; bukan registrasi Pendamping PPH oleh BPJPH."
DISCLAIMER_EN = "Training certificate; not the BPJPH registration of a Pendamping PPH."

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


# ---------------------------------------------------------------------------------------------
# Issuer document
# ---------------------------------------------------------------------------------------------


def _base(base_url: str) -> str:
    """Normalise the site's base URL (no trailing slash) and insist on http(s)."""
    if not isinstance(base_url, str) or not base_url.startswith(("https://", "http://")):
        raise ValueError("base_url must be an absolute http(s) URL")
    return base_url.rstrip("/")


def issuer_id(base_url: str) -> str:
    """The issuer Profile's id, which is also where its document is served."""
    return _base(base_url) + ISSUER_PATH


def verification_method_id(base_url: str, key_id: str = DEFAULT_KEY_ID) -> str:
    """The id that proofs put in ``verificationMethod`` for one of the issuer's keys."""
    return f"{issuer_id(base_url)}#{key_id}"


def issuer_document(
    base_url: str,
    public_key: Ed25519PublicKey | bytes,
    *,
    name: str | None = None,
    key_id: str = DEFAULT_KEY_ID,
    extra_keys: Mapping[str, Ed25519PublicKey | bytes] | None = None,
) -> dict[str, Any]:
    """JSON to publish at ``<base_url>/issuer`` so anyone can fetch the verification key."""
    controller = issuer_id(base_url)
    keys = {key_id: public_key, **dict(extra_keys or {})}
    methods = [
        {
            "id": f"{controller}#{kid}",
            "type": "Multikey",
            "controller": controller,
            "publicKeyMultibase": multikey_from_public(pub),
        }
        for kid, pub in keys.items()
    ]
    doc: dict[str, Any] = {
        "@context": [CID_CONTEXT, OB3_CONTEXT[1]],
        "id": controller,
        "type": ["Profile"],
        "url": _base(base_url),
        "verificationMethod": methods,
        "assertionMethod": [m["id"] for m in methods],
    }
    if name:
        doc["name"] = name
    return doc


def resolver_from_issuer_document(doc: Mapping[str, Any]) -> Callable[[str], Ed25519PublicKey | None]:
    """Turn a fetched issuer document into a ``public_key_resolver`` for :func:`verify`."""
    controller = doc.get("id")
    allowed = {m if isinstance(m, str) else m.get("id") for m in doc.get("assertionMethod", [])}
    keys: dict[str, Ed25519PublicKey] = {}
    for method in doc.get("verificationMethod", []):
        if (
            isinstance(method, Mapping)
            and method.get("type") == "Multikey"
            and method.get("controller") == controller
            and method.get("id") in allowed
        ):
            try:
                keys[method["id"]] = public_key_from_multikey(method.get("publicKeyMultibase", ""))
            except ValueError:
                continue

    def resolve(vm: str) -> Ed25519PublicKey | None:
        """Return the key for an assertion method listed in the document, else None."""
        return keys.get(vm)

    return resolve


# ---------------------------------------------------------------------------------------------
# Credential
# ---------------------------------------------------------------------------------------------


def _iso(value: datetime | date | str) -> str:
    """Format a timestamp as XML Schema dateTime in UTC with a Z (naive means UTC)."""
    if isinstance(value, str):
        value = _parse_datetime(value)
    elif not isinstance(value, datetime):
        if not isinstance(value, date):
            raise TypeError("expected a datetime, date or ISO 8601 string")
        value = datetime.combine(value, time(0, 0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_datetime(text: str) -> datetime:
    """Parse an ISO 8601 / XML Schema dateTime; naive values are taken as UTC."""
    if not isinstance(text, str):
        raise ValueError("expected a date-time string")
    value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _hash_id(holder_email: str, salt: str) -> str:
    """OB 3.0 IdentityHash: sha256 of identifier followed by salt, lower-case hex."""
    return "sha256$" + hashlib.sha256((holder_email.strip().lower() + salt).encode()).hexdigest()


def build_credential(cert: Mapping[str, Any], base_url: str, issuer_name: str) -> dict[str, Any]:
    """Map one issued certificate to an unsigned OpenBadgeCredential (VC 2.0).

    ``cert`` keys: ``verification_code``, ``holder_name``, ``course_slug``, ``course_title``,
    ``issued_at`` (required); ``number``, ``holder_email``, ``course_version``,
    ``course_description``, ``criteria``, ``jp``, ``cohort_name``, ``start_date``,
    ``end_date``, ``valid_until``, ``lang``, ``credential_status`` (optional).
    """
    base = _base(base_url)
    for key in ("verification_code", "holder_name", "course_slug", "course_title", "issued_at"):
        if not cert.get(key):
            raise ValueError(f"cert[{key!r}] is required")
    code = normalise_code(str(cert["verification_code"]))
    if code is None:
        raise ValueError("cert['verification_code'] is not a verification code")
    lang = cert.get("lang") or "id"
    version = cert.get("course_version")
    achievement_id = f"{base}/achievements/{quote(str(cert['course_slug']), safe='')}"
    if version:
        achievement_id += f"/{quote(str(version), safe='')}"
    disclaimer = DISCLAIMER_ID if lang == "id" else DISCLAIMER_EN
    description_parts = [cert.get("course_description") or "", disclaimer]
    if cert.get("jp"):
        description_parts.insert(1, f"{cert['jp']} JP.")
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "name": str(cert["course_title"]),
        "description": " ".join(p for p in description_parts if p),
        "criteria": {
            "narrative": cert.get("criteria")
            or (
                "Menyelesaikan semua modul, kuis, kehadiran dan post-test yang disyaratkan bimtek."
                if lang == "id"
                else "Completed every module, quiz, attendance and post-test the course requires."
            )
        },
        "achievementType": "Certificate",
        "inLanguage": lang,
    }
    if version:
        achievement["version"] = str(version)
    identifiers: list[dict[str, Any]] = [
        {"type": "IdentityObject", "hashed": False, "identityHash": str(cert["holder_name"]), "identityType": "name"}
    ]
    if cert.get("holder_email"):
        identifiers.append(
            {
                "type": "IdentityObject",
                "hashed": True,
                "identityHash": _hash_id(str(cert["holder_email"]), code),
                "identityType": "emailAddress",
                "salt": code,
            }
        )
    subject: dict[str, Any] = {"type": ["AchievementSubject"], "identifier": identifiers, "achievement": achievement}
    if cert.get("start_date"):
        subject["activityStartDate"] = _iso(cert["start_date"])
    if cert.get("end_date"):
        subject["activityEndDate"] = _iso(cert["end_date"])
    if cert.get("cohort_name"):
        subject["term"] = str(cert["cohort_name"])
    name = str(cert["course_title"])
    description = disclaimer
    if cert.get("number"):
        label = "Nomor sertifikat" if lang == "id" else "Certificate number"
        description = f"{label}: {cert['number']}. {disclaimer}"
    credential: dict[str, Any] = {
        "@context": list(OB3_CONTEXT),
        "id": f"{base}/verify/{quote(code, safe='')}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer_id(base), "type": ["Profile"], "name": issuer_name, "url": base},
        "validFrom": _iso(cert["issued_at"]),
        "name": name,
        "description": description,
        "credentialSubject": subject,
        "credentialSchema": [{"id": OB3_SCHEMA_URL, "type": "1EdTechJsonSchemaValidator2019"}],
    }
    if cert.get("valid_until"):
        credential["validUntil"] = _iso(cert["valid_until"])
    status = cert.get("credential_status")
    if status:
        if not isinstance(status, Mapping) or not status.get("id") or not status.get("type"):
            raise ValueError("credential_status needs at least 'id' and 'type'")
        credential["credentialStatus"] = dict(status)
    return credential


# ---------------------------------------------------------------------------------------------
# eddsa-jcs-2022
# ---------------------------------------------------------------------------------------------


def _hash_data(document: Mapping[str, Any], proof_config: Mapping[str, Any]) -> bytes:
    """SHA-256(JCS(proof config)) || SHA-256(JCS(document)), per vc-di-eddsa §3.3.4."""
    return (
        hashlib.sha256(rfc8785.dumps(dict(proof_config))).digest()
        + hashlib.sha256(rfc8785.dumps(dict(document))).digest()
    )


def sign(
    credential: Mapping[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | str,
) -> dict[str, Any]:
    """Return a copy of ``credential`` with an eddsa-jcs-2022 Data Integrity proof attached."""
    if "proof" in credential:
        raise ValueError("credential already has a proof")
    document = copy.deepcopy(dict(credential))
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _iso(created),
        "verificationMethod": verification_method,
        "proofPurpose": PROOF_PURPOSE,
    }
    if "@context" in document:
        proof["@context"] = copy.deepcopy(document["@context"])
    signature = private_key.sign(_hash_data(document, proof))
    proof["proofValue"] = "z" + b58encode(signature)
    document["proof"] = proof
    return document


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of :func:`verify`; ``reason`` is a stable machine-readable word."""

    ok: bool
    reason: str

    def __bool__(self) -> bool:
        """Allow ``if verify(...):``."""
        return self.ok


def _fail(reason: str) -> VerifyResult:
    """Shorthand for a failed verification."""
    return VerifyResult(False, reason)


def _as_public_key(key: object) -> Ed25519PublicKey | None:
    """Accept what a resolver returns: a key object, 32 raw bytes or a Multikey string."""
    if isinstance(key, Ed25519PublicKey):
        return key
    if isinstance(key, bytes | bytearray) and len(key) == 32:
        return Ed25519PublicKey.from_public_bytes(bytes(key))
    if isinstance(key, str):
        return public_key_from_multikey(key)
    return None


def verify(
    signed: Mapping[str, Any],
    public_key_resolver: Callable[[str], object],
    *,
    now: datetime | None = None,
    status_lookup: Callable[[str], str | None] | None = None,
) -> VerifyResult:
    """Check the proof, the issuer's ownership of the key, the validity period and (optionally) status."""
    if not isinstance(signed, Mapping):
        return _fail("malformed")
    proof = signed.get("proof")
    if isinstance(proof, list):
        if len(proof) != 1:
            return _fail("unsupported_proof")
        proof = proof[0]
    if not isinstance(proof, Mapping):
        return _fail("malformed")
    if (
        proof.get("type") != PROOF_TYPE
        or proof.get("cryptosuite") != CRYPTOSUITE
        or proof.get("proofPurpose") != PROOF_PURPOSE
    ):
        return _fail("unsupported_proof")
    vm = proof.get("verificationMethod")
    value = proof.get("proofValue")
    if not isinstance(vm, str) or not isinstance(value, str):
        return _fail("malformed")
    try:
        signature = _multibase_decode(value)
        if "created" in proof:
            _parse_datetime(proof["created"])
    except (ValueError, TypeError):
        return _fail("malformed")
    if len(signature) != 64:
        return _fail("malformed")
    if "@context" in proof:
        doc_ctx, proof_ctx = signed.get("@context"), proof["@context"]
        if not isinstance(doc_ctx, list) or not isinstance(proof_ctx, list):
            if doc_ctx != proof_ctx:
                return _fail("context_mismatch")
        elif doc_ctx[: len(proof_ctx)] != proof_ctx:
            return _fail("context_mismatch")
    issuer = signed.get("issuer")
    issuer_ref = issuer.get("id") if isinstance(issuer, Mapping) else issuer
    if not isinstance(issuer_ref, str) or vm.split("#", 1)[0] != issuer_ref:
        return _fail("key_not_issuer")
    try:
        key = _as_public_key(public_key_resolver(vm))
    except ValueError:
        key = None
    if key is None:
        return _fail("unknown_key")
    document = {k: v for k, v in signed.items() if k != "proof"}
    proof_config = {k: v for k, v in proof.items() if k != "proofValue"}
    try:
        data = _hash_data(document, proof_config)
    except (TypeError, ValueError, rfc8785.CanonicalizationError):
        return _fail("malformed")
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return _fail("bad_signature")
    moment = now or datetime.now(UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        valid_from = _parse_datetime(signed["validFrom"])
        valid_until = _parse_datetime(signed["validUntil"]) if "validUntil" in signed else None
    except (KeyError, ValueError):
        return _fail("malformed")
    if moment < valid_from:
        return _fail("not_yet_valid")
    if valid_until is not None and moment > valid_until:
        return _fail("expired")
    if status_lookup is not None:
        status = status_lookup(str(signed.get("id", "")))
        if status != "valid":
            return _fail(status or "unknown_status")
    return VerifyResult(True, "ok")
