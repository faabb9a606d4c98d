"""Browser journeys: a live server in a thread, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from extensions import db
from tests.conftest import USING_POSTGRES, _empty_tables, _prepare_schema, build_app

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is required for browser tests: apt-get install chromium (make test does it)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def live(tmp_path):
    """The app served on a random loopback port; yields (base_url, app)."""
    overrides = {"SERVER_NAME": None, "INSTANCE_DIR": str(tmp_path)}
    if not USING_POSTGRES:
        overrides.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'live.db'}", SQLALCHEMY_ENGINE_OPTIONS={})
    app = build_app(**overrides)
    app.instance_path = str(tmp_path)
    with app.app_context():
        _prepare_schema()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", app
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


@pytest.fixture(params=["desktop", "phone"])
def page(request, browser):
    viewport = PHONE if request.param == "phone" else DESKTOP
    context = browser.new_context(viewport=viewport, locale="id-ID", is_mobile=request.param == "phone",
                                  has_touch=request.param == "phone")
    page = context.new_page()
    page.errors_seen = []
    page.on("pageerror", lambda exc: page.errors_seen.append(str(exc)))
    page.on("dialog", lambda dialog: (page.errors_seen.append("dialog:" + dialog.message), dialog.dismiss()))
    page.device_name = request.param
    yield page
    context.close()


def shot(page, name: str) -> Path:
    """Save a screenshot as a test artefact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}-{page.device_name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_scroll(page) -> bool:
    """The page fits the viewport width (no sideways scrolling on a phone)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
