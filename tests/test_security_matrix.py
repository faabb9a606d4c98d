"""Role × route × owner matrix (AC-1..AC-4, AC-7): every route and API endpoint, with real ids, for eight callers.

The world (tests/security_data.py) holds two courses by two trainers; consultants A and B in the same cohort of
course A (both with finished attempts, excuses with letters and certificates), consultant C in the cohort of
course B, an organiser and an admin. Every URL is filled with consultant A's / course A's objects, so:

* consultant B (same cohort) must get 404 on A's attempts, results, excuse letters, certificates and token;
* consultant C (other cohort) must get 404 on cohort A's course pages, quizzes, sessions and calendars;
* trainer B (another course) must not open, edit or see statistics of course A (403);
* role areas answer 403 to the wrong role, and anonymous visitors go to the login page (401 JSON under /api).

Each (route, method) × caller is one parametrised test; the database is restored from a snapshot before each
one, and a refused request must not have written anything.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from app import create_app
from extensions import db
from tests.conftest import USING_POSTGRES, _empty_tables
from tests.security_data import (
    ANON,
    EMAIL_OF,
    ROLE_OF,
    ROLES,
    SIGNED_IN,
    WorldApp,
    build_world,
    is_login_redirect,
    routes,
    sign_in,
)

# ---------------------------------------------------------------------------------------------------------
# Who may open what. Endpoints are filled with consultant A's objects (see `url_values`).

CA, CB, CC, TA, TB, ORG, ADM = ("consultant_a", "consultant_b", "consultant_c", "trainer_a", "trainer_b",
                                "organiser", "admin")
EVERYONE = frozenset(ROLES)
USER = SIGNED_IN
STAFF = frozenset({ORG, ADM})
TRAINERS = frozenset({TA, TB, ADM})
AUTHOR_A = frozenset({TA, ADM})
ENROLLED_A = frozenset({CA, CB})
SEES_SESSION_A = frozenset({CA, CB, TA, TB, ORG, ADM})  # enrolled or staff (attendance.services.can_view)


@dataclass(frozen=True)
class Spec:
    allowed: frozenset
    deny: int = 403  # what a signed-in caller outside `allowed` gets; 404 where existence must not leak


def spec(allowed, deny: int = 403) -> Spec:
    return Spec(frozenset(allowed), deny)


EXPECT: dict[str, Spec] = {
    # public pages and APIs
    **{e: spec(EVERYONE) for e in (
        "static", "main.index", "main.healthz", "main.set_language", "accounts.register", "accounts.login",
        "accounts.forgot_password", "accounts.reset_password", "twofactor.challenge", "attendance.feed",
        "verify.verify_form", "verify.verify", "verify.issuer", "verify.registry", "certificates_api.one",
        "certificates_api.bulk", "api.openapi")},
    # any signed-in person, about themselves
    **{e: spec(USER) for e in (
        "main.dashboard", "accounts.logout", "accounts.profile", "accounts.change_password", "twofactor.settings",
        "twofactor.setup", "twofactor.recovery_codes", "twofactor.disable", "attendance.my_sessions",
        "attendance.my_calendar", "attendance.feed_reset", "certificates.index", "certificates.registry",
        "tokens.index", "api.me", "api.my_enrolments", "record.mine", "learn.index", "learn.join")},
    # live session of cohort A: enrolled participants and staff; others are told it does not exist
    "attendance.session_detail": spec(SEES_SESSION_A, 404),
    "attendance.checkin_page": spec(SEES_SESSION_A, 404),
    "attendance.session_ics": spec(SEES_SESSION_A, 404),
    "attendance.cohort_ics": spec(SEES_SESSION_A, 404),
    "attendance.excuse": spec(ENROLLED_A, 404),
    # consultant A's own objects (IDOR: 404 for everybody else, also for B in the same cohort)
    "attendance.excuse_letter": spec({CA, ORG, ADM}, 404),
    "tokens.revoke": spec({CA}, 404),
    "certificates.pdf": spec({CA}, 404),
    "certificates.credential": spec({CA}, 404),
    "quizzes.take.attempt": spec({CA}, 404),
    "quizzes.take.save": spec({CA}, 404),
    "quizzes.take.submit": spec({CA}, 404),
    "quizzes.take.result": spec({CA}, 404),
    # cohort A's learning pages: its participants only
    "learn.course": spec(ENROLLED_A, 404),
    "learn.module": spec(ENROLLED_A, 404),
    "learn.mark_done": spec(ENROLLED_A, 404),
    "quizzes.take.index": spec(ENROLLED_A, 404),
    "quizzes.take.overview": spec(ENROLLED_A, 404),
    "quizzes.take.start": spec(ENROLLED_A, 404),
    "learn.attachment": spec({CA, CB, TA, ORG, ADM}, 404),
    # admin area (AC-4: nobody else assigns roles)
    "admin.users": spec({ADM}),
    "admin.user_roles": spec({ADM}),
    # trainer area: any trainer has a course list; course A only for its author (and admins)
    "authoring.courses": spec(TRAINERS),
    "authoring.new_course": spec(TRAINERS),
    "authoring.import_package": spec(TRAINERS),
    "record.teaching": spec(TRAINERS),
    "quizzes.insight_index": spec({TA, TB, ORG, ADM}),
    **{e: spec(AUTHOR_A) for e in (
        "authoring.edit_course", "authoring.course", "authoring.edit_module", "authoring.preview",
        "authoring.move_module", "authoring.archive_module", "authoring.publish", "authoring.versions",
        "authoring.diff", "authoring.upload_attachment", "authoring.export_package",
        "quizzes.author.index", "quizzes.author.edit_quiz", "quizzes.author.archive_quiz", "quizzes.author.schedule",
        "quizzes.author.save_window", "quizzes.author.save_override", "quizzes.author.delete_override",
        "quizzes.author.bank", "quizzes.author.question", "quizzes.author.edit_question",
        "quizzes.author.archive_question", "quizzes.author.import_gift", "quizzes.author.export_gift")},
    "quizzes.author.stats": spec({TA, ORG, ADM}),
    "quizzes.author.gain": spec({TA, ORG, ADM}),
    # cohorts: organisers run them; the course's author may look at them
    "cohorts.index": spec(STAFF),
    "cohorts.new": spec(STAFF),
    "cohorts.edit": spec(STAFF),
    "cohorts.import_participants": spec(STAFF),
    "cohorts.detail": spec({TA, ORG, ADM}),
    "cohorts.progress_table": spec({TA, ORG, ADM}),
    # organiser API (a token never exceeds its owner: see the token tests below)
    "api.cohorts": spec(STAFF),
    "api.cohort": spec(STAFF),
    "api.participants": spec(STAFF),
    "api.cohort_sessions": spec(STAFF),
    "api.session_register": spec(STAFF),
    # organiser areas
    **{e: spec(STAFF) for e in (
        "attendance.manage.index", "attendance.manage.sessions", "attendance.manage.new_session",
        "attendance.manage.edit_session", "attendance.manage.delete_session", "attendance.manage.presenter",
        "attendance.manage.presenter_json", "attendance.manage.qr", "attendance.manage.zoom",
        "attendance.manage.zoom_resolve", "attendance.manage.session_register", "attendance.manage.bulk_mark",
        "attendance.manage.person", "attendance.manage.cohort_register", "attendance.manage.export_csv",
        "attendance.manage.export_xlsx", "attendance.manage.excuse_list", "attendance.manage.excuse_decide",
        "certificates_admin.index", "certificates_admin.eligibility", "certificates_admin.issue_one",
        "certificates_admin.issue_all", "certificates_admin.export_zip", "certificates_admin.export_csv",
        "certificates_admin.export_xlsx", "certificates_admin.detail", "certificates_admin.revoke",
        "certificates_admin.reissue", "certificates_admin.pdf", "certificates_admin.credential",
        "reports.funnel", "reports.funnel_export", "reports.audit", "insights.learning",
        "insights.attendance", "insights.pick")},
}


ROUTES = routes(create_app("testing"))
CASES = [(route, role) for route in ROUTES for role in ROLES]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    m = WorldApp(tmp_path_factory.mktemp("matrix"))
    yield m
    m.close()


@pytest.mark.parametrize(("route", "role"), CASES, ids=[f"{r.id} {role}" for r, role in CASES])
def test_route_role(matrix, route, role):
    assert route.endpoint in EXPECT, f"{route.endpoint} has no expectation: add it to EXPECT"
    expected = EXPECT[route.endpoint]
    matrix.reset()
    url = matrix.url(route)
    before = matrix.changes()
    response = matrix.request(route, role, url)
    status = response.status_code
    what = f"{route.method} {url} as {role}: {status}"
    matrix.dirty = route.method != "GET" or role in expected.allowed
    assert status < 500, what
    if role in expected.allowed:
        assert status not in (401, 403, 404) and not is_login_redirect(response), f"{what}, expected access"
        return
    if role == ANON:
        if url.startswith("/api/"):
            assert status == 401 and response.get_json()["error"]["status"] == 401, what
        else:
            assert is_login_redirect(response), f"{what}, expected the login page"
    else:
        assert status == expected.deny, f"{what}, expected {expected.deny}"
        if url.startswith("/api/"):
            assert response.get_json()["error"]["status"] == status, what
    assert not matrix.wrote(before), f"{what} was refused but changed the database"


def test_every_route_has_an_expectation():
    endpoints = {r.endpoint for r in ROUTES}
    assert not sorted(endpoints - set(EXPECT)), "add to EXPECT in tests/test_security_matrix.py"
    assert not sorted(set(EXPECT) - endpoints), "remove stale EXPECT entries"


def test_matrix_size_is_reported():
    """(route × method) × caller checks made by test_route_role."""
    assert len(ROUTES) >= 140 and len(CASES) == len(ROUTES) * len(ROLES) >= 1100, (len(ROUTES), len(CASES))


# ---------------------------------------------------------------------------------------------------------
# Owner checks beyond the single URL: walking every id, both directions


@pytest.fixture
def world(app):
    if USING_POSTGRES:  # the module's shared world lives in the same tables
        _empty_tables()
    return build_world()


def _client(app, role: str):
    return sign_in(app.test_client(), EMAIL_OF[role])


def test_consultants_walking_ids_reach_only_their_own_objects(app, world):
    """AC-2: B walks every attempt, certificate, excuse letter and token id; only B's own open, and vice versa."""
    quiz = f"/learn/{world.cohort_a}/quiz/{world.quiz_slug}"
    own = {"consultant_a": (world.attempt_a, world.cert_a, world.excuse_a, world.token_ids[CA]),
           "consultant_b": (world.attempt_b, world.cert_b, world.excuse_b, world.token_ids[CB])}
    checked = 0
    for role, (attempt, cert, excuse, token) in own.items():
        client = _client(app, role)
        for object_id in range(1, 12):
            urls = {
                f"{quiz}/attempt/{object_id}/result": object_id == attempt,
                f"{quiz}/attempt/{object_id}": object_id == attempt,
                f"/certificates/{object_id}/pdf": object_id == cert,
                f"/certificates/{object_id}/credential": object_id == cert,
                f"/excuses/{object_id}/letter": object_id == excuse,
            }
            for url, mine in urls.items():
                response = client.get(url)
                response.close()
                if mine:
                    assert response.status_code in (200, 302), f"{role} cannot open own {url}"
                else:
                    assert response.status_code == 404, f"{role} GET {url}: {response.status_code}"
                checked += 1
        for other in set(world.token_ids.values()) - {token}:
            assert client.post(f"/profile/tokens/{other}/revoke").status_code == 404, (role, other)
    from accounts.tokens import ApiToken

    assert all(t.revoked_at is None for t in db.session.scalars(select(ApiToken)))
    assert checked == 2 * 11 * 5


