"""Shared data of the security suite (no tests here): a world of real objects, role logins, hostile files
and the XSS payload corpus.

`build_world()` makes two courses by two trainers, cohorts, consultants A and B in the same cohort (with
finished quiz attempts, excuses with letters, certificates), consultant C in another cohort, an organiser,
an admin and one API token per person. The ids it returns fill the URL of every route in the role matrix.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import sqlite3
import zipfile
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import yaml
from flask import Flask
from sqlalchemy import select

from extensions import db
from tests.conftest import USING_POSTGRES, _empty_tables, _prepare_schema, build_app
from tests.factories import PASSWORD, enrol, make_cohort, make_course, make_user
from tests.test_sanitiser import PAYLOADS as SANITISER_PAYLOADS

# ---------------------------------------------------------------------------------------------------------
# Roles of the matrix

ANON = "anonymous"
ROLES = ("anonymous", "consultant_a", "consultant_b", "consultant_c", "trainer_a", "trainer_b", "organiser",
         "admin")
SIGNED_IN = frozenset(ROLES[1:])
ROLE_OF = {"consultant_a": "consultant", "consultant_b": "consultant", "consultant_c": "consultant",
           "trainer_a": "trainer", "trainer_b": "trainer", "organiser": "organiser", "admin": "admin"}
EMAIL_OF = {key: f"{key.replace('_', '.')}@matrix.example.id" for key in ROLE_OF}

# ---------------------------------------------------------------------------------------------------------
# Files

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
HTML_AS_PDF = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
EXE_AS_PDF = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
              + b"This program cannot be run")
POLYGLOT_PDF = b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>\n%%EOF\n"
POLYGLOT_PDF_UPPER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n<SCRIPT SRC=//evil.example/x.js></SCRIPT>\n%%EOF\n"
SVG_SCRIPT = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
              b"<script>alert(document.domain)</script></svg>")
HTML_IN_PNG = b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"

# (label, bytes, filename): every one of them must be refused wherever a document or image is uploaded
HOSTILE_DOCUMENTS = (
    ("html renamed .pdf", HTML_AS_PDF, "surat.pdf"),
    ("exe renamed .pdf", EXE_AS_PDF, "surat.pdf"),
    ("pdf header + html script", POLYGLOT_PDF, "surat.pdf"),
    ("pdf header + upper-case script", POLYGLOT_PDF_UPPER, "surat.pdf"),
    ("svg with script", SVG_SCRIPT, "gambar.svg"),
    ("svg renamed .png", SVG_SCRIPT, "gambar.png"),
)
# hostile names paired with a valid PDF: the stored name is generated, the display name is cleaned
HOSTILE_NAMES = (
    "../../etc/passwd",
    "..\\..\\x.pdf",
    "/etc/passwd",
    "C:\\Windows\\win.ini",
    "surat\x00.pdf.html",
    "../../../instance/secret_key",
    "<script>alert(1)</script>.pdf",
    "....//....//x.pdf",
    "%2e%2e%2f%2e%2e%2fx.pdf",
)


def multipart(fields: dict) -> dict:
    """Keyword arguments for client.post with a multipart body built in memory.

    `fields` maps names to strings or (bytes, filename). The test client would spool bodies over 500 kB to a
    temporary file it never closes (a ResourceWarning, an error under filterwarnings=error).
    """
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    values = {name: FileStorage(io.BytesIO(value[0]), value[1]) if isinstance(value, tuple) else value
              for name, value in fields.items()}
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def zip_bytes(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            archive.writestr(info, data)
    return buffer.getvalue()


COURSE_MD = b"---\nslug: paket-uji\ntitle: Paket Uji\n---\n\nPengantar.\n"
MODULE_MD = b"---\ntitle: Modul Satu\n---\n\nIsi modul.\n"


def package_with(extra: dict[str, bytes]) -> bytes:
    """A valid course package plus hostile entries."""
    return zip_bytes({"course.md": COURSE_MD, "01-modul-satu.md": MODULE_MD, **extra})


def zip_bomb(total_mb: int = 200) -> bytes:
    """A small zip (a few hundred kB) whose single entry expands to `total_mb` MB of zeros."""
    buffer = io.BytesIO()
    chunk = b"\x00" * (1024 * 1024)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        info = zipfile.ZipInfo("course.md")
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as handle:
            for _ in range(total_mb):
                handle.write(chunk)
    return buffer.getvalue()


def lying_zip(real_size: int = 4 * 1024 * 1024) -> bytes:
    """A zip whose central directory claims a tiny uncompressed size for a large entry (header forgery)."""
    data = zip_bytes({"course.md": COURSE_MD + b"\x00" * real_size, "01-modul-satu.md": MODULE_MD})
    archive = bytearray(data)
    # patch the declared size of course.md in the central directory entry (signature PK\x01\x02)
    cd = archive.find(b"PK\x01\x02")
    archive[cd + 24:cd + 28] = (100).to_bytes(4, "little")
    local = archive.find(b"PK\x03\x04")
    archive[local + 22:local + 26] = (100).to_bytes(4, "little")
    return bytes(archive)


# ---------------------------------------------------------------------------------------------------------
# XSS payloads: the sanitiser corpus plus payloads aimed at attributes, text nodes and URLs.
# Each one, if it ran, would call alert()/confirm()/prompt() or set window.__xss.

EXTRA_PAYLOADS = [
    '"><script>window.__xss=1</script>',
    "'><img src=x onerror=window.__xss=1>",
    '" autofocus onfocus="window.__xss=1',
    "' onmouseover='window.__xss=1",
    "</title><script>window.__xss=1</script>",
    "</textarea><script>window.__xss=1</script>",
    "</script><script>window.__xss=1</script>",
    "<svg/onload=window.__xss=1>",
    "<img src=1 onerror=confirm(1)>",
    "<img src=1 onerror=prompt(1)>",
    "javascript:window.__xss=1",
    "<iframe src=\"javascript:window.__xss=1\"></iframe>",
    "<a href=\"javascript&colon;window.__xss=1\">klik</a>",
    "{{7*7}}<script>window.__xss=1</script>",
    "${alert(1)}<img src=x onerror=window.__xss=1>",
    "<style>@import 'javascript:alert(1)';</style>",
    "<object data=\"data:text/html,<script>alert(1)</script>\"></object>",
    "<isindex type=image src=1 onerror=alert(1)>",
    "<keygen autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
]
PAYLOADS = list(SANITISER_PAYLOADS) + EXTRA_PAYLOADS


def short_payloads(limit: int = 120) -> list[str]:
    """Payloads that fit a 120-character field, one line each."""
    return [p.replace("\n", " ")[:limit] for p in PAYLOADS]


# ---------------------------------------------------------------------------------------------------------
# The world


QUIZ = {
    "slug": "kuis-a",
    "title": "Kuis Modul 1",
    "kind": "module",
    "module": "modul-1",
    "pass_mark": 50,
    "attempts_allowed": 0,
    "review": {"when": "immediately", "show": ["score", "correctness", "answers", "feedback"]},
    "questions": [
        {"id": "q-pilih", "type": "single", "text": "Lembaga penerbit sertifikat halal?",
         "options": [{"text": "BPJPH", "correct": True}, {"text": "BPOM"}],
         "explanation": "BPJPH menerbitkan sertifikat.", "source": "UU 33/2014"},
        {"id": "q-isian", "type": "short", "text": "Singkatan lembaga pendamping?", "accepted": ["LP3H"],
         "explanation": "LP3H melatih pendamping.", "source": "Kepkaban 146/2025"},
    ],
}


@dataclass
class World:
    """Ids of everything the matrix needs; `tokens` are plain API tokens per role."""

    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)
    course_a: str = "kursus-a"
    course_b: str = "kursus-b"
    module_a: int = 0
    module_slug: str = "modul-1"
    cohort_a: int = 0
    cohort_b: int = 0
    quiz_slug: str = "kuis-a"
    question_a: int = 0
    override_a: int = 0
    attempt_a: int = 0
    attempt_b: int = 0
    session_a: int = 0
    session_a2: int = 0  # a second session of cohort A without excuses
    excuse_a: int = 0
    excuse_b: int = 0
    enrolment_a: int = 0
    enrolment_b: int = 0
    cert_a: int = 0
    cert_b: int = 0
    cert_a_code: str = ""
    feed_a: str = ""
    attachment: str = "label.png"


def add_quiz(course, author, spec: dict | None = None):
    """Load a quiz (a dict in the quiz-file format) into a course through the quiz-file importer."""
    from quizzes import services
    from quizzes.quizfile import parse_quiz_file

    spec = spec or QUIZ
    text = yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
    services.import_quiz_files(course, [parse_quiz_file(text, f"quizzes/{spec['slug']}.yml")], author)
    db.session.commit()
    return services.get_quiz(course, spec["slug"])


def finished_attempt(enrolment, quiz, short_answer: str = "LP3H"):
    """Start, answer (the short question gets `short_answer`) and submit an attempt."""
    from quizzes import attempts

    attempt, _ = attempts.start_attempt(enrolment, quiz)
    versions = attempts.question_versions(attempt)
    for seq, uid in enumerate(attempt.plan["questions"], start=1):
        kind = versions[uid].data["type"]
        answer = 0 if kind in ("single", "truefalse") else short_answer
        if kind == "multiple":
            answer = [0]
        if kind == "numeric":
            answer = "1"
        attempts.save_answer(attempt, uid, answer, seq)
    attempts.submit_attempt(attempt)
    db.session.commit()
    return attempt


def make_live_session(cohort, actor, title: str = "Sesi Bimtek", day: date | None = None):
    from attendance import services

    fields = services.SessionFields(title=title, day=day or cohort.starts_on, start=time(9, 0), end=time(11, 0),
                                    timezone="Asia/Jakarta", meeting_url="https://zoom.example/j/123456789",
                                    meeting_id="123456789")
    created = services.create_sessions(cohort, fields, actor)
    db.session.commit()
    return created[0]


def finish_all_modules(enrolment) -> None:
    from courses import progress

    for module in progress.version_modules(enrolment.cohort.course_version_id):
        progress.complete_module(enrolment, module)
    db.session.commit()


def build_world() -> World:
    """Create every object of the matrix; call inside an app context on an empty database."""
    from accounts import tokens
    from attendance import calendars, excuses
    from certificates import issuing
    from courses import packages
    from courses.uploads import store
    from quizzes import windows

    world = World()
    users = {key: make_user(EMAIL_OF[key], roles=(role,), full_name=key.replace("_", " ").title())
             for key, role in ROLE_OF.items()}
    world.users = {key: user.id for key, user in users.items()}

    course_a = make_course(users["trainer_a"], title="Kursus A", slug=world.course_a, modules=2)
    course_b = make_course(users["trainer_b"], title="Kursus B", slug=world.course_b, modules=2)
    for course in (course_a, course_b):
        course.completion = {"modules": "all"}
    db.session.commit()
    world.module_a = course_a.modules[0].id
    stored, name, content_type, size = store(PNG, world.attachment)
    packages.add_attachment(course_a, name, stored, content_type, size, users["trainer_a"])
    db.session.commit()

    cohort_a = make_cohort(course_a, name="Angkatan A", starts_on=date.today() - timedelta(days=1))
    cohort_b = make_cohort(course_b, name="Angkatan B", starts_on=date.today() - timedelta(days=1))
    world.cohort_a, world.cohort_b = cohort_a.id, cohort_b.id
    enrol_a = enrol(users["consultant_a"], cohort_a)
    enrol_b = enrol(users["consultant_b"], cohort_a)
    enrol(users["consultant_c"], cohort_b)
    world.enrolment_a, world.enrolment_b = enrol_a.id, enrol_b.id

    quiz = add_quiz(course_a, users["trainer_a"])
    world.question_a = quiz.items[0].question.id
    world.attempt_a = finished_attempt(enrol_a, quiz).id
    world.attempt_b = finished_attempt(enrol_b, quiz).id
    world.override_a = windows.set_override(quiz, users["consultant_a"], extra_minutes=10, note="aksesibilitas").id
    db.session.commit()

    session = make_live_session(cohort_a, users["organiser"])
    world.session_a = session.id
    world.session_a2 = make_live_session(cohort_a, users["organiser"], title="Sesi Kedua",
                                         day=cohort_a.starts_on + timedelta(days=1)).id
    world.excuse_a = excuses.submit(session, users["consultant_a"], "Sakit demam", PDF, "surat-a.pdf").id
    world.excuse_b = excuses.submit(session, users["consultant_b"], "Acara keluarga", PDF, "surat-b.pdf").id
    db.session.commit()

    finish_all_modules(enrol_a)
    finish_all_modules(enrol_b)
    cert_a = issuing.issue(enrol_a, by=users["organiser"], mode="manual")
    cert_b = issuing.issue(enrol_b, by=users["organiser"], mode="manual")
    db.session.commit()
    world.cert_a, world.cert_b, world.cert_a_code = cert_a.id, cert_b.id, cert_a.code

    world.feed_a = calendars.feed_token(users["consultant_a"])
    for key, user in users.items():
        record, plain = tokens.create_token(user, f"token {key}")
        world.tokens[key], world.token_ids[key] = plain, record.id
    db.session.commit()
    return world


def csrf_token(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(client, email: str, password: str = PASSWORD, remember: bool = False):
    """Sign in through the real login form (with its CSRF token when the app checks them)."""
    data = {"email": email, "password": password}
    if remember:
        data["remember"] = "y"
    if client.application.config.get("WTF_CSRF_ENABLED"):
        data["csrf_token"] = csrf_token(client)
    response = client.post("/login", data=data)
    assert response.status_code == 302 and "/login" not in response.headers["Location"], (
        f"sign-in of {email} failed: {response.status_code}")
    return client


def is_login_redirect(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers.get("Location", "")


# ---------------------------------------------------------------------------------------------------------
# Routes from the URL map, filled with consultant A's / course A's objects


@dataclass(frozen=True)
class Route:
    endpoint: str
    rule: str
    method: str

    @property
    def id(self) -> str:
        return f"{self.method} {self.rule}"


def routes(app: Flask, methods: set[str] | None = None) -> list[Route]:
    """Every (rule, method) of the app, HEAD and OPTIONS aside."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if methods is None or method in methods:
                found.append(Route(rule.endpoint, rule.rule, method))
    return sorted(found, key=lambda r: (r.rule, r.method))


