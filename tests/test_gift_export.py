"""Moodle GIFT export: text, categories, tokens, numeric and case stems, and export/parse round trips."""

from __future__ import annotations

import pytest
import yaml

from quizzes.gift import export_gift, export_question, parse_gift
from quizzes.quizfile import parse_quiz_file
from tests.test_gift_fixtures import read

# ---------------------------------------------------------------------------------------------------------
# export and round trips

NEUTRAL = [
    {"id": "m1-1", "type": "single", "tags": ["modul-01", "ekosistem"], "title": "Lembaga",
     "text": "Lembaga yang **menerbitkan** sertifikat: {BPJPH}?\nPilih = satu ~ saja #1, C:\\path.",
     "options": [
         {"key": "a", "text": "BPJPH", "correct": True, "feedback": "Benar = tepat."},
         {"key": "b", "text": "MUI", "correct": False, "feedback": "MUI: fatwa.", "weight": 0.5},
         {"key": "c", "text": "LPH", "correct": False, "weight": -0.25},
         {"key": "d", "text": "%5 persen", "correct": False},
     ],
     "explanation": "BPJPH menerbitkan sertifikat.", "source": "UU 33/2014 Pasal 1 angka 10 (jo. UU 6/2023)"},
    {"id": "m1-2", "type": "multiple", "tags": ["modul-01", "ekosistem"],
     "text": "Pilih syarat:\n\n- satu\n- dua",
     "options": [
         {"key": "a", "text": "A", "correct": True},
         {"key": "b", "text": "B", "correct": True},
         {"key": "c", "text": "C", "correct": True},
         {"key": "d", "text": "D", "correct": False, "feedback": "Bukan."},
     ],
     "scoring": "partial", "explanation": "", "source": ""},
    {"id": "m1-3", "type": "multiple", "tags": ["modul-01", "modul-1", "cat:Bimtek/Modul 1"],
     "text": "Bobot eksplisit", "points": 2,
     "options": [
         {"key": "a", "text": "A", "correct": True, "weight": 0.6},
         {"key": "b", "text": "B", "correct": True, "weight": 0.4},
         {"key": "c", "text": "C", "correct": False, "weight": -0.5},
         {"key": "d", "text": "D", "correct": False, "weight": 0},
     ],
     "scoring": "partial", "explanation": "Penjelasan.", "source": ""},
    {"id": "m1-4", "type": "multiple", "tags": ["modul-02"], "text": "Semua atau tidak",
     "options": [{"key": "a", "text": "A", "correct": True}, {"key": "b", "text": "B", "correct": False}],
     "scoring": "all_or_nothing", "explanation": "", "source": "Sumber saja"},
    {"id": "tf-1", "type": "truefalse", "tags": [], "text": "Babi haram.", "answer": True,
     "feedback_wrong": "Keliru # sekali.", "feedback_right": "Tepat.", "explanation": "E", "source": "S"},
    {"id": "tf-2", "type": "truefalse", "tags": [], "text": "Semua boleh self declare.", "answer": False,
     "explanation": "", "source": ""},
    {"id": "tf-3", "type": "truefalse", "tags": [], "text": "Hanya umpan balik benar.", "answer": False,
     "feedback_right": "Ya.", "explanation": "", "source": ""},
    {"id": "s-1", "type": "short", "tags": ["istilah"], "text": "Kepanjangan ___ adalah BPJPH.",
     "accepted": ["Badan Penyelenggara Jaminan Produk Halal", "BPJPH"], "explanation": "", "source": ""},
    {"id": "s-2", "type": "short", "tags": ["istilah"], "text": "Ibu kota negara adalah ___",
     "accepted": ["Nusantara"],
     "answers": [{"text": "Nusantara", "weight": 1.0, "feedback": "Benar."},
                 {"text": "Jakarta", "weight": 0.25, "feedback": "Dulu."},
                 {"text": "Bandung", "weight": 0.0, "feedback": "Bukan."}],
     "explanation": "", "source": ""},
    {"id": "n-1", "type": "numeric", "tags": ["hitung"], "text": "Pi?", "value": 3.14, "tolerance": 0.01,
     "explanation": "", "source": ""},
    {"id": "n-2", "type": "numeric", "tags": ["hitung"], "text": "Rentang?", "min": -1.5, "max": 5,
     "explanation": "", "source": ""},
    {"id": "n-3", "type": "numeric", "tags": ["hitung"], "text": "JP?", "value": 30, "tolerance": 0,
     "answers": [{"value": 30, "tolerance": 0, "weight": 1.0, "feedback": "Tepat."},
                 {"min": 25, "max": 35, "weight": 0.5, "feedback": ""}],
     "feedback_wrong": "Lihat kurikulum.", "explanation": "", "source": ""},
    {"id": "n-4", "type": "numeric", "tags": ["hitung"], "text": "Kecil?", "value": 1e-05, "tolerance": 0,
     "feedback_wrong": "Salah.", "explanation": "", "source": ""},
]


