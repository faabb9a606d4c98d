"""Consultant area: my certificates and what remains, downloads, registry opt-in; plus the app hooks.

Automatic issue: the consultant's certificate page (``/certificates``) evaluates each active
enrolment and issues when the cohort issues automatically and the rule is met. Other packages
can trigger the same after a consultant's action through ``app.extensions["progress_hooks"]``
(each hook is ``fn(enrolment)``, called before their commit).
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from accounts.domain import DomainError, message_for
from accounts.roles import ADMIN, ORGANISER
from certificates import documents, issuing, services
from certificates.forms import RegistryForm
from certificates.rules import Requirement as RuleRequirement
from certificates.services import CertificateError
from courses import enrolment as enrolments
from courses.requirements import Requirement, register_provider
from extensions import db

bp = Blueprint("certificates", __name__, url_prefix="/certificates")
log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# Wording of a rule requirement (shared by every certificate template)
# ---------------------------------------------------------------------------------------------


def _pct(value) -> str:
    from flask_babel import format_decimal

    return format_decimal(round(float(value), 2), format="#,##0.##")


def requirement_label(req: RuleRequirement) -> str:
    """A short translated name for one line of the checklist."""
    params = req.label_params
    if req.kind == "modules":
        return _("Semua modul") if params.get("all") else _("Modul wajib")
    if req.kind == "quiz":
        return _("Kuis: %(title)s", title=params.get("title") or req.key)
    if req.kind == "attendance":
        return _("Kehadiran sesi langsung")
    return _("Post-test")


def requirement_detail(req: RuleRequirement) -> str:
    """Progress and, when unmet, what is still missing, in words."""
    params = req.label_params
    if req.kind == "modules":
        text = _("%(done)s dari %(total)s modul selesai", done=params["completed"], total=params["required"])
        if params.get("unknown"):
            text += " · " + _("modul tidak ada di versi kursus: %(slugs)s", slugs=", ".join(params["unknown"]))
        return text
    if req.kind in ("quiz", "posttest") and params.get("min_percent") is not None:
        minimum = _pct(params["min_percent"])
        if params.get("best_percent") is None:
            text = _("belum ada nilai; minimal %(min)s%%", min=minimum)
        else:
            text = _("nilai terbaik %(best)s%%, minimal %(min)s%%", best=_pct(params["best_percent"]), min=minimum)
        if req.missing.awaiting_grading:
            text += " · " + _("menunggu penilaian")
        return text
    if req.kind == "posttest":
        return _("sudah lulus") if req.met else _("belum lulus")
    text = _("%(pct)s%% hadir, minimal %(min)s%%", pct=_pct(req.progress.done), min=_pct(params["min_percent"]))
    if params.get("excused"):
        text += " · " + _("%(n)s sesi izin tidak dihitung", n=params["excused"])
    if not req.met and not req.missing.achievable:
        text += " · " + _("sisa sesi tidak lagi cukup; hubungi penyelenggara")
    return text


def cert_date(value, zone: str | None = None) -> str:
    """A snapshot date (ISO text) or a UTC moment (shown in ``zone``) as a long localised date."""
    from flask_babel import format_date

    if not value:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    elif isinstance(value, datetime):
        value = value.astimezone(ZoneInfo(zone or "Asia/Jakarta")).date()
    return format_date(value, "long")


def certificate_requirements(enrolment) -> list[Requirement]:
    """The "what remains" line for the certificate: issued, waiting, or what is still missing."""
    try:
        standing = services.standing(enrolment)
    except CertificateError as exc:
        if exc.code == "cert_rule_missing":
            return []
        return [Requirement(kind="certificate", label=_("Sertifikat"), met=False, detail=message_for(exc), order=90)]
    url = url_for("certificates.index")
    reqs = standing.evaluation.requirements
    done = sum(1 for r in reqs if r.met)
    if standing.certificate is not None:
        cert = standing.certificate
        return [Requirement(kind="certificate", label=_("Sertifikat"), met=True,
                            detail=_("Sudah terbit, nomor %(number)s", number=cert.number), url=url,
                            done=done, total=len(reqs), evidence={"certificate_id": cert.id, "number": cert.number},
                            order=90)]
    checklist = [{"kind": r.kind, "key": r.key, "met": r.met, "label": requirement_label(r),
                  "detail": requirement_detail(r)} for r in reqs]
    if standing.eligible:
        detail = (_("Semua syarat terpenuhi; menunggu persetujuan penyelenggara.") if standing.approval
                  else _("Semua syarat terpenuhi. Buka halaman sertifikat untuk menerimanya."))
    else:
        detail = _("Belum terpenuhi: %(items)s",
                   items="; ".join(f"{c['label']} ({c['detail']})" for c in checklist if not c["met"]))
    return [Requirement(kind="certificate", label=_("Sertifikat"), met=False, detail=detail, url=url, done=done,
                        total=len(reqs), evidence={"requirements": checklist}, order=90)]


def _auto_issue_hook(enrolment) -> None:
    """For other packages: call after a consultant's action, before committing."""
    if issuing.maybe_auto_issue(enrolment) is not None and has_request_context():
        flash(_("Selamat! Sertifikat Anda sudah terbit."), "success")


