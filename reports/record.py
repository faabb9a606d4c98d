"""Personal views: a consultant's own record, and a trainer's view of the cohorts of their courses."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from accounts.guards import roles_required
from accounts.roles import ADMIN, TRAINER
from api.views import participant_facts
from courses import enrolment as enrolments
from courses import progress
from courses.models import Cohort, Enrolment
from courses.requirements import what_remains
from courses.services import authored_courses
from extensions import db

bp = Blueprint("record", __name__)


def init_app(app) -> None:
    def nav(user):
        items = [{"url": url_for("record.mine"), "label": _("Rekam belajar")}]
        if user.has_role(TRAINER, ADMIN):
            items.append({"url": url_for("record.teaching"), "label": _("Kelas saya")})
        return items

    app.extensions.setdefault("nav_items", []).append(nav)


@bp.route("/record")
def mine():
    """Everything the platform holds about the consultant's learning, in one place."""
    items = []
    for enrolment in enrolments.user_enrolments(current_user):
        modules = progress.version_modules(enrolment.cohort.course_version_id)
        items.append({
            "enrolment": enrolment, "cohort": enrolment.cohort,
            "done": progress.done_count(enrolment, modules), "total": len(modules),
            "remains": what_remains(enrolment),
            "facts": participant_facts(enrolment.cohort, [enrolment.id]).get(enrolment.id, {}),
        })
    return render_template("reports/record.html", items=items)


@bp.route("/teaching")
@roles_required(TRAINER, ADMIN)
def teaching():
    """A trainer's courses with their cohorts, sizes and completion, linking to progress and item statistics."""
    courses = authored_courses(current_user)
    course_ids = [c.id for c in courses]
    cohorts = list(db.session.scalars(select(Cohort).where(Cohort.course_id.in_(course_ids))
                                      .order_by(Cohort.starts_on.desc()))) if course_ids else []
    sizes = dict(db.session.execute(
        select(Enrolment.cohort_id, func.count()).where(Enrolment.cohort_id.in_([c.id for c in cohorts]),
                                                        Enrolment.status == "active").group_by(Enrolment.cohort_id)
    ).all()) if cohorts else {}
    rows = [{"cohort": c, "size": sizes.get(c.id, 0), "complete": progress.modules_complete_count(c),
             "links": [item for provider in current_app.extensions.get("cohort_links", [])
                       for item in provider(c, current_user)]} for c in cohorts]
    return render_template("reports/teaching.html", courses=courses, rows=rows)
