"""Course packages: one folder (or zip) per course; see docs/course-package.md.

Import validates everything first and refuses a malformed package whole, with file and line of each
problem. Other capabilities (quizzes) plug their own files in through `app.extensions["package_parts"]`:
objects with `validate(files, module_slugs) -> problems`, `load(course, files, user)` and `dump(course) -> files`.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import yaml
from flask import current_app

from accounts.models import User
from courses import services
from courses.models import Attachment, Course
from courses.uploads import UploadError, path_of, sniff, store
from extensions import db

MODULE_FILE_RE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
MAX_FILES = 2000
MAX_TOTAL_BYTES = 80 * 1024 * 1024
COURSE_KEYS = {"slug", "title", "summary", "language", "hours_jp", "jp_minutes", "valid_as_of", "sequential",
               "completion", "certificate"}
MODULE_KEYS = {"title", "reading_minutes", "checked_on", "summary_en"}


@dataclass
class Problem:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


class PackageError(Exception):
    """The package is refused whole; `problems` says where and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems[:5]))
        self.problems = problems


@dataclass
class ParsedModule:
    position: int
    slug: str
    meta: dict
    body: str
    file: str
    body_line: int = 1


@dataclass
class ParsedPackage:
    meta: dict
    intro: str
    modules: list[ParsedModule]
    assets: dict[str, bytes]
    extra_files: dict[str, str] = field(default_factory=dict)  # quizzes/*.yml and other text parts


def split_front_matter(text: str, filename: str, problems: list[Problem]) -> tuple[dict, str, int]:
    """(front matter, body, body's first line)."""
    text = text.lstrip("\ufeff")
    if not text.startswith("---"):
        problems.append(Problem(filename, 1, "front matter missing: the file must start with a '---' line"))
        return {}, text, 1
    lines = text.split("\n")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        problems.append(Problem(filename, 1, "front matter is not closed with a '---' line"))
        return {}, "", 1
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 2
        problems.append(Problem(filename, line, f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}"))
        return {}, "", 1
    if not isinstance(meta, dict):
        problems.append(Problem(filename, 2, "front matter must be a mapping of keys to values"))
        return {}, "", 1
    body = "\n".join(lines[end + 1:])
    stripped = body.lstrip("\n")
    return meta, stripped, end + 2 + (len(body) - len(stripped))


def _as_date(value, filename: str, key: str, problems: list[Problem]) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(Problem(filename, 1, f"{key}: expected a date YYYY-MM-DD, got {value!r}"))
        return None


def read_files(files: dict[str, bytes]) -> ParsedPackage:
    """Parse and check a package given as {relative path: bytes}; raises PackageError listing every problem."""
    problems: list[Problem] = []
    files = _strip_common_root(files)
    if "course.md" not in files:
        raise PackageError([Problem("course.md", None, "missing: every package needs course.md")])
    texts: dict[str, str] = {}
    for name, data in files.items():
        if name.startswith("assets/"):
            continue
        try:
            texts[name] = data.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(name, None, "not UTF-8 text"))
    meta, intro, _ = split_front_matter(texts.get("course.md", ""), "course.md", problems)
    for key in ("slug", "title"):
        if not meta.get(key):
            problems.append(Problem("course.md", 1, f"front matter needs '{key}'"))
    unknown = set(meta) - COURSE_KEYS
    if unknown:
        problems.append(Problem("course.md", 1, f"unknown front matter keys: {', '.join(sorted(unknown))}"))
    if meta.get("slug") and not services.SLUG_RE.match(str(meta["slug"])):
        problems.append(Problem("course.md", 1, "slug: use lowercase letters, digits and hyphens"))
    meta["valid_as_of"] = _as_date(meta.get("valid_as_of"), "course.md", "valid_as_of", problems)
    for key in ("hours_jp", "jp_minutes"):
        if key in meta and not isinstance(meta[key], int):
            problems.append(Problem("course.md", 1, f"{key}: expected a whole number"))

    modules: list[ParsedModule] = []
    positions: set[int] = set()
    for name in sorted(texts):
        if "/" in name or name == "course.md" or not name.endswith(".md"):
            continue
        match = MODULE_FILE_RE.match(name)
        if not match:
            problems.append(Problem(name, None, "module files are named NN-slug.md (e.g. 01-ekosistem.md)"))
            continue
        position = int(match.group(1))
        if position in positions:
            problems.append(Problem(name, None, f"two modules use number {position:02d}"))
        positions.add(position)
        module_meta, body, body_line = split_front_matter(texts[name], name, problems)
        if not module_meta.get("title"):
            problems.append(Problem(name, 1, "front matter needs 'title'"))
        unknown = set(module_meta) - MODULE_KEYS
        if unknown:
            problems.append(Problem(name, 1, f"unknown front matter keys: {', '.join(sorted(unknown))}"))
        module_meta["checked_on"] = _as_date(module_meta.get("checked_on"), name, "checked_on", problems)
        if "reading_minutes" in module_meta and not isinstance(module_meta["reading_minutes"], int):
            problems.append(Problem(name, 1, "reading_minutes: expected a whole number"))
        modules.append(ParsedModule(position, match.group(2), module_meta, body, name, body_line))
    if not modules:
        problems.append(Problem("course.md", None, "the package has no module files (NN-slug.md)"))

    assets: dict[str, bytes] = {}
    for name, data in files.items():
        if name.startswith("assets/"):
            asset = name.removeprefix("assets/")
            if "/" in asset or not re.fullmatch(r"[A-Za-z0-9._-]{1,120}", asset):
                problems.append(Problem(name, None, "asset names use letters, digits, dots, hyphens, underscores"))
                continue
            try:
                sniff(data)
            except UploadError:
                problems.append(Problem(name, None, "asset type not allowed (PDF, PNG, JPG or WebP)"))
                continue
            assets[asset] = data
    for module in modules:
        for ref in re.findall(r"assets/([A-Za-z0-9._-]+)", module.body):
            if ref not in assets:
                problems.append(Problem(module.file, module.body_line - 1 + _line_of(module.body, "assets/" + ref),
                                        f"links to assets/{ref}, which is not in the package"))

    extra = {name: text for name, text in texts.items() if name.startswith("quizzes/")}
    slugs = {m.slug for m in modules}
    for part in current_app.extensions.get("package_parts", []):
        problems.extend(Problem(*p) if isinstance(p, tuple) else p for p in part.validate(extra, slugs))
    if problems:
        raise PackageError(problems)
    return ParsedPackage(meta=meta, intro=intro, modules=sorted(modules, key=lambda m: m.position), assets=assets,
                         extra_files=extra)


