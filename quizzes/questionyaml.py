"""One question as an editable YAML snippet, read and written with the quiz-file rules (quizzes.quizfile)."""

from __future__ import annotations

import textwrap

from quizzes.quizfile import QuizFile, QuizFileError, dump_quiz_file, parse_quiz_file

_HEADER = "kind: bank\nquestions:\n  -\n"
_OFFSET = _HEADER.count("\n")

TEMPLATE = """id: soal-baru-1
type: single
tags: [modul-01]
text: Tulis pertanyaan di sini.
options:
  - text: Pilihan yang benar
    correct: true
    feedback: Umpan balik bila pilihan ini dipilih (opsional).
  - text: Pilihan lain
explanation: Satu kalimat mengapa kuncinya benar.
source: Peraturan atau dokumen rujukan, mis. PP 42/2024 Pasal 79.
"""


def question_to_yaml(data: dict) -> str:
    """The question's YAML as it would appear inside a quiz file, without the list dash."""
    clean = {k: v for k, v in data.items() if k != "case_id"}
    text = dump_quiz_file(QuizFile(filename="soal.yml", slug="soal", title="soal", kind="bank", questions=[clean]))
    lines = text.splitlines()
    start = lines.index("questions:") + 1
    return "\n".join(line[2:] for line in lines[start:]) + "\n"


def yaml_to_question(text: str) -> tuple[dict | None, list[tuple[int, str]]]:
    """Parse a snippet; returns (question, []) or (None, [(line, message), ...]) with lines of the snippet."""
    wrapped = _HEADER + textwrap.indent(text.replace("\r\n", "\n").replace("\t", "    "), "    ")
    try:
        parsed = parse_quiz_file(wrapped, "soal")
    except QuizFileError as exc:
        return None, [(max(1, p.line - _OFFSET), p.message) for p in exc.problems]
    if len(parsed.questions) != 1:
        return None, [(1, "write exactly one question (a case study is set in the fields below)")]
    question = dict(parsed.questions[0])
    question.pop("case_id", None)
    return question, []