def test_export_then_parse_gives_the_same_questions():
    exported = export_gift(NEUTRAL)
    result = parse_gift(exported)
    assert result.refused == []
    assert result.questions == NEUTRAL


@pytest.mark.parametrize("name", ["moodle_export_all_types.txt", "handwritten.txt"])
def test_imported_files_are_a_fixed_point_of_export_and_parse(name):
    questions = parse_gift(read(name)).questions
    assert parse_gift(export_gift(questions)).questions == questions


def test_export_text():
    exported = export_gift(NEUTRAL[:2])
    assert exported.startswith("$CATEGORY: ekosistem\n\n// [id:m1-1] [tag:modul-01] [tag:ekosistem]\n")
    assert ("::Lembaga::[markdown]Lembaga yang **menerbitkan** sertifikat\\: \\{BPJPH\\}?\\n"
            "Pilih \\= satu \\~ saja \\#1, C\\:\\\\path.{\n") in exported
    assert "\t=BPJPH#Benar \\= tepat.\n" in exported
    assert "\t~%50%MUI#MUI\\: fatwa.\n" in exported
    assert "\t~%-25%LPH\n" in exported
    assert "\t~%0%%5 persen\n" in exported  # a text starting with % must not read as a weight
    assert ("\t####BPJPH menerbitkan sertifikat. (Sumber\\: UU 33/2014 Pasal 1 angka 10 (jo. UU 6/2023))\n}"
            in exported)
    # default multiple-answer credits written as Moodle weights
    assert "\t~%33.33333%A\n" in exported
    assert "\t~%-100%D#Bukan.\n" in exported


def test_export_category_switches_and_resets():
    exported = export_gift(NEUTRAL)
    categories = [line for line in exported.splitlines() if line.startswith("$CATEGORY:")]
    assert categories == ["$CATEGORY: ekosistem", "$CATEGORY: Bimtek/Modul 1", "$CATEGORY: $course$/top",
                          "$CATEGORY: istilah", "$CATEGORY: hitung"]
    assert "[tag:cat:Bimtek/Modul 1]" not in exported  # carried by $CATEGORY instead


def test_export_module_tags_are_not_categories():
    question = {**NEUTRAL[4], "tags": ["bab-3", "kebersihan"]}
    assert export_gift([question], module_tags=["bab-3"]).startswith("$CATEGORY: kebersihan\n")


def test_export_tokens_and_truefalse():
    assert export_question(NEUTRAL[4]) == (
        "// [id:tf-1]\n[markdown]Babi haram.{TRUE#Keliru \\# sekali.#Tepat.####E (Sumber\\: S)}")
    assert export_question(NEUTRAL[6]).endswith("{FALSE##Ya.}")
    assert "[points:2]" in export_question(NEUTRAL[2])
    assert "[scoring:all_or_nothing]" in export_question(NEUTRAL[3])


def test_export_numeric():
    assert export_question(NEUTRAL[9]).endswith("{#\n\t=3.14:0.01\n}")
    assert export_question(NEUTRAL[10]).endswith("{#\n\t=-1.5..5\n}")
    assert export_question(NEUTRAL[11]).endswith(
        "{#\n\t=30:0#Tepat.\n\t=%50%25..35\n\t~#Lihat kurikulum.\n}")


def test_export_case_stem_goes_before_the_text():
    question = {**NEUTRAL[4], "case_id": "kasus"}
    exported = export_gift([question], cases={"kasus": {"id": "kasus", "stem": "Bu Sari: kerupuk.\n"}})
    assert "[markdown]Bu Sari\\: kerupuk.\\n\\nBabi haram.{TRUE" in exported


def test_export_edge_cases():
    assert export_gift([]) == ""
    with pytest.raises(ValueError, match="cannot export"):
        export_gift([{"id": "x", "type": "essay", "text": "?"}])


def test_gift_questions_fit_the_quiz_file_shape():
    """Imported questions, once given an explanation and source, load as a bank file unchanged."""
    questions = parse_gift(read("moodle_export_all_types.txt")).questions
    questions += parse_gift(read("handwritten.txt")).questions
    for question in questions:
        question["explanation"] = question["explanation"] or "Penjelasan."
        question["source"] = question["source"] or "Sumber."
    text = yaml.safe_dump({"slug": "impor", "kind": "bank", "questions": questions}, allow_unicode=True)
    bank = parse_quiz_file(text, "quizzes/impor.yml")
    assert [{k: v for k, v in q.items() if k != "case_id"} for q in bank.questions] == questions


def test_option_text_that_looks_like_a_weight_survives_a_round_trip():
    question = {"id": "x", "type": "single", "tags": [], "text": "Kadar?", "explanation": "", "source": "",
                "options": [{"key": "a", "text": "%5% atau kurang", "correct": True},
                            {"key": "b", "text": "%6% atau lebih", "correct": False}]}
    exported = export_gift([question])
    assert "\t=%100%%5% atau kurang\n\t~%0%%6% atau lebih\n" in exported
    assert parse_gift(exported).questions == [question]
