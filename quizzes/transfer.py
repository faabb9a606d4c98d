"""Quiz files of course packages and Moodle GIFT, in and out of the bank. Never commits.

A quiz may list a question another quiz already defines; the YAML format defines each question once, so
the export writes such a question in the first quiz only and names it in the second under
``include: [ids]`` (a key the quiz-file reader keeps in ``extra``), which the import resolves.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from accounts.domain import message_for
from accounts.models import User, utcnow
from courses.models import Course
from extensions import db
from quizzes import gift
from quizzes.models import Question, QuestionVersion, Quiz
from quizzes.quizfile import Problem, QuizFile, dump_quiz_file, parse_quiz_files
from quizzes.services import (
    QuizError,
    archive_question,
    archive_quiz,
    bank_questions,
    course_quizzes,
    current_bank,
    get_quiz,
    loaded_bank,
    save_case,
    save_question,
    set_quiz_questions,
    validate_question,
)

GIFT_EXPLANATION = "(Penjelasan belum diisi; lengkapi di bank soal.)"
GIFT_SOURCE = "Impor GIFT"
QUIZ_FILE_RE = re.compile(r"^quizzes/[^/]+\.ya?ml$")


@dataclass
class ImportSummary:
    """What loading quiz files did to the bank and the quizzes."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    archived: int = 0
    quizzes_created: list[str] = field(default_factory=list)
    quizzes_updated: list[str] = field(default_factory=list)
    quizzes_archived: list[str] = field(default_factory=list)

    def count(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)


@dataclass
class GiftReport:
    """A GIFT import: ids created, updated or unchanged; refusals by line; questions needing an explanation."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)

    @property
    def imported(self) -> list[str]:
        return [*self.created, *self.updated, *self.unchanged]


# ---------------------------------------------------------------------------------------------------------
# Quiz files (course packages)


def _case_snapshot(case: Mapping | None) -> dict | None:
    if not case:
        return None
    return {"id": case["id"], "title": case.get("title") or "", "stem": case.get("stem") or ""}


def import_quiz_files(course: Course, quizfiles: list[QuizFile], by: User | None = None, *,
                      archive_missing: bool = True) -> ImportSummary:
    """Every question of every file into the bank (a changed one gets a new version), then the quizzes.

    With ``archive_missing`` (a whole package), quizzes and package questions absent from the files are
    archived; questions imported from GIFT or written in the editor stay.
    """
    summary = ImportSummary()
    modules = {m.slug: m for m in course.modules}
    seen: set[str] = set()
    known = loaded_bank(course)
    for quizfile in quizfiles:
        cases = {c["id"]: c for c in quizfile.cases}
        module = modules.get(quizfile.module) if quizfile.kind == "module" and quizfile.module else None
        for data in quizfile.questions:
            case = _case_snapshot(cases.get(data.get("case_id")))
            if case:
                save_case(course, case)
            question, status = save_question(course, data, case=case, by=by, source_file=quizfile.filename,
                                             module=module, known=known)
            seen.add(question.uid)
            summary.count(status)
    slugs = set()
    for position, quizfile in enumerate([f for f in quizfiles if not f.is_bank], start=1):
        slugs.add(quizfile.slug)
        quiz = get_quiz(course, quizfile.slug, include_archived=True)
        if quiz is None:
            quiz = Quiz(course_id=course.id, slug=quizfile.slug, title=quizfile.title)
            db.session.add(quiz)
            summary.quizzes_created.append(quizfile.slug)
        else:
            summary.quizzes_updated.append(quizfile.slug)
        _apply_file_settings(quiz, quizfile, modules, position)
        include = [str(u) for u in (quizfile.extra or {}).get("include") or []]
        set_quiz_questions(quiz, [q["id"] for q in quizfile.questions] + include)
    if archive_missing:
        for quiz in course_quizzes(course):
            if quiz.slug not in slugs:
                archive_quiz(quiz)
                summary.quizzes_archived.append(quiz.slug)
        for question in bank_questions(course):
            if (question.source_file or "").startswith("quizzes/") and question.uid not in seen:
                archive_question(question)
                summary.archived += 1
    return summary


def _apply_file_settings(quiz: Quiz, quizfile: QuizFile, modules: Mapping, position: int) -> None:
    module = modules.get(quizfile.module) if quizfile.kind == "module" else None
    quiz.title = quizfile.title
    quiz.kind = quizfile.kind
    quiz.module_id = module.id if module else None
    quiz.pass_mark = quizfile.pass_mark
    quiz.time_limit_minutes = quizfile.time_limit_minutes or 0
    quiz.attempts_allowed = quizfile.attempts_allowed or 0
    quiz.grading = quizfile.grading
    quiz.shuffle_questions = quizfile.shuffle_questions
    quiz.shuffle_options = quizfile.shuffle_options
    quiz.layout = quizfile.layout
    quiz.review_when = quizfile.review.get("when", "immediately")
    quiz.review_show = list(quizfile.review.get("show") or [])
    quiz.draw_count = quizfile.draw.get("count") if quizfile.draw else None
    quiz.draw_tags = list(quizfile.draw.get("tags") or []) if quizfile.draw else None
    quiz.extra = {k: v for k, v in (quizfile.extra or {}).items() if k != "include"} or None
    quiz.source_file = quizfile.filename
    quiz.position = position
    quiz.archived = False
    quiz.updated_at = utcnow()


def _number(value):
    """70.0 is written as 70, so an exported file reads like a hand-written one."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _file_questions(pairs: Iterable[tuple[Question, QuestionVersion]]) -> tuple[list[dict], list[dict]]:
    """Question dicts (case studies kept together, in first-seen order) and the case list of a file."""
    groups: dict[object, list[tuple[Question, QuestionVersion]]] = {}
    for question, version in pairs:
        key = ("case", version.case_data["id"]) if version.case_data else ("question", question.id)
        groups.setdefault(key, []).append((question, version))
    questions: list[dict] = []
    cases: list[dict] = []
    for key, members in groups.items():
        case = members[0][1].case_data if key[0] == "case" else None
        for question, version in members:
            questions.append({**version.data, "id": question.uid, "tags": list(question.tags or []),
                              "case_id": case["id"] if case else None})
        if case:
            cases.append({**case, "question_ids": [q.uid for q, _ in members]})
    return questions, cases


