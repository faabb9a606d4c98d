"""Moodle GIFT import and export to and from the neutral question dicts used by the quiz YAML files.

Import (``parse_gift``) follows Moodle's own reader (question/format/gift/format.php): questions are
separated by blank lines, ``//`` lines are comments, ``::title::``, ``[html|markdown|moodle|plain]``
format tags, ``=`` / ``~`` answers with ``%weight%``, ``#feedback``, ``####general feedback``,
``{T}``/``{FALSE#wrong#right}``, short answers, ``{#value:tolerance}``, ``{#min..max}``, several
weighted numeric answers, missing-word questions (``___`` replaces the braces) and the escapes
``\\~ \\= \\# \\{ \\} \\: \\\\ \\n``. ``$CATEGORY: path`` tags the following questions with the slug of
the path's last real segment plus ``cat:<path>`` (left out when the path is just that slug, and nothing for
``$course$/top``). Moodle 4 comment tokens ``[id:...]`` and ``[tag:...]`` give the id and more tags.
Matching, essay and description items, and anything malformed, are reported in ``refused`` with their
line number instead of being imported.

Mapping choices:

* one ``=`` answer -> ``single`` (other answers may keep partial ``weight``); no ``=`` (Moodle's
  multiple-answer form, weights with ``~%50%``) or several ``=`` -> ``multiple`` with ``scoring:
  partial``. Weights equal to the default rule of :mod:`quizzes.grading` are not stored.
* general feedback -> ``explanation``; a trailing ``(Sumber: ...)`` in it -> ``source`` (else ``""``).
* short answers with a weight other than 100% or with feedback, and numeric questions with several
  answers or feedback, keep every answer in ``answers``; ``accepted`` / ``value`` mirror the full-credit
  ones. True/false ``#wrong#right`` feedback -> ``feedback_wrong`` / ``feedback_right``; numeric ``~#...``
  -> ``feedback_wrong``.
* html text: a lone ``<p>...</p>`` wrapper is removed, other HTML is kept (Markdown passes it through).
* ids: ``[id:...]`` comment, else the slugified title, else ``gift-<line>``; duplicates get ``-<line>``.
* ``source`` is ``""`` when the file gives none, so a quiz file needs one added before it validates.

Export (``export_gift``) writes what Moodle's importer reads back (``[markdown]`` text, Moodle weights,
``####explanation (Sumber: source)``), plus comment tokens ``[id:]``, ``[tag:]`` (read by Moodle 4),
``[points:]`` and ``[scoring:]`` (ignored by Moodle). ``$CATEGORY`` comes from the ``cat:`` tag, else the
first non-module tag. ``parse_gift(export_gift(qs)) == qs`` except that a category taken from a plain tag
with spaces adds its ``cat:`` tag, and option keys are re-lettered 'a', 'b', ...
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from quizzes.grading import assign_option_keys, option_credits

# Escaped characters are swapped for private-use placeholders while the structure is parsed.
_PLACEHOLDER = {
    "\\": "\ue000",
    "~": "\ue001",
    "=": "\ue002",
    "#": "\ue003",
    "{": "\ue004",
    "}": "\ue005",
    ":": "\ue006",
    "n": "\ue007",
}
_RESTORE = str.maketrans({v: ("\n" if k == "n" else k) for k, v in _PLACEHOLDER.items()})
_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
_FORMAT_RE = re.compile(r"^\s*\[(html|markdown|moodle|plain)\]", re.IGNORECASE)
_WEIGHT_RE = re.compile(r"^\s*%\s*(-?\d+(?:[.,]\d+)?)\s*%")
_TOKEN_RE = re.compile(r"\[(id|tag|points|scoring):((?:\\\]|[^\]])*)\]")
_LONE_P_RE = re.compile(r"^<p(?:\s[^>]*)?>(.*)</p>$", re.DOTALL | re.IGNORECASE)
_SOURCE_MARK = "(Sumber:"
_TF_WORDS = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_MODULE_TAG_RE = re.compile(r"^(?:modul|module)-?\d+$", re.IGNORECASE)
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INT_RE = re.compile(r"[+-]?\d+")
_WEIGHT_TOLERANCE = 1e-4
BLANK = "___"
ID_MAX_LENGTH = 60


class _Refusal(Exception):
    """Raised inside the parser when a block is not importable; the message becomes the reason."""


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
# Small helpers


def slugify(text: str) -> str:
    """Make an ASCII, lowercase, hyphenated slug for ids and tags."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _protect(text: str) -> str:
    """Replace GIFT escapes by placeholders so structural characters can be found with plain searches."""
    return _ESCAPE_RE.sub(lambda m: _PLACEHOLDER[m.group(1)], text)


def _restore(text: str) -> str:
    """Turn placeholders back into the characters they stand for."""
    return text.translate(_RESTORE)