def init_app(app) -> None:
    register_provider(app, certificate_requirements)
    app.extensions.setdefault("progress_hooks", []).append(_auto_issue_hook)
    app.jinja_env.globals.update(cert_requirement_label=requirement_label,
                                 cert_requirement_detail=requirement_detail)
    app.jinja_env.filters["cert_date"] = cert_date

    def nav(user):
        items = [{"url": url_for("certificates.index"), "label": _("Sertifikat saya")}]
        if user.has_role(ORGANISER, ADMIN):
            items.append({"url": url_for("certificates_admin.index"), "label": _("Penerbitan sertifikat")})
        return items

    def dashboard(user):
        certs = [c for c in services.user_certificates(user) if c.status == "issued"]
        if not certs:
            return []
        return [{"template": "certificates/_dashboard_panel.html", "certificates": certs}]

    def cohort_panel(cohort, user):
        if not user.has_role(ORGANISER, ADMIN):
            return []
        return [{"template": "certificates/_cohort_panel.html", "cohort": cohort,
                 "counts": services.eligibility_counts(cohort)}]

    app.extensions.setdefault("nav_items", []).append(nav)
    app.extensions.setdefault("dashboard_panels", []).append(dashboard)
    app.extensions.setdefault("cohort_panels", []).append(cohort_panel)


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------


def _issue_what_is_due(items) -> int:
    """Automatic issue for the consultant's own enrolments; a concurrent issue is not an error."""
    issued = 0
    for enrolment in items:
        try:
            if issuing.maybe_auto_issue(enrolment) is not None:
                db.session.commit()
                issued += 1
        except IntegrityError:  # a concurrent request issued it first
            db.session.rollback()
        except DomainError as exc:  # e.g. a broken number pattern: the organiser must fix the settings
            db.session.rollback()
            log.warning("automatic issue failed for enrolment %s: %s", enrolment.id, exc.code)
    return issued


@bp.route("")
def index():
    items = enrolments.user_enrolments(current_user)
    if _issue_what_is_due(items):
        flash(_("Selamat! Sertifikat Anda sudah terbit."), "success")
    rows = []
    for enrolment in items:
        try:
            rows.append({"enrolment": enrolment, "standing": services.standing(enrolment), "error": None})
        except CertificateError as exc:
            rows.append({"enrolment": enrolment, "standing": None,
                         "error": None if exc.code == "cert_rule_missing" else message_for(exc)})
    certificates = services.user_certificates(current_user)
    form = RegistryForm(listed=services.is_listed(current_user))
    return render_template("certificates/my_certificates.html", rows=rows, certificates=certificates,
                           status_of=services.status_of, registry_form=form,
                           can_list=services.has_valid_certificate(current_user))


def _mine(cert_id: int):
    return services.owned_certificate(cert_id, current_user) or abort(404)


def pdf_response(cert) -> Response:
    response = send_file(_bytes_io(documents.render_pdf(cert)), mimetype="application/pdf", as_attachment=True,
                         download_name=documents.pdf_filename(cert), max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


def credential_response(cert) -> Response:
    body = json.dumps(documents.signed_credential(cert), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{documents.credential_filename(cert)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _bytes_io(data: bytes):
    import io

    return io.BytesIO(data)


@bp.route("/<int:cert_id>/pdf")
def pdf(cert_id: int):
    return pdf_response(_mine(cert_id))


@bp.route("/<int:cert_id>/credential")
def credential(cert_id: int):
    return credential_response(_mine(cert_id))


@bp.route("/registry", methods=["POST"])
def registry():
    form = RegistryForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        listed = services.set_listing(current_user, bool(form.listed.data))
    except DomainError as exc:
        db.session.rollback()
        flash(message_for(exc), "error")
    else:
        db.session.commit()
        flash(_("Nama Anda tampil di daftar publik.") if listed else _("Nama Anda tidak lagi tampil di daftar publik."),
              "success")
    return redirect(url_for("certificates.index") + "#registry")


def safe_int(value, default: int = 1) -> int:
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return default


def page_arg() -> int:
    return safe_int(request.args.get("page"))
