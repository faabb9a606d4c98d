"""The quiz file as a value: settings constants, the parsed ``QuizFile`` and located ``Problem``s.

Shared by the reader (``quizzes.quizfile_parse``), the rules (``quizzes.quizfile_validate``) and the
writer (``quizzes.quizfile_dump``); ``quizzes.quizfile`` re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

KINDS = ("module", "pretest", "posttest", "final", "bank")
LAYOUTS = ("all", "one")
REVIEW_WHEN = ("immediately", "after_close", "never")
REVIEW_SHOW = ("score", "correctness", "answers", "feedback")
REQUIRED_QUESTION_FIELDS = ("id", "type", "text", "explanation", "source")

_QUESTION_TEXT_FIELDS = (
    "id", "type", "text", "explanation", "source", "scoring", "title", "feedback",
    "feedback_right", "feedback_wrong",
)
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

Say = Callable[[str], None]
SayAt = Callable[[int, str], None]


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
