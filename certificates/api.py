"""Public JSON verification API: one code, or up to 100 codes at once.

``GET /api/v1/certificates/<code>`` returns the same record as the verify page;
``POST /api/v1/certificates/verify`` with ``{"codes": [...]}`` returns each code's status.
Both share the verify page's rate-limit bucket; a bulk request costs one unit per ten codes.
Errors have the shape ``{"error": {"status", "code", "message"}}``.
"""

from __future__ import annotations

import math

from flask import Blueprint, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select

from accounts.guards import public
from certificates import documents, services
from certificates.models import Certificate
from certificates.numbering import display_code, normalise_code
from certificates.public import VERIFY_SCOPE, verify_limit
from extensions import csrf, db, limiter

bp = Blueprint("certificates_api", __name__, url_prefix="/api/v1/certificates")
MAX_CODES = 100


def _error(status: int, code: str, message: str):
    response = jsonify({"error": {"status": status, "code": code, "message": message}})
    response.status_code = status
    return _no_store(response)


def _no_store(response):
    response.headers["Cache-Control"] = "no-cache, no-store, must-revalidate"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _record(cert: Certificate) -> dict:
    return {"code": display_code(cert.code), **services.public_record(cert), "verify_url": documents.verify_url(cert)}


def _bulk_cost() -> int:
    payload = request.get_json(silent=True)
    codes = payload.get("codes") if isinstance(payload, dict) else None
    n = len(codes) if isinstance(codes, list) else 1
    return max(1, math.ceil(min(n, MAX_CODES) / 10))


@bp.route("/<code>")
@public
@limiter.shared_limit(verify_limit, scope=VERIFY_SCOPE)
def one(code: str):
    cert = services.find_by_code(code)
    if cert is None:
        return _error(404, "not_found", _("Sertifikat dengan kode ini tidak ditemukan."))
    return _no_store(jsonify(_record(cert)))


@bp.route("/verify", methods=["POST"])
@public
@csrf.exempt
@limiter.shared_limit(verify_limit, scope=VERIFY_SCOPE, cost=_bulk_cost)
def bulk():
    payload = request.get_json(silent=True)
    codes = payload.get("codes") if isinstance(payload, dict) else None
    if not isinstance(codes, list) or not codes:
        return _error(400, "bad_request", _('Kirim JSON {"codes": [...]} berisi 1 sampai 100 kode.'))
    if len(codes) > MAX_CODES:
        return _error(413, "too_many_codes", _("Paling banyak 100 kode per permintaan."))
    wanted = {raw: normalise_code(raw) if isinstance(raw, str) else None for raw in codes if isinstance(raw, str)}
    found = {}
    valid = {c for c in wanted.values() if c}
    if valid:
        found = {c.code: c for c in db.session.scalars(select(Certificate).where(Certificate.code.in_(valid)))}
    results = []
    for raw in codes:
        norm = wanted.get(raw) if isinstance(raw, str) else None
        cert = found.get(norm) if norm else None
        if cert is None:
            results.append({"code": raw[:84] if isinstance(raw, str) else None, "status": "not_found"})
            continue
        record = services.public_record(cert)
        results.append({"code": raw, "status": record["status"], "number": record["number"],
                        "holder_name": record["holder_name"], "course_title": record["course_title"],
                        "issued_on": record["issued_on"], "valid_until": record["valid_until"],
                        "revoked_on": record["revoked_on"]})
    return _no_store(jsonify({"results": results}))


# ---------------------------------------------------------------------------------------------
# OpenAPI contribution and participant facts for the organiser API
# ---------------------------------------------------------------------------------------------

_STR_OR_NULL = {"type": ["string", "null"]}
RECORD_SCHEMA = {
    "type": "object",
    "required": ["code", "status", "number", "holder_name", "course_title", "issued_on", "verify_url"],
    "properties": {
        "code": {"type": "string", "description": "verification code in display form"},
        "status": {"enum": ["valid", "revoked", "expired"]},
        "number": {"type": "string"}, "holder_name": {"type": "string"}, "province": _STR_OR_NULL,
        "course_title": {"type": "string"}, "course_version": _STR_OR_NULL, "content_valid_as_of": _STR_OR_NULL,
        "cohort_name": _STR_OR_NULL, "start_date": _STR_OR_NULL, "end_date": _STR_OR_NULL,
        "hours_jp": {"type": ["integer", "number", "null"]}, "issued_on": {"type": "string", "format": "date"},
        "valid_until": _STR_OR_NULL, "revoked_on": _STR_OR_NULL,
        "replaced_by": {"type": ["string", "null"], "description": "number of the certificate that replaced it"},
        "issuer_name": _STR_OR_NULL, "verify_url": {"type": "string"},
    },
}
BULK_REQUEST = {"type": "object", "required": ["codes"], "properties": {
    "codes": {"type": "array", "minItems": 1, "maxItems": MAX_CODES, "items": {"type": "string"}}}}
BULK_RESULT = {"type": "object", "required": ["results"], "properties": {"results": {"type": "array", "items": {
    "type": "object", "required": ["code", "status"],
    "properties": {"code": _STR_OR_NULL, "status": {"enum": ["valid", "revoked", "expired", "not_found"]},
                   "number": {"type": "string"}, "holder_name": {"type": "string"},
                   "course_title": {"type": "string"}, "issued_on": {"type": "string"},
                   "valid_until": _STR_OR_NULL, "revoked_on": _STR_OR_NULL}}}}}


def _response(ref: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def openapi_paths(doc: dict) -> None:
    """Add the public verification endpoints to the API document."""
    error = "#/components/schemas/Error"
    doc["components"]["schemas"].update(CertificateRecord=RECORD_SCHEMA, BulkVerifyRequest=BULK_REQUEST,
                                        BulkVerifyResult=BULK_RESULT)
    code = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
            "description": "verification code (28 characters; hyphens, spaces and case are ignored)"}
    doc["paths"]["/certificates/{code}"] = {"get": {
        "summary": "Verify one certificate (public, rate-limited)", "tags": ["public"], "security": [],
        "parameters": [code],
        "responses": {"200": _response("#/components/schemas/CertificateRecord", "The public record"),
                      "404": _response(error, "Unknown or malformed code"),
                      "429": _response(error, "Rate limited")}}}
    doc["paths"]["/certificates/verify"] = {"post": {
        "summary": "Verify up to 100 codes at once (public; costs one rate-limit unit per ten codes)",
        "tags": ["public"], "security": [],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/BulkVerifyRequest"}}}},
        "responses": {"200": _response("#/components/schemas/BulkVerifyResult", "One status per code, in order"),
                      "400": _response(error, "Body is not {\"codes\": [...]}"),
                      "413": _response(error, "More than 100 codes"),
                      "429": _response(error, "Rate limited")}}}


def participant_certificates(cohort, enrolment_ids: list[int]) -> dict[int, dict]:
    """``certificate`` fact per enrolment for the organiser API and reports: live certificate or None."""
    facts: dict[int, dict] = {eid: {"certificate": None} for eid in enrolment_ids}
    if not enrolment_ids:
        return facts
    certs = db.session.scalars(select(Certificate).where(Certificate.active_enrolment_id.in_(enrolment_ids)))
    for cert in certs:
        facts[cert.active_enrolment_id]["certificate"] = {
            "number": cert.number, "status": services.status_of(cert),
            "issued_on": cert.snapshot.get("issued_on"), "verify_url": documents.verify_url(cert)}
    return facts


def init_app(app) -> None:
    app.extensions.setdefault("openapi", []).append(openapi_paths)
    app.extensions.setdefault("participant_facts", []).append(participant_certificates)
