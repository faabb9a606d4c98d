"""Attempts: start with a server-side deadline, save answers idempotently, submit once, finalise late ones.

Concurrency rules, each enforced by the database rather than by a check-then-act in Python:

* one open attempt per person and quiz: ``open_key`` is unique and set only while the attempt is open;
* a save writes only while the attempt is open (an ``EXISTS`` guard in the same statement) and only when its
  client sequence number is not lower than the stored one, so replays and out-of-order repeats are harmless;
* submit and lazy expiry flip ``state`` with one ``UPDATE ... WHERE state = 'open'``: whoever wins grades.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Integer, String, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, defer

from accounts.domain import register_messages
from accounts.models import utcnow
from courses.models import Cohort, Enrolment, ModuleVersion
from courses.progress import complete_module
from extensions import UTCDateTime, db
from quizzes.grading import (
    draw_questions,
    grade_attempt,
    grade_question,
    is_blank,
    parse_number,
    parse_truefalse,
    shuffle_plan,
)
from quizzes.models import OPEN, SUBMITTED, TIMED_OUT, Attempt, AttemptAnswer, Question, QuestionVersion, Quiz
from quizzes.results import (  # noqa: F401  (results are also part of this module's public API)
    QuizResult,
    cohort_results,
    combine,
    passed,
    results_for_enrolment,
    review_close_time,
    review_rights,
)
from quizzes.services import QuizError, quiz_question_uids
from quizzes.windows import get_override, get_window

MAX_TEXT_ANSWER = 500
MAX_NUMBER_ANSWER = 50
MAX_SEQ = 2**31 - 1

register_messages({
    "quiz_not_open_yet": _l("Kuis ini belum dibuka untuk angkatan Anda."),
    "quiz_closed": _l("Kuis ini sudah ditutup untuk angkatan Anda."),
    "no_attempts_left": _l("Kesempatan mengerjakan kuis ini sudah habis."),
    "quiz_has_no_questions": _l("Kuis ini belum punya soal. Hubungi pelatih."),
    "attempt_closed": _l("Percobaan ini sudah dikirim atau berakhir. Jawaban yang tersimpan tidak diubah."),
    "deadline_passed": _l("Waktu pengerjaan sudah habis. Jawaban yang tersimpan sebelum batas waktu sudah dinilai."),
    "question_not_in_attempt": _l("Soal ini bukan bagian dari percobaan Anda."),
    "option_unknown": _l("Pilihan jawaban tidak dikenal untuk soal ini."),
    "not_a_number": _l("Masukkan angka, misalnya 12 atau 3,5."),
    "answer_too_long": _l("Jawaban terlalu panjang."),
    "answer_malformed": _l("Jawaban tidak dapat dibaca."),
    "seq_invalid": _l("Nomor urut penyimpanan tidak valid."),
})


class AttemptError(QuizError):
    """An attempt rule was broken (closed, late, or an answer that does not fit the question)."""


# ---------------------------------------------------------------------------------------------------------
# Policy: what one person may do with one quiz


@dataclass
class Policy:
    opens_at: datetime | None
    closes_at: datetime | None
    time_limit_minutes: int  # 0 = no limit
    attempts_allowed: int  # 0 = unlimited


def policy_for(quiz: Quiz, enrolment: Enrolment) -> Policy:
    """The cohort's window and the quiz settings, with the person's override applied."""
    return _policy(quiz, get_window(quiz, enrolment.cohort_id), get_override(quiz, enrolment.user_id))


def _policy(quiz: Quiz, window, override) -> Policy:
    closes_at = window.closes_at if window else None
    if override is not None and override.closes_at is not None:
        closes_at = override.closes_at
    limit = quiz.time_limit_minutes or 0
    allowed = quiz.attempts_allowed or 0
    if override is not None:
        limit = limit + override.extra_minutes if limit else 0
        allowed = allowed + override.extra_attempts if allowed else 0
    return Policy(opens_at=window.opens_at if window else None, closes_at=closes_at, time_limit_minutes=limit,
                  attempts_allowed=allowed)


def finished_attempts(enrolment: Enrolment, quiz: Quiz) -> list[Attempt]:
    stmt = (select(Attempt).where(Attempt.enrolment_id == enrolment.id, Attempt.quiz_id == quiz.id,
                                  Attempt.state != OPEN).order_by(Attempt.finished_at, Attempt.id))
    return list(db.session.scalars(stmt))


def own_attempt(user_id: int, cohort_id: int, quiz_slug: str, attempt_id: int) -> Attempt | None:
    """The autosave path in one query: the person's attempt at this quiz of their active enrolment in this cohort,
    with its quiz, row-locked on PostgreSQL so that saves and submit are ordered. None: not theirs."""
    stmt = (
        select(Attempt)
        .join(Attempt.quiz).join(Attempt.enrolment).join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(Attempt.id == attempt_id, Attempt.user_id == user_id, Quiz.slug == quiz_slug,
               Quiz.archived.is_(False), Quiz.course_id == Cohort.course_id, Enrolment.cohort_id == cohort_id,
               Enrolment.user_id == user_id, Enrolment.status == "active")
        .options(contains_eager(Attempt.quiz))
        .with_for_update(of=Attempt)
    )
    return db.session.scalar(stmt)


def open_attempt(user_id: int, quiz_id: int) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.open_key == f"{user_id}:{quiz_id}"))


@dataclass
class QuizStatus:
    quiz: Quiz
    policy: Policy
    finished: list[Attempt]
    open_attempt: Attempt | None
    percent: float | None  # by the quiz's grading method
    passed: bool | None
    can_start: bool
    reason: str | None  # error code when the person cannot start

    @property
    def attempts_left(self) -> int | None:
        if not self.policy.attempts_allowed:
            return None
        return max(0, self.policy.attempts_allowed - len(self.finished))


def quiz_status(enrolment: Enrolment, quiz: Quiz, now: datetime | None = None) -> QuizStatus:
    """Everything the quiz page needs, after finalising an attempt whose time ran out."""
    now = now or utcnow()
    current = open_attempt(enrolment.user_id, quiz.id)
    if current is not None and finalise_if_due(current, now):
        current = None
    return _status(quiz, policy_for(quiz, enrolment), finished_attempts(enrolment, quiz), current, now)


def quiz_statuses(enrolment: Enrolment, quizzes: list[Quiz], now: datetime | None = None) -> list[QuizStatus]:
    """quiz_status for every quiz of a list in a fixed number of queries (the consultant's quiz list)."""
    from quizzes.models import QuizOverride, QuizWindow

    now = now or utcnow()
    ids = [q.id for q in quizzes]
    if not ids:
        return []
    opened = {a.quiz_id: a for a in db.session.scalars(select(Attempt).where(
        Attempt.open_key.in_([f"{enrolment.user_id}:{i}" for i in ids])))}
    for quiz_id, current in list(opened.items()):
        if finalise_if_due(current, now):
            del opened[quiz_id]
    windows = {w.quiz_id: w for w in db.session.scalars(select(QuizWindow).where(
        QuizWindow.quiz_id.in_(ids), QuizWindow.cohort_id == enrolment.cohort_id))}
    overrides = {o.quiz_id: o for o in db.session.scalars(select(QuizOverride).where(
        QuizOverride.quiz_id.in_(ids), QuizOverride.user_id == enrolment.user_id))}
    finished: dict[int, list[Attempt]] = {}
    for attempt in db.session.scalars(
            select(Attempt).where(Attempt.enrolment_id == enrolment.id, Attempt.quiz_id.in_(ids), Attempt.state != OPEN)
            .options(defer(Attempt.plan), defer(Attempt.version_ids))
            .order_by(Attempt.finished_at, Attempt.id)):
        finished.setdefault(attempt.quiz_id, []).append(attempt)
    return [_status(q, _policy(q, windows.get(q.id), overrides.get(q.id)), finished.get(q.id, []), opened.get(q.id),
                    now) for q in quizzes]


def _status(quiz: Quiz, policy: Policy, finished: list[Attempt], current: Attempt | None, now: datetime) -> QuizStatus:
    percent, ok = combine(quiz, finished)
    reason = None
    if policy.opens_at is not None and now < policy.opens_at:
        reason = "quiz_not_open_yet"
    elif policy.closes_at is not None and now >= policy.closes_at:
        reason = "quiz_closed"
    elif policy.attempts_allowed and len(finished) >= policy.attempts_allowed:
        reason = "no_attempts_left"
    return QuizStatus(quiz=quiz, policy=policy, finished=finished, open_attempt=current, percent=percent, passed=ok,
                      can_start=reason is None, reason=reason)


# ---------------------------------------------------------------------------------------------------------
# Start


def build_plan(quiz: Quiz, seed: str) -> tuple[dict, dict]:
    """Draw (or list) the questions, freeze their current versions and the display order.

    The live bank is read once, as plain rows of the few columns a draw needs: a synchronised start of
    hundreds of consultants runs this for each of them.
    """
    stmt = (select(Question.uid, Question.tags, QuestionVersion.id, QuestionVersion.data, QuestionVersion.case_data)
            .join(QuestionVersion, (QuestionVersion.question_id == Question.id)
                  & (QuestionVersion.number == Question.version_number))
            .where(Question.course_id == quiz.course_id, Question.archived.is_(False))
            .order_by(Question.id))
    bank = db.session.execute(stmt).all()
    if quiz.draw_count:
        drawn = draw_questions([{**row.data, "tags": list(row.tags or [])} for row in bank], quiz.draw_count,
                               quiz.draw_tags or [], seed)
        uids = [q["id"] for q in drawn]
    else:
        uids = quiz_question_uids(quiz)
    current = {row.uid: row for row in bank}
    uids = [u for u in uids if u in current]
    counts = {u: len(current[u].data.get("options") or []) for u in uids}
    groups = {u: (current[u].case_data or {}).get("id") for u in uids}
    plan = shuffle_plan(uids, counts, seed, quiz.shuffle_questions, quiz.shuffle_options, groups)
    return plan, {u: current[u].id for u in uids}


def start_attempt(enrolment: Enrolment, quiz: Quiz, now: datetime | None = None) -> tuple[Attempt, bool]:
    """Start an attempt, or return the open one (also when a concurrent start won the race): (attempt, created)."""
    now = now or utcnow()
    status = quiz_status(enrolment, quiz, now)
    if status.open_attempt is not None:
        return status.open_attempt, False
    if not status.can_start:
        raise AttemptError(status.reason)
    plan, version_ids = build_plan(quiz, secrets.token_hex(8))
    if not plan["questions"]:
        raise AttemptError("quiz_has_no_questions")
    policy = status.policy
    deadline = now + timedelta(minutes=policy.time_limit_minutes) if policy.time_limit_minutes else None
    if policy.closes_at is not None:
        deadline = min(deadline, policy.closes_at) if deadline else policy.closes_at
    attempt = Attempt(quiz_id=quiz.id, user_id=enrolment.user_id, enrolment_id=enrolment.id,
                      number=len(status.finished) + 1, state=OPEN, open_key=f"{enrolment.user_id}:{quiz.id}",
                      started_at=now, deadline=deadline, plan=plan, version_ids=version_ids)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        existing = open_attempt(enrolment.user_id, quiz.id)
        if existing is None:
            raise
        return existing, False
    if enrolment.started_at is None:
        enrolment.started_at = now
    return attempt, True


# ---------------------------------------------------------------------------------------------------------
# Answers


def question_versions(attempt: Attempt) -> dict[str, QuestionVersion]:
    ids = list(attempt.version_ids.values())
    rows = {v.id: v for v in db.session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids)))}
    return {uid: rows[vid] for uid, vid in attempt.version_ids.items() if vid in rows}


