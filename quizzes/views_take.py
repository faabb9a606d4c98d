"""Consultant area: a cohort's quizzes, attempts (plain form and JSON autosave), submit and review."""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts.domain import message_for
from accounts.models import utcnow
from courses.models import Cohort, Enrolment
from courses.requirements import after_progress
from extensions import db
from quizzes import attempts, results
from quizzes.attempts import AttemptError
from quizzes.models import Attempt, Quiz
from quizzes.pages import review_items, shown_questions
from quizzes.services import course_quizzes, get_quiz, question_count

bp = Blueprint("take", __name__, url_prefix="/learn/<int:cohort_id>/quiz")

MAX_SAVE_BYTES = 16 * 1024
CLOSED_CODES = ("attempt_closed", "deadline_passed")


def _enrolment(cohort_id: int) -> Enrolment:
    """The signed-in person's own active enrolment; anything else is not found."""
    enrolment = db.session.scalar(
        select(Enrolment)
        .where(Enrolment.cohort_id == cohort_id, Enrolment.user_id == current_user.id, Enrolment.status == "active")
        .options(joinedload(Enrolment.cohort).joinedload(Cohort.course)))
    if enrolment is None:
        abort(404)
    return enrolment


def _load(cohort_id: int, quiz_slug: str, attempt_id: int | None = None) -> tuple[Enrolment, Quiz, Attempt | None]:
    enrolment = _enrolment(cohort_id)
    quiz = get_quiz(enrolment.cohort.course, quiz_slug) or abort(404)
    attempt = None
    if attempt_id is not None:
        attempt = db.session.get(Attempt, attempt_id)
        if (attempt is None or attempt.user_id != current_user.id or attempt.quiz_id != quiz.id
                or attempt.enrolment_id != enrolment.id):
            abort(404)
    return enrolment, quiz, attempt


def _urls(cohort_id: int, quiz: Quiz, attempt: Attempt) -> dict:
    args = {"cohort_id": cohort_id, "quiz_slug": quiz.slug, "attempt_id": attempt.id}
    return {"page": url_for("quizzes.take.attempt", **args), "save": url_for("quizzes.take.save", **args),
            "submit": url_for("quizzes.take.submit", **args), "result": url_for("quizzes.take.result", **args)}


@bp.route("")
def index(cohort_id: int):
    enrolment = _enrolment(cohort_id)
    quizzes = course_quizzes(enrolment.cohort.course)
    rows = list(zip(quizzes, attempts.quiz_statuses(enrolment, quizzes), strict=True))
    page = render_template("quizzes/take_index.html", enrolment=enrolment, cohort=enrolment.cohort, rows=rows)
    db.session.commit()  # attempts whose time ran out were finalised (after rendering: a commit expires the rows)
    return page


@bp.route("/<quiz_slug>")
def overview(cohort_id: int, quiz_slug: str):
    enrolment, quiz, _attempt = _load(cohort_id, quiz_slug)
    status = attempts.quiz_status(enrolment, quiz)
    db.session.commit()
    rights = {a.id: results.review_rights(a, quiz, enrolment.cohort) for a in status.finished}
    return render_template("quizzes/take_overview.html", enrolment=enrolment, cohort=enrolment.cohort, quiz=quiz,
                           status=status, rights=rights, count=question_count(quiz))


@bp.route("/<quiz_slug>/start", methods=["POST"])
def start(cohort_id: int, quiz_slug: str):
    enrolment, quiz, _attempt = _load(cohort_id, quiz_slug)
    try:
        attempt, created = attempts.start_attempt(enrolment, quiz)
    except AttemptError as exc:
        db.session.rollback()
        flash(message_for(exc), "error")
        return redirect(url_for("quizzes.take.overview", cohort_id=cohort_id, quiz_slug=quiz.slug))
    db.session.commit()
    if not created:
        flash(_("Melanjutkan percobaan yang sedang berjalan; jawaban yang tersimpan tetap ada."), "info")
    return redirect(url_for("quizzes.take.attempt", cohort_id=attempt.enrolment.cohort_id, quiz_slug=quiz.slug,
                            attempt_id=attempt.id))


