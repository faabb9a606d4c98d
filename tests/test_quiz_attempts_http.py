"""Attempts over HTTP: pages and saves without answer keys, forms, JSON errors, stale tabs, deadlines, review."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from accounts.models import utcnow
from courses.requirements import what_remains
from extensions import db
from quizzes import attempts, results, windows
from quizzes.models import Attempt, AttemptAnswer
from tests.factories import enrol
from tests.test_quiz_fixtures import (
    QUIZ_YAML,
    SECRETS,
    answer_all,
    display_answer,
    quiz_url,
    save_json,
    setup_for,
    start_via_client,
    stored_answers,
)


@pytest.fixture
def qs(trainer, consultant):
    """A course with a module quiz of every question type and an enrolled consultant."""
    return setup_for(trainer, consultant)


# ---------------------------------------------------------------------------------------------------------
# Through the browser's eyes (HTTP)


def test_attempt_page_and_saves_never_carry_answer_keys(qs, consultant, login_as):
    client = login_as(consultant)
    attempt_id = start_via_client(client, qs)
    page = client.get(quiz_url(qs, f"/attempt/{attempt_id}"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Lembaga mana yang menerbitkan" in html
    for secret in SECRETS:
        assert secret not in html
    assert "correct" not in html.lower() and "BPJPH" in html
    attempt = db.session.get(Attempt, attempt_id)
    response = save_json(client, qs, attempt_id, {"question": "q-single",
                                                  "answer": display_answer(attempt, "q-single"), "seq": 1})
    assert response.status_code == 200 and response.json["status"] == "saved"
    body = response.get_data(as_text=True)
    assert not any(secret in body for secret in SECRETS) and "fraction" not in body and "correct" not in body
    reload = client.get(quiz_url(qs, f"/attempt/{attempt_id}")).get_data(as_text=True)
    assert "checked" in reload and not any(secret in reload for secret in SECRETS)


def test_plain_form_save_then_submit_then_review(qs, consultant, login_as):
    client = login_as(consultant)
    attempt_id = start_via_client(client, qs)
    attempt = db.session.get(Attempt, attempt_id)
    form = {"shown": attempt.plan["questions"], "q-q-single": str(display_answer(attempt, "q-single")),
            "q-q-multi": [str(p) for p in display_answer(attempt, "q-multi")], "q-q-tf": "false",
            "q-q-short": " LEMBAGA pendamping ", "q-q-num": "1,0"}
    form.update({f"seq-{uid}": "1" for uid in attempt.plan["questions"]})
    response = client.post(quiz_url(qs, f"/attempt/{attempt_id}"), data=form)
    assert response.status_code == 302
    assert len(stored_answers(attempt)) == 5
    result = client.post(quiz_url(qs, f"/attempt/{attempt_id}/submit"), data={}, follow_redirects=True)
    html = result.get_data(as_text=True)
    assert "100%" in html and "Lulus" in html and "RAHASIA-PENJELASAN-1" in html and "RAHASIA-UMPAN-BPJPH" in html
    assert "RAHASIA-UMPAN-MUI" not in html  # feedback only for the option chosen
    with client.application.test_request_context():
        remains = what_remains(qs.enrolment)
    quiz_item = next(r for r in remains if r.kind == "quiz")
    assert quiz_item.met and quiz_item.evidence["percent"] == 100.0


def test_form_keeps_good_answers_and_reports_a_non_number(qs, consultant, login_as):
    client = login_as(consultant)
    attempt_id = start_via_client(client, qs)
    data = {"shown": ["q-num", "q-tf"], "q-q-num": "dua", "q-q-tf": "false", "seq-q-num": "1", "seq-q-tf": "1"}
    response = client.post(quiz_url(qs, f"/attempt/{attempt_id}"), data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Masukkan angka" in html and 'value="dua"' in html
    assert stored_answers(db.session.get(Attempt, attempt_id)) == {"q-tf": False}


def test_json_save_rejects_bad_payloads_with_clear_errors(qs, consultant, login_as):
    client = login_as(consultant)
    attempt_id = start_via_client(client, qs)
    url = quiz_url(qs, f"/attempt/{attempt_id}/save")
    big = client.post(url, data='{"question": "q-short", "answer": "' + "x" * 20000 + '", "seq": 1}',
                      content_type="application/json")
    assert big.status_code == 413 and big.json["error"]["code"] == "payload_too_large"
    broken = client.post(url, data="{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json["error"]["code"] == "payload_malformed"
    assert client.post(url, json=[1, 2]).status_code == 400
    assert client.post(url, json={"question": "q-num", "answer": "1", "seq": 1, "x": 1}).status_code == 400
    assert client.post(url, data={"question": "q-num"}).status_code == 400  # a form post is not JSON
    outside = save_json(client, qs, attempt_id, {"question": "q-lain", "answer": "1", "seq": 1})
    assert outside.status_code == 422 and outside.json["error"]["code"] == "question_not_in_attempt"
    other_option = save_json(client, qs, attempt_id, {"question": "q-single", "answer": 4, "seq": 1})
    assert other_option.status_code == 422 and other_option.json["error"]["code"] == "option_unknown"
    text = save_json(client, qs, attempt_id, {"question": "q-num", "answer": "sebelas", "seq": 1})
    assert text.status_code == 422 and "angka" in text.json["error"]["message"]
    assert stored_answers(db.session.get(Attempt, attempt_id)) == {}


def test_someone_elses_attempt_or_cohort_is_not_found(qs, consultant, other_consultant, login_as):
    client = login_as(consultant)
    attempt_id = start_via_client(client, qs)
    client.post("/logout")
    login_as(other_consultant)
    assert client.get(quiz_url(qs)).status_code == 404  # not enrolled
    enrol(other_consultant, qs.cohort)
    assert client.get(quiz_url(qs, f"/attempt/{attempt_id}")).status_code == 404
    assert save_json(client, qs, attempt_id, {"question": "q-num", "answer": "1", "seq": 1}).status_code == 404
    assert client.post(quiz_url(qs, f"/attempt/{attempt_id}/submit")).status_code == 404


def test_double_submit_over_http_gives_one_result(qs, consultant, login_as):
    client = login_as(consultant)
    attempt_id = start_via_client(client, qs)
    save_json(client, qs, attempt_id, {"question": "q-num", "answer": "1", "seq": 1})
    first = client.post(quiz_url(qs, f"/attempt/{attempt_id}/submit"))
    attempt = db.session.get(Attempt, attempt_id)
    finished_at, percent = attempt.finished_at, attempt.percent
    second = client.post(quiz_url(qs, f"/attempt/{attempt_id}/submit"), follow_redirects=True)
    assert first.status_code == 302 and second.status_code == 200
    assert "sudah dikirim sebelumnya" in second.get_data(as_text=True)
    db.session.refresh(attempt)
    assert (attempt.finished_at, attempt.percent) == (finished_at, percent) == (finished_at, 20.0)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_stale_tab_gets_a_clear_message_and_changes_nothing(qs, consultant, login_as):
    client = login_as(consultant)
    attempt_id = start_via_client(client, qs)
    attempt = db.session.get(Attempt, attempt_id)
    save_json(client, qs, attempt_id, {"question": "q-num", "answer": "1", "seq": 1})
    client.post(quiz_url(qs, f"/attempt/{attempt_id}/submit"))  # tab A submits
    stored = stored_answers(attempt)
    late = save_json(client, qs, attempt_id, {"question": "q-num", "answer": "5", "seq": 2})  # tab B autosaves
    assert late.status_code == 409 and "sudah dikirim atau berakhir" in late.json["error"]["message"]
    form = client.post(quiz_url(qs, f"/attempt/{attempt_id}"),
                       data={"shown": ["q-tf"], "q-q-tf": "false", "seq-q-tf": "5"}, follow_redirects=True)
    assert "sudah dikirim atau berakhir" in form.get_data(as_text=True)
    # even after a new attempt is started, the old tab still addresses the old, closed attempt
    start_via_client(client, qs)
    again = save_json(client, qs, attempt_id, {"question": "q-tf", "answer": "false", "seq": 3})
    assert again.status_code == 409
    db.session.refresh(attempt)
    assert stored_answers(attempt) == stored and attempt.percent == 20.0


def test_deadline_over_http_refuses_saves_and_finalises_lazily(qs, consultant, login_as):
    client = login_as(consultant)
    attempt_id = start_via_client(client, qs)
    save_json(client, qs, attempt_id, {"question": "q-num", "answer": "1", "seq": 1})
    saved_at = db.session.scalar(select(AttemptAnswer.saved_at).where(AttemptAnswer.attempt_id == attempt_id))
    db.session.execute(update(Attempt).where(Attempt.id == attempt_id)
                       .values(deadline=saved_at + timedelta(microseconds=1)))
    db.session.commit()
    late = save_json(client, qs, attempt_id, {"question": "q-tf", "answer": "false", "seq": 2})
    assert late.status_code == 409 and late.json["error"]["code"] == "deadline_passed"
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.state == "timeout" and attempt.percent == 20.0
    page = client.get(quiz_url(qs, f"/attempt/{attempt_id}"))
    assert page.status_code == 302 and page.headers["Location"].endswith("/result")


def test_opening_the_quiz_page_finalises_an_expired_attempt(qs, consultant, login_as):
    client = login_as(consultant)
    attempt_id = start_via_client(client, qs)
    db.session.execute(update(Attempt).where(Attempt.id == attempt_id)
                       .values(deadline=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    html = client.get(quiz_url(qs)).get_data(as_text=True)
    assert "waktu habis" in html
    assert db.session.get(Attempt, attempt_id).state == "timeout"


# ---------------------------------------------------------------------------------------------------------
# Review policy


def _finish(client, setup) -> int:
    attempt_id = start_via_client(client, setup)
    attempt = db.session.get(Attempt, attempt_id)
    save_json(client, setup, attempt_id, {"question": "q-single",
                                          "answer": display_answer(attempt, "q-single"), "seq": 1})
    client.post(quiz_url(setup, f"/attempt/{attempt_id}/submit"))
    return attempt_id


def test_review_never_shows_nothing_but_receipt(trainer, consultant, login_as):
    setup = setup_for(trainer, consultant, review_when="never")
    client = login_as(consultant)
    html = client.get(quiz_url(setup, f"/attempt/{_finish(client, setup)}/result")).get_data(as_text=True)
    assert "sudah diterima" in html and "20%" not in html
    assert not any(secret in html for secret in SECRETS) and "BPJPH" not in html


def test_review_after_close_waits_for_the_window(trainer, consultant, login_as):

    setup = setup_for(trainer, consultant, review_when="after_close", review_show=["score", "answers"])
    window = windows.set_window(setup.quiz, setup.cohort, None, utcnow() + timedelta(hours=1))
    db.session.commit()
    client = login_as(consultant)
    attempt_id = _finish(client, setup)
    before = client.get(quiz_url(setup, f"/attempt/{attempt_id}/result")).get_data(as_text=True)
    assert "setelah kuis ditutup" in before and "kunci" not in before
    window.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    after = client.get(quiz_url(setup, f"/attempt/{attempt_id}/result")).get_data(as_text=True)
    assert "20%" in after and "kunci" in after and "RAHASIA-PENJELASAN" not in after  # no feedback allowed


def test_requirement_panel_lists_quizzes_to_pass(app, qs):
    with app.test_request_context():
        remains = [r for r in what_remains(qs.enrolment) if r.kind == "quiz"]
    assert len(remains) == 1 and not remains[0].met and "Belum dikerjakan" in remains[0].detail
    assert remains[0].url.endswith(f"/learn/{qs.cohort.id}/quiz/kuis-1")


FINAL_YAML = """\
slug: ujian-akhir
title: Ujian Akhir
kind: final
pass_mark: 60
questions:
  - {id: f1, type: truefalse, text: "Soal ujian akhir.", answer: true, explanation: e, source: s}
