"""Data generator: a national-scale Bimtek Halal database on SQLite or PostgreSQL.

    python -m bench.gen --database-url sqlite:///bench/out/data/national.db --scale national --fresh
    python -m bench.gen --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench --scale small

The schema comes from the app's own migrations (`flask_migrate.upgrade()`, what `flask db upgrade` runs);
tables of models that no migration creates yet are created from the models and reported. The course is the
shipped package (content/halal-self-declare, with its quiz files when the quizzes capability is present).
Bulk rows go in through SQLAlchemy Core executemany batches (SQLite) or COPY (PostgreSQL), with explicit ids.
Quiz attempts/answers and certificates are generated only when their models and tables exist.

A JSON manifest next to the database (or at --manifest) tells the benchmark who can sign in and what to ask for.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from importlib import import_module
from pathlib import Path

from bench.common import BENCH_PASSWORD, DATA, ROOT, log, remove_sqlite, write_json

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

FIRST = ("Siti", "Ahmad", "Dewi", "Budi", "Rina", "Agus", "Nur", "Eko", "Fitri", "Hendra", "Intan", "Joko",
         "Lestari", "Made", "Nyoman", "Putu", "Rahmat", "Sri", "Teguh", "Wahyu", "Yuni", "Zainal", "Ayu", "Dedi")
LAST = ("Rahmawati", "Fauzi", "Wulandari", "Santoso", "Hidayat", "Saputra", "Lubis", "Nasution", "Siregar",
        "Wijaya", "Pratama", "Kusuma", "Harahap", "Pangaribuan", "Sinaga", "Manurung", "Tanjung", "Ginting",
        "Latuconsina", "Rumbiak", "Mandagi", "Pakpahan", "Daeng", "Tamba")
FIELDS = ("kelembagaan", "sdm", "produksi", "pembiayaan", "pemasaran", "it", "jaringan")


def email_of(index: int) -> str:
    return f"k{index:06d}@{EMAIL_DOMAIN}"


def staff_email(role: str) -> str:
    return f"{STAFF[role]}@{EMAIL_DOMAIN}"


def _optional(module: str):
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
        _optional(module)
    flask_migrate.upgrade()
    existing = set(inspect(db.engine).get_table_names())
    missing = [t for t in db.metadata.sorted_tables if t.name not in existing]
    if missing:
        db.metadata.create_all(db.engine, tables=missing)
        log(f"  no migration creates {', '.join(t.name for t in missing)} yet: created from the models")
    return [t.name for t in missing]


def ensure_staff(password_hash: str) -> dict:
    from sqlalchemy import select

    from accounts.models import User, UserRole
    from extensions import db

    staff = {}
    for role in STAFF:
        email = staff_email(role)
        user = db.session.scalar(select(User).where(User.email == email))
        if user is None:
            user = User(email=email, full_name=f"Bench {role.title()}", province="DKI Jakarta",
                        plut_unit="Sekretariat Bimtek", password_hash=password_hash)
            user.role_rows = [UserRole(role=role)]
            db.session.add(user)
        staff[role] = user
    db.session.commit()
    return staff


def enable_second_factor(staff: dict) -> dict[str, str]:
    """Organisers and admins must use a second factor: give the benchmark's staff a known TOTP secret."""
    twofactor = _optional("accounts.twofactor")
    totp = _optional("accounts.totp")
    if twofactor is None or totp is None or not hasattr(twofactor, "UserTwoFactor"):
        return {}
    from extensions import db

    secrets_by_role = {}
    for role, user in staff.items():
        record = db.session.get(twofactor.UserTwoFactor, user.id)
        if record is None:
            record = twofactor.UserTwoFactor(user_id=user.id, secret=totp.new_secret())
            db.session.add(record)
        record.enabled_at = datetime.now(UTC)
        secrets_by_role[role] = record.secret
    db.session.commit()
    return secrets_by_role


