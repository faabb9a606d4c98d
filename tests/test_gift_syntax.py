"""Moodle GIFT import, syntax details: answer forms, weights, comments, blank lines, categories, ids, tokens."""

from __future__ import annotations

import pytest

from quizzes.gift import parse_gift, slugify
from quizzes.grading import grade_question
from tests.test_gift_fixtures import only

# ---------------------------------------------------------------------------------------------------------
# syntax details


@pytest.mark.parametrize(("gift", "expected"), [
    ("Q {T}", {"type": "truefalse", "answer": True}),
    ("Q {TRUE}", {"type": "truefalse", "answer": True}),
    ("Q {F}", {"type": "truefalse", "answer": False}),
    ("Q {FALSE####Umum.}", {"type": "truefalse", "answer": False, "explanation": "Umum."}),
    ("Q {false}", {"type": "truefalse", "answer": False}),
    ("Q {T##Benar sekali.}", {"type": "truefalse", "answer": True, "feedback_right": "Benar sekali."}),
    ("Q {=BPJPH =Badan Penyelenggara}", {"type": "short", "accepted": ["BPJPH", "Badan Penyelenggara"]}),
    ("Q {=TRUE}", {"type": "short", "accepted": ["TRUE"]}),
    ("Q {#5}", {"type": "numeric", "value": 5, "tolerance": 0}),
    ("Q {#-2.5:0.5}", {"type": "numeric", "value": -2.5, "tolerance": 0.5}),
    ("Q {#1.5e3:10}", {"type": "numeric", "value": 1500.0, "tolerance": 10}),
    ("Q {#-5..-1}", {"type": "numeric", "min": -5, "max": -1}),
    ("Q {#3:1 ~#Salah.}", {"type": "numeric", "value": 3, "tolerance": 1, "feedback_wrong": "Salah."}),
    ("Q {#=3:1 =%0%*#Salah.}", {"type": "numeric", "value": 3, "tolerance": 1, "feedback_wrong": "Salah."}),
    ("[html]<p>Teks <b>tebal</b></p>{T}", {"text": "Teks <b>tebal</b>"}),
    ("[html]<p>Satu</p><p>Dua</p>{T}", {"text": "<p>Satu</p><p>Dua</p>"}),
    ("[moodle]Teks{T}", {"text": "Teks"}),
    ("[MARKDOWN]*x*{T}", {"text": "*x*"}),
    ("[catatan] bukan format{T}", {"text": "[catatan] bukan format"}),
    ("::Judul \\: titik dua::Q{T}", {"title": "Judul : titik dua", "id": "judul-titik-dua"}),
    ("::Judul Ünïcode Ümlaut::Q{T}", {"id": "judul-unicode-umlaut"}),
    ("Rumus \\{x\\} = 1 {T}", {"text": "Rumus {x} = 1"}),
    ("Jalur C\\:\\\\new {T}", {"text": "Jalur C:\\new"}),
    ("LaTeX \\(x^2\\) {T}", {"text": "LaTeX \\(x^2\\)"}),
    ("Q {T####Karena. (Sumber: UU 33/2014)}", {"explanation": "Karena.", "source": "UU 33/2014"}),
    ("Q {T####(Sumber: PP 42/2024)}", {"explanation": "", "source": "PP 42/2024"}),
    ("Q {T####Tanpa sumber (lihat modul).}", {"explanation": "Tanpa sumber (lihat modul).", "source": ""}),
    ("{~a =b} adalah jawabannya.", {"text": "___ adalah jawabannya."}),
])
def test_syntax(gift, expected):
    question = only(gift)
    assert {k: question.get(k) for k in expected} == expected


def test_weighted_single_answer_form():
    question = only("Q {~%100%A ~B}")
    assert question["type"] == "multiple"
    assert [(o["correct"], o.get("weight")) for o in question["options"]] == [(True, 1.0), (False, 0.0)]
    assert grade_question(question, ["a", "b"]).fraction == 1.0  # Moodle: no penalty for ~B


