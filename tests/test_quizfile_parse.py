"""Quiz YAML parsing: settings, normalisation, text taken as written, line tracking and round trips."""

from __future__ import annotations

import textwrap

import pytest

from quizzes.grading import grade_question
from quizzes.quizfile import (
    QuizFile,
    dump_quiz_file,
    parse_quiz_file,
)
from tests.test_quizfile_fixtures import BANK, DRAW_QUIZ, MODULE_QUIZ, line_of

# ---------------------------------------------------------------------------------------------------------
# parsing valid files


@pytest.fixture(scope="module")
def module_quiz() -> QuizFile:
    return parse_quiz_file(MODULE_QUIZ, "quizzes/01-ekosistem.yml")


def test_settings(module_quiz):
    quiz = module_quiz
    assert (quiz.slug, quiz.title, quiz.kind) == ("modul-01", "Kuis Modul 1", "module")
    assert quiz.module == "ekosistem"
    assert (quiz.pass_mark, quiz.time_limit_minutes, quiz.attempts_allowed) == (70, 15, 3)
    assert (quiz.grading, quiz.shuffle_questions, quiz.shuffle_options) == ("highest", True, True)
    assert quiz.layout == "one"
    assert quiz.review == {"when": "after_close", "show": ["score", "correctness"]}
    assert quiz.draw is None
    assert not quiz.is_bank


def test_case_studies_are_flattened_with_case_id(module_quiz):
    ids = [q["id"] for q in module_quiz.questions]
    assert ids == ["m1-ekosistem-1", "m1-ekosistem-2", "kasus-kerupuk-1", "kasus-kerupuk-2", "m1-ekosistem-3",
                   "m1-ekosistem-4"]
    case_ids = [q["case_id"] for q in module_quiz.questions]
    assert case_ids == [None, None, "kasus-kerupuk", "kasus-kerupuk", None, None]
    assert module_quiz.cases == [{"id": "kasus-kerupuk", "title": "Kerupuk ikan Bu Sari",
                                  "stem": "Bu Sari membuat kerupuk ikan.\n",
                                  "question_ids": ["kasus-kerupuk-1", "kasus-kerupuk-2"]}]


def test_option_keys_and_defaults(module_quiz):
    single, multiple = module_quiz.questions[:2]
    assert [(o["key"], o["correct"]) for o in single["options"]] == [("a", True), ("b", False), ("c", False)]
    assert [o["key"] for o in multiple["options"]] == ["a", "b", "z"]
    assert multiple["scoring"] == "partial"
    assert multiple["options"][1]["weight"] == 0.5
    assert module_quiz.questions[3]["tolerance"] == 0
    assert module_quiz.questions[2]["tags"] == ["kasus"]
    assert module_quiz.questions[3]["tags"] == []


def test_text_is_taken_as_written_not_as_yaml_types(module_quiz):
    single = module_quiz.questions[0]
    assert single["options"][2]["text"] == "yes"  # not True
    assert module_quiz.questions[4]["accepted"] == ["LPH", "0014"]  # not 14
    assert module_quiz.questions[3]["value"] == 1.5  # numbers stay numbers where numbers belong
    assert module_quiz.questions[1]["text"].startswith("Pilih **dua** syarat self declare.\n\nPerhatikan")
    assert module_quiz.questions[1]["options"][2]["text"] == "Omzet > 15 M: besar"


def test_ids_and_tags_given_as_numbers_stay_text():
    text = "kind: bank\nquestions:\n  - id: 123\n    type: truefalse\n    tags: [2024, halal]\n" \
           "    text: 1.50\n    answer: yes\n    explanation: e\n    source: s\n"
    question = parse_quiz_file(text, "bank.yml").questions[0]
    assert (question["id"], question["tags"], question["text"], question["answer"]) == (
        "123", ["2024", "halal"], "1.50", True)


def test_question_lines_are_recorded(module_quiz):
    assert module_quiz.question_lines["m1-ekosistem-1"] == line_of(MODULE_QUIZ, "id: m1-ekosistem-1")
    assert module_quiz.question_lines["kasus-kerupuk-2"] == line_of(MODULE_QUIZ, "id: kasus-kerupuk-2")
    assert module_quiz.line_of("module") == 4


