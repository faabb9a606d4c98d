"""`flask demo load`: idempotent, tells the June 2022 story, and a current cohort with live sessions."""

from __future__ import annotations

from sqlalchemy import func, select

from demo.people import consultants
from extensions import db


def test_generated_people_span_provinces_and_time_zones():
    from accounts.provinces import PROVINCE_ZONE

    people = consultants(180)
    provinces = {p["province"] for p in people}
    assert len(people) == len({p["email"] for p in people}) == 180
    assert len(provinces) >= 20
    assert {PROVINCE_ZONE[p] for p in provinces} == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}


def test_demo_load_is_idempotent_and_complete(app, runner, monkeypatch):
    from attendance.models import AttendanceRecord, LiveSession
    from certificates.models import Certificate
    from courses.models import Cohort
    from quizzes.models import Attempt

    monkeypatch.setenv("DEMO_PARTICIPANTS", "16")
    import demo.june2022 as june

    monkeypatch.setattr(june, "PARTICIPANTS", 16)
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "imported course halal-self-declare" in first.output
    june_cohort = db.session.scalar(select(Cohort).where(Cohort.enrol_code == june.COHORT_CODE))
    assert (june_cohort.starts_on.isoformat(), june_cohort.ends_on.isoformat()) == ("2022-06-02", "2022-06-08")
    sessions = db.session.scalars(select(LiveSession).where(LiveSession.cohort_id == june_cohort.id)).all()
    assert len(sessions) == 7 and "Siti Azizah" in sessions[0].speakers
    assert db.session.scalar(select(func.count()).select_from(AttendanceRecord)) > 0
    assert db.session.scalar(select(func.count()).select_from(Attempt)) > 0
    statuses = db.session.scalars(select(Certificate.status)).all()
    assert "revoked" in statuses and "issued" in statuses
    current = db.session.scalar(select(Cohort).where(Cohort.enrol_code == "HALAL2026"))
    assert db.session.scalar(select(func.count()).select_from(LiveSession)
                             .where(LiveSession.cohort_id == current.id)) >= 1
    counts = {m: db.session.scalar(select(func.count()).select_from(m)) for m in (Cohort, LiveSession, Certificate)}
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0 and "already loaded" in second.output
    assert counts == {m: db.session.scalar(select(func.count()).select_from(m)) for m in counts}


def test_demo_refused_in_production(app, runner):
    app.config["APP_ENV"] = "production"
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "refused in production" in result.output
