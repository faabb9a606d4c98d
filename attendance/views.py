"""Consultant side of attendance: my sessions, a session's page, check-in, excuses and calendars.

The organiser area (`manage`, guarded blueprint-wide) is nested in `bp`; its routes live in
manage_views.py and register_views.py. `init_app` adds the requirement provider, menu entries,
dashboard and cohort panels and the template helpers.
"""

from __future__ import annotations

import io

from flask import Response, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accounts.domain import DomainError, apply_to_form
from accounts.forms import EmptyForm
from accounts.guards import public
from accounts.models import utcnow
from accounts.roles import ADMIN, CONSULTANT, ORGANISER, STAFF_ROLES
from attendance import calendars, checkin, excuses, manage_views, register_views, services
from attendance.blueprints import bp, manage
from attendance.display import clock, when
from attendance.forms import CheckinForm, ExcuseForm
from attendance.models import ATTENDED, Excuse, LiveSession
from attendance.registers import (
    SOURCE_LABELS,
    STATUS_LABELS,
    attendance_rule,
    get_record,
    participant_facts,
    summaries,
)
from courses.models import Cohort
from courses.requirements import Requirement, register_provider
from courses.uploads import path_of
from extensions import db, limiter

__all__ = ["bp", "init_app", "manage_views", "register_views"]

bp.register_blueprint(manage)


def init_app(app) -> None:
    register_provider(app, attendance_requirements)

    def nav(user):
        items = []
        if user.has_role(CONSULTANT):
            items.append({"url": url_for("attendance.my_sessions"), "label": _("Sesi langsung")})
        if user.has_role(ORGANISER, ADMIN):
            items.append({"url": url_for("attendance.manage.index"), "label": _("Kehadiran")})
        return items

    def panel(user):
        if not user.has_role(CONSULTANT):
            return []
        upcoming = db.session.scalars(services.user_sessions_stmt(user, upcoming_only=True).limit(3)).all()
        return [{"template": "attendance/_panel_sessions.html", "sessions": upcoming}] if upcoming else []

    def cohort_panel(cohort, user):
        if not user.has_role(*STAFF_ROLES):
            return []
        return [{"template": "attendance/_panel_cohort.html", "cohort": cohort,
                 "sessions": len(services.cohort_sessions(cohort.id))}]

    def cohort_links(cohort, user):
        links = [{"url": url_for("attendance.cohort_ics", cohort_id=cohort.id), "label": _("Kalender sesi (.ics)")}]
        if user.has_role(ORGANISER, ADMIN):
            links.append({"url": url_for("attendance.manage.cohort_register", cohort_id=cohort.id),
                          "label": _("Rekap kehadiran")})
        return links

    app.extensions.setdefault("nav_items", []).append(nav)
    app.extensions.setdefault("dashboard_panels", []).append(panel)
    app.extensions.setdefault("cohort_panels", []).append(cohort_panel)
    app.extensions.setdefault("cohort_links", []).append(cohort_links)
    app.extensions.setdefault("participant_facts", []).append(participant_facts)
    app.jinja_env.globals.update(live_when=when, live_clock=clock, status_labels=STATUS_LABELS,
                                 source_labels=SOURCE_LABELS, checkin_window=checkin.window)


def attendance_requirements(enrolment) -> list[Requirement]:
    """The "what remains" entry: the attendance share the certificate needs, when the course sets one."""
    cohort = enrolment.cohort
    target, basis = attendance_rule(cohort)
    sessions = services.cohort_sessions(cohort.id)
    if target is None or not sessions:
        return []
    s = summaries(cohort, [enrolment.user_id], sessions)[enrolment.user_id]
    target_text = f"{target:g}"
    if s.met:
        detail = ""
    elif basis == "minutes":
        detail = _("%(pct)s%% tercapai; perlu %(n)s menit kehadiran lagi", pct=f"{s.percent:g}", n=s.need)
    else:
        detail = _("%(done)s dari %(total)s sesi dihadiri (%(pct)s%%); perlu hadir di %(n)s sesi lagi",
                   done=s.achieved, total=s.counted, pct=f"{s.percent:g}", n=s.need)
    return [Requirement(
        kind="attendance", label=_("Menghadiri sesi langsung (minimal %(p)s%%)", p=target_text), met=bool(s.met),
        detail=detail, url=url_for("attendance.my_sessions", cohort=cohort.id), done=s.achieved, total=s.counted,
        evidence={"percent": s.percent, "need": s.need, "basis": basis, "excused": s.excused}, order=30,
    )]


