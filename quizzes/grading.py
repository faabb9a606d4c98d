"""Pure grading of neutral question dicts (the shape of a question in the quiz YAML files).

No Flask, no database: every function works on the plain dicts and values it is given, so the same
code grades a live attempt, re-grades a stored one and drives the tests.

Options are referred to by their stable ``key`` (``'a'``, ``'b'``, ... assigned at parse time when the
author did not give one), so a shuffled display order never changes what a response means. A response
may also name an option by its index in the *canonical* (file) order.

Partial-credit rule for ``multiple`` questions with ``scoring: partial`` (the Moodle convention,
"wrong answers together cost as much as the right answers earn"):

* an option with an explicit ``weight`` earns exactly that fraction (``-1.0`` .. ``1.0``);
* otherwise a correct option earns ``+1/n_correct`` and an incorrect one ``-1/n_incorrect``;
* the question's fraction is the sum over the chosen options, clipped to ``[0, 1]``.

So choosing every option scores 0, choosing only the correct ones scores 1, and a blank answer scores 0.
``scoring: all_or_nothing`` gives 1 when the chosen set equals the correct set and 0 otherwise.
For ``single`` questions the chosen option earns its ``weight`` if it has one (Moodle's partially
right distractor, e.g. ``~%50%``), else 1 when it is the correct option and 0 otherwise.

Short answers may also carry ``answers: [{text, weight, feedback}]`` and numeric questions
``answers: [{value, tolerance | min, max, weight, feedback}]`` (from GIFT ``=%50%``); when present the
best matching entry decides the fraction, otherwise ``accepted`` / ``value``+``tolerance`` /
``min``+``max`` give full credit.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from quizzes.shuffle import (  # noqa: F401  (shuffles and draws are also part of this module's public API)
    TAG_MATCH_MODES,
    apply_shuffle_plan,
    draw_questions,
    questions_with_tags,
    shuffle_plan,
)

QUESTION_TYPES = ("single", "multiple", "truefalse", "short", "numeric")
CHOICE_TYPES = ("single", "multiple")
SCORING_MODES = ("partial", "all_or_nothing")
GRADING_METHODS = ("highest", "last")

_EPS = 1e-9

_TRUE_WORDS = frozenset({"true", "t", "benar", "ya", "yes", "y", "1"})
_FALSE_WORDS = frozenset({"false", "f", "salah", "tidak", "no", "n", "0"})

# Plain "3.14", "-2", "1e3", ".5" (a single dot is always the decimal point).
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Indonesian decimal comma: "3,5", ",5".
_COMMA_DECIMAL = re.compile(r"[+-]?(?:\d+,\d*|,\d+)")
# Indonesian thousands dots with an optional decimal comma: "1.000.000", "12.500,75".
_DOT_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
# English thousands commas with an optional decimal point: "1,000,000", "12,500.75".
_COMMA_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


@dataclass(frozen=True)
class Score:
    """The outcome of grading one response, kept small so it can be stored as JSON."""

    fraction: float
    correct: bool | None
    detail: dict[str, Any] = field(default_factory=dict)
    invalid: bool = False


# ---------------------------------------------------------------------------------------------------------
# Option keys


def option_key(index: int) -> str:
    """Return the default key of the option at ``index`` ('a'..'z', 'aa', 'ab', ...) so keys stay short."""
    if index < 0:
        raise ValueError("option index must be >= 0")
    letters = ""
    n = index + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("a") + rem) + letters
    return letters


def assign_option_keys(question: dict[str, Any]) -> dict[str, Any]:
    """Give every option without a ``key`` the first unused default key, in place, so responses are stable."""
    options = question.get("options")
    if not isinstance(options, list):
        return question
    used = {str(opt["key"]) for opt in options if isinstance(opt, dict) and opt.get("key") not in (None, "")}
    counter = 0
    for opt in options:
        if not isinstance(opt, dict):
            continue
        if opt.get("key") in (None, ""):
            while option_key(counter) in used:
                counter += 1
            opt["key"] = option_key(counter)
            used.add(opt["key"])
        else:
            opt["key"] = str(opt["key"])
    return question


def resolve_option(question: Mapping[str, Any], ref: Any) -> int | None:
    """Map a response reference (option key, or canonical index) to the option index, or None if unknown."""
    options = question.get("options") or []
    if isinstance(ref, bool):
        return None
    if isinstance(ref, int):
        return ref if 0 <= ref < len(options) else None
    if isinstance(ref, str):
        wanted = ref.strip()
        for i, opt in enumerate(options):
            if str(opt.get("key", option_key(i))) == wanted:
                return i
        if wanted.isdigit():
            idx = int(wanted)
            return idx if idx < len(options) else None
    return None


def option_credits(question: Mapping[str, Any]) -> list[float]:
    """Return the credit each option earns when chosen, applying the module's documented default rule."""
    options = question.get("options") or []
    correct = [bool(opt.get("correct")) for opt in options]
    if question.get("type") == "multiple":
        n_correct = sum(correct)
        n_incorrect = len(options) - n_correct
        credits = []
        for opt, is_correct in zip(options, correct, strict=True):
            if opt.get("weight") is not None:
                credits.append(float(opt["weight"]))
            elif is_correct:
                credits.append(1.0 / n_correct)
            else:
                credits.append(-1.0 / n_incorrect if n_incorrect else 0.0)
        return credits
    return [
        float(opt["weight"]) if opt.get("weight") is not None else (1.0 if is_correct else 0.0)
        for opt, is_correct in zip(options, correct, strict=True)
    ]


