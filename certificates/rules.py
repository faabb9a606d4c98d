"""Who has earned a certificate: a pure rule evaluator.

The issuing code (CERT-5) calls :func:`evaluate` inside the issuing transaction with evidence it
read from the database; the dashboard calls it to show progress. No Flask, no database: plain
values in, plain values out.

Edge rules (each has a test in ``tests/test_cert_rules.py``):

* **Nothing required is met.** A rule with no modules, quizzes, attendance or post-test gives
  ``met=True`` with an empty requirement list. (The course author decides; the app should warn
  when it saves such a rule.)
* **Modules.** ``'all'`` means every module slug of the learner's course version; an explicit
  list means those slugs. A listed slug that is not in the course version cannot be completed,
  so the requirement stays unmet and the slug is reported in ``label_params['unknown']`` (fail
  closed: a misconfigured rule must not issue certificates). ``'all'`` on a version with no
  modules is met (0/0).
* **Percent comparisons** round both sides to 2 decimals (half up) and then compare with ``>=``:
  69.999 counts as 70.00 and passes a 70 minimum; 69.994 is 69.99 and does not.
* **Quizzes.** The best graded attempt counts; the rule's minimum is authoritative, so the
  attempt's own ``passed`` flag is ignored. Ungraded attempts (``percent is None``) count for
  nothing and are listed in ``missing.awaiting_grading``. A quiz with no attempts needs the full
  minimum and one graded attempt (``missing.attempts == 1``), even when the minimum is 0.
* **Post-test.** With ``posttest_min_percent`` set, it works like a quiz. Without it, an attempt
  must carry ``passed=True`` (the quiz engine's own pass mark).
* **Attendance.** Status ``excused`` (Izin) removes the session from the denominator; ``late``
  counts as attended; ``absent`` and ``None`` (not recorded yet / future session) count as not
  attended but stay in the denominator. With basis ``'minutes'`` present/late sessions count
  their ``minutes_present`` (the scheduled minutes when not recorded), clamped to
  0..scheduled. Zero sessions (or zero minutes) left in the denominator means the attendance
  requirement is met. ``missing.sessions``/``missing.minutes`` say how much more attendance
  would be needed, and ``missing.achievable`` is False when the sessions not yet recorded
  cannot make up the gap.
* Unknown attendance statuses raise ``ValueError`` rather than being guessed.

:func:`merge_rule` builds a :class:`Rule` from a course's rule dict with a cohort's override:
each top-level key in the override replaces the course's key wholesale (so a cohort can drop a
quiz by giving a ``quizzes`` dict without it, or drop attendance with
``attendance_percent: None``); keys absent from the override are inherited.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Literal, NamedTuple

__all__ = [
    "Attempt",
    "Evaluation",
    "Evidence",
    "Missing",
    "Progress",
    "Requirement",
    "Rule",
    "Session",
    "evaluate",
    "merge_rule",
    "percent_ge",
]

Kind = Literal["modules", "quiz", "attendance", "posttest"]
Basis = Literal["sessions", "minutes"]
ATTENDED = frozenset({"present", "late"})
STATUSES = frozenset({"present", "late", "excused", "absent"})
RULE_KEYS = frozenset(
    {
        "modules",
        "quizzes",
        "attendance_percent",
        "attendance_basis",
        "posttest_required",
        "posttest_min_percent",
    }
)
_CENT = Decimal("0.01")


class Attempt(NamedTuple):
    """One graded (or still ungraded) quiz attempt; plain tuples of the same shape work too."""

    attempt_id: int | str
    percent: float | None
    passed: bool | None = None


class Session(NamedTuple):
    """One scheduled live session and the learner's attendance at it."""

    session_id: int | str
    title: str
    minutes_scheduled: int
    status: str | None
    minutes_present: int | None = None


