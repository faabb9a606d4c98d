"""The programme funnel: registered → enrolled → started → … → certified, overall and by province/PLUT.

Each step (reports/steps.py) maps a subquery of enrolment ids (the filtered population) to the enrolment
ids that reached it, using the selects each capability's services offer. Every step counts the people who
meet its own condition; counts are of distinct people, so someone in two cohorts counts once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Select, func, select

from accounts.models import User, UserRole
from accounts.provinces import PROVINCES
from courses.models import Enrolment
from extensions import db


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: object
    order: int
    select: Callable[[Select], Select]  # enrolment-id subquery → ids that reached the step


@dataclass
class Filters:
    cohort_ids: list[int] = field(default_factory=list)
    province: str | None = None
    plut: str | None = None
    consultant_field: str | None = None

    def as_args(self) -> dict:
        args = {"cohort": self.cohort_ids, "province": self.province, "plut": self.plut,
                "field": self.consultant_field}
        return {k: v for k, v in args.items() if v}


def steps() -> list[FunnelStep]:
    from reports.steps import STEPS

    return sorted(STEPS, key=lambda s: s.order)


def _user_filter(stmt, filters: Filters):
    if filters.province:
        stmt = stmt.where(User.province == filters.province)
    if filters.plut:
        stmt = stmt.where(User.plut_unit == filters.plut)
    if filters.consultant_field:
        stmt = stmt.where(User.consultant_field == filters.consultant_field)
    return stmt


def population(filters: Filters) -> Select:
    """Active enrolment ids of the filtered population."""
    stmt = select(Enrolment.id).join(User, User.id == Enrolment.user_id).where(Enrolment.status == "active")
    if filters.cohort_ids:
        stmt = stmt.where(Enrolment.cohort_id.in_(filters.cohort_ids))
    return _user_filter(stmt, filters)


def _registered(filters: Filters, group=None):
    stmt = select(*(group or ()), func.count(func.distinct(User.id))).join(UserRole, UserRole.user_id == User.id)
    stmt = _user_filter(stmt.where(UserRole.role == "consultant", User.active), filters)
    if filters.cohort_ids:  # within cohorts, "registered" means registered and enrolled there
        stmt = stmt.where(User.id.in_(select(Enrolment.user_id).where(Enrolment.cohort_id.in_(filters.cohort_ids))))
    return stmt.group_by(*group) if group else stmt


def funnel(filters: Filters) -> list[dict]:
    """[{key, label, count, percent_of_first, percent_of_previous}] for the whole filtered population."""
    base = population(filters)
    rows = [{"key": "registered", "label": None, "count": db.session.scalar(_registered(filters)) or 0}]
    for step in steps():
        ids = step.select(base.subquery())
        count = db.session.scalar(
            select(func.count(func.distinct(Enrolment.user_id))).where(Enrolment.id.in_(ids))) or 0
        rows.append({"key": step.key, "label": step.label, "count": count})
    first = rows[0]["count"] or 0
    previous = None
    for row in rows:
        row["percent"] = round(100 * row["count"] / first, 1) if first else 0.0
        row["percent_of_previous"] = (round(100 * row["count"] / previous, 1) if previous else None)
        previous = row["count"]
    return rows


def breakdown(filters: Filters, by: str = "province") -> list[dict]:
    """Step counts per province (all 38 listed) or per PLUT unit."""
    column = User.province if by == "province" else User.plut_unit
    base = population(filters)
    table: dict[str | None, dict] = {}
    if by == "province":
        for name in PROVINCES:
            table[name] = {"group": name}
    for group, count in db.session.execute(_registered(filters, (column,))):
        table.setdefault(group, {"group": group})["registered"] = count
    for step in steps():
        ids = step.select(base.subquery())
        stmt = (select(column, func.count(func.distinct(Enrolment.user_id))).join(User, User.id == Enrolment.user_id)
                .where(Enrolment.id.in_(ids)).group_by(column))
        for group, count in db.session.execute(stmt):
            table.setdefault(group, {"group": group})[step.key] = count
    keys = ["registered", *[s.key for s in steps()]]
    rows = []
    for row in table.values():
        for key in keys:
            row.setdefault(key, 0)
        rows.append(row)
    return sorted(rows, key=lambda r: (r["group"] is None, -r["registered"], str(r["group"])))


def provinces_without_certified(rows: list[dict]) -> list[str]:
    """Provinces (of the 38) where nobody is certified yet."""
    return [r["group"] for r in rows if r["group"] in PROVINCES and not r.get("certified")]
