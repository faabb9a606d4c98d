"""Moodle GIFT import and export: every question type, escapes, categories, refusals and round trips."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from quizzes.gift import export_gift, export_question, parse_gift, slugify
from quizzes.grading import grade_question
from quizzes.quizfile import parse_quiz_file

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


# ---------------------------------------------------------------------------------------------------------
# a realistic Moodle 4 export with every question type Moodle writes


@pytest.fixture(scope="module")
def moodle():
    text = read("moodle_export_all_types.txt")
    result = parse_gift(text)
    return text, result, {q["id"]: q for q in result.questions}


def test_moodle_export_imports_supported_types(moodle):
    _, result, _ = moodle
    assert [(q["id"], q["type"]) for q in result.questions] == [
        ("M1-LEMBAGA", "single"),
        ("syarat-self-declare", "multiple"),
        ("pernyataan-mandiri", "truefalse"),
        ("kepanjangan-bpjph", "short"),
        ("jumlah-jp", "numeric"),
        ("tahun-uu-jph", "numeric"),
    ]


def test_moodle_export_refuses_matching_essay_and_description_by_line(moodle):
    text, result, _ = moodle
    assert [line for line, _ in result.refused] == [
        line_of(text, "::Pasangkan lembaga::"),
        line_of(text, "::Esai alur sertifikasi::"),
        line_of(text, "::Petunjuk::"),
    ]
    reasons = [reason for _, reason in result.refused]
    assert "matching question" in reasons[0] and "Pasangkan lembaga" in reasons[0]
    assert "essay question" in reasons[1]
    assert "description" in reasons[2] and "skipped" in reasons[2]


def test_moodle_categories_become_tags(moodle):
    _, result, by_id = moodle
    first_cat = "$course$/top/Default for BIMTEK-HALAL/Modul 1 Ekosistem"
    second_cat = "$course$/top/Default for BIMTEK-HALAL/Modul 2 Dasar Hukum"
    assert result.categories == [first_cat, second_cat]
    assert by_id["M1-LEMBAGA"]["tags"] == ["ekosistem", "modul-1-ekosistem", f"cat:{first_cat}"]
    assert by_id["pernyataan-mandiri"]["tags"] == ["modul-1-ekosistem", f"cat:{first_cat}"]
    assert by_id["jumlah-jp"]["tags"] == ["modul-2-dasar-hukum", f"cat:{second_cat}"]


def test_moodle_single_choice_html_feedback_weights_and_explanation(moodle):
    _, _, by_id = moodle
    question = by_id["M1-LEMBAGA"]
    assert question["title"] == "Lembaga penerbit sertifikat halal"
    assert question["text"] == ("Lembaga yang <strong>menerbitkan</strong> sertifikat halal di Indonesia "
                                "adalah ...")
    assert question["options"] == [
        {"key": "a", "text": "BPJPH", "correct": True,
         "feedback": "Benar. BPJPH menerbitkan sertifikat halal."},
        {"key": "b", "text": "MUI", "correct": False,
         "feedback": "MUI menetapkan fatwa kehalalan, bukan menerbitkan sertifikat."},
        {"key": "c", "text": "BPOM", "correct": False},
        {"key": "d", "text": "Dinas Kesehatan", "correct": False, "feedback": "Bukan.", "weight": -0.5},
    ]
    assert question["explanation"] == "Sertifikat halal diterbitkan BPJPH"
    assert question["source"] == "UU 33/2014 Pasal 1 angka 10"


def test_moodle_multiple_answer_keeps_its_weights(moodle):
    _, _, by_id = moodle
    question = by_id["syarat-self-declare"]
    assert question["scoring"] == "partial"
    assert [(o["correct"], o["weight"]) for o in question["options"]] == [
        (True, 0.5), (True, 0.5), (False, -1.0), (False, -1.0)]
    assert question["source"] == ""
    assert grade_question(question, ["a", "b"]).fraction == 1.0
    assert grade_question(question, ["a"]).fraction == 0.5
    assert grade_question(question, ["a", "c"]).fraction == 0.0


def test_moodle_truefalse_short_and_numeric(moodle):
    _, _, by_id = moodle
    tf = by_id["pernyataan-mandiri"]
    assert (tf["answer"], tf["feedback_wrong"], tf["feedback_right"]) == (
        True, "Keliru, itu memang self declare.", "Tepat.")
    short = by_id["kepanjangan-bpjph"]
    assert short["accepted"] == ["Badan Penyelenggara Jaminan Produk Halal"]
    assert short["answers"][1] == {"text": "Badan Penyelenggara JPH", "weight": 0.5,
                                   "feedback": "Hampir, tuliskan lengkap."}
    assert grade_question(short, "badan penyelenggara jph").fraction == 0.5
    numeric = by_id["jumlah-jp"]
    assert (numeric["value"], numeric["tolerance"], numeric["feedback_wrong"]) == (30, 0, "Lihat kurikulum.")
    keys = [(a["value"], a["tolerance"], a["weight"]) for a in numeric["answers"]]
    assert keys == [(30, 0, 1.0), (30, 2, 0.5)]
    assert grade_question(numeric, "31").fraction == 0.5
    simple = by_id["tahun-uu-jph"]
    assert {k: simple[k] for k in ("value", "tolerance")} == {"value": 2014, "tolerance": 0}
    assert "answers" not in simple


# ---------------------------------------------------------------------------------------------------------
# a hand-written file


@pytest.fixture(scope="module")
def handwritten():
    text = read("handwritten.txt")
    result = parse_gift(text)
    assert result.refused == []
    return text, {q.get("title", q["id"]): q for q in result.questions}


def test_handwritten_comments_and_category(handwritten):
    _, questions = handwritten
    assert len(questions) == 14
    assert all(q["tags"] == ["bahan-kritis", "cat:Modul 3/Bahan Kritis"] for q in questions.values())
    assert all("//" not in q["text"] for q in questions.values())


def test_missing_word_format(handwritten):
    text, questions = handwritten
    question = questions[f"gift-{line_of(text, 'Sertifikat halal diterbitkan oleh')}"]
    assert question["text"] == "Sertifikat halal diterbitkan oleh ___ setelah ada ketetapan halal."
    assert [o["text"] for o in question["options"] if o["correct"]] == ["BPJPH"]


def test_escapes(handwritten):
    _, questions = handwritten
    question = questions["Escapes"]
    assert question["text"] == ("Tanda sama dengan = tilde ~ pagar # kurung { } titik dua : "
                                "dan garis miring \\ ok.\nBaris baru.")
    assert question["options"][0] == {"key": "a", "text": "Jawaban = benar", "correct": True,
                                      "feedback": "Umpan # balik"}
    assert question["options"][1]["text"] == "Salah ~ satu"


def test_truefalse_forms(handwritten):
    _, questions = handwritten
    assert questions["TF pendek"]["answer"] is True
    assert "feedback_wrong" not in questions["TF pendek"]
    assert questions["TF salah"]["answer"] is False
    assert questions["TF salah"]["feedback_wrong"] == "Ada syaratnya."
    assert questions["TF salah"]["feedback_right"] == "Tepat, ada syaratnya."


def test_numeric_forms(handwritten):
    _, questions = handwritten
    assert {k: questions["Pi"][k] for k in ("value", "tolerance")} == {"value": 3.14, "tolerance": 0.01}
    rentang = questions["Rentang"]
    assert {k: rentang.get(k) for k in ("min", "max", "value")} == {"min": 1, "max": 5, "value": None}
    assert grade_question(questions["Rentang"], "5").correct is True
    several = questions["Banyak angka"]
    assert [(a["value"], a["tolerance"], a["weight"], a["feedback"]) for a in several["answers"]] == [
        (3.14, 0.01, 1.0, ""), (3.1, 0.1, 0.5, "Kurang teliti.")]
    assert grade_question(several, "3,05").fraction == 0.5


def test_multi_line_question_and_source_with_parentheses(handwritten):
    _, questions = handwritten
    question = questions["Multi baris"]
    assert question["text"] == "Ini soal\nyang ditulis dalam\nbeberapa baris."
    assert question["type"] == "multiple"
    assert question["explanation"] == "Penjelasan umum."
    assert question["source"] == "PP 39/2021 Pasal 2 ayat (1)"
    # "~Tiga" carries no penalty in Moodle, so the weights are kept explicitly.
    assert [o.get("weight") for o in question["options"]] == [0.5, 0.5, 0.0]


def test_format_tags(handwritten):
    _, questions = handwritten
    assert questions["Format markdown"]["text"] == "Teks **tebal** dan `kode`."
    assert questions["Format plain"]["text"] == "Teks apa adanya <b>bukan html</b>."


def test_short_answers_with_weight(handwritten):
    _, questions = handwritten
    question = questions["Singkatan"]
    assert question["accepted"] == ["LPH", "Lembaga Pemeriksa Halal"]
    assert question["answers"][2] == {"text": "Pemeriksa", "weight": 0.5, "feedback": "Kurang lengkap."}


def test_several_equals_answers_make_a_multiple_question(handwritten):
    _, questions = handwritten
    question = questions["Dua sama dengan"]
    assert question["type"] == "multiple"
    assert [o["correct"] for o in question["options"]] == [True, True, False, False]
    assert all("weight" not in o for o in question["options"])
    assert grade_question(question, ["a"]).fraction == 0.5


def test_untitled_question_gets_a_line_id(handwritten):
    text, questions = handwritten
    assert f"gift-{line_of(text, 'Soal tanpa judul')}" in questions


# ---------------------------------------------------------------------------------------------------------
# broken input


def test_broken_items_are_refused_with_their_lines_and_the_rest_imports():
    text = read("broken.txt")
    result = parse_gift(text)
    assert [q["id"] for q in result.questions] == ["baik"]
    assert result.refused == [
        (line_of(text, "::Kurung tidak tertutup::"),
         "question 'Kurung tidak tertutup' has unbalanced braces"),
        (line_of(text, "::Satu opsi::"),
         "question 'Satu opsi': a multiple-choice question needs at least two answers"),
        (line_of(text, "::Bukan angka::"),
         "question 'Bukan angka': numeric answer 'tiga' is not a number"),
        (line_of(text, "::Tanpa kunci::"),
         "question 'Tanpa kunci': no answer is marked correct"),
        (line_of(text, "::Cloze::"),
         "question 'Cloze' has more than one answer block, which is not supported"),
    ]


@pytest.mark.parametrize(("gift", "reason"), [
    ("Cocokkan {=a -> 1 =b -> 2 =c -> 3}", "matching question"),
    ("Tulis esai {}", "essay question"),
    ("Tulis esai {####umpan balik umum}", "essay question"),
    ("Hanya keterangan tanpa jawaban.", "description"),
    ("Kurung } terbalik {", "unbalanced braces"),
    ("Dua {=a} blok {=b}", "more than one answer block"),
    ("Rentang {#5..1}", "min > max"),
    ("Angka {#}", "no answer"),
    ("Nol {=%0%salah#bukan}", "no short answer earns credit"),
    ("Pilihan {~a ~b}", "no answer is marked correct"),
    ("Kosong {=a ~}", "an answer has no text"),
    ("{=a ~b}", "has no text"),
])
def test_refusal_reasons(gift, reason):
    result = parse_gift("// komentar\n\n\n" + gift + "\n")
    assert result.questions == []
    assert len(result.refused) == 1
    line, message = result.refused[0]
    assert line == 4
    assert reason in message


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