def _unwrap_html(text: str) -> str:
    """Drop a single ``<p>`` wrapper that Moodle's editor puts around one-paragraph text."""
    match = _LONE_P_RE.match(text.strip())
    if match and not re.search(r"<p[\s>]|</p>", match.group(1), re.IGNORECASE):
        return match.group(1).strip()
    return text


def _split_format(text: str, default: str) -> tuple[str, str]:
    """Split a leading ``[format]`` tag off a (protected) text."""
    match = _FORMAT_RE.match(text)
    if match:
        return match.group(1).lower(), text[match.end():]
    return default, text


def _clean(text: str, fmt: str) -> str:
    """Finish a protected text piece: own format tag, placeholders back, trimmed, html wrapper dropped."""
    piece_fmt, body = _split_format(text, fmt)
    body = _restore(body.strip()).strip()
    return _unwrap_html(body) if piece_fmt == "html" else body


def _parse_weight(text: str) -> tuple[float | None, str]:
    """Read a leading ``%50%`` weight as a fraction, returning it and the rest of the answer."""
    match = _WEIGHT_RE.match(text)
    if not match:
        return None, text
    return round(float(match.group(1).replace(",", ".")) / 100.0, 7), text[match.end():]


def _number(text: str) -> int | float:
    """Parse a GIFT number, keeping integers as int so YAML and GIFT agree on ``14`` vs ``14.0``."""
    text = text.strip()
    if _INT_RE.fullmatch(text):
        return int(text)
    if _NUMBER_RE.fullmatch(text):
        return float(text)
    raise _Refusal(f"numeric answer {text!r} is not a number")


def _split_explanation(general: str) -> tuple[str, str]:
    """Split ``explanation (Sumber: source)`` into its parts; the source may contain parentheses."""
    text = general.strip()
    start = text.rfind(_SOURCE_MARK)
    if start == -1 or not text.endswith(")"):
        return text, ""
    return text[:start].strip(), text[start + len(_SOURCE_MARK):-1].strip()


def _category_tags(path: str) -> list[str]:
    """Tags for a ``$CATEGORY`` path: the last real segment slugified and ``cat:<path>``."""
    segments = [s.strip() for s in path.split("/") if s.strip()]
    meaningful = [s for s in segments if not (s.startswith("$") and s.endswith("$")) and s.lower() != "top"]
    if not meaningful:
        return []
    tags = []
    slug = slugify(meaningful[-1])
    if slug:
        tags.append(slug)
    if path.strip() != slug:
        # A one-word category that is already a slug needs no second tag; any real path keeps its own.
        tags.append(f"cat:{path.strip()}")
    return tags


def _comment_tokens(comments: Sequence[str]) -> dict[str, list[str]]:
    """Collect ``[id:..]``, ``[tag:..]``, ``[points:..]``, ``[scoring:..]`` tokens from comment lines."""
    found: dict[str, list[str]] = {}
    for comment in comments:
        for name, value in _TOKEN_RE.findall(comment):
            found.setdefault(name, []).append(value.replace("\\]", "]").strip())
    return found


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


def _parse_choice(answer: str, fmt: str) -> dict[str, Any]:
    """Parse a multiple-choice answer block into single/multiple fields."""
    parts = re.split(r"(?=[~=])", answer)
    options = []
    for part in parts:
        if not part.strip():
            continue
        marker, rest = (part[0], part[1:]) if part[0] in "~=" else ("~", part)
        weight, rest = _parse_weight(rest)
        full = marker == "=" and (weight is None or weight == 1.0)
        if weight is None:
            weight = 1.0 if full else 0.0
        text, _, feedback = rest.partition("#")
        option = {"text": _clean(text, fmt), "weight": weight, "full": full}
        if feedback.strip():
            option["feedback"] = _clean(feedback, fmt)
        options.append(option)
    if len(options) < 2:
        raise _Refusal("a multiple-choice question needs at least two answers")
    if any(not opt["text"] for opt in options):
        raise _Refusal("an answer has no text")
    full_marks = sum(opt["full"] for opt in options)
    if full_marks == 1:
        qtype = "single"
        for opt in options:
            opt["correct"] = opt["full"]
    else:
        qtype = "multiple"
        for opt in options:
            opt["correct"] = opt["weight"] > 0
        if full_marks >= 2:
            # Several "=" answers: every one must be chosen; the default rule does that without weights.
            for opt in options:
                opt.pop("weight")
    if not any(opt["correct"] for opt in options):
        raise _Refusal("no answer is marked correct")
    result: dict[str, Any] = {"type": qtype, "options": []}
    for opt in options:
        ordered = {"text": opt["text"], "correct": opt["correct"]}
        if "feedback" in opt:
            ordered["feedback"] = opt["feedback"]
        if "weight" in opt:
            ordered["weight"] = opt["weight"]
        result["options"].append(ordered)
    if qtype == "multiple":
        result["scoring"] = "partial"
    _drop_default_weights(result)
    assign_option_keys(result)
    result["options"] = [{"key": o.pop("key"), **o} for o in result["options"]]
    return result


