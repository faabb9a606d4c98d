"""Open Badges 3.0 export of a certificate, signed as a W3C Data Integrity proof (eddsa-jcs-2022).

Facade over ``credential_keys`` (Ed25519, Multikey, key file), ``credential_proof`` (eddsa-jcs-2022
sign/verify) and ``credential_ob3`` (issuer document, OpenBadgeCredential).

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

from certificates.credential_keys import (  # noqa: F401  (constants kept importable from here too)
    ED25519_PRIV_PREFIX,
    ED25519_PUB_PREFIX,
    b58decode,
    b58encode,
    generate_key,
    load_or_create_key,
    multikey_from_public,
    private_key_from_multibase,
    public_key_from_multikey,
)
from certificates.credential_ob3 import (  # noqa: F401  (constants kept importable from here too)
    CID_CONTEXT,
    DEFAULT_KEY_ID,
    DISCLAIMER_EN,
    DISCLAIMER_ID,
    ISSUER_PATH,
    OB3_CONTEXT,
    OB3_SCHEMA_URL,
    VC2_CONTEXT,
    build_credential,
    issuer_document,
    issuer_id,
    resolver_from_issuer_document,
    verification_method_id,
)
from certificates.credential_proof import (  # noqa: F401  (constants kept importable from here too)
    CRYPTOSUITE,
    PROOF_PURPOSE,
    PROOF_TYPE,
    VerifyResult,
    sign,
    verify,
)

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
