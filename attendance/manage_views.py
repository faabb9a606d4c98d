"""Organiser area, part 1: scheduling sessions, the presenter screen with its rotating code, Zoom imports."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from accounts.domain import DomainError, apply_to_form, message_for
from accounts.forms import EmptyForm
from attendance import checkin, services, zoom_import
from attendance.blueprints import manage
from attendance.forms import NewSessionForm, ResolveForm, SessionForm, ZoomUploadForm
from attendance.models import LiveSession
from attendance.registers import ListPage
from courses.models import Cohort, Enrolment
from extensions import db


def _cohort(cohort_id: int) -> Cohort:
    return db.session.get(Cohort, cohort_id) or abort(404)


def _session(session_id: int) -> LiveSession:
    return db.session.get(LiveSession, session_id) or abort(404)


@manage.route("/")
def index():
    page = db.paginate(select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc()), per_page=25,
                       max_per_page=100, error_out=False)
    ids = [c.id for c in page.items]
    counts = dict(db.session.execute(select(LiveSession.cohort_id, func.count()).where(LiveSession.cohort_id.in_(ids))
                                     .group_by(LiveSession.cohort_id)).all())
    enrolled = dict(db.session.execute(select(Enrolment.cohort_id, func.count())
                                       .where(Enrolment.cohort_id.in_(ids), Enrolment.status == "active")
                                       .group_by(Enrolment.cohort_id)).all())
    return render_template("attendance/manage_index.html", page=page, counts=counts, enrolled=enrolled)


@manage.route("/cohorts/<int:cohort_id>/sessions")
def sessions(cohort_id: int):
    cohort = _cohort(cohort_id)
    stmt = (select(LiveSession).where(LiveSession.cohort_id == cohort.id)
            .order_by(LiveSession.starts_at, LiveSession.id))
    page = db.paginate(stmt, per_page=25, max_per_page=100, error_out=False)
    return render_template("attendance/manage_sessions.html", cohort=cohort, page=page, form=EmptyForm())


def _fields(form: SessionForm) -> services.SessionFields:
    return services.SessionFields(
        title=form.title.data, day=form.day.data, start=form.start.data, end=form.end.data,
        timezone=form.timezone.data, speakers=form.speakers.data or "", meeting_url=form.meeting_url.data,
        meeting_id=form.meeting_id.data, materials=form.materials.data or "", recording_url=form.recording_url.data)


@manage.route("/cohorts/<int:cohort_id>/sessions/new", methods=["GET", "POST"])
def new_session(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = NewSessionForm()
    if request.method == "GET":
        form.timezone.data = cohort.timezone
        form.day.data = cohort.starts_on
    if form.validate_on_submit():
        try:
            created = services.create_sessions(cohort, _fields(form), current_user, count=form.repeat_count.data or 1,
                                               every=form.repeat_every.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("%(n)s sesi dijadwalkan.", n=len(created)), "success")
            return redirect(url_for("attendance.manage.sessions", cohort_id=cohort.id))
    return render_template("attendance/session_form.html", form=form, cohort=cohort,
                           session=None), 422 if form.errors else 200


@manage.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
def edit_session(session_id: int):
    session = _session(session_id)
    form = SessionForm(obj=None if request.method == "POST" else services.fields_of(session))
    if form.validate_on_submit():
        try:
            services.update_session(session, _fields(form), current_user)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Sesi tersimpan."), "success")
            return redirect(url_for("attendance.manage.sessions", cohort_id=session.cohort_id))
    return render_template("attendance/session_form.html", form=form, cohort=session.cohort,
                           session=session), 422 if form.errors else 200


@manage.route("/sessions/<int:session_id>/delete", methods=["POST"])
def delete_session(session_id: int):
    session = _session(session_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    cohort_id = session.cohort_id
    try:
        services.delete_session(session, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(message_for(exc), "error")
    else:
        db.session.commit()
        flash(_("Sesi dihapus."), "info")
    return redirect(url_for("attendance.manage.sessions", cohort_id=cohort_id))


def _checkin_url(session: LiveSession, code: str) -> str:
    """The address in the QR: this site's host, in the scheme the site is published under."""
    return url_for("attendance.checkin_page", session_id=session.id, code=code, _external=True,
                   _scheme=current_app.config.get("PREFERRED_URL_SCHEME", "http"))


