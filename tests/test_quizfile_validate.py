"""Quiz YAML rules: every per-question and file-level rule with its line number, and the cross-file rules."""

from __future__ import annotations

import textwrap

import pytest

from quizzes.quizfile import (
    Problem,
    QuizFile,
    QuizFileError,
    course_bank,
    parse_quiz_file,
    parse_quiz_files,
    validate_course_quizzes,
)
from tests.test_quizfile_fixtures import BANK, DRAW_QUIZ, MODULE_QUIZ, line_of, problems_of


@pytest.fixture(scope="module")
def module_quiz() -> QuizFile:
    return parse_quiz_file(MODULE_QUIZ, "quizzes/01-ekosistem.yml")


# ---------------------------------------------------------------------------------------------------------
# per-question rules, each reported at the question's line

HEADER = textwrap.dedent("""\
    slug: t
    kind: pretest
    questions:
      - id: good
        type: truefalse
        text: Baik
        answer: true
        explanation: e
        source: s
    """)
BAD_LINE = HEADER.count("\n") + 1

BASE = {"id": "bad", "text": "Soal", "explanation": "e", "source": "s"}


def question_yaml(fields: str) -> str:
    """Append one question (given as YAML mapping lines) after a good one."""
    lines = textwrap.dedent(fields).strip("\n").splitlines()
    return HEADER + "  - " + lines[0] + "\n" + "".join(f"    {line}\n" for line in lines[1:])


OPTS_OK = "options: [{text: A, correct: true}, {text: B}]"
RULES = [
    ("type: truefalse\ntext: x\nanswer: true\nexplanation: e\nsource: s", "missing id"),
    ("id: bad\ntext: x\nanswer: true\nexplanation: e\nsource: s", "missing type"),
    ("id: bad\ntype: truefalse\nanswer: true\nexplanation: e\nsource: s", "missing text"),
    ("id: bad\ntype: truefalse\ntext: x\nanswer: true\nsource: s", "missing explanation"),
    ("id: bad\ntype: truefalse\ntext: x\nanswer: true\nexplanation: e", "missing source"),
    ("id: bad\ntype: truefalse\ntext: x\nanswer: true\nexplanation: ''\nsource: s", "missing explanation"),
    ("id: bad\ntype: truefalse\ntext: '   '\nanswer: true\nexplanation: e\nsource: s", "missing text"),
    ("id: bad\ntype: essay\ntext: x\nexplanation: e\nsource: s", "unknown type 'essay'"),
    ("id: bad\ntype: single\ntext: x\noptions: [{text: A, correct: true}]\nexplanation: e\nsource: s",
     "needs at least two options (found 1)"),
    ("id: bad\ntype: single\ntext: x\nexplanation: e\nsource: s", "options must be a list"),
    ("id: bad\ntype: single\ntext: x\noptions: [{text: A, correct: true}, {text: B, correct: true}]\n"
     "explanation: e\nsource: s", "exactly one correct option (found 2)"),
    ("id: bad\ntype: single\ntext: x\noptions: [{text: A}, {text: B}]\nexplanation: e\nsource: s",
     "exactly one correct option (found 0)"),
    ("id: bad\ntype: multiple\ntext: x\noptions: [{text: A}, {text: B}]\nexplanation: e\nsource: s",
     "at least one correct option"),
    ("id: bad\ntype: multiple\ntext: x\n" + OPTS_OK + "\nscoring: some\nexplanation: e\nsource: s",
     "scoring must be one of partial, all_or_nothing"),
    ("id: bad\ntype: single\ntext: x\noptions: [{text: A, correct: true}, {text: B, weight: 2}]\n"
     "explanation: e\nsource: s", "option 2: weight must be a number from -1 to 1"),
    ("id: bad\ntype: single\ntext: x\noptions: [{text: A, correct: true}, {feedback: B}]\n"
     "explanation: e\nsource: s", "option 2 has no text"),
    ("id: bad\ntype: single\ntext: x\noptions: [{text: A, correct: ya}, {text: B}]\n"
     "explanation: e\nsource: s", "option 1: correct must be true or false"),
    ("id: bad\ntype: single\ntext: x\noptions: [{text: A, correct: true, key: k}, {text: B, key: k}]\n"
     "explanation: e\nsource: s", "option keys must be unique"),
    ("id: bad\ntype: truefalse\ntext: x\nanswer: maybe\nexplanation: e\nsource: s", "answer: true or false"),
    ("id: bad\ntype: truefalse\ntext: x\nexplanation: e\nsource: s", "answer: true or false"),
    ("id: bad\ntype: short\ntext: x\nexplanation: e\nsource: s", "needs accepted answers"),
    ("id: bad\ntype: short\ntext: x\naccepted: []\nexplanation: e\nsource: s", "needs accepted answers"),
    ("id: bad\ntype: short\ntext: x\naccepted: [a, '']\nexplanation: e\nsource: s", "non-empty answers"),
    ("id: bad\ntype: numeric\ntext: x\nexplanation: e\nsource: s", "needs a value (or min and max)"),
    ("id: bad\ntype: numeric\ntext: x\nvalue: '3,5'\nexplanation: e\nsource: s", "value must be a number"),
    ("id: bad\ntype: numeric\ntext: x\nvalue: 3\ntolerance: -1\nexplanation: e\nsource: s",
     "tolerance must be a number >= 0"),
    ("id: bad\ntype: numeric\ntext: x\nmin: 5\nmax: 1\nexplanation: e\nsource: s", "min must not be greater"),
    ("id: bad\ntype: numeric\ntext: x\nmin: 5\nexplanation: e\nsource: s",
     "min and max must both be numbers"),
    ("id: bad\ntype: numeric\ntext: x\nanswers: [{value: x}]\nexplanation: e\nsource: s",
     "answer 1: value must be a number"),
    ("id: bad\ntype: truefalse\ntext: [a, b]\nanswer: true\nexplanation: e\nsource: s", "text must be text"),
    ("id: bad\ntype: truefalse\ntags: {a: 1}\ntext: x\nanswer: true\nexplanation: e\nsource: s",
     "tags must be a list"),
    ("id: bad\ntype: truefalse\npoints: 0\ntext: x\nanswer: true\nexplanation: e\nsource: s",
     "points must be greater than 0"),
    ("just a string", "must be a mapping"),
    ("id: good\ntype: truefalse\ntext: x\nanswer: true\nexplanation: e\nsource: s",
     "duplicate question id 'good' (first at line 4)"),
]