QUERY = {"authoring.diff": "?a=1&b=1", "insights.pick": "?view=learning&cohort_id=1"}


def url_values(world: World, endpoint: str) -> dict:
    values = {
        "cohort_id": world.cohort_a, "slug": world.course_a, "module_id": world.module_a,
        "quiz_slug": world.quiz_slug, "attempt_id": world.attempt_a, "question_id": world.question_a,
        "override_id": world.override_a, "session_id": world.session_a, "user_id": world.users["consultant_a"],
        "excuse_id": world.excuse_a, "cert_id": world.cert_a, "enrolment_id": world.enrolment_a,
        "token_id": world.token_ids["consultant_a"], "token": "tautan-tidak-berlaku", "code": world.cert_a_code,
        "name": world.attachment, "direction": "down", "fmt": "csv", "filename": "css/app.css",
    }
    if endpoint in ("learn.module", "learn.mark_done"):
        values["slug"] = world.module_slug
    if endpoint == "main.set_language":
        values["code"] = "en"
    if endpoint == "attendance.feed":
        values["token"] = world.feed_a
    return values


class _Raw:
    """The DB-API connection under SQLAlchemy (one shared connection for in-memory SQLite)."""

    def __enter__(self):
        self.proxy = db.engine.raw_connection()
        return self.proxy.driver_connection

    def __exit__(self, *exc):
        self.proxy.close()


