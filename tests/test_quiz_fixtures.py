"""Shared quiz test data: a course with a module quiz of every question type, and answer helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from extensions import db
from quizzes import attempts, services
from quizzes.models import AttemptAnswer
from quizzes.quizfile import parse_quiz_file
from tests.factories import enrol, make_cohort, make_course

SECRETS = ("RAHASIA-UMPAN", "RAHASIA-PENJELASAN", "RAHASIA-KUNCI")

QUIZ_YAML = """\
slug: kuis-1
title: Kuis Modul 1
kind: module
module: modul-1
pass_mark: 60
time_limit_minutes: 10
attempts_allowed: 2
grading: highest
shuffle_questions: true
shuffle_options: true
review: {when: immediately, show: [score, correctness, answers, feedback]}
questions:
  - id: q-single
    type: single
    tags: [modul-1, lembaga]
    text: Lembaga mana yang menerbitkan sertifikat halal?
    options:
      - text: MUI
        feedback: RAHASIA-UMPAN-MUI menetapkan fatwa.
      - text: BPJPH
        correct: true
        feedback: RAHASIA-UMPAN-BPJPH benar.
      - text: BPOM
      - text: Dinas Kesehatan
    explanation: RAHASIA-PENJELASAN-1 BPJPH menerbitkan sertifikat.
    source: UU 33/2014
  - id: q-multi
    type: multiple
    tags: [modul-1]
    text: Pilih syarat produk self declare.
    options:
      - text: Produk tidak berisiko
        correct: true
      - text: Bahan sudah pasti halal
        correct: true
      - text: Omzet di atas Rp15 miliar
    explanation: RAHASIA-PENJELASAN-2 kriteria UMK.
    source: PP 42/2024
  - id: q-tf
    type: truefalse
    tags: [modul-1]
    text: Produk self declare diaudit LPH.
    answer: false
    explanation: RAHASIA-PENJELASAN-3 audit LPH adalah jalur reguler.
    source: Kepkaban 146/2025
  - id: q-short
    type: short
    tags: [modul-1]
    text: Tulis singkatan lembaga yang melatih Pendamping PPH.
    accepted: [RAHASIA-KUNCI-LP3H, Lembaga Pendamping]
    explanation: RAHASIA-PENJELASAN-4 LP3H.
    source: Kepkaban 146/2025
  - id: q-num
    type: numeric
    tags: [modul-1]
    text: Paling lama berapa hari kerja Komite Fatwa menetapkan kehalalan?
    value: 1
    tolerance: 0
    explanation: RAHASIA-PENJELASAN-5 satu hari kerja.
    source: UU 6/2023
"""

# The answers a consultant gives, as the browser sends them, are computed from the attempt's display order.
RIGHT = {"q-tf": "false", "q-short": "lembaga  PENDAMPING", "q-num": "1"}


@dataclass
class QuizSetup:
    course: object
    quiz: object
    cohort: object
    enrolment: object


def make_quiz_course(trainer, text: str = QUIZ_YAML, modules: int = 2, **settings):
    """A published course whose quizzes come from quiz-file text; settings override the quiz's columns."""
    course = make_course(trainer, modules=modules)
    texts = text if isinstance(text, list) else [text]
    files = [parse_quiz_file(t, f"quizzes/file-{i}.yml") for i, t in enumerate(texts)]
    services.import_quiz_files(course, files, trainer)
    quiz = services.course_quizzes(course)[0]
    for key, value in settings.items():
        setattr(quiz, key, value)
    db.session.commit()
    return course, quiz


def setup_for(trainer, consultant, text: str = QUIZ_YAML, **settings) -> QuizSetup:
    course, quiz = make_quiz_course(trainer, text, **settings)
    cohort = make_cohort(course)
    enrolment = enrol(consultant, cohort)
    return QuizSetup(course, quiz, cohort, enrolment)


def display_answer(attempt, uid: str, right: bool | str = True):
    """What the browser sends for a right, wrong or ("partial") half-right answer to a question of this attempt.

    Question ids may carry another prefix than ``q-`` (a copy of the quiz); the suffix names the question.
    """
    data = attempts.question_versions(attempt)[uid].data
    order = attempt.plan["options"].get(uid) or []
    if data["type"] == "single":
        return next(p for p, i in enumerate(order) if bool(data["options"][i].get("correct")) == bool(right))
    if data["type"] == "multiple":
        correct = [p for p, i in enumerate(order) if data["options"][i].get("correct")]
        if right == "partial":
            return correct[:1]
        return correct if right else [p for p in range(len(order)) if p not in correct]
    base = "q-" + uid.split("-", 1)[1]
    if right:
        return RIGHT[base]
    return {"q-tf": "true", "q-short": "MUI", "q-num": "7"}[base]


def attempt_id_from(location: str) -> int:
    return int(re.search(r"/attempt/(\d+)", location).group(1))


def quiz_url(setup: QuizSetup, tail: str = "") -> str:
    return f"/learn/{setup.cohort.id}/quiz/{setup.quiz.slug}{tail}"


def start_via_client(client, setup: QuizSetup) -> int:
    response = client.post(quiz_url(setup, "/start"))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return attempt_id_from(response.headers["Location"])


def save_json(client, setup: QuizSetup, attempt_id: int, payload, **kwargs):
    return client.post(quiz_url(setup, f"/attempt/{attempt_id}/save"), json=payload, **kwargs)


def stored_answers(attempt) -> dict:
    """The answers saved for an attempt, by question uid, as the database holds them."""
    return {row.question_uid: row.answer for row in db.session.scalars(
        select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id))}


def answer_all(attempt, now=None, right=True):
    """Save a right (or wrong) answer to every question of the attempt, in plan order."""
    for seq, uid in enumerate(attempt.plan["questions"], start=1):
        attempts.save_answer(attempt, uid, display_answer(attempt, uid, right), seq, now=now)
