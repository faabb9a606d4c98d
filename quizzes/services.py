"""Question bank and quiz rules: versioned questions, quiz settings, windows and overrides. Never commits.

Import and export of quiz files and GIFT live in quizzes/transfer.py and are re-exported here, so callers
(course packages, the CLI, the views) need only this module.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from accounts.domain import DomainError, register_messages
from accounts.models import User, utcnow
from courses.models import Course, Module
from courses.rendering import render_markdown
from courses.services import SLUG_RE, asset_resolver
from extensions import db
from quizzes.grading import GRADING_METHODS, questions_with_tags
from quizzes.models import KINDS, Question, QuestionCase, QuestionVersion, Quiz, QuizItem
from quizzes.quizfile import LAYOUTS, REVIEW_SHOW, REVIEW_WHEN, QuizFile, QuizFileError, dump_quiz_file, parse_quiz_file

UID_MAX = 80
_LONE_P = re.compile(r"^<p>(.*)</p>$", re.DOTALL)
_MODULE_NUMBER_TAG = re.compile(r"^(?:modul|module)-?(\d+)$", re.IGNORECASE)
# One line with nothing Markdown would act on: rendering it is escaping it (most options and feedback).
_PLAIN_LINE = re.compile(r"[^\n*_\[\]()<>!#|`~&\\:]*")
_LIST_START = re.compile(r"^\s*(?:[-+>]|\d+[.)])(?:\s|$)")

register_messages({
    "quiz_slug_invalid": _l("Gunakan huruf kecil, angka dan tanda hubung saja (contoh: kuis-modul-1)."),
    "quiz_slug_taken": _l("Slug kuis ini sudah dipakai di kursus ini."),
    "quiz_title_required": _l("Judul kuis wajib diisi."),
    "quiz_kind_unknown": _l("Pilih jenis kuis dari daftar."),
    "quiz_module_required": _l("Kuis modul harus memilih modulnya."),
    "quiz_module_unknown": _l("Modul tidak ditemukan di kursus ini."),
    "pass_mark_invalid": _l("Nilai lulus harus antara 0 dan 100."),
    "whole_number_invalid": _l("Masukkan bilangan bulat 0 atau lebih."),
    "grading_unknown": _l("Pilih cara penilaian dari daftar."),
    "layout_unknown": _l("Pilih tata letak dari daftar."),
    "review_invalid": _l("Pilih kapan dan apa yang ditampilkan saat tinjauan."),
    "draw_count_invalid": _l("Jumlah soal acak minimal 1."),
    "draw_too_few": _l("Bank soal hanya punya %(found)s soal dengan tag ini; diperlukan %(count)s."),
    "questions_unknown": _l("Soal tidak ditemukan di bank: %(ids)s"),
    "quiz_empty": _l("Kuis perlu daftar soal atau pengambilan acak dari bank."),
    "question_invalid": _l("Soal belum valid: %(problems)s"),
    "question_id_taken": _l("ID soal ini sudah dipakai soal lain di kursus ini."),
    "question_id_too_long": _l("ID soal maksimal 80 karakter."),
    "window_dates": _l("Waktu tutup harus sesudah waktu buka."),
    "override_invalid": _l("Tambahan waktu dan percobaan harus bilangan bulat 0 atau lebih."),
    "not_enrolled": _l("Orang ini tidak terdaftar di angkatan kursus ini."),
    "user_unknown": _l("Tidak ada pengguna dengan email ini."),
})


class QuizError(DomainError):
    """A question-bank or quiz rule was broken."""


# ---------------------------------------------------------------------------------------------------------
# Rendering and hashing of question versions


def _inline(html: str) -> str:
    """Drop the paragraph around a one-paragraph option so it sits inside a label."""
    match = _LONE_P.match(html.strip())
    return match.group(1) if match and "<p>" not in match.group(1) else html


def render_question(course: Course, data: dict, case: dict | None) -> dict:
    """Sanitised HTML of every text of a question, rendered once when the version is made."""
    resolve = asset_resolver(course)

    def md(text: Any) -> str:
        return render_markdown(str(text or ""), resolve) if text not in (None, "") else ""

    def short(text: Any) -> str:
        value = str(text or "").strip()
        if value and _PLAIN_LINE.fullmatch(value) and not _LIST_START.match(value):
            return str(escape(value))
        return _inline(md(text))

    options = data.get("options") or []
    return {
        "text": md(data.get("text")),
        "stem": md(case.get("stem")) if case else "",
        "case_title": str(case.get("title") or "") if case else "",
        "options": [short(o.get("text")) for o in options],
        "option_feedback": [short(o.get("feedback")) for o in options],
        "explanation": md(data.get("explanation")),
        "feedback_right": short(data.get("feedback_right")),
        "feedback_wrong": short(data.get("feedback_wrong")),
    }


def content_hash(data: dict, case: dict | None) -> str:
    """What a version is: wording and key (tags are bank metadata and do not make a new version)."""
    payload = {"data": {k: v for k, v in data.items() if k != "tags"}, "case": case}
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _case_snapshot(case: dict | None) -> dict | None:
    if not case:
        return None
    return {"id": case.get("id"), "title": case.get("title") or "", "stem": case.get("stem") or ""}


# ---------------------------------------------------------------------------------------------------------
# Bank


def loaded_bank(course: Course) -> dict[str, Question]:
    """uid -> question (archived too) with its versions, in two queries, for bulk imports."""
    stmt = (select(Question).where(Question.course_id == course.id)
            .options(selectinload(Question.versions)))
    return {q.uid: q for q in db.session.scalars(stmt)}


def bank_questions(course: Course, include_archived: bool = False) -> list[Question]:
    stmt = select(Question).where(Question.course_id == course.id).order_by(Question.id)
    if not include_archived:
        stmt = stmt.where(Question.archived.is_(False))
    return list(db.session.scalars(stmt))


def get_question(course: Course, question_id: int) -> Question | None:
    question = db.session.get(Question, question_id)
    return question if question is not None and question.course_id == course.id else None


def question_by_uid(course: Course, uid: str) -> Question | None:
    return db.session.scalar(select(Question).where(Question.course_id == course.id, Question.uid == uid))


def module_for_tags(course: Course, tags: Iterable[str]) -> Module | None:
    """The module a question is tagged with: a tag equal to a module slug, or `modul-NN` by position."""
    modules = [m for m in course.modules if not m.archived]
    by_slug = {m.slug: m for m in modules}
    for tag in tags:
        if tag in by_slug:
            return by_slug[tag]
        match = _MODULE_NUMBER_TAG.match(str(tag))
        if match and 1 <= int(match.group(1)) <= len(modules):
            return modules[int(match.group(1)) - 1]
    return None


def validate_question(data: dict, case: dict | None = None) -> dict:
    """Check a question by the quiz-file rules (dump and parse it as a bank file); returns the normalised dict."""
    uid = str(data.get("id") or "")
    if len(uid) > UID_MAX:
        raise QuizError("question_id_too_long", "yaml")
    cases = [{**case, "question_ids": [uid]}] if case else []
    probe = QuizFile(filename="soal.yml", slug="soal", title="soal", kind="bank",
                     questions=[{**data, "case_id": case.get("id") if case else None}], cases=cases)
    try:
        parsed = parse_quiz_file(dump_quiz_file(probe), "soal.yml")
    except QuizFileError as exc:
        raise QuizError("question_invalid", "yaml", problems="; ".join(p.message for p in exc.problems)) from None
    except (TypeError, ValueError, AttributeError) as exc:  # data that cannot even be written as YAML
        raise QuizError("question_invalid", "yaml", problems=str(exc)) from None
    return parsed.questions[0]


def save_question(course: Course, data: dict, *, case: dict | None = None, by: User | None = None,
                  source_file: str | None = None, module: Module | None = None,
                  known: dict[str, Question] | None = None) -> tuple[Question, str]:
    """Create a bank question or add a version when its wording or key changed.

    Returns (question, "created" | "updated" | "unchanged"); tags and module are updated in place.
    `known` (uid -> question with versions loaded) spares a query per question in bulk imports.
    """
    uid = str(data["id"])
    if len(uid) > UID_MAX:
        raise QuizError("question_id_too_long", "yaml")
    data = {**data, "case_id": case.get("id") if case else None}
    snapshot = _case_snapshot(case)
    digest = content_hash(data, snapshot)
    tags = [str(t) for t in data.get("tags") or []]
    module = module or module_for_tags(course, tags)
    question = known.get(uid) if known is not None else question_by_uid(course, uid)
    status = "unchanged"
    if question is None:
        question = Question(course_id=course.id, uid=uid, type=data["type"], version_number=1, source_file=source_file)
        db.session.add(question)
        if known is not None:
            known[uid] = question
        question.versions.append(_new_version(course, 1, data, snapshot, digest, by))
        status = "created"
    elif question.current.content_hash != digest:
        number = max(v.number for v in question.versions) + 1
        question.versions.append(_new_version(course, number, data, snapshot, digest, by))
        question.version_number = number
        question.type = data["type"]
        status = "updated"
    if question.archived:
        question.archived = False
        status = "updated" if status == "unchanged" else status
    if question.tags != tags:
        question.tags = tags
        status = "updated" if status == "unchanged" else status
    question.case_uid = case.get("id") if case else None
    if module is not None:
        question.module_id = module.id
    if source_file and status != "unchanged":
        question.source_file = source_file
    if status != "unchanged":
        question.updated_at = utcnow()
        db.session.flush()
    return question, status


def _new_version(course: Course, number: int, data: dict, case: dict | None, digest: str,
                 by: User | None) -> QuestionVersion:
    return QuestionVersion(number=number, data=data, case_data=case, html=render_question(course, data, case),
                           content_hash=digest, created_by_id=by.id if by else None)


def save_case(course: Course, case: dict) -> QuestionCase:
    """Create or update a case study's editable stem."""
    row = db.session.scalar(select(QuestionCase).where(QuestionCase.course_id == course.id,
                                                       QuestionCase.uid == case["id"]))
    if row is None:
        row = QuestionCase(course_id=course.id, uid=case["id"])
        db.session.add(row)
    row.title = str(case.get("title") or "")[:200]
    row.stem_md = str(case.get("stem") or "")
    return row


