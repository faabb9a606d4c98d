"""Question bank (versioned), quizzes with per-cohort windows and per-person overrides, attempts and answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User, utcnow
from courses.models import Enrolment
from extensions import UTCDateTime, db

KINDS = ("module", "pretest", "posttest", "final")
OPEN, SUBMITTED, TIMED_OUT = "open", "submitted", "timeout"


class Question(db.Model):
    """A bank entry of a course: its stable id, tags and the number of its current version."""

    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("course_id", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(80))  # the `id` of the quiz file, stable across versions
    type: Mapped[str] = mapped_column(String(12))
    tags: Mapped[list] = mapped_column(JSON, default=list)
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="SET NULL"), index=True)
    case_uid: Mapped[str | None] = mapped_column(String(80))
    source_file: Mapped[str | None] = mapped_column(String(160))  # package file or "gift" it came from
    version_number: Mapped[int] = mapped_column(Integer, default=1)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current(self) -> QuestionVersion:
        return next(v for v in reversed(self.versions) if v.number == self.version_number)


class QuestionVersion(db.Model):
    """The wording and key of a question as it was at one time; attempts point here, so review stays stable."""

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict] = mapped_column(JSON)  # the neutral question dict (quizzes.grading)
    case_data: Mapped[dict | None] = mapped_column(JSON)  # {id, title, stem} of its case study
    html: Mapped[dict] = mapped_column(JSON)  # sanitised HTML rendered once: text, stem, options, feedback
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    question: Mapped[Question] = relationship(back_populates="versions")


class QuestionCase(db.Model):
    """A case study's editable stem; each question version keeps its own copy."""

    __tablename__ = "question_cases"
    __table_args__ = (UniqueConstraint("course_id", "uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    uid: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200), default="")
    stem_md: Mapped[str] = mapped_column(Text, default="")


class Quiz(db.Model):
    """A module quiz, pre-test, post-test or final test of a course (not of a version)."""

    __tablename__ = "quizzes"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10), default="module")
    module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="SET NULL"), index=True)
    pass_mark: Mapped[float | None] = mapped_column(Float)
    time_limit_minutes: Mapped[int] = mapped_column(Integer, default=0)
    attempts_allowed: Mapped[int] = mapped_column(Integer, default=0)  # 0 = unlimited
    grading: Mapped[str] = mapped_column(String(10), default="highest")
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=False)
    layout: Mapped[str] = mapped_column(String(5), default="all")  # all | one
    review_when: Mapped[str] = mapped_column(String(12), default="immediately")
    review_show: Mapped[list] = mapped_column(JSON, default=list)
    draw_count: Mapped[int | None] = mapped_column(Integer)
    draw_tags: Mapped[list | None] = mapped_column(JSON)
    extra: Mapped[dict | None] = mapped_column(JSON)  # unknown keys of the quiz file, kept for export
    source_file: Mapped[str | None] = mapped_column(String(160))
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    items: Mapped[list[QuizItem]] = relationship(
        back_populates="quiz", order_by="QuizItem.position", cascade="all, delete-orphan"
    )

    @property
    def draws(self) -> bool:
        return bool(self.draw_count)


class QuizItem(db.Model):
    """A fixed question of a quiz, in order."""

    __tablename__ = "quiz_items"
    __table_args__ = (UniqueConstraint("quiz_id", "question_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    quiz: Mapped[Quiz] = relationship(back_populates="items")
    question: Mapped[Question] = relationship()


class QuizWindow(db.Model):
    """When a cohort may take a quiz."""

    __tablename__ = "quiz_windows"
    __table_args__ = (UniqueConstraint("quiz_id", "cohort_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class QuizOverride(db.Model):
    """Extra time, extra attempts or a later close for one person."""

    __tablename__ = "quiz_overrides"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    extra_minutes: Mapped[int] = mapped_column(Integer, default=0)
    extra_attempts: Mapped[int] = mapped_column(Integer, default=0)
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class Attempt(db.Model):
    """One sitting: the drawn question versions and their order are frozen at start, graded once at the end."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (Index("ix_quiz_attempts_quiz_user", "quiz_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(10), default=OPEN)  # open | submitted | timeout
    # f"{user_id}:{quiz_id}" while open, NULL once closed: the unique constraint allows one open attempt
    open_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    plan: Mapped[dict] = mapped_column(JSON)  # quizzes.grading.shuffle_plan: order of questions and options
    version_ids: Mapped[dict] = mapped_column(JSON)  # question uid -> QuestionVersion.id
    earned: Mapped[float | None] = mapped_column(Float)
    possible: Mapped[float | None] = mapped_column(Float)
    percent: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    results: Mapped[dict | None] = mapped_column(JSON)  # uid -> {fraction, correct, chosen, invalid}

    quiz: Mapped[Quiz] = relationship()
    enrolment: Mapped[Enrolment] = relationship()
    user: Mapped[User] = relationship()

    @property
    def is_open(self) -> bool:
        return self.state == OPEN


class AttemptAnswer(db.Model):
    """The latest saved answer to one question of an attempt; `seq` orders saves from the browser."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_uid"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    question_uid: Mapped[str] = mapped_column(String(80))
    answer: Mapped[object | None] = mapped_column(JSON)  # canonical: option key(s), bool or the text typed
    seq: Mapped[int] = mapped_column(Integer, default=0)
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