# ---------------------------------------------------------------------------------------------------------
# Response normalisation


def is_blank(response: Any) -> bool:
    """Tell whether a response counts as "not answered" (None, empty or whitespace string, empty list)."""
    if response is None:
        return True
    if isinstance(response, str):
        return not response.strip()
    if isinstance(response, (list, tuple, set, frozenset)):
        return len(response) == 0
    return False


def normalise_answer(text: str) -> str:
    """Fold a short answer for comparison: NFKC, case-insensitive, trimmed, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def parse_number(value: Any) -> float | None:
    """Read a learner's number, accepting "3,5" (Indonesian decimal comma) and thousands separators.

    A single dot or a single comma is the decimal separator; several dots ("1.000.000") or several
    commas ("1,000,000") are thousands separators; with both, the last one is the decimal separator.
    Returns None for anything that is not a finite number.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip().replace("\u2212", "-")
    text = re.sub(r"\s+", "", text)
    if not text:
        return None
    if _PLAIN_NUMBER.fullmatch(text):
        cleaned = text
    elif _COMMA_DECIMAL.fullmatch(text):
        cleaned = text.replace(",", ".")
    elif _DOT_THOUSANDS.fullmatch(text):
        cleaned = text.replace(".", "").replace(",", ".")
    elif _COMMA_THOUSANDS.fullmatch(text):
        cleaned = text.replace(",", "")
    else:
        return None
    if cleaned.endswith(".") or cleaned in {"+.", "-."}:
        cleaned = cleaned + "0"
    number = float(cleaned)
    return number if math.isfinite(number) else None


