"""Database backup and restore: SQLite through the online backup API, PostgreSQL through pg_dump/pg_restore.

A SQLite copy is taken inside one read transaction, so it is a consistent snapshot even while the app
keeps writing (copying the file would not be). PostgreSQL dumps use the custom format (-Fc), which
pg_dump also takes from one snapshot. Backups are written under a temporary name and renamed when
complete, readable only by the owner (they hold password hashes).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import URL, make_url

SQLITE_SUFFIX, PG_SUFFIX = ".sqlite3", ".dump"
SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """The backup or restore could not be done; the message says why."""


def kind_of(database_uri: str | URL) -> str:
    """'sqlite' or 'postgresql' (anything else is refused)."""
    backend = make_url(database_uri).get_backend_name()
    if backend in ("sqlite", "postgresql"):
        return backend
    raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")


def sqlite_path(database_uri: str | URL) -> Path:
    database = make_url(database_uri).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def default_target(directory: Path, database_uri: str | URL, now: datetime | None = None) -> Path:
    """instance/backups/<UTC timestamp>.sqlite3 or .dump."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    suffix = SQLITE_SUFFIX if kind_of(database_uri) == "sqlite" else PG_SUFFIX
    return directory / f"{stamp}{suffix}"


def backup(database_uri: str | URL, target: Path) -> Path:
    """Write a consistent copy of the database to `target` and return it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if target.exists():
        raise BackupError(f"{target} already exists")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if kind_of(database_uri) == "sqlite":
            backup_sqlite(sqlite_path(database_uri), partial)
        else:
            _pg_run(["pg_dump", "--format=custom", "--file", str(partial)], database_uri)
        partial.chmod(0o600)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def backup_sqlite(source: Path, target: Path) -> None:
    """Copy with sqlite3's online backup API in one step: one read transaction, one snapshot."""
    if not source.exists():
        raise BackupError(f"database file {source} does not exist")
    src = sqlite3.connect(source, timeout=30)  # read-write open: a read-only one may not join a WAL database
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: everything at once, so writers cannot interleave
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        finally:
            dst.close()
    finally:
        src.close()


def restore(database_uri: str | URL, source: Path) -> None:
    """Replace the database's contents with a backup (stop the app first)."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    head = _head(source)
    if kind_of(database_uri) == "sqlite":
        if not head.startswith(SQLITE_MAGIC):
            raise BackupError(f"{source} is not a SQLite backup")
        restore_sqlite(source, sqlite_path(database_uri))
    else:
        if not head.startswith(PG_MAGIC):
            raise BackupError(f"{source} is not a pg_dump custom-format backup")
        _pg_run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                 "--exit-on-error", str(source)], database_uri)


def _head(path: Path) -> bytes:
    with path.open("rb") as handle:
        return handle.read(16)


def integrity(path: Path) -> str:
    """PRAGMA integrity_check of a SQLite file: 'ok' when sound."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return ", ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()


def restore_sqlite(source: Path, target: Path) -> None:
    """Check the backup, then copy it over the live database with the backup API (not a file copy,
    which would leave a stale -wal file beside it)."""
    status = integrity(source)
    if status != "ok":
        raise BackupError(f"{source} is damaged: {status}")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def libpq_url(database_uri: str | URL) -> tuple[str, dict[str, str]]:
    """The URL libpq tools understand (postgresql+psycopg:// → postgresql://), and the environment that
    carries the password, so it never appears in the process list."""
    url = make_url(database_uri)
    env = {}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                       database=url.database, query=url.query)
    return plain.render_as_string(hide_password=False), env


def _pg_run(args: list[str], database_uri: str | URL) -> None:
    program = shutil.which(args[0])
    if program is None:
        raise BackupError(f"{args[0]} is not installed (Debian: apt-get install postgresql-client)")
    url, extra_env = libpq_url(database_uri)
    result = subprocess.run(  # noqa: S603 - fixed program, arguments are not shell-interpreted
        [program, *args[1:], f"--dbname={url}"],
        env={**os.environ, **extra_env}, capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{args[0]} failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