def _unique(name: str, used: set[str]) -> str:
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 2
    while candidate in used:
        candidate = f"{stem}-{n}.{ext}" if dot else f"{name}-{n}"
        n += 1
    used.add(candidate)
    return candidate


def _owners(quizzes: list[Quiz], live: Mapping[int, object]) -> dict[int, int]:
    """question id -> the quiz whose file defines it: the first quiz listing it, except that a quiz whose
    questions are all defined elsewhere takes one over from a quiz that has several (a quiz file needs one)."""
    owner: dict[int, int] = {}
    listed = {quiz.id: [i.question_id for i in quiz.items if i.question_id in live] for quiz in quizzes}
    for quiz in quizzes:
        for question_id in listed[quiz.id]:
            owner.setdefault(question_id, quiz.id)
    for quiz in quizzes:
        if listed[quiz.id] and not any(owner[q] == quiz.id for q in listed[quiz.id]):
            for question_id in listed[quiz.id]:
                if sum(1 for o in owner.values() if o == owner[question_id]) > 1:
                    owner[question_id] = quiz.id
                    break
    return owner


def export_quiz_files(course: Course) -> dict[str, str]:
    """The quizzes (with their fixed questions) and the rest of the bank as quiz files."""
    bank = current_bank(course)
    by_id = {q.id: (q, v) for q, v in bank}
    module_slugs = {m.id: m.slug for m in course.modules}
    files: dict[str, str] = {}
    used: set[str] = set()
    emitted: set[int] = set()
    quizzes = course_quizzes(course)
    owner = _owners(quizzes, by_id)
    for quiz in quizzes:
        listed = [by_id[item.question_id] for item in quiz.items if item.question_id in by_id]
        inline = [(q, v) for q, v in listed if owner.get(q.id) == quiz.id]
        emitted.update(q.id for q, _ in inline)
        extra = dict(quiz.extra or {})
        inline_ids = {q.id for q, _ in inline}
        include = [q.uid for q, _ in listed if q.id not in inline_ids]
        if include:
            extra["include"] = include
        questions, cases = _file_questions(inline)
        name = _unique(quiz.source_file if QUIZ_FILE_RE.match(quiz.source_file or "") else
                       f"quizzes/{quiz.slug}.yml", used)
        quizfile = QuizFile(
            filename=name, slug=quiz.slug, title=quiz.title, kind=quiz.kind,
            module=module_slugs.get(quiz.module_id) if quiz.kind == "module" else None,
            pass_mark=_number(quiz.pass_mark), time_limit_minutes=quiz.time_limit_minutes,
            attempts_allowed=quiz.attempts_allowed, grading=quiz.grading, shuffle_questions=quiz.shuffle_questions,
            shuffle_options=quiz.shuffle_options, layout=quiz.layout,
            review={"when": quiz.review_when, "show": list(quiz.review_show or [])},
            draw={"count": quiz.draw_count, "tags": list(quiz.draw_tags or [])} if quiz.draw_count else None,
            questions=questions, cases=cases, extra=extra,
        )
        files[name] = dump_quiz_file(quizfile)
    slugs = {quiz.slug for quiz in quizzes}
    banks: dict[str, list[tuple[Question, QuestionVersion]]] = {}
    quiz_files = set(used)
    for question, version in bank:
        if question.id in emitted:
            continue
        source = question.source_file or ""
        name = source if QUIZ_FILE_RE.match(source) and source not in quiz_files else "quizzes/bank.yml"
        banks.setdefault(name, []).append((question, version))
    for name, pairs in banks.items():
        name = _unique(name, used)
        slug = re.split(r"[/.]", name)[1]
        while slug in slugs:
            slug += "-bank"
        slugs.add(slug)
        questions, cases = _file_questions(pairs)
        files[name] = dump_quiz_file(QuizFile(filename=name, slug=slug, title=slug, kind="bank",
                                              questions=questions, cases=cases))
    return files


