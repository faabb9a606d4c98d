"""Data generator loaders for people: staff accounts (with their second factor), cohorts and consultants."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from bench.gen_base import STAFF, Writer, email_of, max_id, optional, staff_email

FIRST = ("Siti", "Ahmad", "Dewi", "Budi", "Rina", "Agus", "Nur", "Eko", "Fitri", "Hendra", "Intan", "Joko",
         "Lestari", "Made", "Nyoman", "Putu", "Rahmat", "Sri", "Teguh", "Wahyu", "Yuni", "Zainal", "Ayu", "Dedi")
LAST = ("Rahmawati", "Fauzi", "Wulandari", "Santoso", "Hidayat", "Saputra", "Lubis", "Nasution", "Siregar",
        "Wijaya", "Pratama", "Kusuma", "Harahap", "Pangaribuan", "Sinaga", "Manurung", "Tanjung", "Ginting",
        "Latuconsina", "Rumbiak", "Mandagi", "Pakpahan", "Daeng", "Tamba")
FIELDS = ("kelembagaan", "sdm", "produksi", "pembiayaan", "pemasaran", "it", "jaringan")


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
    twofactor = optional("accounts.twofactor")
    totp = optional("accounts.totp")
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


def load_cohorts(writer: Writer, course, version, cohorts: int, seed: int, now: datetime, today: date) -> list[dict]:
    """Cohorts: the first is the national 5,000-participant cohort, the rest are provincial."""
    from accounts.provinces import PROVINCES, zone_for_province
    from courses.models import Cohort

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
    return cohort_rows


def load_users(writer: Writer, users: int, cohorts: int, big_cohort: int, password_hash: str,
               now: datetime) -> tuple[int, list[int]]:
    """Consultants in the provinces of their cohort (the national cohort spans all 38), with their role rows;
    returns (the id before the first one, each user's cohort position)."""
    from accounts.models import User, UserRole
    from accounts.provinces import PROVINCES

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
    return user_base, assignment
