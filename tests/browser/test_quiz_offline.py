"""A consultant answers, the network drops, answers two more, reconnects: every answer is graded after submit."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from extensions import db
from quizzes.models import Attempt, AttemptAnswer
from tests.browser.conftest import no_horizontal_scroll, shot
from tests.factories import PASSWORD, make_user
from tests.test_quiz_fixtures import setup_for

pytestmark = pytest.mark.browser


def _stored(app) -> dict:
    with app.app_context():
        rows = db.session.scalars(select(AttemptAnswer)).all()
        result = {row.question_uid: row.answer for row in rows}
        db.session.remove()
        return result


def _sign_in_and_start(base, app, page):
    with app.app_context():
        trainer = make_user("pelatih@example.id", roles=("trainer",))
        consultant = make_user("sari@example.id", roles=("consultant",), full_name="Sari Konsultan")
        setup = setup_for(trainer, consultant)
        quiz_url = f"{base}/learn/{setup.cohort.id}/quiz/{setup.quiz.slug}"
        db.session.remove()
    page.goto(base + "/login")
    page.get_by_label("Email").fill("sari@example.id")
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")
    page.goto(quiz_url)
    page.get_by_role("button", name="Mulai mengerjakan").click()
    page.wait_for_url("**/attempt/*")


def test_offline_answers_are_queued_replayed_and_graded(live, page):
    base, app = live
    _sign_in_and_start(base, app, page)
    assert no_horizontal_scroll(page)
    expect(page.locator("[data-countdown]")).to_contain_text("Sisa waktu")

    single = page.locator('fieldset[data-question="q-single"]')
    single.get_by_label("BPJPH").check()
    expect(single.locator("[data-receipt]")).to_contain_text("Tersimpan")
    assert _stored(app) == {"q-single": "b"}

    page.context.set_offline(True)
    truefalse = page.locator('fieldset[data-question="q-tf"]')
    truefalse.get_by_label("Salah").check()
    numeric = page.locator('fieldset[data-question="q-num"]')
    numeric.get_by_label("Jawaban Anda").fill("1")
    numeric.get_by_label("Jawaban Anda").press("Tab")
    expect(page.locator("[data-save-status]")).to_contain_text("offline")
    expect(truefalse.locator("[data-receipt]")).to_contain_text("Menyimpan")
    assert _stored(app) == {"q-single": "b"}  # nothing reached the server
    queued = page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('bimtek-quiz-queue-'))"
                           ".map(k => JSON.parse(localStorage.getItem(k)).length)")
    assert queued == [2]
    shot(page, "quiz-offline")

    page.context.set_offline(False)
    expect(truefalse.locator("[data-receipt]")).to_contain_text("Tersimpan", timeout=10000)
    expect(numeric.locator("[data-receipt]")).to_contain_text("Tersimpan", timeout=10000)
    expect(page.locator("[data-save-status]")).to_contain_text("Semua jawaban tersimpan")
    assert _stored(app) == {"q-single": "b", "q-tf": False, "q-num": "1"}

    page.get_by_role("button", name="Kirim jawaban").click()
    page.wait_for_url("**/result")
    assert "60%" in page.content()
    assert not page.errors_seen, page.errors_seen
    shot(page, "quiz-result")
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        assert attempt.state == "submitted" and attempt.percent == 60.0
        assert {uid for uid, r in attempt.results.items() if r["correct"]} == {"q-single", "q-tf", "q-num"}
        db.session.remove()




@pytest.mark.parametrize("button", ["Kirim jawaban", "Simpan & lanjut"])
def test_a_press_while_a_save_is_in_flight_waits_for_it_then_goes_on(live, page, button):
    """The save of the last answer is still on its way when the consultant presses a form button: the press is
    honoured once the save is answered (not silently dropped), the answer is kept, and the form posts once."""
    base, app = live
    _sign_in_and_start(base, app, page)
    attempt_url = page.url

    held, slow = [], [True]  # the autosave request is let through only when the test says so (a slow network)
    page.route("**/save", lambda route: held.append(route) if slow[0] else route.continue_())
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and not r.url.endswith("/save") else None)

    single = page.locator('fieldset[data-question="q-single"]')
    single.get_by_label("BPJPH").check()
    expect(single.locator("[data-receipt]")).to_have_text("Menyimpan…")
    for _ in range(50):  # let Playwright hand the intercepted request to the handler
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1

    page.get_by_role("button", name=button).click()
    page.wait_for_timeout(400)  # the save is still pending: the press waits for it
    assert page.url == attempt_url and posts == []

    slow[0] = False
    held.pop().continue_()
    if button == "Kirim jawaban":
        page.wait_for_url("**/result", timeout=10000)
        expect(page.locator("main")).to_contain_text("Jawaban Anda sudah dikirim dan dinilai")
    else:
        expect(page.locator("main")).to_contain_text("Jawaban tersimpan.", timeout=10000)
        expect(single.get_by_label("BPJPH")).to_be_checked()
    assert len(posts) == 1, posts  # one form post: nothing double-submitted
    assert not page.errors_seen, page.errors_seen
    with app.app_context():
        attempt = db.session.scalar(select(Attempt))
        answer = db.session.scalar(select(AttemptAnswer).filter_by(question_uid="q-single"))
        assert answer is not None and answer.answer == "b"
        assert attempt.state == ("submitted" if button == "Kirim jawaban" else "open")
        if button == "Kirim jawaban":
            assert attempt.results["q-single"]["correct"]
        db.session.remove()