def parse_truefalse(value: Any) -> bool | None:
    """Read a true/false response (bool, 1/0, 'true', 'benar', 'salah', ...) or None if it is neither."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().casefold()
        if word in _TRUE_WORDS:
            return True
        if word in _FALSE_WORDS:
            return False
    return None


# ---------------------------------------------------------------------------------------------------------
# Grading one question


def _clip(value: float) -> float:
    """Keep a fraction inside [0, 1] and drop float noise so stored scores compare cleanly."""
    return round(min(1.0, max(0.0, value)), 10)


def _score(fraction: float, detail: dict[str, Any], invalid: bool = False) -> Score:
    """Build a Score whose ``correct`` means full credit."""
    fraction = _clip(fraction)
    return Score(fraction=fraction, correct=fraction >= 1.0 - _EPS, detail=detail, invalid=invalid)


def _blank() -> Score:
    """The score of an unanswered question: nothing earned, correctness unknown."""
    return Score(fraction=0.0, correct=None, detail={"blank": True})


def _grade_single(question: Mapping[str, Any], response: Any) -> Score:
    """Grade a single-choice response given as an option key or canonical index."""
    if isinstance(response, (list, tuple)) and len(response) == 1:
        response = response[0]
    idx = resolve_option(question, response)
    if idx is None:
        return Score(0.0, False, {"unknown": [response]}, invalid=True)
    option = question["options"][idx]
    feedback = [option["feedback"]] if option.get("feedback") else []
    detail = {"chosen": [option.get("key")], "feedback": feedback}
    return _score(option_credits(question)[idx], detail)


def _grade_multiple(question: Mapping[str, Any], response: Any) -> Score:
    """Grade a multiple-answer response (list of keys or indices) by partial credit or all-or-nothing."""
    refs = list(response) if isinstance(response, (list, tuple, set, frozenset)) else [response]
    chosen: list[int] = []
    unknown = []
    for ref in refs:
        idx = resolve_option(question, ref)
        if idx is None:
            unknown.append(ref)
        elif idx not in chosen:
            chosen.append(idx)
    chosen.sort()
    options = question["options"]
    detail: dict[str, Any] = {
        "chosen": [options[i].get("key") for i in chosen],
        "feedback": [options[i]["feedback"] for i in chosen if options[i].get("feedback")],
    }
    if unknown:
        detail["unknown"] = unknown
    if not chosen:
        return Score(0.0, False if unknown else None, detail, invalid=bool(unknown))
    if question.get("scoring", "partial") == "all_or_nothing":
        right = {i for i, opt in enumerate(options) if opt.get("correct")}
        return _score(1.0 if set(chosen) == right else 0.0, detail, invalid=bool(unknown))
    credits = option_credits(question)
    return _score(sum(credits[i] for i in chosen), detail, invalid=bool(unknown))


def _grade_truefalse(question: Mapping[str, Any], response: Any) -> Score:
    """Grade a true/false response; the GIFT-style right/wrong feedback is passed back in the detail."""
    value = parse_truefalse(response)
    if value is None:
        return Score(0.0, False, {"unknown": [response]}, invalid=True)
    right = value == bool(question.get("answer"))
    feedback = question.get("feedback_right" if right else "feedback_wrong")
    return _score(1.0 if right else 0.0, {"chosen": [value], "feedback": [feedback] if feedback else []})


def _short_matches(pattern: str, normalised_response: str) -> bool:
    """Compare a short answer with one accepted answer; ``*`` is a wildcard as in Moodle."""
    wanted = normalise_answer(pattern)
    if "*" in wanted:
        regex = ".*".join(re.escape(part) for part in wanted.split("*"))
        return re.fullmatch(regex, normalised_response, flags=re.DOTALL) is not None
    return wanted == normalised_response


def _grade_short(question: Mapping[str, Any], response: Any) -> Score:
    """Grade a short text answer against ``answers`` (weighted) or ``accepted`` (full credit)."""
    given = normalise_answer(response)
    answers = question.get("answers")
    if answers:
        best: Mapping[str, Any] | None = None
        for entry in answers:
            if _short_matches(str(entry.get("text", "")), given):
                if best is None or float(entry.get("weight", 1.0)) > float(best.get("weight", 1.0)):
                    best = entry
        if best is None:
            return _score(0.0, {"given": given, "feedback": []})
        feedback = [best["feedback"]] if best.get("feedback") else []
        return _score(float(best.get("weight", 1.0)), {"given": given, "matched": best.get("text"),
                                                        "feedback": feedback})
    for accepted in question.get("accepted") or []:
        if _short_matches(str(accepted), given):
            return _score(1.0, {"given": given, "matched": accepted, "feedback": []})
    return _score(0.0, {"given": given, "feedback": []})


def numeric_matches(entry: Mapping[str, Any], number: float) -> bool:
    """Tell whether ``number`` is accepted by a numeric key: ``min``..``max`` or ``value`` ± ``tolerance``."""
    if entry.get("min") is not None and entry.get("max") is not None:
        low, high = float(entry["min"]), float(entry["max"])
        slack = _EPS * max(1.0, abs(low), abs(high))
        return low - slack <= number <= high + slack
    if entry.get("value") is None:
        return False
    value = float(entry["value"])
    tolerance = abs(float(entry.get("tolerance") or 0))
    # The slack absorbs binary rounding so that 3.15 is inside 3.14 ± 0.01.
    slack = _EPS * max(1.0, abs(value), tolerance)
    return abs(number - value) <= tolerance + slack


def _grade_numeric(question: Mapping[str, Any], response: Any) -> Score:
    """Grade a numeric answer; a non-number is an invalid response worth 0, never an exception."""
    number = parse_number(response)
    if number is None:
        return Score(0.0, False, {"given": response, "feedback": []}, invalid=True)
    answers = question.get("answers")
    key_fields = ("value", "tolerance", "min", "max")
    entries = answers if answers else [{k: question.get(k) for k in key_fields}]
    best: Mapping[str, Any] | None = None
    for entry in entries:
        weight = 1.0 if entry.get("weight") is None else float(entry["weight"])
        if numeric_matches(entry, number) and (best is None or weight > float(best.get("weight", 1.0))):
            best = entry
    if best is None:
        wrong = question.get("feedback_wrong")
        return _score(0.0, {"given": number, "feedback": [wrong] if wrong else []})
    weight = 1.0 if best.get("weight") is None else float(best["weight"])
    return _score(weight, {"given": number, "feedback": [best["feedback"]] if best.get("feedback") else []})


_GRADERS = {
    "single": _grade_single,
    "multiple": _grade_multiple,
    "truefalse": _grade_truefalse,
    "short": _grade_short,
    "numeric": _grade_numeric,
}


def grade_question(question: Mapping[str, Any], response: Any) -> Score:
    """Grade one response to one neutral question dict; blank responses score 0 with ``correct=None``."""
    qtype = question.get("type")
    grader = _GRADERS.get(str(qtype))
    if grader is None:
        raise ValueError(f"unknown question type {qtype!r}")
    if is_blank(response):
        return _blank()
    return grader(question, response)


def question_points(question: Mapping[str, Any]) -> float:
    """Return how many points a question is worth (``points``, default 1)."""
    points = question.get("points")
    return 1.0 if points is None else float(points)


def grade_attempt(
    questions: Sequence[Mapping[str, Any]], responses: Mapping[str, Any]
) -> tuple[float, float, float]:
    """Total an attempt: (points earned, points possible, percent rounded to 2 decimals; 0 when empty)."""
    earned = 0.0
    possible = 0.0
    for question in questions:
        worth = question_points(question)
        possible += worth
        earned += grade_question(question, responses.get(question["id"])).fraction * worth
    earned = round(earned, 6)
    possible = round(possible, 6)
    percent = round(100.0 * earned / possible, 2) if possible > 0 else 0.0
    return earned, possible, percent


def attempt_result(percents: Sequence[float], method: str) -> float | None:
    """Combine a learner's attempt percents by the quiz's ``grading`` method; None when there are none."""
    if method not in GRADING_METHODS:
        raise ValueError(f"unknown grading method {method!r} (expected one of {', '.join(GRADING_METHODS)})")
    if not percents:
        return None
    return max(percents) if method == "highest" else percents[-1]