class WorldApp:
    """An app with the world built once and every role signed in; `reset()` restores the world.

    SQLite: a snapshot of the in-memory database is copied back (about a millisecond). PostgreSQL: the
    tables are emptied and the world rebuilt, only after a request that may have written.
    """

    def __init__(self, tmp_path, **overrides):
        self.app = build_app(INSTANCE_DIR=str(tmp_path), **overrides)
        self.app.instance_path = str(tmp_path)
        self.context = self.app.app_context()
        self.context.push()
        _prepare_schema()
        self._build()

    def _build(self) -> None:
        from accounts import audit

        self.world = build_world()
        self.nonce = secrets.token_hex(8)  # PostgreSQL: tells whether another test emptied the shared tables
        audit.record("test.world", summary=self.nonce)
        db.session.commit()
        self.clients = {role: sign_in(self.app.test_client(), EMAIL_OF[role]) for role in SIGNED_IN}
        self.clients[ANON] = self.app.test_client()
        db.session.remove()
        self.baseline = fingerprint()
        db.session.remove()  # end the read transaction: an open one would block other tests' TRUNCATE on PostgreSQL
        self.snapshot = None
        if not USING_POSTGRES:
            self.snapshot = sqlite3.connect(":memory:", check_same_thread=False)
            with _Raw() as live:
                live.backup(self.snapshot)
        self.dirty = False

    def reset(self) -> None:
        db.session.remove()
        if self.snapshot is not None:
            with _Raw() as live:
                self.snapshot.backup(live)
        elif self.dirty or not self._intact():
            _empty_tables()
            self._build()
        self.dirty = False

    def _intact(self) -> bool:
        from accounts.models import AuditEvent

        found = db.session.scalar(select(AuditEvent.id).where(AuditEvent.summary == self.nonce))
        db.session.remove()
        return found is not None

    def changes(self) -> int | None:
        """SQLite's count of rows written on the connection so far (None on PostgreSQL)."""
        if self.snapshot is None:
            return None
        with _Raw() as live:
            return live.total_changes

    def wrote(self, before: int | None) -> bool:
        """Whether anything was written since `before = changes()` (touch timestamps aside)."""
        db.session.remove()
        if before is not None and self.changes() == before:
            return False
        try:
            return fingerprint() != self.baseline
        finally:
            db.session.remove()  # as in _build: never leave a read transaction open between tests

    def url(self, route: Route) -> str:
        rule = next(r for r in self.app.url_map.iter_rules(route.endpoint) if r.rule == route.rule)
        _, path = rule.build(url_values(self.world, route.endpoint), append_unknown=False)
        return path + QUERY.get(route.endpoint, "")

    def request(self, route: Route, role: str, url: str | None = None, **kwargs):
        """Send the route as `role` (no body unless given); the response is read and closed."""
        client = self.clients[role]
        if route.endpoint == "accounts.logout" and role != ANON:
            # a copy of the cookies: the shared client keeps its cookie (reset() revives the session row)
            copy = self.app.test_client()
            for cookie in client._cookies.values():
                copy.set_cookie(cookie.key, cookie.value)
            client = copy
        if route.method != "GET" and not kwargs:
            kwargs = {"json": {}} if route.endpoint == "quizzes.take.save" else {"data": {}}
            if route.endpoint == "quizzes.author.save_window":
                kwargs = {"data": {"cohort_id": str(self.world.cohort_a)}}
        response = client.open(url or self.url(route), method=route.method, **kwargs)
        response.get_data()
        response.close()  # file responses (static, attachments) hold an open file until closed
        return response

    def close(self) -> None:
        db.session.remove()
        _empty_tables()
        db.engine.dispose()
        self.context.pop()


# ---------------------------------------------------------------------------------------------------------
# Database fingerprint: "nothing was written"

VOLATILE = {"user_sessions": {"last_seen_at"}, "api_tokens": {"last_used_at"}}


def fingerprint() -> str:
    """A digest of every row of every table (minus touch timestamps)."""
    digest = hashlib.sha256()
    for table in db.metadata.sorted_tables:
        skip = VOLATILE.get(table.name, set())
        columns = [c for c in table.columns if c.name not in skip]
        rows = db.session.execute(select(*columns)).all()
        digest.update(table.name.encode())
        for row in sorted(repr(tuple(row)) for row in rows):
            digest.update(row.encode())
    return digest.hexdigest()


def table_counts() -> dict[str, int]:
    from sqlalchemy import func

    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}