def edit_question(course: Course, question: Question | None, data: dict, case: dict | None,
                  by: User | None) -> tuple[Question, str]:
    """Save a question written in the editor; a changed case stem re-versions every question of the case."""
    data = validate_question(data, case)
    uid = data["id"]
    other = question_by_uid(course, uid)
    if other is not None and (question is None or other.id != question.id):
        raise QuizError("question_id_taken", "yaml")
    if question is not None and question.uid != uid:
        question.uid = uid
    saved, status = save_question(course, data, case=case, by=by)
    if case:
        save_case(course, case)
        for sibling in bank_questions(course):
            if sibling.case_uid == case["id"] and sibling.id != saved.id and sibling.current.case_data != case:
                save_question(course, sibling.current.data, case=case, by=by)
    return saved, status


def archive_question(question: Question) -> None:
    """Past attempts keep their versions; the question leaves draws and quiz lists."""
    question.archived = True
    question.updated_at = utcnow()
    for item in db.session.scalars(select(QuizItem).where(QuizItem.question_id == question.id)):
        db.session.delete(item)


def current_bank(course: Course) -> list[tuple[Question, QuestionVersion]]:
    """Every live question of the course with its current version."""
    stmt = (select(Question, QuestionVersion)
            .join(QuestionVersion, (QuestionVersion.question_id == Question.id)
                  & (QuestionVersion.number == Question.version_number))
            .where(Question.course_id == course.id, Question.archived.is_(False))
            .order_by(Question.id))
    return [(q, v) for q, v in db.session.execute(stmt)]


