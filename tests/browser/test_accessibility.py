"""Accessibility: axe-core on every page the journeys open, a quiz done with the keyboard only, announced form errors.

axe-core comes bundled with axe-playwright-python (no network at run time). A page passes when axe reports no
violation of impact "serious" or "critical"; the scan list is journey_steps.PAGES, the same list the journeys check
their pages against, so a page a journey opens cannot escape the scan.
"""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.base import AXE_SCRIPT
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.journey_steps import (
    COURSE_SLUG,
    MODULE_QUIZ,
    PAGES,
    checkin_link,
    finish_learning,
    live_session,
    open_cohort,
    pattern_of,
    right_answers,
    serve,
    sign_in,
    sit_quiz,
    zoom_report,
)
from tests.factories import enrol, make_user

pytestmark = pytest.mark.browser
BLOCKING = ("serious", "critical")
# At the phone's width the rules whose outcome depends on the layout run again (the HTML is the same on every
# screen and no media query changes a colour): scroll boxes that appear, and the size of touch targets.
LAYOUT_RULES = ["scrollable-region-focusable", "target-size", "meta-viewport"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from serve(tmp_path_factory)


@pytest.fixture(scope="module")
def world(server):
    """Everything the scanned pages need: a consultant part-way through, a certificate, sessions, a Zoom report."""
    from attendance import registers, zoom_import
    from attendance.models import LiveSession
    from certificates import issuing
    from courses.models import Cohort, Enrolment, Module
    from quizzes import attempts
    from quizzes.services import get_quiz

    app = server.app
    ids: dict = {}
    ids["cohort"], _ = open_cohort(app, server.course_id, name="Angkatan Ambon")
    ids["session"] = live_session(app, ids["cohort"], title="Diskusi kasus kerupuk", start_minutes_ago=30)
    with app.app_context():
        organiser = make_user("penyelenggara@example.id", roles=("organiser",), full_name="Bu Penyelenggara")
        sari = make_user("sari@example.id", full_name="Sari Konsultan", province="Maluku", plut_unit="PLUT Ambon")
        budi = make_user("budi@example.id", full_name="Budi Santoso", province="Maluku", plut_unit="PLUT Ambon")
        cohort = db.session.get(Cohort, ids["cohort"])
        enrol(budi, cohort)
        ids["enrolment"], ids["organiser"] = enrol(sari, cohort).id, organiser.id
        session = db.session.get(LiveSession, ids["session"])
        registers.set_status(session, sari.id, "present", source="checkin", actor_id=sari.id, reason="check-in")
        db.session.commit()
    finish_learning(app, ids["cohort"], ["sari@example.id"])
    with app.app_context():
        certificate = issuing.issue(db.session.get(Enrolment, ids["enrolment"]), by=None, mode="auto")
        db.session.commit()
        ids["cert"], ids["code"] = certificate.id, certificate.code
    # a session running now, for the check-in page (created after the certificate: it would lower attendance)
    ids["open_session"] = live_session(app, ids["cohort"], title="Simulasi kunjungan lapangan")
    with app.app_context():
        enrolment = db.session.get(Enrolment, ids["enrolment"])
        course = enrolment.cohort.course
        sit_quiz(enrolment, get_quiz(course, "pretest"))
        ids["attempt"] = attempts.start_attempt(enrolment, get_quiz(course, MODULE_QUIZ))[0].id
        session = db.session.get(LiveSession, ids["session"])
        start = session.starts_at.astimezone(ZoneInfo(session.timezone)).replace(tzinfo=None)
        report = zoom_report([("Sari Konsultan", "sari@example.id", start, start + timedelta(minutes=90)),
                              ("HP Budi", "", start + timedelta(minutes=3), start + timedelta(minutes=80))])
        organiser = db.session.get(type(enrolment.user), ids["organiser"])
        zoom_import.import_report(session, report.encode(), "participants.csv", organiser)
        db.session.commit()
        ids["pretest"] = sari_attempt(enrolment, "pretest")
        ids["module"] = db.session.scalar(select(Module.id).where(Module.course_id == course.id,
                                                                  Module.slug == "ekosistem"))
        db.session.remove()
    return ids


def sari_attempt(enrolment, quiz_slug: str) -> int:
    from quizzes.models import Attempt, Quiz

    return db.session.scalar(select(Attempt.id).join(Quiz, Quiz.id == Attempt.quiz_id)
                             .where(Attempt.enrolment_id == enrolment.id, Quiz.slug == quiz_slug))


def _examples(server, ids: dict) -> dict[str, tuple[str, str]]:
    """pattern -> (who opens it, an example URL); one per journey_steps.PAGES entry."""
    course = f"/trainer/courses/{COURSE_SLUG}"
    learn = f"/learn/{ids['cohort']}"
    urls = {
        "/": "/", "/login": "/login", "/register": "/register", "/verify/<code>": f"/verify/{ids['code']}",
        "/dashboard": "/dashboard", "/profile": "/profile",
        "/learn": "/learn", "/learn/join": "/learn/join", "/learn/<id>": learn,
        "/learn/<id>/m/<slug>": f"{learn}/m/ekosistem", "/learn/<id>/quiz": f"{learn}/quiz",
        "/learn/<id>/quiz/<slug>": f"{learn}/quiz/{MODULE_QUIZ}",
        "/learn/<id>/quiz/<slug>/attempt/<id>": f"{learn}/quiz/{MODULE_QUIZ}/attempt/{ids['attempt']}",
        "/learn/<id>/quiz/<slug>/attempt/<id>/result": f"{learn}/quiz/pretest/attempt/{ids['pretest']}/result",
        "/checkin/<id>": checkin_link(server.app, "", ids["open_session"]), "/sessions": "/sessions",
        "/sessions/<id>": f"/sessions/{ids['session']}", "/certificates": "/certificates",
        "/trainer/courses": "/trainer/courses", "/trainer/courses/new": "/trainer/courses/new",
        "/trainer/courses/<slug>": course, "/trainer/courses/<slug>/modules/new": f"{course}/modules/new",
        "/trainer/courses/<slug>/modules/<id>": f"{course}/modules/{ids['module']}",
        "/trainer/courses/<slug>/quizzes": f"{course}/quizzes",
        "/trainer/courses/<slug>/quizzes/new": f"{course}/quizzes/new",
        "/trainer/courses/<slug>/quizzes/<slug>/edit": f"{course}/quizzes/final/edit",
        "/trainer/courses/<slug>/quizzes/import-gift": f"{course}/quizzes/import-gift",
        "/trainer/courses/<slug>/quizzes/<slug>/stats": f"{course}/quizzes/{MODULE_QUIZ}/stats",
        "/trainer/courses/<slug>/questions": f"{course}/questions",
        "/organiser/cohorts": "/organiser/cohorts", "/organiser/cohorts/new": "/organiser/cohorts/new",
        "/organiser/cohorts/<id>": f"/organiser/cohorts/{ids['cohort']}",
        "/organiser/cohorts/<id>/import": f"/organiser/cohorts/{ids['cohort']}/import",
        "/organiser/attendance/cohorts/<id>/sessions": f"/organiser/attendance/cohorts/{ids['cohort']}/sessions",
        "/organiser/attendance/cohorts/<id>/sessions/new":
            f"/organiser/attendance/cohorts/{ids['cohort']}/sessions/new",
        "/organiser/attendance/sessions/<id>/zoom": f"/organiser/attendance/sessions/{ids['session']}/zoom",
        "/organiser/attendance/sessions/<id>/register": f"/organiser/attendance/sessions/{ids['session']}/register",
        "/organiser/attendance/sessions/<id>/presenter":
            f"/organiser/attendance/sessions/{ids['session']}/presenter",
        "/organiser/certificates": "/organiser/certificates",
        "/organiser/certificates/cohorts/<id>": f"/organiser/certificates/cohorts/{ids['cohort']}",
        "/organiser/certificates/<id>": f"/organiser/certificates/{ids['cert']}", "/reports/funnel": "/reports/funnel",
    }
    assert set(urls) == set(PAGES), "every page the journeys may open has an example here"
    for pattern, url in urls.items():
        assert pattern_of(url) == pattern, (pattern, url)
    return {pattern: (PAGES[pattern], url) for pattern, url in urls.items()}


SIGN_IN = {"consultant": "sari@example.id", "trainer": "pelatih@example.id", "organiser": "penyelenggara@example.id"}


def _context(browser, phone: bool = False):
    """A browser context whose pages carry axe-core (bundled with axe-playwright-python; nothing is fetched)."""
    context = browser.new_context(viewport=PHONE if phone else DESKTOP, locale="id-ID", is_mobile=phone,
                                  has_touch=phone)
    context.add_init_script(script=AXE_SCRIPT)
    return context


def _blocking(page, rules: list[str] | None = None) -> list[str]:
    """The serious and critical axe violations of the page, one readable line each."""
    options = {"resultTypes": ["violations"]}
    if rules:
        options["runOnly"] = {"type": "rule", "values": rules}
    results = page.evaluate("options => axe.run(document, options)", options)
    return [f"{page.url}: {v['id']} ({v['impact']}) {v['help']}: "
            + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
            for v in results["violations"] if v["impact"] in BLOCKING]


@pytest.mark.parametrize("role", ["public", "consultant", "trainer", "organiser"])
def test_no_serious_or_critical_axe_violation_on_any_journey_page(server, world, browser, role):
    """Each page once: every axe rule at desktop width, then the layout rules again at the phone's 360 px."""
    examples = _examples(server, world)
    context = _context(browser)
    page = context.new_page()
    if role != "public":
        sign_in(page, server.base, SIGN_IN[role])
    wanted = [url for who, url in examples.values() if who == role or (who == "any" and role != "public")]
    problems: list[str] = []
    for url in wanted:
        response = page.goto(server.base + url)
        assert response.ok, (url, response.status)
        problems += _blocking(page)
        page.set_viewport_size(PHONE)
        problems += [f"[360 px] {line}" for line in _blocking(page, LAYOUT_RULES)]
        page.set_viewport_size(DESKTOP)
    context.close()
    assert wanted and problems == [], "\n".join(problems)


def test_the_scan_covers_every_page_the_journeys_open(server, world):
    examples = _examples(server, world)
    roles = {who for who, _ in examples.values()}
    assert roles <= {"public", "any", "consultant", "trainer", "organiser"}
    assert len(examples) == len(PAGES)


def _tab_to(page, target, limit: int = 80) -> None:
    """Press Tab until `target` has the focus."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {target}")


def test_a_quiz_can_be_done_with_the_keyboard_only(server, world, browser):
    app = server.app
    with app.app_context():
        from courses.models import Cohort

        enrol(make_user("keyboard@example.id", full_name="Tika Keyboard"), db.session.get(Cohort, world["cohort"]))
    context = browser.new_context(viewport=DESKTOP, locale="id-ID")
    page = context.new_page()
    sign_in(page, server.base, "keyboard@example.id")
    page.goto(f"{server.base}/learn/{world['cohort']}/quiz/{MODULE_QUIZ}")

    # the first Tab reaches the skip link, which moves the focus to the main content
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Langsung ke isi")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    _tab_to(page, page.get_by_role("button", name="Mulai mengerjakan"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/attempt/*")
    answers = right_answers(app, int(re.search(r"/attempt/(\d+)", page.url).group(1)))
    for fieldset in page.locator("fieldset[data-question]").all():
        uid = fieldset.get_attribute("data-question")
        options = fieldset.locator(f"input[name='q-{uid}']")
        _tab_to(page, options.first)  # Tab enters a radio group on its first option
        assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none", \
            "the focused option shows a focus ring"
        wanted = answers[uid]
        position = {"true": 0, "false": 1}.get(wanted, wanted)
        page.keyboard.press("Space")  # choose the focused option ...
        for _ in range(int(position)):
            page.keyboard.press("ArrowDown")  # ... then move the choice along the group
        expect(options.nth(int(position))).to_be_checked()
        expect(fieldset.locator("[data-receipt]")).to_contain_text("Tersimpan")
    _tab_to(page, page.get_by_role("button", name="Kirim jawaban"))
    page.keyboard.press("Enter")
    page.wait_for_url("**/result")
    expect(page.get_by_text("100%").first).to_be_visible()
    context.close()


def _described_by(field) -> str:
    ids = (field.get_attribute("aria-describedby") or "").split()
    return " ".join(field.page.locator(f"#{i}").inner_text() for i in ids)


def test_form_errors_are_announced_and_tied_to_their_fields(server, browser):
    context = _context(browser, phone=True)
    page = context.new_page()
    page.goto(server.base + "/register")
    page.get_by_label("Email").fill("bukan-email")
    page.get_by_label("Kata sandi", exact=True).fill("password")
    page.get_by_label("Ulangi kata sandi").fill("lain")
    page.get_by_role("button", name="Buat akun").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Periksa kembali isian berikut")
    for label in ("Nama lengkap", "Email", "Provinsi"):
        field = page.get_by_label(label, exact=True)
        expect(field).to_have_attribute("aria-invalid", "true")
        error = page.locator(f"#{field.get_attribute('id')}-error")
        expect(error).to_be_visible()
        assert error.inner_text().strip() and error.inner_text() in _described_by(field)
        # each summary entry links to its field
        link = summary.locator(f"a[href='#{field.get_attribute('id')}']")
        expect(link).to_have_count(1)
    summary.locator("a[href='#email']").click()
    expect(page.get_by_label("Email", exact=True)).to_be_focused()
    assert _blocking(page) == []

    # a rule broken on the server (a wrong enrolment code) is announced the same way
    with server.app.app_context():
        make_user("errors@example.id")
    sign_in(page, server.base, "errors@example.id")
    page.goto(server.base + "/learn/join")
    page.get_by_label("Kode pendaftaran").fill("SALAH1")
    page.get_by_role("button", name="Gabung").click()
    expect(page.get_by_role("alert")).to_be_visible()
    code = page.get_by_label("Kode pendaftaran")
    expect(code).to_have_attribute("aria-invalid", "true")
    assert page.locator("#code-error").inner_text() in _described_by(code)
    context.close()

