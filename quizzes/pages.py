"""What the attempt and review pages show, built so that answer keys cannot reach the browser by accident.

The attempt page gets `ShownQuestion`s: rendered texts and options by display position, the person's own
answers, and nothing about which option is right. The review page gets `ReviewItem`s with only the parts
the review policy allows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from markupsafe import escape

from quizzes.attempts import question_versions, stored_answers, to_display
from quizzes.grading import numeric_matches
from quizzes.models import Attempt


@dataclass
class ShownQuestion:
    uid: str
    number: int
    type: str
    html: str
    stem_html: str
    case_title: str
    starts_case: bool
    options: list[tuple[int, str]]  # (display position, option html)
    value: object  # set of positions, "true"/"false"/"" or text
    seq: int
    answered: bool
    error: str | None = None


def shown_questions(attempt: Attempt) -> list[ShownQuestion]:
    """The attempt's questions in its frozen display order, with the saved answers filled in."""
    versions = question_versions(attempt)
    stored = stored_answers(attempt)
    shown: list[ShownQuestion] = []
    previous_case = None
    for number, uid in enumerate(attempt.plan["questions"], start=1):
        version = versions.get(uid)
        if version is None:
            continue
        html = version.html
        order = attempt.plan.get("options", {}).get(uid) or list(range(len(html["options"])))
        row = stored.get(uid)
        answer = row.answer if row else None
        case_id = (version.case_data or {}).get("id")
        shown.append(ShownQuestion(
            uid=uid, number=number, type=version.data["type"], html=html["text"], stem_html=html.get("stem", ""),
            case_title=html.get("case_title", ""), starts_case=bool(case_id) and case_id != previous_case,
            options=[(position, html["options"][index]) for position, index in enumerate(order)],
            value=to_display(attempt, uid, version.data, answer), seq=row.seq if row else 0,
            answered=answer is not None,
        ))
        previous_case = case_id
    return shown


@dataclass
class ReviewOption:
    html: str
    chosen: bool
    correct: bool | None  # None unless the policy shows answers
    feedback: str = ""


@dataclass
class ReviewItem:
    number: int
    type: str
    html: str
    stem_html: str
    case_title: str
    starts_case: bool
    your_answer: str
    correct: bool | None  # None unless the policy shows correctness
    fraction: float | None
    options: list[ReviewOption] = field(default_factory=list)
    key: str = ""  # the right answer in words, for true/false, short and numeric questions
    feedback: list[str] = field(default_factory=list)
    explanation: str = ""
    source: str = ""


def _key_text(data: dict) -> str:
    qtype = data["type"]
    if qtype == "truefalse":
        return _("Benar") if data.get("answer") else _("Salah")
    if qtype == "short":
        return ", ".join(str(a) for a in data.get("accepted") or [])
    if qtype == "numeric":
        if data.get("min") is not None and data.get("max") is not None:
            return f"{data['min']} – {data['max']}"
        tolerance = data.get("tolerance") or 0
        return f"{data.get('value')}" + (f" ± {tolerance}" if tolerance else "")
    return ""


def review_items(attempt: Attempt, rights: frozenset[str]) -> list[ReviewItem]:
    """The finished attempt as the policy lets the consultant see it (empty rights: nothing but their answers)."""
    versions = question_versions(attempt)
    stored = stored_answers(attempt)
    results = attempt.results or {}
    show_correct, show_key, show_feedback = "correctness" in rights, "answers" in rights, "feedback" in rights
    items: list[ReviewItem] = []
    previous_case = None
    for number, uid in enumerate(attempt.plan["questions"], start=1):
        version = versions.get(uid)
        if version is None:
            continue
        data, html = version.data, version.html
        row = stored.get(uid)
        answer = row.answer if row is not None and (attempt.deadline is None or row.saved_at <= attempt.deadline) \
            else None
        result = results.get(uid, {})
        case_id = (version.case_data or {}).get("id")
        item = ReviewItem(
            number=number, type=data["type"], html=html["text"], stem_html=html.get("stem", ""),
            case_title=html.get("case_title", ""), starts_case=bool(case_id) and case_id != previous_case,
            your_answer="", correct=result.get("correct") if show_correct else None,
            fraction=result.get("fraction") if show_correct else None,
        )
        previous_case = case_id
        if data["type"] in ("single", "multiple"):
            chosen = set(answer if isinstance(answer, list) else [answer] if answer is not None else [])
            order = attempt.plan.get("options", {}).get(uid) or list(range(len(data.get("options") or [])))
            for index in order:
                option = data["options"][index]
                picked = option["key"] in chosen
                item.options.append(ReviewOption(
                    html=html["options"][index], chosen=picked,
                    correct=bool(option.get("correct")) if show_key else None,
                    feedback=html["option_feedback"][index] if show_feedback and picked else "",
                ))
            item.your_answer = ", ".join(str(p + 1) for p, i in enumerate(order)
                                         if data["options"][i]["key"] in chosen)
        else:
            shown = to_display(attempt, uid, data, answer)
            item.your_answer = {"true": _("Benar"), "false": _("Salah")}.get(shown, shown) if shown else ""
            if show_key:
                item.key = _key_text(data)
            if show_feedback:
                item.feedback = _typed_feedback(data, html, answer, result)
        if show_feedback:
            item.explanation = html.get("explanation", "")
            item.source = str(data.get("source") or "")
        items.append(item)
    return items


def _typed_feedback(data: dict, html: dict, answer: object, result: dict) -> list[str]:
    """Feedback of true/false, short and numeric questions for the answer given."""
    if answer is None:
        return []
    if data["type"] in ("truefalse", "numeric") and not data.get("answers"):
        key = "feedback_right" if result.get("correct") else "feedback_wrong"
        return [html[key]] if html.get(key) else []
    from quizzes.grading import normalise_answer, parse_number

    for entry in data.get("answers") or []:
        if data["type"] == "short" and normalise_answer(entry.get("text", "")) == normalise_answer(str(answer)):
            return [str(escape(entry["feedback"]))] if entry.get("feedback") else []
        if data["type"] == "numeric":
            number = parse_number(answer)
            if number is not None and numeric_matches(entry, number):
                return [str(escape(entry["feedback"]))] if entry.get("feedback") else []
    return []
