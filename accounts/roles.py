"""Role names and their labels; a user may hold several."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

CONSULTANT, TRAINER, ORGANISER, ADMIN = "consultant", "trainer", "organiser", "admin"
ROLES = (CONSULTANT, TRAINER, ORGANISER, ADMIN)
ROLE_LABELS = {
    CONSULTANT: _l("Konsultan"),
    TRAINER: _l("Pelatih"),
    ORGANISER: _l("Penyelenggara"),
    ADMIN: _l("Admin"),
}
STAFF_ROLES = (TRAINER, ORGANISER, ADMIN)

CONSULTANT_FIELDS = {
    "kelembagaan": _l("Kelembagaan"),
    "sdm": _l("SDM"),
    "produksi": _l("Produksi"),
    "pembiayaan": _l("Pembiayaan"),
    "pemasaran": _l("Pemasaran"),
    "it": _l("IT"),
    "jaringan": _l("Jaringan"),
}