def _line_of(text: str, needle: str) -> int | None:
    index = text.find(needle)
    return None if index < 0 else text.count("\n", 0, index) + 1


def _strip_common_root(files: dict[str, bytes]) -> dict[str, bytes]:
    """Accept a zip whose entries all sit inside one top folder."""
    if "course.md" in files:
        return files
    roots = {name.split("/", 1)[0] for name in files}
    if len(roots) == 1:
        root = roots.pop() + "/"
        return {name.removeprefix(root): data for name, data in files.items() if name != root}
    return files


def files_from_zip(data: bytes) -> dict[str, bytes]:
    """Read a zip in memory with limits on count and size; paths never touch the disk."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise PackageError([Problem("(zip)", None, "not a readable zip file")]) from exc
    infos = [i for i in archive.infolist() if not i.is_dir()]
    if len(infos) > MAX_FILES or sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
        raise PackageError([Problem("(zip)", None, "package too large")])
    files = {}
    for info in infos:
        name = info.filename.replace("\\", "/")
        if name.startswith("/") or ".." in name.split("/") or name.startswith("__MACOSX/"):
            continue
        try:
            files[name] = archive.read(info)
        except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error) as exc:
            # a forged size (CRC mismatch), an encrypted entry or an unknown compression method
            raise PackageError([Problem(name, None, "cannot be read: the zip is damaged, encrypted or uses an "
                                                    "unsupported compression")]) from exc
    return files


def files_from_folder(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)).replace("\\", "/"): p.read_bytes()
            for p in sorted(path.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def add_attachment(course: Course, name: str, stored: str, content_type: str, size: int,
                   user: User | None) -> Attachment:
    """Add or replace a course attachment by display name."""
    from sqlalchemy import select

    existing = db.session.scalar(select(Attachment).where(Attachment.course_id == course.id, Attachment.name == name))
    if existing is None:
        existing = Attachment(course_id=course.id, name=name)
        db.session.add(existing)
    existing.stored_name, existing.content_type, existing.size = stored, content_type, size
    existing.uploaded_by_id = user.id if user else None
    return existing


def install(parsed: ParsedPackage, user: User, change_note: str = "Diimpor dari paket kursus") -> Course:
    """Create the course (or update the draft of an existing one) and publish a version."""
    meta = parsed.meta
    fields = {k: meta.get(k) for k in COURSE_KEYS if k in meta}
    fields["intro_md"] = parsed.intro
    course = services.get_course_by_slug(meta["slug"])
    if course is None:
        course = services.create_course(user, **fields)
    else:
        # a package names its course by slug: only the course's authors (and admins) may overwrite it (AC-4)
        if user is not None and not services.can_edit(user, course):
            raise PackageError([Problem("course.md", 1, f"slug: a course '{course.slug}' already exists and "
                                                        "you are not one of its authors; choose another slug")])
        fields.pop("slug", None)
        services.update_course(course, **fields)
        services.add_author(course, user)
    for name, data in parsed.assets.items():
        stored, _, content_type, size = store(data, name)
        add_attachment(course, name, stored, content_type, size, user)
    existing = {m.slug: m for m in course.modules}
    wanted = set()
    for position, module in enumerate(parsed.modules, start=1):
        wanted.add(module.slug)
        current = existing.get(module.slug)
        saved = services.save_module(course, current, title=module.meta["title"], body_md=module.body, slug=module.slug,
                                     reading_minutes=module.meta.get("reading_minutes"),
                                     checked_on=module.meta.get("checked_on"),
                                     summary_en=module.meta.get("summary_en") or "")
        saved.archived = False
        saved.position = position
    for slug, module in existing.items():
        if slug not in wanted:
            module.archived = True
    db.session.flush()
    db.session.refresh(course)
    for part in current_app.extensions.get("package_parts", []):
        part.load(course, parsed.extra_files, user)
    services.publish(course, user, change_note)
    return course


def import_zip(data: bytes, user: User) -> Course:
    return install(read_files(files_from_zip(data)), user)


def import_path(path: Path, user: User) -> Course:
    """Import from a folder or a zip file path (CLI)."""
    if path.is_dir():
        return install(read_files(files_from_folder(path)), user)
    return import_zip(path.read_bytes(), user)


def _front_matter(meta: dict) -> str:
    clean = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in meta.items() if v not in (None, "")}
    return "---\n" + yaml.safe_dump(clean, allow_unicode=True, sort_keys=False, width=100) + "---\n"


def export_files(course: Course) -> dict[str, bytes]:
    """The course's current draft as package files."""
    from sqlalchemy import select

    meta = {"slug": course.slug, "title": course.title, "summary": course.summary, "language": course.language,
            "hours_jp": course.hours_jp, "jp_minutes": course.jp_minutes, "valid_as_of": course.valid_as_of,
            "sequential": course.sequential, "completion": course.completion, "certificate": course.certificate}
    files = {"course.md": (_front_matter(meta) + "\n" + course.intro_md).encode()}
    for position, module in enumerate([m for m in course.modules if not m.archived], start=1):
        module_meta = {"title": module.title, "reading_minutes": module.reading_minutes,
                       "checked_on": module.checked_on, "summary_en": module.summary_en}
        files[f"{position:02d}-{module.slug}.md"] = (_front_matter(module_meta) + "\n" + module.body_md).encode()
    for attachment in db.session.scalars(select(Attachment).where(Attachment.course_id == course.id)):
        files[f"assets/{attachment.name}"] = path_of(attachment.stored_name).read_bytes()
    for part in current_app.extensions.get("package_parts", []):
        for name, text in part.dump(course).items():
            files[name] = text.encode() if isinstance(text, str) else text
    return files


def export_zip(course: Course) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(export_files(course).items()):
            archive.writestr(f"{course.slug}/{name}", data)
    return buffer.getvalue()
