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


def make_course(author, title: str = "Kursus Uji", modules: int = 3, publish: bool = True, slug: str | None = None,
                sequential: bool = False, commit: bool = True):
    """A course with `modules` draft modules, published as version 1 unless publish=False."""
    from courses import services as courses

    course = courses.create_course(author, title=title, slug=slug, summary="Ringkasan", hours_jp=10,
                                   sequential=sequential)
    for index in range(1, modules + 1):
        courses.save_module(course, None, title=f"Modul {index}", slug=f"modul-{index}",
                            body_md=f"# Modul {index}\n\nIsi modul {index}.")
    if publish:
        courses.publish(course, author, "Terbitan pertama")
    if commit:
        db.session.commit()
    return course


def make_cohort(course, name: str = "Angkatan Uji", enrol_mode: str = "code", capacity=None, commit: bool = True,
                starts_on=None, ends_on=None, timezone: str = "Asia/Jakarta"):
    from datetime import date, timedelta

    from courses import enrolment

    start = starts_on or date.today()
    cohort = enrolment.create_cohort(course, name=name, starts_on=start, ends_on=ends_on or start + timedelta(days=6),
                                     capacity=capacity, enrol_mode=enrol_mode, timezone=timezone)
    if commit:
        db.session.commit()
    return cohort


def enrol(user, cohort, commit: bool = True):
    from courses import enrolment

    record, _ = enrolment.enrol(user, cohort)
    if commit:
        db.session.commit()
    return record