@pytest.mark.parametrize(("fields", "message"), RULES, ids=[m for _, m in RULES])
def test_each_rule_is_reported_at_the_question_line(fields, message):
    problems = problems_of(question_yaml(fields))
    assert {(p.filename, p.line) for p in problems} == {("quizzes/t.yml", BAD_LINE)}
    assert any(message in p.message for p in problems), problems
    assert len(problems) <= 2


def test_problem_names_the_question():
    problems = problems_of(question_yaml("id: q-77\ntype: truefalse\ntext: x\nexplanation: e\nsource: s"))
    assert problems[0].message.startswith("question 'q-77': ")
    assert str(problems[0]) == f"quizzes/t.yml:{BAD_LINE}: {problems[0].message}"


# ---------------------------------------------------------------------------------------------------------
# file-level rules

D = "draw: {count: 1, tags: [a]}\n"
FILE_RULES = [
    ("slug: t\nquestions: []\n", 1, "missing kind"),
    ("slug: t\nkind: quiz\n" + D, 2, "unknown kind 'quiz'"),
    ("slug: t\nkind: module\n" + D, 2, "a module quiz must name its module"),
    ("slug: t\nkind: final\ngrading: best\n" + D, 3, "unknown grading 'best'"),
    ("slug: t\nkind: final\nlayout: grid\n" + D, 3, "unknown layout 'grid'"),
    ("slug: t\nkind: final\nreview: {when: later}\n" + D, 3, "unknown review when"),
    ("slug: t\nkind: final\nreview:\n  show: [score, everything]\n" + D, 3,
     "review show must be a list"),
    ("slug: t\nkind: final\nreview: immediately\n" + D, 3, "review must be a mapping"),
    ("slug: t\nkind: final\npass_mark: 120\n" + D, 3, "pass_mark must be a percent"),
    ("slug: t\nkind: final\nattempts_allowed: -1\n" + D, 3, "attempts_allowed must be"),
    ("slug: t\nkind: final\ntime_limit_minutes: 1.5\n" + D, 3, "time_limit_minutes"),
    ("slug: t\nkind: final\nshuffle_questions: ya\n" + D, 3, "must be true or false"),
    ("slug: t\nkind: final\n\ndraw:\n  count: 0\n  tags: [final]\n", 4, "draw count must be a whole number"),
    ("slug: t\nkind: final\ndraw: {count: 2, tags: final}\n", 3, ""),  # a lone tag is accepted: no problem
    ("slug: t\nkind: final\ndraw: {count: 2, tags: [{a: 1}]}\n", 3, "draw tags must be a list of words"),
    ("slug: t\nkind: final\ndraw: 30\n", 3, "draw must be a mapping"),
    ("slug: t\nkind: pretest\n", 1, "a quiz needs questions or a draw"),
    ("slug: t\nkind: bank\n", 1, "a bank file needs questions"),
    ("slug: t\nkind: pretest\nquestions: {a: 1}\n", 3, "questions must be a list"),
    ("- just\n- a list\n", 1, "a quiz file must be a mapping"),
    ("", 1, "a quiz file must be a mapping"),
    ("slug: [a]\ntitle: {x: 1}\nkind: final\n" + D, 1, "slug must be text"),
    ("slug: t\ntitle: {x: 1}\nkind: final\n" + D, 2, "title must be text"),
    ("slug: t\nkind: pretest\nkind: final\n" + D, 3, "key 'kind' appears twice"),
    ("slug: t\nkind: pretest\nquestions:\n  - id: x\n    text: [unclosed\n", 6, "invalid YAML"),
    ("slug: t\nkind: pretest\ntitle: 'unterminated\n", 4, "invalid YAML"),
]