@dataclass(frozen=True)
class Rule:
    """What a learner must do to earn the certificate; defaults require nothing."""

    modules: Literal["all"] | tuple[str, ...] = ()
    quizzes: Mapping[str, float] = field(default_factory=dict)
    attendance_percent: float | None = None
    attendance_basis: Basis = "sessions"
    posttest_required: bool = False
    posttest_min_percent: float | None = None

    def __post_init__(self) -> None:
        """Validate and freeze inputs so a bad rule fails when saved, not when a learner finishes."""
        modules = self.modules
        if modules != "all":
            if isinstance(modules, str) or not isinstance(modules, Iterable):
                raise ValueError("modules must be 'all' or a list of module slugs")
            modules = tuple(dict.fromkeys(modules))
            if not all(isinstance(m, str) and m for m in modules):
                raise ValueError("module slugs must be non-empty strings")
            object.__setattr__(self, "modules", modules)
        if not isinstance(self.quizzes, Mapping):
            raise ValueError("quizzes must map quiz slug to a minimum percent")
        quizzes = {}
        for slug, minimum in self.quizzes.items():
            if not isinstance(slug, str) or not slug:
                raise ValueError("quiz slugs must be non-empty strings")
            quizzes[slug] = _check_percent(minimum, f"minimum for quiz {slug!r}")
        object.__setattr__(self, "quizzes", quizzes)
        if self.attendance_percent is not None:
            _check_percent(self.attendance_percent, "attendance_percent")
        if self.attendance_basis not in ("sessions", "minutes"):
            raise ValueError("attendance_basis must be 'sessions' or 'minutes'")
        if not isinstance(self.posttest_required, bool):
            raise ValueError("posttest_required must be true or false")
        if self.posttest_min_percent is not None:
            _check_percent(self.posttest_min_percent, "posttest_min_percent")


@dataclass(frozen=True)
class Evidence:
    """What the learner has done, read from the database by the caller."""

    course_modules: Sequence[str] = ()
    completed_modules: Collection[str] = frozenset()
    quiz_results: Mapping[str, Sequence[Attempt | tuple]] = field(default_factory=dict)
    quiz_titles: Mapping[str, str] = field(default_factory=dict)
    sessions: Sequence[Session | tuple] = ()
    posttest_attempts: Sequence[Attempt | tuple] = ()


@dataclass(frozen=True)
class Progress:
    """How far along a requirement is, as a count (7/9) or a percent (62%)."""

    done: float
    total: float
    unit: Literal["count", "percent"]

    def __str__(self) -> str:
        """Render the short form shown next to a requirement."""
        if self.unit == "count":
            return f"{self.done:g}/{self.total:g}"
        return f"{self.done:g}%"


@dataclass(frozen=True)
class Missing:
    """What is still left to do for one requirement; empty when it is met."""

    modules: tuple[str, ...] = ()
    points: float = 0.0
    sessions: int = 0
    minutes: int = 0
    attempts: int = 0
    awaiting_grading: tuple[int | str, ...] = ()
    achievable: bool = True

    def __bool__(self) -> bool:
        """True when anything is still missing, so templates can write ``if req.missing``."""
        return bool(self.modules or self.points or self.sessions or self.minutes or self.attempts)


@dataclass(frozen=True)
class Requirement:
    """One line of the checklist; ``label_params`` feeds the translated label."""

    kind: Kind
    key: str
    label_params: Mapping[str, object]
    met: bool
    progress: Progress
    evidence: tuple[int | str, ...]
    missing: Missing


@dataclass(frozen=True)
class Evaluation:
    """Overall verdict plus the per-requirement checklist that explains it."""

    met: bool
    requirements: list[Requirement]

    @property
    def unmet(self) -> list[Requirement]:
        """Requirements still open, for 'what is left' lists."""
        return [r for r in self.requirements if not r.met]


# ---------------------------------------------------------------------------------------------


