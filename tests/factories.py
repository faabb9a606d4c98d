"""Plain factory functions for test data."""

from __future__ import annotations

from accounts import services
from extensions import db

PASSWORD = "Rahasia-Kuat-2026"  # noqa: S105


def make_user(email: str, roles=("consultant",), password: str | None = PASSWORD, full_name: str = "Peserta Uji",
              province: str = "Jawa Barat", plut_unit: str = "PLUT Kota Bandung",
              consultant_field: str = "produksi", commit: bool = True):
    user = services.register(
        email, password,
        services.Profile(full_name=full_name, province=province, plut_unit=plut_unit,
                         consultant_field=consultant_field),
        roles=tuple(roles),
    )
    if commit:
        db.session.commit()
    return user
