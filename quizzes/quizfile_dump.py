"""Write a parsed quiz file back as YAML in the documented layout, so ``parse(dump(parse(x))) == parse(x)``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from quizzes.grading import option_key
from quizzes.quizfile_model import _SETTING_DEFAULTS, QuizFile, _default_review

_QUESTION_ORDER = (
    "id", "type", "title", "tags", "points", "text", "options", "scoring", "answer", "accepted",
    "answers", "value", "tolerance", "min", "max", "feedback_right", "feedback_wrong", "feedback",
    "explanation", "source",
)
_OPTION_ORDER = ("key", "text", "correct", "weight", "feedback")


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