def _option_index(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) < 4:
        return int(value.strip())
    return None


def to_canonical(attempt: Attempt, uid: str, data: dict, raw: object) -> object:
    """Turn what the browser sent (display positions, words, text) into the stored answer, or refuse it."""
    if is_blank(raw):
        return None
    qtype = data["type"]
    if qtype in ("single", "multiple"):
        options = data.get("options") or []
        order = attempt.plan.get("options", {}).get(uid) or list(range(len(options)))
        values = raw if isinstance(raw, list) else [raw]
        if len(values) > len(order) or (qtype == "single" and len(values) != 1):
            raise AttemptError("answer_malformed")
        indices = []
        for value in values:
            position = _option_index(value)
            if position is None or not 0 <= position < len(order):
                raise AttemptError("option_unknown")
            indices.append(order[position])
        keys = [options[i]["key"] for i in sorted(set(indices))]
        return keys[0] if qtype == "single" else keys
    if qtype == "truefalse":
        value = raw[0] if isinstance(raw, list) and len(raw) == 1 else raw
        if isinstance(value, str) and value.strip().lower() not in ("true", "false"):
            raise AttemptError("option_unknown")
        parsed = parse_truefalse(value)
        if parsed is None:
            raise AttemptError("option_unknown")
        return parsed
    if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
        raise AttemptError("answer_malformed")
    text = str(raw).strip()
    if qtype == "numeric":
        if len(text) > MAX_NUMBER_ANSWER:
            raise AttemptError("answer_too_long")
        if parse_number(text) is None:
            raise AttemptError("not_a_number")
        return text
    if len(text) > MAX_TEXT_ANSWER:
        raise AttemptError("answer_too_long")
    return text


