"""Item statistics and pre/post learning gain: the queries that feed the pure quizzes.itemstats functions."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from accounts.models import User
from courses.models import Cohort, Course, Enrolment
from courses.rendering import plain_text
from extensions import db
from quizzes.itemstats import ItemStat, LearningGain, ScoreSummary, item_statistics, learning_gain, score_summary
from quizzes.models import OPEN, Attempt, QuestionVersion, Quiz
from quizzes.results import combine
from quizzes.services import course_quizzes


@dataclass
class OptionRow:
    key: str
    label: str
    correct: bool
    count: int
    percent: float


@dataclass
class ItemRow:
    uid: str
    type: str
    text: str
    stat: ItemStat
    options: list[OptionRow] = field(default_factory=list)


@dataclass
class ItemReport:
    quiz: Quiz
    cohort: Cohort | None
    attempts: int
    summary: ScoreSummary
    rows: list[ItemRow]

    @property
    def flagged(self) -> list[ItemRow]:
        return [row for row in self.rows if row.stat.flags]


def finished_attempts(quiz: Quiz, cohort: Cohort | None = None) -> list[Attempt]:
    stmt = select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.state != OPEN)
    if cohort is not None:
        stmt = stmt.join(Enrolment, Enrolment.id == Attempt.enrolment_id).where(Enrolment.cohort_id == cohort.id)
    return list(db.session.scalars(stmt.order_by(Attempt.finished_at, Attempt.id)))


def _chosen(value: object) -> list[str]:
    if value is None:
        return []
    values = value if isinstance(value, list) else [value]
    return [("true" if v else "false") if isinstance(v, bool) else str(v) for v in values]


def item_report(quiz: Quiz, cohort: Cohort | None = None) -> ItemReport:
    """Facility, discrimination and option choices of every item the finished attempts met."""
    attempts = finished_attempts(quiz, cohort)
    rows = [{"attempt_id": a.id, "total_percent": a.percent,
             "items": {uid: {"fraction": r.get("fraction"), "chosen": _chosen(r.get("chosen"))}
                       for uid, r in (a.results or {}).items()}} for a in attempts]
    uid_of = {vid: uid for a in attempts for uid, vid in (a.version_ids or {}).items()}
    by_uid: dict[str, QuestionVersion] = {}
    if uid_of:
        for version in db.session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(uid_of))):
            uid = uid_of[version.id]
            if uid not in by_uid or version.number > by_uid[uid].number:
                by_uid[uid] = version
    option_keys = {}
    for uid, version in by_uid.items():
        if version.data["type"] in ("single", "multiple"):
            option_keys[uid] = [o["key"] for o in version.data.get("options") or []]
        elif version.data["type"] == "truefalse":
            option_keys[uid] = ["true", "false"]
    stats = item_statistics(rows, option_keys)
    items = []
    for uid, stat in stats.items():
        version = by_uid.get(uid)
        if version is None:
            continue
        data = version.data
        row = ItemRow(uid=uid, type=data["type"], text=plain_text(version.html.get("text", ""))[:160], stat=stat)
        if data["type"] in ("single", "multiple"):
            for index, option in enumerate(data.get("options") or []):
                key = option["key"]
                row.options.append(OptionRow(key=key, label=plain_text(version.html["options"][index])[:80],
                                             correct=bool(option.get("correct")),
                                             count=stat.option_counts.get(key, 0),
                                             percent=stat.option_percent.get(key, 0.0)))
        elif data["type"] == "truefalse":
            for key, label in (("true", "Benar"), ("false", "Salah")):
                row.options.append(OptionRow(key=key, label=label, correct=(key == "true") == bool(data.get("answer")),
                                             count=stat.option_counts.get(key, 0),
                                             percent=stat.option_percent.get(key, 0.0)))
        items.append(row)
    summary = score_summary([{"total_percent": a.percent} for a in attempts])
    return ItemReport(quiz=quiz, cohort=cohort, attempts=len(attempts), summary=summary, rows=items)


@dataclass
class GainReport:
    cohort: Cohort
    pretest: Quiz | None
    posttest: Quiz | None
    gain: LearningGain | None
    names: dict[int, str]


def _percents(quiz: Quiz, cohort: Cohort, first_only: bool) -> dict[int, float]:
    """user_id -> percent: the first attempt (a pre-test measures the start) or the quiz's grading method."""
    per_user: dict[int, list[Attempt]] = {}
    for attempt in finished_attempts(quiz, cohort):
        per_user.setdefault(attempt.user_id, []).append(attempt)
    out = {}
    for user_id, attempts in per_user.items():
        percent = attempts[0].percent if first_only else combine(quiz, attempts)[0]
        if percent is not None:
            out[user_id] = percent
    return out


def gain_report(course: Course, cohort: Cohort) -> GainReport:
    """Pre-test (first attempt) against post-test (by its grading method), per person and for the cohort."""
    quizzes = course_quizzes(course)
    pre = next((q for q in quizzes if q.kind == "pretest"), None)
    post = next((q for q in quizzes if q.kind == "posttest"), None)
    if pre is None or post is None:
        return GainReport(cohort=cohort, pretest=pre, posttest=post, gain=None, names={})
    gain = learning_gain(_percents(pre, cohort, True), _percents(post, cohort, False))
    ids = set(gain.people) | set(gain.only_pre) | set(gain.only_post)
    names = {u.id: u.full_name for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return GainReport(cohort=cohort, pretest=pre, posttest=post, gain=gain, names=names)
