"""Demo content: one account per role, plus what later capabilities add through `DEMO_STEPS`."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from accounts import services
from accounts.roles import ADMIN, CONSULTANT, ORGANISER, TRAINER

# Demo only: the app refuses these accounts when it runs in production mode.
DEMO_PASSWORD = "Demo-Halal-2026"  # noqa: S105
DEMO_ACCOUNTS = (
    ("konsultan@demo.bimtek.id", DEMO_PASSWORD, CONSULTANT),
    ("pelatih@demo.bimtek.id", DEMO_PASSWORD, TRAINER),
    ("penyelenggara@demo.bimtek.id", DEMO_PASSWORD, ORGANISER),
    ("admin@demo.bimtek.id", DEMO_PASSWORD, ADMIN),
)
DEMO_PROFILES = {
    CONSULTANT: ("Siti Rahmawati", "Jawa Barat", "PLUT KUMKM Kota Bandung", "produksi"),
    TRAINER: ("Dr. Ahmad Fauzi", "DKI Jakarta", "LP3H Mitra", "kelembagaan"),
    ORGANISER: ("Rina Wulandari", "DKI Jakarta", "Kementerian Koperasi dan UKM", "kelembagaan"),
    ADMIN: ("Admin Bimtek", "DKI Jakarta", "Sekretariat Bimtek", "it"),
}


def ensure_demo_accounts() -> list[str]:
    """Create the four demo accounts if missing."""
    report = []
    for email, password, role in DEMO_ACCOUNTS:
        if services.get_user_by_email(email) is not None:
            continue
        name, province, plut, field = DEMO_PROFILES[role]
        user = services.register(email, password, services.Profile(
            full_name=name, province=province, plut_unit=plut, consultant_field=field), roles=(role,))
        user.is_demo = True
        report.append(f"created demo {role}: {email}")
    return report


CONTENT = Path(__file__).resolve().parents[1] / "content"
COURSE_SLUG = "halal-self-declare"
CURRENT_COHORT_CODE = "HALAL2026"


def ensure_course() -> list[str]:
    """Import the shipped curriculum from content/ (once)."""
    from courses import packages
    from courses import services as courses

    if courses.get_course_by_slug(COURSE_SLUG) is not None:
        return []
    trainer = services.get_user_by_email(DEMO_ACCOUNTS[1][0])
    course = packages.import_path(CONTENT / COURSE_SLUG, trainer)
    return [f"imported course {course.slug} (version {course.latest_version.number}, "
            f"{len(course.latest_version.modules)} modules)"]


def ensure_current_cohort() -> list[str]:
    """A cohort whose dates move with today, open with a code, with the demo consultant enrolled."""
    from sqlalchemy import select

    from courses import enrolment
    from courses import services as courses
    from courses.models import Cohort
    from extensions import db

    if db.session.scalar(select(Cohort).where(Cohort.enrol_code == CURRENT_COHORT_CODE)) is not None:
        return []
    course = courses.get_course_by_slug(COURSE_SLUG)
    today = date.today()
    cohort = enrolment.create_cohort(course, name=f"Angkatan Demo {today:%B %Y}", starts_on=today - timedelta(days=1),
                                     ends_on=today + timedelta(days=6), timezone="Asia/Jakarta",
                                     enrol_code=CURRENT_COHORT_CODE)
    enrolment.enrol(services.get_user_by_email(DEMO_ACCOUNTS[0][0]), cohort, source="organiser")
    sessions = _current_sessions(cohort)
    return [f"created current cohort {cohort.name} (code {CURRENT_COHORT_CODE}) with {len(sessions)} live sessions"]


def _current_sessions(cohort) -> list:
    """One session live now (so a visitor can check in at once) and one tomorrow morning."""
    from datetime import UTC, datetime, time
    from zoneinfo import ZoneInfo

    from attendance import services as sessions

    organiser = services.get_user_by_email(DEMO_ACCOUNTS[2][0])
    zone = ZoneInfo("Asia/Jakarta")
    now = datetime.now(UTC).astimezone(zone)
    start = (now - timedelta(minutes=30)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=3)
    created = []
    if end.date() == start.date():
        live = sessions.SessionFields(title="Sesi langsung: verifikasi dan validasi lapangan", day=start.date(),
                                      start=start.time(), end=end.time(), timezone="Asia/Jakarta",
                                      speakers="Pendamping PPH senior (demo)",
                                      meeting_url="https://zoom.us/j/0000000000")
        created += sessions.create_sessions(cohort, live, organiser)
    tomorrow = sessions.SessionFields(title="Sesi besok: OSS, SIHALAL dan simulasi pengajuan",
                                      day=now.date() + timedelta(days=1), start=time(9, 0), end=time(11, 30),
                                      timezone="Asia/Jakarta", speakers="Narasumber BPJPH (demo)",
                                      meeting_url="https://zoom.us/j/0000000000")
    created += sessions.create_sessions(cohort, tomorrow, organiser)
    return created


def ensure_june_2022() -> list[str]:
    from demo.june2022 import load_june_2022

    return load_june_2022()


DEMO_STEPS: list = [ensure_demo_accounts, ensure_course, ensure_june_2022, ensure_current_cohort]


def load_demo() -> list[str]:
    """Run every demo step; each one skips what already exists."""
    report: list[str] = []
    for step in DEMO_STEPS:
        report.extend(step())
    return report or ["demo data already loaded"]
