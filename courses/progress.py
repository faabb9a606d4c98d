"""Module progress: marking done, carry-over across versions, resume point, sequential locks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from accounts.models import utcnow
from courses.models import Cohort, CourseVersion, Enrolment, ModuleProgress, ModuleVersion
from extensions import db


@dataclass
class ModuleState:
    module: ModuleVersion
    done: bool
    locked: bool


def version_modules(version_id: int) -> list[ModuleVersion]:
    """The modules of a published version, in order (one query). The bodies are left out: only the page that shows
    a module reads its body (one more small query), lists and progress never do."""
    stmt = (select(ModuleVersion).where(ModuleVersion.course_version_id == version_id)
            .options(defer(ModuleVersion.body_md), defer(ModuleVersion.body_html))
            .order_by(ModuleVersion.position))
    return list(db.session.scalars(stmt))


def progress_map(enrolment: Enrolment) -> dict[int, ModuleProgress]:
    """module_id → progress row, for one enrolment (one query)."""
    stmt = select(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment.id)
    return {p.module_id: p for p in db.session.scalars(stmt)}


def counts_as_done(progress: ModuleProgress | None, module: ModuleVersion) -> bool:
    """Progress carries over unless a later publish marked the module must re-read."""
    return progress is not None and progress.version_number >= module.valid_from_version


def module_states(enrolment: Enrolment, modules: list[ModuleVersion], sequential: bool) -> list[ModuleState]:
    """Each module with done/locked, for the sidebar and the course page."""
    progress = progress_map(enrolment)
    states: list[ModuleState] = []
    previous_done = True
    for module in modules:
        done = counts_as_done(progress.get(module.module_id), module)
        states.append(ModuleState(module=module, done=done, locked=sequential and not previous_done))
        previous_done = done
    return states


def complete_module(enrolment: Enrolment, module: ModuleVersion, via: str = "manual") -> ModuleProgress:
    """Record a module as done in the version the consultant read; idempotent."""
    version_number = db.session.scalar(
        select(CourseVersion.number).where(CourseVersion.id == module.course_version_id)
    )
    record = db.session.scalar(
        select(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment.id,
                                     ModuleProgress.module_id == module.module_id)
    )
    if record is None:
        record = ModuleProgress(enrolment_id=enrolment.id, module_id=module.module_id, version_number=version_number,
                                via=via)
        db.session.add(record)
    elif record.version_number < version_number:
        record.version_number = version_number
        record.completed_at = utcnow()
        record.via = via
    if enrolment.started_at is None:
        enrolment.started_at = utcnow()
    return record


def undo_module(enrolment: Enrolment, module: ModuleVersion) -> None:
    """Take back a manual tick."""
    record = db.session.scalar(
        select(ModuleProgress).where(ModuleProgress.enrolment_id == enrolment.id,
                                     ModuleProgress.module_id == module.module_id)
    )
    if record is not None:
        db.session.delete(record)


def note_opened(enrolment: Enrolment, module: ModuleVersion) -> None:
    """Remember where the consultant stopped, so reopening the course resumes there."""
    if enrolment.last_module_id != module.module_id:
        enrolment.last_module_id = module.module_id
    if enrolment.started_at is None:
        enrolment.started_at = utcnow()


def resume_module(enrolment: Enrolment, states: list[ModuleState]) -> ModuleVersion | None:
    """The last opened module if it is not done, else the first open one, else the last one."""
    for state in states:
        if state.module.module_id == enrolment.last_module_id and not state.done and not state.locked:
            return state.module
    for state in states:
        if not state.done and not state.locked:
            return state.module
    return states[-1].module if states else None


def done_count(enrolment: Enrolment, modules: list[ModuleVersion]) -> int:
    progress = progress_map(enrolment)
    return sum(1 for m in modules if counts_as_done(progress.get(m.module_id), m))


def cohort_done_counts(cohort: Cohort, enrolment_ids: list[int]) -> dict[int, set[int]]:
    """enrolment_id → set of module_ids done (valid for the cohort's version), in one query."""
    if not enrolment_ids:
        return {}
    stmt = (
        select(ModuleProgress.enrolment_id, ModuleProgress.module_id)
        .join(ModuleVersion, (ModuleVersion.module_id == ModuleProgress.module_id)
              & (ModuleVersion.course_version_id == cohort.course_version_id))
        .where(ModuleProgress.enrolment_id.in_(enrolment_ids),
               ModuleProgress.version_number >= ModuleVersion.valid_from_version)
    )
    result: dict[int, set[int]] = {eid: set() for eid in enrolment_ids}
    for enrolment_id, module_id in db.session.execute(stmt):
        result[enrolment_id].add(module_id)
    return result


def modules_complete_count(cohort: Cohort) -> int:
    """How many active enrolments of a cohort have every module done (for funnels)."""
    total_modules = db.session.scalar(
        select(func.count()).select_from(ModuleVersion)
        .where(ModuleVersion.course_version_id == cohort.course_version_id)
    )
    if not total_modules:
        return 0
    done = (
        select(ModuleProgress.enrolment_id)
        .join(ModuleVersion, (ModuleVersion.module_id == ModuleProgress.module_id)
              & (ModuleVersion.course_version_id == cohort.course_version_id))
        .join(Enrolment, Enrolment.id == ModuleProgress.enrolment_id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status == "active",
               ModuleProgress.version_number >= ModuleVersion.valid_from_version)
        .group_by(ModuleProgress.enrolment_id)
        .having(func.count() >= total_modules)
    ).subquery()
    return db.session.scalar(select(func.count()).select_from(done)) or 0


def cohort_progress_page(cohort: Cohort, *, province: str | None = None, plut: str | None = None,
                         q: str | None = None, page: int = 1, per_page: int = 50):
    """One page of participants × modules for a cohort, filtered; a fixed number of queries per page."""
    from accounts.models import User

    stmt = (select(Enrolment).join(User, User.id == Enrolment.user_id)
            .where(Enrolment.cohort_id == cohort.id, Enrolment.status == "active")
            .order_by(User.full_name, Enrolment.id))
    if province:
        stmt = stmt.where(User.province == province)
    if plut:
        stmt = stmt.where(User.plut_unit.ilike(f"%{plut.strip()}%"))
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where((User.email.like(like)) | (User.full_name.ilike(like)))
    from sqlalchemy.orm import joinedload

    pagination = db.paginate(stmt.options(joinedload(Enrolment.user)), page=page, per_page=per_page,
                             max_per_page=200, error_out=False)
    done = cohort_done_counts(cohort, [e.id for e in pagination.items])
    return pagination, done


def started_select(enrolment_ids):
    """Enrolment ids (of a subquery) that opened at least one module."""
    return select(Enrolment.id).where(Enrolment.id.in_(select(enrolment_ids.c.id)), Enrolment.started_at.is_not(None))


def all_modules_done_select(enrolment_ids):
    """Enrolment ids (of a subquery) with every module of their cohort's version done."""
    totals = (select(ModuleVersion.course_version_id, func.count().label("n"))
              .group_by(ModuleVersion.course_version_id).subquery())
    done = (
        select(ModuleProgress.enrolment_id)
        .join(Enrolment, Enrolment.id == ModuleProgress.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(ModuleVersion, (ModuleVersion.module_id == ModuleProgress.module_id)
              & (ModuleVersion.course_version_id == Cohort.course_version_id))
        .join(totals, totals.c.course_version_id == Cohort.course_version_id)
        .where(ModuleProgress.enrolment_id.in_(select(enrolment_ids.c.id)),
               ModuleProgress.version_number >= ModuleVersion.valid_from_version)
        .group_by(ModuleProgress.enrolment_id, totals.c.n)
        .having(func.count() >= totals.c.n)
    )
    return done
