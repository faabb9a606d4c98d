"""Course authoring rules: courses, draft modules, publishing versions, diffs. Services never commit."""

from __future__ import annotations

import difflib
import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from accounts.domain import DomainError, register_messages
from accounts.models import User, utcnow
from accounts.roles import ADMIN, ORGANISER
from courses.models import Course, CourseAuthor, CourseVersion, Module, ModuleVersion
from courses.rendering import render_markdown
from extensions import db

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

register_messages({
    "slug_invalid": _l("Gunakan huruf kecil, angka dan tanda hubung saja (contoh: modul-ekosistem)."),
    "slug_taken": _l("Slug ini sudah dipakai."),
    "title_required": _l("Judul wajib diisi."),
    "nothing_to_publish": _l("Kursus belum punya modul untuk diterbitkan."),
    "not_author": _l("Anda bukan penulis kursus ini."),
    "version_unknown": _l("Versi tidak ditemukan."),
    "number_invalid": _l("Masukkan angka yang valid."),
})


class CourseError(DomainError):
    """A course rule was broken."""


def slugify(text: str) -> str:
    """A URL slug from a title (ASCII, hyphens)."""
    import unicodedata

    value = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    value = re.sub(r"[^a-zA-Z0-9]+", "-", value).strip("-").lower()
    return value[:80] or "kursus"


def can_edit(user: User, course: Course) -> bool:
    """Authors edit their courses; admins edit all."""
    return user.has_role(ADMIN) or course.is_author(user)


def can_view_drafts(user: User, course: Course) -> bool:
    return can_edit(user, course) or user.has_role(ORGANISER)


def authored_courses(user: User) -> list[Course]:
    stmt = select(Course).order_by(Course.title)
    if not user.has_role(ADMIN):
        stmt = stmt.join(CourseAuthor).where(CourseAuthor.user_id == user.id)
    return list(db.session.scalars(stmt))


