"""The OpenAPI 3.1 document of /api/v1; a test checks it against the live responses."""

from __future__ import annotations

from flask import current_app

ERROR = {
    "type": "object", "required": ["error"], "additionalProperties": False,
    "properties": {"error": {
        "type": "object", "required": ["status", "code", "message"], "additionalProperties": False,
        "properties": {"status": {"type": "integer"}, "code": {"type": "string"}, "message": {"type": "string"}},
    }},
}
NULLABLE_STR = {"type": ["string", "null"]}
COHORT = {
    "type": "object",
    "required": ["id", "name", "course", "course_version", "starts_on", "ends_on", "timezone", "capacity",
                 "enrol_mode"],
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "course": {"type": "object", "required": ["slug", "title"],
                   "properties": {"slug": {"type": "string"}, "title": {"type": "string"}}},
        "course_version": {"type": "integer"}, "starts_on": {"type": "string", "format": "date"},
        "ends_on": {"type": "string", "format": "date"},
        "timezone": {"enum": ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]},
        "capacity": {"type": ["integer", "null"]}, "enrol_mode": {"enum": ["code", "organiser"]},
        "participants": {"type": "integer"},
    },
}
PARTICIPANT = {
    "type": "object",
    "required": ["enrolment_id", "user_id", "full_name", "email", "province", "plut_unit", "enrolled_at",
                 "started_at", "modules_done", "modules_total"],
    "properties": {
        "enrolment_id": {"type": "integer"}, "user_id": {"type": "integer"}, "full_name": {"type": "string"},
        "email": {"type": "string"}, "province": NULLABLE_STR, "plut_unit": NULLABLE_STR,
        "enrolled_at": {"type": "string", "format": "date-time"}, "started_at": NULLABLE_STR,
        "modules_done": {"type": "integer", "minimum": 0}, "modules_total": {"type": "integer", "minimum": 0},
        "quizzes": {"type": "object", "description": "best percent per quiz slug (null when not taken)",
                    "additionalProperties": {"type": ["number", "null"]}},
        "attendance": {"type": "object", "description": "sessions attended, excused and scheduled, and percent"},
        "certificate": {"type": ["object", "null"], "description": "number, status and verify URL when issued"},
    },
}