def test_b_cannot_submit_save_or_answer_into_a_attempt(app, world):
    """Writes into A's attempt by B are 404 and change nothing (AC-2, QZ-2)."""
    from quizzes.models import Attempt, AttemptAnswer

    client = _client(app, CB)
    base = f"/learn/{world.cohort_a}/quiz/{world.quiz_slug}/attempt/{world.attempt_a}"
    before = [(a.question_uid, a.answer) for a in db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == world.attempt_a))]
    assert client.post(base + "/save", json={"question": "q-isian", "answer": "x", "seq": 99}).status_code == 404
    assert client.post(base + "/submit", data={"q-q-isian": "x"}).status_code == 404
    assert client.post(base, data={"q-q-isian": "x"}).status_code == 404
    after = [(a.question_uid, a.answer) for a in db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == world.attempt_a))]
    assert before == after
    assert db.session.get(Attempt, world.attempt_a).user_id == world.users[CA]


def test_trainer_b_cannot_touch_course_a(app, world):
    """AC-3: the author of course B gets 403 on every page and action of course A; nothing changes."""
    client = _client(app, TB)
    course = f"/trainer/courses/{world.course_a}"
    from courses.models import Course

    title_before = db.session.scalar(select(Course.title).where(Course.slug == world.course_a))
    attempts = {
        f"{course}/edit": {"title": "Diambil alih", "language": "id"},
        f"{course}/modules/{world.module_a}": {"title": "x", "body_md": "diubah"},
        f"{course}/publish": {"change_note": "x"},
        f"{course}/quizzes/{world.quiz_slug}/archive": {},
        f"{course}/questions/new": {"yaml": "id: q-baru\ntype: truefalse\ntext: x\nanswer: true\n"},
        f"{course}/quizzes/{world.quiz_slug}/override": {"email": EMAIL_OF[CB], "extra_attempts": "9"},
    }
    for url, data in attempts.items():
        assert client.post(url, data=data).status_code == 403, url
    for url in (f"{course}/quizzes/{world.quiz_slug}/stats", f"{course}/quizzes/gain",
                f"/organiser/cohorts/{world.cohort_a}/progress", f"{course}/export"):
        assert client.get(url).status_code == 403, url
    assert db.session.scalar(select(Course.title).where(Course.slug == world.course_a)) == title_before


