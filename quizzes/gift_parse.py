"""Import Moodle GIFT: split a file into question blocks and turn each into a neutral question dict.

The accepted syntax and the mapping choices are described in :mod:`quizzes.gift`; the answer blocks
are read by :mod:`quizzes.gift_answers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from quizzes.gift_answers import _TF_WORDS, _parse_choice, _parse_numeric, _parse_short, _parse_truefalse
from quizzes.gift_text import (
    _category_tags,
    _clean,
    _comment_tokens,
    _number,
    _protect,
    _Refusal,
    _restore,
    _split_explanation,
    _split_format,
    slugify,
)

BLANK = "___"
ID_MAX_LENGTH = 60


@dataclass
class GiftResult:
    """What a GIFT file gave: importable questions and ``(line, reason)`` for every item left out."""

    questions: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


@dataclass
class _Block:
    """One question's source lines (comments split off) and where it starts."""

    line: int
    lines: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------
# Splitting a file into blocks


def _blocks(text: str) -> Iterable[tuple[str, Any]]:
    """Yield ``("category", (line, path))`` and ``("question", _Block)`` events in file order."""
    current: _Block | None = None
    depth = 0
    pending_comments: list[str] = []

    answered = False

    def flush() -> Iterable[tuple[str, Any]]:
        nonlocal current, depth, answered
        if current is not None and current.lines:
            yield "question", current
        current = None
        depth = 0
        answered = False

    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("//"):
            if current is None:
                pending_comments.append(stripped)
            else:
                current.comments.append(stripped)
            continue
        if not stripped:
            if depth > 0:
                # An unclosed brace: Moodle would fail here; keep reading so one stray blank line inside
                # the answers does not split the question in two.
                continue
            yield from flush()
            pending_comments = []
            continue
        starts_new = stripped.startswith("::") or stripped.startswith("$CATEGORY:")
        if starts_new and current is not None and (depth > 0 or answered):
            # A new titled question without the blank line Moodle wants: close the previous one.
            yield from flush()
        if stripped.startswith("$CATEGORY:"):
            yield from flush()
            yield "category", (number, _restore(_protect(stripped[len("$CATEGORY:"):])).strip())
            pending_comments = []
            continue
        if current is None:
            current = _Block(line=number, comments=pending_comments)
            pending_comments = []
        current.lines.append(raw)
        protected = _protect(raw)
        depth += protected.count("{") - protected.count("}")
        answered = answered or "}" in protected
    yield from flush()


# ---------------------------------------------------------------------------------------------------------
# Parsing one question


def _parse_question(block: _Block) -> dict[str, Any]:
    """Turn one block into a neutral question dict (without id and tags) or raise _Refusal."""
    text = _protect("\n".join(block.lines)).strip()
    title = None
    if text.startswith("::"):
        end = text.find("::", 2)
        if end == -1:
            text = text[2:].strip()
        else:
            title = _restore(text[2:end]).strip()
            text = text[end + 2:].strip()
    start, end = text.find("{"), text.find("}")
    label = f"question {title!r}" if title else "question"
    if start == -1 and end == -1:
        raise _Refusal(f"{label} has no answers (a description); skipped")
    if start == -1 or end == -1 or end < start:
        raise _Refusal(f"{label} has unbalanced braces")
    if "{" in text[end + 1:] or "}" in text[end + 1:] or "{" in text[start + 1:end]:
        raise _Refusal(f"{label} has more than one answer block, which is not supported")
    answer = text[start + 1:end].strip()
    before, after = text[:start], text[end + 1:]
    question_text = before + BLANK + after if after.strip() else before
    fmt, question_text = _split_format(question_text.strip(), "moodle")
    general = ""
    cut = answer.rfind("####")
    if cut != -1:
        general = answer[cut + 4:]
        answer = answer[:cut].strip()
    qtext = _clean(question_text, fmt)
    if not answer:
        raise _Refusal(f"{label} is an essay question, which is not supported")
    if "=" in answer and "->" in answer and not answer.startswith("#") and "~" not in answer:
        raise _Refusal(f"{label} is a matching question, which is not supported")
    try:
        if answer.startswith("#"):
            fields = _parse_numeric(answer, fmt)
        elif "~" in answer:
            fields = _parse_choice(answer, fmt)
        elif answer.split("#", 1)[0].strip().upper() in _TF_WORDS:
            fields = _parse_truefalse(answer, fmt)
        else:
            fields = _parse_short(answer, fmt)
    except _Refusal as exc:
        raise _Refusal(f"{label}: {exc}") from None
    if not qtext:
        raise _Refusal(f"{label} has no text")
    explanation, source = _split_explanation(_clean(general, fmt)) if general.strip() else ("", "")
    question: dict[str, Any] = {"type": fields.pop("type"), "text": qtext, **fields}
    question["explanation"] = explanation
    question["source"] = source
    if title:
        question["title"] = title
    return question


def parse_gift(text: str) -> GiftResult:
    """Parse a GIFT file's text into neutral question dicts plus the refused items with line numbers."""
    result = GiftResult()
    category_tags: list[str] = []
    used_ids: set[str] = set()
    text = text.lstrip("\ufeff")
    for kind, payload in _blocks(text):
        if kind == "category":
            _, path = payload
            result.categories.append(path)
            category_tags = _category_tags(path)
            continue
        block: _Block = payload
        try:
            question = _parse_question(block)
        except _Refusal as exc:
            result.refused.append((block.line, str(exc)))
            continue
        except (KeyError, IndexError, ValueError) as exc:  # defensive: one bad item must not stop the import
            result.refused.append((block.line, f"could not read question: {exc}"))
            continue
        tokens = _comment_tokens(block.comments)
        tags = list(dict.fromkeys([*(t for t in tokens.get("tag", []) if t), *category_tags]))
        qid = _make_id(tokens, question.get("title"), block.line, used_ids)
        used_ids.add(qid)
        ordered: dict[str, Any] = {"id": qid, "type": question.pop("type"), "tags": tags}
        ordered.update(question)
        if tokens.get("scoring") and ordered["type"] == "multiple" and tokens["scoring"][0] in (
            "partial", "all_or_nothing"
        ):
            ordered["scoring"] = tokens["scoring"][0]
        if tokens.get("points"):
            try:
                points = _number(tokens["points"][0])
            except _Refusal:
                points = None
            if points is not None and points > 0:
                ordered["points"] = points
        result.questions.append(ordered)
    return result


def _make_id(tokens: Mapping[str, list[str]], title: str | None, line: int, used: set[str]) -> str:
    """Pick a deterministic, unique id: comment ``[id:]``, else the title's slug, else ``gift-<line>``."""
    candidate = ""
    if tokens.get("id"):
        candidate = tokens["id"][0]
    elif title:
        candidate = slugify(title)[:ID_MAX_LENGTH].strip("-")
    if not candidate:
        candidate = f"gift-{line}"
    if candidate in used:
        candidate = f"{candidate}-{line}"
    return candidate
