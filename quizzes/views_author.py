"""Trainer area of a course: question bank, quizzes, windows and overrides, GIFT, item statistics, gain."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from accounts import audit
from accounts.domain import DomainError, apply_to_form
from accounts.forms import EmptyForm
from accounts.guards import guard_blueprint, roles_required
from accounts.models import User
from accounts.roles import ADMIN, ORGANISER, TRAINER
from courses.models import Cohort, Course
from courses.services import can_edit, get_course_by_slug
from extensions import db
from quizzes import insight, services, windows
from quizzes.forms import (
    KIND_LABELS,
    GiftImportForm,
    OverrideForm,
    QuestionForm,
    QuizForm,
    StatsFilterForm,
    WindowForm,
)
from quizzes.models import Question, Quiz, QuizOverride
from quizzes.questionyaml import TEMPLATE, question_to_yaml, yaml_to_question

bp = Blueprint("author", __name__, url_prefix="/trainer/courses/<slug>")
guard_blueprint(bp, TRAINER, ORGANISER, ADMIN)

MAX_GIFT_BYTES = 2 * 1024 * 1024


def _course(slug: str) -> Course:
    course = get_course_by_slug(slug) or abort(404)
    if not can_edit(current_user, course):
        abort(403)
    return course


def _course_for_insight(slug: str) -> Course:
    course = get_course_by_slug(slug) or abort(404)
    if not (current_user.has_role(ORGANISER, ADMIN) or can_edit(current_user, course)):
        abort(403)
    return course


def _quiz(course: Course, quiz_slug: str) -> Quiz:
    return services.get_quiz(course, quiz_slug) or abort(404)


def _cohorts(course: Course) -> list[Cohort]:
    return list(db.session.scalars(select(Cohort).where(Cohort.course_id == course.id)
                                   .order_by(Cohort.starts_on.desc())))


@bp.route("/quizzes")
@roles_required(TRAINER, ADMIN)
def index(slug: str):
    course = _course(slug)
    quizzes = services.course_quizzes(course, with_items=True)
    bank = services.bank_questions(course)
    return render_template("quizzes/author_index.html", course=course, quizzes=quizzes, bank_size=len(bank),
                           kinds=KIND_LABELS, gift_form=GiftImportForm(), action_form=EmptyForm())


# ---------------------------------------------------------------------------------------------------------
# Quizzes


def _quiz_form(course: Course, quiz: Quiz | None) -> QuizForm:
    form = QuizForm(obj=quiz) if request.method == "GET" and quiz is not None else QuizForm()
    form.module_id.choices = [(0, _("— Pilih modul —"))] + [(m.id, m.title) for m in course.modules
                                                            if not m.archived]
    if request.method == "GET":
        if quiz is None:
            form.review_show.data = ["score", "correctness", "answers", "feedback"]
        else:
            form.module_id.data = quiz.module_id or 0
            form.mode.data = "draw" if quiz.draw_count else "fixed"
            form.question_uids.data = "\n".join(services.quiz_question_uids(quiz))
            form.draw_tags.data = ", ".join(quiz.draw_tags or [])
            form.review_show.data = list(quiz.review_show or [])
    return form


def _settings(form: QuizForm) -> tuple[dict, list[str] | None]:
    draw = form.mode.data == "draw"
    settings = {
        "title": form.title.data.strip(), "kind": form.kind.data, "module_id": form.module_id.data or None,
        "pass_mark": form.pass_mark.data, "time_limit_minutes": form.time_limit_minutes.data or 0,
        "attempts_allowed": form.attempts_allowed.data or 0, "grading": form.grading.data,
        "shuffle_questions": form.shuffle_questions.data, "shuffle_options": form.shuffle_options.data,
        "layout": form.layout.data, "review_when": form.review_when.data, "review_show": form.review_show.data or [],
        "draw_count": (form.draw_count.data or 0) if draw else None,
        "draw_tags": [t.strip() for t in (form.draw_tags.data or "").split(",") if t.strip()] if draw else None,
    }
    uids = [] if draw else (form.question_uids.data or "").split()
    return settings, uids


@bp.route("/quizzes/new", methods=["GET", "POST"])
@bp.route("/quizzes/<quiz_slug>/edit", methods=["GET", "POST"])
@roles_required(TRAINER, ADMIN)
def edit_quiz(slug: str, quiz_slug: str | None = None):
    course = _course(slug)
    quiz = _quiz(course, quiz_slug) if quiz_slug else None
    form = _quiz_form(course, quiz)
    if form.validate_on_submit():
        settings, uids = _settings(form)
        try:
            if quiz is None:
                quiz = services.create_quiz(course, slug=form.slug.data.strip(), question_uids=uids, **settings)
            else:
                services.update_quiz(quiz, slug=form.slug.data.strip(), question_uids=uids, **settings)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            audit.record("quiz.saved", "quiz", quiz.id, summary=f"{course.slug}/{quiz.slug}")
            db.session.commit()
            flash(_("Kuis “%(title)s” tersimpan.", title=quiz.title), "success")
            return redirect(url_for("quizzes.author.index", slug=course.slug))
    return render_template("quizzes/quiz_form.html", course=course, quiz=quiz, form=form), 422 if form.errors else 200


@bp.route("/quizzes/<quiz_slug>/archive", methods=["POST"])
@roles_required(TRAINER, ADMIN)
def archive_quiz(slug: str, quiz_slug: str):
    course = _course(slug)
    quiz = _quiz(course, quiz_slug)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.archive_quiz(quiz)
    audit.record("quiz.archived", "quiz", quiz.id, summary=f"{course.slug}/{quiz.slug}")
    db.session.commit()
    flash(_("Kuis “%(title)s” diarsipkan; hasil percobaan tetap tersimpan.", title=quiz.title), "success")
    return redirect(url_for("quizzes.author.index", slug=course.slug))


# ---------------------------------------------------------------------------------------------------------
# Windows and overrides


def _aware(value: datetime | None, zone: str) -> datetime | None:
    return value.replace(tzinfo=ZoneInfo(zone)) if value is not None else None


def _schedule_page(course: Course, quiz: Quiz, window_form=None, override_form=None, status: int = 200):
    cohorts = _cohorts(course)
    choices = [(c.id, f"{c.name} ({c.timezone})") for c in cohorts]
    window_form = window_form or WindowForm()
    override_form = override_form or OverrideForm()
    window_form.cohort_id.choices = choices
    override_form.cohort_id.choices = choices
    cohort_windows = [(c, windows.get_window(quiz, c)) for c in cohorts]
    return render_template("quizzes/schedule.html", course=course, quiz=quiz, windows=cohort_windows,
                           overrides=windows.quiz_overrides(quiz), window_form=window_form,
                           override_form=override_form, action_form=EmptyForm()), status


@bp.route("/quizzes/<quiz_slug>/schedule")
@roles_required(TRAINER, ADMIN)
def schedule(slug: str, quiz_slug: str):
    course = _course(slug)
    return _schedule_page(course, _quiz(course, quiz_slug))


def _cohort_of(course: Course, cohort_id: int | None) -> Cohort | None:
    cohort = db.session.get(Cohort, cohort_id) if cohort_id else None
    return cohort if cohort is not None and cohort.course_id == course.id else None


@bp.route("/quizzes/<quiz_slug>/window", methods=["POST"])
@roles_required(TRAINER, ADMIN)
def save_window(slug: str, quiz_slug: str):
    course = _course(slug)
    quiz = _quiz(course, quiz_slug)
    form = WindowForm()
    if form.validate_on_submit():
        cohort = _cohort_of(course, form.cohort_id.data) or abort(404)
        try:
            windows.set_window(quiz, cohort, _aware(form.opens_at.data, cohort.timezone),
                                _aware(form.closes_at.data, cohort.timezone))
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            audit.record("quiz.window", "quiz", quiz.id, summary=f"{quiz.slug} / {cohort.name}")
            db.session.commit()
            flash(_("Jadwal kuis untuk %(name)s tersimpan.", name=cohort.name), "success")
            return redirect(url_for("quizzes.author.schedule", slug=course.slug, quiz_slug=quiz.slug))
    return _schedule_page(course, quiz, window_form=form, status=422)


@bp.route("/quizzes/<quiz_slug>/override", methods=["POST"])
@roles_required(TRAINER, ADMIN)
def save_override(slug: str, quiz_slug: str):
    course = _course(slug)
    quiz = _quiz(course, quiz_slug)
    form = OverrideForm()
    if form.validate_on_submit():
        user = db.session.scalar(select(User).where(User.email == form.email.data.strip().lower()))
        cohort = _cohort_of(course, form.cohort_id.data)
        try:
            if user is None:
                raise services.QuizError("user_unknown", "email")
            windows.set_override(quiz, user, extra_minutes=form.extra_minutes.data or 0,
                                  extra_attempts=form.extra_attempts.data or 0,
                                  closes_at=_aware(form.closes_at.data, cohort.timezone if cohort else "Asia/Jakarta"),
                                  note=form.note.data or "")
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            audit.record("quiz.override", "quiz", quiz.id, summary=f"{quiz.slug} / {user.email}")
            db.session.commit()
            flash(_("Pengecualian untuk %(name)s tersimpan.", name=user.full_name), "success")
            return redirect(url_for("quizzes.author.schedule", slug=course.slug, quiz_slug=quiz.slug))
    return _schedule_page(course, quiz, override_form=form, status=422)


@bp.route("/quizzes/<quiz_slug>/override/<int:override_id>/delete", methods=["POST"])
@roles_required(TRAINER, ADMIN)
def delete_override(slug: str, quiz_slug: str, override_id: int):
    course = _course(slug)
    quiz = _quiz(course, quiz_slug)
    override = db.session.get(QuizOverride, override_id)
    if override is None or override.quiz_id != quiz.id or not EmptyForm().validate_on_submit():
        abort(404)
    windows.delete_override(override)
    db.session.commit()
    flash(_("Pengecualian dihapus."), "success")
    return redirect(url_for("quizzes.author.schedule", slug=course.slug, quiz_slug=quiz.slug))


# ---------------------------------------------------------------------------------------------------------
# Question bank


@bp.route("/questions")
@roles_required(TRAINER, ADMIN)
def bank(slug: str):
    course = _course(slug)
    tag = request.args.get("tag", "").strip()
    qtype = request.args.get("type", "").strip()
    query = request.args.get("q", "").strip().lower()[:100]
    rows = []
    for question, version in services.current_bank(course):
        if tag and tag not in (question.tags or []):
            continue
        if qtype and question.type != qtype:
            continue
        if query and query not in question.uid.lower() and query not in str(version.data.get("text", "")).lower():
            continue
        rows.append((question, version))
    tags = sorted({t for q, _v in services.current_bank(course) for t in q.tags or []})
    modules = {m.id: m.title for m in course.modules}
    return render_template("quizzes/bank.html", course=course, rows=rows, tags=tags, modules=modules,
                           filters={"tag": tag, "type": qtype, "q": query})


def _question(course: Course, question_id: int) -> Question:
    return services.get_question(course, question_id) or abort(404)


@bp.route("/questions/<int:question_id>")
@roles_required(TRAINER, ADMIN)
def question(slug: str, question_id: int):
    course = _course(slug)
    question = _question(course, question_id)
    return render_template("quizzes/question.html", course=course, question=question, version=question.current,
                           action_form=EmptyForm())


@bp.route("/questions/new", methods=["GET", "POST"])
@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@roles_required(TRAINER, ADMIN)
def edit_question(slug: str, question_id: int | None = None):
    course = _course(slug)
    question = _question(course, question_id) if question_id else None
    form = QuestionForm()
    if request.method == "GET":
        form.yaml.data = question_to_yaml(question.current.data) if question else TEMPLATE
        case = question.current.case_data if question else None
        if case:
            form.case_id.data, form.case_title.data, form.case_stem.data = case["id"], case["title"], case["stem"]
    problems: list[tuple[int, str]] = []
    if form.validate_on_submit():
        data, problems = yaml_to_question(form.yaml.data)
        if data is not None:
            case_id = (form.case_id.data or "").strip()
            case = ({"id": case_id, "title": (form.case_title.data or "").strip(), "stem": form.case_stem.data or ""}
                    if case_id else None)
            try:
                saved, status = services.edit_question(course, question, data, case, current_user)
            except DomainError as exc:
                db.session.rollback()
                apply_to_form(form, exc)
            else:
                db.session.commit()
                flash({"created": _("Soal ditambahkan ke bank."), "updated": _("Soal tersimpan sebagai versi baru."),
                       "unchanged": _("Tidak ada perubahan.")}[status], "success")
                return redirect(url_for("quizzes.author.question", slug=course.slug, question_id=saved.id))
        else:
            form.yaml.errors = [_("Baris %(line)s: %(message)s", line=line, message=message)
                                for line, message in problems]
    failed = bool(form.errors or problems)
    return render_template("quizzes/question_form.html", course=course, question=question, form=form), \
        422 if failed else 200


@bp.route("/questions/<int:question_id>/archive", methods=["POST"])
@roles_required(TRAINER, ADMIN)
def archive_question(slug: str, question_id: int):
    course = _course(slug)
    question = _question(course, question_id)
    if not EmptyForm().validate_on_submit():
        abort(400)
    services.archive_question(question)
    db.session.commit()
    flash(_("Soal diarsipkan; percobaan lama tetap memakai versinya."), "success")
    return redirect(url_for("quizzes.author.bank", slug=course.slug))


# ---------------------------------------------------------------------------------------------------------
# GIFT


@bp.route("/quizzes/import-gift", methods=["GET", "POST"])
@roles_required(TRAINER, ADMIN)
def import_gift(slug: str):
    course = _course(slug)
    form = GiftImportForm()
    if form.validate_on_submit():
        data = form.file.data.read(MAX_GIFT_BYTES + 1)
        try:
            if len(data) > MAX_GIFT_BYTES:
                raise ValueError
            text = data.decode("utf-8-sig")
        except (UnicodeDecodeError, ValueError):
            form.file.errors = [_("Berkas harus teks UTF-8 dan paling besar 2 MB.")]
        else:
            report = services.import_gift(course, text, current_user, source="gift")
            audit.record("quiz.gift_imported", "course", course.id, summary=course.slug,
                         data={"imported": len(report.imported), "refused": len(report.refused)})
            db.session.commit()
            return render_template("quizzes/gift_report.html", course=course, report=report)
    return render_template("quizzes/gift_form.html", course=course, form=form), 422 if form.errors else 200


@bp.route("/quizzes/export.gift")
@roles_required(TRAINER, ADMIN)
def export_gift(slug: str):
    course = _course(slug)
    quiz = _quiz(course, request.args["quiz"]) if request.args.get("quiz") else None
    text = services.export_gift(course, quiz)
    name = f"{course.slug}-{quiz.slug}.gift.txt" if quiz else f"{course.slug}.gift.txt"
    return Response(text, mimetype="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


# ---------------------------------------------------------------------------------------------------------
# Insight


def _filter_cohort(course: Course, required: bool = False) -> tuple[StatsFilterForm, Cohort | None]:
    cohorts = _cohorts(course)
    form = StatsFilterForm(request.args)
    form.cohort.choices = ([] if required else [(0, _("Semua angkatan"))]) + [(c.id, c.name) for c in cohorts]
    cohort = _cohort_of(course, form.cohort.data) if form.validate() else None
    if cohort is None and required and cohorts:
        cohort = cohorts[0]
        form.cohort.data = cohort.id
    return form, cohort


@bp.route("/quizzes/<quiz_slug>/stats")
def stats(slug: str, quiz_slug: str):
    course = _course_for_insight(slug)
    quiz = _quiz(course, quiz_slug)
    form, cohort = _filter_cohort(course)
    report = insight.item_report(quiz, cohort)
    return render_template("quizzes/stats.html", course=course, quiz=quiz, form=form, report=report,
                           flag_labels=FLAG_LABELS)


@bp.route("/quizzes/gain")
def gain(slug: str):
    course = _course_for_insight(slug)
    form, cohort = _filter_cohort(course, required=True)
    report = insight.gain_report(course, cohort) if cohort else None
    return render_template("quizzes/gain.html", course=course, form=form, report=report)


FLAG_LABELS = {
    "too_easy": _l("Terlalu mudah (indeks kemudahan > 90)"),
    "too_hard": _l("Terlalu sulit (indeks kemudahan < 20)"),
    "negative_discrimination": _l("Daya beda negatif: peserta kuat justru salah; periksa kunci"),
    "low_discrimination": _l("Daya beda rendah (< 0,2)"),
}