def ensure_course(trainer):
    """The shipped course, with its quiz files when the quizzes capability can load them."""
    from flask import current_app

    from courses import packages, services
    from demo.data import CONTENT, COURSE_SLUG
    from extensions import db

    course = services.get_course_by_slug(COURSE_SLUG)
    if course is not None:
        return course
    transfer = _optional("quizzes.transfer")
    parts = current_app.extensions.setdefault("package_parts", [])
    if transfer is not None and hasattr(transfer, "QuizPackagePart") and \
            not any(isinstance(p, transfer.QuizPackagePart) for p in parts):
        parts.append(transfer.QuizPackagePart())
        log("  quiz files loaded through quizzes.transfer.QuizPackagePart")
    course = packages.import_path(CONTENT / COURSE_SLUG, trainer)
    db.session.commit()
    return course


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

        from accounts.models import User, UserRole
        from accounts.passwords import hash_password
        from accounts.provinces import PROVINCES, zone_for_province
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

        # cohorts: the first is the national 5,000-participant cohort, the rest are provincial
        t = time.perf_counter()
        cohort_base = max_id(Cohort.__table__)
        cohort_rows = []
        for k in range(cohorts):
            province = "DKI Jakarta" if k == 0 else PROVINCES[k % len(PROVINCES)]
            starts = today - timedelta(days=3 + (k % 30) * 7)
            cohort_rows.append({
                "id": cohort_base + 1 + k, "course_id": course.id, "course_version_id": version.id,
                "follow_latest": True, "name": ("Angkatan Nasional" if k == 0 else f"Angkatan {k} {province}"),
                "starts_on": starts, "ends_on": starts + timedelta(days=7), "timezone": zone_for_province(province),
                "enrol_mode": "code", "enrol_code": f"B{seed % 1000:03d}{k:05d}", "certificate_approval": False,
                "created_at": now - timedelta(days=60),
            })
        writer.insert(Cohort.__table__, cohort_rows)
        cohort_ids = [r["id"] for r in cohort_rows]
        big_id = cohort_ids[0]

        # users: provinces of their cohort (the national cohort spans all 38)
        user_base = max_id(User.__table__)
        assignment: list[int] = []  # user index -> cohort position
        for i in range(users):
            assignment.append(0 if i < big_cohort or cohorts == 1 else 1 + (i - big_cohort) % (cohorts - 1))

        def user_rows() -> Iterator[dict]:
            for i in range(users):
                k = assignment[i]
                province = PROVINCES[i % len(PROVINCES)] if k == 0 else PROVINCES[k % len(PROVINCES)]
                yield {"id": user_base + 1 + i, "email": email_of(i + 1),
                       "full_name": f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]} {i + 1}",
                       "phone": f"+62812{i:08d}", "province": province, "plut_unit": f"PLUT KUMKM {province}",
                       "consultant_field": FIELDS[i % len(FIELDS)], "password_hash": password_hash,
                       "active": True, "is_demo": False, "created_at": now - timedelta(days=90, minutes=i)}

        writer.insert(User.__table__, user_rows())
        writer.insert(UserRole.__table__, ({"user_id": user_base + 1 + i, "role": "consultant"} for i in range(users)))
        timings["users"] = time.perf_counter() - t

        # enrolments (one per consultant) and module progress
        t = time.perf_counter()
        enrol_base = max_id(Enrolment.__table__)
        done_by_enrolment: list[int] = []

        def enrolment_rows() -> Iterator[dict]:
            for i in range(users):
                reserved = assignment[i] == 0 and i < RESERVED
                done = len(modules) if reserved else rng.choice((0, 1, 2, 3, 5, 7, len(modules), len(modules)))
                done_by_enrolment.append(done)
                last = modules[min(done, len(modules) - 1)].module_id if modules and done else None
                yield {"id": enrol_base + 1 + i, "cohort_id": cohort_ids[assignment[i]], "user_id": user_base + 1 + i,
                       "source": "import", "status": "active", "created_at": now - timedelta(days=30),
                       "started_at": (now - timedelta(days=20)) if done else None, "last_module_id": last}

        writer.insert(Enrolment.__table__, enrolment_rows())

        def progress_rows() -> Iterator[dict]:
            pid = max_id(ModuleProgress.__table__)
            for i in range(users):
                for module in modules[:done_by_enrolment[i]]:
                    pid += 1
                    yield {"id": pid, "enrolment_id": enrol_base + 1 + i, "module_id": module.module_id,
                           "completed_at": now - timedelta(days=10), "version_number": version.number,
                           "via": "manual"}

        progress_count = writer.insert(ModuleProgress.__table__, progress_rows())
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


