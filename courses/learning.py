"""Consultant area: my courses, joining a cohort, reading modules, marking them done."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts.domain import DomainError, apply_to_form
from accounts.forms import EmptyForm
from accounts.roles import ADMIN, ORGANISER
from courses import enrolment as enrolments
from courses import progress, services
from courses.forms import JoinForm
from courses.models import Attachment, Cohort, Course, CourseVersion, Enrolment, ModuleVersion
from courses.requirements import Requirement, after_progress, completion_rule, register_provider, what_remains
from courses.uploads import path_of
from extensions import db

bp = Blueprint("learn", __name__)


def init_app(app) -> None:
    register_provider(app, module_requirements)

    def nav(user):
        return [{"url": url_for("learn.index"), "label": _("Kursus saya")}]

    def panel(user):
        items = enrolments.user_enrolments(user)
        return [{"template": "courses/_panel_my_courses.html", "cards": [course_card(e) for e in items],
                 "join_form": JoinForm()}] if items or not user.has_role("trainer", "organiser", "admin") else []

    app.extensions.setdefault("nav_items", []).append(nav)
    app.extensions.setdefault("dashboard_panels", []).append(panel)


def module_requirements(enrolment: Enrolment) -> list[Requirement]:
    """Modules still to read, for the "what remains" panel: those the cohort's completion rule requires (every
    module when the course has no rule)."""
    rule = completion_rule(enrolment.cohort)
    wanted = rule.get("modules", ()) if rule else "all"
    if not wanted:
        return []
    modules = progress.version_modules(enrolment.cohort.course_version_id)
    states = progress.module_states(enrolment, modules, enrolment.cohort.course.sequential)
    if wanted != "all":
        states = [s for s in states if s.module.slug in set(wanted)]
    done = sum(1 for s in states if s.done)
    missing = [s.module for s in states if not s.done]
    next_url = (url_for("learn.module", cohort_id=enrolment.cohort_id, slug=missing[0].slug) if missing else None)
    label = _("Membaca semua modul") if wanted == "all" else _("Membaca modul wajib")
    return [Requirement(
        kind="modules", label=label, met=not missing, done=done, total=len(states),
        detail=_("%(done)s dari %(total)s modul selesai", done=done, total=len(states)) if missing else "",
        url=next_url, evidence={"missing": [m.slug for m in missing]}, order=10,
    )]


def course_card(enrolment: Enrolment) -> dict:
    modules = progress.version_modules(enrolment.cohort.course_version_id)
    states = progress.module_states(enrolment, modules, enrolment.cohort.course.sequential)
    done = sum(1 for s in states if s.done)
    return {"enrolment": enrolment, "cohort": enrolment.cohort, "done": done, "total": len(states),
            "percent": round(100 * done / len(states)) if states else 0,
            "next": progress.resume_module(enrolment, states)}


def _my_enrolment(cohort_id: int) -> Enrolment:
    # one query: the enrolment with its cohort, course and published version (every learning page needs them)
    enrolment = db.session.scalar(
        select(Enrolment)
        .where(Enrolment.cohort_id == cohort_id, Enrolment.user_id == current_user.id, Enrolment.status == "active")
        .options(joinedload(Enrolment.cohort).joinedload(Cohort.course)
                 .defer(Course.intro_md).defer(Course.intro_html),
                 joinedload(Enrolment.cohort).joinedload(Cohort.course_version).defer(CourseVersion.intro_html)))
    if enrolment is None:
        abort(404)
    return enrolment


@bp.route("/learn")
def index():
    cards = [course_card(e) for e in enrolments.user_enrolments(current_user)]
    return render_template("courses/learn_index.html", cards=cards, join_form=JoinForm())


@bp.route("/learn/join", methods=["GET", "POST"])
def join():
    form = JoinForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"]
    if form.validate_on_submit():
        try:
            enrolment = enrolments.join_by_code(current_user, form.code.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Anda terdaftar di %(name)s.", name=enrolment.cohort.name), "success")
            return redirect(url_for("learn.course", cohort_id=enrolment.cohort_id))
    return render_template("courses/join.html", form=form), 422 if form.errors else 200


@bp.route("/learn/<int:cohort_id>")
def course(cohort_id: int):
    enrolment = _my_enrolment(cohort_id)
    cohort = enrolment.cohort
    modules = progress.version_modules(cohort.course_version_id)
    states = progress.module_states(enrolment, modules, cohort.course.sequential)
    done = sum(1 for s in states if s.done)
    return render_template("courses/learn_course.html", enrolment=enrolment, cohort=cohort,
                           version=cohort.course_version, states=states, done=done,
                           resume=progress.resume_module(enrolment, states), remains=what_remains(enrolment))


@bp.route("/learn/<int:cohort_id>/m/<slug>")
def module(cohort_id: int, slug: str):
    enrolment = _my_enrolment(cohort_id)
    cohort = enrolment.cohort
    modules = progress.version_modules(cohort.course_version_id)
    states = progress.module_states(enrolment, modules, cohort.course.sequential)
    index = next((i for i, s in enumerate(states) if s.module.slug == slug), None)
    if index is None:
        abort(404)
    state = states[index]
    if state.locked:
        flash(_("Selesaikan modul sebelumnya terlebih dahulu."), "warning")
        return redirect(url_for("learn.course", cohort_id=cohort_id))
    if enrolment.last_module_id != state.module.module_id or enrolment.started_at is None:
        progress.note_opened(enrolment, state.module)
        db.session.commit()
        # the commit expired everything: reload in two queries rather than one per module
        states = progress.module_states(enrolment, progress.version_modules(cohort.course_version_id),
                                        cohort.course.sequential)
        state = states[index]
    return render_template(
        "courses/learn_module.html", enrolment=enrolment, cohort=cohort, states=states, state=state,
        prev=states[index - 1].module if index > 0 else None,
        next=states[index + 1].module if index + 1 < len(states) else None,
        done_count=sum(1 for s in states if s.done), form=EmptyForm(),
    )


@bp.route("/learn/<int:cohort_id>/m/<slug>/done", methods=["POST"])
def mark_done(cohort_id: int, slug: str):
    enrolment = _my_enrolment(cohort_id)
    module = db.session.scalar(select(ModuleVersion).where(
        ModuleVersion.course_version_id == enrolment.cohort.course_version_id, ModuleVersion.slug == slug))
    if module is None:
        abort(404)
    if not EmptyForm().validate_on_submit():
        abort(400)
    if request.form.get("undo"):
        progress.undo_module(enrolment, module)
        flash(_("Tanda selesai dibatalkan."), "info")
    else:
        progress.complete_module(enrolment, module)
        after_progress(enrolment)
        flash(_("Modul “%(title)s” ditandai selesai.", title=module.title), "success")
    db.session.commit()
    target = request.form.get("next_slug")
    if target and not request.form.get("undo"):
        return redirect(url_for("learn.module", cohort_id=cohort_id, slug=target))
    return redirect(url_for("learn.module", cohort_id=cohort_id, slug=slug))


def may_see_course(course: Course) -> bool:
    """Staff of the course, or a consultant enrolled in one of its cohorts."""
    if current_user.has_role(ADMIN, ORGANISER) or services.can_edit(current_user, course):
        return True
    return db.session.scalar(select(Enrolment.id).join(Cohort).where(
        Cohort.course_id == course.id, Enrolment.user_id == current_user.id, Enrolment.status == "active")) is not None


@bp.route("/courses/<slug>/files/<name>")
def attachment(slug: str, name: str):
    course = services.get_course_by_slug(slug) or abort(404)
    if not may_see_course(course):
        abort(404)
    record = db.session.scalar(select(Attachment).where(Attachment.course_id == course.id, Attachment.name == name))
    if record is None:
        abort(404)
    inline = record.content_type.startswith("image/")
    response = send_file(path_of(record.stored_name), mimetype=record.content_type, as_attachment=not inline,
                         download_name=record.name, max_age=3600)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    if inline:
        response.headers["Content-Disposition"] = f'inline; filename="{record.name}"'
    return response
