"""Shared quiz-file test data (no tests here): a module quiz, a bank, a draw quiz and problem helpers."""

from __future__ import annotations

import textwrap

import pytest

from quizzes.quizfile import Problem, QuizFileError, parse_quiz_file

MODULE_QUIZ = textwrap.dedent("""\
    slug: modul-01
    title: Kuis Modul 1
    kind: module
    module: ekosistem
    pass_mark: 70
    time_limit_minutes: 15
    attempts_allowed: 3
    grading: highest
    shuffle_questions: true
    shuffle_options: true
    layout: one
    review: {when: after_close, show: [score, correctness]}
    questions:
      - id: m1-ekosistem-1
        type: single
        tags: [modul-01, ekosistem]
        text: Lembaga yang menerbitkan sertifikat halal adalah ...
        options:
          - text: BPJPH
            correct: true
            feedback: Benar.
          - text: MUI
            feedback: MUI menetapkan fatwa.
          - text: yes
        explanation: BPJPH menerbitkan sertifikat.
        source: "UU 33/2014 Pasal 1 angka 10"
      - id: m1-ekosistem-2
        type: multiple
        tags: [modul-01]
        text: |
          Pilih **dua** syarat self declare.

          Perhatikan baik-baik.
        options:
          - {text: Produk tidak berisiko, correct: true}
          - {text: Bahan sudah halal, correct: true, weight: 0.5}
          - {text: "Omzet > 15 M: besar", key: z}
        explanation: Lihat PP 39/2021.
        source: PP 39/2021 Pasal 79
      - case:
          id: kasus-kerupuk
          title: Kerupuk ikan Bu Sari
          stem: |
            Bu Sari membuat kerupuk ikan.
          questions:
            - id: kasus-kerupuk-1
              type: truefalse
              tags: [kasus]
              text: Kerupuk ikan boleh self declare.
              answer: true
              explanation: Produk tidak berisiko.
              source: Keputusan Kepala BPJPH 150/2022
            - id: kasus-kerupuk-2
              type: numeric
              text: Berapa hari proses verifikasi?
              value: 1.50
              explanation: e
              source: s
      - id: m1-ekosistem-3
        type: short
        text: Singkatan lembaga pemeriksa halal?
        accepted: [LPH, 0014]
        explanation: LPH memeriksa produk.
        source: UU 33/2014
      - id: m1-ekosistem-4
        type: numeric
        text: Rentang?
        min: 1
        max: 5
        explanation: e
        source: s
    """)

BANK = textwrap.dedent("""\
    kind: bank
    questions:
      - id: final-1
        type: truefalse
        tags: [final, modul-01]
        text: Soal final satu.
        answer: false
        explanation: e
        source: s
      - id: final-2
        type: short
        tags: [final]
        text: "Soal: dua # bukan komentar"
        accepted: BPJPH
        explanation: "e: dengan titik dua"
        source: s
      - id: final-3
        type: single
        tags: [final, modul-02]
        text: "- dimulai dengan tanda hubung"
        options: [{text: "a", correct: true}, {text: "b"}]
        explanation: e
        source: s
    """)

DRAW_QUIZ = textwrap.dedent("""\
    slug: final
    title: Ujian Akhir
    kind: final
    pass_mark: 70.5
    grading: last
    draw:
      count: 3
      tags: [final]
    owner: tim-kurikulum
    """)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """Return the 1-based line of the n-th line containing ``needle``."""
    hits = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def problems_of(text: str, filename: str = "quizzes/t.yml") -> list[Problem]:
    """Parse text that must fail and return its problems."""
    with pytest.raises(QuizFileError) as info:
        parse_quiz_file(text, filename)
    return info.value.problems
