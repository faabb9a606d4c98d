"""`flask backup` / `flask restore`: consistent SQLite snapshots under concurrent writes, pg_dump round trip."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from accounts.models import User
from extensions import db
from main import backup as backups
from tests.conftest import build_app
from tests.factories import make_user

PG_URL = os.environ.get("TEST_DATABASE_URL")


def _writer(path: Path, stop: threading.Event, started: threading.Event, done: list[int]) -> None:
    """Keep committing transactions of three rows plus a running total, as the app would; done[0] is the
    number of batches committed so far."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    batch = 0
    try:
        while not stop.is_set():
            batch += 1
            connection.execute("BEGIN IMMEDIATE")
            connection.executemany("INSERT INTO answers (batch, n) VALUES (?, ?)", [(batch, n) for n in range(3)])
            connection.execute("UPDATE totals SET rows = rows + 3, batches = batches + 1")
            connection.execute("COMMIT")
            done[0] = batch
            if batch == 50:
                started.set()
    finally:
        started.set()
        connection.close()


def _make_busy_database(path: Path) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.executescript("""
        CREATE TABLE answers (id INTEGER PRIMARY KEY, batch INTEGER NOT NULL, n INTEGER NOT NULL);
        CREATE TABLE totals (rows INTEGER NOT NULL, batches INTEGER NOT NULL);
        INSERT INTO totals VALUES (0, 0);
    """)
    connection.commit()
    connection.close()


def _consistent(path: Path) -> tuple[int, int]:
    """(rows, batches) of a copy, asserting that it holds only whole transactions."""
    assert backups.integrity(path) == "ok"
    connection = sqlite3.connect(path)
    try:
        rows, batches = connection.execute("SELECT rows, batches FROM totals").fetchone()
        assert connection.execute("SELECT count(*) FROM answers").fetchone()[0] == rows
        assert connection.execute("SELECT count(DISTINCT batch) FROM answers").fetchone()[0] == batches
        # no half transaction: every batch has all three rows, batches have no gaps
        assert connection.execute("SELECT count(*) FROM (SELECT batch FROM answers GROUP BY batch "
                                  "HAVING count(*) != 3)").fetchone()[0] == 0
        assert connection.execute("SELECT coalesce(max(batch), 0) FROM answers").fetchone()[0] == batches
        return rows, batches
    finally:
        connection.close()


def test_sqlite_backup_is_a_consistent_snapshot_while_writes_go_on(tmp_path):
    live = tmp_path / "live.db"
    _make_busy_database(live)
    stop, started, done = threading.Event(), threading.Event(), [0]
    writer = threading.Thread(target=_writer, args=(live, stop, started, done))
    writer.start()
    copies = []
    try:
        assert started.wait(10)
        for i in range(3):
            copies.append(backups.backup(f"sqlite:///{live}", tmp_path / "backups" / f"copy{i}.sqlite3"))
            mark = done[0]
            deadline = time.monotonic() + 10
            while done[0] < mark + 20 and time.monotonic() < deadline:  # let the writer move on
                time.sleep(0.005)
    finally:
        stop.set()
        writer.join(10)
    final_batches = done[0]
    seen = [_consistent(copy) for copy in copies]
    assert all(50 <= batches <= final_batches for _, batches in seen)
    assert seen[0][1] < seen[1][1] < seen[2][1] < final_batches  # each copy a later snapshot
    for copy in copies:
        assert oct(copy.stat().st_mode & 0o777) == "0o600"
        assert not Path(str(copy) + "-wal").exists()
        assert not list(copy.parent.glob("*.partial"))

    restored = tmp_path / "fresh" / "restored.db"
    backups.restore(f"sqlite:///{restored}", copies[1])
    assert _consistent(restored) == seen[1]


def test_restore_refuses_what_is_not_a_backup(tmp_path):
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all")
    target = tmp_path / "target.db"
    with pytest.raises(backups.BackupError, match="not a SQLite backup"):
        backups.restore(f"sqlite:///{target}", junk)
    assert not target.exists()
    with pytest.raises(backups.BackupError, match="in-memory"):
        backups.backup("sqlite://", tmp_path / "x.sqlite3")
    with pytest.raises(backups.BackupError, match="support SQLite and PostgreSQL"):
        backups.backup("mysql://u@h/db", tmp_path / "x.sqlite3")