def to_display(attempt: Attempt, uid: str, data: dict, answer: object) -> object:
    """The stored answer as the form shows it: set of display positions, "true"/"false", or text."""
    qtype = data["type"]
    if qtype in ("single", "multiple"):
        keys = answer if isinstance(answer, list) else ([answer] if answer is not None else [])
        options = data.get("options") or []
        order = attempt.plan.get("options", {}).get(uid) or list(range(len(options)))
        canonical = {o["key"]: i for i, o in enumerate(options)}
        return {order.index(canonical[k]) for k in keys if k in canonical and canonical[k] in order}
    if qtype == "truefalse":
        return "" if answer is None else ("true" if answer else "false")
    return "" if answer is None else str(answer)


def stored_answers(attempt: Attempt) -> dict[str, AttemptAnswer]:
    rows = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))
    return {row.question_uid: row for row in rows}


@dataclass
class SaveResult:
    status: str  # saved | stale (a newer save is already stored)
    seq: int
    saved_at: datetime


def _check_open(attempt: Attempt, now: datetime, locked: bool = False) -> None:
    if not locked:  # the caller may have loaded the row FOR UPDATE already
        db.session.refresh(attempt, with_for_update=True)  # a row lock on PostgreSQL orders saves and submit
    if not attempt.is_open:
        raise AttemptError("attempt_closed")
    if attempt.deadline is not None and now > attempt.deadline:
        raise AttemptError("deadline_passed")


