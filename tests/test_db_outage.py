"""Database gone (REL-F1): friendly 503 pages with Retry-After, /healthz 503, and recovery without a restart."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from extensions import db
from tests.conftest import build_app, login
from tests.factories import PASSWORD, make_user

FRIENDLY = "Layanan sedang tidak tersedia sementara"
PG_URL = os.environ.get("TEST_DATABASE_URL")


def assert_friendly_503(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert FRIENDLY in page
    assert '<nav class="main-nav"' in page  # the full layout, not the bare fallback
    for leak in ("Traceback", "OperationalError", "psycopg", "sqlite3", "SELECT"):
        assert leak not in page


def assert_outage(client) -> None:
    """`client` is signed in; the load balancer's probe comes without cookies."""
    health = client.application.test_client().get("/healthz")
    assert health.status_code == 503 and health.get_json()["database"] == "error"
    assert_friendly_503(client.get("/dashboard"))
    assert_friendly_503(client.get("/profile"))


def test_closed_port_gives_friendly_503_everywhere_the_database_is_needed():
    app = build_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://bimtek@127.0.0.1:1/bimtek",
                    SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}})
    with app.app_context():
        client = app.test_client()
        # pages that need no database still work
        assert client.get("/").status_code == 200
        assert client.get("/login").status_code == 200
        # a sign-in is not reported as a success (nor as a wrong password)
        response = client.post("/login", data={"email": "siapa@example.id", "password": PASSWORD})
        assert_friendly_503(response)
        assert "salah" not in response.get_data(as_text=True)
        # a signed-in visitor: loading the user needs the database; the error page must not ask it again
        with client.session_transaction() as session:
            session["_user_id"] = "token-of-a-session"
        assert_outage(client)
        api = client.get("/api/v1/anything", headers={"Accept": "application/json"})
        assert api.status_code in (404, 503)  # unknown path: 404 before any query; JSON either way
        assert "error" in api.get_json()
        db.engine.dispose()


def test_sqlite_file_gone_then_back(tmp_path):
    """The folder holding the SQLite file disappears (unmounted volume) and comes back. NullPool: every
    request opens the file, as a fresh worker would; pooled handles would keep reading the moved file."""
    folder = tmp_path / "data"
    folder.mkdir()
    app = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'bimtek.db'}",
                    SQLALCHEMY_ENGINE_OPTIONS={"poolclass": NullPool})
    app.instance_path = str(tmp_path)
    with app.app_context():
        db.create_all()
        user = make_user("tahan@example.id")
        client = app.test_client()
        login(client, user)
        assert client.get("/dashboard").status_code == 200

        moved = folder.rename(tmp_path / "elsewhere")
        try:
            assert_outage(client)
            other = app.test_client()
            assert_friendly_503(other.post("/login", data={"email": "tahan@example.id", "password": PASSWORD}))
        finally:
            Path(moved).rename(folder)
        # back: the same sign-in works again, nothing restarted
        assert client.get("/healthz").status_code == 200
        assert client.get("/dashboard").status_code == 200
        db.session.remove()
        db.engine.dispose()


class TcpProxy:
    """A local TCP forwarder that can be cut and restored, standing in for a network outage."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._spawn(self._accept, listener)

    def _spawn(self, target, *args) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, server]
            self._spawn(self._pump, client, server)
            self._spawn(self._pump, server, client)

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        """Refuse new connections and cut every open one, as when the database host goes away."""
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for thread in self._threads:
            thread.join(5)
        self._threads = []
        for sock in sockets:
            sock.close()


@pytest.fixture
def pg_behind_proxy():
    """A throw-away PostgreSQL database reached through TcpProxy; yields (proxied URL, proxy)."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    base = make_url(PG_URL)
    name = f"{base.database}_outage_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    proxy = TcpProxy((base.host or "127.0.0.1", base.port or 5432))
    proxy.start()
    try:
        url = base.set(database=name, host="127.0.0.1", port=proxy.port)
        yield url.render_as_string(hide_password=False), proxy
    finally:
        proxy.stop()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgres_connection_lost_then_back_with_the_pool_kept(pg_behind_proxy, tmp_path):
    """pool_pre_ping notices the dead pooled connections; once the database answers again the same
    process serves pages without a restart."""
    url, proxy = pg_behind_proxy
    app = build_app(SQLALCHEMY_DATABASE_URI=url,
                    SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}})
    app.instance_path = str(tmp_path)
    with app.app_context():
        db.create_all()
        user = make_user("tahan@example.id")
        client = app.test_client()
        login(client, user)
        assert client.get("/dashboard").status_code == 200
        db.session.remove()
        assert db.engine.pool.checkedin() >= 1  # a pooled connection is waiting to be reused

        proxy.stop()
        assert_outage(client)
        proxy.start()  # same port

        assert client.get("/healthz").status_code == 200
        assert client.get("/dashboard").status_code == 200
        db.session.remove()
        db.engine.dispose()