def test_single_with_partial_distractors():
    question = only("::Jesus' hometown::Jesus Christ was from {\n ~Jerusalem#No.\n ~%25%Bethlehem\n"
                    " ~%50%Galilee\n =Nazareth#Yes!\n}")
    assert question["type"] == "single"
    assert [o.get("weight") for o in question["options"]] == [None, 0.25, 0.5, None]
    assert [o["correct"] for o in question["options"]] == [False, False, False, True]
    assert grade_question(question, "c").fraction == 0.5


def test_default_weights_are_not_stored():
    question = only("Q {~%50%A ~%50%B ~%-50%C ~%-50%D}")
    assert all("weight" not in o for o in question["options"])
    thirds = only("Q {~%33.33333%A ~%33.33333%B ~%33.33333%C ~%-100%D}")
    assert all("weight" not in o for o in thirds["options"])


def test_comments_inside_and_around_a_question():
    question = only("// [id:q-1] [tag:halal] [tag:with \\] bracket]\n"
                    "::T::Q {\n  =a\n  // not an answer\n  ~b\n}\n")
    assert question["id"] == "q-1"
    assert question["tags"] == ["halal", "with ] bracket"]
    assert [o["text"] for o in question["options"]] == ["a", "b"]


def test_inline_double_slash_is_not_a_comment():
    assert only("Lihat https://bpjph.halal.go.id {T}")["text"] == "Lihat https://bpjph.halal.go.id"


def test_questions_need_blank_lines_but_a_new_title_after_answers_starts_a_new_one():
    result = parse_gift("::A::Q {T}\n::B::R {F}\n\n\n\n::C::S {T}")
    assert [q["id"] for q in result.questions] == ["a", "b", "c"]


def test_blank_line_inside_open_braces_is_tolerated():
    question = only("::Q::Pilih {\n  =a\n\n  ~b\n}\n")
    assert [o["text"] for o in question["options"]] == ["a", "b"]


def test_bom_and_crlf():
    result = parse_gift("\ufeff// c\r\n::A::Q {T}\r\n\r\n::B::R {=x =y}\r\n")
    assert [(q["id"], q["type"]) for q in result.questions] == [("a", "truefalse"), ("b", "short")]
    assert result.questions[1]["accepted"] == ["x", "y"]


@pytest.mark.parametrize(("category", "tags"), [
    ("ekosistem", ["ekosistem"]),
    ("Bahan Kritis", ["bahan-kritis", "cat:Bahan Kritis"]),
    ("$course$/top/Default for X/Modul 1", ["modul-1", "cat:$course$/top/Default for X/Modul 1"]),
    ("$course$/top", []),
    ("top", []),
    ("$system$/top/Umum/", ["umum", "cat:$system$/top/Umum/"]),
])
def test_category_tags(category, tags):
    question = only(f"$CATEGORY: {category}\n\n// [tag:modul-01]\n::Q::Q {{T}}")
    assert question["tags"] == ["modul-01", *[t for t in tags if t != "modul-01"]]


def test_category_applies_until_the_next_one():
    result = parse_gift("::A::Q {T}\n\n$CATEGORY: satu\n\n::B::Q {T}\n\n::C::Q {T}\n\n"
                        "$CATEGORY: dua\n::D::Q {T}")
    assert [q["tags"] for q in result.questions] == [[], ["satu"], ["satu"], ["dua"]]


def test_ids_are_deterministic_and_unique():
    text = "::Sama::Q {T}\n\n::Sama::R {T}\n\nTanpa judul {T}\n\n// [id:x]\nS {T}\n\n// [id:x]\nT {T}\n"
    ids = [q["id"] for q in parse_gift(text).questions]
    assert ids == ["sama", "sama-3", "gift-5", "x", "x-11"]
    assert ids == [q["id"] for q in parse_gift(text).questions]
    long_title = "Sangat " * 20
    assert len(only(f"::{long_title}::Q {{T}}")["id"]) <= 60


def test_points_and_scoring_tokens():
    question = only("// [points:2] [scoring:all_or_nothing]\nQ {~%50%a ~%50%b ~%-100%c}")
    assert (question["points"], question["scoring"]) == (2, "all_or_nothing")


def test_slugify():
    assert slugify("Modul 1: Ekosistem & Peran PLUT") == "modul-1-ekosistem-peran-plut"
    assert slugify("Bahan Kritis Ü") == "bahan-kritis-u"
    assert slugify("---") == ""