def _viewable(session_id: int) -> LiveSession:
    """The session if the signed-in user may see it; 404 otherwise, so nothing leaks about other cohorts."""
    session = db.session.get(LiveSession, session_id)
    if session is None or not services.can_view(current_user, session):
        abort(404)
    return session


@bp.route("/sessions")
def my_sessions():
    cohort_id = request.args.get("cohort", type=int)
    show_all = request.args.get("show") == "all"
    stmt = services.user_sessions_stmt(current_user, upcoming_only=not show_all)
    if cohort_id:
        stmt = stmt.where(LiveSession.cohort_id == cohort_id)
    page = db.paginate(stmt, per_page=20, max_per_page=50, error_out=False)
    records = services.records_for(current_user, [s.id for s in page.items])
    return render_template("attendance/my_sessions.html", page=page, records=records, show_all=show_all,
                           cohort_id=cohort_id, now=utcnow(), feed=calendars.existing_feed_token(current_user),
                           feed_form=EmptyForm())


@bp.route("/sessions/<int:session_id>")
def session_detail(session_id: int):
    session = _viewable(session_id)
    enrolled = services.is_enrolled(current_user, session.cohort_id)
    record = get_record(session.id, current_user.id) if enrolled else None
    excuse = excuses.latest_excuse(session, current_user) if enrolled else None
    opens, closes = checkin.window(session)
    now = utcnow()
    return render_template("attendance/session_detail.html", session=session, enrolled=enrolled, record=record,
                           excuse=excuse, materials=services.material_items(session), opens=opens, closes=closes,
                           now=now, manager=services.is_manager(current_user))


def _checkin_key() -> str:
    return f"checkin:{current_user.id}" if current_user.is_authenticated else (request.remote_addr or "?")


@bp.route("/checkin/<int:session_id>", methods=["GET", "POST"])
@public  # an anonymous scanner is sent to the login page with a scan ticket, see below
@limiter.limit(lambda: current_app.config.get("CHECKIN_RATE_LIMIT", "20 per minute"), methods=["POST"],
               key_func=_checkin_key)
def checkin_page(session_id: int):
    code = (request.args.get("code") or "")[:20]
    if not current_user.is_authenticated:
        session = db.session.get(LiveSession, session_id)
        ticket = checkin.make_ticket(session, code) if session is not None and code else None
        flash(_("Masuk dulu untuk check-in. Setelah masuk Anda kembali ke halaman check-in."), "info")
        target = url_for("attendance.checkin_page", session_id=session_id, code=code or None, ticket=ticket)
        return redirect(url_for("accounts.login", next=target))
    session = _viewable(session_id)
    form = CheckinForm()
    if request.method == "GET":
        form.code.data = code
        form.ticket.data = request.args.get("ticket") or (checkin.make_ticket(session, code) if code else None)
    record = get_record(session.id, current_user.id)
    other = None
    if form.validate_on_submit():
        try:
            result = checkin.check_in(session, current_user, form.code.data, ticket=form.ticket.data)
            services.notify_progress(session.cohort_id, [current_user.id])
            db.session.commit()
        except checkin.CheckinError as exc:
            db.session.rollback()
            other = exc.other
            apply_to_form(form, exc)
        except IntegrityError:  # a double tap: the other request recorded the check-in first
            db.session.rollback()
            return redirect(url_for("attendance.checkin_page", session_id=session.id))
        else:
            flash(_("Check-in berhasil: %(status)s, pukul %(time)s.", status=STATUS_LABELS[result.status],
                    time=clock(result.at, session)), "success")
            return redirect(url_for("attendance.session_detail", session_id=session.id))
    if other is not None and not services.can_view(current_user, other):
        other = None
    opens, closes = checkin.window(session)
    status = 422 if form.errors else 200
    return render_template("attendance/checkin.html", session=session, form=form, record=record, other=other,
                           attended=record is not None and record.status in ATTENDED, opens=opens,
                           closes=closes), status


