"""Shared pieces of the data generator (bench/gen.py): scales and account naming, optional capabilities, the bulk
writer (executemany batches on SQLite, COPY on PostgreSQL), the app, its schema and the shipped course."""

from __future__ import annotations

import json
from collections.abc import Iterable
from importlib import import_module

from bench.common import log

SCALES = {
    # the national scale
    "national": {"users": 100_000, "cohorts": 200, "big_cohort": 5_000, "answers": 1_000_000,
                 "certificates": 50_000},
    # BENCH_QUICK: the same shape, a tenth of the size
    "quick": {"users": 10_000, "cohorts": 40, "big_cohort": 2_000, "answers": 100_000, "certificates": 5_000},
    # the "100 users" end of the growth comparison, and the cluster test
    "small": {"users": 100, "cohorts": 4, "big_cohort": 64, "answers": 1_000, "certificates": 40},
}
EMAIL_DOMAIN = "bench.bimtek.id"
STAFF = {"trainer": "pelatih", "organiser": "penyelenggara", "admin": "admin"}
BATCH = 10_000
# the first RESERVED consultants of the big cohort are the signed-in load users: no attempts, all modules done
RESERVED = 600


def email_of(index: int) -> str:
    return f"k{index:06d}@{EMAIL_DOMAIN}"


def staff_email(role: str) -> str:
    return f"{STAFF[role]}@{EMAIL_DOMAIN}"


def optional(module: str):
    """Import another capability's module if it exists yet; None otherwise."""
    try:
        return import_module(module)
    except ImportError:
        return None
    except Exception as exc:  # noqa: BLE001 - a half-written module must not stop the benchmark
        log(f"  {module} could not be imported ({type(exc).__name__}: {exc}); its data is skipped")
        return None


class Writer:
    """Bulk rows into one table: executemany batches (SQLite), COPY (PostgreSQL); fills Python-side defaults."""

    def __init__(self, engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self.replica_role = self.postgres and self._superuser()

    def _superuser(self) -> bool:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar() is True

    def insert(self, table, rows: Iterable[dict]) -> int:
        total = 0
        batch: list[dict] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                total += self._flush(table, batch)
                batch = []
        if batch:
            total += self._flush(table, batch)
        return total

    def _flush(self, table, rows: list[dict]) -> int:
        _fill_defaults(table, rows)
        with self.engine.begin() as conn:
            if self.postgres:
                self._copy(conn, table, rows)
            else:
                conn.execute(table.insert(), rows)
        return len(rows)

    def _copy(self, conn, table, rows: list[dict]) -> None:
        from sqlalchemy import JSON

        names = list(rows[0])
        json_cols = {c.name for c in table.columns if isinstance(c.type, JSON)}
        cols = ", ".join(f'"{n}"' for n in names)
        cursor = conn.connection.driver_connection.cursor()
        if self.replica_role:
            # rows are consistent by construction: skip per-row foreign-key triggers during the bulk load
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("SET LOCAL synchronous_commit = off")
        with cursor.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([json.dumps(row[n]) if n in json_cols and row[n] is not None else row[n]
                                for n in names])

    def reset_sequences(self, tables) -> None:
        if not self.postgres:
            return
        from sqlalchemy import text

        with self.engine.begin() as conn:
            for table in tables:
                if "id" in table.columns and table.columns["id"].primary_key:
                    # table names come from the models' metadata, never from input
                    name = table.name
                    sql = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE((SELECT MAX(id) FROM \"{name}\"), 1))"  # noqa: E501, S608
                    conn.execute(text(sql))


def _fill_defaults(table, rows: list[dict]) -> None:
    """Columns left out get their model default, so COPY writes what the ORM would have."""
    for column in table.columns:
        default = column.default
        if default is None or column.name in rows[0]:
            continue
        if default.is_scalar:
            for row in rows:
                row[column.name] = default.arg
        elif default.is_callable:
            for row in rows:
                row[column.name] = default.arg(None)


def max_id(table) -> int:
    from sqlalchemy import func, select

    from extensions import db

    return db.session.scalar(select(func.max(table.c.id))) or 0


def build_app(url: str):
    from app import create_app

    return create_app("development", {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-generator-" + "x" * 32,
                                      "RATELIMIT_ENABLED": False, "DEMO_ENABLED": False})


def migrate_schema(app) -> list[str]:
    """`flask db upgrade`, then tables of models that no migration creates yet (reported, never silent)."""
    import flask_migrate
    from sqlalchemy import inspect

    from extensions import db

    for module in ("quizzes.models", "attendance.models", "certificates.models"):
        optional(module)
    flask_migrate.upgrade()
    existing = set(inspect(db.engine).get_table_names())
    missing = [t for t in db.metadata.sorted_tables if t.name not in existing]
    if missing:
        db.metadata.create_all(db.engine, tables=missing)
        log(f"  no migration creates {', '.join(t.name for t in missing)} yet: created from the models")
    return [t.name for t in missing]


def ensure_course(trainer):
    """The shipped course, with its quiz files when the quizzes capability can load them."""
    from flask import current_app

    from courses import packages, services
    from demo.data import CONTENT, COURSE_SLUG
    from extensions import db

    course = services.get_course_by_slug(COURSE_SLUG)
    if course is not None:
        return course
    transfer = optional("quizzes.transfer")
    parts = current_app.extensions.setdefault("package_parts", [])
    if transfer is not None and hasattr(transfer, "QuizPackagePart") and \
            not any(isinstance(p, transfer.QuizPackagePart) for p in parts):
        parts.append(transfer.QuizPackagePart())
        log("  quiz files loaded through quizzes.transfer.QuizPackagePart")
    course = packages.import_path(CONTENT / COURSE_SLUG, trainer)
    db.session.commit()
    return course
