"""Learning and attendance dashboards per cohort, read through the quizzes and attendance services."""

from __future__ import annotations

from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from accounts.guards import guard_blueprint
from accounts.roles import ADMIN, ORGANISER
from attendance.models import AttendanceRecord
from attendance.services import cohort_sessions
from courses.models import Cohort, Enrolment
from extensions import db
from quizzes import insight
from quizzes.services import course_quizzes

bp = Blueprint("insights", __name__, url_prefix="/reports/cohort")
guard_blueprint(bp, ORGANISER, ADMIN)
STATUSES = ("present", "late", "excused", "absent")


def init_app(app) -> None:
    def links():
        cohort_id = request.view_args.get("cohort_id") if request.view_args else None
        cohort_id = cohort_id or _latest_cohort_id()
        if not cohort_id:
            return []
        return [{"url": url_for("insights.learning", cohort_id=cohort_id), "label": _("Pembelajaran")},
                {"url": url_for("insights.attendance", cohort_id=cohort_id), "label": _("Kehadiran")}]

    app.extensions.setdefault("report_links", []).append(links)


def _latest_cohort_id() -> int | None:
    return db.session.scalar(select(Cohort.id).order_by(Cohort.starts_on.desc(), Cohort.id.desc()).limit(1))


def _cohorts() -> list[Cohort]:
    return list(db.session.scalars(select(Cohort).order_by(Cohort.starts_on.desc()).limit(200)))


def score_distribution(percents: list[float]) -> list[dict]:
    """Counts in ten-point bands 0–9, 10–19, …, 90–100."""
    bands = Counter(min(int(p // 10), 9) for p in percents)
    return [{"label": f"{b * 10}–{b * 10 + 9 if b < 9 else 100}", "value": bands.get(b, 0)} for b in range(10)]


@bp.route("/<int:cohort_id>/learning")
def learning(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    gain = insight.gain_report(cohort.course, cohort)
    final = next((q for q in course_quizzes(cohort.course) if q.kind == "final"), None)
    report = insight.item_report(final, cohort) if final else None
    best: dict[int, float] = {}
    if final:
        for attempt in insight.finished_attempts(final, cohort):
            if attempt.percent is not None:
                best[attempt.user_id] = max(best.get(attempt.user_id, 0.0), attempt.percent)
    hardest = sorted((r for r in report.rows if r.stat.n), key=lambda r: r.stat.facility)[:10] if report else []
    return render_template("reports/learning.html", cohort=cohort, cohorts=_cohorts(), gain=gain, final=final,
                           distribution=score_distribution(list(best.values())), takers=len(best),
                           passed=sum(1 for p in best.values() if final and p >= (final.pass_mark or 0)),
                           hardest=hardest)


@bp.route("/<int:cohort_id>/attendance")
def attendance(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    sessions = cohort_sessions(cohort.id)
    enrolled = db.session.scalar(select(func.count()).select_from(Enrolment).where(
        Enrolment.cohort_id == cohort.id, Enrolment.status == "active")) or 0
    counts: dict[int, Counter] = defaultdict(Counter)
    if sessions:
        stmt = (select(AttendanceRecord.session_id, AttendanceRecord.status, func.count())
                .where(AttendanceRecord.session_id.in_([s.id for s in sessions]))
                .group_by(AttendanceRecord.session_id, AttendanceRecord.status))
        for session_id, status, n in db.session.execute(stmt):
            counts[session_id][status] = n
    zone = ZoneInfo(cohort.timezone)
    rows, days = [], defaultdict(lambda: {"attended": 0, "expected": 0})
    for session in sessions:
        c = counts[session.id]
        attended = c["present"] + c["late"]
        expected = max(enrolled - c["excused"], 0)
        day = session.starts_at.astimezone(zone).date()
        days[day]["attended"] += attended
        days[day]["expected"] += expected
        rows.append({"session": session, "day": day, **{s: c[s] for s in STATUSES},
                     "unrecorded": max(enrolled - sum(c.values()), 0),
                     "percent": round(100 * attended / expected, 1) if expected else None})
    trend = [{"label": day.strftime("%d/%m"), "value": round(100 * v["attended"] / v["expected"], 1)
              if v["expected"] else 0} for day, v in sorted(days.items())]
    return render_template("reports/attendance.html", cohort=cohort, cohorts=_cohorts(), rows=rows, trend=trend,
                           enrolled=enrolled)


@bp.route("/pick")
def pick():
    """The no-JavaScript cohort picker: redirect to the chosen cohort's page."""
    from flask import redirect

    view = request.args.get("view")
    cohort_id = request.args.get("cohort_id", type=int)
    if view not in ("learning", "attendance") or not cohort_id:
        abort(404)
    return redirect(url_for(f"insights.{view}", cohort_id=cohort_id))
