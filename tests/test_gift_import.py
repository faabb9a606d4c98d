"""Moodle GIFT import of whole files: a Moodle 4 export, a hand-written file, and refused broken items."""

from __future__ import annotations

import pytest

from quizzes.gift import parse_gift
from quizzes.grading import grade_question
from tests.test_gift_fixtures import line_of, read

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
