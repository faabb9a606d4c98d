"""Forged, replayed and automated requests: CSRF on every state change, session replay, rate limits.

CSRF (AUTH-8, CSRF-2): an app with WTF_CSRF_ENABLED=True, every role signed in through the real form, then every
route that accepts POST (PUT/PATCH/DELETE are not routed: 405) is sent without a token. Each must answer 400 with
the "form expired" message and write nothing. Exemptions are listed in EXEMPT with the reason.

Session replay (SESS-2, SESS-5): copied session and remember-me cookies die at logout, password change and reset.
Rate limits (RL-1, RL-2, CERT-2): login, sign-up, reset and the certificate verification page and API answer 429
in their page or JSON shape, and a forged X-Forwarded-For does not buy a new bucket.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app import create_app
from extensions import db, limiter
from tests.factories import PASSWORD, make_user
from tests.security_data import (
    ANON,
    EMAIL_OF,
    ROLES,
    Route,
    WorldApp,
    csrf_token,
    is_login_redirect,
    routes,
    sign_in,
)

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# routes that accept a write without a CSRF token, and why that is safe
EXEMPT = {
    "certificates_api.bulk": "public bulk verification for HR systems (POST only to carry up to 100 codes): it "
                             "reads no cookie identity, writes nothing and is rate-limited with the verify page",
}
# blueprints exempted as a whole: allowed only while they have no write routes (a session cookie also
# authenticates under /api/, so a future POST there would be forgeable)
EXEMPT_BLUEPRINTS = {"api": "token-authenticated JSON API, read-only (GET) endpoints only"}
CSRF_MESSAGE = "Sesi formulir sudah kedaluwarsa"

APP = create_app("testing")
WRITE_ROUTES = routes(APP, WRITE_METHODS)
CASES = [(route, role) for route in WRITE_ROUTES for role in ROLES]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    world_app = WorldApp(tmp_path_factory.mktemp("csrf"), WTF_CSRF_ENABLED=True)
    yield world_app
    world_app.close()


@pytest.mark.parametrize(("route", "role"), CASES, ids=[f"{r.id} {role}" for r, role in CASES])
def test_write_without_token_is_refused(guarded, route: Route, role: str):
    guarded.reset()
    url = guarded.url(route)
    before = guarded.changes()
    response = guarded.request(route, role, url)
    what = f"{route.method} {url} as {role} without a CSRF token: {response.status_code}"
    if route.endpoint in EXEMPT:
        assert response.status_code != 400 or CSRF_MESSAGE not in response.get_data(as_text=True), what
        assert response.status_code < 500, what
    else:
        assert response.status_code == 400, what
        body = response.get_data(as_text=True)
        assert CSRF_MESSAGE in body or "CSRF" in body, f"{what}: refused, but not by the CSRF check"
    wrote = guarded.wrote(before)
    if wrote:
        guarded.dirty = True
        guarded.reset()
    assert not wrote, f"{what} changed the database"


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
def test_other_write_methods_are_not_routed(guarded, method):
    """No route takes PUT/PATCH/DELETE; sending them to every POST route changes nothing."""
    guarded.reset()
    assert not [r for r in WRITE_ROUTES if r.method != "POST"], "a new write method: add it to the CSRF walk"
    before = guarded.changes()
    client = guarded.clients["admin"]
    for route in WRITE_ROUTES:
        response = client.open(guarded.url(route), method=method, data={"x": "1"})
        assert response.status_code in (400, 405), (method, route.rule, response.status_code)
    assert not guarded.wrote(before)


def test_exemptions_are_listed_and_justified():
    from extensions import csrf

    def location(endpoint: str) -> str:
        view = APP.view_functions[endpoint]
        return f"{view.__module__}.{view.__name__}"

    exempt_endpoints = {r.endpoint for r in WRITE_ROUTES if location(r.endpoint) in csrf._exempt_views}
    assert exempt_endpoints == set(EXEMPT), exempt_endpoints
    assert {getattr(bp, "name", bp) for bp in csrf._exempt_blueprints} == set(EXEMPT_BLUEPRINTS)
    for name in EXEMPT_BLUEPRINTS:
        writes = [r.id for r in WRITE_ROUTES if r.endpoint.startswith(name + ".")]
        assert not writes, f"blueprint {name} is CSRF-exempt but has write routes: {writes}"
    assert all(len(reason) > 40 for reason in [*EXEMPT.values(), *EXEMPT_BLUEPRINTS.values()])


def test_csrf_walk_size():
    assert len(WRITE_ROUTES) >= 55 and len(CASES) == len(WRITE_ROUTES) * len(ROLES)


# ---------------------------------------------------------------------------------------------------------
# The walk is not vacuous: the same requests with a valid token work, foreign tokens do not


def test_with_the_token_the_same_writes_succeed(guarded):
    guarded.reset()
    from accounts.models import User
    from accounts.tokens import ApiToken

    client = guarded.clients["consultant_a"]
    token = csrf_token(client, "/profile")
    profile = {"full_name": "Sari Dengan Token", "province": "Bali", "plut_unit": "PLUT Denpasar",
               "consultant_field": "it", "locale": "id"}
    assert client.post("/profile", data=profile).status_code == 400
    assert client.post("/profile", data={**profile, "csrf_token": token}).status_code == 302
    assert db.session.get(User, guarded.world.users["consultant_a"]).full_name == "Sari Dengan Token"
    assert client.post("/profile/tokens", data={"name": "dengan token", "csrf_token": token}).status_code == 200
    assert db.session.scalar(select(ApiToken).where(ApiToken.name == "dengan token")) is not None
    # a token taken from another person's session is refused
    foreign = csrf_token(guarded.clients["consultant_b"], "/profile")
    assert client.post("/profile", data={**profile, "full_name": "Asing", "csrf_token": foreign}).status_code == 400
    assert db.session.get(User, guarded.world.users["consultant_a"]).full_name == "Sari Dengan Token"
    guarded.dirty = True
    guarded.reset()


def test_autosave_needs_the_header_token(guarded):
    guarded.reset()
    client = guarded.clients["consultant_a"]
    world = guarded.world
    base = f"/learn/{world.cohort_a}/quiz/{world.quiz_slug}"
    token = csrf_token(client, base)
    start = client.post(base + "/start", data={"csrf_token": token})
    assert start.status_code == 302, start.status_code
    attempt = start.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
    payload = {"question": "q-isian", "answer": "LP3H", "seq": 1}
    assert client.post(f"{base}/attempt/{attempt}/save", json=payload).status_code == 400
    saved = client.post(f"{base}/attempt/{attempt}/save", json=payload, headers={"X-CSRFToken": token})
    assert saved.status_code == 200 and saved.get_json()["ok"] is True
    guarded.dirty = True
    guarded.reset()


def test_logout_needs_the_token(guarded):
    """Logout CSRF (Moodle CVE-2024-34007): a forged logout leaves the session alive."""
    guarded.reset()
    client = sign_in(guarded.app.test_client(), EMAIL_OF["trainer_a"])
    assert client.post("/logout").status_code == 400
    assert client.get("/profile").status_code == 200
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/profile")}).status_code == 302
    assert is_login_redirect(client.get("/profile"))


# ---------------------------------------------------------------------------------------------------------
# GET never changes state (so a link or an <img> cannot act for a signed-in person)

# GET routes that write, and why that is acceptable
GET_WRITES = {
    "twofactor.setup": "creates the pending (unconfirmed) secret shown as a QR code; idempotent until confirmed",
    "learn.module": "remembers the last module opened (resume point) and the start of learning; no grade effect",
    "certificates.index": "issues certificates already due under the cohort's automatic rule (no choice made)",
    "quizzes.take.index": "finalises attempts whose server-side deadline has passed (REL-Q6); no answer changes",
    "quizzes.take.overview": "same as quizzes.take.index",
    "quizzes.take.attempt": "same, for this attempt",
    "quizzes.take.result": "same, for this attempt",
}
GET_ROUTES = routes(APP, {"GET"})


def _first_allowed(endpoint: str) -> str:
    from tests.test_security_matrix import EXPECT

    allowed = EXPECT[endpoint].allowed
    return next(role for role in ("consultant_a", "trainer_a", "organiser", "admin", ANON) if role in allowed)


@pytest.mark.parametrize("route", GET_ROUTES, ids=[r.id for r in GET_ROUTES])
def test_get_does_not_write(guarded, route):
    guarded.reset()
    role = _first_allowed(route.endpoint)
    before = guarded.changes()
    response = guarded.request(route, role)
    assert response.status_code < 500, (route.rule, role, response.status_code)
    wrote = guarded.wrote(before)
    if wrote and route.endpoint not in GET_WRITES:
        # on PostgreSQL the world is compared with a fingerprint taken when it was built; rebuild it and ask
        # again, so a write left by an earlier step cannot be blamed on this GET
        guarded.dirty = True
        guarded.reset()
        before = guarded.changes()
        response = guarded.request(route, role)
        wrote = guarded.wrote(before)
    if wrote:
        guarded.dirty = True
        guarded.reset()
    assert not wrote or route.endpoint in GET_WRITES, f"GET {route.rule} as {role} changed the database"


# ---------------------------------------------------------------------------------------------------------
# Session replay (SESS-2, SESS-5)


def _copy(app, client, only: set[str] | None = None):
    replay = app.test_client()
    for cookie in client._cookies.values():
        if only is None or cookie.key in only:
            replay.set_cookie(cookie.key, cookie.value)
    return replay


def test_remember_cookie_replay_after_password_change(app):
    """A stolen remember-me cookie (alone, without the session cookie) dies when the password is changed."""
    user = make_user("ingat@example.id")
    phone = sign_in(app.test_client(), user.email, remember=True)
    assert "remember_token" in {c.key for c in phone._cookies.values()}
    stolen = _copy(app, phone, {"remember_token"})
    assert stolen.get("/profile").status_code == 200  # the cookie alone signs in: it is worth stealing
    laptop = sign_in(app.test_client(), user.email)
    response = laptop.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": "Rendang-Padang-88", "new_password_confirm": "Rendang-Padang-88"})
    assert response.status_code == 302
    assert is_login_redirect(_copy(app, phone, {"remember_token"}).get("/profile"))
    assert is_login_redirect(_copy(app, phone).get("/profile"))
    assert is_login_redirect(stolen.get("/profile"))
    assert laptop.get("/profile").status_code == 200  # the device that changed it stays signed in


def test_remember_cookie_replay_after_logout_and_reset(app):
    from accounts import services

    user = make_user("ulang@example.id")
    first = sign_in(app.test_client(), user.email, remember=True)
    copy = _copy(app, first, {"remember_token"})
    first.post("/logout")
    assert is_login_redirect(copy.get("/profile"))
    second = sign_in(app.test_client(), user.email, remember=True)
    copy = _copy(app, second)
    token = services.issue_password_token(user)
    db.session.commit()
    response = app.test_client().post(f"/reset/{token}", data={"password": "Gudeg-Jogja-99",
                                                               "password_confirm": "Gudeg-Jogja-99"})
    assert response.status_code == 302
    assert is_login_redirect(copy.get("/profile"))
    assert is_login_redirect(second.get("/profile"))


def test_sessions_die_when_the_account_is_deactivated(app):
    from accounts.models import User

    user = make_user("nonaktif@example.id")
    client = sign_in(app.test_client(), user.email, remember=True)
    db.session.get(User, user.id).active = False
    db.session.commit()
    assert is_login_redirect(client.get("/profile"))
    assert is_login_redirect(_copy(app, client, {"remember_token"}).get("/profile"))


def test_a_forged_session_cookie_is_anonymous(app):
    from itsdangerous import URLSafeTimedSerializer

    user = make_user("palsu@example.id")
    assert user.id
    client = app.test_client()
    # Flask-Login keeps a server-side session token (never the user id): guessing ids gets nowhere
    for value in ("1", str(user.id), "x" * 43):
        forged = URLSafeTimedSerializer("not-the-key", salt="cookie-session").dumps({"_user_id": value})
        client.set_cookie("session", forged)
        client.set_cookie("remember_token", f"{value}|{'0' * 128}")
        assert is_login_redirect(client.get("/profile")), value


# ---------------------------------------------------------------------------------------------------------
# Rate limits (RL-1, RL-2, CERT-2)


@pytest.fixture
def limited(tmp_path):
    """An app with limits on: verify 3/min, login and friends 2/min (per address)."""
    from tests.conftest import _prepare_schema, build_app

    app = build_app(RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute", LOGIN_RATE_LIMIT="2 per minute",
                    INSTANCE_DIR=str(tmp_path))
    app.instance_path = str(tmp_path)
    with app.app_context():
        _prepare_schema()
        limiter.reset()
        try:
            yield app
        finally:
            limiter.reset()
            from tests.conftest import _empty_tables

            db.session.remove()
            _empty_tables()
            db.engine.dispose()


def _certificate_code() -> str:
    from certificates import issuing
    from tests.security_data import finish_all_modules
    from tests.test_certificates_support import learner, setup_course

    course, cohort = setup_course()
    _, enrolment = learner(cohort, finished=False)
    finish_all_modules(enrolment)
    cert = issuing.issue(enrolment, mode="manual")
    db.session.commit()
    return cert.code


def test_verify_page_and_api_share_one_limited_bucket(limited):
    code = _certificate_code()
    client = limited.test_client()
    env = {"REMOTE_ADDR": "198.51.100.7"}
    assert client.get(f"/verify/{code}", environ_base=env).status_code == 200
    assert client.get("/verify/TIDAK-ADA-KODE-INI-SAMA-SEKALI1", environ_base=env).status_code == 404
    assert client.get(f"/api/v1/certificates/{code}", environ_base=env).status_code == 200
    page = client.get(f"/verify/{code}", environ_base=env)
    assert page.status_code == 429
    assert "Terlalu banyak percobaan" in page.get_data(as_text=True)
    assert page.mimetype == "text/html"
    api = client.get(f"/api/v1/certificates/{code}", environ_base=env)
    assert api.status_code == 429
    assert api.get_json() == {"error": {"status": 429, "code": "429", "message": api.get_json()["error"]["message"]}}
    bulk = client.post("/api/v1/certificates/verify", json={"codes": [code]}, environ_base=env)
    assert bulk.status_code == 429 and bulk.get_json()["error"]["status"] == 429
    # another address has its own bucket
    assert client.get(f"/verify/{code}", environ_base={"REMOTE_ADDR": "198.51.100.8"}).status_code == 200


def test_forged_forwarded_for_does_not_reset_the_bucket(limited):
    """RL-2: without a trusted proxy, X-Forwarded-For is ignored; rotating it does not give new buckets."""
    code = _certificate_code()
    client = limited.test_client()
    statuses = [client.get(f"/verify/{code}", environ_base={"REMOTE_ADDR": "203.0.113.9"},
                           headers={"X-Forwarded-For": f"10.9.8.{i}"}).status_code for i in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


def test_bulk_verify_costs_one_unit_per_ten_codes(limited):
    code = _certificate_code()
    client = limited.test_client()
    env = {"REMOTE_ADDR": "198.51.100.20"}
    first = client.post("/api/v1/certificates/verify", json={"codes": [code] * 30}, environ_base=env)
    assert first.status_code == 200 and len(first.get_json()["results"]) == 30
    assert client.get(f"/verify/{code}", environ_base=env).status_code == 429  # 3 units spent at once


@pytest.mark.parametrize(("path", "data"), [
    ("/login", {"email": "siapa@example.id", "password": "salah-sekali"}),
    ("/register", {"email": "baru@example.id"}),
    ("/forgot", {"email": "siapa@example.id"}),
])
def test_sign_in_pages_are_limited_per_address(limited, path, data):
    client = limited.test_client()
    env = {"REMOTE_ADDR": "192.0.2.44"}
    statuses = [client.post(path, data=data, environ_base=env).status_code for _ in range(3)]
    assert statuses[2] == 429 and 429 not in statuses[:2], statuses
    page = client.post(path, data=data, environ_base=env)
    assert page.status_code == 429 and "Terlalu banyak percobaan" in page.get_data(as_text=True)
    assert client.post(path, data=data, environ_base={"REMOTE_ADDR": "192.0.2.45"}).status_code != 429
