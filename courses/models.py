"""Courses with draft modules and immutable published versions; cohorts, enrolments and progress."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User, utcnow
from extensions import UTCDateTime, db


class Course(db.Model):
    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(5), default="id")
    hours_jp: Mapped[int] = mapped_column(Integer, default=0)
    jp_minutes: Mapped[int] = mapped_column(Integer, default=45)
    valid_as_of: Mapped[date | None] = mapped_column(Date)
    sequential: Mapped[bool] = mapped_column(Boolean, default=False)
    intro_md: Mapped[str] = mapped_column(Text, default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")
    completion: Mapped[dict | None] = mapped_column(JSON)  # certificate rule, see docs/course-package.md
    certificate: Mapped[dict | None] = mapped_column(JSON)  # certificate wording overrides
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )
    versions: Mapped[list[CourseVersion]] = relationship(
        back_populates="course", order_by="CourseVersion.number", cascade="all, delete-orphan"
    )
    author_rows: Mapped[list[CourseAuthor]] = relationship(cascade="all, delete-orphan")

    @property
    def latest_version(self) -> CourseVersion | None:
        return self.versions[-1] if self.versions else None

    def is_author(self, user: User) -> bool:
        return any(a.user_id == user.id for a in self.author_rows)


class CourseAuthor(db.Model):
    __tablename__ = "course_authors"

    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    user: Mapped[User] = relationship()


class Module(db.Model):
    """The editable draft of a module; learners never see it until a version is published."""

    __tablename__ = "modules"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    reading_minutes: Mapped[int] = mapped_column(Integer, default=10)
    checked_on: Mapped[date | None] = mapped_column(Date)
    summary_en: Mapped[str] = mapped_column(Text, default="")
    must_reread: Mapped[bool] = mapped_column(Boolean, default=False)  # for the next publish
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course] = relationship(back_populates="modules")


class CourseVersion(db.Model):
    """A numbered, immutable published state of a course."""

    __tablename__ = "course_versions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    change_note: Mapped[str] = mapped_column(Text, default="")
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    intro_html: Mapped[str] = mapped_column(Text, default="")
    hours_jp: Mapped[int] = mapped_column(Integer, default=0)
    jp_minutes: Mapped[int] = mapped_column(Integer, default=45)
    valid_as_of: Mapped[date | None] = mapped_column(Date)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    course: Mapped[Course] = relationship(back_populates="versions")
    modules: Mapped[list[ModuleVersion]] = relationship(
        back_populates="course_version", order_by="ModuleVersion.position", cascade="all, delete-orphan"
    )


class ModuleVersion(db.Model):
    """A module as published in one course version."""

    __tablename__ = "module_versions"
    __table_args__ = (UniqueConstraint("course_version_id", "module_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body_md: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    reading_minutes: Mapped[int] = mapped_column(Integer)
    checked_on: Mapped[date | None] = mapped_column(Date)
    summary_en: Mapped[str] = mapped_column(Text, default="")
    # progress made at or after this version number counts; a "must re-read" publish moves it forward
    valid_from_version: Mapped[int] = mapped_column(Integer)

    course_version: Mapped[CourseVersion] = relationship(back_populates="modules")


class Attachment(db.Model):
    """A file a module links to; stored under a generated name outside static/."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))  # the safe display name, e.g. pp-42-2024.pdf
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("course_id", "name"),)


class Cohort(db.Model):
    """An angkatan: one course between dates in a named time zone."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    course_version_id: Mapped[int] = mapped_column(ForeignKey("course_versions.id"), index=True)
    follow_latest: Mapped[bool] = mapped_column(Boolean, default=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(40), default="Asia/Jakarta")
    capacity: Mapped[int | None] = mapped_column(Integer)
    enrol_mode: Mapped[str] = mapped_column(String(12), default="code")  # code | organiser
    enrol_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    completion_override: Mapped[dict | None] = mapped_column(JSON)
    certificate_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course] = relationship()
    course_version: Mapped[CourseVersion] = relationship()


class Enrolment(db.Model):
    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("cohort_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(String(12), default="code")  # code | import | organiser
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | withdrawn
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_module_id: Mapped[int | None] = mapped_column(ForeignKey("modules.id", ondelete="SET NULL"))

    cohort: Mapped[Cohort] = relationship()
    user: Mapped[User] = relationship()


class ModuleProgress(db.Model):
    __tablename__ = "module_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "module_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version_number: Mapped[int] = mapped_column(Integer)
    via: Mapped[str] = mapped_column(String(10), default="manual")  # manual | quiz | import
