"""Cohorts and enrolment: create cohorts, join by code, import participants. Services never commit."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from accounts import audit
from accounts import services as accounts
from accounts.domain import DomainError, register_messages
from accounts.models import User
from accounts.provinces import PROVINCES, ZONES
from courses.models import Cohort, Course, Enrolment
from courses.participants_file import ParticipantRow
from extensions import db

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

register_messages({
    "cohort_dates": _l("Tanggal selesai harus sama dengan atau sesudah tanggal mulai."),
    "cohort_zone": _l("Pilih zona waktu WIB, WITA atau WIT."),
    "cohort_unpublished": _l("Terbitkan kursus terlebih dahulu sebelum membuat angkatan."),
    "enrol_code_unknown": _l("Kode pendaftaran tidak dikenal. Periksa kembali kode dari penyelenggara."),
    "enrol_closed": _l("Angkatan ini hanya menerima peserta yang didaftarkan penyelenggara."),
    "cohort_full": _l("Kuota angkatan ini sudah penuh."),
    "already_enrolled": _l("Anda sudah terdaftar di angkatan ini."),
    "capacity_invalid": _l("Kuota harus angka positif atau dikosongkan."),
})

ROW_REASONS = {
    "email_invalid": _l("email tidak valid"),
    "name_required": _l("nama kosong"),
    "province_unknown": _l("provinsi tidak dikenal"),
    "duplicate_in_file": _l("baris ganda di berkas ini"),
    "phone_invalid": _l("nomor HP tidak dikenali"),
    "cohort_full": _l("kuota penuh"),
    "too_long": _l("isian terlalu panjang"),
}


class EnrolmentError(DomainError):
    """An enrolment rule was broken."""


def new_enrol_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def create_cohort(course: Course, *, name: str, starts_on: date, ends_on: date, timezone: str = "Asia/Jakarta",
                  capacity: int | None = None, enrol_mode: str = "code", certificate_approval: bool = False,
                  enrol_code: str | None = None) -> Cohort:
    """A cohort of the course's latest published version."""
    if course.latest_version is None:
        raise EnrolmentError("cohort_unpublished")
    _check_cohort(name, starts_on, ends_on, timezone, capacity)
    cohort = Cohort(course=course, course_version=course.latest_version, name=name.strip(), starts_on=starts_on,
                    ends_on=ends_on, timezone=timezone, capacity=capacity, enrol_mode=enrol_mode,
                    certificate_approval=certificate_approval,
                    enrol_code=(enrol_code or new_enrol_code()) if enrol_mode == "code" else None)
    db.session.add(cohort)
    db.session.flush()
    audit.record("cohort.created", "cohort", cohort.id, summary=cohort.name)
    return cohort


def update_cohort(cohort: Cohort, **fields) -> Cohort:
    merged = {"name": cohort.name, "starts_on": cohort.starts_on, "ends_on": cohort.ends_on,
              "timezone": cohort.timezone, "capacity": cohort.capacity, **fields}
    _check_cohort(merged["name"], merged["starts_on"], merged["ends_on"], merged["timezone"], merged["capacity"])
    for key, value in fields.items():
        setattr(cohort, key, value)
    if cohort.enrol_mode == "code" and not cohort.enrol_code:
        cohort.enrol_code = new_enrol_code()
    return cohort


def _check_cohort(name, starts_on, ends_on, timezone, capacity) -> None:
    from courses.services import CourseError

    if not (name or "").strip():
        raise CourseError("title_required", "name")
    if ends_on < starts_on:
        raise EnrolmentError("cohort_dates", "ends_on")
    if timezone not in ZONES:
        raise EnrolmentError("cohort_zone", "timezone")
    if capacity is not None and capacity < 1:
        raise EnrolmentError("capacity_invalid", "capacity")


def active_count(cohort: Cohort) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Enrolment).where(Enrolment.cohort_id == cohort.id,
                                                          Enrolment.status == "active")
    ) or 0


def find_enrolment(user: User, cohort: Cohort) -> Enrolment | None:
    return db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == user.id))


def enrol(user: User, cohort: Cohort, source: str = "organiser") -> tuple[Enrolment, bool]:
    """Enrol a user; returns (enrolment, created). Capacity is enforced."""
    existing = find_enrolment(user, cohort)
    if existing is not None:
        if existing.status != "active":
            existing.status = "active"
            return existing, True
        return existing, False
    if cohort.capacity is not None and active_count(cohort) >= cohort.capacity:
        raise EnrolmentError("cohort_full")
    enrolment = Enrolment(cohort=cohort, user=user, source=source)
    db.session.add(enrolment)
    db.session.flush()
    return enrolment, True