def _check_percent(value: object, what: str) -> float:
    """Accept a finite number 0..100 so rules stay meaningful."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number")
    if not math.isfinite(value) or not 0 <= value <= 100:
        raise ValueError(f"{what} must be between 0 and 100")
    return value


def _round2(value: float | Fraction | Decimal) -> Decimal:
    """Round half up to 2 decimals so float noise (69.999...) cannot flip a decision."""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("percent must be finite")
        value = Decimal(repr(value))
    elif isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    else:
        value = Decimal(value)
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def percent_ge(value: float, minimum: float) -> bool:
    """Compare percents the way every rule does: both rounded to 2 dp, then ``>=``."""
    return _round2(value) >= _round2(minimum)


def _num(d: Decimal) -> float:
    """Turn a rounded Decimal into a plain number for display."""
    return float(d)


def _attempts(raw: Iterable[Attempt | tuple]) -> list[Attempt]:
    """Accept NamedTuples or plain tuples from the caller."""
    return [a if isinstance(a, Attempt) else Attempt(*a) for a in raw]


def _best(attempts: list[Attempt]) -> Attempt | None:
    """Return the highest graded attempt (the earliest one on ties)."""
    graded = [a for a in attempts if a.percent is not None]
    if not graded:
        return None
    return max(graded, key=lambda a: _round2(a.percent))


def _score_requirement(
    kind: Kind, key: str, attempts: list[Attempt], minimum: float, params: dict[str, object]
) -> Requirement:
    """Shared logic for quizzes and a percent-based post-test."""
    best = _best(attempts)
    awaiting = tuple(a.attempt_id for a in attempts if a.percent is None)
    best_pct = _round2(best.percent) if best else Decimal("0.00")
    min_pct = _round2(minimum)
    met = best is not None and best_pct >= min_pct
    points = Decimal(0) if met else min_pct - best_pct
    return Requirement(
        kind=kind,
        key=key,
        label_params={**params, "min_percent": minimum, "best_percent": _num(best_pct) if best else None},
        met=met,
        progress=Progress(_num(best_pct), minimum, "percent"),
        evidence=(best.attempt_id,) if best else (),
        missing=Missing(points=_num(points), attempts=int(best is None), awaiting_grading=awaiting),
    )


def _modules(rule: Rule, ev: Evidence) -> Requirement:
    """Module completion: every required slug must be in the completed set."""
    in_version = list(dict.fromkeys(ev.course_modules))
    required = in_version if rule.modules == "all" else list(rule.modules)
    completed = set(ev.completed_modules)
    done = tuple(m for m in required if m in completed)
    missing = tuple(m for m in required if m not in completed)
    unknown = tuple(m for m in required if m not in in_version)
    return Requirement(
        kind="modules",
        key="modules",
        label_params={
            "required": len(required),
            "completed": len(done),
            "all": rule.modules == "all",
            "unknown": unknown,
        },
        met=not missing,
        progress=Progress(len(done), len(required), "count"),
        evidence=done,
        missing=Missing(modules=missing, achievable=not unknown),
    )


def _sessions(raw: Iterable[Session | tuple]) -> list[Session]:
    """Accept NamedTuples or plain tuples and refuse unknown statuses."""
    out = []
    for s in raw:
        s = s if isinstance(s, Session) else Session(*s)
        if s.status is not None and s.status not in STATUSES:
            raise ValueError(f"unknown attendance status {s.status!r} for session {s.session_id!r}")
        out.append(s)
    return out


def _minutes_attended(s: Session) -> int:
    """Minutes that count for one session under the minutes basis."""
    scheduled = max(0, int(s.minutes_scheduled))
    if s.status not in ATTENDED:
        return 0
    present = scheduled if s.minutes_present is None else int(s.minutes_present)
    return min(max(0, present), scheduled)


def _attendance(rule: Rule, ev: Evidence) -> Requirement:
    """Attendance share against the rule's minimum, with excused sessions left out."""
    target = rule.attendance_percent
    assert target is not None
    sessions = _sessions(ev.sessions)
    counted = [s for s in sessions if s.status != "excused"]
    pending = [s for s in counted if s.status is None]
    excused = len(sessions) - len(counted)
    if rule.attendance_basis == "sessions":
        denom = len(counted)
        attended = [s for s in counted if s.status in ATTENDED]
        num = len(attended)
        evidence = tuple(s.session_id for s in attended)
    else:
        denom = sum(max(0, int(s.minutes_scheduled)) for s in counted)
        per = [(s, _minutes_attended(s)) for s in counted]
        num = sum(m for _, m in per)
        evidence = tuple(s.session_id for s, m in per if m > 0)
    params: dict[str, object] = {
        "min_percent": target,
        "basis": rule.attendance_basis,
        "attended": num,
        "counted": denom,
        "excused": excused,
    }
    if denom == 0:
        return Requirement(
            "attendance", "attendance", params, True, Progress(100, target, "percent"), evidence, Missing()
        )
    pct = _round2(Fraction(num, denom) * 100)
    met = pct >= _round2(target)
    missing = Missing()
    if not met:
        if rule.attendance_basis == "sessions":
            goal = _round2(target)
            need = next(
                (k for k in range(1, denom - num + 1) if _round2(Fraction(num + k, denom) * 100) >= goal),
                denom - num,
            )
            missing = Missing(sessions=need, achievable=need <= len(pending))
        else:
            need = math.ceil(Fraction(str(target)) * denom / 100 - num)
            possible = sum(max(0, int(s.minutes_scheduled)) for s in pending)
            missing = Missing(minutes=max(1, need), achievable=need <= possible)
    return Requirement(
        "attendance", "attendance", params, met, Progress(_num(pct), target, "percent"), evidence, missing
    )


