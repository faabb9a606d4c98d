"""Organiser area, part 2: registers per session and per cohort, marking, exports, excuse decisions."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, send_file, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.domain import DomainError, apply_to_form, message_for
from accounts.models import User
from attendance import excuses, exports, registers, services
from attendance.blueprints import manage
from attendance.forms import BulkMarkForm, DecideForm, MarkForm, RegisterFilterForm
from attendance.models import Excuse, LiveSession
from courses.models import Cohort
from extensions import db
from main.urls import safe_next

PER_PAGE = 50


def _filters() -> tuple[RegisterFilterForm, registers.Filters]:
    form = RegisterFilterForm(request.args)
    form.validate()
    province = form.province.data if not form.province.errors else ""
    status = form.status.data if not form.status.errors else ""
    return form, registers.Filters(province=province or "", plut=(form.plut.data or "").strip(),
                                   q=(form.q.data or "").strip(), status=status or "")


@manage.route("/sessions/<int:session_id>/register")
def session_register(session_id: int):
    session = db.session.get(LiveSession, session_id) or abort(404)
    form, filters = _filters()
    page = db.paginate(registers.session_participants_stmt(session, filters), per_page=PER_PAGE, max_per_page=200,
                       error_out=False)
    records = registers.session_records(session.id, [u.id for u in page.items])
    return render_template("attendance/session_register.html", session=session, page=page, records=records,
                           form=form, bulk=BulkMarkForm(), counts=registers.status_counts(session))


@manage.route("/sessions/<int:session_id>/register", methods=["POST"])
def bulk_mark(session_id: int):
    session = db.session.get(LiveSession, session_id) or abort(404)
    form = BulkMarkForm()
    target = url_for("attendance.manage.session_register", session_id=session.id)
    back = safe_next(request.form.get("back"), target)
    target = back if back.startswith(target) else target
    if not form.validate_on_submit():
        flash(_("Pilih status dan tulis alasan perubahan."), "error")
        return redirect(target)
    ids = [int(v) for v in request.form.getlist("user_id") if v.isdigit()]
    try:
        changed = registers.bulk_mark(session, ids, form.status.data, current_user, form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(message_for(exc), "error")
    else:
        db.session.commit()
        flash(_("%(n)s catatan kehadiran diubah.", n=changed), "success")
    return redirect(target)


@manage.route("/sessions/<int:session_id>/people/<int:user_id>", methods=["GET", "POST"])
def person(session_id: int, user_id: int):
    session = db.session.get(LiveSession, session_id) or abort(404)
    user = db.session.get(User, user_id) or abort(404)
    if not registers.enrolled_user_ids(session.cohort_id, [user.id]):
        abort(404)
    record = registers.get_record(session.id, user.id)
    form = MarkForm()
    if request.method == "GET" and record is not None:
        form.status.data = record.status
        form.minutes.data = record.minutes_present
    if form.validate_on_submit():
        try:
            registers.mark(session, user.id, form.status.data, current_user, form.reason.data, form.minutes.data)
            services.notify_progress(session.cohort_id, [user.id])
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Kehadiran %(name)s tersimpan.", name=user.full_name), "success")
            return redirect(url_for("attendance.manage.session_register", session_id=session.id))
    return render_template("attendance/person.html", session=session, person=user, record=record, form=form,
                           history=registers.history(record)), 422 if form.errors else 200


@manage.route("/cohorts/<int:cohort_id>/register")
def cohort_register(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    form, filters = _filters()
    sessions = services.cohort_sessions(cohort.id)
    target, basis = registers.attendance_rule(cohort)
    number = request.args.get("page", 1, type=int)
    if form.below.data:
        low = registers.below_threshold(cohort, filters)
        page = registers.ListPage([u for u, _ in low], number, PER_PAGE)
        sums = {u.id: s for u, s in low}
    else:
        page = db.paginate(registers.participants_stmt(cohort.id, filters), page=number, per_page=PER_PAGE,
                           max_per_page=200, error_out=False)
        sums = registers.summaries(cohort, [u.id for u in page.items], sessions)
    return render_template("attendance/cohort_register.html", cohort=cohort, sessions=sessions, page=page,
                           sums=sums, form=form, target=target, basis=basis)


@manage.route("/cohorts/<int:cohort_id>/register.csv")
def export_csv(cohort_id: int):
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    _, filters = _filters()
    response = Response(stream_with_context(exports.csv_rows(cohort.id, filters)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="kehadiran-angkatan-{cohort.id}.csv"'
    return response


@manage.route("/cohorts/<int:cohort_id>/register.xlsx")
def export_xlsx(cohort_id: int):
    import io

    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    _, filters = _filters()
    return send_file(io.BytesIO(exports.xlsx_bytes(cohort, filters)), as_attachment=True,
                     mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     download_name=f"kehadiran-angkatan-{cohort.id}.xlsx")


@manage.route("/excuses")
def excuse_list():
    status = request.args.get("status", "pending")
    if status not in ("pending", "approved", "declined", ""):
        status = "pending"
    cohort_id = request.args.get("cohort", type=int)
    page = db.paginate(excuses.pending_stmt(cohort_id, status), per_page=25, max_per_page=100, error_out=False)
    return render_template("attendance/excuse_list.html", page=page, status=status, cohort_id=cohort_id)


@manage.route("/excuses/<int:excuse_id>", methods=["GET", "POST"])
def excuse_decide(excuse_id: int):
    item = db.session.get(Excuse, excuse_id) or abort(404)
    form = DecideForm()
    if form.validate_on_submit():
        try:
            excuses.decide(item, current_user, form.decision.data == "approve", form.reply.data)
            services.notify_progress(item.session.cohort_id, [item.user_id])
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Keputusan tersimpan."), "success")
            return redirect(url_for("attendance.manage.excuse_list"))
    others = db.session.scalars(select(Excuse).where(Excuse.user_id == item.user_id, Excuse.id != item.id)
                                .order_by(Excuse.submitted_at.desc()).limit(10)).all()
    return render_template("attendance/excuse_decide.html", excuse=item, form=form,
                           others=others), 422 if form.errors else 200