def join_by_code(user: User, code: str) -> Enrolment:
    """A consultant joins an open cohort with its enrolment code."""
    code = "".join((code or "").split()).upper()
    cohort = db.session.scalar(select(Cohort).where(Cohort.enrol_code == code)) if code else None
    if cohort is None:
        raise EnrolmentError("enrol_code_unknown", "code")
    if cohort.enrol_mode != "code":
        raise EnrolmentError("enrol_closed", "code")
    enrolment, created = enrol(user, cohort, source="code")
    if not created:
        raise EnrolmentError("already_enrolled", "code")
    return enrolment


def user_enrolments(user: User) -> list[Enrolment]:
    stmt = (select(Enrolment).join(Cohort).where(Enrolment.user_id == user.id, Enrolment.status == "active")
            .order_by(Cohort.starts_on.desc()))
    return list(db.session.scalars(stmt))


def enrolment_for_course(user: User, course: Course) -> Enrolment | None:
    """The user's most recent active enrolment in a course."""
    stmt = (select(Enrolment).join(Cohort).where(Enrolment.user_id == user.id, Cohort.course_id == course.id,
                                                 Enrolment.status == "active").order_by(Cohort.starts_on.desc()))
    return db.session.scalars(stmt).first()


@dataclass
class RowResult:
    line: int
    email: str
    name: str
    outcome: str  # created | enrolled | already_enrolled | rejected | will_create | will_enrol
    reason: str = ""


def _row_problem(row: ParticipantRow) -> tuple[str | None, str]:
    try:
        email = validate_email(row.email, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return "email_invalid", ""
    if not row.name.strip():
        return "name_required", email
    if row.province and _match_province(row.province) is None:
        return "province_unknown", email
    if len(row.name) > 120 or len(row.plut_unit) > 120:
        return "too_long", email
    if row.phone:
        try:
            accounts.normalise_phone(row.phone)
        except DomainError:
            return "phone_invalid", email
    return None, email


def _match_province(value: str) -> str | None:
    wanted = " ".join(value.lower().replace("provinsi", "").split())
    for province in PROVINCES:
        if province.lower() == wanted:
            return province
    aliases = {"dki": "DKI Jakarta", "jakarta": "DKI Jakarta", "diy": "DI Yogyakarta", "yogyakarta": "DI Yogyakarta",
               "ntb": "Nusa Tenggara Barat", "ntt": "Nusa Tenggara Timur", "babel": "Kepulauan Bangka Belitung",
               "kepri": "Kepulauan Riau", "daerah khusus jakarta": "DKI Jakarta"}
    return aliases.get(wanted)


def import_participants(cohort: Cohort, rows: list[ParticipantRow], *, apply: bool,
                        invite=None) -> list[RowResult]:
    """Preview (apply=False) or apply an import; bad rows never block good ones, re-imports duplicate nothing.

    `invite(user)` is called for each new account (to mail a one-time set-password link).
    """
    results: list[RowResult] = []
    seen: set[str] = set()
    emails = {r.email.strip().lower() for r in rows}
    existing_users = {}
    for chunk in [sorted(emails)[i:i + 500] for i in range(0, len(emails), 500)]:
        existing_users.update({u.email: u for u in db.session.scalars(select(User).where(User.email.in_(chunk)))})
    enrolled_ids = set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id,
                                                                            Enrolment.status == "active")))
    free = None if cohort.capacity is None else cohort.capacity - len(enrolled_ids)
    for row in rows:
        problem, email = _row_problem(row)
        if problem is None and email in seen:
            problem = "duplicate_in_file"
        if problem:
            results.append(RowResult(row.line, email or row.email, row.name, "rejected", str(ROW_REASONS[problem])))
            continue
        seen.add(email)
        user = existing_users.get(email)
        if user is not None and user.id in enrolled_ids:
            results.append(RowResult(row.line, email, row.name, "already_enrolled"))
            continue
        if free is not None and free <= 0:
            results.append(RowResult(row.line, email, row.name, "rejected", str(ROW_REASONS["cohort_full"])))
            continue
        if not apply:
            results.append(RowResult(row.line, email, row.name, "will_enrol" if user else "will_create"))
            if free is not None:
                free -= 1
            continue
        created = False
        if user is None:
            with db.session.begin_nested():
                user = accounts.register(email, None, accounts.Profile(
                    full_name=row.name.strip(), province=_match_province(row.province) if row.province else None,
                    plut_unit=row.plut_unit or None, phone=row.phone or None))
            existing_users[email] = user
            created = True
            if invite is not None:
                invite(user)
        enrol(user, cohort, source="import")
        enrolled_ids.add(user.id)
        if free is not None:
            free -= 1
        results.append(RowResult(row.line, email, row.name, "created" if created else "enrolled"))
    if apply:
        counts = summarise(results)
        audit.record("participants.imported", "cohort", cohort.id, summary=cohort.name, data=counts)
    return results


def summarise(results: list[RowResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    return counts