def save_answer(attempt: Attempt, uid: str, raw: object, seq: object, now: datetime | None = None,
                locked: bool = False) -> SaveResult:
    """Store one answer if the attempt is open and `seq` is not older than the stored one; repeats are harmless.

    `locked`: the caller loaded the attempt in this transaction with a row lock (no refresh needed).
    """
    now = now or utcnow()
    _check_open(attempt, now, locked)
    if not isinstance(uid, str) or uid not in attempt.version_ids:
        raise AttemptError("question_not_in_attempt")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise AttemptError("seq_invalid")
    version = db.session.get(QuestionVersion, attempt.version_ids[uid])  # only the one question being saved
    if version is None:
        raise AttemptError("question_not_in_attempt")
    value = to_canonical(attempt, uid, version.data, raw)
    return _write(attempt, uid, value, seq, now)


def _open_guard(attempt: Attempt):
    return select(Attempt.id).where(Attempt.id == attempt.id, Attempt.state == OPEN).exists()


def _write(attempt: Attempt, uid: str, value: object, seq: int, now: datetime) -> SaveResult:
    # the common case (the answer exists, this save is newer, the attempt is open) is one UPDATE
    result = db.session.execute(
        update(AttemptAnswer)
        .where(AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.question_uid == uid, AttemptAnswer.seq <= seq,
               _open_guard(attempt))
        .values(answer=value, seq=seq, saved_at=now)
        .execution_options(synchronize_session=False, preserve_rowcount=True)
    )
    if result.rowcount == 1:
        return SaveResult("saved", seq, now)
    row = db.session.execute(select(AttemptAnswer.seq, AttemptAnswer.saved_at).where(
        AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.question_uid == uid)).first()
    if row is None:
        values = select(literal(attempt.id, Integer), literal(uid, String), literal(value, JSON),
                        literal(seq, Integer), literal(now, UTCDateTime())).where(_open_guard(attempt))
        try:
            with db.session.begin_nested():
                # rowcount of an INSERT is only kept with preserve_rowcount: psycopg reports -1 once the
                # cursor is closed, which made every first save on PostgreSQL look like a closed attempt
                result = db.session.execute(insert(AttemptAnswer).from_select(
                    ["attempt_id", "question_uid", "answer", "seq", "saved_at"], values)
                    .execution_options(preserve_rowcount=True))
        except IntegrityError:  # a concurrent first save of the same question: take the update path
            return _write(attempt, uid, value, seq, now)
        if result.rowcount != 1:
            raise AttemptError("attempt_closed")
        return SaveResult("saved", seq, now)
    if seq < row.seq:
        return SaveResult("stale", row.seq, row.saved_at)
    db.session.refresh(attempt)  # the stored answer is not newer, so the open guard refused the update
    if not attempt.is_open:
        raise AttemptError("attempt_closed")
    return SaveResult("stale", row.seq, row.saved_at)


