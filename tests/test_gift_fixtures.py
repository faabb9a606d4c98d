"""Shared GIFT test data (no tests here): the sample files and small parsing helpers."""

from __future__ import annotations

from pathlib import Path

from quizzes.gift import parse_gift

DATA = Path(__file__).parent / "data" / "gift"


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """Return the 1-based line of the first line containing ``needle``."""
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def only(text: str) -> dict:
    """Parse GIFT that must give exactly one question and no refusals."""
    result = parse_gift(text)
    assert result.refused == []
    assert len(result.questions) == 1, result.questions
    return result.questions[0]
