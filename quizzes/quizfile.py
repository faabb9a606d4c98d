"""Parse, validate and write the quiz YAML files of a course package (see docs/course-package.md).

``parse_quiz_file`` reports *every* problem of a file at once, each as ``(filename, line, message)``
pointing at the line of the offending question (or setting), so an author fixes a package in one pass.
Scalars that must be text (ids, texts, options, accepted answers, tags) are taken from the YAML source
as written, so ``text: 1.50`` stays ``"1.50"`` and ``text: yes`` stays ``"yes"``.

Normalisation done while parsing (a dump writes it back, so ``parse(dump(parse(x))) == parse(x)``):
every question gets ``tags`` (default ``[]``) and ``case_id`` (``None`` outside a case study); every
option gets ``correct`` (default false) and a ``key`` ('a', 'b', ... unless given); ``multiple``
questions get ``scoring`` (default ``partial``); numeric questions with a ``value`` get ``tolerance``
(default 0); a lone ``accepted`` string becomes a one-item list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from quizzes.grading import (
    CHOICE_TYPES,
    GRADING_METHODS,
    QUESTION_TYPES,
    SCORING_MODES,
    assign_option_keys,
    option_key,
    questions_with_tags,
)

KINDS = ("module", "pretest", "posttest", "final", "bank")
LAYOUTS = ("all", "one")
REVIEW_WHEN = ("immediately", "after_close", "never")
REVIEW_SHOW = ("score", "correctness", "answers", "feedback")
REQUIRED_QUESTION_FIELDS = ("id", "type", "text", "explanation", "source")

_QUESTION_TEXT_FIELDS = (
    "id", "type", "text", "explanation", "source", "scoring", "title", "feedback",
    "feedback_right", "feedback_wrong",
)
_NUMBER_FIELDS = ("value", "tolerance", "min", "max", "points")
_QUESTION_ORDER = (
    "id", "type", "title", "tags", "points", "text", "options", "scoring", "answer", "accepted",
    "answers", "value", "tolerance", "min", "max", "feedback_right", "feedback_wrong", "feedback",
    "explanation", "source",
)
_OPTION_ORDER = ("key", "text", "correct", "weight", "feedback")
_SETTING_DEFAULTS: dict[str, Any] = {
    "module": None,
    "pass_mark": None,
    "time_limit_minutes": 0,
    "attempts_allowed": 0,
    "grading": "highest",
    "shuffle_questions": False,
    "shuffle_options": False,
    "layout": "all",
}
_KNOWN_TOP = ("slug", "title", "kind", *_SETTING_DEFAULTS, "review", "draw", "questions")
_NULL_TAG = "tag:yaml.org,2002:null"

Say = Callable[[str], None]
SayAt = Callable[[int, str], None]
TakeQuestion = Callable[[yaml.Node, Any, "str | None"], "str | None"]
_SLUG_RE = re.compile(r"[^/\\]+?(?=\.ya?ml$|$)")


class Problem(NamedTuple):
    """One thing wrong with a quiz file, located so the author can find it."""

    filename: str
    line: int
    message: str

    def __str__(self) -> str:
        """Show the problem the way compilers do, ``file:line: message``."""
        return f"{self.filename}:{self.line}: {self.message}"


class QuizFileError(ValueError):
    """Raised with every problem found, so an import is refused with the full list."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        """Keep the problems and make them the message."""
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _default_review() -> dict[str, Any]:
    """Return the review setting used when a quiz gives none: show everything immediately."""
    return {"when": "immediately", "show": list(REVIEW_SHOW)}


@dataclass
class QuizFile:
    """A parsed quiz or bank file: settings, flattened questions and the case studies they belong to."""

    filename: str
    slug: str
    title: str
    kind: str
    module: str | None = None
    pass_mark: float | None = None
    time_limit_minutes: int = 0
    attempts_allowed: int = 0
    grading: str = "highest"
    shuffle_questions: bool = False
    shuffle_options: bool = False
    layout: str = "all"
    review: dict[str, Any] = field(default_factory=_default_review)
    draw: dict[str, Any] | None = None
    questions: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    question_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    case_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)
    key_lines: dict[str, int] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_bank(self) -> bool:
        """Tell whether this file only feeds the question bank."""
        return self.kind == "bank"

    def line_of(self, key: str) -> int:
        """Return the line of a top-level key, or 1 when it is absent."""
        return self.key_lines.get(key, 1)


# ---------------------------------------------------------------------------------------------------------
# YAML node helpers


def _line(node: yaml.Node | None) -> int:
    """Return the 1-based line where a node starts."""
    return node.start_mark.line + 1 if node is not None else 1


def _items(node: yaml.Node | None) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """Map a mapping node's scalar keys to (key node, value node); the last duplicate wins, as in PyYAML."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}


