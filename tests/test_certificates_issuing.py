"""Completion rules with real evidence, automatic and approved issue, numbers, codes, freezing, revoke/re-issue."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accounts.models import AuditEvent
from certificates import issuing, services
from certificates.models import ISSUED, REVOKED, Certificate
from certificates.numbering import ALPHABET, CODE_BITS, CODE_LENGTH
from certificates.services import CertificateError
from courses.requirements import what_remains
from extensions import db
from tests.conftest import login
from tests.test_certificates_support import (
    add_attempt,
    add_quiz,
    add_sessions,
    finish_modules,
    issued_for,
    learner,
    mark,
    setup_course,
)

FULL_RULE = {"modules": "all", "quizzes": {"final": 70}, "attendance_percent": 80, "posttest_required": True}


def _kinds(evaluation) -> dict[str, bool]:
    return {r.key: r.met for r in evaluation.requirements}


# --------------------------------------------------------------------------- rule evaluation, integrated


def test_every_requirement_is_read_from_the_database(app):
    course, cohort = setup_course(completion=FULL_RULE)
    final = add_quiz(course, "final", kind="final", pass_mark=70, title="Ujian Akhir")
    sessions = add_sessions(cohort, 5)
    user, enrolment = learner(cohort, finished=False)

    evaluation = services.evaluate_enrolment(enrolment)
    assert not evaluation.met
    assert _kinds(evaluation) == {"modules": False, "final": False, "attendance": False, "posttest": False}
    modules = evaluation.requirements[0]
    assert modules.missing.modules == ("modul-1", "modul-2", "modul-3")

    finish_modules(enrolment, {"modul-1", "modul-2"})
    add_attempt(final, enrolment, 60)
    for s in sessions[:3]:
        mark(s, user, "present")
    mark(sessions[3], user, "late")
    evaluation = services.evaluate_enrolment(enrolment)
    by_key = {r.key: r for r in evaluation.requirements}
    assert by_key["modules"].progress.done == 2
    assert by_key["final"].label_params["title"] == "Ujian Akhir"
    assert by_key["final"].label_params["best_percent"] == 60
    assert by_key["final"].missing.points == 10
    assert by_key["attendance"].met  # 4 of 5 (late counts) = 80 %
    assert not by_key["posttest"].met  # the final test serves as post-test; its pass flag is False

    finish_modules(enrolment)
    add_attempt(final, enrolment, 75)
    evaluation = services.evaluate_enrolment(enrolment)
    assert evaluation.met, [(r.key, r.met) for r in evaluation.requirements]


def test_excused_session_leaves_the_denominator_and_absent_counts_against(app):
    course, cohort = setup_course(completion={"attendance_percent": 75})
    sessions = add_sessions(cohort, 4)
    user, enrolment = learner(cohort, finished=False)
    mark(sessions[0], user, "present")
    mark(sessions[1], user, "present")
    mark(sessions[2], user, "excused")
    mark(sessions[3], user, "absent")
    requirement = services.evaluate_enrolment(enrolment).requirements[0]
    assert requirement.progress.done == pytest.approx(66.67)
    assert not requirement.met
    assert requirement.label_params["excused"] == 1


def test_quiz_result_follows_the_quiz_grading_method(app):
    course, cohort = setup_course(completion={"quizzes": {"final": 70}})
    final = add_quiz(course, "final")
    final.grading = "last"
    db.session.commit()
    _, enrolment = learner(cohort, finished=False)
    add_attempt(final, enrolment, 90, minutes_ago=20)
    add_attempt(final, enrolment, 50, minutes_ago=5)
    assert not services.evaluate_enrolment(enrolment).met  # the last attempt counts for this quiz
    final.grading = "highest"
    db.session.commit()
    assert services.evaluate_enrolment(enrolment).met


def test_cohort_override_replaces_course_keys(app):
    course, cohort = setup_course(completion={"modules": "all", "attendance_percent": 80})
    add_sessions(cohort, 2)
    _, enrolment = learner(cohort)
    assert not services.evaluate_enrolment(enrolment).met
    cohort.completion_override = {"attendance_percent": None}
    db.session.commit()
    evaluation = services.evaluate_enrolment(enrolment)
    assert evaluation.met and [r.kind for r in evaluation.requirements] == ["modules"]


def test_batch_standings_match_single_evaluations(app):
    course, cohort = setup_course(completion=FULL_RULE)
    final = add_quiz(course, "final")
    sessions = add_sessions(cohort, 2)
    people = [learner(cohort, f"p{i}@example.id", finished=i % 2 == 0) for i in range(4)]
    for i, (user, enrolment) in enumerate(people):
        add_attempt(final, enrolment, 50 + i * 10)
        mark(sessions[0], user, "present")
        if i > 1:
            mark(sessions[1], user, "present")
    rows = services.standings(cohort, [e for _, e in people])
    for row, (_, enrolment) in zip(rows, people, strict=True):
        single = services.evaluate_enrolment(enrolment)
        assert row.evaluation == single
    assert [r.evaluation.met for r in rows] == [False, False, True, False]


def test_missing_or_broken_rule_never_issues(app):
    course, cohort = setup_course(completion={})
    _, enrolment = learner(cohort)
    with pytest.raises(CertificateError) as missing:
        services.standing(enrolment)
    assert missing.value.code == "cert_rule_missing"
    assert issuing.maybe_auto_issue(enrolment) is None
    course.completion = {"modules": "all", "bogus": 1}
    db.session.commit()
    with pytest.raises(CertificateError) as broken:
        issuing.issue(enrolment)
    assert broken.value.code == "cert_rule_invalid"
    course.completion = {"modules": ["modul-1", "tidak-ada"]}
    db.session.commit()
    evaluation = services.evaluate_enrolment(enrolment)
    assert not evaluation.met and evaluation.requirements[0].label_params["unknown"] == ("tidak-ada",)


# --------------------------------------------------------------------------- issuing


def test_certificate_page_issues_automatically_once(app, client):
    _, cohort = setup_course()
    user, enrolment = learner(cohort)
    login(client, user)
    page = client.get("/certificates").get_data(as_text=True)
    assert "Selamat! Sertifikat Anda sudah terbit." in page
    cert = issued_for(enrolment)
    assert cert.issue_mode == "auto" and cert.issued_by_id is None and cert.number in page
    client.get("/certificates")
    assert db.session.scalar(select(db.func.count()).select_from(Certificate)) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issued"))
    assert event.target_id == str(cert.id) and event.data["mode"] == "auto"


def test_unmet_rule_shows_what_remains_instead(app, client):
    _, cohort = setup_course()
    user, enrolment = learner(cohort, finished=False)
    finish_modules(enrolment, {"modul-1"})
    login(client, user)
    page = client.get("/certificates").get_data(as_text=True)
    assert "1 dari 3 modul selesai" in page
    assert issued_for(enrolment) is None
    with app.test_request_context():
        certificate_line = [r for r in what_remains(enrolment) if r.kind == "certificate"]
    assert len(certificate_line) == 1 and not certificate_line[0].met
    assert "Belum terpenuhi" in certificate_line[0].detail and certificate_line[0].url == "/certificates"


def test_course_page_what_remains_links_to_the_certificate(app, client):
    _, cohort = setup_course()
    user, enrolment = learner(cohort)
    login(client, user)
    client.get("/certificates")
    with app.test_request_context():
        lines = [r for r in what_remains(enrolment) if r.kind == "certificate"]
    assert lines[0].met and issued_for(enrolment).number in lines[0].detail
    assert issued_for(enrolment).number in client.get(f"/learn/{cohort.id}").get_data(as_text=True)


def test_approval_cohort_waits_for_the_organiser(app, client, organiser):
    _, cohort = setup_course(approval=True)
    user, enrolment = learner(cohort)
    login(client, user)
    assert "Menunggu persetujuan" in client.get("/certificates").get_data(as_text=True)
    assert issued_for(enrolment) is None

    staff = app.test_client()
    login(staff, organiser)
    listing = staff.get(f"/organiser/certificates/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Siti Aminah" in listing and "Setujui & terbitkan" in listing
    response = staff.post(f"/organiser/certificates/cohorts/{cohort.id}/issue/{enrolment.id}")
    assert response.status_code == 302
    cert = issued_for(enrolment)
    assert cert.issue_mode == "approved" and cert.issued_by_id == organiser.id
    assert cert.number in client.get("/certificates").get_data(as_text=True)


def test_organiser_cannot_issue_to_someone_who_has_not_finished(app, organiser):
    _, cohort = setup_course(approval=True)
    _, enrolment = learner(cohort, finished=False)
    staff = app.test_client()
    login(staff, organiser)
    response = staff.post(f"/organiser/certificates/cohorts/{cohort.id}/issue/{enrolment.id}", follow_redirects=True)
    assert "Persyaratan sertifikat belum terpenuhi." in response.get_data(as_text=True)
    assert issued_for(enrolment) is None


def test_bulk_issue_for_all_eligible(app, organiser):
    _, cohort = setup_course(approval=True)
    done = [learner(cohort, f"ok{i}@example.id", full_name=f"Lulus {i}")[1] for i in range(3)]
    _, pending = learner(cohort, "belum@example.id", finished=False)
    staff = app.test_client()
    login(staff, organiser)
    page = staff.post(f"/organiser/certificates/cohorts/{cohort.id}/issue-all", follow_redirects=True)
    assert "3 sertifikat terbit. 0 sudah punya sertifikat, 1 belum memenuhi syarat." in page.get_data(as_text=True)
    numbers = [issued_for(e).number for e in done]
    assert len(set(numbers)) == 3 and issued_for(pending) is None
    again = staff.post(f"/organiser/certificates/cohorts/{cohort.id}/issue-all", follow_redirects=True)
    assert "0 sertifikat terbit. 3 sudah punya sertifikat" in again.get_data(as_text=True)
    counts = services.eligibility_counts(cohort)
    assert counts == {"enrolled": 4, "met": 3, "issued": 3, "awaiting": 0, "not_met": 1, "revoked": 0,
                      "rule_error": 0}


def test_eligibility_list_filters_and_pages(app, organiser):
    _, cohort = setup_course()
    for i in range(27):
        learner(cohort, f"p{i:02d}@example.id", full_name=f"Peserta {i:02d}", finished=i < 2)
    staff = app.test_client()
    login(staff, organiser)
    first = staff.get(f"/organiser/certificates/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Halaman 1 dari 2" in first and "Peserta 00" in first and "Peserta 26" not in first
    eligible = staff.get(f"/organiser/certificates/cohorts/{cohort.id}?state=eligible").get_data(as_text=True)
    assert "Peserta 01" in eligible and "Peserta 02" not in eligible
    assert "Peserta 26" in staff.get(f"/organiser/certificates/cohorts/{cohort.id}?page=2").get_data(as_text=True)


def test_cli_issue_eligible(app, runner):
    _, cohort = setup_course(approval=True)
    _, enrolment = learner(cohort)
    learner(cohort, "belum@example.id", finished=False)
    result = runner.invoke(args=["certificates", "issue-eligible", str(cohort.id)])
    assert result.exit_code == 0, result.output
    assert "1 issued, 0 already had one, 1 not eligible" in result.output
    assert issued_for(enrolment).issue_mode == "cli"
    assert runner.invoke(args=["certificates", "issue-eligible", "999"]).exit_code != 0
    cohort.course.completion = {"bogus": 1}
    db.session.commit()
    broken = runner.invoke(args=["certificates", "issue-eligible", str(cohort.id)])
    assert broken.exit_code == 1 and "Aturan kelulusan kursus ini tidak valid" in broken.output


def test_withdrawn_participant_gets_nothing(app):
    _, cohort = setup_course()
    _, enrolment = learner(cohort)
    enrolment.status = "withdrawn"
    db.session.commit()
    assert issuing.maybe_auto_issue(enrolment) is None
    with pytest.raises(CertificateError):
        issuing.issue(enrolment)


def test_only_one_live_certificate_per_enrolment(app):
    _, cohort = setup_course()
    _, enrolment = learner(cohort)
    cert = issuing.issue(enrolment)
    db.session.commit()
    with pytest.raises(CertificateError) as again:
        issuing.issue(enrolment)
    assert again.value.code == "cert_already_issued"
    # a racing second insert is stopped by the database itself
    db.session.add(Certificate(number="X/1", code="0" * 28, enrolment_id=enrolment.id,
                               active_enrolment_id=enrolment.id, snapshot={}, holder_name="x"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert cert.status == ISSUED


# --------------------------------------------------------------------------- numbers and codes


def test_default_number_pattern_restarts_each_month_in_the_cohort_zone(app):
    _, cohort = setup_course()
    people = [learner(cohort, f"n{i}@example.id")[1] for i in range(4)]
    # 31 March 20:00 UTC is already 1 April in Jakarta
    first = issuing.issue(people[0], now=datetime(2026, 3, 31, 20, 0, tzinfo=UTC))
    second = issuing.issue(people[1], now=datetime(2026, 4, 10, 3, 0, tzinfo=UTC))
    third = issuing.issue(people[2], now=datetime(2026, 5, 1, 3, 0, tzinfo=UTC))
    fourth = issuing.issue(people[3], now=datetime(2027, 5, 1, 3, 0, tzinfo=UTC))
    db.session.commit()
    assert [c.number for c in (first, second, third, fourth)] == [
        "BH/2026/04/0001", "BH/2026/04/0002", "BH/2026/05/0001", "BH/2027/05/0001"]
    assert first.snapshot["issued_on"] == "2026-04-01"


def test_configurable_pattern_and_taken_numbers_are_skipped(app):
    app.config["CERT_NUMBER_PATTERN"] = "SP/{course_code}/{year}/{seq:03d}"
    _, cohort = setup_course()
    a, b = learner(cohort, "a@example.id")[1], learner(cohort, "b@example.id")[1]
    slug = cohort.course.slug[:20]  # course codes are cut to 20 characters
    db.session.add(Certificate(number=f"SP/{slug}/2026/001", code="1" * 28, snapshot={}, holder_name="lama"))
    db.session.commit()
    when = datetime(2026, 6, 1, 3, 0, tzinfo=UTC)
    assert issuing.issue(a, now=when).number == f"SP/{slug}/2026/002"
    assert issuing.issue(b, now=when).number == f"SP/{slug}/2026/003"


def test_unsafe_pattern_is_refused(app):
    app.config["CERT_NUMBER_PATTERN"] = "{year.__class__}/{seq}"
    _, cohort = setup_course()
    _, enrolment = learner(cohort)
    with pytest.raises(CertificateError) as exc:
        issuing.issue(enrolment)
    assert exc.value.code == "cert_pattern_invalid"


def test_verification_codes_have_enough_entropy_and_are_unique(app):
    assert CODE_BITS >= 128
    _, cohort = setup_course()
    codes = [issuing.issue(learner(cohort, f"c{i}@example.id")[1]).code for i in range(25)]
    db.session.commit()
    assert len(set(codes)) == 25
    for code in codes:
        assert len(code) == CODE_LENGTH and set(code) <= set(ALPHABET)
    # not derived from the number or the person: no shared prefix beyond chance
    assert len({c[:4] for c in codes}) > 20


# --------------------------------------------------------------------------- freezing


def test_certificate_is_frozen_at_issue(app, client, trainer):
    app.config["CERT_SIGNATORIES"] = [{"name": "Dr. Ahmad Fauzi", "role": "Ketua Panitia"}]
    course, cohort = setup_course(certificate={"title": "Sertifikat Bimtek", "statement": "telah lulus bimtek"})
    user, enrolment = learner(cohort, full_name="Siti Aminah", province="Jawa Timur")
    cert = issuing.issue(enrolment)
    db.session.commit()
    snapshot = dict(cert.snapshot)

    user.full_name, user.province = "Siti Aminah Berubah", "Bali"
    course.title, course.certificate = "Judul Baru", {"title": "Judul Lain"}
    cohort.name, cohort.starts_on = "Angkatan Diganti", datetime(2030, 1, 1).date()
    from courses import services as courses

    courses.publish(course, trainer, "Versi dua")
    app.config["CERT_SIGNATORIES"] = [{"name": "Orang Lain", "role": "Baru"}]
    db.session.commit()

    db.session.expire_all()
    cert = db.session.get(Certificate, cert.id)
    assert cert.snapshot == snapshot
    assert cert.snapshot["signatories"][0]["name"] == "Dr. Ahmad Fauzi"
    assert cert.snapshot["title"] == "Sertifikat Bimtek" and cert.snapshot["course_version"] == "1"
    page = client.get(f"/verify/{cert.code}").get_data(as_text=True)
    assert "Siti Aminah" in page and "Berubah" not in page
    assert "Jawa Timur" in page and "Angkatan Uji" in page and "Angkatan Diganti" not in page
    assert services.public_record(cert)["province"] == "Jawa Timur"


# --------------------------------------------------------------------------- revoke, re-issue, expiry


def test_revoke_and_reissue_are_audited_and_linked(app, organiser):
    _, cohort = setup_course()
    user, enrolment = learner(cohort, full_name="Siti Aminha")
    old = issuing.issue(enrolment)
    db.session.commit()
    staff = app.test_client()
    login(staff, organiser)

    user.full_name = "Siti Aminah"
    db.session.commit()
    response = staff.post(f"/organiser/certificates/{old.id}/reissue", data={"reissue-reason": "Salah ketik nama"})
    assert response.status_code == 302
    db.session.expire_all()
    old = db.session.get(Certificate, old.id)
    new = issued_for(enrolment)
    assert old.status == REVOKED and old.revoke_reason == "Salah ketik nama" and old.active_enrolment_id is None
    assert new.id != old.id and new.replaces_id == old.id and new.number != old.number and new.code != old.code
    assert new.snapshot["holder_name"] == "Siti Aminah" and new.status == ISSUED
    assert response.headers["Location"].endswith(f"/organiser/certificates/{new.id}")

    too_short = staff.post(f"/organiser/certificates/{new.id}/revoke", data={"revoke-reason": "x"},
                           follow_redirects=True)
    assert "Tuliskan alasannya" in too_short.get_data(as_text=True)
    assert db.session.get(Certificate, new.id).status == ISSUED
    staff.post(f"/organiser/certificates/{new.id}/revoke", data={"revoke-reason": "Data kehadiran dipalsukan"})
    db.session.expire_all()
    new = db.session.get(Certificate, new.id)
    assert new.status == REVOKED and new.revoked_by_id == organiser.id

    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.target_type == "certificate")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["certificate.issued", "certificate.revoked_for_reissue", "certificate.issued",
                       "certificate.revoked"]
    detail = staff.get(f"/organiser/certificates/{old.id}").get_data(as_text=True)
    assert new.number in detail and "Salah ketik nama" in detail
    # a revoked certificate cannot be revoked or re-issued again
    again = staff.post(f"/organiser/certificates/{new.id}/revoke", data={"revoke-reason": "sekali lagi"},
                       follow_redirects=True)
    assert "sudah dicabut" in again.get_data(as_text=True)


def _field_labels(html: str) -> dict[str, str]:
    """id -> label text of every visible form field on a page (each field must have exactly one label)."""
    ids = re.findall(r'<(?:input|textarea|select)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html)
    labels = re.findall(r'<label\b[^>]*\bfor="([^"]+)"[^>]*>(.*?)</label>', html, re.S)
    by_field: dict[str, list[str]] = {}
    for target, text in labels:
        by_field.setdefault(target, []).append(re.sub(r"<[^>]+>|\s+", " ", text).strip())
    assert all(len(by_field.get(i, [])) == 1 for i in ids), (ids, by_field)
    return {i: by_field[i][0] for i in ids}


def test_certificate_detail_page_labels_each_reason_field_distinctly(app, organiser):
    _, cohort = setup_course()
    _, enrolment = learner(cohort)
    cert = issuing.issue(enrolment)
    db.session.commit()
    staff = app.test_client()
    login(staff, organiser)

    labels = _field_labels(staff.get(f"/organiser/certificates/{cert.id}").get_data(as_text=True))
    assert labels == {"revoke-reason": "Alasan pencabutan", "reissue-reason": "Alasan penerbitan ulang"}
    assert len(set(labels.values())) == len(labels)

    organiser.locale = "en"
    db.session.commit()
    labels = _field_labels(staff.get(f"/organiser/certificates/{cert.id}").get_data(as_text=True))
    assert labels == {"revoke-reason": "Reason for revocation", "reissue-reason": "Reason for reissue"}


def test_validity_months_gives_an_expiry(app):
    _, cohort = setup_course(certificate={"validity_months": 12})
    _, enrolment = learner(cohort)
    cert = issuing.issue(enrolment, now=datetime(2026, 1, 31, 3, 0, tzinfo=UTC))
    db.session.commit()
    assert cert.snapshot["valid_until"] == "2027-01-31"
    assert cert.expires_at == datetime(2027, 1, 31, 17, 0, tzinfo=UTC)  # midnight after, Jakarta time
    assert services.status_of(cert, datetime(2027, 1, 31, 16, 59, tzinfo=UTC)) == "valid"
    assert services.status_of(cert, datetime(2027, 1, 31, 17, 0, tzinfo=UTC)) == "expired"


def test_add_months_clamps_to_month_end():
    from datetime import date

    assert issuing.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert issuing.add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert issuing.add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)


def test_reports_count_certified_people_by_frozen_province(app):
    _, cohort = setup_course()
    east = [learner(cohort, f"e{i}@example.id", province="Jawa Timur")[1] for i in range(2)]
    bali = learner(cohort, "b@example.id", province="Bali")[1]
    certs = [issuing.issue(e) for e in [*east, bali]]
    issuing.revoke(certs[1], by=None, reason="Dicabut untuk uji")
    db.session.commit()
    assert services.certified_counts_by_province() == [("Bali", 1), ("Jawa Timur", 1)]
    assert services.issued_counts_by_cohort([cohort.id]) == {cohort.id: 2}


def test_organiser_area_is_closed_to_consultants(app, client, consultant):
    _, cohort = setup_course()
    login(client, consultant)
    assert client.get(f"/organiser/certificates/cohorts/{cohort.id}").status_code == 403
    assert client.get("/organiser/certificates").status_code == 403


def test_cohort_panel_and_search(app, organiser):
    _, cohort = setup_course()
    _, enrolment = learner(cohort, full_name="Rahmat Hidayat")
    cert = issuing.issue(enrolment)
    db.session.commit()
    staff = app.test_client()
    login(staff, organiser)
    panel = staff.get(f"/organiser/cohorts/{cohort.id}").get_data(as_text=True)
    assert "1 sertifikat terbit" in panel
    found = staff.get("/organiser/certificates?q=rahmat").get_data(as_text=True)
    assert cert.number in found
    assert re.search(r"Tidak ada sertifikat yang cocok", staff.get("/organiser/certificates?q=zzz").get_data(
        as_text=True))


def test_report_hooks_certified_step_and_participant_facts(app):
    from certificates.api import participant_certificates

    _, cohort = setup_course()
    (_, done), (_, revoked), (_, pending) = (learner(cohort, f"f{i}@example.id", finished=i < 2) for i in range(3))
    cert = issuing.issue(done)
    issuing.revoke(issuing.issue(revoked), by=None, reason="Dicabut untuk uji")
    db.session.commit()
    from courses.models import Enrolment

    everyone = select(Enrolment.id).where(Enrolment.cohort_id == cohort.id).subquery()
    assert db.session.scalars(services.certified_select(everyone)).all() == [done.id]
    with app.test_request_context():
        facts = participant_certificates(cohort, [done.id, revoked.id, pending.id])
    assert facts[done.id]["certificate"]["number"] == cert.number
    assert facts[done.id]["certificate"]["status"] == "valid"
    assert facts[revoked.id] == {"certificate": None} and facts[pending.id] == {"certificate": None}
