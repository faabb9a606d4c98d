"""Trainer and organiser pages: quiz settings, question editor, GIFT upload, schedule, statistics, gain."""

from __future__ import annotations

import io
from datetime import timedelta

from sqlalchemy import select

from accounts.models import utcnow
from extensions import db
from quizzes import attempts, insight, services, windows
from quizzes.models import Quiz, QuizOverride
from quizzes.quizfile import parse_quiz_file
from tests.factories import enrol, make_cohort, make_user
from tests.test_quiz_fixtures import QUIZ_YAML, display_answer, make_quiz_course


def _base(course) -> str:
    return f"/trainer/courses/{course.slug}"


def test_trainer_creates_a_drawing_quiz_and_sees_errors_in_indonesian(trainer, login_as):
    course, _ = make_quiz_course(trainer)
    client = login_as(trainer)
    assert "Kuis Modul 1" in client.get(_base(course) + "/quizzes").get_data(as_text=True)
    form = {"title": "Ujian akhir", "slug": "ujian-akhir", "kind": "final", "module_id": "0", "pass_mark": "70",
            "time_limit_minutes": "30", "attempts_allowed": "1", "grading": "highest", "layout": "one",
            "review_when": "after_close", "review_show": ["score"], "mode": "draw", "draw_count": "9",
            "draw_tags": "modul-1"}
    refused = client.post(_base(course) + "/quizzes/new", data=form)
    assert refused.status_code == 422 and "hanya punya 5 soal" in refused.get_data(as_text=True)
    form["draw_count"] = "3"
    assert client.post(_base(course) + "/quizzes/new", data=form).status_code == 302
    quiz = services.get_quiz(course, "ujian-akhir")
    assert (quiz.draw_count, quiz.draw_tags, quiz.layout, quiz.review_show) == (3, ["modul-1"], "one", ["score"])
    edit = client.post(_base(course) + "/quizzes/ujian-akhir/edit",
                       data={**form, "mode": "fixed", "question_uids": "q-tf\nq-hilang"})
    assert edit.status_code == 422 and "q-hilang" in edit.get_data(as_text=True)


def test_question_editor_makes_versions_and_reports_yaml_lines(trainer, login_as):
    course, _ = make_quiz_course(trainer)
    client = login_as(trainer)
    question = services.question_by_uid(course, "q-tf")
    page = client.get(_base(course) + f"/questions/{question.id}/edit").get_data(as_text=True)
    assert "id: q-tf" in page and "answer: false" in page
    bad = client.post(_base(course) + f"/questions/{question.id}/edit",
                      data={"yaml": "id: q-tf\ntype: truefalse\ntext: Benar?\nanswer: mungkin\nexplanation: e\n"
                                    "source: s\n"})
    assert bad.status_code == 422 and "Baris 1" in bad.get_data(as_text=True)
    good = client.post(_base(course) + f"/questions/{question.id}/edit",
                       data={"yaml": "id: q-tf\ntype: truefalse\ntext: Produk self declare diperiksa LPH.\n"
                                     "answer: false\nexplanation: Jalur reguler.\nsource: Kepkaban 146/2025\n"})
    assert good.status_code == 302
    db.session.refresh(question)
    assert question.version_number == 2 and "diperiksa LPH" in question.current.html["text"]
    preview = client.get(_base(course) + f"/questions/{question.id}").get_data(as_text=True)
    assert "Versi 2" in preview and "Versi 1" in preview