@bp.route("/sessions/<int:session_id>/excuse", methods=["GET", "POST"])
def excuse(session_id: int):
    session = _viewable(session_id)
    if not services.is_enrolled(current_user, session.cohort_id):
        abort(404)
    form = ExcuseForm()
    if form.validate_on_submit():
        upload = form.letter.data
        data = upload.read() if upload and getattr(upload, "filename", "") else None
        try:
            excuses.submit(session, current_user, form.reason.data, data, upload.filename if data else "")
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Permohonan izin terkirim. Penyelenggara akan memutuskannya."), "success")
            return redirect(url_for("attendance.session_detail", session_id=session.id))
    history = db.session.scalars(select(Excuse).where(Excuse.session_id == session.id,
                                                      Excuse.user_id == current_user.id)
                                 .order_by(Excuse.submitted_at.desc())).all()
    return render_template("attendance/excuse.html", session=session, form=form,
                           history=history), 422 if form.errors else 200


@bp.route("/excuses/<int:excuse_id>/letter")
def excuse_letter(excuse_id: int):
    item = db.session.get(Excuse, excuse_id)
    if item is None or not item.letter_stored or not excuses.can_read_letter(current_user, item):
        abort(404)
    # read at once (letters are small) so no file handle outlives the request
    response = send_file(io.BytesIO(path_of(item.letter_stored).read_bytes()), mimetype=item.letter_type,
                         as_attachment=True, download_name=item.letter_name or "surat")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _ics(text: str, filename: str) -> Response:
    response = Response(text, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/sessions/<int:session_id>/calendar.ics")
def session_ics(session_id: int):
    session = _viewable(session_id)
    return _ics(calendars.calendar_text([session], session.title, with_link=True), f"sesi-{session.id}.ics")


@bp.route("/sessions/cohort/<int:cohort_id>/calendar.ics")
def cohort_ics(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None or not (current_user.has_role(*STAFF_ROLES) or services.is_enrolled(current_user, cohort.id)):
        abort(404)
    sessions = services.cohort_sessions(cohort.id)
    return _ics(calendars.calendar_text(sessions, cohort.name, with_link=True), f"angkatan-{cohort.id}.ics")


@bp.route("/sessions/calendar.ics")
def my_calendar():
    sessions = db.session.scalars(services.user_sessions_stmt(current_user)).all()
    return _ics(calendars.calendar_text(sessions, _("Sesi Bimtek Halal saya"), with_link=True), "sesi-saya.ics")


@bp.route("/sessions/feed/<token>.ics")
@public  # calendar apps cannot sign in; the unguessable token is the credential
def feed(token: str):
    user = calendars.feed_user(token)
    if user is None:
        abort(404)
    sessions = db.session.scalars(services.user_sessions_stmt(user)).all()
    return _ics(calendars.calendar_text(sessions, _("Sesi Bimtek Halal saya"), with_link=True), "sesi-saya.ics")


@bp.route("/sessions/feed", methods=["POST"])
def feed_reset():
    if not EmptyForm().validate_on_submit():
        abort(400)
    had = calendars.existing_feed_token(current_user) is not None
    calendars.feed_token(current_user, reset=True)
    db.session.commit()
    flash(_("Alamat langganan kalender baru dibuat; alamat lama tidak berlaku lagi.") if had
          else _("Alamat langganan kalender dibuat."), "success")
    return redirect(url_for("attendance.my_sessions") + "#calendar")
