"""The quizzes blueprint: the trainer area (quizzes.author), the consultant area (quizzes.take) and the hooks
this capability offers the rest of the app (requirements, package files, links, menu)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from flask import Blueprint, render_template, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts.guards import roles_required
from accounts.roles import ADMIN, ORGANISER, TRAINER
from courses.models import Course, Enrolment, ModuleVersion
from courses.progress import version_modules
from courses.requirements import Requirement, completion_rule, register_provider
from courses.services import can_edit
from extensions import db
from quizzes import views_author, views_take
from quizzes.models import Quiz
from quizzes.results import results_for_enrolment
from quizzes.services import course_quizzes
from quizzes.transfer import QuizPackagePart

bp = Blueprint("quizzes", __name__)
bp.register_blueprint(views_author.bp)
bp.register_blueprint(views_take.bp)


def init_app(app) -> None:
    register_provider(app, quiz_requirements)
    app.extensions.setdefault("package_parts", []).append(QuizPackagePart())
    app.extensions.setdefault("course_links", []).append(course_links)
    app.extensions.setdefault("module_links", []).append(module_links)
    app.extensions.setdefault("nav_items", []).append(nav)
    app.extensions.setdefault("course_page_links", []).append(course_page_links)


def course_page_links(enrolment: Enrolment) -> list[dict]:
    """On the consultant's course page: every quiz of the cohort, pre-test included."""
    return [{"url": url_for("quizzes.take.index", cohort_id=enrolment.cohort_id), "label": _("Kuis dan tes")}]


def nav(user) -> list[dict]:
    if user.has_role(ORGANISER, ADMIN):
        return [{"url": url_for("quizzes.insight_index"), "label": _("Statistik kuis")}]
    return []


def course_links(course: Course) -> list[dict]:
    """Buttons on the trainer's course page."""
    if current_user.is_authenticated and can_edit(current_user, course):
        return [{"url": url_for("quizzes.author.index", slug=course.slug), "label": _("Kuis dan bank soal")}]
    return []


def module_links(enrolment: Enrolment, module: ModuleVersion) -> list[dict]:
    """The module quiz button under a module the consultant reads."""
    quizzes = db.session.scalars(select(Quiz).where(Quiz.course_id == enrolment.cohort.course_id,
                                                    Quiz.module_id == module.module_id, Quiz.kind == "module",
                                                    Quiz.archived.is_(False)).order_by(Quiz.position))
    return [{"url": url_for("quizzes.take.overview", cohort_id=enrolment.cohort_id, quiz_slug=q.slug),
             "label": _("Kerjakan %(title)s", title=q.title)} for q in quizzes]


def _score_visible(quiz: Quiz) -> bool:
    return quiz.review_when == "immediately" and "score" in (quiz.review_show or [])


def _percent_ge(percent: float | None, minimum: float) -> bool:
    """As certificates.rules.percent_ge: both sides rounded half up to 2 decimals, then ``>=``."""
    if percent is None:
        return False

    def cents(value: float) -> Decimal:
        return Decimal(repr(float(value))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    return cents(percent) >= cents(minimum)


def _rule_quizzes(rule: dict, quizzes: list[Quiz]) -> list[tuple[Quiz, float | None]]:
    """(quiz, minimum percent) for each quiz the completion rule requires; minimum None: the quiz's own pass flag
    (a post-test without ``posttest_min_percent``). Mirrors certificates.rules.evaluate and the evidence adapter."""
    by_slug = {q.slug: q for q in quizzes}
    required: dict[str, tuple[Quiz, float | None]] = {}
    minimums = rule.get("quizzes")
    if isinstance(minimums, Mapping):
        for slug, minimum in minimums.items():
            if slug in by_slug and isinstance(minimum, int | float) and not isinstance(minimum, bool):
                required[slug] = (by_slug[slug], float(minimum))
    if rule.get("posttest_required") is True:
        post = [q for q in quizzes if q.kind == "posttest"] or [q for q in quizzes if q.kind == "final"]
        minimum = rule.get("posttest_min_percent")
        minimum = float(minimum) if isinstance(minimum, int | float) and not isinstance(minimum, bool) else None
        for quiz in post:
            required.setdefault(quiz.slug, (quiz, minimum))
    return list(required.values())


def quiz_requirements(enrolment: Enrolment) -> list[Requirement]:
    """Quizzes still to pass. With a completion rule (the course's, overridden per cohort): exactly the quizzes the
    rule requires, at the rule's minimum. Without one: module quizzes of the cohort's version, the final test and
    the post-test taken."""
    cohort = enrolment.cohort
    quizzes = course_quizzes(cohort.course)
    if not quizzes:
        return []
    rule = completion_rule(cohort)
    if rule:
        relevant = _rule_quizzes(rule, quizzes)
    else:
        module_ids = {m.module_id for m in version_modules(cohort.course_version_id)}
        relevant = [(q, None) for q in quizzes if (q.kind == "module" and q.module_id in module_ids)
                    or q.kind in ("final", "posttest")]
    results = results_for_enrolment(enrolment, [q for q, _minimum in relevant])
    order = {"module": 20, "posttest": 30, "final": 40}
    items = []
    for quiz, minimum in relevant:
        result = results[quiz.slug]
        mark = minimum if minimum is not None else quiz.pass_mark
        if rule and minimum is not None:
            met = _percent_ge(result.percent, minimum)
        elif rule:
            met = result.passed is True
        elif quiz.kind == "posttest":
            met = result.attempts > 0
        else:
            met = bool(result.passed)
        if mark is not None and (rule or quiz.kind != "posttest"):
            label = _("Lulus %(title)s (nilai minimal %(mark)s%%)", title=quiz.title, mark=format_decimal(mark))
        else:
            label = _("Mengerjakan %(title)s", title=quiz.title)
        detail = ""
        if not met:
            if not result.attempts:
                detail = _("Belum dikerjakan")
            elif _score_visible(quiz) and result.percent is not None:
                detail = _("Nilai saat ini %(percent)s%%", percent=format_decimal(round(result.percent, 1)))
            else:
                detail = _("Belum lulus")
        items.append(Requirement(
            kind="quiz", label=label, met=met, detail=detail, done=1 if met else 0, total=1,
            url=url_for("quizzes.take.overview", cohort_id=enrolment.cohort_id, quiz_slug=quiz.slug),
            evidence={"quiz": quiz.slug, "kind": quiz.kind, "percent": result.percent, "passed": result.passed,
                      "attempts": result.attempts, "attempt_ids": result.attempt_ids, "minimum": mark},
            order=order[quiz.kind],
        ))
    return items


@bp.route("/insight/quizzes")
@roles_required(TRAINER, ORGANISER, ADMIN)
def insight_index():
    """Every course's quizzes with links to their statistics (organisers have no course page of their own)."""
    courses = list(db.session.scalars(select(Course).order_by(Course.title)))
    if not current_user.has_role(ORGANISER, ADMIN):
        courses = [c for c in courses if can_edit(current_user, c)]
    rows = [(course, course_quizzes(course)) for course in courses]
    return render_template("quizzes/insight_index.html", rows=rows)
