"""Demo content: one account per role, plus what later capabilities add through `DEMO_STEPS`."""

from __future__ import annotations

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


DEMO_STEPS: list = [ensure_demo_accounts]


def load_demo() -> list[str]:
    """Run every demo step; each one skips what already exists."""
    report: list[str] = []
    for step in DEMO_STEPS:
        report.extend(step())
    return report or ["demo data already loaded"]