@manage.route("/sessions/<int:session_id>/presenter")
def presenter(session_id: int):
    session = _session(session_id)
    state = checkin.presenter_state(session)
    response = Response(render_template("attendance/presenter.html", session=session, state=state,
                                        checkin_url=_checkin_url(session, state.code)))
    response.headers["Cache-Control"] = "no-store"
    return response


@manage.route("/sessions/<int:session_id>/presenter.json")
def presenter_json(session_id: int):
    session = _session(session_id)
    state = checkin.presenter_state(session)
    return jsonify({"code": state.code, "state": state.state, "seconds_left": state.seconds_left,
                    "checked_in": state.checked_in, "checkin_url": _checkin_url(session, state.code),
                    "qr_url": url_for("attendance.manage.qr", session_id=session.id, c=state.code)})


@manage.route("/sessions/<int:session_id>/qr.svg")
def qr(session_id: int):
    """The QR of the current check-in address (the `c` argument only defeats caches)."""
    session = _session(session_id)
    state = checkin.presenter_state(session)
    response = Response(checkin.qr_svg(_checkin_url(session, state.code), caption=state.code),
                        mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-store"
    return response


@manage.route("/sessions/<int:session_id>/zoom", methods=["GET", "POST"])
def zoom(session_id: int):
    session = _session(session_id)
    form = ZoomUploadForm()
    if request.method == "GET":
        form.report_zone.data = ""
    if form.validate_on_submit():
        upload = form.file.data
        dayfirst = {"dayfirst": True, "monthfirst": False}.get(form.date_order.data or "")
        try:
            outcome = zoom_import.import_report(session, upload.read(), upload.filename or "zoom.csv", current_user,
                                                report_zone=form.report_zone.data or None, dayfirst=dayfirst)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            message = _("Laporan diimpor: %(m)s cocok, %(u)s belum cocok, %(c)s catatan berubah.",
                        m=outcome.matched, u=outcome.unmatched, c=outcome.changed)
            if outcome.duplicate:
                message = _("Berkas ini sudah pernah diimpor.") + " " + message
            flash(message, "success")
            return redirect(url_for("attendance.manage.zoom", session_id=session.id))
    result = zoom_import.latest_result(session) or {}
    people = ListPage(result.get("unmatched_people", []), request.args.get("page", 1, type=int), 25)
    return render_template("attendance/zoom.html", session=session, form=form, result=result, people=people,
                           candidates=zoom_import.candidates(session, people.items) if people.items else {},
                           imports=zoom_import.imports_of(session)[:20]), 422 if form.errors else 200


@manage.route("/sessions/<int:session_id>/zoom/resolve", methods=["POST"])
def zoom_resolve(session_id: int):
    session = _session(session_id)
    form = ResolveForm()
    if not form.validate_on_submit():
        abort(400)
    ignore = request.form.get("action") == "ignore"
    user_id = request.form.get("user_id", type=int)
    try:
        result = zoom_import.resolve(session, form.key.data, current_user, user_id=user_id,
                                     email=form.email.data, ignore=ignore)
    except DomainError as exc:
        db.session.rollback()
        flash(message_for(exc), "error")
    else:
        db.session.commit()
        flash(_("Nama diabaikan untuk sesi-sesi angkatan ini.") if ignore else
              _("Dicocokkan dan diingat untuk sesi berikutnya. %(c)s catatan berubah.", c=result["changed"]),
              "success")
    return redirect(url_for("attendance.manage.zoom", session_id=session.id) + "#unmatched")