def _closed_redirect(cohort_id: int, quiz: Quiz, attempt: Attempt, code: str):
    flash(message_for(AttemptError(code)), "warning")
    return redirect(_urls(cohort_id, quiz, attempt)["result"])


def _posted_answers(attempt: Attempt) -> tuple[dict, dict]:
    """Answers and sequence numbers from the plain form; a checkbox group shown with nothing ticked is a clear."""
    versions = attempts.question_versions(attempt)
    named = {key[2:] for key in request.form if key.startswith("q-")}
    shown = set(request.form.getlist("shown")) | named
    posted, seqs = {}, {}
    for uid in shown:
        version = versions.get(uid)
        if version is None:
            posted[uid] = request.form.get(f"q-{uid}")  # refused by the service: not in this attempt
            continue
        if version.data["type"] == "multiple":
            posted[uid] = request.form.getlist(f"q-{uid}")
        elif f"q-{uid}" in request.form:
            posted[uid] = request.form.get(f"q-{uid}")
        else:
            continue
        raw_seq = request.form.get(f"seq-{uid}", "0")
        seqs[uid] = int(raw_seq) if raw_seq.isdigit() and len(raw_seq) < 11 else -1
    return posted, seqs


def _page_number(total: int) -> int:
    page = request.args.get("p", 1, type=int) or 1
    return min(max(page, 1), max(total, 1))


def _render_attempt(enrolment: Enrolment, quiz: Quiz, attempt: Attempt, errors: dict | None = None,
                    typed: dict | None = None, status: int = 200):
    questions = shown_questions(attempt)
    for question in questions:
        if errors and question.uid in errors:
            question.error = message_for(errors[question.uid])
            if typed and question.uid in typed and question.type in ("short", "numeric"):
                question.value = str(typed[question.uid] or "")
    total = len(questions)
    page = _page_number(total)
    if errors and quiz.layout == "one":
        first = next((q.number for q in questions if q.uid in errors), page)
        page = first
    visible = questions if quiz.layout == "all" else questions[page - 1:page]
    return render_template(
        "quizzes/attempt.html", enrolment=enrolment, cohort=enrolment.cohort, quiz=quiz, attempt=attempt,
        questions=visible, all_questions=questions, page=page, total=total, urls=_urls(enrolment.cohort_id, quiz,
                                                                                       attempt),
        answered=sum(1 for q in questions if q.answered), errors=errors or {}, now_iso=utcnow().isoformat(),
    ), status


@bp.route("/<quiz_slug>/attempt/<int:attempt_id>", methods=["GET", "POST"])
def attempt(cohort_id: int, quiz_slug: str, attempt_id: int):
    enrolment, quiz, attempt = _load(cohort_id, quiz_slug, attempt_id)
    if attempts.finalise_if_due(attempt):
        db.session.commit()
        return _closed_redirect(cohort_id, quiz, attempt, "deadline_passed")
    if not attempt.is_open:
        if request.method == "POST":
            return _closed_redirect(cohort_id, quiz, attempt, "attempt_closed")
        return redirect(_urls(cohort_id, quiz, attempt)["result"])
    if request.method == "GET":
        return _render_attempt(enrolment, quiz, attempt)
    posted, seqs = _posted_answers(attempt)
    try:
        errors = attempts.save_form(attempt, posted, seqs)
    except AttemptError as exc:
        db.session.rollback()
        if exc.code in CLOSED_CODES:
            return _closed_redirect(cohort_id, quiz, attempt, exc.code)
        flash(message_for(exc), "error")
        return _render_attempt(enrolment, quiz, attempt, status=422)
    db.session.commit()
    if errors:
        return _render_attempt(enrolment, quiz, attempt, errors, posted, 422)
    flash(_("Jawaban tersimpan."), "success")
    go = request.form.get("go") or request.form.get("p") or ""
    target = _urls(cohort_id, quiz, attempt)["page"]
    if go.isdigit() and len(go) < 5 and quiz.layout == "one":
        target += f"?p={int(go)}"
    return redirect(target)


