"""JSON API v1: tokens, scopes, cursor paging, errors, and the OpenAPI document against live responses."""

from __future__ import annotations

import re

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from accounts import services as accounts
from accounts.tokens import create_token
from extensions import db
from tests.conftest import login
from tests.factories import enrol, make_cohort, make_course, make_user


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def new_token(user, name="uji") -> str:
    _, plain = create_token(user, name)
    db.session.commit()
    return plain


@pytest.fixture
def world(app, trainer, organiser, consultant):
    course = make_course(trainer, modules=3)
    cohort = make_cohort(course)
    enrol(consultant, cohort)
    for i in range(7):
        enrol(make_user(f"peserta{i}@example.id", full_name=f"Peserta {i}", commit=False), cohort, commit=False)
    db.session.commit()
    return {"course": course, "cohort": cohort}


def test_token_created_on_profile_shown_once_and_revoked(client, consultant):
    login(client, consultant)
    page = client.post("/profile/tokens", data={"name": "laptop"}).get_data(as_text=True)
    plain = re.search(r"bh_[A-Za-z0-9_-]{20,}", page).group(0)
    assert "bh_" not in client.get("/profile/tokens").get_data(as_text=True).replace(plain[:8], "")
    api = client.application.test_client()
    assert api.get("/api/v1/me", headers=bearer(plain)).get_json()["email"] == consultant.email
    token_id = re.search(r"/profile/tokens/(\d+)/revoke", client.get("/profile/tokens").get_data(as_text=True))
    client.post(f"/profile/tokens/{token_id.group(1)}/revoke")
    response = api.get("/api/v1/me", headers=bearer(plain))
    assert response.status_code == 401
    assert set(response.get_json()["error"]) == {"status", "code", "message"}


def test_token_is_stored_hashed(consultant):
    from accounts.tokens import ApiToken

    plain = new_token(consultant)
    stored = db.session.scalars(db.select(ApiToken)).one()
    assert plain not in (stored.token_hash, stored.hint) and stored.hint == plain[:8]


def test_tokens_work_only_under_api(app, consultant):
    plain = new_token(consultant)
    response = app.test_client().get("/profile", headers=bearer(plain))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_consultant_token_cannot_read_organiser_endpoints(app, world, consultant):
    plain = new_token(consultant)
    client = app.test_client()
    for path in ("/api/v1/cohorts", f"/api/v1/cohorts/{world['cohort'].id}",
                 f"/api/v1/cohorts/{world['cohort'].id}/participants"):
        response = client.get(path, headers=bearer(plain))
        assert response.status_code == 403, path
        assert response.get_json()["error"]["status"] == 403
    mine = client.get("/api/v1/me/enrolments", headers=bearer(plain)).get_json()["data"]
    assert len(mine) == 1 and mine[0]["modules_total"] == 3


def test_token_follows_the_owners_roles(app, world, admin):
    organiser2 = make_user("org2@example.id", roles=("organiser",))
    plain = new_token(organiser2)
    client = app.test_client()
    assert client.get("/api/v1/cohorts", headers=bearer(plain)).status_code == 200
    accounts.set_roles(admin, organiser2, {"consultant"})
    db.session.commit()
    assert client.get("/api/v1/cohorts", headers=bearer(plain)).status_code == 403


def test_garbage_tokens_are_401(app):
    client = app.test_client()
    for value in ("Bearer bh_nope", "Bearer ", "Basic abc", "Bearer " + "x" * 500):
        assert client.get("/api/v1/me", headers={"Authorization": value}).status_code == 401


def test_cursor_paging_is_stable(app, world, organiser):
    plain = new_token(organiser)
    client = app.test_client()
    url = f"/api/v1/cohorts/{world['cohort'].id}/participants?limit=3"
    seen, cursor, pages = [], None, 0
    while True:
        body = client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=bearer(plain)).get_json()
        seen += [p["enrolment_id"] for p in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        # a participant joining mid-walk does not shift the pages already read
        if pages == 1:
            enrol(make_user("baru@example.id"), world["cohort"])
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 9
    for bad in ("%%%", "eyJ4IjoxfQ", "-1"):
        response = client.get(url + f"&cursor={bad}", headers=bearer(plain))
        assert response.status_code == 400
    assert client.get(url.replace("limit=3", "limit=0"), headers=bearer(plain)).status_code == 400


def _validator(doc: dict, ref: str) -> Draft202012Validator:
    registry = Registry().with_resource("urn:bimtek:openapi", Resource.from_contents(
        doc, default_specification=DRAFT202012))
    return Draft202012Validator({"$ref": "urn:bimtek:openapi" + ref}, registry=registry)


def _response_ref(operation: dict, status: str) -> str | None:
    content = operation["responses"].get(status, {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return schema["$ref"].removeprefix("urn:bimtek:openapi") if schema else None


def test_openapi_document_matches_the_live_app(app, world, organiser):
    client = app.test_client()
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.1")
    Draft202012Validator.check_schema(doc["components"]["schemas"]["Participant"])
    # every API route is documented, and every documented path exists
    routes = {re.sub(r"<(?:int:)?(\w+)>", r"{\1}", r.rule.removeprefix("/api/v1"))
              for r in app.url_map.iter_rules() if r.rule.startswith("/api/v1")}
    assert routes == set(doc["paths"]), routes ^ set(doc["paths"])
    plain = new_token(organiser)
    from tests.test_attendance_fixtures import at, make_session

    session = make_session(world["cohort"], at(2026, 1, 5, 2))
    values = {"cohort_id": world["cohort"].id, "session_id": session.id}
    checked = 0
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method != "get" or "{code}" in path:
                continue
            url = "/api/v1" + path.format(**values)
            response = client.get(url, headers=bearer(plain))
            assert response.status_code == 200, url
            ref = _response_ref(operation, "200")
            if ref:
                errors = list(_validator(doc, ref).iter_errors(response.get_json()))
                assert errors == [], (url, errors[:3])
            checked += 1
            missing = client.get("/api/v1" + path.format(**{k: 999999 for k in values}))
            if "{" in path:
                assert missing.status_code in (401, 404)
                assert not list(_validator(doc, "#/components/schemas/Error").iter_errors(missing.get_json()))
    assert checked >= 8