def bank_dicts(course: Course) -> list[dict]:
    """Neutral dicts of the live bank, with the bank's tags (what draws select on)."""
    return [{**v.data, "tags": list(q.tags or [])} for q, v in current_bank(course)]


# ---------------------------------------------------------------------------------------------------------
# Quizzes


def course_quizzes(course: Course, include_archived: bool = False, with_items: bool = False) -> list[Quiz]:
    stmt = select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.position, Quiz.id)
    if with_items:  # lists that show each quiz's questions: two more queries, not one per quiz
        stmt = stmt.options(selectinload(Quiz.items).selectinload(QuizItem.question))
    if not include_archived:
        stmt = stmt.where(Quiz.archived.is_(False))
    return list(db.session.scalars(stmt))


def get_quiz(course: Course, slug: str, include_archived: bool = False) -> Quiz | None:
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.slug == slug))
    if quiz is None or (quiz.archived and not include_archived):
        return None
    return quiz


SETTING_KEYS = ("title", "kind", "module_id", "pass_mark", "time_limit_minutes", "attempts_allowed", "grading",
                "shuffle_questions", "shuffle_options", "layout", "review_when", "review_show", "draw_count",
                "draw_tags")


def _check_settings(course: Course, quiz: Quiz | None, s: dict) -> None:
    slug = s.get("slug")
    if slug is not None:
        if not SLUG_RE.match(slug) or len(slug) > 80:
            raise QuizError("quiz_slug_invalid", "slug")
        other = get_quiz(course, slug, include_archived=True)
        if other is not None and (quiz is None or other.id != quiz.id):
            raise QuizError("quiz_slug_taken", "slug")
    if not str(s.get("title") or "").strip():
        raise QuizError("quiz_title_required", "title")
    if s.get("kind") not in KINDS:
        raise QuizError("quiz_kind_unknown", "kind")
    if s["kind"] == "module":
        if not s.get("module_id"):
            raise QuizError("quiz_module_required", "module_id")
        if not any(m.id == s["module_id"] for m in course.modules):
            raise QuizError("quiz_module_unknown", "module_id")
    pass_mark = s.get("pass_mark")
    if pass_mark is not None and not (0 <= pass_mark <= 100):
        raise QuizError("pass_mark_invalid", "pass_mark")
    for key in ("time_limit_minutes", "attempts_allowed"):
        if not isinstance(s.get(key), int) or s[key] < 0:
            raise QuizError("whole_number_invalid", key)
    if s.get("grading") not in GRADING_METHODS:
        raise QuizError("grading_unknown", "grading")
    if s.get("layout") not in LAYOUTS:
        raise QuizError("layout_unknown", "layout")
    if s.get("review_when") not in REVIEW_WHEN or any(x not in REVIEW_SHOW for x in s.get("review_show") or []):
        raise QuizError("review_invalid", "review_when")
    if s.get("draw_count") is not None:
        if s["draw_count"] < 1:
            raise QuizError("draw_count_invalid", "draw_count")
        found = len(questions_with_tags(bank_dicts(course), s.get("draw_tags") or []))
        if found < s["draw_count"]:
            raise QuizError("draw_too_few", "draw_count", found=found, count=s["draw_count"])