def test_libpq_url_drops_the_driver_and_keeps_the_password_out_of_argv():
    url, env = backups.libpq_url("postgresql+psycopg://bimtek:s3cr%40t@db.internal:5433/bimtek?sslmode=require")
    assert url == "postgresql://bimtek@db.internal:5433/bimtek?sslmode=require"
    assert env == {"PGPASSWORD": "s3cr@t"}


@pytest.fixture
def file_app(tmp_path):
    """The app on a SQLite file, as in a single-instance deployment."""
    app = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'bimtek.db'}", SQLALCHEMY_ENGINE_OPTIONS={})
    app.instance_path = str(tmp_path)
    with app.app_context():
        db.create_all()
        yield app
        db.session.remove()
        db.engine.dispose()


def _emails() -> list[str]:
    return list(db.session.scalars(select(User.email).order_by(User.email)))


def test_cli_backup_then_restore_on_sqlite(file_app, tmp_path):
    make_user("sebelum@example.id")
    runner = file_app.test_cli_runner()
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    [written] = (tmp_path / "backups").glob("*.sqlite3")
    assert str(written) in result.output

    make_user("sesudah@example.id")
    assert _emails() == ["sebelum@example.id", "sesudah@example.id"]
    db.session.remove()
    refused = runner.invoke(args=["restore", str(written)], input="n\n")
    assert refused.exit_code == 1
    assert len(_emails()) == 2
    db.session.remove()
    result = runner.invoke(args=["restore", str(written), "--yes"])
    assert result.exit_code == 0, result.output
    assert _emails() == ["sebelum@example.id"]

    named = tmp_path / "elsewhere" / "named.sqlite3"
    assert runner.invoke(args=["backup", str(named)]).exit_code == 0
    again = runner.invoke(args=["backup", str(named)])
    assert again.exit_code == 1 and "already exists" in again.output


# --------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_databases():
    """Two throw-away databases next to TEST_DATABASE_URL, dropped afterwards."""
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set")
    base = make_url(PG_URL)
    tag = uuid.uuid4().hex[:8]
    names = [f"{base.database}_bk_src_{tag}", f"{base.database}_bk_dst_{tag}"]
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield [base.set(database=name).render_as_string(hide_password=False) for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_pg_dump_and_restore_round_trip(pg_databases, tmp_path):
    source, target = pg_databases
    src = create_engine(source)
    with src.begin() as conn:
        conn.execute(text("CREATE TABLE answers (id serial PRIMARY KEY, body text NOT NULL)"))
        conn.execute(text("INSERT INTO answers (body) SELECT 'jawaban ' || g FROM generate_series(1, 500) g"))
    dst = create_engine(target)
    with dst.begin() as conn:  # restore --clean replaces what is there
        conn.execute(text("CREATE TABLE answers (id serial PRIMARY KEY, body text NOT NULL)"))
        conn.execute(text("INSERT INTO answers (body) VALUES ('lama')"))
    try:
        dump = backups.backup(source, tmp_path / "backups" / "pg.dump")
        assert dump.read_bytes()[:5] == b"PGDMP"
        backups.restore(target, dump)
        query = text("SELECT count(*), min(body), max(id), md5(string_agg(body, ',' ORDER BY id)) FROM answers")
        with src.connect() as a, dst.connect() as b:
            assert a.execute(query).one() == b.execute(query).one()
            assert b.execute(query).one()[0] == 500
        # sequences come back too: the next row continues after 500
        with dst.begin() as conn:
            assert conn.execute(text("INSERT INTO answers (body) VALUES ('baru') RETURNING id")).scalar() == 501
    finally:
        src.dispose()
        dst.dispose()


def test_cli_backup_and_restore_on_postgresql(pg_databases, tmp_path):
    source, target = pg_databases
    app = build_app(SQLALCHEMY_DATABASE_URI=source, SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
    app.instance_path = str(tmp_path)
    with app.app_context():
        db.create_all()
        make_user("pg@example.id")
        result = app.test_cli_runner().invoke(args=["backup"])
        assert result.exit_code == 0, result.output
        [dump] = (tmp_path / "backups").glob("*.dump")
        db.session.remove()
        db.engine.dispose()
    restored = build_app(SQLALCHEMY_DATABASE_URI=target, SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True})
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["restore", str(dump), "--yes"])
        assert result.exit_code == 0, result.output
        assert db.session.scalar(select(func.count()).select_from(User)) == 1
        assert _emails() == ["pg@example.id"]
        db.session.remove()
        db.engine.dispose()