SESSION = {
    "type": "object",
    "required": ["id", "cohort_id", "title", "speakers", "starts_at", "ends_at", "timezone", "recording_url"],
    "properties": {
        "id": {"type": "integer"}, "cohort_id": {"type": "integer"}, "title": {"type": "string"},
        "speakers": {"type": "string"}, "starts_at": {"type": "string", "format": "date-time"},
        "ends_at": {"type": "string", "format": "date-time"},
        "timezone": {"enum": ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"]}, "recording_url": NULLABLE_STR,
    },
}
REGISTER_ROW = {
    "type": "object",
    "required": ["enrolment_id", "user_id", "full_name", "province", "plut_unit", "status", "minutes_present"],
    "properties": {
        "enrolment_id": {"type": "integer"}, "user_id": {"type": "integer"}, "full_name": {"type": "string"},
        "province": NULLABLE_STR, "plut_unit": NULLABLE_STR,
        "status": {"enum": ["present", "late", "excused", "absent", None],
                   "description": "Hadir, Terlambat, Izin, Tidak hadir; null when nothing is recorded"},
        "minutes_present": {"type": ["integer", "null"]},
    },
}


def _page(item_ref: str) -> dict:
    return {"type": "object", "required": ["data", "next_cursor"], "additionalProperties": False,
            "properties": {"data": {"type": "array", "items": {"$ref": item_ref}},
                           "next_cursor": {"type": ["string", "null"],
                                           "description": "pass as ?cursor= to get the next page"}}}


PAGING_PARAMS = [
    {"name": "cursor", "in": "query", "required": False, "schema": {"type": "string"},
     "description": "opaque cursor from next_cursor of the previous page"},
    {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
]


def _json(schema_ref: str, description: str = "OK") -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": schema_ref}}}}


ERRORS = {str(s): _json("#/components/schemas/Error", d) for s, d in
          ((400, "Bad request"), (401, "No valid token or session"), (403, "The caller's roles do not allow this"),
           (404, "Not found"), (429, "Rate limited"))}


def _op(summary: str, ok: dict, params: list | None = None, secured: bool = True, tag: str = "organiser") -> dict:
    op = {"summary": summary, "tags": [tag], "responses": {"200": ok, **ERRORS}}
    if params:
        op["parameters"] = params
    if not secured:
        op["security"] = []
    return op


ID_PARAM = {"name": "cohort_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def build_document() -> dict:
    """The whole document; capabilities add paths and schemas through app.extensions["openapi"]."""
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "Bimtek Halal API", "version": "1.0.0",
                 "description": "Read API for organisers and consultants. Send a personal token from your profile "
                                "as `Authorization: Bearer bh_…`; it acts with your account's roles. Errors are "
                                "JSON: `{\"error\": {\"status\", \"code\", \"message\"}}`. Lists page with stable "
                                "cursors."},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "paths": {
            "/openapi.json": {"get": _op("This document", {"description": "OpenAPI document"}, secured=False,
                                         tag="meta")},
            "/me": {"get": _op("The caller's account", _json("#/components/schemas/Me"), tag="personal")},
            "/me/enrolments": {"get": _op("The caller's enrolments with progress",
                                          _json("#/components/schemas/MyEnrolments"), tag="personal")},
            "/cohorts": {"get": _op("Cohorts (organisers)", _json("#/components/schemas/CohortPage"), PAGING_PARAMS)},
            "/cohorts/{cohort_id}": {"get": _op("One cohort (organisers)", _json("#/components/schemas/Cohort"),
                                                [ID_PARAM])},
            "/cohorts/{cohort_id}/sessions": {"get": _op("Live sessions of a cohort (organisers)",
                                                         _json("#/components/schemas/SessionList"), [ID_PARAM])},
            "/sessions/{session_id}/register": {"get": _op(
                "The register of one session: each participant's status and minutes (organisers)",
                _json("#/components/schemas/RegisterPage"),
                [{"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}},
                 *PAGING_PARAMS])},
            "/cohorts/{cohort_id}/participants": {"get": _op(
                "Participants with progress, scores, attendance and certificate status (organisers)",
                _json("#/components/schemas/ParticipantPage"), [ID_PARAM, *PAGING_PARAMS])},
        },
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": ERROR,
                "Me": {"type": "object", "required": ["id", "email", "full_name", "roles"],
                       "properties": {"id": {"type": "integer"}, "email": {"type": "string"},
                                      "full_name": {"type": "string"},
                                      "roles": {"type": "array", "items": {"enum": ["consultant", "trainer",
                                                                                    "organiser", "admin"]}},
                                      "province": NULLABLE_STR, "plut_unit": NULLABLE_STR}},
                "MyEnrolments": {"type": "object", "required": ["data"], "properties": {"data": {
                    "type": "array", "items": {"type": "object",
                                               "required": ["cohort", "modules_done", "modules_total"],
                                               "properties": {"cohort": {"$ref": "#/components/schemas/Cohort"},
                                                              "modules_done": {"type": "integer"},
                                                              "modules_total": {"type": "integer"}}}}}},
                "Cohort": COHORT,
                "CohortPage": _page("#/components/schemas/Cohort"),
                "Participant": PARTICIPANT,
                "Session": SESSION,
                "SessionList": {"type": "object", "required": ["data"], "additionalProperties": False,
                                "properties": {"data": {"type": "array",
                                                        "items": {"$ref": "#/components/schemas/Session"}}}},
                "RegisterRow": REGISTER_ROW,
                "RegisterPage": {**_page("#/components/schemas/RegisterRow"),
                                 "required": ["data", "next_cursor", "session"],
                                 "properties": {**_page("#/components/schemas/RegisterRow")["properties"],
                                                "session": {"$ref": "#/components/schemas/Session"}}},
                "ParticipantPage": _page("#/components/schemas/Participant"),
            },
        },
    }
    for contribute in current_app.extensions.get("openapi", []):
        contribute(doc)
    return doc
