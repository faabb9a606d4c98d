"""The rules of a quiz file: per-question checks and the rules that span the files of a course."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from quizzes.grading import CHOICE_TYPES, QUESTION_TYPES, SCORING_MODES, questions_with_tags
from quizzes.quizfile_model import _QUESTION_TEXT_FIELDS, REQUIRED_QUESTION_FIELDS, Problem, QuizFile, Say
from quizzes.quizfile_yaml import _blank, _is_number

_NUMBER_FIELDS = ("value", "tolerance", "min", "max", "points")


def _check_options(question: dict[str, Any], say: Say) -> None:
    """Check a choice question's options and key."""
    options = question.get("options")
    qtype = question["type"]
    if not isinstance(options, list) or not all(isinstance(o, dict) for o in options):
        say("options must be a list of {text, correct, feedback} mappings")
        return
    if len(options) < 2:
        say(f"a {qtype} question needs at least two options (found {len(options)})")
    for number, opt in enumerate(options, start=1):
        if _blank(opt.get("text")):
            say(f"option {number} has no text")
        if not isinstance(opt.get("correct"), bool):
            say(f"option {number}: correct must be true or false")
        weight = opt.get("weight")
        if weight is not None and not (_is_number(weight) and -1 <= weight <= 1):
            say(f"option {number}: weight must be a number from -1 to 1")
    keys = [str(o.get("key")) for o in options]
    if len(set(keys)) != len(keys):
        say("option keys must be unique")
    n_correct = sum(1 for o in options if o.get("correct") is True)
    if qtype == "single" and n_correct != 1:
        say(f"a single question needs exactly one correct option (found {n_correct})")
    if qtype == "multiple":
        if n_correct == 0:
            say("a multiple question needs at least one correct option")
        if question.get("scoring") not in SCORING_MODES:
            say(f"scoring must be one of {', '.join(SCORING_MODES)} (found {question.get('scoring')!r})")


def _check_short(question: dict[str, Any], say: Say) -> None:
    """Check a short-answer question has something to accept."""
    accepted = question.get("accepted")
    answers = question.get("answers")
    if accepted is not None and (not isinstance(accepted, list) or any(_blank(a) for a in accepted)):
        say("accepted must be a list of non-empty answers")
        return
    if answers is not None:
        well_formed = isinstance(answers, list) and all(
            isinstance(a, dict) and not _blank(a.get("text")) and _is_number(a.get("weight", 1))
            for a in answers
        )
        if not well_formed:
            say("answers must be a list of {text, weight, feedback}")
            return
    has_credit = bool(accepted) or any(a.get("weight", 1) > 0 for a in answers or [])
    if not has_credit:
        say("a short question needs accepted answers")


def _check_numeric_key(entry: Mapping[str, Any], say: Say, label: str) -> None:
    """Check one numeric key: a value with a tolerance, or a min..max range."""
    if entry.get("min") is not None or entry.get("max") is not None:
        low, high = entry.get("min"), entry.get("max")
        if not (_is_number(low) and _is_number(high)):
            say(f"{label}min and max must both be numbers")
        elif low > high:
            say(f"{label}min must not be greater than max")
        return
    value = entry.get("value")
    if value is None:
        say(f"{label}a numeric question needs a value (or min and max)")
    elif not _is_number(value):
        say(f"{label}value must be a number (found {value!r})")
    tolerance = entry.get("tolerance")
    if tolerance is not None and not (_is_number(tolerance) and tolerance >= 0):
        say(f"{label}tolerance must be a number >= 0")


