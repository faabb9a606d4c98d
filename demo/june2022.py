"""The June 2022 bimtek as it happened: seven daily Zoom sessions, and generated consultants with realistic
progress, attendance, scores and certificates (one revoked), so every dashboard has something to show."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from accounts import services as accounts
from accounts.models import User
from courses import enrolment as enrolments
from courses import progress
from courses import services as courses
from courses.models import Cohort
from demo.people import consultants
from extensions import db

COHORT_NAME = "Bimtek Sertifikasi Halal bagi Konsultan Pendamping PLUT KUMKM (Juni 2022)"
COHORT_CODE = "JUNI2022"
PARTICIPANTS = int(__import__("os").environ.get("DEMO_PARTICIPANTS", "180"))
WIB = ZoneInfo("Asia/Jakarta")
SESSIONS = (
    (date(2022, 6, 2), "Pembukaan: Implementasi New PLUT sebagai Rumah UMKM; ekosistem jaminan produk halal",
     "Siti Azizah (Deputi Bidang Kewirausahaan, Kemenkop UKM); Chairul Saleh (Asdep Pemberdayaan Ekonomi "
     "Masyarakat dan Kewirausahaan, Kemenko Perekonomian); Dr. H. A. Umar, M.A. (Kepala Pusat Pembinaan dan "
     "Pengawasan JPH, BPJPH)"),
    (date(2022, 6, 3), "Dasar hukum jaminan produk halal dan kriteria self declare", "Narasumber BPJPH"),
    (date(2022, 6, 4), "Dasar syariah bagi pendamping; bahan dan titik kritis", "Narasumber LP3H"),
    (date(2022, 6, 5), "Proses produk halal, fasilitas dan SJPH", "Narasumber LP3H"),
    (date(2022, 6, 6), "Verifikasi dan validasi lapangan: daftar periksa dan studi kasus", "Pendamping PPH senior"),
    (date(2022, 6, 7), "Alur OSS dan SIHALAL; simulasi pengajuan", "Narasumber BPJPH"),
    (date(2022, 6, 8), "Pasca sertifikasi, post-test dan penutupan", "Tim penyelenggara"),
)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), WIB).astimezone(UTC)


def _answer(rng: random.Random, attempt, uid: str, data: dict, ability: float):
    """A plausible answer in display form: right with probability `ability`."""
    right = rng.random() < ability
    qtype = data["type"]
    options = data.get("options") or []
    order = attempt.plan.get("options", {}).get(uid) or list(range(len(options)))
    if qtype == "single":
        correct = [i for i, o in enumerate(options) if o.get("correct")]
        pool = correct if right else [i for i in range(len(options)) if i not in correct] or correct
        return order.index(rng.choice(pool))
    if qtype == "multiple":
        chosen = [i for i, o in enumerate(options) if o.get("correct")]
        if not right and len(options) > 1:
            chosen = sorted(set(chosen[:-1] or chosen) | {rng.randrange(len(options))})
        return [order.index(i) for i in chosen]
    if qtype == "truefalse":
        value = bool(data.get("answer")) if right else not bool(data.get("answer"))
        return "true" if value else "false"
    if qtype == "short":
        return (data.get("accepted") or ["-"])[0] if right else "tidak tahu"
    if qtype == "numeric":
        value = data.get("value", data.get("min", 0))
        return str(value if right else (value or 0) + 3)
    return None


def _take(rng, enrolment, quiz, when: datetime, ability: float) -> None:
    """Start, answer and submit through the quiz services; answers are stored in one batch for speed,
    each turned into its stored form by the same conversion the save endpoint uses."""
    from quizzes import attempts
    from quizzes.models import AttemptAnswer

    attempt, _ = attempts.start_attempt(enrolment, quiz, now=when)
    versions = attempts.question_versions(attempt)
    saved_at = when + timedelta(minutes=5)
    for uid in attempt.plan["questions"]:
        data = versions[uid].data
        raw = _answer(rng, attempt, uid, data, ability)
        if raw is not None:
            db.session.add(AttemptAnswer(attempt_id=attempt.id, question_uid=uid, seq=1, saved_at=saved_at,
                                         answer=attempts.to_canonical(attempt, uid, data, raw)))
    db.session.flush()
    attempts.submit_attempt(attempt, now=when + timedelta(minutes=12))


def load_june_2022() -> list[str]:
    """Create the June 2022 cohort, sessions, people and their records (skipped when it exists)."""
    from attendance import registers
    from attendance import services as sessions
    from certificates import issuing
    from quizzes.services import get_quiz

    if db.session.scalar(select(Cohort).where(Cohort.enrol_code == COHORT_CODE)) is not None:
        return []
    rng = random.Random(20220602)
    course = courses.get_course_by_slug("halal-self-declare")
    organiser = accounts.get_user_by_email("penyelenggara@demo.bimtek.id")
    cohort = enrolments.create_cohort(course, name=COHORT_NAME, starts_on=date(2022, 6, 2), ends_on=date(2022, 6, 8),
                                      timezone="Asia/Jakarta", enrol_code=COHORT_CODE, capacity=500)
    cohort.follow_latest = False
    live = []
    for day, title, speakers in SESSIONS:
        fields = sessions.SessionFields(title=title, day=day, start=time(9, 0), end=time(12, 0),
                                        timezone="Asia/Jakarta", speakers=speakers,
                                        meeting_url="https://zoom.us/j/0000000000", meeting_id="0000000000")
        live += sessions.create_sessions(cohort, fields, organiser)

    people = consultants(PARTICIPANTS)
    existing = {u.email for u in db.session.scalars(select(User).where(User.email.in_([p["email"] for p in people])))}
    quizzes = {slug: get_quiz(course, slug) for slug in ("pretest", "posttest", "final", "kuis-07-verifikasi-validasi")}
    modules = progress.version_modules(cohort.course_version_id)
    for person in people:
        if person["email"] in existing:
            continue
        user = accounts.register(person["email"], None, accounts.Profile(
            full_name=person["full_name"], province=person["province"], plut_unit=person["plut_unit"],
            consultant_field=person["consultant_field"]))
        user.is_demo = True
        enrolment, _ = enrolments.enrol(user, cohort, source="import")
        engagement = rng.random()  # 0 = dropped out at once, 1 = did everything
        if engagement < 0.06:
            continue
        ability = 0.45 + 0.45 * rng.random()
        _take(rng, enrolment, quizzes["pretest"], _at(date(2022, 6, 2), 8, 30), ability - 0.15)
        read = len(modules) if engagement > 0.3 else rng.randrange(1, len(modules))
        for index, module in enumerate(modules[:read]):
            record = progress.complete_module(enrolment, module)
            record.completed_at = _at(date(2022, 6, 2) + timedelta(days=min(index, 6)), 20)
        if engagement > 0.4:
            _take(rng, enrolment, quizzes["kuis-07-verifikasi-validasi"], _at(date(2022, 6, 6), 21), ability)
        for session in live:
            roll = rng.random()
            if roll < 0.55 + 0.4 * engagement:
                status, minutes = ("late", 150) if roll < 0.1 else ("present", 170 + rng.randrange(0, 10))
            elif roll < 0.62 + 0.4 * engagement:
                status, minutes = "excused", None
            else:
                status, minutes = "absent", rng.choice([0, 20, 45])
            registers.set_status(session, user.id, status, source="zoom", actor_id=organiser.id,
                                 reason="Laporan peserta Zoom", minutes=minutes, lookup=False)
        if engagement > 0.3:
            _take(rng, enrolment, quizzes["posttest"], _at(date(2022, 6, 8), 11), ability + 0.12)
            _take(rng, enrolment, quizzes["final"], _at(date(2022, 6, 8), 13), ability + 0.12)
    db.session.flush()
    result = issuing.bulk_issue(cohort, by=organiser, now=_at(date(2022, 6, 10), 10))
    report = [f"created {COHORT_NAME}: {len(people)} consultants, {len(live)} sessions, "
              f"{len(result.issued)} certificates"]
    if result.issued:
        revoked = result.issued[-1]
        issuing.revoke(revoked, by=organiser, now=_at(date(2022, 6, 20), 10),
                       reason="Contoh pencabutan: data identitas peserta tidak sesuai dengan dokumen.")
        report.append(f"revoked certificate {revoked.number} (demo)")
    return report
