"""Organiser area: eligibility per cohort, approve/issue (one or all), revoke, re-issue, ZIP, CSV and XLSX."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from accounts.domain import DomainError, message_for
from accounts.forms import EmptyForm
from accounts.guards import guard_blueprint
from accounts.models import AuditEvent
from accounts.roles import ADMIN, ORGANISER
from certificates import documents, issuing, services
from certificates.forms import CertificateSearchForm, EligibilityFilterForm, ReissueForm, RevokeForm
from certificates.models import Certificate
from certificates.views import credential_response, page_arg, pdf_response
from courses.models import Cohort, Enrolment
from extensions import db

bp = Blueprint("certificates_admin", __name__, url_prefix="/organiser/certificates")
guard_blueprint(bp, ORGANISER, ADMIN)
PER_PAGE = 25


def _cohort(cohort_id: int) -> Cohort:
    return db.session.get(Cohort, cohort_id) or abort(404)


def _certificate(cert_id: int) -> Certificate:
    return db.session.get(Certificate, cert_id) or abort(404)


def _commit(success: str) -> bool:
    """Commit once; a concurrent issue that won the race shows as a friendly message."""
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash(message_for(services.CertificateError("cert_conflict")), "error")
        return False
    flash(success, "success")
    return True


@bp.route("")
def index():
    form = CertificateSearchForm(request.args)
    form.validate()
    found = None
    if form.q.data and form.q.data.strip():
        text = form.q.data.strip()
        like = f"%{text.lower()}%"
        stmt = (select(Certificate).where(or_(func.lower(Certificate.number).like(like),
                                              func.lower(Certificate.holder_name).like(like)))
                .order_by(Certificate.issued_at.desc(), Certificate.id.desc()))
        found = db.paginate(stmt, page=page_arg(), per_page=PER_PAGE, max_per_page=100, error_out=False)
    cohorts = db.paginate(select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.id.desc()),
                          page=1 if found else page_arg(), per_page=PER_PAGE, max_per_page=100, error_out=False)
    issued = services.issued_counts_by_cohort(c.id for c in cohorts.items)
    return render_template("certificates/admin_index.html", form=form, found=found, cohorts=cohorts,
                           issued=issued, status_of=services.status_of)


@bp.route("/cohorts/<int:cohort_id>")
def eligibility(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = EligibilityFilterForm(request.args)
    form.validate()
    error, page, counts = None, None, None
    try:
        everyone = services.cohort_standings(cohort, q=form.q.data or None, province=form.province.data or None)
    except services.CertificateError as exc:
        error = message_for(exc)
    else:
        counts = {state: sum(1 for r in everyone if r.state == state) for state in services.STATES}
        rows = [r for r in everyone if r.state == form.state.data] if form.state.data else everyone
        page = services.paginate_list(rows, page_arg(), PER_PAGE)
    return render_template("certificates/eligibility.html", cohort=cohort, form=form, page=page, counts=counts,
                           error=error, action_form=EmptyForm(), status_of=services.status_of)


@bp.route("/cohorts/<int:cohort_id>/issue/<int:enrolment_id>", methods=["POST"])
def issue_one(cohort_id: int, enrolment_id: int):
    cohort = _cohort(cohort_id)
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.cohort_id != cohort.id:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    mode = "approved" if cohort.certificate_approval else "manual"
    try:
        cert = issuing.issue(enrolment, by=current_user, mode=mode)
    except DomainError as exc:
        db.session.rollback()
        flash(message_for(exc), "error")
    else:
        _commit(_("Sertifikat %(number)s terbit untuk %(name)s.", number=cert.number, name=enrolment.user.full_name))
    return redirect(request.form.get("back") if _same_page(request.form.get("back"))
                    else url_for("certificates_admin.eligibility", cohort_id=cohort.id))


def _same_page(target: str | None) -> bool:
    return bool(target) and target.startswith("/organiser/certificates/") and "//" not in target


@bp.route("/cohorts/<int:cohort_id>/issue-all", methods=["POST"])
def issue_all(cohort_id: int):
    cohort = _cohort(cohort_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        result = issuing.bulk_issue(cohort, by=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(message_for(exc), "error")
    else:
        _commit(_("%(n)s sertifikat terbit. %(already)s sudah punya sertifikat, %(not_met)s belum memenuhi syarat.",
                  n=len(result.issued), already=result.already, not_met=result.not_met))
    return redirect(url_for("certificates_admin.eligibility", cohort_id=cohort.id))


def _download(spool, name: str, mimetype: str):
    response = send_file(spool, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _export_name(cohort: Cohort, ext: str) -> str:
    return f"sertifikat-angkatan-{cohort.id}-{documents.today_stamp()}.{ext}"


@bp.route("/cohorts/<int:cohort_id>/certificates.zip")
def export_zip(cohort_id: int):
    cohort = _cohort(cohort_id)
    return _download(documents.zip_of_pdfs(cohort.id), _export_name(cohort, "zip"), "application/zip")


@bp.route("/cohorts/<int:cohort_id>/certificates.csv")
def export_csv(cohort_id: int):
    cohort = _cohort(cohort_id)
    return _download(documents.csv_of_cohort(cohort.id), _export_name(cohort, "csv"), "text/csv")


@bp.route("/cohorts/<int:cohort_id>/certificates.xlsx")
def export_xlsx(cohort_id: int):
    cohort = _cohort(cohort_id)
    return _download(documents.xlsx_of_cohort(cohort.id), _export_name(cohort, "xlsx"),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/<int:cert_id>")
def detail(cert_id: int):
    cert = _certificate(cert_id)
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.target_type == "certificate",
                                                         AuditEvent.target_id == str(cert.id))
                                .order_by(AuditEvent.created_at, AuditEvent.id)).all()
    return render_template("certificates/admin_detail.html", cert=cert, events=events,
                           record=services.public_record(cert), replacement=services.replacement_of(cert),
                           revoke_form=RevokeForm(prefix="revoke"), reissue_form=ReissueForm(prefix="reissue"),
                           verify_url=documents.verify_url(cert))


@bp.route("/<int:cert_id>/revoke", methods=["POST"])
def revoke(cert_id: int):
    cert = _certificate(cert_id)
    form = RevokeForm(prefix="revoke")
    if not form.validate_on_submit():
        flash(message_for(services.CertificateError("cert_reason_required")), "error")
        return redirect(url_for("certificates_admin.detail", cert_id=cert.id))
    try:
        issuing.revoke(cert, by=current_user, reason=form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(message_for(exc), "error")
    else:
        _commit(_("Sertifikat %(number)s dicabut.", number=cert.number))
    return redirect(url_for("certificates_admin.detail", cert_id=cert.id))


@bp.route("/<int:cert_id>/reissue", methods=["POST"])
def reissue(cert_id: int):
    cert = _certificate(cert_id)
    form = ReissueForm(prefix="reissue")
    if not form.validate_on_submit():
        flash(message_for(services.CertificateError("cert_reason_required")), "error")
        return redirect(url_for("certificates_admin.detail", cert_id=cert.id))
    try:
        new = issuing.reissue(cert, by=current_user, reason=form.reason.data)
    except DomainError as exc:
        db.session.rollback()
        flash(message_for(exc), "error")
        return redirect(url_for("certificates_admin.detail", cert_id=cert.id))
    if _commit(_("Sertifikat pengganti %(number)s terbit.", number=new.number)):
        return redirect(url_for("certificates_admin.detail", cert_id=new.id))
    return redirect(url_for("certificates_admin.detail", cert_id=cert_id))


@bp.route("/<int:cert_id>/pdf")
def pdf(cert_id: int):
    return pdf_response(_certificate(cert_id))


@bp.route("/<int:cert_id>/credential")
def credential(cert_id: int):
    return credential_response(_certificate(cert_id))
