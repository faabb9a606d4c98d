"""Database gone during a quiz (REL-F1, REL-F2): the autosave never claims "saved", pages answer a friendly 503,
and the app recovers by itself when the database returns; the queued answer is then saved and graded.

SQLite: the file (with its -wal/-shm) is moved aside and a directory takes its name, so opening it fails; the
engine uses NullPool, as a fresh worker would (a pooled handle keeps using the moved file: see test_db_outage.py).
PostgreSQL (TEST_DATABASE_URL): a TCP proxy in front of a throw-away database is cut and restored; the pool keeps
its now dead connections and pool_pre_ping must replace them.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from werkzeug.serving import make_server

from extensions import db
from quizzes.models import Attempt, AttemptAnswer
from tests.browser.conftest import DESKTOP, shot
from tests.conftest import build_app
from tests.factories import PASSWORD, make_user
from tests.test_db_outage import TcpProxy
from tests.test_quiz_fixtures import setup_for

pytestmark = pytest.mark.browser

FRIENDLY = "Layanan sedang tidak tersedia sementara"  # errors.py, 503
SAVED = "Tersimpan"  # quiz.js texts.saved (templates/quizzes/attempt.html)
PENDING = "Menyimpan…"  # texts.pending: the receipt while a save is queued
NOT_SAVED = "Belum tersimpan ke server; mencoba lagi…"  # texts.retry: the status line after a failed save
ALL_SAVED = "Semua jawaban tersimpan di server."


class SqliteOutage:
    """A file database that can be made unopenable and restored."""

    def __init__(self, folder: Path):
        self.path = folder / "outage.db"
        self.url = f"sqlite:///{self.path}"
        self.engine_options = {"poolclass": NullPool}
        self.moved: list[tuple[Path, Path]] = []

    def cut(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.path}{suffix}")
            if source.exists():
                target = Path(f"{self.path}{suffix}.away")
                source.rename(target)
                self.moved.append((target, source))
        self.path.mkdir()  # sqlite can neither open it nor create a new, empty database in its place

    def restore(self) -> None:
        if self.path.is_dir():
            self.path.rmdir()
        for target, source in self.moved:
            target.rename(source)
        self.moved = []

    def close(self) -> None:
        self.restore()


class PostgresOutage:
    """A throw-away PostgreSQL database reached through a TCP proxy that can be cut and restored."""

    def __init__(self, base_url: str):
        base = make_url(base_url)
        self.name = f"{base.database}_autosave_{uuid.uuid4().hex[:8]}"
        self.admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.proxy = TcpProxy((base.host or "127.0.0.1", base.port or 5432))
        self.proxy.start()
        self.url = base.set(database=self.name, host="127.0.0.1", port=self.proxy.port).render_as_string(
            hide_password=False)
        self.engine_options = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}}

    def cut(self) -> None:
        self.proxy.stop()

    def restore(self) -> None:
        self.proxy.start()  # same port

    def close(self) -> None:
        self.proxy.stop()
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def outage(request, tmp_path):
    if request.param == "postgresql":
        if not os.environ.get("TEST_DATABASE_URL"):
            pytest.skip("TEST_DATABASE_URL is not set")
        database = PostgresOutage(os.environ["TEST_DATABASE_URL"])
    else:
        database = SqliteOutage(tmp_path)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def served(outage, tmp_path):
    """The app (CSRF on, as in production) on a random loopback port over the outage database."""
    app = build_app(SERVER_NAME=None, INSTANCE_DIR=str(tmp_path), SQLALCHEMY_DATABASE_URI=outage.url,
                    SQLALCHEMY_ENGINE_OPTIONS=outage.engine_options, WTF_CSRF_ENABLED=True)
    app.instance_path = str(tmp_path)
    with app.app_context():
        db.create_all()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _stored(app) -> dict:
    with app.app_context():
        rows = db.session.scalars(select(AttemptAnswer)).all()
        result = {row.question_uid: row.answer for row in rows}
        db.session.remove()
        return result


# Every text the receipts and the status line show, with the page's clock, so "never a false saved" is checkable.
RECORDER = """
() => {
  window.__seen = [];
  const note = (el, what) => window.__seen.push({what, text: el.textContent, at: Date.now()});
  const observe = (el, what) => new MutationObserver(() => note(el, what))
    .observe(el, {childList: true, characterData: true, subtree: true});
  document.querySelectorAll('fieldset[data-question]').forEach(fs =>
    observe(fs.querySelector('[data-receipt]'), fs.dataset.question));
  observe(document.querySelector('[data-save-status]'), 'status');
}
"""


def test_autosave_says_not_saved_while_the_database_is_gone_then_recovers(served, outage, browser):
    base, app = served
    began = time.monotonic()
    with app.app_context():
        trainer = make_user("pelatih@example.id", roles=("trainer",))
        consultant = make_user("sari@example.id", roles=("consultant",), full_name="Sari Konsultan")
        setup = setup_for(trainer, consultant)
        quiz_url = f"{base}/learn/{setup.cohort.id}/quiz/{setup.quiz.slug}"
        db.session.remove()

    context = browser.new_context(viewport=DESKTOP, locale="id-ID")
    page = context.new_page()
    page.device_name = "desktop"
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    saves: list[tuple[int, str | None]] = []
    page.on("response", lambda r: saves.append((r.status, r.headers.get("retry-after")))
            if r.url.endswith("/save") else None)
    try:
        page.goto(base + "/login")
        page.get_by_label("Email").fill("sari@example.id")
        page.get_by_label("Kata sandi").fill(PASSWORD)
        page.get_by_role("button", name="Masuk").click()
        page.wait_for_url("**/dashboard")
        page.goto(quiz_url)
        page.get_by_role("button", name="Mulai mengerjakan").click()
        page.wait_for_url("**/attempt/*")
        attempt_url = page.url
        page.evaluate(RECORDER)

        single = page.locator('fieldset[data-question="q-single"]')
        single.get_by_label("BPJPH").check()
        expect(single.locator("[data-receipt]")).to_contain_text(SAVED, timeout=10000)
        assert _stored(app) == {"q-single": "b"}

        # the database goes away (PostgreSQL: with idle pooled connections that are now dead)
        with app.app_context():
            pooled = db.engine.pool.checkedin() if not isinstance(db.engine.pool, NullPool) else None
        assert pooled is None or pooled >= 1
        cut_at = page.evaluate("Date.now()")
        outage.cut()
        truefalse = page.locator('fieldset[data-question="q-tf"]')
        truefalse.get_by_label("Salah").check()
        status_line = page.locator("[data-save-status]")
        expect(status_line).to_have_text(NOT_SAVED, timeout=10000)
        expect(status_line).to_have_class("save-status is-offline")
        expect(truefalse.locator("[data-receipt]")).to_have_text(PENDING)
        assert (503, "30") in saves, saves  # the server said so: 503 with Retry-After, not a "saved"
        queued = page.evaluate("JSON.parse(localStorage.getItem('bimtek-quiz-queue-' + "
                               "document.querySelector('form[data-quiz-attempt]').dataset.quizAttempt))")
        assert [(item["question"], item["answer"]) for item in queued] == [("q-tf", "false")]
        shot(page, "autosave-database-gone")

        # any page, even the attempt itself, is a friendly 503 in another tab
        other = context.new_page()
        other.device_name = "desktop"
        for url in (base + "/dashboard", attempt_url):
            response = other.goto(url)
            assert response.status == 503 and response.headers.get("retry-after") == "30"
            expect(other.locator("main, body").first).to_contain_text(FRIENDLY)
            assert "Traceback" not in other.content()
        shot(other, "autosave-database-gone-503")

        # the database returns: nothing restarted, the retry (every 5 s) sends the queued answer
        restored_at = page.evaluate("Date.now()")
        outage.restore()
        expect(truefalse.locator("[data-receipt]")).to_contain_text(SAVED, timeout=15000)
        expect(status_line).to_contain_text(ALL_SAVED)
        assert _stored(app) == {"q-single": "b", "q-tf": False}
        assert page.evaluate("localStorage.getItem('bimtek-quiz-queue-' + "
                             "document.querySelector('form[data-quiz-attempt]').dataset.quizAttempt)") is None
        seen = page.evaluate("window.__seen")
        false_saved = [s for s in seen if s["what"] == "q-tf" and SAVED in s["text"] and s["at"] < restored_at]
        assert not false_saved, false_saved
        claimed = [s for s in seen if s["what"] == "status" and ALL_SAVED in s["text"]
                   and cut_at < s["at"] < restored_at]
        assert not claimed, claimed
        response = other.goto(base + "/dashboard")
        assert response.status == 200

        page.get_by_role("button", name="Kirim jawaban").click()
        page.wait_for_url("**/result")
        assert "40%" in page.content()
        assert not errors, errors
    finally:
        context.close()
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert attempt.state == "submitted" and attempt.percent == 40.0
        assert {uid for uid, r in attempt.results.items() if r["correct"]} == {"q-single", "q-tf"}
        db.session.remove()
    print(f"database outage survived ({type(outage).__name__}): {len(saves)} autosave responses "
          f"{sorted(set(saves), key=str)}, {time.monotonic() - began:.1f} s")