def test_gift_upload_reports_refusals_by_line(trainer, login_as):
    course, _ = make_quiz_course(trainer)
    client = login_as(trainer)
    gift = b"::A::Siapa? {=BPJPH ~MUI}\n\n::Esai::Jelaskan. {}\n"
    response = client.post(_base(course) + "/quizzes/import-gift",
                           data={"file": (io.BytesIO(gift), "soal.gift")}, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<td class=\"num\">3</td>" in html and "essay" in html
    assert services.question_by_uid(course, "a") is not None
    binary = client.post(_base(course) + "/quizzes/import-gift",
                         data={"file": (io.BytesIO(b"\xff\xfe\x00soal"), "soal.gift")},
                         content_type="multipart/form-data")
    assert binary.status_code == 422 and "UTF-8" in binary.get_data(as_text=True)
    export = client.get(_base(course) + "/quizzes/export.gift")
    assert export.status_code == 200 and "[id:a]" in export.get_data(as_text=True)
    assert "attachment" in export.headers["Content-Disposition"]


def test_only_authors_manage_quizzes_and_organisers_read_statistics(trainer, organiser, login_as):
    course, _ = make_quiz_course(trainer)
    stranger = make_user("pelatih-lain@example.id", roles=("trainer",))
    client = login_as(stranger)
    assert client.get(_base(course) + "/quizzes").status_code == 403
    assert client.get(_base(course) + "/quizzes/kuis-1/stats").status_code == 403
    client.post("/logout")
    login_as(organiser)
    assert client.get(_base(course) + "/quizzes").status_code == 403
    assert client.get(_base(course) + "/quizzes/kuis-1/stats").status_code == 200
    assert client.get(_base(course) + "/quizzes/gain").status_code == 200
    assert "Kuis Modul 1" in client.get("/insight/quizzes").get_data(as_text=True)


def test_schedule_window_in_cohort_time_and_override(trainer, consultant, login_as):
    course, quiz = make_quiz_course(trainer)
    cohort = make_cohort(course, timezone="Asia/Jayapura")
    enrol(consultant, cohort)
    client = login_as(trainer)
    base = _base(course) + "/quizzes/kuis-1"
    assert client.get(base + "/schedule").status_code == 200
    response = client.post(base + "/window", data={"cohort_id": cohort.id, "opens_at": "2030-01-02T08:00",
                                                   "closes_at": "2030-01-02T07:00"})
    assert response.status_code == 422 and "sesudah waktu buka" in response.get_data(as_text=True)
    client.post(base + "/window", data={"cohort_id": cohort.id, "opens_at": "2030-01-02T08:00",
                                        "closes_at": "2030-01-02T10:00"})
    window = windows.get_window(quiz, cohort)
    assert window.opens_at.hour == 23 and window.opens_at.day == 1  # 08:00 WIT is 23:00 UTC the day before
    unknown = client.post(base + "/override", data={"email": "siapa@example.id", "extra_minutes": "5",
                                                    "cohort_id": cohort.id})
    assert unknown.status_code == 422
    client.post(base + "/override", data={"email": consultant.email, "extra_minutes": "20", "extra_attempts": "1",
                                          "cohort_id": cohort.id, "note": "Tunanetra, pembaca layar"})
    override = db.session.scalar(select(QuizOverride))
    assert (override.extra_minutes, override.extra_attempts) == (20, 1)
    client.post(base + f"/override/{override.id}/delete", data={})
    assert db.session.scalar(select(QuizOverride)) is None


def _sit(enrolment, quiz, right_uids: set[str]):
    attempt, _ = attempts.start_attempt(enrolment, quiz)
    for seq, uid in enumerate(attempt.plan["questions"], start=1):
        attempts.save_answer(attempt, uid, display_answer(attempt, uid, uid in right_uids), seq)
    attempts.submit_attempt(attempt)
    return attempt


def test_item_statistics_flag_items_and_count_options(trainer, login_as):
    course, quiz = make_quiz_course(trainer)
    cohort = make_cohort(course)
    sets = [{"q-single", "q-tf", "q-num", "q-multi"}, {"q-single", "q-tf", "q-num"}, {"q-single", "q-tf"},
            {"q-single"}]
    for index, right in enumerate(sets):
        enrolment = enrol(make_user(f"peserta{index}@example.id"), cohort)
        _sit(enrolment, quiz, right)
    db.session.commit()
    report = insight.item_report(quiz, cohort)
    assert report.attempts == 4
    rows = {row.uid: row for row in report.rows}
    assert rows["q-single"].stat.facility == 100.0 and "too_easy" in rows["q-single"].stat.flags
    assert rows["q-short"].stat.facility == 0.0 and "too_hard" in rows["q-short"].stat.flags
    assert rows["q-num"].stat.discrimination > 0.5
    key = next(o for o in rows["q-single"].options if o.correct)
    assert (key.label, key.count, key.percent) == ("BPJPH", 4, 100.0)
    assert {o.key: o.count for o in rows["q-tf"].options} == {"false": 3, "true": 1}
    html = login_as(trainer).get(_base(course) + f"/quizzes/kuis-1/stats?cohort={cohort.id}").get_data(as_text=True)
    assert "Terlalu mudah" in html and "BPJPH" in html and "4 percobaan selesai" in html


def test_learning_gain_per_cohort_and_person(trainer, login_as):
    pre = QUIZ_YAML.replace("slug: kuis-1", "slug: pre").replace("kind: module\nmodule: modul-1", "kind: pretest")
    post = QUIZ_YAML.replace("slug: kuis-1", "slug: post").replace("kind: module\nmodule: modul-1", "kind: posttest")
    post = post.replace("id: q-", "id: p-").replace("RAHASIA", "R")
    course, _ = make_quiz_course(trainer, [pre, post])
    quizzes = {q.slug: q for q in services.course_quizzes(course)}
    cohort = make_cohort(course)
    people = []
    for index, (before, after) in enumerate([({"q-single"}, {"p-single", "p-tf", "p-num"}),
                                              (set(), {"p-single", "p-tf", "p-num", "p-multi", "p-short"})]):
        user = make_user(f"gain{index}@example.id", full_name=f"Peserta {index}")
        enrolment = enrol(user, cohort)
        _sit(enrolment, quizzes["pre"], before)
        _sit(enrolment, quizzes["post"], after)
        people.append(user)
    db.session.commit()
    report = insight.gain_report(course, cohort)
    gain = report.gain
    assert gain.n == 2 and gain.people[people[0].id].pre == 20.0 and gain.people[people[0].id].post == 60.0
    assert gain.people[people[1].id].normalized_gain == 1.0 and gain.mean_pre == 10.0 and gain.mean_post == 80.0
    html = login_as(trainer).get(_base(course) + f"/quizzes/gain?cohort={cohort.id}").get_data(as_text=True)
    assert "Peserta 0" in html and "Peserta 1" in html


def test_consultant_module_page_links_to_the_module_quiz(trainer, consultant, login_as):
    course, quiz = make_quiz_course(trainer)
    cohort = make_cohort(course)
    enrol(consultant, cohort)
    html = login_as(consultant).get(f"/learn/{cohort.id}/m/modul-1").get_data(as_text=True)
    assert f"/learn/{cohort.id}/quiz/kuis-1" in html and "Kerjakan Kuis Modul 1" in html
    listing = login_as(consultant).get(f"/learn/{cohort.id}/quiz").get_data(as_text=True)
    assert "Kuis Modul 1" in listing and "Belum dikerjakan" in listing


def test_archiving_a_quiz_keeps_attempts(trainer, consultant, login_as):
    course, quiz = make_quiz_course(trainer)
    cohort = make_cohort(course)
    enrolment = enrol(consultant, cohort)
    attempt = _sit(enrolment, quiz, {"q-num"})
    db.session.commit()
    client = login_as(trainer)
    assert client.post(_base(course) + "/quizzes/kuis-1/archive", data={}).status_code == 302
    assert db.session.get(Quiz, quiz.id).archived and attempt.percent == 20.0
    services.import_quiz_files(course, [parse_quiz_file(QUIZ_YAML, "quizzes/file-0.yml")], trainer)
    assert not db.session.get(Quiz, quiz.id).archived  # a package import brings it back
    assert utcnow() - attempt.finished_at < timedelta(minutes=5)


def test_every_trainer_page_renders(trainer, consultant, login_as):
    course, quiz = make_quiz_course(trainer)
    cohort = make_cohort(course)
    enrol(consultant, cohort)
    windows.set_window(quiz, cohort, utcnow(), utcnow() + timedelta(days=2))
    windows.set_override(quiz, consultant, extra_minutes=10)
    db.session.commit()
    client = login_as(trainer)
    question = services.question_by_uid(course, "q-single")
    for path in ("/quizzes", "/quizzes/new", "/quizzes/kuis-1/edit", "/quizzes/kuis-1/schedule",
                 "/quizzes/kuis-1/stats", "/quizzes/gain", "/questions", "/questions?tag=lembaga&type=single&q=lembaga",
                 "/questions/new", f"/questions/{question.id}", f"/questions/{question.id}/edit",
                 "/quizzes/import-gift"):
        response = client.get(_base(course) + path)
        assert response.status_code == 200, path
    assert "q-single" in client.get(_base(course) + "/questions?tag=lembaga").get_data(as_text=True)
    assert "q-num" not in client.get(_base(course) + "/questions?tag=lembaga").get_data(as_text=True)
    course_page = client.get(f"/trainer/courses/{course.slug}").get_data(as_text=True)
    assert f"/trainer/courses/{course.slug}/quizzes" in course_page