def get_course_by_slug(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def _check_slug(slug: str, course_id: int | None = None, model=Course, scope=None) -> str:
    slug = (slug or "").strip().lower()
    if not SLUG_RE.match(slug) or len(slug) > 80:
        raise CourseError("slug_invalid", "slug")
    stmt = select(model.id).where(model.slug == slug)
    if scope is not None:
        stmt = stmt.where(scope)
    existing = db.session.scalar(stmt)
    if existing is not None and existing != course_id:
        raise CourseError("slug_taken", "slug")
    return slug


def create_course(author: User, *, title: str, slug: str | None = None, summary: str = "", language: str = "id",
                  hours_jp: int = 0, jp_minutes: int = 45, valid_as_of: date | None = None, intro_md: str = "",
                  sequential: bool = False, completion: dict | None = None, certificate: dict | None = None) -> Course:
    """A new course with its author."""
    if not (title or "").strip():
        raise CourseError("title_required", "title")
    slug = _check_slug(slug or slugify(title))
    course = Course(slug=slug, title=title.strip(), summary=summary or "", language=language, hours_jp=hours_jp,
                    jp_minutes=jp_minutes, valid_as_of=valid_as_of, intro_md=intro_md or "",
                    intro_html=render_markdown(intro_md or ""), sequential=sequential, completion=completion,
                    certificate=certificate)
    course.author_rows = [CourseAuthor(user_id=author.id)]
    db.session.add(course)
    db.session.flush()
    return course


def update_course(course: Course, **fields) -> Course:
    """Edit course details (the draft; learners see them at the next publish)."""
    if "title" in fields and not (fields["title"] or "").strip():
        raise CourseError("title_required", "title")
    if "slug" in fields:
        fields["slug"] = _check_slug(fields["slug"], course.id)
    for key, value in fields.items():
        setattr(course, key, value)
    if "intro_md" in fields:
        course.intro_html = render_markdown(course.intro_md)
    course.updated_at = utcnow()
    return course


def add_author(course: Course, user: User) -> None:
    if not course.is_author(user):
        course.author_rows.append(CourseAuthor(user_id=user.id))


def asset_resolver(course: Course):
    """Maps assets/NAME in Markdown to the course's attachment URL."""
    from flask import url_for

    def resolve(name: str) -> str | None:
        try:
            return url_for("learn.attachment", slug=course.slug, name=name)
        except RuntimeError:
            return f"/courses/{course.slug}/files/{name}"

    return resolve


def save_module(course: Course, module: Module | None, *, title: str, body_md: str, slug: str | None = None,
                reading_minutes: int | None = None, checked_on: date | None = None, summary_en: str = "",
                must_reread: bool = False) -> Module:
    """Create or update a draft module; renders and sanitises the Markdown once, here."""
    if not (title or "").strip():
        raise CourseError("title_required", "title")
    from courses.rendering import reading_minutes as estimate

    slug = _check_slug(slug or slugify(title), module.id if module else None, Module, Module.course_id == course.id)
    if module is None:
        position = (db.session.scalar(select(func.max(Module.position)).where(Module.course_id == course.id)) or 0) + 1
        module = Module(course=course, position=position)
        db.session.add(module)
    module.slug = slug
    module.title = title.strip()
    module.body_md = body_md or ""
    module.body_html = render_markdown(module.body_md, asset_resolver(course))
    module.reading_minutes = reading_minutes or estimate(module.body_md)
    module.checked_on = checked_on
    module.summary_en = summary_en or ""
    module.must_reread = bool(must_reread)
    module.updated_at = utcnow()
    course.updated_at = utcnow()
    db.session.flush()
    return module


def preview_html(course: Course, body_md: str) -> str:
    """The same rendering a save would store, for the editor preview."""
    return render_markdown(body_md or "", asset_resolver(course))


def move_module(course: Course, module: Module, direction: int) -> None:
    """Swap a module with its neighbour (direction -1 up, +1 down)."""
    modules = [m for m in course.modules if not m.archived]
    index = modules.index(module)
    other = index + direction
    if 0 <= other < len(modules):
        modules[index], modules[other] = modules[other], modules[index]
        for position, m in enumerate(modules, start=1):
            m.position = position


def archive_module(course: Course, module: Module) -> None:
    """Drafts are removed from the next version; published versions keep their copy."""
    module.archived = True
    course.updated_at = utcnow()


def publish(course: Course, by: User, change_note: str) -> CourseVersion:
    """Freeze the current draft into the next numbered, immutable version."""
    modules = [m for m in course.modules if not m.archived]
    if not modules:
        raise CourseError("nothing_to_publish")
    previous = course.latest_version
    number = (previous.number if previous else 0) + 1
    prior = {mv.module_id: mv for mv in previous.modules} if previous else {}
    version = CourseVersion(
        course=course, number=number, change_note=(change_note or "").strip(), title=course.title,
        summary=course.summary, intro_html=course.intro_html, hours_jp=course.hours_jp, jp_minutes=course.jp_minutes,
        valid_as_of=course.valid_as_of, published_by_id=by.id if by else None,
    )
    for position, module in enumerate(modules, start=1):
        before = prior.get(module.id)
        valid_from = number if (before is None or module.must_reread) else before.valid_from_version
        version.modules.append(ModuleVersion(
            module_id=module.id, slug=module.slug, position=position, title=module.title, body_md=module.body_md,
            body_html=module.body_html, reading_minutes=module.reading_minutes, checked_on=module.checked_on,
            summary_en=module.summary_en, valid_from_version=valid_from,
        ))
        module.must_reread = False
    db.session.add(version)
    db.session.flush()
    from courses.models import Cohort

    for cohort in db.session.scalars(select(Cohort).where(Cohort.course_id == course.id, Cohort.follow_latest)):
        cohort.course_version_id = version.id
    return version


def get_version(course: Course, number: int) -> CourseVersion:
    version = db.session.scalar(
        select(CourseVersion).where(CourseVersion.course_id == course.id, CourseVersion.number == number)
    )
    if version is None:
        raise CourseError("version_unknown")
    return version


def diff_versions(old: CourseVersion, new: CourseVersion) -> list[dict]:
    """A readable per-module diff: added, removed, renamed and changed lines of the Markdown."""
    before = {m.module_id: m for m in old.modules}
    after = {m.module_id: m for m in new.modules}
    changes: list[dict] = []
    for module_id in list(dict.fromkeys([*before, *after])):
        a, b = before.get(module_id), after.get(module_id)
        if a is None:
            changes.append({"status": "added", "title": b.title, "lines": []})
            continue
        if b is None:
            changes.append({"status": "removed", "title": a.title, "lines": []})
            continue
        lines = list(difflib.unified_diff(a.body_md.splitlines(), b.body_md.splitlines(), lineterm="", n=1))[2:]
        if lines or a.title != b.title:
            changes.append({
                "status": "changed", "title": b.title, "old_title": a.title if a.title != b.title else None,
                "lines": [{"kind": _line_kind(line), "text": line[1:] if line[:1] in "+- " else line}
                          for line in lines],
                "must_reread": b.valid_from_version == new.number,
            })
    return changes


def _line_kind(line: str) -> str:
    if line.startswith("@@"):
        return "hunk"
    return {"+": "add", "-": "del"}.get(line[:1], "same")


