"""Export questions as Moodle GIFT that Moodle's importer (and :func:`quizzes.gift.parse_gift`) reads back.

What is written (``[markdown]`` text, weights, general feedback, comment tokens, ``$CATEGORY``) is
described in :mod:`quizzes.gift`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from quizzes.gift_text import _SOURCE_MARK
from quizzes.grading import option_credits

_MODULE_TAG_RE = re.compile(r"^(?:modul|module)-?\d+$", re.IGNORECASE)


def escape(text: str) -> str:
    """Escape GIFT's special characters and newlines, as Moodle's exporter does."""
    out = str(text).replace("\\", "\\\\")
    for char in "~=#{}:":
        out = out.replace(char, "\\" + char)
    return out.replace("\r\n", "\n").replace("\r", "").replace("\n", "\\n")


def _fmt_number(value: Any) -> str:
    """Write a number the shortest way that reads back equal (``14``, ``3.14``, ``1e-05``)."""
    if isinstance(value, bool):
        raise ValueError("a boolean is not a number")
    if isinstance(value, int):
        return str(value)
    return repr(float(value))


def _fmt_percent(fraction: float) -> str:
    """Write a weight as Moodle's percent (``50``, ``33.33333``, ``-100``)."""
    text = f"{fraction * 100:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _token(name: str, value: Any) -> str:
    """Write one comment token, escaping ``]``."""
    return f"[{name}:{str(value).replace(']', chr(92) + ']')}]"


def is_module_tag(tag: str, module_tags: Iterable[str] = ()) -> bool:
    """Tell whether a tag names a module (``modul-01`` or a listed module slug) rather than a topic."""
    return bool(_MODULE_TAG_RE.match(tag)) or tag in set(module_tags)


def category_for(question: Mapping[str, Any], module_tags: Iterable[str] = ()) -> str | None:
    """Choose the ``$CATEGORY`` of a question: its ``cat:`` tag, else its first non-module tag."""
    tags = [str(t) for t in question.get("tags") or []]
    for tag in tags:
        if tag.startswith("cat:") and tag[4:].strip():
            return tag[4:].strip()
    modules = set(module_tags)
    return next((t for t in tags if not is_module_tag(t, modules)), None)


def _general_feedback(question: Mapping[str, Any]) -> str:
    """Write explanation and source as one general feedback text: ``explanation (Sumber: source)``."""
    explanation = str(question.get("explanation") or "").strip()
    source = str(question.get("source") or "").strip()
    if source:
        return f"{explanation} {_SOURCE_MARK} {source})".strip()
    return explanation


def _answer_block(question: Mapping[str, Any]) -> str:
    """Write the ``{...}`` part of a question."""
    qtype = question.get("type")
    general = _general_feedback(question)
    gf_line = f"\t####{escape(general)}\n" if general else ""
    if qtype == "truefalse":
        out = "{" + ("TRUE" if question.get("answer") else "FALSE")
        wrong, right = question.get("feedback_wrong") or "", question.get("feedback_right") or ""
        if wrong or right:
            out += "#" + escape(wrong)
        if right:
            out += "#" + escape(right)
        if general:
            out += "####" + escape(general)
        return out + "}"
    lines = []
    if qtype in ("single", "multiple"):
        options = question.get("options") or []
        credits = option_credits(question)
        for opt, credit in zip(options, credits, strict=True):
            starts_like_weight = str(opt.get("text", "")).startswith("%")
            if qtype == "single" and opt.get("correct"):
                marker = "=%100%" if starts_like_weight else "="
            elif abs(credit) < 1e-12:
                marker = "~%0%" if starts_like_weight else "~"
            else:
                marker = f"~%{_fmt_percent(credit)}%"
            line = f"\t{marker}{escape(opt.get('text', ''))}"
            if opt.get("feedback"):
                line += "#" + escape(opt["feedback"])
            lines.append(line)
        return "{\n" + "\n".join(lines) + "\n" + gf_line + "}"
    if qtype == "short":
        entries = question.get("answers") or [{"text": a, "weight": 1.0, "feedback": ""}
                                               for a in question.get("accepted") or []]
        for entry in entries:
            weight = float(entry.get("weight", 1.0))
            prefix = "=" if weight == 1.0 else f"=%{_fmt_percent(weight)}%"
            line = f"\t{prefix}{escape(entry.get('text', ''))}"
            if entry.get("feedback"):
                line += "#" + escape(entry["feedback"])
            lines.append(line)
        return "{\n" + "\n".join(lines) + "\n" + gf_line + "}"
    if qtype == "numeric":
        entries = question.get("answers") or [question]
        for entry in entries:
            if entry.get("min") is not None and entry.get("max") is not None:
                body = f"{_fmt_number(entry['min'])}..{_fmt_number(entry['max'])}"
            else:
                body = f"{_fmt_number(entry['value'])}:{_fmt_number(entry.get('tolerance') or 0)}"
            weight = 1.0 if entry is question else float(entry.get("weight", 1.0))
            prefix = "=" if weight == 1.0 else f"=%{_fmt_percent(weight)}%"
            line = f"\t{prefix}{body}"
            if entry is not question and entry.get("feedback"):
                line += "#" + escape(entry["feedback"])
            lines.append(line)
        if question.get("feedback_wrong"):
            lines.append("\t~#" + escape(question["feedback_wrong"]))
        return "{#\n" + "\n".join(lines) + "\n" + gf_line + "}"
    raise ValueError(f"cannot export question type {qtype!r}")


def export_question(
    question: Mapping[str, Any],
    cases: Mapping[str, Mapping[str, Any]] | None = None,
    category: str | None = None,
) -> str:
    """Write one question (comment tokens, title, ``[markdown]`` text and answers) as GIFT.

    The ``cat:`` tag naming ``category`` is left out of the ``[tag:]`` tokens: ``$CATEGORY`` carries it.
    """
    tokens = [_token("id", question["id"])] if question.get("id") else []
    skipped = f"cat:{category}" if category else None
    tokens += [_token("tag", t) for t in question.get("tags") or [] if t != skipped]
    if question.get("points") not in (None, 1, 1.0):
        tokens.append(_token("points", _fmt_number(question["points"])))
    if question.get("type") == "multiple" and question.get("scoring", "partial") != "partial":
        tokens.append(_token("scoring", question["scoring"]))
    text = str(question.get("text") or "")
    case = (cases or {}).get(question.get("case_id") or "")
    if case and case.get("stem"):
        text = f"{str(case['stem']).strip()}\n\n{text}"
    head = f"::{escape(question['title'])}::" if question.get("title") else ""
    out = []
    if tokens:
        out.append("// " + " ".join(tokens))
    out.append(f"{head}[markdown]{escape(text)}{_answer_block(question)}")
    return "\n".join(out)


def export_gift(
    questions: Sequence[Mapping[str, Any]],
    cases: Mapping[str, Mapping[str, Any]] | None = None,
    module_tags: Iterable[str] = (),
) -> str:
    """Write questions as a GIFT file, switching ``$CATEGORY`` when a question's category changes.

    ``cases`` (case id -> case dict) puts a case study's stem before the text of its questions, since
    GIFT has no shared stems. ``module_tags`` lists more tags that must not be used as a category.
    """
    modules = list(module_tags)
    chunks = []
    current: str | None = None
    for question in questions:
        category = category_for(question, modules)
        if category is None and current is not None:
            category = "$course$/top"  # back to the top: imports with no category tags
        if category is not None and category != current:
            chunks.append(f"$CATEGORY: {category}")
            current = category
        chunks.append(export_question(question, cases, current))
    return "\n\n".join(chunks) + "\n" if chunks else ""
