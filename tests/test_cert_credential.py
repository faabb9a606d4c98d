"""Open Badges 3.0 credential: W3C eddsa-jcs-2022 test vector, tamper, expiry, keys, JSON Schema."""

from __future__ import annotations

import copy
import json
import os
import stat
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jsonschema import Draft201909Validator, FormatChecker

from certificates.credential import (
    OB3_CONTEXT,
    b58decode,
    b58encode,
    build_credential,
    generate_key,
    issuer_document,
    load_or_create_key,
    multikey_from_public,
    private_key_from_multibase,
    public_key_from_multikey,
    resolver_from_issuer_document,
    sign,
    verification_method_id,
    verify,
)

SCHEMA_PATH = Path(__file__).parent / "data" / "ob3" / "ob_v3p0_achievementcredential_schema.json"

# W3C "Data Integrity EdDSA Cryptosuites v1.0", eddsa-jcs-2022 test vectors
# (https://www.w3.org/TR/vc-di-eddsa/ and w3c/vc-di-eddsa TestVectors/eddsa-jcs-2022/).
VECTOR_SECRET = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
VECTOR_PUBLIC = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
VECTOR_UNSIGNED = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
VECTOR_VM = "https://vc.example/issuers/5678#" + VECTOR_PUBLIC
VECTOR_CREATED = "2023-02-24T23:36:38Z"
VECTOR_SIG_HEX = (
    "fc91dec6565f35fbe185a77352e7fc512f95d1904da305cfef32ab8135469301"
    "f5a72d4e7a58368fc6ffc497b44633993bac054e3bc1436e3c846db8f1544503"
)
VECTOR_PROOF_VALUE = "z63t83Y53KfzJ5ZosfKTnqfMcKB2dmTrfjSaQjeNNjAD5srBowQfmWqeRb8rRjmeEuCBEsddF9LsVogtuTsijJKh4"

BASE = "https://bimtek-halal.example.go.id"
NOW = datetime(2024, 1, 1, tzinfo=UTC)
CERT = {
    "verification_code": "K7QXM2PD9A4RT6WZ0BC8FHJNVS3E",
    "holder_name": "Siti Nurhaliza",
    "holder_email": "Siti@example.org",
    "number": "BH/2022/06/0001",
    "course_slug": "self-declare",
    "course_title": "Bimtek Pendampingan Halal Self-Declare",
    "course_version": "2.1",
    "jp": 32,
    "cohort_name": "Angkatan 3 Jawa Timur",
    "start_date": date(2022, 6, 2),
    "end_date": date(2022, 6, 4),
    "issued_at": datetime(2022, 6, 5, 2, 0, tzinfo=UTC),
    "valid_until": datetime(2025, 6, 5, tzinfo=UTC),
}


# --- base58 / multikey ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [(b"", ""), (b"\0", "1"), (b"\0\0\x01", "112"), (b"hello world", "StV1DL6CwTryKyV"), (b"\xff" * 4, "7YXq9G")],
)
def test_base58btc_known_values(raw, encoded):
    assert b58encode(raw) == encoded
    assert b58decode(encoded) == raw


def test_base58_rejects_foreign_characters():
    with pytest.raises(ValueError):
        b58decode("0OIl")


def test_multikey_of_the_spec_key_pair():
    key = private_key_from_multibase(VECTOR_SECRET)
    assert multikey_from_public(key.public_key()) == VECTOR_PUBLIC
    assert public_key_from_multikey(VECTOR_PUBLIC).public_bytes_raw() == key.public_key().public_bytes_raw()
    with pytest.raises(ValueError):
        public_key_from_multikey(VECTOR_SECRET)
    with pytest.raises(ValueError):
        public_key_from_multikey("u" + VECTOR_PUBLIC[1:])


# --- W3C test vector --------------------------------------------------------------------------


