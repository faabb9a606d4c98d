"""Organiser area: cohorts, participant import with preview, and the cohort progress table."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from accounts.domain import DomainError, apply_to_form
from accounts.guards import guard_blueprint, roles_required
from accounts.mail import send_mail
from accounts.roles import ADMIN, ORGANISER, TRAINER
from accounts.services import issue_password_token
from courses import enrolment as enrolments
from courses import progress, services
from courses.forms import CohortForm, NewCohortForm, ParticipantImportForm, ProgressFilterForm
from courses.models import Cohort, Course, Enrolment
from courses.participants_file import ParticipantFileError, read_participants
from extensions import db

bp = Blueprint("cohorts", __name__, url_prefix="/organiser")
guard_blueprint(bp, ORGANISER, ADMIN, TRAINER)
staff_only = roles_required(ORGANISER, ADMIN)

FILE_ERRORS = {
    "empty": _("Berkas kosong."),
    "no_header": _("Judul kolom tidak ditemukan. Baris pertama harus memuat setidaknya 'nama' dan 'email'."),
    "too_many_rows": _("Terlalu banyak baris (maksimal 20.000)."),
    "xlsx_unreadable": _("Berkas XLSX tidak dapat dibaca."),
    "not_text": _("Berkas bukan CSV atau XLSX."),
    "encoding": _("Berkas bukan teks yang dapat dibaca."),
    "too_large": _("Berkas XLSX terlalu besar setelah dibuka (maksimal 64 MB data)."),
}


def init_app(app) -> None:
    def nav(user):
        if user.has_role(ORGANISER, ADMIN):
            return [{"url": url_for("cohorts.index"), "label": _("Angkatan")}]
        return []

    app.extensions.setdefault("nav_items", []).append(nav)


def _cohort(cohort_id: int) -> Cohort:
    cohort = db.session.get(Cohort, cohort_id) or abort(404)
    if not current_user.has_role(ORGANISER, ADMIN) and not services.can_edit(current_user, cohort.course):
        abort(403)
    return cohort


@bp.route("/cohorts")
@staff_only
def index():
    # db.paginate yields only the first column of each row, so the counts are fetched for the page's cohorts
    page = db.paginate(select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc()), per_page=25,
                       max_per_page=100, error_out=False, count=True)
    counts = dict(db.session.execute(
        select(Enrolment.cohort_id, func.count()).where(Enrolment.cohort_id.in_([c.id for c in page.items]),
                                                        Enrolment.status == "active")
        .group_by(Enrolment.cohort_id)).all())
    page.items = [(cohort, counts.get(cohort.id, 0)) for cohort in page.items]
    return render_template("courses/cohort_list.html", page=page)


def _course_choices() -> list[tuple[int, str]]:
    courses = db.session.scalars(select(Course).order_by(Course.title)).all()
    return [(c.id, c.title) for c in courses if c.versions]


@bp.route("/cohorts/new", methods=["GET", "POST"])
@staff_only
def new():
    form = NewCohortForm()
    form.course_id.choices = _course_choices()
    if form.validate_on_submit():
        course = db.session.get(Course, form.course_id.data) or abort(400)
        try:
            cohort = enrolments.create_cohort(
                course, name=form.name.data, starts_on=form.starts_on.data, ends_on=form.ends_on.data,
                timezone=form.timezone.data, capacity=form.capacity.data, enrol_mode=form.enrol_mode.data,
                certificate_approval=form.certificate_approval.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Angkatan dibuat."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("courses/cohort_form.html", form=form, cohort=None), 422 if form.errors else 200


@bp.route("/cohorts/<int:cohort_id>")
def detail(cohort_id: int):
    cohort = _cohort(cohort_id)
    return render_template("courses/cohort_detail.html", cohort=cohort, count=enrolments.active_count(cohort),
                           complete=progress.modules_complete_count(cohort),
                           panels=[p for provider in current_app.extensions.get("cohort_panels", [])
                                   for p in provider(cohort, current_user)])


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@staff_only
def edit(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = CohortForm(obj=cohort)
    if form.validate_on_submit():
        try:
            enrolments.update_cohort(cohort, name=form.name.data, starts_on=form.starts_on.data,
                                     ends_on=form.ends_on.data, timezone=form.timezone.data,
                                     capacity=form.capacity.data, enrol_mode=form.enrol_mode.data,
                                     certificate_approval=form.certificate_approval.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Angkatan tersimpan."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("courses/cohort_form.html", form=form, cohort=cohort), 422 if form.errors else 200


def _staging_dir() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _invite(user) -> None:
    token = issue_password_token(user, purpose="welcome", hours=24 * 14)
    link = url_for("accounts.reset_password", token=token, _external=True)
    send_mail(user.email, _("Undangan Bimtek Halal: buat kata sandi Anda"),
              _("Anda didaftarkan sebagai peserta bimtek. Buat kata sandi melalui tautan sekali pakai ini "
                "(berlaku 14 hari):") + "\n\n" + link + "\n")


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@staff_only
def import_participants(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = ParticipantImportForm()
    token = request.form.get("staged", "")
    if token and request.form.get("confirm"):
        if not (len(token) == 32 and token.isalnum()) or not (_staging_dir() / f"{token}.json").exists():
            flash(_("Pratinjau sudah kedaluwarsa. Unggah berkas lagi."), "error")
            return redirect(url_for("cohorts.import_participants", cohort_id=cohort.id))
        from courses.participants_file import ParticipantRow

        staged_path = _staging_dir() / f"{token}.json"
        rows = [ParticipantRow(**r) for r in json.loads(staged_path.read_text())]
        results = enrolments.import_participants(cohort, rows, apply=True, invite=_invite)
        db.session.commit()
        staged_path.unlink(missing_ok=True)
        return render_template("courses/import_report.html", cohort=cohort, results=results,
                               counts=enrolments.summarise(results), applied=True)
    if form.validate_on_submit():
        upload = form.file.data
        try:
            rows = read_participants(upload.read(), upload.filename)
        except ParticipantFileError as exc:
            message = FILE_ERRORS.get(exc.code, exc.code)
            form.file.errors.append(f"{message}" + (f" ({_('baris')} {exc.line})" if exc.line else ""))
        else:
            results = enrolments.import_participants(cohort, rows, apply=False)
            token = secrets.token_hex(16)
            (_staging_dir() / f"{token}.json").write_text(json.dumps([r.__dict__ for r in rows]))
            db.session.rollback()
            return render_template("courses/import_report.html", cohort=cohort, results=results,
                                   counts=enrolments.summarise(results), applied=False, staged=token)
    return render_template("courses/import_form.html", cohort=cohort, form=form), 422 if form.errors else 200


@bp.route("/cohorts/<int:cohort_id>/progress")
def progress_table(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = ProgressFilterForm(request.args)
    form.validate()
    modules = progress.version_modules(cohort.course_version_id)
    page, done = progress.cohort_progress_page(
        cohort, province=form.province.data or None, plut=form.plut.data or None, q=form.q.data or None,
        page=request.args.get("page", 1, type=int))
    return render_template("courses/cohort_progress.html", cohort=cohort, modules=modules, page=page, done=done,
                           form=form)
