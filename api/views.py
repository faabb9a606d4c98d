"""JSON API v1: read endpoints through the domain services, documented in /api/v1/openapi.json."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, jsonify
from flask_login import current_user
from sqlalchemy import select

from accounts.guards import public
from accounts.roles import ADMIN, ORGANISER
from api.openapi import build_document
from api.paging import page_of
from courses import enrolment as enrolments
from courses import progress
from courses.models import Cohort, Enrolment
from extensions import csrf, db

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def api_roles(*roles: str):
    """JSON 403 unless the caller (session or token) holds one of the roles."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def participant_facts(cohort: Cohort, enrolment_ids: list[int]) -> dict[int, dict]:
    """Facts each capability adds per participant (scores, attendance, certificate), in bulk per page."""
    facts: dict[int, dict] = {eid: {} for eid in enrolment_ids}
    for provider in current_app.extensions.get("participant_facts", []):
        for eid, values in provider(cohort, enrolment_ids).items():
            facts.setdefault(eid, {}).update(values)
    return facts


def cohort_json(cohort: Cohort) -> dict:
    return {
        "id": cohort.id, "name": cohort.name, "course": {"slug": cohort.course.slug, "title": cohort.course.title},
        "course_version": cohort.course_version.number, "starts_on": cohort.starts_on.isoformat(),
        "ends_on": cohort.ends_on.isoformat(), "timezone": cohort.timezone, "capacity": cohort.capacity,
        "enrol_mode": cohort.enrol_mode,
    }


@bp.route("/openapi.json")
@public
def openapi():
    return jsonify(build_document())


@bp.route("/me")
def me():
    user = current_user
    return jsonify({"id": user.id, "email": user.email, "full_name": user.full_name, "roles": sorted(user.roles),
                    "province": user.province, "plut_unit": user.plut_unit})


@bp.route("/me/enrolments")
def my_enrolments():
    items = []
    for enrolment in enrolments.user_enrolments(current_user):
        modules = progress.version_modules(enrolment.cohort.course_version_id)
        facts = participant_facts(enrolment.cohort, [enrolment.id])[enrolment.id]
        items.append({"cohort": cohort_json(enrolment.cohort), "modules_done": progress.done_count(enrolment, modules),
                      "modules_total": len(modules), **facts})
    return jsonify({"data": items})


@bp.route("/cohorts")
@api_roles(ORGANISER, ADMIN)
def cohorts():
    return jsonify(page_of(select(Cohort), Cohort.id, cohort_json, db.session))


@bp.route("/cohorts/<int:cohort_id>")
@api_roles(ORGANISER, ADMIN)
def cohort(cohort_id: int):
    item = db.session.get(Cohort, cohort_id) or abort(404)
    data = cohort_json(item)
    data["participants"] = enrolments.active_count(item)
    return jsonify(data)


@bp.route("/cohorts/<int:cohort_id>/participants")
@api_roles(ORGANISER, ADMIN)
def participants(cohort_id: int):
    item = db.session.get(Cohort, cohort_id) or abort(404)
    total = len(progress.version_modules(item.course_version_id))
    stmt = select(Enrolment).where(Enrolment.cohort_id == item.id, Enrolment.status == "active")
    body = page_of(stmt, Enrolment.id, lambda e: e, db.session)
    ids = [e.id for e in body["data"]]
    done = progress.cohort_done_counts(item, ids)
    facts = participant_facts(item, ids)
    body["data"] = [{
        "enrolment_id": e.id, "user_id": e.user_id, "full_name": e.user.full_name, "email": e.user.email,
        "province": e.user.province, "plut_unit": e.user.plut_unit,
        "enrolled_at": e.created_at.isoformat(), "started_at": e.started_at.isoformat() if e.started_at else None,
        "modules_done": len(done.get(e.id, ())), "modules_total": total, **facts.get(e.id, {}),
    } for e in body["data"]]
    return jsonify(body)


def session_json(session) -> dict:
    return {"id": session.id, "cohort_id": session.cohort_id, "title": session.title, "speakers": session.speakers,
            "starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat(),
            "timezone": session.timezone, "recording_url": session.recording_url}


@bp.route("/cohorts/<int:cohort_id>/sessions")
@api_roles(ORGANISER, ADMIN)
def cohort_sessions(cohort_id: int):
    from attendance.services import cohort_sessions as sessions_of

    item = db.session.get(Cohort, cohort_id) or abort(404)
    return jsonify({"data": [session_json(s) for s in sessions_of(item.id)]})


@bp.route("/sessions/<int:session_id>/register")
@api_roles(ORGANISER, ADMIN)
def session_register(session_id: int):
    from attendance.models import AttendanceRecord, LiveSession

    session = db.session.get(LiveSession, session_id) or abort(404)
    stmt = select(Enrolment).where(Enrolment.cohort_id == session.cohort_id, Enrolment.status == "active")
    body = page_of(stmt, Enrolment.id, lambda e: e, db.session)
    user_ids = [e.user_id for e in body["data"]]
    records = {r.user_id: r for r in db.session.scalars(select(AttendanceRecord).where(
        AttendanceRecord.session_id == session.id, AttendanceRecord.user_id.in_(user_ids)))} if user_ids else {}
    body["session"] = session_json(session)
    body["data"] = [{
        "enrolment_id": e.id, "user_id": e.user_id, "full_name": e.user.full_name, "province": e.user.province,
        "plut_unit": e.user.plut_unit,
        "status": records[e.user_id].status if e.user_id in records else None,
        "minutes_present": records[e.user_id].minutes_present if e.user_id in records else None,
    } for e in body["data"]]
    return jsonify(body)
