"""Fixtures: a fresh app per test on in-memory SQLite (or TEST_DATABASE_URL), role users, clients."""

from __future__ import annotations

import os
import re

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from app import create_app
from extensions import db
from tests.factories import PASSWORD, make_user

USING_POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
_schema_ready = False


def _prepare_schema() -> None:
    """In-memory SQLite starts empty every time; PostgreSQL gets its schema once per run."""
    global _schema_ready
    if not USING_POSTGRES:
        db.create_all()
        return
    if not _schema_ready:
        db.drop_all()
        db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.session.commit()
        db.create_all()
        _schema_ready = True


def _empty_tables() -> None:
    if USING_POSTGRES:
        names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        db.session.commit()


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: fresh `g`, its own DB session.

    The test's own session is expired afterwards so that it reads what the request committed.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


def build_app(**overrides):
    app = create_app("testing", overrides)
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def app(tmp_path):
    app = build_app(INSTANCE_DIR=str(tmp_path))
    app.instance_path = str(tmp_path)
    with app.app_context():
        _prepare_schema()
        try:
            yield app
        finally:
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def consultant(app):
    return make_user("konsultan@example.id", roles=("consultant",), full_name="Sari Konsultan")


@pytest.fixture
def other_consultant(app):
    return make_user("konsultan2@example.id", roles=("consultant",), full_name="Budi Konsultan",
                     province="Bali", plut_unit="PLUT Denpasar")


@pytest.fixture
def trainer(app):
    return make_user("pelatih@example.id", roles=("trainer",), full_name="Pak Pelatih")


@pytest.fixture
def organiser(app):
    return make_user("penyelenggara@example.id", roles=("organiser",), full_name="Bu Penyelenggara")


@pytest.fixture
def admin(app):
    return make_user("admin@example.id", roles=("admin",), full_name="Admin Satu")


def login(client, user, password: str = PASSWORD, remember: bool = False):
    """Sign a test client in through the real login form."""
    data = {"email": user.email, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


@pytest.fixture
def login_as(client):
    def _login(user, **kwargs):
        login(client, user, **kwargs)
        return client

    return _login