def test_signing_reproduces_the_w3c_eddsa_jcs_2022_test_vector():
    key = private_key_from_multibase(VECTOR_SECRET)
    signed = sign(VECTOR_UNSIGNED, key, VECTOR_VM, VECTOR_CREATED)
    proof = signed["proof"]
    assert proof["proofValue"] == VECTOR_PROOF_VALUE
    assert b58decode(proof["proofValue"][1:]).hex() == VECTOR_SIG_HEX
    assert proof["@context"] == VECTOR_UNSIGNED["@context"]
    assert {k: v for k, v in proof.items() if k not in ("proofValue", "@context")} == {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": VECTOR_CREATED,
        "verificationMethod": VECTOR_VM,
        "proofPurpose": "assertionMethod",
    }
    assert "proof" not in VECTOR_UNSIGNED  # input left untouched


def test_the_published_w3c_vector_verifies():
    published = {
        **VECTOR_UNSIGNED,
        "proof": {
            "type": "DataIntegrityProof",
            "cryptosuite": "eddsa-jcs-2022",
            "created": VECTOR_CREATED,
            "verificationMethod": VECTOR_VM,
            "proofPurpose": "assertionMethod",
            "@context": VECTOR_UNSIGNED["@context"],
            "proofValue": VECTOR_PROOF_VALUE,
        },
    }
    resolver = {VECTOR_VM: VECTOR_PUBLIC}.get  # a Multikey string is accepted from resolvers
    assert verify(published, resolver, now=NOW).ok
    published["name"] = "Alumni Credentia1"
    assert verify(published, resolver, now=NOW).reason == "bad_signature"


# --- our credential ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def resolver(key):
    return resolver_from_issuer_document(issuer_document(BASE, key.public_key(), name="PLUT KUMKM"))


@pytest.fixture
def signed(key):
    credential = build_credential(CERT, BASE, "PLUT KUMKM")
    return sign(credential, key, verification_method_id(BASE), datetime(2022, 6, 5, 2, 0, 5, tzinfo=UTC))


def test_credential_shape(signed):
    assert signed["@context"] == OB3_CONTEXT
    assert signed["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert signed["id"] == f"{BASE}/verify/{CERT['verification_code']}"
    assert signed["issuer"] == {"id": f"{BASE}/issuer", "type": ["Profile"], "name": "PLUT KUMKM", "url": BASE}
    assert signed["validFrom"] == "2022-06-05T02:00:00Z"
    assert signed["validUntil"] == "2025-06-05T00:00:00Z"
    subject = signed["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["identifier"][0]["identityHash"] == "Siti Nurhaliza"
    assert subject["identifier"][1]["identityHash"].startswith("sha256$")
    assert "siti@example.org" not in json.dumps(signed).lower()  # the e-mail is only present hashed
    achievement = subject["achievement"]
    assert achievement["achievementType"] == "Certificate"
    assert achievement["criteria"]["narrative"]
    assert achievement["id"] == f"{BASE}/achievements/self-declare/2.1"
    assert "bukan registrasi Pendamping PPH" in achievement["description"]
    assert "BH/2022/06/0001" in signed["description"]
    assert signed["proof"]["verificationMethod"] == f"{BASE}/issuer#key-1"


def test_sign_and_verify(signed, resolver):
    result = verify(signed, resolver, now=NOW)
    assert result.ok and result.reason == "ok"
    assert result


def _set(doc, path, value):
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("name",), "Bimtek Pendampingan Halal Self-Declarf"),
        (("credentialSubject", "identifier", 0, "identityHash"), "Siti Nurhalizb"),
        (("validUntil",), "2035-06-05T00:00:00Z"),
        (("validFrom",), "2022-06-05T02:00:01Z"),
        (("issuer", "name"), "PLUT KUMKM palsu"),
        (("credentialSubject", "achievement", "achievementType"), "Diploma"),
        (("proof", "created"), "2022-06-05T02:00:06Z"),
    ],
)
def test_any_change_breaks_the_signature(signed, resolver, path, value):
    tampered = copy.deepcopy(signed)
    _set(tampered, path, value)
    assert verify(tampered, resolver, now=NOW).reason == "bad_signature"


def test_removing_valid_until_breaks_the_signature(signed, resolver):
    del signed["validUntil"]
    assert verify(signed, resolver, now=NOW).reason == "bad_signature"


