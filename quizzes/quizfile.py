"""Parse, validate and write the quiz YAML files of a course package (facade; see docs/course-package.md).

``parse_quiz_file`` reports *every* problem of a file at once, each as ``(filename, line, message)``
pointing at the line of the offending question (or setting), so an author fixes a package in one pass.
Scalars that must be text (ids, texts, options, accepted answers, tags) are taken from the YAML source
as written, so ``text: 1.50`` stays ``"1.50"`` and ``text: yes`` stays ``"yes"``.

Normalisation done while parsing (a dump writes it back, so ``parse(dump(parse(x))) == parse(x)``):
every question gets ``tags`` (default ``[]``) and ``case_id`` (``None`` outside a case study); every
option gets ``correct`` (default false) and a ``key`` ('a', 'b', ... unless given); ``multiple``
questions get ``scoring`` (default ``partial``); numeric questions with a ``value`` get ``tolerance``
(default 0); a lone ``accepted`` string becomes a one-item list.
"""

from __future__ import annotations

from quizzes.quizfile_dump import dump_quiz_file
from quizzes.quizfile_model import (
    KINDS,
    LAYOUTS,
    REQUIRED_QUESTION_FIELDS,
    REVIEW_SHOW,
    REVIEW_WHEN,
    Problem,
    QuizFile,
    QuizFileError,
    Say,  # noqa: F401  (callback types kept importable from here too)
    SayAt,  # noqa: F401
)
from quizzes.quizfile_parse import TakeQuestion, parse_quiz_file, parse_quiz_files  # noqa: F401
from quizzes.quizfile_validate import course_bank, validate_course_quizzes

__all__ = [
    "KINDS",
    "LAYOUTS",
    "REQUIRED_QUESTION_FIELDS",
    "REVIEW_SHOW",
    "REVIEW_WHEN",
    "Problem",
    "QuizFile",
    "QuizFileError",
    "course_bank",
    "dump_quiz_file",
    "parse_quiz_file",
    "parse_quiz_files",
    "validate_course_quizzes",
]
