"""Data generator loaders for learning progress: enrolments, module progress, final-test attempts and answers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from bench.common import log
from bench.gen_base import RESERVED, Writer, max_id, optional


def load_enrolments(writer: Writer, modules: list, version, cohort_ids: list[int], user_base: int,
                    assignment: list[int], rng: random.Random, now: datetime) -> tuple[int, int]:
    """Enrolments (one per consultant) and module progress; returns (the id before the first enrolment,
    the number of module progress rows)."""
    from courses.models import Enrolment, ModuleProgress

    users = len(assignment)
    enrol_base = max_id(Enrolment.__table__)
    done_by_enrolment: list[int] = []

    def enrolment_rows() -> Iterator[dict]:
        for i in range(users):
            reserved = assignment[i] == 0 and i < RESERVED
            done = len(modules) if reserved else rng.choice((0, 1, 2, 3, 5, 7, len(modules), len(modules)))
            done_by_enrolment.append(done)
            last = modules[min(done, len(modules) - 1)].module_id if modules and done else None
            yield {"id": enrol_base + 1 + i, "cohort_id": cohort_ids[assignment[i]], "user_id": user_base + 1 + i,
                   "source": "import", "status": "active", "created_at": now - timedelta(days=30),
                   "started_at": (now - timedelta(days=20)) if done else None, "last_module_id": last}

    writer.insert(Enrolment.__table__, enrolment_rows())

    def progress_rows() -> Iterator[dict]:
        pid = max_id(ModuleProgress.__table__)
        for i in range(users):
            for module in modules[:done_by_enrolment[i]]:
                pid += 1
                yield {"id": pid, "enrolment_id": enrol_base + 1 + i, "module_id": module.module_id,
                       "completed_at": now - timedelta(days=10), "version_number": version.number,
                       "via": "manual"}

    progress_count = writer.insert(ModuleProgress.__table__, progress_rows())
    return enrol_base, progress_count


def _sample_answer(data: dict, rng: random.Random) -> object:
    """A canonical stored answer for one neutral question dict (quizzes.grading)."""
    qtype = data.get("type")
    options = data.get("options") or []
    if qtype == "single" and options:
        return rng.choice(options)["key"]
    if qtype == "multiple" and options:
        picked = sorted({rng.randrange(len(options)) for _ in range(2)})
        return [options[i]["key"] for i in picked]
    if qtype == "truefalse":
        return rng.random() < 0.7
    if qtype == "numeric":
        return str(data.get("answer", "1"))
    return "jawaban peserta"


def generate_answers(writer: Writer, course, enrolled: list[tuple[int, int, int]], answers: int,
                     rng: random.Random, now: datetime) -> dict:
    """Finished final-test attempts with their saved answers, if the quizzes capability exists."""
    models = optional("quizzes.models")
    attempts_mod = optional("quizzes.attempts")
    grading = optional("quizzes.grading")
    if models is None or attempts_mod is None or grading is None or answers <= 0:
        log("  quizzes capability not present: no attempts or answers generated")
        return {"available": False}
    from sqlalchemy import select

    from extensions import db

    quizzes = list(db.session.scalars(select(models.Quiz).where(models.Quiz.course_id == course.id)
                                      .order_by(models.Quiz.position, models.Quiz.id)))
    if not quizzes:
        log("  the course has no quizzes (quiz files not loaded): no attempts or answers generated")
        return {"available": False}
    final = next((q for q in quizzes if q.kind == "final"), quizzes[-1])
    # a few dozen frozen plans, graded once each with the app's own pure functions, reused round-robin
    templates = []
    for k in range(40):
        plan, version_ids = attempts_mod.build_plan(final, f"bench-{k}")
        if not version_ids:
            break
        versions = {v.id: v for v in db.session.scalars(
            select(models.QuestionVersion).where(models.QuestionVersion.id.in_(list(version_ids.values()))))}
        questions = [versions[version_ids[uid]].data | {"id": uid} for uid in plan["questions"]]
        responses = {q["id"]: _sample_answer(q, rng) for q in questions}
        earned, possible, percent = grading.grade_attempt(questions, responses)
        results = {}
        for q in questions:
            score = grading.grade_question(q, responses[q["id"]])
            results[q["id"]] = {"fraction": score.fraction, "correct": getattr(score, "correct", None),
                                "chosen": responses[q["id"]]}
        templates.append({"plan": plan, "version_ids": version_ids, "responses": responses, "earned": earned,
                          "possible": possible, "percent": percent, "results": results})
    if not templates:
        log("  the final test has no questions: no attempts generated")
        return {"available": False}
    per_attempt = len(templates[0]["responses"])
    attempt_count = min(len(enrolled), max(1, answers // max(per_attempt, 1)))
    pass_mark = final.pass_mark or 0
    attempt_table = models.Attempt.__table__
    answer_table = models.AttemptAnswer.__table__
    attempt_base = max_id(attempt_table)
    answer_base = max_id(answer_table)

    def attempt_rows() -> Iterator[dict]:
        for n, (user_id, enrolment_id, _) in enumerate(enrolled[:attempt_count]):
            tpl = templates[n % len(templates)]
            started = now - timedelta(days=2, minutes=n % 600)
            yield {"id": attempt_base + 1 + n, "quiz_id": final.id, "user_id": user_id, "enrolment_id": enrolment_id,
                   "number": 1, "state": models.SUBMITTED, "open_key": None, "started_at": started,
                   "deadline": started + timedelta(minutes=final.time_limit_minutes or 45),
                   "finished_at": started + timedelta(minutes=30), "plan": tpl["plan"],
                   "version_ids": tpl["version_ids"], "earned": tpl["earned"], "possible": tpl["possible"],
                   "percent": tpl["percent"], "passed": tpl["percent"] + 1e-9 >= pass_mark,
                   "results": tpl["results"]}

    def answer_rows() -> Iterator[dict]:
        aid = answer_base
        for n in range(attempt_count):
            tpl = templates[n % len(templates)]
            saved = now - timedelta(days=2, minutes=n % 600)
            for seq, (uid, answer) in enumerate(tpl["responses"].items(), start=1):
                aid += 1
                yield {"id": aid, "attempt_id": attempt_base + 1 + n, "question_uid": uid, "answer": answer,
                       "seq": seq, "saved_at": saved}

    made_attempts = writer.insert(attempt_table, attempt_rows())
    made_answers = writer.insert(answer_table, answer_rows())
    log(f"  {made_attempts:,} final-test attempts, {made_answers:,} saved answers")
    return {"available": True, "final_slug": final.slug, "final_id": final.id,
            "quiz_slugs": [q.slug for q in quizzes], "questions_per_attempt": per_attempt,
            "rows": {"attempts": made_attempts, "answers": made_answers}, "_tables": [attempt_table, answer_table]}