def _defaults(settings: dict) -> dict:
    base = {"kind": "module", "module_id": None, "pass_mark": None, "time_limit_minutes": 0, "attempts_allowed": 0,
            "grading": "highest", "shuffle_questions": False, "shuffle_options": False, "layout": "all",
            "review_when": "immediately", "review_show": list(REVIEW_SHOW), "draw_count": None, "draw_tags": None}
    base.update(settings)
    if base["kind"] != "module":
        base["module_id"] = None
    return base


def create_quiz(course: Course, *, slug: str, question_uids: list[str] | None = None, **settings) -> Quiz:
    """A new quiz with fixed questions (by bank id) or a draw."""
    settings = _defaults({**settings, "slug": slug})
    _check_settings(course, None, settings)
    position = len(course_quizzes(course, include_archived=True)) + 1
    quiz = Quiz(course_id=course.id, slug=slug, position=position,
                **{k: settings[k] for k in SETTING_KEYS})
    db.session.add(quiz)
    db.session.flush()
    if question_uids is not None:
        set_quiz_questions(quiz, question_uids)
    _check_not_empty(quiz)
    return quiz


def update_quiz(quiz: Quiz, *, question_uids: list[str] | None = None, **settings) -> Quiz:
    """Change a quiz's settings (attempts already started keep their drawn questions)."""
    course = db.session.get(Course, quiz.course_id)
    current = {k: getattr(quiz, k) for k in SETTING_KEYS}
    merged = _defaults({**current, **settings})
    _check_settings(course, quiz, merged)
    if "slug" in settings:
        quiz.slug = settings["slug"]
    for key in SETTING_KEYS:
        setattr(quiz, key, merged[key])
    if question_uids is not None:
        set_quiz_questions(quiz, question_uids)
    _check_not_empty(quiz)
    quiz.updated_at = utcnow()
    return quiz


