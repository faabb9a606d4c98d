"""Health, language, security headers, configuration and CSRF."""

from __future__ import annotations

import os

import pytest
from sqlalchemy.exc import OperationalError

from app import create_app
from tests.conftest import csrf_token_from, login


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_healthz_reports_database_error(app, client, monkeypatch):
    from extensions import db

    def broken(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("gone"))

    monkeypatch.setattr(db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "error", "database": "error"}


def test_landing_page_is_indonesian_by_default(client):
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="id">' in page
    assert "Bimtek Pendampingan Sertifikasi Halal" in page


def test_accept_language_english(client):
    page = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Register" in page or "Sign in" in page


def test_language_switch_persists_in_cookie_and_profile(client, consultant):
    response = client.post("/lang/en", data={"next": "/"})
    assert response.status_code == 302
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)
    login(client, consultant)
    client.post("/lang/id", data={"next": "/"})
    assert consultant.locale == "id"
    assert '<html lang="id">' in client.get("/dashboard").get_data(as_text=True)


def test_security_headers_on_every_page(client):
    for path in ("/", "/login", "/register", "/healthz", "/nope"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_no_inline_script_in_pages(client, consultant):
    login(client, consultant)
    for path in ("/", "/dashboard", "/profile"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "onclick=" not in page


def test_cookie_flags(client, consultant):
    response = client.post("/login", data={"email": consultant.email, "password": "Rahasia-Kuat-2026"})
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_missing_or_default_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "change-me")
    with pytest.raises(RuntimeError):
        create_app("production")
    monkeypatch.setenv("SECRET_KEY", "x" * 48)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    app = create_app("production")
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["DEMO_ENABLED"] is False


def test_csrf_is_enforced_when_enabled(consultant, app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    response = client.post("/login", data={"email": consultant.email, "password": "Rahasia-Kuat-2026"})
    assert response.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = csrf_token_from(page)
    response = client.post("/login", data={"email": consultant.email, "password": "Rahasia-Kuat-2026",
                                           "csrf_token": token})
    assert response.status_code == 302
    # logout without the token does nothing
    client.post("/logout")
    assert client.get("/profile").status_code == 200


def test_login_rate_limited_per_account(app):
    """Five wrong passwords for one account from five addresses, then 429 (the limit is per account)."""
    from extensions import db, limiter
    from tests.conftest import build_app
    from tests.factories import make_user

    limited = build_app(RATELIMIT_ENABLED=True)
    with limited.app_context():
        db.create_all() if not os.environ.get("TEST_DATABASE_URL") else None
        user = make_user("batas@example.id")
        limiter.reset()
        client = limited.test_client()
        statuses = [client.post("/login", data={"email": user.email, "password": f"salah-{i}"},
                                environ_base={"REMOTE_ADDR": f"10.0.0.{i}"}).status_code for i in range(7)]
        limiter.reset()
        db.session.remove()
        db.engine.dispose()
    assert statuses[:5] == [422] * 5
    assert statuses[5:] == [429, 429]


def test_404_page_is_friendly_and_json_under_api(client):
    response = client.get("/tidak-ada")
    assert response.status_code == 404
    assert "tidak ditemukan" in response.get_data(as_text=True)
    api = client.get("/api/v1/tidak-ada")
    assert api.status_code in (401, 404)
    assert "error" in api.get_json()


def test_nul_bytes_in_form_input_are_refused(client, consultant):
    login(client, consultant)
    response = client.post("/profile", data={"full_name": "Sari\x00", "province": "Bali", "plut_unit": "PLUT",
                                             "consultant_field": "it", "locale": "id"})
    assert response.status_code == 400
    assert client.get("/learn?q=a%00b").status_code == 400


def test_proxy_fix_takes_the_client_address_from_the_proxy():
    from flask import request

    from tests.conftest import build_app

    app = build_app(PROXY_FIX=1)
    seen = {}

    @app.get("/_probe")
    def _probe():
        seen["addr"] = request.remote_addr
        return "ok"

    app.view_functions["_probe"].is_public = True
    with app.app_context():
        app.test_client().get("/_probe", headers={"X-Forwarded-For": "203.0.113.9"},
                              environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert seen["addr"] == "203.0.113.9"