# ---------------------------------------------------------------------------------------------------------
# No escalation (AC-4, AC-5)


@pytest.mark.parametrize("role", [CA, TA, TB, ORG])
def test_only_admins_grant_roles(app, world, role):
    """POST /admin/users/<id> by anyone but an admin: 403, and nobody's roles change (not even their own)."""
    from accounts.models import User

    client = _client(app, role)
    for target in (world.users[role], world.users[CB]):
        response = client.post(f"/admin/users/{target}", data={"roles": ["admin", "organiser"]})
        assert response.status_code == 403, (role, target)
    assert db.session.get(User, world.users[role]).roles == {ROLE_OF[role]}
    assert db.session.get(User, world.users[CB]).roles == {"consultant"}
    admin = _client(app, ADM)  # the control: an admin can
    assert admin.post(f"/admin/users/{world.users[CB]}", data={"roles": ["organiser"]}).status_code == 302
    assert db.session.get(User, world.users[CB]).roles == {"organiser"}


def test_profile_ignores_extra_fields(app, world):
    """Mass assignment: role, email, active and id posted with the profile are ignored."""
    from accounts.models import User

    client = _client(app, CA)
    response = client.post("/profile", data={
        "full_name": "Sari Baru", "province": "Bali", "plut_unit": "PLUT Denpasar", "consultant_field": "it",
        "locale": "id", "roles": "admin", "role": "admin", "email": "admin@matrix.example.id", "active": "0",
        "id": str(world.users[ADM]), "is_demo": "1"})
    assert response.status_code == 302
    user = db.session.get(User, world.users[CA])
    assert (user.full_name, user.email, user.roles, user.active, user.is_demo) == (
        "Sari Baru", EMAIL_OF[CA], {"consultant"}, True, False)
    assert db.session.get(User, world.users[ADM]).full_name == "Admin"


