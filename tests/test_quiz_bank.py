"""Question bank: versions, quiz files in course packages, Moodle GIFT import/export and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from courses import packages
from extensions import db
from quizzes import services
from quizzes.gift import parse_gift
from quizzes.models import QuestionVersion, Quiz
from quizzes.quizfile import parse_quiz_file, parse_quiz_files
from quizzes.services import QuizError
from quizzes.transfer import QuizPackagePart
from tests.factories import make_course
from tests.test_quiz_fixtures import QUIZ_YAML, make_quiz_course

ROOT = Path(__file__).resolve().parents[1]
GIFT = ROOT / "tests" / "data" / "gift" / "moodle_export_all_types.txt"
CONTENT = ROOT / "content" / "halal-self-declare"


def _bank(course) -> dict[str, dict]:
    return {q.uid: {**v.data, "tags": q.tags} for q, v in services.current_bank(course)}


def _version_count() -> int:
    return db.session.scalar(select(func.count()).select_from(QuestionVersion))


def test_reimporting_the_same_file_changes_nothing_and_an_edit_makes_a_version(trainer):
    course, quiz = make_quiz_course(trainer)
    assert _version_count() == 5 and quiz.module_id == course.modules[0].id
    summary = services.import_quiz_files(course, [parse_quiz_file(QUIZ_YAML, "quizzes/file-0.yml")], trainer)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 5)
    assert _version_count() == 5
    changed = QUIZ_YAML.replace("value: 1\n", "value: 2\n")
    summary = services.import_quiz_files(course, [parse_quiz_file(changed, "quizzes/file-0.yml")], trainer)
    assert summary.updated == 1
    question = services.question_by_uid(course, "q-num")
    assert question.version_number == 2 and [v.data["value"] for v in question.versions] == [1, 2]


def test_a_package_without_a_quiz_archives_it_but_keeps_editor_questions(trainer):
    course, quiz = make_quiz_course(trainer)
    services.edit_question(course, None, {"id": "dari-editor", "type": "truefalse", "text": "Benar?", "answer": True,
                                          "explanation": "Ya.", "source": "Catatan pelatih"}, None, trainer)
    bank_only = "slug: bank\ntitle: Bank\nkind: bank\nquestions:\n" + QUIZ_YAML.split("questions:\n", 1)[1]
    summary = services.import_quiz_files(course, [parse_quiz_file(bank_only, "quizzes/bank.yml")], trainer)
    assert summary.quizzes_archived == ["kuis-1"] and db.session.get(Quiz, quiz.id).archived
    assert set(_bank(course)) == {"q-single", "q-multi", "q-tf", "q-short", "q-num", "dari-editor"}


def test_editor_validates_by_the_quiz_file_rules(trainer):
    course, _ = make_quiz_course(trainer)
    with pytest.raises(QuizError) as exc:
        services.edit_question(course, None, {"id": "x", "type": "single", "text": "?", "options": [{"text": "a"}],
                                              "explanation": "e", "source": "s"}, None, trainer)
    assert exc.value.code == "question_invalid" and "two options" in str(exc.value.params["problems"])
    with pytest.raises(QuizError) as exc:
        services.edit_question(course, None, {"id": "q-num", "type": "numeric", "text": "?", "value": 1,
                                              "explanation": "e", "source": "s"}, None, trainer)
    assert exc.value.code == "question_id_taken"


def test_case_study_stem_change_versions_every_question_of_the_case(trainer):
    course = make_course(trainer, modules=1)
    text = """\
slug: kasus
title: Studi kasus
kind: final
pass_mark: 70
questions:
  - case:
      id: kerupuk
      title: Kerupuk Bu Sari
      stem: Bu Sari membuat kerupuk ikan dengan bahan tepung tapioka.
      questions:
        - {id: k1, type: truefalse, text: "Boleh self declare?", answer: true, explanation: ya, source: s}
        - {id: k2, type: short, text: "Bahan utama?", accepted: [tapioka], explanation: e, source: s}