def _posttest(rule: Rule, ev: Evidence) -> Requirement:
    """Post-test: a percent minimum if the rule sets one, else the engine's pass flag."""
    attempts = _attempts(ev.posttest_attempts)
    if rule.posttest_min_percent is not None:
        return _score_requirement("posttest", "posttest", attempts, rule.posttest_min_percent, {})
    passed = tuple(a.attempt_id for a in attempts if a.passed is True)
    awaiting = tuple(a.attempt_id for a in attempts if a.passed is None)
    return Requirement(
        kind="posttest",
        key="posttest",
        label_params={"min_percent": None, "attempts": len(attempts)},
        met=bool(passed),
        progress=Progress(1 if passed else 0, 1, "count"),
        evidence=passed[:1],
        missing=Missing(attempts=0 if passed else 1, awaiting_grading=awaiting),
    )


def evaluate(rule: Rule, evidence: Evidence) -> Evaluation:
    """Check every requirement of ``rule`` against ``evidence`` and explain the result."""
    reqs: list[Requirement] = []
    if rule.modules == "all" or rule.modules:
        reqs.append(_modules(rule, evidence))
    for slug, minimum in rule.quizzes.items():
        attempts = _attempts(evidence.quiz_results.get(slug, ()))
        title = evidence.quiz_titles.get(slug, slug)
        reqs.append(_score_requirement("quiz", slug, attempts, minimum, {"title": title}))
    if rule.attendance_percent is not None:
        reqs.append(_attendance(rule, evidence))
    if rule.posttest_required:
        reqs.append(_posttest(rule, evidence))
    return Evaluation(met=all(r.met for r in reqs), requirements=reqs)


def merge_rule(course_rule: Mapping[str, object], cohort_override: Mapping[str, object] | None) -> Rule:
    """Apply a cohort's override on top of the course rule, key by key."""
    merged: dict[str, object] = {}
    for source, name in ((course_rule or {}, "course rule"), (cohort_override or {}, "cohort override")):
        if not isinstance(source, Mapping):
            raise ValueError(f"{name} must be a mapping")
        unknown = set(source) - RULE_KEYS
        if unknown:
            raise ValueError(f"{name} has unknown keys: {', '.join(sorted(map(str, unknown)))}")
        merged.update(source)
    if merged.get("attendance_basis") is None:
        merged.pop("attendance_basis", None)
    if merged.get("quizzes") is None:
        merged.pop("quizzes", None)
    if merged.get("modules") is None:
        merged.pop("modules", None)
    if merged.get("posttest_required") is None:
        merged.pop("posttest_required", None)
    return Rule(**merged)  # type: ignore[arg-type]