class QuizPackagePart:
    """The quizzes/ folder of a course package, plugged into courses.packages via app.extensions.

    The files parsed by ``validate`` are kept (keyed by their content) so ``load`` does not parse them twice.
    """

    def __init__(self) -> None:
        self._last: tuple[str, list[QuizFile]] | None = None

    def _sources(self, files: Mapping[str, str]) -> dict[str, str]:
        return {name: text for name, text in files.items() if QUIZ_FILE_RE.match(name)}

    @staticmethod
    def _key(sources: Mapping[str, str], module_slugs: Iterable[str]) -> str:
        digest = hashlib.sha256()
        for name in sorted(sources):
            digest.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
        digest.update("\0".join(sorted(module_slugs)).encode())
        return digest.hexdigest()

    def validate(self, files: Mapping[str, str], module_slugs: Iterable[str]) -> list[Problem]:
        module_slugs = list(module_slugs)
        problems: list[Problem] = [Problem(name, 1, "only quiz files (quizzes/NAME.yml) belong in quizzes/")
                                   for name in files if not QUIZ_FILE_RE.match(name)]
        sources = self._sources(files)
        parsed, found = parse_quiz_files(sources, module_slugs)
        problems.extend(found)
        ids = {q["id"] for f in parsed for q in f.questions}
        for quizfile in parsed:
            include = (quizfile.extra or {}).get("include")
            if include is None:
                continue
            if not isinstance(include, list):
                problems.append(Problem(quizfile.filename, quizfile.line_of("include"),
                                        "include must be a list of ids"))
                continue
            for uid in include:
                if str(uid) not in ids:
                    problems.append(Problem(quizfile.filename, quizfile.line_of("include"),
                                            f"include names question {uid!r}, which no file defines"))
        self._last = None if problems else (self._key(sources, module_slugs), parsed)
        return problems

    def load(self, course: Course, files: Mapping[str, str], user: User | None) -> ImportSummary:
        sources = self._sources(files)
        module_slugs = [m.slug for m in course.modules if not m.archived]
        last, self._last = self._last, None
        if last is not None and last[0] == self._key(sources, module_slugs):
            parsed = last[1]
        else:
            parsed, problems = parse_quiz_files(sources, module_slugs)
            if problems:  # validate() refuses these first; never load half a package
                raise ValueError("; ".join(str(p) for p in problems[:5]))
        return import_quiz_files(course, parsed, user)

    def dump(self, course: Course) -> dict[str, str]:
        return export_quiz_files(course)


# ---------------------------------------------------------------------------------------------------------
# GIFT


def _line_of(text: str, question: Mapping) -> int:
    """Where an imported question starts, found by its id token or its title."""
    needles = [f"[id:{question.get('id')}]"]
    if question.get("title"):
        needles.append(f"::{gift.escape(question['title'])}::")
    for number, line in enumerate(text.splitlines(), start=1):
        if any(n in line for n in needles):
            return number
    return 0


def import_gift(course: Course, text: str, by: User | None = None, source: str = "gift") -> GiftReport:
    """Import GIFT questions into the bank; unsupported or malformed items are refused with their line."""
    result = gift.parse_gift(text)
    report = GiftReport(refused=list(result.refused))
    for question in result.questions:
        data = dict(question)
        incomplete = False
        if not str(data.get("explanation") or "").strip():
            data["explanation"] = GIFT_EXPLANATION
            incomplete = True
        if not str(data.get("source") or "").strip():
            data["source"] = GIFT_SOURCE
            incomplete = True
        try:
            data = validate_question(data)
            saved, status = save_question(course, data, by=by, source_file=source)
        except QuizError as exc:
            report.refused.append((_line_of(text, question), f"{question.get('id')}: {message_for(exc)}"))
            continue
        getattr(report, status).append(saved.uid)
        if incomplete:
            report.incomplete.append(saved.uid)
    report.refused.sort()
    return report


def export_gift(course: Course, quiz: Quiz | None = None) -> str:
    """The live bank, or one quiz's fixed questions, as GIFT (case stems go before each case question)."""
    pairs = current_bank(course)
    if quiz is not None:
        by_id = {q.id: (q, v) for q, v in pairs}
        pairs = [by_id[item.question_id] for item in quiz.items if item.question_id in by_id]
    questions = [{**v.data, "id": q.uid, "tags": list(q.tags or [])} for q, v in pairs]
    cases = {v.case_data["id"]: v.case_data for _, v in pairs if v.case_data}
    return gift.export_gift(questions, cases, module_tags=[m.slug for m in course.modules])
