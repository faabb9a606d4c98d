"""W3C Data Integrity proofs with the eddsa-jcs-2022 cryptosuite: sign and verify a JSON document.

Signing follows https://www.w3.org/TR/vc-di-eddsa/ §3.3 (eddsa-jcs-2022):

1. proof options = ``{type: DataIntegrityProof, cryptosuite: eddsa-jcs-2022, created,
   verificationMethod, proofPurpose: assertionMethod, @context: <document's @context>}``;
2. ``hash = SHA-256(JCS(proof options)) || SHA-256(JCS(document without proof))`` (RFC 8785);
3. ``proofValue = 'z' + base58btc(Ed25519.sign(hash))``.

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from certificates.credential_keys import _multibase_decode, b58encode, public_key_from_multikey

CRYPTOSUITE = "eddsa-jcs-2022"
PROOF_TYPE = "DataIntegrityProof"
PROOF_PURPOSE = "assertionMethod"


# ---------------------------------------------------------------------------------------------
# Timestamps
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