@pytest.mark.parametrize(("text", "line", "message"), FILE_RULES, ids=[m or "ok" for _, _, m in FILE_RULES])
def test_file_rules(text, line, message):
    if not message:
        assert parse_quiz_file(text, "quizzes/t.yml").draw["tags"] == ["final"]
        return
    problems = problems_of(text)
    assert (problems[0].line, message in problems[0].message) == (line, True), problems


def test_bank_cannot_draw():
    problems = problems_of(BANK + "draw: {count: 1, tags: [final]}\n")
    assert [p.message for p in problems] == ["a bank file cannot draw questions"]
    assert problems[0].line == line_of(BANK + "draw:", "draw:")


CASE_RULES = [
    ("  - case:\n      title: Tanpa id\n      stem: x\n      questions: []\n", "case: missing id"),
    ("  - case:\n      id: c1\n      questions:\n        - {id: c1-q, type: truefalse, text: t, "
     "answer: true, explanation: e, source: s}\n", "case 'c1': missing stem"),
    ("  - case:\n      id: c1\n      stem: s\n", "case 'c1': a case needs a list of questions"),
    ("  - case: just text\n", "case must be a mapping"),
]


@pytest.mark.parametrize(("snippet", "message"), CASE_RULES, ids=[m for _, m in CASE_RULES])
def test_case_rules(snippet, message):
    problems = problems_of(HEADER + snippet)
    assert any(message in p.message for p in problems), problems
    assert {p.line for p in problems} == {BAD_LINE}


def test_duplicate_case_id_and_question_inside_case_is_checked():
    text = HEADER + textwrap.indent(textwrap.dedent("""\
        - case:
            id: c1
            stem: s
            questions:
              - {id: c1-q1, type: truefalse, text: t, answer: true, explanation: e, source: s}
        - case:
            id: c1
            stem: s
            questions:
              - {id: c1-q2, type: truefalse, text: t, answer: true, explanation: e}
        """), "  ")
    problems = problems_of(text)
    assert [(p.line, p.message) for p in problems] == [
        (line_of(text, "- case:", 2), "duplicate case id 'c1' (first at line 10)"),
        (line_of(text, "id: c1-q2"), "question 'c1-q2': missing source"),
    ]


def test_all_problems_are_reported_at_once():
    text = textwrap.dedent("""\
        slug: modul-02
        kind: module
        grading: best
        questions:
          - id: a1
            type: single
            text: T
            options:
              - {text: A, correct: true}
              - {text: B, correct: true}
            explanation: e
          - id: a1
            type: essay
            text: x
            explanation: e
            source: s
          - type: multiple
            text: y
            options: [{text: only}]
            explanation: e
            source: s
          - id: a4
            type: numeric
            text: z
            explanation: e
            source: s
        """)
    problems = problems_of(text, "quizzes/02.yml")
    assert [(p.line, p.message) for p in problems] == [
        (2, "a module quiz must name its module (module: slug)"),
        (3, "unknown grading 'best' (expected one of highest, last)"),
        (5, "question 'a1': missing source"),
        (5, "question 'a1': a single question needs exactly one correct option (found 2)"),
        (12, "question 'a1': unknown type 'essay' "
             "(expected one of single, multiple, truefalse, short, numeric)"),
        (12, "duplicate question id 'a1' (first at line 5)"),
        (17, "question: missing id"),
        (17, "question: a multiple question needs at least two options (found 1)"),
        (17, "question: a multiple question needs at least one correct option"),
        (22, "question 'a4': a numeric question needs a value (or min and max)"),
    ]
    assert all(p.filename == "quizzes/02.yml" for p in problems)