def _check_not_empty(quiz: Quiz) -> None:
    if not quiz.draw_count and not quiz.items:
        raise QuizError("quiz_empty", "question_uids")


def set_quiz_questions(quiz: Quiz, uids: list[str]) -> None:
    """Replace the fixed question list, in the given order; unknown ids are refused together."""
    course = db.session.get(Course, quiz.course_id)
    wanted = list(dict.fromkeys(u.strip() for u in uids if u and u.strip()))
    found = {q.uid: q for q in bank_questions(course) if q.uid in set(wanted)}
    missing = [u for u in wanted if u not in found]
    if missing:
        raise QuizError("questions_unknown", "question_uids", ids=", ".join(missing[:10]))
    existing = {item.question_id: item for item in quiz.items}
    items = []
    for position, uid in enumerate(wanted, start=1):
        item = existing.pop(found[uid].id, None) or QuizItem(question_id=found[uid].id)
        item.position = position
        items.append(item)
    quiz.items = items
    db.session.flush()


def archive_quiz(quiz: Quiz) -> None:
    quiz.archived = True
    quiz.updated_at = utcnow()


def question_count(quiz: Quiz) -> int:
    """Questions an attempt will show: the draw size, or the live questions of a fixed quiz (one query)."""
    if quiz.draw_count:
        return quiz.draw_count
    stmt = (select(func.count()).select_from(QuizItem).join(Question, Question.id == QuizItem.question_id)
            .where(QuizItem.quiz_id == quiz.id, Question.archived.is_(False)))
    return db.session.scalar(stmt) or 0


def quiz_question_uids(quiz: Quiz) -> list[str]:
    """The live questions of a fixed quiz, in order (one query)."""
    stmt = (select(Question.uid).join(QuizItem, QuizItem.question_id == Question.id)
            .where(QuizItem.quiz_id == quiz.id, Question.archived.is_(False)).order_by(QuizItem.position, QuizItem.id))
    return list(db.session.scalars(stmt))


# Import and export (course packages, GIFT): thin entry points; the work is in quizzes/transfer.py.


def import_quiz_files(course: Course, quizfiles: list[QuizFile], by: User | None = None, *,
                      archive_missing: bool = True):
    """Load parsed quiz files into the bank and the course's quizzes; returns a transfer.ImportSummary."""
    from quizzes import transfer

    return transfer.import_quiz_files(course, quizfiles, by, archive_missing=archive_missing)


def export_quiz_files(course: Course) -> dict[str, str]:
    """The course's quizzes and bank as quiz files: {"quizzes/NAME.yml": yaml text}."""
    from quizzes import transfer

    return transfer.export_quiz_files(course)


def import_gift(course: Course, text: str, by: User | None = None, source: str = "gift"):
    """Import a Moodle GIFT file into the bank; returns a transfer.GiftReport (refusals by line)."""
    from quizzes import transfer

    return transfer.import_gift(course, text, by, source)


def export_gift(course: Course, quiz: Quiz | None = None) -> str:
    """The bank (or one quiz's fixed questions) as a Moodle GIFT file."""
    from quizzes import transfer

    return transfer.export_gift(course, quiz)