def _text(node: yaml.Node | None, constructed: Any) -> Any:
    """Return a scalar exactly as written (None for null), or the constructed value for non-scalars."""
    if isinstance(node, yaml.ScalarNode):
        return None if node.tag == _NULL_TAG else node.value
    return constructed


def _text_list(node: yaml.Node | None, constructed: Any) -> Any:
    """Return a list of scalars as written; a lone scalar becomes a one-item list."""
    if isinstance(node, yaml.SequenceNode) and isinstance(constructed, list):
        return [_text(n, v) for n, v in zip(node.value, constructed, strict=True)]
    if isinstance(node, yaml.ScalarNode) and node.tag != _NULL_TAG:
        return [node.value]
    return constructed


def _duplicate_keys(node: yaml.Node, filename: str, problems: list[Problem], seen: set[int]) -> None:
    """Report keys given twice in one mapping: YAML keeps only the last, which silently loses data."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in keys:
                    problems.append(Problem(filename, _line(key), f"key {key.value!r} appears twice"))
                keys.add(key.value)
            _duplicate_keys(value, filename, problems, seen)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _duplicate_keys(item, filename, problems, seen)


def _load(text: str, filename: str) -> tuple[yaml.Node | None, Any]:
    """Compose and construct the document, turning a YAML syntax error into a located problem."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc)
        raise QuizFileError([Problem(filename, line, f"invalid YAML: {reason}")]) from None
    finally:
        loader.dispose()
    return node, data


def _is_number(value: Any) -> bool:
    """Tell whether a YAML value is a real number (booleans are not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _blank(value: Any) -> bool:
    """Tell whether a required text is missing or empty."""
    return value is None or (isinstance(value, str) and not value.strip())


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


# ---------------------------------------------------------------------------------------------------------
# Files


def _slug_from_filename(filename: str) -> str:
    """Derive a default slug from the file name (``quizzes/bank-final.yml`` -> ``bank-final``)."""
    base = re.split(r"[/\\]", filename)[-1]
    match = _SLUG_RE.match(base)
    return match.group(0) if match else base


def _read_settings(
    data: dict[str, Any], items: dict[str, tuple[yaml.Node, yaml.Node]], say_at: SayAt
) -> dict[str, Any]:
    """Read and check the quiz-level settings, reporting bad values at their lines."""
    settings: dict[str, Any] = {}
    for key in ("slug", "title", "kind", "module", "grading", "layout"):
        if key in items:
            settings[key] = _text(items[key][1], data.get(key))

    def line(key: str) -> int:
        return _line(items[key][0]) if key in items else 1

    for key in ("slug", "title", "module"):
        if settings.get(key) is not None and not isinstance(settings[key], str):
            say_at(line(key), f"{key} must be text")

    kind = settings.get("kind")
    if _blank(kind):
        say_at(1, "missing kind (one of " + ", ".join(KINDS) + ")")
    elif kind not in KINDS:
        say_at(line("kind"), f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    if kind == "module" and _blank(settings.get("module")):
        say_at(line("kind"), "a module quiz must name its module (module: slug)")
    grading = settings.get("grading", "highest")
    if grading not in GRADING_METHODS:
        say_at(line("grading"), f"unknown grading {grading!r} (expected one of {', '.join(GRADING_METHODS)})")
    layout = settings.get("layout", "all")
    if layout not in LAYOUTS:
        say_at(line("layout"), f"unknown layout {layout!r} (expected one of {', '.join(LAYOUTS)})")
    pass_mark = data.get("pass_mark")
    if pass_mark is not None and not (_is_number(pass_mark) and 0 <= pass_mark <= 100):
        say_at(line("pass_mark"), "pass_mark must be a percent from 0 to 100")
    else:
        settings["pass_mark"] = pass_mark
    for key in ("time_limit_minutes", "attempts_allowed"):
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            say_at(line(key), f"{key} must be a whole number >= 0")
        else:
            settings[key] = value
    for key in ("shuffle_questions", "shuffle_options"):
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, bool):
            say_at(line(key), f"{key} must be true or false")
        else:
            settings[key] = value
    settings["review"] = _read_review(data, items, say_at, line("review"))
    settings["draw"] = _read_draw(data, items, say_at, line("draw"), kind)
    return settings


def _read_review(data: dict[str, Any], items: dict[str, Any], say_at: SayAt, line: int) -> dict[str, Any]:
    """Read ``review: {when, show}``, filling in the defaults."""
    review = _default_review()
    raw = data.get("review")
    if raw is None:
        return review
    if not isinstance(raw, dict):
        say_at(line, "review must be a mapping {when, show}")
        return review
    review_items = _items(items["review"][1])
    review.update({k: v for k, v in raw.items() if k not in ("when", "show")})
    if "when" in review_items:
        review["when"] = _text(review_items["when"][1], raw.get("when"))
    if review["when"] not in REVIEW_WHEN:
        say_at(line, f"unknown review when {review['when']!r} (expected one of {', '.join(REVIEW_WHEN)})")
    if "show" in review_items:
        show = _text_list(review_items["show"][1], raw.get("show"))
        review["show"] = [] if show is None else show
        if not isinstance(review["show"], list) or any(s not in REVIEW_SHOW for s in review["show"]):
            say_at(line, f"review show must be a list of {', '.join(REVIEW_SHOW)}")
    return review


def _read_draw(
    data: dict[str, Any], items: dict[str, Any], say_at: SayAt, line: int, kind: Any
) -> dict[str, Any] | None:
    """Read ``draw: {count, tags}``."""
    raw = data.get("draw")
    if raw is None:
        return None
    if kind == "bank":
        say_at(line, "a bank file cannot draw questions")
    if not isinstance(raw, dict):
        say_at(line, "draw must be a mapping {count, tags}")
        return None
    draw_items = _items(items["draw"][1])
    draw = dict(raw)
    count = raw.get("count")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        say_at(line, "draw count must be a whole number >= 1")
    tags = _text_list(draw_items["tags"][1], raw.get("tags")) if "tags" in draw_items else []
    if not isinstance(tags, list) or not all(isinstance(t, str) and t.strip() for t in tags):
        say_at(line, "draw tags must be a list of words")
    draw["tags"] = tags
    return draw


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


# ---------------------------------------------------------------------------------------------------------
# Writing


class _Dumper(yaml.SafeDumper):
    """A safe dumper that writes multi-line text as ``|`` blocks, which authors can read and edit."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    """Use block style for multi-line strings."""
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.Node:
    """Write short lists of words (tags, accepted answers) on one line, ``[a, b]``."""
    flow = bool(value) and all(isinstance(v, (str, int, float)) and "\n" not in str(v) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow or None)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(list, _represent_list)


def _ordered(mapping: Mapping[str, Any], order: Sequence[str]) -> dict[str, Any]:
    """Return the mapping with the known keys first, in the format doc's order."""
    out = {k: mapping[k] for k in order if k in mapping}
    out.update({k: v for k, v in mapping.items() if k not in out})
    return out


