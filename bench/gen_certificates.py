"""Data generator loader for issued certificates (frozen snapshots), when the certificates capability exists."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from bench.common import log
from bench.gen_base import Writer, max_id, optional


def generate_certificates(writer: Writer, course, enrolled: list[tuple[int, int, int]], cohort_rows: list[dict],
                          certificates: int, staff: dict, rng: random.Random, now: datetime) -> dict:
    """Issued certificates (frozen snapshots) for the first enrolments, if the certificates capability exists."""
    models = optional("certificates.models")
    numbering = optional("certificates.numbering")
    if models is None or certificates <= 0:
        log("  certificates capability not present: no certificates generated")
        return {"available": False}
    from sqlalchemy import select

    from accounts.models import User
    from courses.models import Enrolment
    from extensions import db

    sample = db.session.scalar(select(Enrolment).where(Enrolment.id == enrolled[0][1])) if enrolled else None
    base_snapshot: dict = {}
    issuing = optional("certificates.issuing")
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