def save_form(attempt: Attempt, posted: dict[str, object], seqs: dict[str, int],
              now: datetime | None = None) -> dict[str, AttemptError]:
    """Save the answers of a plain form post; returns the refused ones by question (the rest are stored).

    Only changed answers are written, each with the sequence number the page was rendered with.
    """
    now = now or utcnow()
    _check_open(attempt, now)
    unknown = [uid for uid in posted if uid not in attempt.version_ids]
    if unknown:
        raise AttemptError("question_not_in_attempt")
    versions = question_versions(attempt)
    stored = stored_answers(attempt)
    errors: dict[str, AttemptError] = {}
    for uid, raw in posted.items():
        try:
            value = to_canonical(attempt, uid, versions[uid].data, raw)
        except AttemptError as exc:
            errors[uid] = exc
            continue
        previous = stored.get(uid)
        if (previous.answer if previous else None) == value:
            continue
        seq = seqs.get(uid, 0)
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
            errors[uid] = AttemptError("seq_invalid")
            continue
        _write(attempt, uid, value, seq, now)
    return errors


# ---------------------------------------------------------------------------------------------------------
# Submit, expiry and grading


def finalise_if_due(attempt: Attempt, now: datetime | None = None) -> bool:
    """Close an open attempt whose deadline passed, grading the answers saved before it."""
    now = now or utcnow()
    if attempt.is_open and attempt.deadline is not None and now > attempt.deadline:
        return _finalise(attempt, TIMED_OUT, attempt.deadline)
    return False


def submit_attempt(attempt: Attempt, now: datetime | None = None) -> bool:
    """Submit once: True if this call graded the attempt, False if it was already closed (double submit)."""
    now = now or utcnow()
    if attempt.deadline is not None and now > attempt.deadline:
        return _finalise(attempt, TIMED_OUT, attempt.deadline)
    return _finalise(attempt, SUBMITTED, now)


def _finalise(attempt: Attempt, state: str, finished_at: datetime) -> bool:
    result = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.state == OPEN)
        .values(state=state, open_key=None, finished_at=finished_at)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(attempt)
    if result.rowcount != 1:
        return False
    grade(attempt)
    return True


def grade(attempt: Attempt) -> None:
    """Grade on the server with the question versions frozen at start; a module quiz pass completes the module."""
    stmt = select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
    if attempt.deadline is not None:
        stmt = stmt.where(AttemptAnswer.saved_at <= attempt.deadline)
    answers = {row.question_uid: row.answer for row in db.session.scalars(stmt)}
    versions = question_versions(attempt)
    questions = [{**versions[uid].data, "id": uid} for uid in attempt.plan["questions"] if uid in versions]
    earned, possible, percent = grade_attempt(questions, answers)
    results = {}
    for question in questions:
        score = grade_question(question, answers.get(question["id"]))
        results[question["id"]] = {"fraction": score.fraction, "correct": score.correct, "invalid": score.invalid,
                                   "chosen": score.detail.get("chosen")}
    attempt.earned, attempt.possible, attempt.percent = earned, possible, percent
    attempt.results = results
    quiz = db.session.get(Quiz, attempt.quiz_id)
    attempt.passed = passed(quiz, percent) if quiz.pass_mark is not None else None
    if quiz.kind == "module" and quiz.module_id and attempt.passed:
        enrolment = db.session.get(Enrolment, attempt.enrolment_id)
        module = db.session.scalar(select(ModuleVersion).where(
            ModuleVersion.course_version_id == enrolment.cohort.course_version_id,
            ModuleVersion.module_id == quiz.module_id))
        if module is not None:
            complete_module(enrolment, module, via="quiz")
