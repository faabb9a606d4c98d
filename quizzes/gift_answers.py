"""Read the ``{...}`` answer block of one GIFT question: choice, true/false, short and numeric answers.

The mapping choices (single vs multiple, weights, feedback) are described in :mod:`quizzes.gift`.
"""

from __future__ import annotations

import re
from typing import Any

from quizzes.gift_text import _clean, _number, _parse_weight, _Refusal, _restore
from quizzes.grading import assign_option_keys, option_credits

_TF_WORDS = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_WEIGHT_TOLERANCE = 1e-4


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
