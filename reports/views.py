"""Organiser dashboards: the funnel, breakdowns, exports and the audit log."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts.guards import guard_blueprint
from accounts.models import AuditEvent, User
from accounts.roles import ADMIN, ORGANISER
from courses.models import Cohort
from extensions import db
from reports import funnel as funnels
from reports.exports import csv_response, xlsx_response
from reports.forms import AuditFilterForm, FunnelFilterForm
from reports.steps import STEP_LABELS

bp = Blueprint("reports", __name__, url_prefix="/reports")
guard_blueprint(bp, ORGANISER, ADMIN)

FUNNEL_COLUMNS = ("group_by", "group", "step", "step_order", "count")


def init_app(app) -> None:
    def nav(user):
        if user.has_role(ORGANISER, ADMIN):
            return [{"url": url_for("reports.funnel"), "label": _("Laporan")}]
        return []

    app.extensions.setdefault("nav_items", []).append(nav)


def _filters(form: FunnelFilterForm) -> funnels.Filters:
    form.cohort.choices = [(c.id, c.name) for c in db.session.scalars(select(Cohort).order_by(Cohort.starts_on.desc()))]
    form.validate()
    valid_ids = {c for c, _ in form.cohort.choices}
    return funnels.Filters(cohort_ids=[c for c in (form.cohort.data or []) if c in valid_ids],
                           province=form.province.data or None, plut=(form.plut.data or "").strip() or None,
                           consultant_field=form.field.data or None)


def _label(key: str, label) -> str:
    return str(label if label is not None else STEP_LABELS.get(key, key))


@bp.route("/funnel")
def funnel():
    form = FunnelFilterForm(request.args)
    filters = _filters(form)
    by = form.by.data if form.by.data in ("province", "plut") else "province"
    rows = funnels.funnel(filters)
    for row in rows:
        row["label"] = _label(row["key"], row["label"])
    table = funnels.breakdown(filters, by)
    page = request.args.get("page", 1, type=int)
    per_page = 40
    pages = max(1, -(-len(table) // per_page))
    page = min(max(page, 1), pages)
    return render_template(
        "reports/funnel.html", form=form, rows=rows, table=table[(page - 1) * per_page: page * per_page],
        page=page, pages=pages, total_groups=len(table), by=by,
        without=funnels.provinces_without_certified(funnels.breakdown(filters, "province") if by != "province"
                                                    else table),
        steps=[(r["key"], r["label"]) for r in rows], export_args=request.args.to_dict(flat=False),
    )


def _funnel_rows(filters: funnels.Filters, by: str):
    """Tidy rows: one per (group, step)."""
    keys = ["registered", *[s.key for s in funnels.steps()]]
    for row in funnels.funnel(filters):
        yield ("all", "", row["key"], keys.index(row["key"]), row["count"])
    for row in funnels.breakdown(filters, by):
        for order, key in enumerate(keys):
            yield (by, row["group"] or "", key, order, row[key])


@bp.route("/funnel.<fmt>")
def funnel_export(fmt: str):
    form = FunnelFilterForm(request.args)
    filters = _filters(form)
    by = form.by.data if form.by.data in ("province", "plut") else "province"
    rows = _funnel_rows(filters, by)
    if fmt == "xlsx":
        return xlsx_response("funnel.xlsx", FUNNEL_COLUMNS, rows, sheet="funnel")
    if fmt == "csv":
        return csv_response("funnel.csv", FUNNEL_COLUMNS, rows)
    from flask import abort

    abort(404)


@bp.route("/audit")
def audit():
    form = AuditFilterForm(request.args)
    form.validate()
    stmt = select(AuditEvent).options(joinedload(AuditEvent.actor)).order_by(AuditEvent.id.desc())
    if form.action.data:
        stmt = stmt.where(AuditEvent.action.like(f"{form.action.data.strip()}%"))
    if form.actor.data:
        stmt = stmt.join(User, User.id == AuditEvent.actor_id).where(User.email == form.actor.data.strip().lower())
    if form.target.data:
        value = form.target.data.strip()
        stmt = stmt.where((AuditEvent.target_type == value) | (AuditEvent.target_id == value))
    page = db.paginate(stmt, per_page=50, max_per_page=200, error_out=False)
    return render_template("reports/audit.html", form=form, page=page)