def _drop_default_weights(question: dict[str, Any]) -> None:
    """Remove weights that equal what the grading default would give, so plain questions stay plain."""
    options = question["options"]
    if not any("weight" in opt for opt in options):
        return
    stripped = [{k: v for k, v in opt.items() if k != "weight"} for opt in options]
    defaults = option_credits({"type": question["type"], "options": stripped})
    if question["type"] == "single":
        for opt, default in zip(options, defaults, strict=True):
            if "weight" in opt and abs(opt["weight"] - default) <= _WEIGHT_TOLERANCE:
                del opt["weight"]
        return
    pairs = zip(options, defaults, strict=True)
    if all(abs(opt.get("weight", d) - d) <= _WEIGHT_TOLERANCE for opt, d in pairs):
        for opt in options:
            opt.pop("weight", None)


def _parse_truefalse(answer: str, fmt: str) -> dict[str, Any]:
    """Parse ``T``/``FALSE`` with optional ``#wrong feedback#right feedback``."""
    bits = answer.split("#", 2)
    value = _TF_WORDS[bits[0].strip().upper()]
    result: dict[str, Any] = {"type": "truefalse", "answer": value}
    if len(bits) > 1 and bits[1].strip():
        result["feedback_wrong"] = _clean(bits[1], fmt)
    if len(bits) > 2 and bits[2].strip():
        result["feedback_right"] = _clean(bits[2], fmt)
    return result


def _parse_short(answer: str, fmt: str) -> dict[str, Any]:
    """Parse ``=answer`` alternatives, with ``%weight%`` and ``#feedback``, into a short question."""
    entries = []
    for part in answer.split("="):
        if not part.strip():
            continue
        weight, rest = _parse_weight(part)
        text, _, feedback = rest.partition("#")
        text = _restore(text).strip()
        if not text:
            raise _Refusal("a short answer is empty")
        entries.append({"text": text, "weight": 1.0 if weight is None else weight,
                        "feedback": _clean(feedback, fmt) if feedback.strip() else ""})
    if not entries:
        raise _Refusal("a short-answer question has no answers")
    if not any(e["weight"] > 0 for e in entries):
        raise _Refusal("no short answer earns credit")
    result: dict[str, Any] = {"type": "short", "accepted": [e["text"] for e in entries if e["weight"] >= 1.0]}
    if any(e["weight"] != 1.0 or e["feedback"] for e in entries):
        result["answers"] = entries
    return result


def _numeric_entry(part: str, fmt: str) -> dict[str, Any]:
    """Parse one numeric answer ``%w%value:tol#fb`` or ``min..max`` into an answers entry."""
    weight, rest = _parse_weight(part)
    body, _, feedback = rest.partition("#")
    body = _restore(body).strip()
    entry: dict[str, Any]
    if body.find("..") > 0:
        low, high = body.split("..", 1)
        entry = {"min": _number(low), "max": _number(high)}
        if entry["min"] > entry["max"]:
            raise _Refusal(f"numeric range {body!r} has min > max")
    elif body.find(":") > 0:
        value, tol = body.split(":", 1)
        entry = {"value": _number(value), "tolerance": abs(_number(tol))}
    else:
        entry = {"value": _number(body), "tolerance": 0}
    entry["weight"] = 1.0 if weight is None else weight
    entry["feedback"] = _clean(feedback, fmt) if feedback.strip() else ""
    return entry


def _parse_numeric(answer: str, fmt: str) -> dict[str, Any]:
    """Parse ``#value:tol``, ``#min..max`` or several ``=%w%value:tol#fb`` answers, and ``~#wrong``."""
    body = answer[1:]
    wrong = ""
    if "~" in body:
        body, _, wrong_part = body.partition("~")
        wrong = wrong_part.strip()
        if wrong.startswith("#"):
            wrong = wrong[1:]
        elif wrong:
            _, _, wrong = wrong.partition("#")
    entries = []
    for part in body.split("="):
        if not part.strip():
            continue
        weight, rest = _parse_weight(part)
        if _restore(rest.partition("#")[0]).strip() == "*":
            # Moodle's catch-all answer: only its feedback matters.
            wrong = wrong or rest.partition("#")[2]
            continue
        entries.append(_numeric_entry(part, fmt))
    if not entries:
        raise _Refusal("a numeric question has no answer")
    if not any(e["weight"] > 0 for e in entries):
        raise _Refusal("no numeric answer earns credit")
    result: dict[str, Any] = {"type": "numeric"}
    primary = next((e for e in entries if e["weight"] >= 1.0), max(entries, key=lambda e: e["weight"]))
    for key in ("value", "tolerance", "min", "max"):
        if key in primary:
            result[key] = primary[key]
    if len(entries) > 1 or entries[0]["weight"] != 1.0 or entries[0]["feedback"]:
        result["answers"] = entries
    if wrong.strip():
        result["feedback_wrong"] = _clean(wrong, fmt)
    return result


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


# ---------------------------------------------------------------------------------------------------------
# Export


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