def test_wrong_key_fails(signed):
    other = Ed25519PrivateKey.generate().public_key()
    assert verify(signed, lambda vm: other, now=NOW).reason == "bad_signature"
    assert verify(signed, lambda vm: None, now=NOW).reason == "unknown_key"


def test_signature_by_a_key_of_another_controller_is_refused(key, signed):
    forged = build_credential(CERT, BASE, "PLUT KUMKM")
    forged = sign(forged, key, "https://evil.example/issuer#key-1", NOW)
    assert verify(forged, lambda vm: key.public_key(), now=NOW).reason == "key_not_issuer"


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda d: d["proof"].update(cryptosuite="eddsa-rdfc-2022"), "unsupported_proof"),
        (lambda d: d["proof"].update(proofPurpose="authentication"), "unsupported_proof"),
        (lambda d: d["proof"].update(proofValue="not-multibase"), "malformed"),
        (lambda d: d["proof"].update(proofValue="z" + b58encode(b"short")), "malformed"),
        (lambda d: d["proof"].update({"@context": ["https://www.w3.org/ns/credentials/v2"] * 2}), "context_mismatch"),
        (lambda d: d.pop("proof"), "malformed"),
        (lambda d: d.update(proof=[d["proof"], d["proof"]]), "unsupported_proof"),
    ],
)
def test_malformed_or_foreign_proofs(signed, resolver, mutate, reason):
    mutate(signed)
    assert verify(signed, resolver, now=NOW).reason == reason


def test_single_proof_in_a_list_is_accepted(signed, resolver):
    signed["proof"] = [signed["proof"]]
    assert verify(signed, resolver, now=NOW).ok


def test_validity_period(signed, resolver):
    assert verify(signed, resolver, now=datetime(2022, 6, 5, 1, 59, tzinfo=UTC)).reason == "not_yet_valid"
    assert verify(signed, resolver, now=datetime(2025, 6, 5, tzinfo=UTC)).ok  # last valid instant
    assert verify(signed, resolver, now=datetime(2025, 6, 5, 0, 0, 1, tzinfo=UTC)).reason == "expired"
    assert verify(signed, resolver, now=datetime(2024, 1, 1)).ok  # naive 'now' is taken as UTC
    assert verify(signed, resolver).ok is (datetime.now(UTC) <= datetime(2025, 6, 5, tzinfo=UTC))


def test_status_lookup(signed, resolver):
    seen = []

    def lookup(credential_id):
        seen.append(credential_id)
        return statuses[credential_id]

    statuses = {signed["id"]: "valid"}
    assert verify(signed, resolver, now=NOW, status_lookup=lookup).ok
    statuses[signed["id"]] = "revoked"
    result = verify(signed, resolver, now=NOW, status_lookup=lookup)
    assert (result.ok, result.reason) == (False, "revoked")
    assert verify(signed, resolver, now=NOW, status_lookup=lambda _id: None).reason == "unknown_status"
    assert seen[0] == signed["id"]


def test_sign_refuses_a_second_proof(signed, key):
    with pytest.raises(ValueError):
        sign(signed, key, verification_method_id(BASE), NOW)


def test_build_credential_requires_core_fields():
    with pytest.raises(ValueError):
        build_credential({**CERT, "holder_name": ""}, BASE, "PLUT")
    with pytest.raises(ValueError):
        build_credential(CERT, "ftp://example.org", "PLUT")
    with pytest.raises(ValueError):
        build_credential({**CERT, "credential_status": {"id": "x"}}, BASE, "PLUT")
    with pytest.raises(ValueError):
        build_credential({**CERT, "verification_code": "not-a-code"}, BASE, "PLUT")


def test_code_in_display_form_gives_the_same_credential_id():
    shown = "k7qx-m2pd-9a4r-t6wz-0bc8-fhjn-vs3e"
    assert build_credential({**CERT, "verification_code": shown}, BASE, "PLUT")["id"] == (
        f"{BASE}/verify/{CERT['verification_code']}"
    )