def test_trainer_cannot_take_over_another_course_by_importing_its_slug(app, world):
    """AC-4 (Moodle CVE-2020-25699 / Open edX CVE-2025-68270 class): a package whose slug is course A, imported
    by trainer B, must be refused; before the fix it replaced course A's content and made B one of its authors."""
    from courses.models import Course
    from tests.security_data import MODULE_MD, zip_bytes

    client = _client(app, TB)
    package = zip_bytes({"course.md": f"---\nslug: {world.course_a}\ntitle: Diambil alih\n---\n\nx\n".encode(),
                         "01-modul-satu.md": MODULE_MD})
    response = client.post("/trainer/import", data={"file": (io.BytesIO(package), "paket.zip")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "authors" in response.get_data(as_text=True)
    course = db.session.scalar(select(Course).where(Course.slug == world.course_a))
    assert course.title == "Kursus A"
    assert {a.user_id for a in course.author_rows} == {world.users[TA]}
    assert _client(app, TB).get(f"/trainer/courses/{world.course_a}").status_code == 403
    # the author (and an admin) may still re-import their own course
    response = _client(app, TA).post("/trainer/import", data={"file": (io.BytesIO(package), "paket.zip")},
                                     content_type="multipart/form-data")
    assert response.status_code == 302
    assert db.session.scalar(select(Course.title).where(Course.slug == world.course_a)) == "Diambil alih"


# ---------------------------------------------------------------------------------------------------------
# API tokens never exceed their owner


def _api(app, token: str, path: str):
    return app.test_client().get(path, headers={"Authorization": f"Bearer {token}"})


ORGANISER_API = ("/api/v1/cohorts", "/api/v1/cohorts/{cohort}", "/api/v1/cohorts/{cohort}/participants",
                 "/api/v1/cohorts/{cohort}/sessions", "/api/v1/sessions/{session}/register")


@pytest.mark.parametrize("path", ORGANISER_API)
def test_token_of_a_consultant_or_trainer_is_refused_on_organiser_api(app, world, path):
    url = path.format(cohort=world.cohort_a, session=world.session_a)
    for role in (CA, CB, CC, TA, TB):
        response = _api(app, world.tokens[role], url)
        assert response.status_code == 403, (role, url, response.status_code)
        assert response.get_json()["error"]["status"] == 403
    assert _api(app, world.tokens[ORG], url).status_code == 200
    assert _api(app, world.tokens[ADM], url).status_code == 200


def test_token_loses_a_role_when_its_owner_does(app, world):
    from accounts import services
    from accounts.models import User

    url = f"/api/v1/cohorts/{world.cohort_a}/participants"
    assert _api(app, world.tokens[ORG], url).status_code == 200
    services.set_roles(db.session.get(User, world.users[ADM]), db.session.get(User, world.users[ORG]),
                       {"consultant"})
    db.session.commit()
    assert _api(app, world.tokens[ORG], url).status_code == 403
    assert _api(app, world.tokens[ORG], "/api/v1/me").get_json()["roles"] == ["consultant"]
    # the token of a deactivated owner stops working altogether
    db.session.get(User, world.users[ORG]).active = False
    db.session.commit()
    assert _api(app, world.tokens[ORG], "/api/v1/me").status_code == 401


def test_revoked_forged_and_misplaced_tokens(app, world):
    client = _client(app, ORG)
    assert client.post(f"/profile/tokens/{world.token_ids[ORG]}/revoke").status_code == 302
    assert _api(app, world.tokens[ORG], "/api/v1/me").status_code == 401
    assert _api(app, world.tokens[ADM][:-2] + "xx", "/api/v1/me").status_code == 401
    assert _api(app, "bh_" + "A" * 200, "/api/v1/me").status_code == 401
    # a token is an API credential only: it signs nobody in on the HTML pages
    page = app.test_client().get("/profile", headers={"Authorization": f"Bearer {world.tokens[ADM]}"})
    assert is_login_redirect(page)
    admin_page = app.test_client().get("/admin/users", headers={"Authorization": f"Bearer {world.tokens[ADM]}"})
    assert is_login_redirect(admin_page)
    # and a consultant's token reads only the consultant's own data
    me = _api(app, world.tokens[CB], "/api/v1/me/enrolments").get_json()
    assert [item["cohort"]["id"] for item in me["data"]] == [world.cohort_a]
    assert _api(app, world.tokens[CB], "/api/v1/me").get_json()["id"] == world.users[CB]
