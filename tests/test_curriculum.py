"""The shipped curriculum (content/halal-self-declare): complete, sourced, importable, and the final test draws."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from courses import packages
from quizzes.quizfile import parse_quiz_files, validate_course_quizzes
from tests.factories import make_user

PACKAGE = Path(__file__).resolve().parents[1] / "content" / "halal-self-declare"
MODULE_FILES = sorted(PACKAGE.glob("[0-9][0-9]-*.md"))


def _front(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---", 2)
    return yaml.safe_load(front), body


def _quiz_files():
    sources = {f"quizzes/{p.name}": p.read_text(encoding="utf-8") for p in sorted((PACKAGE / "quizzes").glob("*.yml"))}
    files, problems = parse_quiz_files(sources, {p.stem[3:] for p in MODULE_FILES})
    assert problems == []
    return files


def _all_questions(files):
    for quiz in files:
        yield from ((quiz.filename, q) for q in quiz.questions)


def test_nine_modules_with_objectives_sources_and_checked_date():
    assert len(MODULE_FILES) == 9
    for path in MODULE_FILES:
        meta, body = _front(path)
        assert meta["title"] and meta.get("checked_on"), path.name
        assert meta.get("summary_en"), f"{path.name} needs an English summary"
        for heading in ("## Tujuan pembelajaran", "## Sumber", "## Glosarium"):
            assert heading in body, f"{path.name} lacks {heading}"
        assert '!!! penting' in body, f"{path.name} needs a 'Penting' box"


def test_every_question_has_a_key_an_explanation_and_a_source():
    files = _quiz_files()
    assert validate_course_quizzes(files, {p.stem[3:] for p in MODULE_FILES}) == []
    count = 0
    for filename, question in _all_questions(files):
        count += 1
        assert question.get("explanation", "").strip(), f"{filename}: {question['id']} has no explanation"
        assert question.get("source", "").strip(), f"{filename}: {question['id']} has no source"
        qtype = question["type"]
        if qtype in ("single", "multiple"):
            assert any(o.get("correct") for o in question["options"]), question["id"]
        elif qtype == "truefalse":
            assert isinstance(question.get("answer"), bool), question["id"]
        elif qtype == "short":
            assert question.get("accepted"), question["id"]
        elif qtype == "numeric":
            assert "value" in question or ("min" in question and "max" in question), question["id"]
    assert count >= 60 + 9 * 6 + 2 * 15


def test_quiz_blueprint_of_the_course():
    files = {q.slug: q for q in _quiz_files()}
    kinds = [q.kind for q in files.values()]
    assert kinds.count("module") == 9 and "pretest" in kinds and "posttest" in kinds and "final" in kinds
    for quiz in files.values():
        if quiz.kind == "module":
            assert len(quiz.questions) >= 6, quiz.slug
    assert len(files["pretest"].questions) == len(files["posttest"].questions)
    final = files["final"]
    bank = [q for quiz in files.values() for q in quiz.questions if set(q.get("tags", [])) & set(final.draw["tags"])]
    assert len(bank) >= 60 and len(bank) >= final.draw["count"]
    cases = [c for quiz in files.values() for c in quiz.cases]
    assert len(cases) >= 2


def test_course_imports_cleanly_and_the_final_test_draws(app):
    from quizzes.attempts import build_plan
    from quizzes.services import get_quiz

    admin = make_user("admin@example.id", roles=("admin",))
    course = packages.import_path(PACKAGE, admin)
    assert len(course.latest_version.modules) == 9
    assert course.valid_as_of is not None and course.completion["quizzes"]
    final = get_quiz(course, "final")
    plan, versions = build_plan(final, "seed-1")
    assert len(plan["questions"]) == final.draw_count == 30
    assert len(set(plan["questions"])) == 30
    again, _ = build_plan(final, "seed-1")
    assert again == plan


@pytest.mark.parametrize("path", MODULE_FILES, ids=lambda p: p.name)
def test_modules_render_safely(path):
    from courses.rendering import render_markdown

    _, body = _front(path)
    html = render_markdown(body)
    assert "<script" not in html and 'class="admonition penting"' in html