def _json_error(status: int, code: str, message: str | None = None):
    text = message or message_for(AttemptError(code))
    return jsonify({"ok": False, "error": {"status": status, "code": code, "message": text}}), status


@bp.route("/<quiz_slug>/attempt/<int:attempt_id>/save", methods=["POST"])
def save(cohort_id: int, quiz_slug: str, attempt_id: int):
    """Autosave one answer: {"question": id, "answer": value, "seq": n}. Repeats are harmless."""
    if request.content_length is None:
        return _json_error(411, "length_required", _("Data jawaban tidak dapat dibaca."))
    if request.content_length > MAX_SAVE_BYTES:
        return _json_error(413, "payload_too_large", _("Data jawaban terlalu besar."))
    attempt = attempts.own_attempt(current_user.id, cohort_id, quiz_slug, attempt_id) or abort(404)
    payload = request.get_json(silent=True) if request.is_json else None
    if not isinstance(payload, dict) or set(payload) - {"question", "answer", "seq"}:
        return _json_error(400, "payload_malformed", _("Data jawaban tidak dapat dibaca."))
    if attempts.finalise_if_due(attempt):
        db.session.commit()
        return _json_error(409, "deadline_passed")
    try:
        result = attempts.save_answer(attempt, payload.get("question"), payload.get("answer"), payload.get("seq"),
                                      locked=True)
    except AttemptError as exc:
        db.session.rollback()
        return _json_error(409 if exc.code in CLOSED_CODES else 422, exc.code)
    db.session.commit()
    return jsonify({"ok": True, "status": result.status, "question": payload["question"], "seq": result.seq,
                    "saved_at": result.saved_at.isoformat()})


@bp.route("/<quiz_slug>/attempt/<int:attempt_id>/submit", methods=["POST"])
def submit(cohort_id: int, quiz_slug: str, attempt_id: int):
    """Save what the form carries, then submit; a second submit (double click, other tab) changes nothing."""
    enrolment, quiz, attempt = _load(cohort_id, quiz_slug, attempt_id)
    if attempts.finalise_if_due(attempt):
        db.session.commit()
        return _closed_redirect(cohort_id, quiz, attempt, "deadline_passed")
    if not attempt.is_open:
        flash(_("Percobaan ini sudah dikirim sebelumnya; hasilnya tidak berubah."), "info")
        return redirect(_urls(cohort_id, quiz, attempt)["result"])
    posted, seqs = _posted_answers(attempt)
    try:
        errors = attempts.save_form(attempt, posted, seqs) if posted else {}
    except AttemptError as exc:
        db.session.rollback()
        if exc.code in CLOSED_CODES:
            return _closed_redirect(cohort_id, quiz, attempt, exc.code)
        flash(message_for(exc), "error")
        return _render_attempt(enrolment, quiz, attempt, status=422)
    if errors:
        db.session.commit()
        return _render_attempt(enrolment, quiz, attempt, errors, posted, 422)
    graded = attempts.submit_attempt(attempt)
    if graded:
        after_progress(enrolment)
    db.session.commit()
    if graded:
        flash(_("Jawaban Anda sudah dikirim dan dinilai."), "success")
    else:
        flash(_("Percobaan ini sudah dikirim sebelumnya; hasilnya tidak berubah."), "info")
    return redirect(_urls(cohort_id, quiz, attempt)["result"])


@bp.route("/<quiz_slug>/attempt/<int:attempt_id>/result")
def result(cohort_id: int, quiz_slug: str, attempt_id: int):
    enrolment, quiz, attempt = _load(cohort_id, quiz_slug, attempt_id)
    if attempts.finalise_if_due(attempt):
        db.session.commit()
    if attempt.is_open:
        return redirect(_urls(cohort_id, quiz, attempt)["page"])
    rights = results.review_rights(attempt, quiz, enrolment.cohort)
    status = attempts.quiz_status(enrolment, quiz)
    return render_template("quizzes/result.html", enrolment=enrolment, cohort=enrolment.cohort, quiz=quiz,
                           attempt=attempt, rights=rights, items=review_items(attempt, rights) if rights else [],
                           status=status)