"""
    services.import_quiz_files(course, [parse_quiz_file(text, "quizzes/kasus.yml")], trainer)
    k1 = services.question_by_uid(course, "k1")
    assert k1.current.case_data["stem"].startswith("Bu Sari") and "<p>Bu Sari" in k1.current.html["stem"]
    services.edit_question(course, k1, k1.current.data, {"id": "kerupuk", "title": "Kerupuk Bu Sari",
                                                         "stem": "Bu Sari kini memakai terasi."}, trainer)
    k2 = services.question_by_uid(course, "k2")
    assert k1.version_number == 2 and k2.version_number == 2
    assert k2.current.case_data["stem"] == "Bu Sari kini memakai terasi."
    exported = services.export_quiz_files(course)["quizzes/kasus.yml"]
    again = parse_quiz_file(exported, "quizzes/kasus.yml")
    assert again.cases[0]["question_ids"] == ["k1", "k2"] and again.cases[0]["stem"] == "Bu Sari kini memakai terasi."


def test_the_shipped_course_package_imports_and_round_trips(app, trainer):
    course = packages.import_path(CONTENT, trainer)
    db.session.commit()
    quizzes = services.course_quizzes(course)
    kinds = sorted(q.kind for q in quizzes)
    assert kinds.count("module") == 9 and {"pretest", "posttest", "final"} <= set(kinds)
    final = next(q for q in quizzes if q.kind == "final")
    assert final.draw_count and final.draw_tags
    versions = _version_count()
    files = services.export_quiz_files(course)
    originals, problems = parse_quiz_files(
        {f"quizzes/{p.name}": p.read_text(encoding="utf-8") for p in (CONTENT / "quizzes").glob("*.yml")},
        [m.slug for m in course.modules])
    assert not problems
    exported, problems = parse_quiz_files(files, [m.slug for m in course.modules])
    assert not problems
    assert {q["id"]: q for f in exported for q in f.questions} == {q["id"]: q for f in originals for q in f.questions}
    assert ({f.slug: (f.kind, f.pass_mark, f.draw) for f in exported if not f.is_bank}
            == {f.slug: (f.kind, f.pass_mark, f.draw) for f in originals if not f.is_bank})
    packages.import_path(CONTENT, trainer)  # importing again adds no versions
    db.session.commit()
    assert _version_count() == versions


def test_package_part_refuses_stray_files_and_unknown_includes(app):
    part = QuizPackagePart()
    include = QUIZ_YAML.replace("\nquestions:", "\ninclude: [q-ghost]\nquestions:", 1)
    problems = part.validate({"quizzes/README.md": "x", "quizzes/kuis.yml": include}, ["modul-1"])
    messages = [str(p) for p in problems]
    assert any("quizzes/README.md" in m for m in messages)
    assert any("q-ghost" in m and m.startswith("quizzes/kuis.yml:") for m in messages)


def test_a_question_listed_by_two_quizzes_survives_export_as_include(trainer):
    course, quiz = make_quiz_course(trainer)
    services.create_quiz(course, slug="ulang", title="Ulangan", kind="final", question_uids=["q-tf", "q-num"])
    db.session.commit()
    files = services.export_quiz_files(course)
    assert "include: [q-num]" in files["quizzes/ulang.yml"]  # a quiz file defines at least one question
    assert "include: [q-tf]" in files["quizzes/file-0.yml"]
    other = make_course(trainer, title="Salinan", slug="salinan", modules=2)
    parsed, problems = parse_quiz_files(files, [m.slug for m in other.modules])
    assert not problems and not QuizPackagePart().validate(files, [m.slug for m in other.modules])
    services.import_quiz_files(other, parsed, trainer)
    assert services.quiz_question_uids(services.get_quiz(other, "ulang")) == ["q-tf", "q-num"]
    assert sorted(services.quiz_question_uids(services.get_quiz(other, "kuis-1"))) == sorted(
        services.quiz_question_uids(quiz))


# ---------------------------------------------------------------------------------------------------------
# GIFT


def test_gift_round_trip_keeps_every_supported_question(trainer):
    text = GIFT.read_text(encoding="utf-8")
    course = make_course(trainer, modules=1)
    report = services.import_gift(course, text, trainer)
    expected = parse_gift(text)
    assert report.created == [q["id"] for q in expected.questions]
    assert report.refused == expected.refused and len(report.refused) >= 3
    exported = services.export_gift(course)
    other = make_course(trainer, title="Tujuan", slug="tujuan", modules=1)
    again = services.import_gift(other, exported, trainer)
    assert again.refused == [] and again.created == report.created
    assert _bank(other) == _bank(course)
    assert services.export_gift(other) == exported
    assert services.import_gift(course, exported, trainer).unchanged == report.created


def test_gift_unsupported_types_are_reported_by_line_never_dropped(trainer):
    course = make_course(trainer, modules=1)
    text = ("::Baik::Siapa penerbit sertifikat halal? {=BPJPH ~MUI}\n\n"
            "::Pasangkan::Pasangkan lembaga. {=BPJPH -> sertifikat =MUI -> fatwa}\n\n"
            "::Esai::Jelaskan self declare. {}\n\n"
            "Hanya keterangan tanpa jawaban.\n")
    report = services.import_gift(course, text, trainer)
    assert report.created == ["baik"]
    assert [line for line, _ in report.refused] == [3, 5, 7]
    assert "matching" in report.refused[0][1] and "essay" in report.refused[1][1]
    assert report.incomplete == ["baik"]  # placeholders for the missing explanation and source


def test_cli_imports_and_exports_gift(app, runner, trainer, tmp_path):
    course = make_course(trainer, modules=1, slug="kursus-cli")
    result = runner.invoke(args=["quizzes", "import-gift", "kursus-cli", str(GIFT)])
    assert result.exit_code == 0, result.output
    refused = parse_gift(GIFT.read_text(encoding="utf-8")).refused
    for line, _reason in refused:
        assert f"refused line {line}:" in result.output
    assert "created: M1-LEMBAGA" in result.output and f"refused {len(refused)}" in result.output
    out = tmp_path / "bank.gift"
    result = runner.invoke(args=["quizzes", "export-gift", "kursus-cli", str(out)])
    assert result.exit_code == 0, result.output
    assert len(parse_gift(out.read_text(encoding="utf-8")).questions) == len(services.bank_questions(course))
    missing = runner.invoke(args=["quizzes", "import-gift", "tidak-ada", str(GIFT)])
    assert missing.exit_code != 0 and "no course" in missing.output
