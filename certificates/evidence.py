"""Evidence adapter: what a participant has done, read from courses, quizzes and attendance.

Builds :class:`certificates.rules.Evidence` for one enrolment or, with a fixed number of queries,
for a chunk of enrolments of one cohort. Read-only: nothing here writes. Sources:

* modules: ``courses.progress`` (progress made in an older version counts unless a later publish
  marked the module "must re-read");
* quizzes: ``quizzes.attempts.results_for_enrolment`` / ``cohort_results``. A quiz's result is
  taken *by the quiz's own grading method* (highest or last finished attempt), so the checklist
  agrees with the quiz page; it enters the rule as one attempt whose id is the latest attempt;
* post-test: the quizzes of kind ``posttest`` of the course, or of kind ``final`` when the course
  has no post-test;
* attendance: ``attendance.registers.attendance_evidence`` / ``cohort_attendance_evidence``
  (status None = nothing recorded yet).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from attendance import registers
from certificates.rules import Attempt, Evidence, Session
from courses import progress
from courses.models import Cohort, Enrolment
from quizzes import attempts as quiz_attempts
from quizzes import services as quiz_services


def evidence_for(enrolment: Enrolment) -> Evidence:
    """Evidence of one enrolment."""
    return evidence_for_many(enrolment.cohort, [enrolment])[enrolment.id]


def _as_attempts(result) -> list[Attempt]:
    """A quiz engine result as the rule's attempt list (empty when nothing was finished)."""
    if result is None or not result.attempts:
        return []
    return [Attempt(result.attempt_ids[-1] if result.attempt_ids else 0, result.percent, result.passed)]


def _sessions(rows: Sequence[Mapping]) -> list[Session]:
    return [Session(r["session_id"], r["title"], int(r["minutes_scheduled"] or 0), r["status"], r["minutes_present"])
            for r in rows]


def evidence_for_many(cohort: Cohort, enrolments: Sequence[Enrolment]) -> dict[int, Evidence]:
    """Evidence of several enrolments of one cohort (modules, quizzes, post-test, attendance)."""
    ids = [e.id for e in enrolments]
    modules = progress.version_modules(cohort.course_version_id)
    slugs = [m.slug for m in modules]
    slug_of = {m.module_id: m.slug for m in modules}
    done = progress.cohort_done_counts(cohort, ids)

    quizzes = quiz_services.course_quizzes(cohort.course, include_archived=True)
    titles = {q.slug: q.title for q in quizzes}
    post = [q.slug for q in quizzes if q.kind == "posttest"] or [q.slug for q in quizzes if q.kind == "final"]
    if len(enrolments) == 1:
        only = enrolments[0]
        quiz_results = {only.user_id: quiz_attempts.results_for_enrolment(only, quizzes)}
        attendance = {only.user_id: registers.attendance_evidence(only)}
    else:
        quiz_results = quiz_attempts.cohort_results(cohort, quizzes, ids) if quizzes else {}
        attendance = registers.cohort_attendance_evidence(cohort, [e.user_id for e in enrolments])

    out: dict[int, Evidence] = {}
    for e in enrolments:
        results = quiz_results.get(e.user_id, {})
        out[e.id] = Evidence(
            course_modules=slugs,
            completed_modules=frozenset(slug_of[m] for m in done.get(e.id, ()) if m in slug_of),
            quiz_results={slug: _as_attempts(result) for slug, result in results.items()},
            quiz_titles=titles,
            sessions=_sessions(attendance.get(e.user_id, [])),
            posttest_attempts=[a for slug in post for a in _as_attempts(results.get(slug))],
        )
    return out