def _question_for_dump(question: Mapping[str, Any]) -> dict[str, Any]:
    """Shape a question for YAML: drop derived fields and defaults that parsing restores."""
    out = {k: v for k, v in question.items() if k != "case_id"}
    if not out.get("tags"):
        out.pop("tags", None)
    options = out.get("options")
    if isinstance(options, list):
        default_keys = all(o.get("key") == option_key(i) for i, o in enumerate(options))
        cleaned = []
        for opt in options:
            opt = {k: v for k, v in opt.items() if not (k == "correct" and v is False)}
            if default_keys:
                opt.pop("key", None)
            cleaned.append(_ordered(opt, _OPTION_ORDER))
        out["options"] = cleaned
    return _ordered(out, _QUESTION_ORDER)


def dump_quiz_file(quiz: QuizFile) -> str:
    """Write a QuizFile back as YAML in the documented layout (case studies regrouped)."""
    doc: dict[str, Any] = {"slug": quiz.slug, "title": quiz.title, "kind": quiz.kind}
    for key, default in _SETTING_DEFAULTS.items():
        value = getattr(quiz, key)
        if value is not None and (not quiz.is_bank or value != default):
            doc[key] = value
    if not quiz.is_bank or quiz.review != _default_review():
        doc["review"] = quiz.review
    if quiz.draw is not None:
        doc["draw"] = quiz.draw
    doc.update(quiz.extra)
    cases = {c["id"]: c for c in quiz.cases}
    entries: list[dict[str, Any]] = []
    open_case: dict[str, Any] | None = None
    for question in quiz.questions:
        case_id = question.get("case_id")
        if case_id is None:
            open_case = None
            entries.append(_question_for_dump(question))
            continue
        if open_case is None or open_case["id"] != case_id:
            case = cases.get(case_id, {"id": case_id})
            open_case = {k: v for k, v in case.items() if k != "question_ids"}
            open_case["questions"] = []
            entries.append({"case": _ordered(open_case, ("id", "title", "stem", "questions"))})
            open_case = entries[-1]["case"]
        open_case["questions"].append(_question_for_dump(question))
    if entries:
        doc["questions"] = entries
    return yaml.dump(
        doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