def test_error_message_lists_every_problem():
    with pytest.raises(QuizFileError) as info:
        parse_quiz_file("slug: t\nkind: nope\ngrading: x\n", "a.yml")
    assert str(info.value).splitlines() == [
        "a.yml:2: unknown kind 'nope' (expected one of module, pretest, posttest, final, bank)",
        "a.yml:3: unknown grading 'x' (expected one of highest, last)",
    ]


# ---------------------------------------------------------------------------------------------------------
# cross-file rules


def quiz(text: str, filename: str) -> QuizFile:
    return parse_quiz_file(textwrap.dedent(text), filename)


def tf(qid: str, tags: str = "[]") -> str:
    fields = f"id: {qid}, type: truefalse, tags: {tags}, text: t, answer: true, explanation: e, source: s"
    return f"  - {{{fields}}}\n"


def test_cross_file_rules_pass_for_a_consistent_course(module_quiz):
    bank = parse_quiz_file(BANK, "quizzes/bank-final.yml")
    final = parse_quiz_file(DRAW_QUIZ, "quizzes/final.yml")
    assert validate_course_quizzes([module_quiz, bank, final], {"ekosistem", "dasar-hukum"}) == []
    assert len(course_bank([module_quiz, bank, final])) == 9


def test_duplicate_question_id_across_files():
    one = quiz("slug: a\nkind: pretest\nquestions:\n" + tf("q1") + tf("q2"), "quizzes/a.yml")
    two = quiz("slug: b\nkind: posttest\nquestions:\n" + tf("q3") + tf("q1"), "quizzes/b.yml")
    assert validate_course_quizzes([one, two], set()) == [
        Problem("quizzes/b.yml", 5, "question id 'q1' is also used in quizzes/a.yml line 4"),
    ]


def test_duplicate_slug_and_case_across_files():
    def case(qid: str) -> str:
        return "  - case:\n      id: kasus\n      stem: s\n      questions:\n        " + tf(qid).lstrip()

    one = quiz("slug: a\nkind: pretest\nquestions:\n" + case("k1"), "quizzes/a.yml")
    two = quiz("slug: a\nkind: posttest\nquestions:\n" + case("k2"), "quizzes/b.yml")
    messages = [(p.filename, p.line, p.message) for p in validate_course_quizzes([one, two], set())]
    assert messages == [
        ("quizzes/b.yml", 1, "quiz slug 'a' is also used in quizzes/a.yml line 1"),
        ("quizzes/b.yml", 4, "case id 'kasus' is also used in quizzes/a.yml line 4"),
    ]


def test_module_quiz_names_an_existing_module(module_quiz):
    problems = validate_course_quizzes([module_quiz], {"dasar-hukum"})
    assert problems == [Problem("quizzes/01-ekosistem.yml", 4, "module 'ekosistem' does not exist")]


@pytest.mark.parametrize(("count", "tags", "ok"), [
    (3, "[final]", True),
    (4, "[final]", False),
    (4, "[final, modul-01]", True),  # any of the tags: 3 final + m1 questions tagged modul-01
    (2, "[modul-02]", False),
])
def test_draw_finds_enough_questions(module_quiz, count, tags, ok):
    bank = parse_quiz_file(BANK, "quizzes/bank-final.yml")
    text = f"slug: final\nkind: final\n\ndraw:\n  count: {count}\n  tags: {tags}\n"
    final = quiz(text, "quizzes/final.yml")
    problems = validate_course_quizzes([module_quiz, bank, final], {"ekosistem"})
    if ok:
        assert problems == []
    else:
        assert [(p.filename, p.line) for p in problems] == [("quizzes/final.yml", 4)]
        assert problems[0].message.startswith(f"draw needs {count} questions tagged")


def test_parse_quiz_files_collects_problems_from_every_file():
    sources = {
        "quizzes/a.yml": "slug: a\nkind: pretest\nquestions:\n" + tf("q1"),
        "quizzes/b.yml": "slug: b\nkind: posttest\nquestions:\n" + tf("q1"),
        "quizzes/c.yml": "slug: c\nkind: wrong\nquestions:\n" + tf("q9"),
        "quizzes/d.yml": "slug: d\nkind: module\nmodule: ghost\nquestions:\n" + tf("q10"),
    }
    files, problems = parse_quiz_files(sources, {"ekosistem"})
    assert [f.slug for f in files] == ["a", "b", "d"]
    assert [(p.filename, p.line) for p in problems] == [
        ("quizzes/c.yml", 2), ("quizzes/b.yml", 4), ("quizzes/d.yml", 3)]