def test_bank_defaults_slug_and_title_from_filename():
    bank = parse_quiz_file(BANK, "content/x/quizzes/bank-final.yml")
    assert (bank.slug, bank.title, bank.kind, bank.is_bank) == ("bank-final", "bank-final", "bank", True)
    assert bank.questions[1]["accepted"] == ["BPJPH"]
    assert bank.questions[1]["text"] == "Soal: dua # bukan komentar"


def test_draw_and_extra_keys():
    quiz = parse_quiz_file(DRAW_QUIZ, "quizzes/final.yml")
    assert quiz.draw == {"count": 3, "tags": ["final"]}
    assert quiz.questions == []
    assert quiz.extra == {"owner": "tim-kurikulum"}
    assert (quiz.pass_mark, quiz.grading) == (70.5, "last")
    assert quiz.review == {"when": "immediately", "show": ["score", "correctness", "answers", "feedback"]}


def test_parsed_questions_grade(module_quiz):
    by_id = {q["id"]: q for q in module_quiz.questions}
    assert grade_question(by_id["m1-ekosistem-1"], "a").correct is True
    assert grade_question(by_id["m1-ekosistem-3"], "lph").correct is True
    assert grade_question(by_id["kasus-kerupuk-2"], "1,5").correct is True
    assert grade_question(by_id["m1-ekosistem-4"], "4,9").correct is True


# ---------------------------------------------------------------------------------------------------------
# round trips


GIFT_SHAPED_BANK = textwrap.dedent("""\
    kind: bank
    slug: impor
    questions:
      - id: q-short
        type: short
        title: Kepanjangan
        points: 2
        text: Kepanjangan BPJPH?
        accepted: [Badan Penyelenggara Jaminan Produk Halal]
        answers:
          - {text: Badan Penyelenggara Jaminan Produk Halal, weight: 1.0, feedback: ""}
          - {text: Badan Penyelenggara JPH, weight: 0.5, feedback: Hampir.}
        explanation: e
        source: s
      - id: q-num
        type: numeric
        text: JP?
        value: 30
        tolerance: 0
        answers:
          - {value: 30, tolerance: 0, weight: 1.0, feedback: Tepat.}
          - {value: 30, tolerance: 2, weight: 0.5, feedback: ""}
        feedback_wrong: Lihat kurikulum.
        explanation: e
        source: s
      - id: q-tf
        type: truefalse
        text: Benar?
        answer: false
        feedback_wrong: Keliru.
        feedback_right: Tepat.
        explanation: e
        source: s
      - id: q-multi
        type: multiple
        scoring: all_or_nothing
        text: Pilih
        options:
          - {text: A, correct: true, weight: 0.5}
          - {text: B, correct: true, weight: 0.5}
          - {text: C, weight: -1}
        explanation: e
        source: s
    """)


@pytest.mark.parametrize(("text", "filename"), [
    (MODULE_QUIZ, "quizzes/01-ekosistem.yml"),
    (BANK, "quizzes/bank-final.yml"),
    (DRAW_QUIZ, "quizzes/final.yml"),
    (GIFT_SHAPED_BANK, "quizzes/impor.yml"),
])
def test_round_trip(text, filename):
    parsed = parse_quiz_file(text, filename)
    dumped = dump_quiz_file(parsed)
    assert parse_quiz_file(dumped, filename) == parsed
    assert dump_quiz_file(parse_quiz_file(dumped, filename)) == dumped


def test_dump_is_tidy(module_quiz):
    dumped = dump_quiz_file(module_quiz)
    assert "case_id" not in dumped
    assert "correct: false" not in dumped
    assert dumped.count("key: ") == 3  # default keys are implied; a question with a custom key keeps all
    assert "key: z" in dumped
    assert "tags: [modul-01, ekosistem]" in dumped
    assert "- case:" in dumped
    assert "text: 'yes'" in dumped
    assert "stem: |" in dumped


def test_round_trip_with_unicode_and_awkward_text():
    quiz = parse_quiz_file(MODULE_QUIZ, "q.yml")
    quiz.questions[0]["text"] = "Apakah ‘halal’ — \"thayyib\"?\n  - indented: yes\n#not a comment\ttab"
    quiz.questions[0]["explanation"] = "trailing spaces   \nnext"
    again = parse_quiz_file(dump_quiz_file(quiz), "q.yml")
    assert again.questions[0]["text"] == quiz.questions[0]["text"]
    assert again.questions[0]["explanation"] == quiz.questions[0]["explanation"]
