"""Stored XSS in a real browser (XSS-1, XSS-2): every payload through every field a person can write, rendered by
Chromium on every page that shows it, to every role that sees it.

One setup seeds the whole corpus (tests/security_data.PAYLOADS, the sanitiser corpus plus attribute/URL/text
breakers) through the services: a consultant per payload (full name, PLUT unit, excuse reason, API token name),
a course and a cohort per payload title/name, the module body, quiz question texts and options, short answers
typed in an attempt, Zoom participant names in an imported report and participant-import cells and file name.
Each page is then opened once per role with listeners for dialogs, page errors and CSP violations, a
`window.__xss` sentinel, and a DOM scan for live handlers, inline scripts and script URLs.

Every seeded value carries a marker `x<F><NN>x` (F = field letter, NN = payload number) so the test can prove
the payloads really reached each page; the count of payloads × fields × pages is what the pages showed.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from datetime import date, timedelta

import pytest
from werkzeug.serving import make_server

from extensions import db
from tests.conftest import USING_POSTGRES, _empty_tables, _prepare_schema, build_app
from tests.factories import PASSWORD, make_course, make_user
from tests.security_data import PAYLOADS, add_quiz, finish_all_modules, make_live_session

pytestmark = pytest.mark.browser

N = len(PAYLOADS)
FIELDS = {
    "N": "full name", "U": "PLUT unit", "K": "course title", "C": "cohort name", "M": "module body (Markdown)",
    "Q": "question text", "O": "answer option", "A": "short answer typed in an attempt", "R": "excuse reason",
    "T": "API token name", "Z": "Zoom participant name", "P": "participant import cell",
}
MARKER = re.compile(r"x([A-Z])(\d{2})x")
TEXTAREA_BREAKER = PAYLOADS.index("</textarea><script>window.__xss=1</script>")
ATTRIBUTE_BREAKER = PAYLOADS.index('"><script>window.__xss=1</script>')


def one_line(text: str, limit: int) -> str:
    return " ".join(text.split("\n"))[:limit]


def mark(field: str, index: int, limit: int = 10000) -> str:
    return one_line(f"x{field}{index:02d}x {PAYLOADS[index]}", limit)


# ---------------------------------------------------------------------------------------------------------
# Seeding (services only)


def _zoom_report(session) -> bytes:
    from zoneinfo import ZoneInfo

    day = session.starts_at.astimezone(ZoneInfo("Asia/Jakarta")).date()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Name (Original Name)", "User Email", "Join Time", "Leave Time", "Duration (Minutes)", "Guest"])
    for i in range(N):
        writer.writerow([mark("Z", i, 190), "", f"{day:%m/%d/%Y} 09:01:00 AM", f"{day:%m/%d/%Y} 10:30:00 AM", "89",
                         "Yes"])
    return out.getvalue().encode()


def module_bodies() -> list[str]:
    """The payloads as Markdown, as few modules as possible: a payload that opens a raw-text element (an
    unclosed <style>, <xmp>, a comment) makes the sanitiser drop what follows it, so a module ends there."""
    from courses.rendering import render_markdown

    bodies, current = [], []
    for i, payload in enumerate(PAYLOADS):
        current.append(f"xM{i:02d}x\n\n{payload}")
        if "xM99x" not in render_markdown("\n\n".join([*current, "xM99x"])):
            bodies.append("\n\n".join(current))
            current = []
    if current:
        bodies.append("\n\n".join(current))
    return bodies


def seed() -> dict:
    from accounts import audit, tokens
    from attendance import excuses, zoom_import
    from certificates import issuing
    from certificates import services as certificates
    from courses import enrolment
    from courses import services as courses
    from quizzes import attempts

    trainer = make_user("pelatih@xss.example.id", roles=("trainer",), full_name="Pelatih Uji")
    organiser = make_user("penyelenggara@xss.example.id", roles=("organiser",), full_name="Penyelenggara Uji")
    make_user("admin@xss.example.id", roles=("admin",), full_name="Admin Uji")

    course = make_course(trainer, title="xK99x Kursus \"><script>window.__xss=1</script>", slug="kursus-xss",
                         modules=0, publish=False)
    course.completion = {"modules": "all"}
    bodies = module_bodies()
    for number, body in enumerate(bodies, start=1):
        module = courses.save_module(course, None, title=f"Modul {number} <i onclick=alert(1)>x</i>",
                                     slug=f"modul-{number}", body_md=body)
    courses.publish(course, trainer, "Terbitan uji")
    module = course.modules[0]
    db.session.commit()
    for i in range(N):  # a course per title payload
        courses.create_course(trainer, title=mark("K", i, 200), slug=f"xss-{i:02d}")
    cohort = enrolment.create_cohort(course, name="xC99x \"><img src=x onerror=window.__xss=1>",
                                     starts_on=date.today() - timedelta(days=1), ends_on=date.today() + timedelta(5))
    for i in range(N):  # a cohort per name payload
        enrolment.create_cohort(course, name=mark("C", i, 200), starts_on=date.today(),
                                ends_on=date.today() + timedelta(days=5))
    db.session.commit()

    session = make_live_session(cohort, organiser, title="Sesi <script>window.__xss=1</script>")
    people = []
    for i in range(N):
        user = make_user(f"p{i:02d}@xss.example.id", full_name=mark("N", i, 120), plut_unit=mark("U", i, 120),
                         province="Bali" if i % 2 else "Jawa Barat", commit=False)
        record, _ = enrolment.enrol(user, cohort)
        people.append((user, record))
    db.session.commit()
    viewer, viewer_enrolment = people[0]
    for i, (user, _record) in enumerate(people):
        excuses.submit(session, user, f"xR{i:02d}x {PAYLOADS[i]}")
        owner = viewer if i < tokens.MAX_TOKENS else user  # the viewer's token page shows ten of them
        token, _ = tokens.create_token(owner, mark("T", i, 60))
        audit.record("api_token.created", "api_token", token.id, summary=token.name, actor_id=owner.id)
    db.session.commit()
    zoom_import.import_report(session, _zoom_report(session), "zoom <img src=x onerror=alert(1)>.csv", organiser)
    db.session.commit()

    spec = {"slug": "kuis-xss", "title": "Kuis <b onmouseover=alert(1)>XSS</b>", "kind": "module",
            "module": "modul-1", "attempts_allowed": 0,
            "review": {"when": "immediately", "show": ["score", "correctness", "answers", "feedback"]},
            "questions": []}
    for i, payload in enumerate(PAYLOADS):
        spec["questions"].append({
            "id": f"q-s{i:02d}", "type": "single", "text": f"xQ{i:02d}x\n\n{payload}",
            "options": [{"text": mark("O", i), "feedback": payload}, {"text": f"aman {i}", "correct": True}],
            "explanation": f"penjelasan {payload}", "source": "uji"})
        spec["questions"].append({"id": f"q-i{i:02d}", "type": "short", "text": f"Isian {i}", "accepted": ["aman"],
                                  "explanation": "x", "source": "uji"})
    quiz = add_quiz(course, trainer, spec)
    attempt, _ = attempts.start_attempt(viewer_enrolment, quiz)
    for seq, uid in enumerate(attempt.plan["questions"], start=1):
        kind = attempts.question_versions(attempt)[uid].data["type"]
        index = int(uid[-2:])
        attempts.save_answer(attempt, uid, 0 if kind == "single" else mark("A", index, 200), seq)
    attempts.submit_attempt(attempt)
    db.session.commit()

    for _, record in people:
        finish_all_modules(record)
    issuing.bulk_issue(cohort, by=organiser)
    db.session.commit()
    for user, _ in people:
        certificates.set_listing(user, True)
    db.session.commit()
    viewer_cert = certificates.user_certificates(viewer)[0]
    from quizzes.services import question_by_uid

    return {
        "course": course.slug, "cohort": cohort.id, "session": session.id, "quiz": quiz.slug,
        "attempt": attempt.id, "module": module.id, "viewer": viewer.email, "viewer_id": viewer.id,
        "modules": len(bodies), "module_ids": [m.id for m in course.modules],
        "question": question_by_uid(course, "q-s04").id,
        "question_textarea": question_by_uid(course, f"q-s{TEXTAREA_BREAKER:02d}").id,
        "excuse": excuses.latest_excuse(session, people[1][0]).id, "cert": viewer_cert.id,
        "code": viewer_cert.code, "person": people[1][0].id,
    }


# ---------------------------------------------------------------------------------------------------------
# The site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xss")
    overrides = {"SERVER_NAME": None, "INSTANCE_DIR": str(tmp)}
    if not USING_POSTGRES:
        overrides.update(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp / 'xss.db'}", SQLALCHEMY_ENGINE_OPTIONS={})
    app = build_app(**overrides)
    app.instance_path = str(tmp)
    with app.app_context():
        _prepare_schema()
        ids = seed()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", ids, tmp
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


SENTINEL = "window.__xss = undefined;"
DOM_SCAN = """() => {
  const bad = [];
  for (const s of document.querySelectorAll('script')) if (!s.getAttribute('src')) bad.push('inline <script>');
  for (const tag of ['iframe', 'object', 'embed', 'base', 'frame', 'meta[http-equiv]', 'svg script', 'math'])
    for (const el of document.querySelectorAll(tag)) bad.push('<' + tag + '>');
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const value = a.value.replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (a.name.startsWith('on')) bad.push(el.tagName + ' ' + a.name);
      if (a.name === 'srcdoc' || a.name === 'formaction') bad.push(el.tagName + ' ' + a.name);
      if (['href', 'src', 'action', 'xlink:href', 'data', 'background', 'poster'].includes(a.name)
          && /^(javascript|vbscript|data:text|data:image\\/svg)/.test(value)) bad.push(el.tagName + ' ' + a.name);
    }
  }
  return bad;
}"""


class Visitor:
    """One signed-in browser context per role; every visit is checked and its markers counted."""

    def __init__(self, browser, base: str, email: str | None):
        self.base = base
        self.context = browser.new_context(locale="id-ID")
        self.context.add_init_script(SENTINEL)
        self.page = self.context.new_page()
        self.events: list[str] = []
        self.page.on("dialog", lambda d: (self.events.append(f"dialog {d.type}: {d.message}"), d.dismiss()))
        self.page.on("pageerror", lambda e: self.events.append(f"pageerror: {e}"))
        self.page.on("console", self._console)
        if email:
            self.page.goto(base + "/login")
            self.page.get_by_label("Email").fill(email)
            self.page.get_by_label("Kata sandi").fill(PASSWORD)
            self.page.get_by_role("button", name="Masuk").click()
            self.page.wait_for_url("**/dashboard")

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Refused to" in text:
            self.events.append(f"csp: {text[:200]}")

    def check(self, path: str | None = None) -> dict[str, set[int]]:
        """Open `path` (or check the current page); fail on any sign of execution; return the markers seen."""
        if path is not None:
            response = self.page.goto(self.base + path, wait_until="load")
            assert response is not None and response.status < 400, f"{path}: {response and response.status}"
        self.page.wait_for_timeout(30)
        where = path or self.page.url
        assert self.events == [], f"{where}: {self.events}"
        assert self.page.evaluate("() => window.__xss") is None, f"{where}: window.__xss was set"
        assert self.page.evaluate(DOM_SCAN) == [], where
        seen: dict[str, set[int]] = {}
        text = self.page.evaluate("() => document.documentElement.innerText + ' ' + "
                                  "[...document.querySelectorAll('input,textarea,option')]"
                                  ".map(e => e.value || e.textContent).join(' ')")
        for field, number in MARKER.findall(text):
            seen.setdefault(field, set()).add(int(number))
        return seen

    def close(self) -> None:
        self.context.close()


def _pages(count: int, per_page: int) -> list[str]:
    return [f"page={n}" for n in range(1, -(-count // per_page) + 1)]


def visits(ids: dict) -> dict[str, list[tuple[str, str]]]:
    """role -> [(path, fields the page must show)]."""
    c, s, course, q = ids["cohort"], ids["session"], ids["course"], ids["quiz"]
    learn = f"/learn/{c}"
    result = f"{learn}/quiz/{q}/attempt/{ids['attempt']}/result"
    return {
        "consultant": [
            ("/dashboard", "KC"), ("/profile", "NU"), ("/profile/tokens", "T"), ("/learn", "KC"),
            (learn, "KC"), *[(f"{learn}/m/modul-{n}", "M") for n in range(1, ids["modules"] + 1)],
            (f"{learn}/quiz", ""), (f"{learn}/quiz/{q}", ""),
            (result, "QOA"), (f"/sessions/{s}", ""), (f"/sessions/{s}/excuse", ""), ("/certificates", "KC"),
            ("/record", "KC"), ("/sessions?show=all", ""),
        ],
        "anonymous": [
            (f"/verify/{ids['code']}", "NKC"),
            *[(f"/registry?{p}", "NU") for p in _pages(N, 25)],
        ],
        "trainer": [
            *[(f"/trainer/courses?{p}", "K") for p in _pages(N, 1000)],
            (f"/trainer/courses/{course}", "K"), (f"/trainer/courses/{course}/edit", "K"),
            (f"/trainer/courses/xss-{ATTRIBUTE_BREAKER:02d}/edit", "K"),
            *[(f"/trainer/courses/{course}/modules/{m}", "M") for m in ids["module_ids"]],
            (f"/trainer/courses/{course}/questions", "Q"),
            (f"/trainer/courses/{course}/questions/{ids['question']}", "QO"),
            (f"/trainer/courses/{course}/questions/{ids['question_textarea']}/edit", "QO"),
            (f"/trainer/courses/{course}/quizzes", ""), (f"/trainer/courses/{course}/quizzes/{q}/stats", "QO"),
            ("/teaching", "C"), ("/insight/quizzes", "K"),
            *[(f"/organiser/cohorts/{c}/progress?{p}", "NU") for p in _pages(N, 50)],
        ],
        "organiser": [
            *[(f"/organiser/cohorts?{p}", "C") for p in _pages(N + 1, 25)],
            (f"/organiser/cohorts/{c}", "K"), ("/organiser/cohorts/new", "K"), (f"/organiser/cohorts/{c}/edit", ""),
            *[(f"/organiser/attendance/?{p}", "C") for p in _pages(N + 1, 25)],
            *[(f"/organiser/attendance/sessions/{s}/register?{p}", "NU") for p in _pages(N, 50)],
            *[(f"/organiser/attendance/cohorts/{c}/register?{p}", "N") for p in _pages(N, 50)],
            *[(f"/organiser/attendance/excuses?{p}", "RN") for p in _pages(N, 25)],
            (f"/organiser/attendance/excuses/{ids['excuse']}", "RN"),
            (f"/organiser/attendance/sessions/{s}/people/{ids['person']}", "N"),
            *[(f"/organiser/attendance/sessions/{s}/zoom?{p}", "Z") for p in _pages(N, 25)],
            *[(f"/organiser/certificates?{p}", "C") for p in _pages(N + 1, 25)],
            *[(f"/organiser/certificates/cohorts/{c}?{p}", "N") for p in _pages(N, 25)],
            (f"/organiser/certificates/{ids['cert']}", "NKC"), ("/organiser/certificates?q=xN", "N"),
            *[(f"/reports/funnel?by=plut&{p}", "U") for p in _pages(N + 1, 40)], ("/reports/funnel", "C"),
            *[(f"/reports/audit?action=api_token&{p}", "T") for p in _pages(N, 50)],
            *[(f"/reports/audit?action=cohort&{p}", "C") for p in _pages(N + 1, 50)],
            (f"/reports/cohort/{c}/learning", "C"), (f"/reports/cohort/{c}/attendance", "C"),
            ("/insight/quizzes", "K"), (f"/trainer/courses/{course}/quizzes/{q}/stats", "QO"),
        ],
        "admin": [
            *[(f"/admin/users?{p}", "N") for p in _pages(N + 3, 25)], (f"/admin/users/{ids['person']}", "N"),
            ("/admin/users?q=xN0", "N"),
        ],
    }


LOGINS = {"consultant": "viewer", "trainer": "pelatih@xss.example.id", "organiser": "penyelenggara@xss.example.id",
          "admin": "admin@xss.example.id", "anonymous": None}


def _visit_all(browser, base, ids, role) -> tuple[int, int, dict[str, set[int]]]:
    email = ids["viewer"] if LOGINS[role] == "viewer" else LOGINS[role]
    visitor = Visitor(browser, base, email)
    shown_total, checked = 0, 0
    union: dict[str, set[int]] = {}
    try:
        for path, fields in visits(ids)[role]:
            seen = visitor.check(path)
            checked += 1
            for field in fields:
                assert seen.get(field), f"{path}: no {FIELDS[field]} payload reached the page (seeding broken?)"
            for field, numbers in seen.items():
                union.setdefault(field, set()).update(numbers)
            shown_total += sum(len(numbers) for field, numbers in seen.items() if field in FIELDS)
    finally:
        visitor.close()
    return checked, shown_total, union


# fields whose every payload this role can see (a consultant sees only their own name, excuse and course)
COMPLETE = {"consultant": "MQOA", "anonymous": "NU", "trainer": "KMQONU", "organiser": "CNURZT", "admin": "N"}


@pytest.mark.parametrize("role", ["consultant", "anonymous", "trainer", "organiser", "admin"])
def test_no_payload_executes_for(site, browser, role):
    base, ids, _ = site
    checked, shown, union = _visit_all(browser, base, ids, role)
    print(f"\n{role}: {checked} pages, {shown} payload renderings (payload × field × page)")
    # every payload of the fields this role sees in full reached at least one of its pages
    for field in COMPLETE[role]:
        missing = set(range(N)) - union.get(field, set())
        assert not missing, f"{FIELDS[field]}: payloads {sorted(missing)[:10]} never shown to {role}"


def test_participant_import_preview_with_hostile_cells_and_file_name(site, browser, tmp_path):
    """The organiser uploads a CSV whose cells (and file name) are payloads; the preview renders them inert."""
    base, ids, _ = site
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["nama", "email", "telepon", "provinsi", "unit plut"])
    for i in range(N):
        writer.writerow([mark("P", i, 120), f"baru{i}@xss.example.id" if i % 3 else one_line(PAYLOADS[i], 80),
                         one_line(PAYLOADS[i], 25), one_line(PAYLOADS[i], 40), mark("P", i, 120)])
    path = tmp_path / "peserta <img src=x onerror=alert(1)> '\";.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    visitor = Visitor(browser, base, LOGINS["organiser"])
    try:
        visitor.page.goto(f"{base}/organiser/cohorts/{ids['cohort']}/import")
        visitor.page.set_input_files("input[type=file]", str(path))
        visitor.page.get_by_role("button", name="Lihat pratinjau").click()
        visitor.page.wait_for_load_state("load")
        seen = visitor.check()
    finally:
        visitor.close()
    assert set(range(N)) <= seen.get("P", set()), "the preview did not list every row"
    print(f"\nparticipant import: {N} payloads × 2 cells shown on the preview")


def test_corpus_size():
    assert N >= 70 and len(FIELDS) == 12


def test_certificate_documents_with_hostile_names_render(site, browser):
    """The PDF (and the organiser's ZIP of every PDF) are built from payload names and titles without failing."""
    base, ids, _ = site
    consultant = Visitor(browser, base, ids["viewer"])
    organiser = Visitor(browser, base, LOGINS["organiser"])
    try:
        pdf = consultant.page.request.get(f"{base}/certificates/{ids['cert']}/pdf")
        assert pdf.status == 200 and pdf.body().startswith(b"%PDF-")
        assert pdf.headers["content-disposition"].startswith("attachment")
        credential = consultant.page.request.get(f"{base}/certificates/{ids['cert']}/credential")
        assert credential.status == 200 and credential.json()["credentialSubject"]
        bundle = organiser.page.request.get(f"{base}/organiser/certificates/cohorts/{ids['cohort']}/certificates.zip")
        assert bundle.status == 200 and bundle.body()[:2] == b"PK"
    finally:
        consultant.close()
        organiser.close()


def test_the_detector_sees_a_live_payload(site, browser):
    """The checks are not vacuous: markup that does execute (no CSP on set_content) is caught each way."""
    base, _, _ = site
    visitor = Visitor(browser, base, None)
    try:
        for html, expected in (("<script>alert(1)</script>", "dialog"), ("<img src=x onerror=window.__xss=1>", "__xss"),
                               ("<b onmouseover=alert(1)>x</b>", "onmouseover")):
            visitor.events.clear()
            visitor.page.evaluate("() => { window.__xss = undefined; }")
            visitor.page.set_content(html)
            with pytest.raises(AssertionError) as caught:
                visitor.check()
            assert expected in str(caught.value), (html, str(caught.value))
        visitor.events.clear()
        # on the real site the CSP blocks an inline script, and the violation is reported
        visitor.page.goto(base + "/")
        visitor.page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'x=1';"
                              " document.body.append(s); }")
        visitor.page.wait_for_timeout(100)
        assert any(e.startswith("csp:") for e in visitor.events), visitor.events
    finally:
        visitor.close()
