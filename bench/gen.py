"""Data generator: a national-scale Bimtek Halal database on SQLite or PostgreSQL.

    python -m bench.gen --database-url sqlite:///bench/out/data/national.db --scale national --fresh
    python -m bench.gen --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench --scale small

The schema comes from the app's own migrations (`flask_migrate.upgrade()`, what `flask db upgrade` runs);
tables of models that no migration creates yet are created from the models and reported. The course is the
shipped package (content/halal-self-declare, with its quiz files when the quizzes capability is present).
Bulk rows go in through SQLAlchemy Core executemany batches (SQLite) or COPY (PostgreSQL), with explicit ids.
Quiz attempts/answers and certificates are generated only when their models and tables exist.

A JSON manifest next to the database (or at --manifest) tells the benchmark who can sign in and what to ask for.

This module is the driver and the command line; the pieces are in bench/gen_base.py (scales, the bulk writer,
schema and course), bench/gen_users.py (staff, cohorts, consultants), bench/gen_progress.py (enrolments,
module progress, attempts and answers) and bench/gen_certificates.py.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, date, datetime
from pathlib import Path

from bench.common import BENCH_PASSWORD, DATA, ROOT, remove_sqlite, write_json
from bench.gen_base import (
    RESERVED,
    SCALES,
    STAFF,
    Writer,
    build_app,
    email_of,
    ensure_course,
    migrate_schema,
    staff_email,
)
from bench.gen_certificates import generate_certificates
from bench.gen_progress import generate_answers, load_enrolments
from bench.gen_users import enable_second_factor, ensure_staff, load_cohorts, load_users


def generate(url: str, *, users: int, cohorts: int, big_cohort: int, answers: int, certificates: int,
             seed: int = 2026, manifest_path: Path | None = None) -> dict:
    """Fill the database at `url`; returns (and writes) the manifest."""
    started = time.perf_counter()
    rng = random.Random(seed)
    cohorts = max(1, min(cohorts, users))
    big_cohort = min(big_cohort, users)
    app = build_app(url)
    timings: dict[str, float] = {}
    with app.app_context():
        from sqlalchemy import select, text

        from accounts.models import User
        from accounts.passwords import hash_password
        from courses.models import Cohort, Enrolment, ModuleProgress, ModuleVersion
        from extensions import db

        t = time.perf_counter()
        created_tables = migrate_schema(app)
        timings["schema"] = time.perf_counter() - t
        if db.session.scalar(select(User.id).where(User.email == email_of(1))) is not None:
            raise SystemExit(f"{url} already holds benchmark users; generate into a fresh database (--fresh)")
        password_hash = hash_password(BENCH_PASSWORD)  # the production argon2id cost, shared by every account
        staff = ensure_staff(password_hash)
        staff_totp = enable_second_factor(staff)
        t = time.perf_counter()
        course = ensure_course(staff["trainer"])
        timings["course"] = time.perf_counter() - t
        version = course.latest_version
        modules = list(db.session.scalars(select(ModuleVersion).where(ModuleVersion.course_version_id == version.id)
                                          .order_by(ModuleVersion.position)))
        writer = Writer(db.engine)
        now = datetime.now(UTC).replace(microsecond=0)
        today = date.today()

        # cohorts, then the consultants spread over them
        t = time.perf_counter()
        cohort_rows = load_cohorts(writer, course, version, cohorts, seed, now, today)
        cohort_ids = [r["id"] for r in cohort_rows]
        big_id = cohort_ids[0]
        user_base, assignment = load_users(writer, users, cohorts, big_cohort, password_hash, now)
        timings["users"] = time.perf_counter() - t

        # enrolments (one per consultant) and module progress
        t = time.perf_counter()
        enrol_base, progress_count = load_enrolments(writer, modules, version, cohort_ids, user_base, assignment,
                                                     rng, now)
        timings["enrolments_progress"] = time.perf_counter() - t

        enrolled = [(user_base + 1 + i, enrol_base + 1 + i, assignment[i]) for i in range(users)]
        candidates = [e for i, e in enumerate(enrolled) if not (assignment[i] == 0 and i < RESERVED)]
        t = time.perf_counter()
        quiz_info = generate_answers(writer, course, candidates, answers, rng, now)
        timings["answers"] = time.perf_counter() - t
        t = time.perf_counter()
        cert_info = generate_certificates(writer, course, candidates, cohort_rows, certificates, staff, rng, now)
        timings["certificates"] = time.perf_counter() - t

        tables = [User.__table__, Cohort.__table__, Enrolment.__table__, ModuleProgress.__table__]
        tables += quiz_info.pop("_tables", []) + cert_info.pop("_tables", [])
        writer.reset_sequences(tables)
        t = time.perf_counter()
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        timings["analyze"] = time.perf_counter() - t

        manifest = {
            "database_url": url,
            "scale": {"users": users, "cohorts": cohorts, "big_cohort": big_cohort, "answers": answers,
                      "certificates": certificates},
            "rows": {"users": users, "cohorts": cohorts, "enrolments": users, "module_progress": progress_count,
                     **quiz_info.get("rows", {}), **cert_info.get("rows", {})},
            "tables_created_from_models": created_tables,
            "password": BENCH_PASSWORD,
            "course_slug": course.slug,
            "module_slugs": [m.slug for m in modules],
            "big_cohort_id": big_id,
            "cohort_ids": cohort_ids,
            # signed-in load users: the first consultants of the national cohort
            "load_users": [email_of(i + 1) for i in range(min(RESERVED, big_cohort))],
            "staff": {role: staff_email(role) for role in STAFF},
            "staff_totp": staff_totp,
            "quiz": {k: v for k, v in quiz_info.items() if k != "rows"},
            "certificate_codes": cert_info.get("codes", []),
            "seconds": {k: round(v, 2) for k, v in timings.items()},
        }
        manifest["seconds"]["total"] = round(time.perf_counter() - started, 2)
        db.session.remove()
        db.engine.dispose()
    if manifest_path is not None:
        write_json(manifest_path, manifest)
    return manifest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=f"sqlite:///{DATA / 'national.db'}")
    parser.add_argument("--scale", choices=sorted(SCALES), default="national")
    for key in ("users", "cohorts", "big_cohort", "answers", "certificates"):
        parser.add_argument("--" + key.replace("_", "-"), type=int, default=None, help=f"override the scale's {key}")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--fresh", action="store_true", help="delete the SQLite file first")
    parser.add_argument("--manifest", type=Path, default=None)
    args = parser.parse_args(argv)
    scale = dict(SCALES[args.scale])
    for key in scale:
        if getattr(args, key) is not None:
            scale[key] = getattr(args, key)
    url = args.database_url
    if url.startswith("sqlite:///") and args.fresh:
        remove_sqlite(Path(url.removeprefix("sqlite:///")))
    manifest_path = args.manifest
    if manifest_path is None and url.startswith("sqlite:///"):
        manifest_path = Path(url.removeprefix("sqlite:///")).with_suffix(".json")
    manifest = generate(url, seed=args.seed, manifest_path=manifest_path or ROOT / "bench" / "out" / "manifest.json",
                        **scale)
    print(json.dumps({"rows": manifest["rows"], "seconds": manifest["seconds"]}, indent=2))


if __name__ == "__main__":
    main()