def _sample_answer(data: dict, rng: random.Random) -> object:
    """A canonical stored answer for one neutral question dict (quizzes.grading)."""
    qtype = data.get("type")
    options = data.get("options") or []
    if qtype == "single" and options:
        return rng.choice(options)["key"]
    if qtype == "multiple" and options:
        picked = sorted({rng.randrange(len(options)) for _ in range(2)})
        return [options[i]["key"] for i in picked]
    if qtype == "truefalse":
        return rng.random() < 0.7
    if qtype == "numeric":
        return str(data.get("answer", "1"))
    return "jawaban peserta"


def generate_answers(writer: Writer, course, enrolled: list[tuple[int, int, int]], answers: int,
                     rng: random.Random, now: datetime) -> dict:
    """Finished final-test attempts with their saved answers, if the quizzes capability exists."""
    models = _optional("quizzes.models")
    attempts_mod = _optional("quizzes.attempts")
    grading = _optional("quizzes.grading")
    if models is None or attempts_mod is None or grading is None or answers <= 0:
        log("  quizzes capability not present: no attempts or answers generated")
        return {"available": False}
    from sqlalchemy import select

    from extensions import db

    quizzes = list(db.session.scalars(select(models.Quiz).where(models.Quiz.course_id == course.id)
                                      .order_by(models.Quiz.position, models.Quiz.id)))
    if not quizzes:
        log("  the course has no quizzes (quiz files not loaded): no attempts or answers generated")
        return {"available": False}
    final = next((q for q in quizzes if q.kind == "final"), quizzes[-1])
    # a few dozen frozen plans, graded once each with the app's own pure functions, reused round-robin
    templates = []
    for k in range(40):
        plan, version_ids = attempts_mod.build_plan(final, f"bench-{k}")
        if not version_ids:
            break
        versions = {v.id: v for v in db.session.scalars(
            select(models.QuestionVersion).where(models.QuestionVersion.id.in_(list(version_ids.values()))))}
        questions = [versions[version_ids[uid]].data | {"id": uid} for uid in plan["questions"]]
        responses = {q["id"]: _sample_answer(q, rng) for q in questions}
        earned, possible, percent = grading.grade_attempt(questions, responses)
        results = {}
        for q in questions:
            score = grading.grade_question(q, responses[q["id"]])
            results[q["id"]] = {"fraction": score.fraction, "correct": getattr(score, "correct", None),
                                "chosen": responses[q["id"]]}
        templates.append({"plan": plan, "version_ids": version_ids, "responses": responses, "earned": earned,
                          "possible": possible, "percent": percent, "results": results})
    if not templates:
        log("  the final test has no questions: no attempts generated")
        return {"available": False}
    per_attempt = len(templates[0]["responses"])
    attempt_count = min(len(enrolled), max(1, answers // max(per_attempt, 1)))
    pass_mark = final.pass_mark or 0
    attempt_table = models.Attempt.__table__
    answer_table = models.AttemptAnswer.__table__
    attempt_base = max_id(attempt_table)
    answer_base = max_id(answer_table)

    def attempt_rows() -> Iterator[dict]:
        for n, (user_id, enrolment_id, _) in enumerate(enrolled[:attempt_count]):
            tpl = templates[n % len(templates)]
            started = now - timedelta(days=2, minutes=n % 600)
            yield {"id": attempt_base + 1 + n, "quiz_id": final.id, "user_id": user_id, "enrolment_id": enrolment_id,
                   "number": 1, "state": models.SUBMITTED, "open_key": None, "started_at": started,
                   "deadline": started + timedelta(minutes=final.time_limit_minutes or 45),
                   "finished_at": started + timedelta(minutes=30), "plan": tpl["plan"],
                   "version_ids": tpl["version_ids"], "earned": tpl["earned"], "possible": tpl["possible"],
                   "percent": tpl["percent"], "passed": tpl["percent"] + 1e-9 >= pass_mark,
                   "results": tpl["results"]}

    def answer_rows() -> Iterator[dict]:
        aid = answer_base
        for n in range(attempt_count):
            tpl = templates[n % len(templates)]
            saved = now - timedelta(days=2, minutes=n % 600)
            for seq, (uid, answer) in enumerate(tpl["responses"].items(), start=1):
                aid += 1
                yield {"id": aid, "attempt_id": attempt_base + 1 + n, "question_uid": uid, "answer": answer,
                       "seq": seq, "saved_at": saved}

    made_attempts = writer.insert(attempt_table, attempt_rows())
    made_answers = writer.insert(answer_table, answer_rows())
    log(f"  {made_attempts:,} final-test attempts, {made_answers:,} saved answers")
    return {"available": True, "final_slug": final.slug, "final_id": final.id,
            "quiz_slugs": [q.slug for q in quizzes], "questions_per_attempt": per_attempt,
            "rows": {"attempts": made_attempts, "answers": made_answers}, "_tables": [attempt_table, answer_table]}


def generate_certificates(writer: Writer, course, enrolled: list[tuple[int, int, int]], cohort_rows: list[dict],
                          certificates: int, staff: dict, rng: random.Random, now: datetime) -> dict:
    """Issued certificates (frozen snapshots) for the first enrolments, if the certificates capability exists."""
    models = _optional("certificates.models")
    numbering = _optional("certificates.numbering")
    if models is None or certificates <= 0:
        log("  certificates capability not present: no certificates generated")
        return {"available": False}
    from sqlalchemy import select

    from accounts.models import User
    from courses.models import Enrolment
    from extensions import db

    sample = db.session.scalar(select(Enrolment).where(Enrolment.id == enrolled[0][1])) if enrolled else None
    base_snapshot: dict = {}
    issuing = _optional("certificates.issuing")
    if sample is not None and issuing is not None and hasattr(issuing, "build_snapshot"):
        try:
            base_snapshot = issuing.build_snapshot(sample, None, now)
        except Exception as exc:  # noqa: BLE001
            log(f"  certificates.issuing.build_snapshot failed ({exc}); using a minimal snapshot")
    version = course.latest_version
    count = min(certificates, len(enrolled))
    table = models.Certificate.__table__
    base = max_id(table)
    codes: list[str] = []
    user_table = User.__table__

    def names() -> dict[int, tuple]:
        ids = [u for u, _, _ in enrolled[:count]]
        found: dict[int, tuple] = {}
        for chunk in range(0, len(ids), 5000):
            stmt = select(user_table.c.id, user_table.c.full_name, user_table.c.province, user_table.c.plut_unit,
                          user_table.c.email).where(user_table.c.id.in_(ids[chunk:chunk + 5000]))
            for uid, name, province, plut, email in db.session.execute(stmt):
                found[uid] = (name, province, plut, email)
        return found

    people = names()
    new_code = numbering.new_verification_code if numbering and hasattr(numbering, "new_verification_code") \
        else (lambda: "".join(rng.choice("ABCDEFGHJKMNPQRSTVWXYZ0123456789") for _ in range(28)))

    def rows() -> Iterator[dict]:
        for n, (user_id, enrolment_id, k) in enumerate(enrolled[:count]):
            name, province, plut, email = people[user_id]
            cohort_row = cohort_rows[k]
            issued = now - timedelta(days=1 + n % 300)
            number = f"BENCH/{issued:%Y}/{n + 1:07d}"
            code = new_code()
            if len(codes) < 2000:
                codes.append(code)
            snapshot = {**base_snapshot, "holder_name": name, "holder_email": email, "province": province,
                        "plut_unit": plut, "course_slug": course.slug, "course_title": version.title,
                        "course_version": str(version.number), "cohort_name": cohort_row["name"],
                        "start_date": cohort_row["starts_on"].isoformat(),
                        "end_date": cohort_row["ends_on"].isoformat(), "jp": version.hours_jp,
                        "timezone": cohort_row["timezone"], "issued_on": issued.date().isoformat(),
                        "valid_until": None, "number": number, "scores": []}
            yield {"id": base + 1 + n, "number": number, "code": code, "enrolment_id": enrolment_id,
                   "active_enrolment_id": enrolment_id, "user_id": user_id, "cohort_id": cohort_row["id"],
                   "course_id": course.id, "snapshot": snapshot, "holder_name": name[:120], "province": province,
                   "status": getattr(models, "ISSUED", "issued"), "issued_at": issued,
                   "issued_by_id": staff["organiser"].id, "issue_mode": "bulk", "expires_at": None}

    made = writer.insert(table, rows())
    log(f"  {made:,} certificates")
    display = numbering.display_code if numbering and hasattr(numbering, "display_code") else (lambda c: c)
    return {"available": True, "codes": [display(c) for c in codes], "rows": {"certificates": made},
            "_tables": [table]}


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