def test_optional_status_and_english():
    status = {
        "id": f"{BASE}/status/1#42",
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "42",
        "statusListCredential": f"{BASE}/status/1",
    }
    cert = {k: v for k, v in CERT.items() if k not in ("valid_until", "holder_email", "course_version")}
    credential = build_credential({**cert, "credential_status": status, "lang": "en"}, BASE + "/", "PLUT")
    assert credential["credentialStatus"] == status
    assert "validUntil" not in credential
    assert len(credential["credentialSubject"]["identifier"]) == 1
    assert "not the BPJPH registration" in credential["description"]
    assert credential["issuer"]["id"] == f"{BASE}/issuer"


# --- issuer document --------------------------------------------------------------------------


def test_issuer_document_publishes_the_key(key):
    old = Ed25519PrivateKey.generate().public_key()
    doc = issuer_document(BASE, key.public_key(), name="PLUT KUMKM", extra_keys={"key-0": old})
    assert doc["id"] == f"{BASE}/issuer"
    assert "Profile" in doc["type"]
    method = doc["verificationMethod"][0]
    assert method == {
        "id": f"{BASE}/issuer#key-1",
        "type": "Multikey",
        "controller": f"{BASE}/issuer",
        "publicKeyMultibase": multikey_from_public(key.public_key()),
    }
    assert method["publicKeyMultibase"].startswith("z6Mk")
    assert doc["assertionMethod"] == [f"{BASE}/issuer#key-1", f"{BASE}/issuer#key-0"]
    resolve = resolver_from_issuer_document(json.loads(json.dumps(doc)))
    assert resolve(f"{BASE}/issuer#key-0").public_bytes_raw() == old.public_bytes_raw()
    assert resolve(f"{BASE}/issuer#key-9") is None


def test_resolver_ignores_keys_not_listed_for_assertion(key):
    doc = issuer_document(BASE, key.public_key())
    doc["assertionMethod"] = []
    assert resolver_from_issuer_document(doc)(f"{BASE}/issuer#key-1") is None


# --- keys on disk -----------------------------------------------------------------------------


def test_generate_key_is_32_random_bytes():
    a, b = generate_key(), generate_key()
    assert len(a) == 32 and a != b
    Ed25519PrivateKey.from_private_bytes(a)


def test_load_or_create_key_creates_0600_pem_and_reloads(tmp_path):
    path = tmp_path / "keys" / "issuer.pem"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert load_or_create_key(str(path)).private_bytes_raw() == first.private_bytes_raw()
    assert [p.name for p in path.parent.iterdir()] == ["issuer.pem"]  # no temp files left


def test_load_raw_key_and_refuse_loose_permissions(tmp_path):
    raw = generate_key()
    path = tmp_path / "raw.key"
    path.write_bytes(raw)
    os.chmod(path, 0o600)
    assert load_or_create_key(path).private_bytes_raw() == raw
    os.chmod(path, 0o644)
    with pytest.raises(PermissionError):
        load_or_create_key(path)
    os.chmod(path, 0o600)
    path.write_bytes(b"garbage")
    with pytest.raises(ValueError):
        load_or_create_key(path)


# --- JSON Schema ------------------------------------------------------------------------------


def _validator() -> Draft201909Validator:
    schema = json.loads(SCHEMA_PATH.read_text())
    Draft201909Validator.check_schema(schema)
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if isinstance(value, str):
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return Draft201909Validator(schema, format_checker=checker)


def test_credential_validates_against_the_ob3_schema(signed):
    validator = _validator()
    errors = sorted(validator.iter_errors(signed), key=str)
    assert errors == []
    unsigned = {k: v for k, v in signed.items() if k != "proof"}
    assert list(validator.iter_errors(unsigned)) == []


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("validFrom"),
        lambda d: d.update(validFrom="5 Juni 2022"),
        lambda d: d.update(type=["VerifiableCredential"]),
        lambda d: d.update({"@context": list(reversed(d["@context"]))}),
        lambda d: d["credentialSubject"].pop("achievement"),
        lambda d: d["credentialSubject"].pop("identifier"),
        lambda d: d["credentialSubject"]["achievement"].pop("criteria"),
        lambda d: d["credentialSubject"].update(holderName="x"),
    ],
)
def test_schema_actually_rejects_broken_credentials(signed, mutate):
    mutate(signed)
    assert list(_validator().iter_errors(signed))