"""


def test_what_remains_lists_only_the_quizzes_the_completion_rule_requires(app, trainer, consultant):
    setup = setup_for(trainer, consultant, [QUIZ_YAML, FINAL_YAML])
    setup.course.completion = {"modules": "all", "quizzes": {"ujian-akhir": 70}}
    db.session.commit()

    def quiz_lines():
        with app.test_request_context():
            remains = what_remains(setup.enrolment)
        return remains, {r.evidence["quiz"]: r for r in remains if r.kind == "quiz"}

    remains, lines = quiz_lines()
    assert list(lines) == ["ujian-akhir"]  # the module quiz is not a requirement of this rule
    assert not lines["ujian-akhir"].met and "70%" in lines["ujian-akhir"].label  # the rule's minimum
    missing = [r.label + " " + r.detail for r in remains if not r.met]
    assert not any("Kuis Modul 1" in text for text in missing), missing
    [certificate] = [r for r in remains if r.kind == "certificate"]
    assert certificate.total == 2 and "Kuis Modul 1" not in certificate.detail  # modules + final test

    setup.cohort.completion_override = {"quizzes": {"kuis-1": 80}}  # this cohort: the module quiz instead
    db.session.commit()
    _remains, lines = quiz_lines()
    assert list(lines) == ["kuis-1"] and "80%" in lines["kuis-1"].label

    setup.cohort.completion_override = {"quizzes": None, "posttest_required": True}  # the final test as post-test
    db.session.commit()
    _remains, lines = quiz_lines()
    assert list(lines) == ["ujian-akhir"] and "60%" in lines["ujian-akhir"].label


def test_results_for_other_capabilities(qs, other_consultant):
    from quizzes.services import course_quizzes

    attempt, _ = attempts.start_attempt(qs.enrolment, qs.quiz)
    answer_all(attempt)
    attempts.submit_attempt(attempt)
    enrol(other_consultant, qs.cohort)
    db.session.commit()
    quizzes = course_quizzes(qs.course)
    mine = results.results_for_enrolment(qs.enrolment, quizzes)["kuis-1"]
    assert (mine.percent, mine.passed, mine.attempts, mine.attempt_ids) == (100.0, True, 1, [attempt.id])
    table = results.cohort_results(qs.cohort, quizzes)
    assert table[qs.enrolment.user_id]["kuis-1"].percent == 100.0 and other_consultant.id not in table


def test_layout_one_shows_one_question_per_page_without_javascript(trainer, consultant, login_as):
    setup = setup_for(trainer, consultant, layout="one")
    client = login_as(consultant)
    attempt_id = start_via_client(client, setup)
    attempt = db.session.get(Attempt, attempt_id)
    first_uid = attempt.plan["questions"][0]
    html = client.get(quiz_url(setup, f"/attempt/{attempt_id}")).get_data(as_text=True)
    assert html.count('name="shown"') == 1 and f'value="{first_uid}"' in html
    answer = display_answer(attempt, first_uid)
    value = [str(a) for a in answer] if isinstance(answer, list) else str(answer)
    response = client.post(quiz_url(setup, f"/attempt/{attempt_id}"),
                           data={"shown": [first_uid], "go": "2", "seq-" + first_uid: "1", "q-" + first_uid: value})
    assert response.status_code == 302 and response.headers["Location"].endswith("?p=2")
    assert first_uid in stored_answers(attempt)


def test_autosave_accepts_the_csrf_token_in_a_header_when_csrf_is_on(app, qs, consultant):
    from tests.conftest import csrf_token_from
    from tests.factories import PASSWORD

    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": consultant.email, "password": PASSWORD, "csrf_token": token})
    token = csrf_token_from(client.get(quiz_url(qs)).get_data(as_text=True))
    attempt_id = start_via_client_with_token(client, qs, token)
    page = client.get(quiz_url(qs, f"/attempt/{attempt_id}")).get_data(as_text=True)
    token = csrf_token_from(page)
    payload = {"question": "q-num", "answer": "1", "seq": 1}
    refused = save_json(client, qs, attempt_id, payload, headers={"Accept": "application/json"})
    assert refused.status_code == 400 and refused.json["error"]["status"] == 400
    saved = save_json(client, qs, attempt_id, payload, headers={"X-CSRFToken": token, "Accept": "application/json"})
    assert saved.status_code == 200 and saved.json["status"] == "saved"


def start_via_client_with_token(client, setup, token: str) -> int:
    from tests.test_quiz_fixtures import attempt_id_from

    response = client.post(quiz_url(setup, "/start"), data={"csrf_token": token})
    assert response.status_code == 302
    return attempt_id_from(response.headers["Location"])


CASE_YAML = """\
slug: kasus
title: Ujian kasus
kind: final
pass_mark: 50
shuffle_questions: true
questions:
  - id: q-lepas
    type: truefalse
    text: Pertanyaan lepas.
    answer: true
    explanation: e
    source: s
  - case:
      id: kerupuk
      title: Kerupuk Bu Sari
      stem: Bu Sari membuat **kerupuk ikan** di Sidoarjo.
      questions:
        - {id: k1, type: truefalse, text: "Kasus soal satu.", answer: true, explanation: e, source: s}
        - {id: k2, type: truefalse, text: "Kasus soal dua.", answer: false, explanation: e, source: s}
"""


def test_a_case_study_stem_is_shown_once_above_its_questions(trainer, consultant, login_as):
    setup = setup_for(trainer, consultant, CASE_YAML)
    client = login_as(consultant)
    attempt_id = start_via_client(client, setup)
    attempt = db.session.get(Attempt, attempt_id)
    plan = attempt.plan["questions"]
    assert abs(plan.index("k1") - plan.index("k2")) == 1  # shuffling keeps a case together
    html = client.get(quiz_url(setup, f"/attempt/{attempt_id}")).get_data(as_text=True)
    assert html.count("<strong>kerupuk ikan</strong>") == 1 and "Kerupuk Bu Sari" in html
    assert html.index("kerupuk ikan") < html.index("Kasus soal satu.") < html.index("Kasus soal dua.")
