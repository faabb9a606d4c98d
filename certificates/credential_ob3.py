"""The Open Badges 3.0 documents: the issuer Profile (with its keys) and the unsigned OpenBadgeCredential.

* The issuer is ``<base_url>/issuer``. The app must serve :func:`issuer_document` there as JSON
  (``GET /issuer``, ``Content-Type: application/json``). It is both the OB 3.0 issuer
  ``Profile`` and a controlled-identifier document listing the public key as a ``Multikey``
  in ``verificationMethod`` and ``assertionMethod``.
* Proofs name ``<base_url>/issuer#key-1`` as ``verificationMethod``. After a key rotation keep the
  old key in the document (``extra_keys``) so older exports still verify; drop it only if it
  was compromised.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from certificates.credential_keys import multikey_from_public, public_key_from_multikey
from certificates.credential_proof import _iso
from certificates.numbering import normalise_code

VC2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB3_CONTEXT = [VC2_CONTEXT, "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"
OB3_SCHEMA_URL = "https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json"
ISSUER_PATH = "/issuer"
DEFAULT_KEY_ID = "key-1"

DISCLAIMER_ID = "Sertifikat pelatihan; bukan registrasi Pendamping PPH oleh BPJPH."
DISCLAIMER_EN = "Training certificate; not the BPJPH registration of a Pendamping PPH."


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
