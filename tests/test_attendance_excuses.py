"""Excuses: reason and letter from the consultant, decision by the organiser, letters kept private."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from attendance import excuses, registers
from attendance.models import Excuse
from extensions import db
from tests.factories import make_user
from tests.test_attendance_fixtures import Setup, at, make_session


@pytest.fixture
def setup(app, trainer, organiser, consultant):
    return Setup(trainer, organiser, consultant)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _submit(client, session_id, reason="Sakit demam, surat dokter terlampir", data=PDF, name="surat dokter.pdf"):
    payload = {"reason": reason}
    if data is not None:
        payload["letter"] = (io.BytesIO(data), name)
    return client.post(f"/sessions/{session_id}/excuse", data=payload, content_type="multipart/form-data")


def test_letter_is_stored_outside_static_and_served_only_to_owner_and_organisers(app, client, login_as, setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    login_as(setup.consultant)
    assert client.get(f"/sessions/{s.id}/excuse").status_code == 200
    assert _submit(client, s.id).status_code == 302
    excuse = db.session.scalar(select(Excuse))
    assert excuse.status == "pending" and excuse.letter_type == "application/pdf"
    assert excuse.letter_name == "surat-dokter.pdf" and excuse.letter_stored != excuse.letter_name
    stored = Path(app.instance_path) / "uploads" / excuse.letter_stored
    assert stored.read_bytes() == PDF and "static" not in stored.parts
    own = client.get(f"/excuses/{excuse.id}/letter")
    assert own.status_code == 200 and own.get_data() == PDF
    assert own.headers["Content-Disposition"].startswith("attachment;")
    assert own.headers["X-Content-Type-Options"] == "nosniff"
    client.post("/logout")
    login_as(make_user("lain@example.id", full_name="Peserta Lain"))
    assert client.get(f"/excuses/{excuse.id}/letter").status_code == 404
    client.post("/logout")
    login_as(setup.organiser)
    assert client.get(f"/excuses/{excuse.id}/letter").get_data() == PDF


def test_letter_type_is_checked_by_content_and_size_is_limited(app, client, login_as, setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    login_as(setup.consultant)
    fake = _submit(client, s.id, data=b"<html><script>alert(1)</script></html>", name="surat.pdf")
    assert fake.status_code == 422 and "Jenis berkas tidak diizinkan" in fake.get_data(as_text=True)
    app.config["EXCUSE_MAX_MB"] = 1  # checked on the service: the test client leaks big multipart bodies
    with pytest.raises(excuses.ExcuseError) as info:
        excuses.submit(s, setup.consultant, "Sakit", PNG + b"\x00" * (1024 * 1024), "foto.png")
    assert (info.value.code, info.value.field, info.value.params) == ("excuse_letter_size", "letter", {"mb": 1})
    db.session.rollback()
    assert db.session.scalar(select(Excuse)) is None
    assert _submit(client, s.id, data=None).status_code == 302  # the letter is optional


def test_decline_with_reply_then_resubmit_then_approve(client, login_as, setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    login_as(setup.consultant)
    _submit(client, s.id, data=None, reason="Ada acara keluarga")
    again = _submit(client, s.id, data=None)
    assert again.status_code == 422 and "masih menunggu keputusan" in again.get_data(as_text=True)
    first = db.session.scalar(select(Excuse))
    client.post("/logout")
    login_as(setup.organiser)
    assert "Ada acara keluarga" in client.get("/organiser/attendance/excuses").get_data(as_text=True)
    url = f"/organiser/attendance/excuses/{first.id}"
    assert client.post(url, data={"decision": "decline", "reply": ""}).status_code == 422
    declined = client.post(url, data={"decision": "decline", "reply": "Acara keluarga bukan alasan izin."})
    assert declined.status_code == 302
    assert registers.get_record(s.id, setup.consultant.id) is None
    client.post("/logout")
    login_as(setup.consultant)
    assert "Acara keluarga bukan alasan izin." in client.get(f"/sessions/{s.id}").get_data(as_text=True)
    assert _submit(client, s.id, reason="Sakit, surat dokter").status_code == 302
    second = db.session.scalars(select(Excuse).order_by(Excuse.id.desc())).first()
    client.post("/logout")
    login_as(setup.organiser)
    assert client.post(f"/organiser/attendance/excuses/{second.id}", data={"decision": "approve"}).status_code == 302
    record = registers.get_record(s.id, setup.consultant.id)
    assert (record.status, record.source) == ("excused", "excuse")
    assert registers.history(record)[0].changed_by_id == setup.organiser.id
    decided = client.post(f"/organiser/attendance/excuses/{second.id}", data={"decision": "decline", "reply": "x"})
    assert decided.status_code == 422  # already decided


def test_no_excuse_for_an_attended_session_or_a_stranger(client, login_as, setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    registers.set_status(s, setup.consultant.id, "present", source="checkin", actor_id=None)
    db.session.commit()
    login_as(setup.consultant)
    response = _submit(client, s.id, data=None)
    assert response.status_code == 422 and "sudah tercatat hadir" in response.get_data(as_text=True)
    client.post("/logout")
    login_as(make_user("lain@example.id"))
    assert client.get(f"/sessions/{s.id}/excuse").status_code == 404