def _check_question(question: dict[str, Any], say: Say) -> None:
    """Apply the per-question rules of the format doc, reporting each problem through ``say``."""
    for key in REQUIRED_QUESTION_FIELDS:
        if _blank(question.get(key)):
            say(f"missing {key}")
    for key in _QUESTION_TEXT_FIELDS:
        if question.get(key) is not None and not isinstance(question[key], str):
            say(f"{key} must be text")
    tags = question.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        say("tags must be a list of words")
    for key in _NUMBER_FIELDS:
        if question.get(key) is not None and not _is_number(question[key]) and key != "value":
            say(f"{key} must be a number")
    if question.get("points") is not None and _is_number(question["points"]) and question["points"] <= 0:
        say("points must be greater than 0")
    qtype = question.get("type")
    if _blank(qtype):
        return
    if qtype not in QUESTION_TYPES:
        say(f"unknown type {qtype!r} (expected one of {', '.join(QUESTION_TYPES)})")
        return
    if qtype in CHOICE_TYPES:
        _check_options(question, say)
    elif qtype == "truefalse":
        if not isinstance(question.get("answer"), bool):
            say("a truefalse question needs answer: true or false")
    elif qtype == "short":
        _check_short(question, say)
    elif qtype == "numeric":
        answers = question.get("answers")
        if answers is not None:
            if not isinstance(answers, list) or not all(isinstance(a, dict) for a in answers) or not answers:
                say("answers must be a list of {value, tolerance, weight, feedback}")
            else:
                for number, entry in enumerate(answers, start=1):
                    _check_numeric_key(entry, say, f"answer {number}: ")
        else:
            _check_numeric_key(question, say, "")


def course_bank(files: Iterable[QuizFile]) -> list[dict[str, Any]]:
    """Return every question of every file: the course's question bank."""
    return [q for f in files for q in f.questions]


def validate_course_quizzes(files: Sequence[QuizFile], module_slugs: set[str]) -> list[Problem]:
    """Apply the rules that span files: unique ids and slugs, modules exist, draws find enough questions.

    Draws select questions carrying *any* of their tags (:func:`quizzes.grading.questions_with_tags`).
    """
    problems: list[Problem] = []
    first_question: dict[str, tuple[str, int]] = {}
    first_case: dict[str, tuple[str, int]] = {}
    first_slug: dict[str, tuple[str, int]] = {}
    for quiz in files:
        where = (quiz.filename, quiz.line_of("slug"))
        if quiz.slug in first_slug:
            other = first_slug[quiz.slug]
            message = f"quiz slug {quiz.slug!r} is also used in {other[0]} line {other[1]}"
            problems.append(Problem(*where, message))
        else:
            first_slug[quiz.slug] = where
        for case in quiz.cases:
            at = (quiz.filename, quiz.case_lines.get(case["id"], 1))
            if case["id"] in first_case and first_case[case["id"]] != at:
                other = first_case[case["id"]]
                message = f"case id {case['id']!r} is also used in {other[0]} line {other[1]}"
                problems.append(Problem(*at, message))
            else:
                first_case.setdefault(case["id"], at)
        for question in quiz.questions:
            qid = question["id"]
            at = (quiz.filename, quiz.question_lines.get(qid, 1))
            if qid in first_question and first_question[qid] != at:
                other = first_question[qid]
                message = f"question id {qid!r} is also used in {other[0]} line {other[1]}"
                problems.append(Problem(*at, message))
            else:
                first_question.setdefault(qid, at)
    bank = course_bank(files)
    for quiz in files:
        if quiz.kind == "module" and quiz.module not in module_slugs:
            message = f"module {quiz.module!r} does not exist"
            problems.append(Problem(quiz.filename, quiz.line_of("module"), message))
        if quiz.draw:
            found = len(questions_with_tags(bank, quiz.draw.get("tags")))
            if found < quiz.draw["count"]:
                tags = ", ".join(quiz.draw.get("tags") or []) or "(any)"
                problems.append(Problem(
                    quiz.filename,
                    quiz.line_of("draw"),
                    f"draw needs {quiz.draw['count']} questions tagged {tags} but the course has {found}",
                ))
    return sorted(problems, key=lambda p: (p.filename, p.line))
