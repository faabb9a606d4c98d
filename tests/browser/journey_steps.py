"""Shared steps of the browser journeys and the accessibility scan: demo data, sign-in, quiz answers, pages seen."""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from playwright.sync_api import expect
from sqlalchemy import select
from werkzeug.serving import make_server

from extensions import db
from tests.browser.conftest import ARTIFACTS
from tests.conftest import USING_POSTGRES, _empty_tables, _prepare_schema, build_app
from tests.factories import PASSWORD, enrol, make_cohort, make_user

ROOT = Path(__file__).resolve().parents[2]
CONTENT = ROOT / "content" / "halal-self-declare"
DATA = ROOT / "tests" / "data"
COURSE_SLUG = "halal-self-declare"
MODULE_QUIZ = "kuis-01-ekosistem"

# --------------------------------------------------------------------------------------------- demo content


def _dump(data: dict) -> bytes:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100).encode()


@functools.cache
def _demo_files() -> dict[str, bytes]:
    """The shipped curriculum cut down to two modules and short tests, so that a journey imports it in seconds.

    The wording is the real one; only the number of modules, questions and the certificate rule shrink:
    both modules, the final test (3 questions drawn from the bank, pass mark 70) and 80% attendance.
    """
    load = functools.partial(yaml.load, Loader=yaml.CSafeLoader)
    course = (CONTENT / "course.md").read_text(encoding="utf-8")
    assert "  posttest_required: true\n" in course
    files = {"course.md": course.replace("  posttest_required: true\n", "").encode()}
    for name in ("01-ekosistem.md", "02-dasar-hukum.md"):
        files[name] = (CONTENT / name).read_bytes()
    quizzes = CONTENT / "quizzes"
    pretest = load((quizzes / "pretest.yml").read_text(encoding="utf-8"))
    pretest["questions"] = pretest["questions"][:2]
    module = load((quizzes / "01-ekosistem.yml").read_text(encoding="utf-8"))
    module["questions"] = [q for q in module["questions"] if q["type"] in ("single", "truefalse")][:3]
    bank = load((quizzes / "bank-final.yml").read_text(encoding="utf-8"))
    bank["questions"] = [q for q in bank["questions"] if "id" in q and "final" in q.get("tags", [])][:4]
    final = load((quizzes / "final.yml").read_text(encoding="utf-8"))
    final["draw"]["count"] = 3
    for name, data in (("pretest", pretest), ("01-ekosistem", module), ("bank-final", bank), ("final", final)):
        files[f"quizzes/{name}.yml"] = _dump(data)
    return files


def import_demo(app, folder: Path, author_email: str = "pelatih@example.id"):
    """Import the cut-down demo package with courses.packages.import_path; returns the course id."""
    from courses import packages
    from courses.services import get_course_by_slug

    folder.mkdir(parents=True, exist_ok=True)
    for name, data in _demo_files().items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    with app.app_context():
        author = _user(author_email) or make_user(author_email, roles=("trainer",), full_name="Pak Pelatih")
        packages.import_path(folder, author)
        db.session.commit()
        return get_course_by_slug(COURSE_SLUG).id


@dataclass
class Server:
    base: str
    app: object
    course_id: int
    folder: Path


def serve(tmp_path_factory):
    """Body of a module-scoped fixture: a live server with the demo course imported once; yields a Server.

    The same as conftest's `live`, but shared by the tests of a module so that the app and the demo course are
    built once (the journeys run on a desktop and on a phone, each with its own accounts and cohorts).
    """
    folder = tmp_path_factory.mktemp("journeys")
    overrides = {"SERVER_NAME": None, "INSTANCE_DIR": str(folder)}
    if not USING_POSTGRES:
        overrides.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{folder / 'live.db'}", SQLALCHEMY_ENGINE_OPTIONS={})
    app = build_app(**overrides)
    app.instance_path = str(folder)
    with app.app_context():
        _prepare_schema()
        db.session.commit()
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{httpd.server_port}"
    app.config["BASE_URL"] = base  # certificate QR codes must open this very server
    try:
        yield Server(base, app, import_demo(app, folder / "package"), folder)
    finally:
        httpd.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


def _user(email: str):
    from accounts.models import User

    return db.session.scalar(select(User).where(User.email == email))


def open_cohort(app, course_id: int, name: str = "Angkatan Mataram 2026") -> tuple[int, str]:
    """A cohort of the course starting today, enrolment by code, automatic certificates: (id, code)."""
    from courses.models import Course

    with app.app_context():
        cohort = make_cohort(db.session.get(Course, course_id), name=name)
        return cohort.id, cohort.enrol_code


def live_session(app, cohort_id: int, title: str = "Diskusi kasus verifikasi", start_minutes_ago: int = 5) -> int:
    """A live session running now (check-in is open)."""
    from attendance.models import LiveSession

    with app.app_context():
        now = datetime.now(UTC).replace(microsecond=0)
        session = LiveSession(cohort_id=cohort_id, title=title, speakers="Dr. Aminah",
                              starts_at=now - timedelta(minutes=start_minutes_ago),
                              ends_at=now + timedelta(minutes=115), timezone="Asia/Jakarta",
                              meeting_url="https://zoom.us/j/81234567890")
        db.session.add(session)
        db.session.commit()
        return session.id


