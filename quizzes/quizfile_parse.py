"""Parse the quiz YAML files of a course package (see docs/course-package.md).

``parse_quiz_file`` reports *every* problem of a file at once, each as ``(filename, line, message)``
pointing at the line of the offending question (or setting), so an author fixes a package in one pass.
Scalars that must be text (ids, texts, options, accepted answers, tags) are taken from the YAML source
as written, so ``text: 1.50`` stays ``"1.50"`` and ``text: yes`` stays ``"yes"``.

Normalisation done while parsing (a dump writes it back, so ``parse(dump(parse(x))) == parse(x)``):
every question gets ``tags`` (default ``[]``) and ``case_id`` (``None`` outside a case study); every
option gets ``correct`` (default false) and a ``key`` ('a', 'b', ... unless given); ``multiple``
questions get ``scoring`` (default ``partial``); numeric questions with a ``value`` get ``tolerance``
(default 0); a lone ``accepted`` string becomes a one-item list.

The per-question and cross-file rules are in ``quizzes.quizfile_validate``, the settings reader in
``quizzes.quizfile_settings`` and the writer in ``quizzes.quizfile_dump``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import yaml

from quizzes.grading import assign_option_keys
from quizzes.quizfile_model import _KNOWN_TOP, _QUESTION_TEXT_FIELDS, KINDS, Problem, QuizFile, QuizFileError, SayAt
from quizzes.quizfile_settings import _read_settings, _slug_from_filename
from quizzes.quizfile_validate import _check_question, validate_course_quizzes
from quizzes.quizfile_yaml import _blank, _duplicate_keys, _items, _line, _load, _text, _text_list

TakeQuestion = Callable[[yaml.Node, Any, "str | None"], "str | None"]


# ---------------------------------------------------------------------------------------------------------
# Questions


def _read_options(node: yaml.Node | None, value: Any) -> Any:
    """Copy the options, taking texts, feedback and keys as written and defaulting ``correct``."""
    if not isinstance(value, list) or not isinstance(node, yaml.SequenceNode):
        return value
    options = []
    for opt_node, opt in zip(node.value, value, strict=True):
        if not isinstance(opt, dict):
            options.append(opt)
            continue
        items = _items(opt_node)
        copy = dict(opt)
        for key in ("text", "feedback", "key"):
            if key in items:
                copy[key] = _text(items[key][1], opt.get(key))
        if "correct" not in copy or copy["correct"] is None:
            copy["correct"] = False
        options.append(copy)
    return options


def _read_answers(node: yaml.Node | None, value: Any) -> Any:
    """Copy weighted ``answers`` entries, taking their texts and feedback as written."""
    if not isinstance(value, list) or not isinstance(node, yaml.SequenceNode):
        return value
    answers = []
    for entry_node, entry in zip(node.value, value, strict=True):
        if isinstance(entry, dict):
            items = _items(entry_node)
            entry = dict(entry)
            for key in ("text", "feedback"):
                if key in items:
                    entry[key] = _text(items[key][1], entry.get(key))
        answers.append(entry)
    return answers


def _read_question(node: yaml.Node, value: dict[str, Any], case_id: str | None) -> dict[str, Any]:
    """Build the normalised question dict from its node and constructed mapping."""
    items = _items(node)
    question = dict(value)
    for key in _QUESTION_TEXT_FIELDS:
        if key in items:
            question[key] = _text(items[key][1], value.get(key))
    if "tags" in items:
        question["tags"] = _text_list(items["tags"][1], value.get("tags"))
    if question.get("tags") is None:
        question["tags"] = []
    if "accepted" in items:
        question["accepted"] = _text_list(items["accepted"][1], value.get("accepted"))
    if "options" in items:
        question["options"] = _read_options(items["options"][1], value.get("options"))
        if isinstance(question["options"], list) and all(isinstance(o, dict) for o in question["options"]):
            assign_option_keys(question)
    if "answers" in items:
        question["answers"] = _read_answers(items["answers"][1], value.get("answers"))
    if question.get("type") == "multiple" and question.get("scoring") is None:
        question["scoring"] = "partial"
    if question.get("type") == "numeric" and question.get("value") is not None:
        question.setdefault("tolerance", 0)
        if question["tolerance"] is None:
            question["tolerance"] = 0
    question["case_id"] = case_id
    return question


def parse_quiz_file(text: str, filename: str) -> QuizFile:
    """Parse one quiz or bank file, raising QuizFileError with every problem found (file, line, message)."""
    problems: list[Problem] = []

    def say_at(line: int, message: str) -> None:
        problems.append(Problem(filename, line, message))

    root, data = _load(text, filename)
    if not isinstance(data, dict):
        raise QuizFileError([Problem(filename, _line(root), "a quiz file must be a mapping of settings")])
    _duplicate_keys(root, filename, problems, set())
    items = _items(root)
    settings = _read_settings(data, items, say_at)
    questions: list[dict[str, Any]] = []
    cases: list[dict[str, Any]] = []
    question_lines: dict[str, int] = {}
    case_lines: dict[str, int] = {}

    def take_question(qnode: yaml.Node, qvalue: Any, case_id: str | None) -> str | None:
        line = _line(qnode)
        if not isinstance(qvalue, dict):
            say_at(line, "a question must be a mapping (id, type, text, ...)")
            return None
        question = _read_question(qnode, qvalue, case_id)
        qid = question.get("id")
        label = f"question {qid!r}: " if isinstance(qid, str) and qid.strip() else "question: "
        _check_question(question, lambda message: say_at(line, label + message))
        if isinstance(qid, str) and qid.strip():
            if qid in question_lines:
                say_at(line, f"duplicate question id {qid!r} (first at line {question_lines[qid]})")
            else:
                question_lines[qid] = line
        questions.append(question)
        return qid if isinstance(qid, str) else None

    raw_questions = data.get("questions")
    qseq = items["questions"][1] if "questions" in items else None
    is_list = isinstance(raw_questions, list) and isinstance(qseq, yaml.SequenceNode)
    if raw_questions is not None and not is_list:
        say_at(_line(qseq), "questions must be a list")
    if not is_list:
        raw_questions, qseq = [], None
    for qnode, qvalue in zip(qseq.value if qseq is not None else [], raw_questions or [], strict=True):
        if isinstance(qvalue, dict) and "case" in qvalue:
            cases.extend(_take_case(qnode, qvalue, take_question, say_at, case_lines))
        else:
            take_question(qnode, qvalue, None)
    kind = settings.get("kind")
    if not questions and kind == "bank":
        say_at(1, "a bank file needs questions")
    elif not questions and "draw" not in data and kind in KINDS and data.get("questions") in (None, []):
        say_at(1, "a quiz needs questions or a draw")
    if problems:
        raise QuizFileError(sorted(problems, key=lambda p: p.line))
    slug = settings.get("slug") or _slug_from_filename(filename)
    return QuizFile(
        filename=filename,
        slug=slug,
        title=settings.get("title") or slug,
        kind=settings["kind"],
        module=settings.get("module"),
        pass_mark=settings.get("pass_mark"),
        time_limit_minutes=settings.get("time_limit_minutes", 0),
        attempts_allowed=settings.get("attempts_allowed", 0),
        grading=settings.get("grading", "highest"),
        shuffle_questions=settings.get("shuffle_questions", False),
        shuffle_options=settings.get("shuffle_options", False),
        layout=settings.get("layout", "all"),
        review=settings["review"],
        draw=settings["draw"],
        questions=questions,
        cases=cases,
        extra={k: v for k, v in data.items() if k not in _KNOWN_TOP},
        question_lines=question_lines,
        case_lines=case_lines,
        key_lines={key: _line(k) for key, (k, _) in items.items()},
    )


def _take_case(
    qnode: yaml.Node,
    qvalue: dict[str, Any],
    take_question: TakeQuestion,
    say_at: SayAt,
    case_lines: dict[str, int],
) -> list[dict[str, Any]]:
    """Read a ``case:`` block: its stem and its questions, which are flattened with ``case_id``."""
    line = _line(qnode)
    case_node = _items(qnode)["case"][1]
    raw = qvalue["case"]
    if not isinstance(raw, dict):
        say_at(line, "case must be a mapping {id, title, stem, questions}")
        return []
    case_items = _items(case_node)
    case = {k: v for k, v in raw.items() if k != "questions"}
    for key in ("id", "title", "stem"):
        if key in case_items:
            case[key] = _text(case_items[key][1], raw.get(key))
    case_id = case.get("id")
    if _blank(case_id) or not isinstance(case_id, str):
        say_at(line, "case: missing id")
        case_id = None
    elif case_id in case_lines:
        say_at(line, f"duplicate case id {case_id!r} (first at line {case_lines[case_id]})")
    else:
        case_lines[case_id] = line
    label = f"case {case_id!r}: " if case_id else "case: "
    if _blank(case.get("stem")):
        say_at(line, label + "missing stem")
    case.setdefault("title", "")
    if case["title"] is None:
        case["title"] = ""
    sub = raw.get("questions")
    sub_node = case_items["questions"][1] if "questions" in case_items else None
    ids: list[str] = []
    if not isinstance(sub, list) or not isinstance(sub_node, yaml.SequenceNode) or not sub:
        say_at(line, label + "a case needs a list of questions")
    else:
        for node, value in zip(sub_node.value, sub, strict=True):
            qid = take_question(node, value, case_id)
            if qid:
                ids.append(qid)
    case["question_ids"] = ids
    return [case]


def parse_quiz_files(
    sources: Mapping[str, str], module_slugs: Iterable[str]
) -> tuple[list[QuizFile], list[Problem]]:
    """Parse every file of a package and run the cross-file rules, collecting all problems of all files."""
    files: list[QuizFile] = []
    problems: list[Problem] = []
    for filename, text in sources.items():
        try:
            files.append(parse_quiz_file(text, filename))
        except QuizFileError as exc:
            problems.extend(exc.problems)
    problems.extend(validate_course_quizzes(files, set(module_slugs)))
    return files, problems
