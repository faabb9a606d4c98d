"""Quiz results for the rest of the app (requirements, certificates, reports) and the review policy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import defer

from accounts.models import utcnow
from courses.models import Cohort, Enrolment
from extensions import db
from quizzes.grading import attempt_result
from quizzes.models import OPEN, Attempt, Quiz, QuizOverride
from quizzes.windows import get_window


def combine(quiz: Quiz, finished: list[Attempt]) -> tuple[float | None, bool | None]:
    """The quiz result from the finished attempts: (percent by grading method, passed)."""
    percent = attempt_result([a.percent or 0.0 for a in finished], quiz.grading)
    if percent is None:
        return None, None
    return percent, passed(quiz, percent)


def passed(quiz: Quiz, percent: float | None) -> bool | None:
    if percent is None:
        return None
    if quiz.pass_mark is None:
        return True
    return percent + 1e-9 >= quiz.pass_mark



# ---------------------------------------------------------------------------------------------------------
# Review policy


def review_close_time(quiz: Quiz, cohort: Cohort) -> datetime:
    """When "after the window closes" arrives: the latest close of the cohort's window and of any override,
    or the end of the cohort's last day in its own time zone."""
    window = get_window(quiz, cohort)
    closes = [window.closes_at] if window is not None and window.closes_at is not None else []
    latest_override = db.session.scalar(select(func.max(QuizOverride.closes_at)).where(QuizOverride.quiz_id == quiz.id))
    if latest_override is not None:
        closes.append(latest_override)
    if closes:
        return max(closes)
    end = datetime.combine(cohort.ends_on + timedelta(days=1), time(0), tzinfo=ZoneInfo(cohort.timezone))
    return end.astimezone(UTC)


def review_rights(attempt: Attempt, quiz: Quiz, cohort: Cohort, now: datetime | None = None) -> frozenset[str]:
    """What the consultant may see of a finished attempt now: score, correctness, answers, feedback."""
    now = now or utcnow()
    if attempt.is_open or quiz.review_when == "never":
        return frozenset()
    if quiz.review_when == "after_close" and now < review_close_time(quiz, cohort):
        return frozenset()
    return frozenset(quiz.review_show or [])


# ---------------------------------------------------------------------------------------------------------
# Results for other capabilities (requirements, certificates, reports)


@dataclass
class QuizResult:
    quiz: Quiz
    percent: float | None
    passed: bool | None
    attempts: int
    last_finished_at: datetime | None
    attempt_ids: list[int] = field(default_factory=list)


def results_for_enrolment(enrolment: Enrolment, quizzes: list[Quiz]) -> dict[str, QuizResult]:
    """slug -> result by each quiz's grading method, for one enrolment, in one query."""
    if not quizzes:
        return {}
    rows = db.session.scalars(select(Attempt).where(
        Attempt.enrolment_id == enrolment.id, Attempt.quiz_id.in_([q.id for q in quizzes]), Attempt.state != OPEN,
    ).order_by(Attempt.finished_at, Attempt.id))
    by_quiz: dict[int, list[Attempt]] = {}
    for attempt in rows:
        by_quiz.setdefault(attempt.quiz_id, []).append(attempt)
    results = {}
    for quiz in quizzes:
        finished = by_quiz.get(quiz.id, [])
        percent, ok = combine(quiz, finished)
        results[quiz.slug] = QuizResult(quiz=quiz, percent=percent, passed=ok, attempts=len(finished),
                                        last_finished_at=finished[-1].finished_at if finished else None,
                                        attempt_ids=[a.id for a in finished])
    return results


def cohort_results(cohort: Cohort, quizzes: list[Quiz],
                   enrolment_ids: list[int] | None = None) -> dict[int, dict[str, QuizResult]]:
    """user_id -> slug -> result for every enrolment of a cohort (or the given ones), in one query (reports,
    certificates). The attempts' frozen plans and question versions are not read: grading is already stored."""
    stmt = (select(Attempt, Enrolment.user_id).join(Enrolment, Enrolment.id == Attempt.enrolment_id)
            .where(Enrolment.cohort_id == cohort.id, Attempt.state != OPEN,
                   Attempt.quiz_id.in_([q.id for q in quizzes]))
            .options(defer(Attempt.plan), defer(Attempt.version_ids))
            .order_by(Attempt.finished_at, Attempt.id))
    if enrolment_ids is not None:
        stmt = stmt.where(Attempt.enrolment_id.in_(enrolment_ids))
    rows = db.session.execute(stmt)
    grouped: dict[int, dict[int, list[Attempt]]] = {}
    for attempt, user_id in rows:
        grouped.setdefault(user_id, {}).setdefault(attempt.quiz_id, []).append(attempt)
    out: dict[int, dict[str, QuizResult]] = {}
    for user_id, per_quiz in grouped.items():
        out[user_id] = {}
        for quiz in quizzes:
            finished = per_quiz.get(quiz.id, [])
            percent, ok = combine(quiz, finished)
            out[user_id][quiz.slug] = QuizResult(quiz=quiz, percent=percent, passed=ok, attempts=len(finished),
                                                 last_finished_at=finished[-1].finished_at if finished else None,
                                                 attempt_ids=[a.id for a in finished])
    return out


def passed_kind_select(enrolment_ids, kind: str = "final"):
    """Enrolment ids (of a subquery with an `id` column) with a finished attempt of a quiz of `kind` at or above
    its pass mark (the highest attempt counts, as the shipped final test grades)."""
    from sqlalchemy import func, select

    from quizzes.models import Attempt, Quiz

    percent = Attempt.earned * 100.0 / func.nullif(Attempt.possible, 0)
    return (select(Attempt.enrolment_id).join(Quiz, Quiz.id == Attempt.quiz_id)
            .where(Attempt.enrolment_id.in_(select(enrolment_ids.c.id)), Quiz.kind == kind,
                   Attempt.state != "open", Attempt.possible > 0,
                   percent >= func.coalesce(Quiz.pass_mark, 0.0) - 0.005))