def checkin_link(app, base: str, session_id: int) -> str:
    """What the presenter's QR code encodes right now: the check-in page with the current code."""
    from attendance import checkin
    from attendance.models import LiveSession

    with app.app_context():
        code = checkin.presenter_state(db.session.get(LiveSession, session_id)).code
    return f"{base}/checkin/{session_id}?code={code}"


def zoom_report(rows: list[tuple[str, str, datetime, datetime]]) -> str:
    """A Zoom participants report in the English export's format (tests/data/zoom/participants_en.csv).

    Rows are (name, email, joined, left) in the report's (= the session's) local time.
    """
    header = (DATA / "zoom" / "participants_en.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    lines = [header]
    for name, email, joined, left in rows:
        minutes = round((left - joined).total_seconds() / 60)
        stamp = "%m/%d/%Y %I:%M:%S %p"
        lines.append(f"{name},{email},{joined.strftime(stamp)},{left.strftime(stamp)},{minutes},No,Yes,No")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------- browser steps


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")


def fits(page) -> bool:
    """No sideways scrolling. Stricter than conftest.no_horizontal_scroll: a phone context (is_mobile) widens
    window.innerWidth to the content, so the page is compared with the viewport's own width."""
    width = page.viewport_size["width"]
    return page.evaluate("w => document.documentElement.scrollWidth <= w + 1", width)


def snap(page, name: str) -> Path:
    """A screenshot of what the viewport shows (small enough to publish in docs/screenshots)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"journey-{name}-{page.device_name}.png"
    page.screenshot(path=str(path))
    return path


def attempt_id(url: str) -> int:
    return int(re.search(r"/attempt/(\d+)", url).group(1))


def _display_answers(row) -> dict[str, object]:
    """What the browser sends for a right answer to each question of an attempt, in its display order."""
    from quizzes import attempts

    answers = {}
    for uid, version in attempts.question_versions(row).items():
        data = version.data
        order = row.plan["options"].get(uid) or []
        if data["type"] == "single":
            answers[uid] = next(p for p, i in enumerate(order) if data["options"][i].get("correct"))
        elif data["type"] == "multiple":
            answers[uid] = [p for p, i in enumerate(order) if data["options"][i].get("correct")]
        elif data["type"] == "truefalse":
            answers[uid] = "true" if data["answer"] else "false"
        elif data["type"] == "short":
            answers[uid] = data["accepted"][0]
        else:
            answers[uid] = str(data["value"] if data.get("value") is not None else data["min"])
    return answers


def right_answers(app, attempt: int) -> dict[str, object]:
    from quizzes.models import Attempt

    with app.app_context():
        answers = _display_answers(db.session.get(Attempt, attempt))
        db.session.remove()
        return answers


def sit_quiz(enrolment, quiz, right=lambda position: True) -> None:
    """A consultant's attempt done on the server (inside an app context): answers the questions `right` picks."""
    from quizzes import attempts

    attempt, _ = attempts.start_attempt(enrolment, quiz)
    for position, (uid, value) in enumerate(_display_answers(attempt).items()):
        if right(position):
            attempts.save_answer(attempt, uid, value, 1)
    attempts.submit_attempt(attempt)


def seed_attempts(app, course_slug: str, quiz_slug: str, tag: str, knows: tuple[int, ...] = (5, 4, 3, 1)) -> None:
    """Consultants of a new cohort sit the quiz; the n-th knows the answers to its first `knows[n]` questions."""
    from courses.services import get_course_by_slug
    from quizzes.services import get_quiz

    with app.app_context():
        course = get_course_by_slug(course_slug)
        quiz = get_quiz(course, quiz_slug)
        cohort = make_cohort(course, name=f"Angkatan uji coba {tag}")
        for person, known in enumerate(knows):
            user = make_user(f"peserta{person}.{tag}@example.id", full_name=f"Peserta {person + 1}")
            sit_quiz(enrol(user, cohort), quiz, right=lambda position, k=known: position < k)
        db.session.commit()


def finish_learning(app, cohort_id: int, emails: list[str]) -> None:
    """These participants read every module and pass the final test (what the consultant journey does by hand)."""
    from courses import progress
    from courses.models import Cohort, Enrolment
    from quizzes.services import get_quiz

    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        final = get_quiz(cohort.course, "final")
        for email in emails:
            enrolment = db.session.scalar(select(Enrolment).where(Enrolment.cohort_id == cohort_id,
                                                                  Enrolment.user_id == _user(email).id))
            for module in progress.version_modules(cohort.course_version_id):
                progress.complete_module(enrolment, module)
            sit_quiz(enrolment, final)
        db.session.commit()


def answer(fieldset, value) -> None:
    """Answer one question on the attempt page as a person would (click the option, or type)."""
    kind = fieldset.get_attribute("data-type")
    name = "q-" + fieldset.get_attribute("data-question")
    if kind in ("single", "truefalse"):
        fieldset.locator(f"input[name='{name}'][value='{value}']").check()
    elif kind == "multiple":
        for position in value:
            fieldset.locator(f"input[name='{name}'][value='{position}']").check()
    else:
        box = fieldset.get_by_label("Jawaban Anda")
        box.fill(str(value))
        box.press("Tab")


def answer_page(page, answers: dict) -> list[str]:
    """Answer every question shown on the current attempt page and wait for each saved receipt; returns their ids.

    Waiting matters: quiz.js ignores "Kirim jawaban" / "Simpan & lanjut" pressed while a background save is
    still on its way (its submit handler finds the queue busy and never submits), so a person would press twice.
    """
    shown = []
    for fieldset in page.locator("fieldset[data-question]").all():
        uid = fieldset.get_attribute("data-question")
        answer(fieldset, answers[uid])
        expect(fieldset.locator("[data-receipt]")).to_contain_text("Tersimpan")
        shown.append(uid)
    return shown


def take_whole_quiz(page, app) -> None:
    """On an attempt page: answer everything right (page by page for one-per-page quizzes) and submit."""
    answers = right_answers(app, attempt_id(page.url))
    while True:
        answer_page(page, answers)
        following = page.get_by_role("button", name=re.compile(r"^Simpan & lanjut →"))
        if following.count() == 0:
            break
        following.click()
        page.wait_for_load_state()
    page.get_by_role("button", name="Kirim jawaban").click()
    page.wait_for_url("**/result")


# --------------------------------------------------------------------------------------------- pages seen

# Every page a journey may open, as a pattern of its path. The accessibility scan visits one example of each;
# a journey that opens a page not listed here fails, so a new page cannot escape the scan.
PAGES = {
    "/": "public", "/login": "public", "/register": "public", "/verify/<code>": "public",
    "/dashboard": "any", "/profile": "any",
    "/learn": "consultant", "/learn/join": "consultant", "/learn/<id>": "consultant",
    "/learn/<id>/m/<slug>": "consultant", "/learn/<id>/quiz": "consultant", "/learn/<id>/quiz/<slug>": "consultant",
    "/learn/<id>/quiz/<slug>/attempt/<id>": "consultant", "/learn/<id>/quiz/<slug>/attempt/<id>/result": "consultant",
    "/checkin/<id>": "consultant", "/sessions": "consultant", "/sessions/<id>": "consultant",
    "/certificates": "consultant",
    "/trainer/courses": "trainer", "/trainer/courses/new": "trainer", "/trainer/courses/<slug>": "trainer",
    "/trainer/courses/<slug>/modules/new": "trainer", "/trainer/courses/<slug>/modules/<id>": "trainer",
    "/trainer/courses/<slug>/quizzes": "trainer", "/trainer/courses/<slug>/quizzes/new": "trainer",
    "/trainer/courses/<slug>/quizzes/<slug>/edit": "trainer", "/trainer/courses/<slug>/quizzes/import-gift": "trainer",
    "/trainer/courses/<slug>/quizzes/<slug>/stats": "trainer", "/trainer/courses/<slug>/questions": "trainer",
    "/organiser/cohorts": "organiser", "/organiser/cohorts/new": "organiser", "/organiser/cohorts/<id>": "organiser",
    "/organiser/cohorts/<id>/import": "organiser", "/organiser/attendance/cohorts/<id>/sessions": "organiser",
    "/organiser/attendance/cohorts/<id>/sessions/new": "organiser",
    "/organiser/attendance/sessions/<id>/zoom": "organiser",
    "/organiser/attendance/sessions/<id>/register": "organiser",
    "/organiser/attendance/sessions/<id>/presenter": "organiser",
    "/organiser/certificates": "organiser", "/organiser/certificates/cohorts/<id>": "organiser",
    "/organiser/certificates/<id>": "organiser", "/reports/funnel": "organiser",
}


def pattern_of(url: str) -> str:
    """/learn/12/quiz/final?x=1 -> /learn/<id>/quiz/<slug>: the PAGES key that the path matches, or the path."""
    path = re.sub(r"^https?://[^/]+", "", url).split("?")[0].split("#")[0] or "/"
    for pattern in PAGES:
        regex = "^" + re.escape(pattern).replace(re.escape("<id>"), r"\d+").replace(
            re.escape("<slug>"), r"[\w.-]+").replace(re.escape("<code>"), r"[\w-]+") + "/?$"
        if re.match(regex, path):
            return pattern
    return path


class PagesSeen:
    """Records the pages (patterns) a browser page shows during a journey."""

    def __init__(self, *pages):
        self.seen: set[str] = set()
        for page in pages:
            self.watch(page)

    def watch(self, page) -> None:
        page.on("framenavigated", lambda frame: frame == frame.page.main_frame and self.seen.add(pattern_of(frame.url)))

    def unscanned(self) -> set[str]:
        return {p for p in self.seen if p not in PAGES and not p.startswith("about:")}
