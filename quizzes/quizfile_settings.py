"""Read and check the quiz-level settings of a quiz file: slug, kind, grading, layout, review, draw."""

from __future__ import annotations

import re
from typing import Any

import yaml

from quizzes.grading import GRADING_METHODS
from quizzes.quizfile_model import KINDS, LAYOUTS, REVIEW_SHOW, REVIEW_WHEN, SayAt, _default_review
from quizzes.quizfile_yaml import _blank, _is_number, _items, _line, _text, _text_list

_SLUG_RE = re.compile(r"[^/\\]+?(?=\.ya?ml$|$)")


# ---------------------------------------------------------------------------------------------------------
# Quiz-level settings


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
