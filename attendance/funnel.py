"""Set-based selects for the reports funnel: who met the attendance rule (sessions basis)."""

from __future__ import annotations

from sqlalchemy import and_, case, func, literal, or_, select

from attendance.models import ATTENDED, EXCUSED, AttendanceRecord, LiveSession
from attendance.summary import attendance_rule
from courses.models import Cohort, Enrolment
from extensions import db


def attendance_met_select(enrolment_ids):
    """Enrolment ids (of a subquery with an `id` column) whose attended share of non-excused sessions meets
    their cohort's attendance rule; cohorts without a rule or without sessions count as met."""
    cohort_ids = select(Enrolment.cohort_id).where(Enrolment.id.in_(select(enrolment_ids.c.id))).distinct()
    thresholds = {c.id: (attendance_rule(c)[0] or 0.0) for c in db.session.scalars(
        select(Cohort).where(Cohort.id.in_(cohort_ids)))}
    threshold = case(thresholds, value=Enrolment.cohort_id, else_=literal(0.0)) if thresholds else literal(0.0)
    planned = (select(LiveSession.cohort_id, func.count().label("n")).group_by(LiveSession.cohort_id)).subquery()
    counts = (
        select(AttendanceRecord.user_id, LiveSession.cohort_id,
               func.sum(case((AttendanceRecord.status.in_(tuple(ATTENDED)), 1), else_=0)).label("attended"),
               func.sum(case((AttendanceRecord.status == EXCUSED, 1), else_=0)).label("excused"))
        .join(LiveSession, LiveSession.id == AttendanceRecord.session_id)
        .group_by(AttendanceRecord.user_id, LiveSession.cohort_id)
    ).subquery()
    attended = func.coalesce(counts.c.attended, 0)
    denominator = func.coalesce(planned.c.n, 0) - func.coalesce(counts.c.excused, 0)
    return (
        select(Enrolment.id)
        .outerjoin(planned, planned.c.cohort_id == Enrolment.cohort_id)
        .outerjoin(counts, and_(counts.c.user_id == Enrolment.user_id, counts.c.cohort_id == Enrolment.cohort_id))
        .where(Enrolment.id.in_(select(enrolment_ids.c.id)),
               or_(denominator <= 0, attended * 100.0 >= threshold * denominator))
    )
