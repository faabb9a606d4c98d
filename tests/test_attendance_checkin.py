"""Check-in: rotating codes inside the session window, every refusal with its message, presenter screen."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from accounts.domain import message_for
from attendance import checkin, codes
from attendance.models import AttendanceChange, AttendanceRecord
from extensions import db
from tests.factories import make_user
from tests.test_attendance_fixtures import Setup, at, current_code, make_session


@pytest.fixture
def setup(app, trainer, organiser, consultant):
    return Setup(trainer, organiser, consultant)

T0 = at(2022, 6, 2, 2, 0)  # 09.00 WIB, a step boundary


def _code(session, now):
    return current_code(session, now)


def _check(session, user, code, now, **kw):
    return checkin.check_in(session, user, code, now=now, **kw)


def _error(session, user, code, now, **kw):
    with pytest.raises(checkin.CheckinError) as info:
        _check(session, user, code, now, **kw)
    return info.value


def test_code_rotates_each_interval_with_one_step_of_grace(setup):
    s = make_session(setup.cohort, T0)
    now = T0 + timedelta(seconds=5)
    first = _code(s, now)
    assert _code(s, now + timedelta(seconds=54)) == first  # same 60 s step
    assert _code(s, now + timedelta(seconds=55)) != first  # the next step
    # the previous code still works one step later, not two
    assert _check(s, setup.consultant, first, now + timedelta(seconds=60)).status == "present"
    other = setup.add_participant("b@example.id", "Budi")
    assert _error(s, other, first, now + timedelta(seconds=120)).code == "checkin_expired_code"


def test_interval_and_grace_are_configurable(app, setup):
    app.config.update(CHECKIN_INTERVAL_S=30, CHECKIN_GRACE_STEPS=0)
    s = make_session(setup.cohort, T0)
    code = _code(s, T0)
    assert codes.current_step(T0 + timedelta(seconds=30), 30) == codes.current_step(T0, 30) + 1
    assert _error(s, setup.consultant, code, T0 + timedelta(seconds=30)).code == "checkin_expired_code"
    assert _check(s, setup.consultant, code, T0 + timedelta(seconds=29)).status == "present"


@pytest.mark.parametrize(("offset", "outcome"), [
    (timedelta(minutes=-15, seconds=-1), "checkin_outside_window_before"),
    (timedelta(minutes=-15), "present"),                          # the margin before start is inclusive
    (timedelta(minutes=15), "present"),                           # late after 15 minutes, exactly 15 is on time
    (timedelta(minutes=15, seconds=1), "late"),
    (timedelta(minutes=120 + 30), "late"),                        # end + 30 min margin, inclusive
    (timedelta(minutes=120 + 30, seconds=1), "checkin_outside_window_after"),
])
def test_window_edges(setup, offset, outcome):
    s = make_session(setup.cohort, T0, minutes=120)
    now = T0 + offset
    if outcome.startswith("checkin_"):
        assert _error(s, setup.consultant, _code(s, now), now).code == outcome
    else:
        assert _check(s, setup.consultant, _code(s, now), now).status == outcome


def test_margins_and_lateness_are_configurable(app, setup):
    app.config.update(CHECKIN_MARGIN_BEFORE_MIN=5, CHECKIN_MARGIN_AFTER_MIN=0, LATE_AFTER_MIN=0)
    s = make_session(setup.cohort, T0, minutes=60)
    now = T0 - timedelta(minutes=6)
    assert _error(s, setup.consultant, _code(s, now), now).code == "checkin_outside_window_before"
    now = T0 + timedelta(minutes=60, seconds=1)
    assert _error(s, setup.consultant, _code(s, now), now).code == "checkin_outside_window_after"
    now = T0 + timedelta(seconds=1)
    assert _check(s, setup.consultant, _code(s, now), now).status == "late"


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"])
def test_window_is_the_same_instant_in_every_zone(app, setup, zone):
    """09.00 local in WIT is 00.00 UTC: the window follows the stored UTC instant, not a wall clock."""
    from attendance.services import local_to_utc

    start = local_to_utc(datetime(2022, 6, 2).date(), datetime(2022, 6, 2, 9).time(), zone)
    s = make_session(setup.cohort, start, zone=zone)
    early = start - timedelta(minutes=16)
    error = _error(s, setup.consultant, _code(s, early), early)
    assert error.code == "checkin_outside_window_before"
    with app.test_request_context():
        assert message_for(error).endswith("pukul 08.45 WIB.") if zone == "Asia/Jakarta" else True
        if zone == "Asia/Jayapura":  # the consultant lives in Jawa Barat (WIB)
            assert "08.45 WIT (06.45 WIB)" in message_for(error)
    assert _check(s, setup.consultant, _code(s, start), start).status == "present"


def test_session_crossing_midnight(setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 13, 30), minutes=125, zone="Asia/Jayapura")  # 22.30–00.35 WIT
    after_midnight = at(2022, 6, 2, 15, 20)  # 00.20 WIT on Friday
    assert _check(s, setup.consultant, _code(s, after_midnight), after_midnight).status == "late"
    other = setup.add_participant("c@example.id", "Citra")
    too_late = s.ends_at + timedelta(minutes=31)
    assert _error(s, other, _code(s, too_late), too_late).code == "checkin_outside_window_after"


def test_refusals_have_clear_messages(app, setup):
    s = make_session(setup.cohort, T0, title="Sesi Satu")
    other = make_session(setup.cohort, T0, title="Sesi Dua")
    now = T0 + timedelta(minutes=1)
    with app.test_request_context():
        e = _error(s, setup.consultant, _code(other, now), now)
        assert e.code == "checkin_other_session" and message_for(e) == "Kode ini milik sesi lain: Sesi Dua."
        assert e.other.id == other.id
        assert message_for(_error(s, setup.consultant, "ZZZZZZ", now)).startswith("Kode salah")
        assert message_for(_error(s, setup.consultant, "", now)) == "Masukkan kode check-in dari layar."
        _check(s, setup.consultant, _code(s, now), now)
        e = _error(s, setup.consultant, _code(s, now), now)
        assert message_for(e) == "Anda sudah check-in di sesi ini (Hadir)."
        stranger = make_user("x@example.id")
        assert _error(s, stranger, _code(s, now), now).code == "checkin_not_enrolled"


def test_code_typed_loosely_is_accepted(setup):
    s = make_session(setup.cohort, T0)
    now = T0 + timedelta(minutes=2)
    code = _code(s, now)
    assert _check(s, setup.consultant, f" {code[:3].lower()}-{code[3:].lower()} ", now).status == "present"


def test_checkin_is_logged_and_upgrades_an_earlier_absent_mark(setup):
    s = make_session(setup.cohort, T0)
    db.session.add(AttendanceRecord(session_id=s.id, user_id=setup.consultant.id, status="absent", source="manual"))
    db.session.commit()
    now = T0 + timedelta(minutes=20)
    _check(s, setup.consultant, _code(s, now), now)
    db.session.commit()
    record = db.session.scalar(select(AttendanceRecord))
    assert (record.status, record.source, record.checked_in_at) == ("late", "checkin", now)
    change = db.session.scalar(select(AttendanceChange))
    assert (change.old_status, change.new_status, change.changed_by_id) == ("absent", "late", setup.consultant.id)


def test_scan_ticket_keeps_the_scan_time_through_a_slow_login(setup):
    s = make_session(setup.cohort, T0)
    scanned = T0 + timedelta(minutes=1)
    code = _code(s, scanned)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checkin, "utcnow", lambda: scanned)
        ticket = checkin.make_ticket(s, code)
    later = scanned + timedelta(minutes=3)  # the code itself has expired by now
    assert _check(s, setup.consultant, code, later, ticket=ticket).at == scanned
    other = setup.add_participant("d@example.id", "Dewi")
    assert _error(s, other, code, later, ticket=ticket + "x").code == "checkin_expired_code"
    assert checkin.make_ticket(s, "AAAAAA") is None


# --------------------------------------------------------------------------- through HTTP


def test_qr_link_login_and_check_in(client, setup):
    now = datetime.now(UTC)
    s = make_session(setup.cohort, now - timedelta(minutes=5))
    code = current_code(s)
    response = client.get(f"/checkin/{s.id}?code={code}")
    assert response.status_code == 302 and "/login" in response.location
    target = parse_qs(urlsplit(response.location).query)["next"][0]
    assert target.startswith(f"/checkin/{s.id}?code={code}&ticket=")
    login = client.post("/login?" + urlsplit(response.location).query,
                        data={"email": setup.consultant.email, "password": "Rahasia-Kuat-2026"})
    assert login.status_code == 302 and login.location == target
    page = client.get(target).get_data(as_text=True)
    assert f'value="{code}"' in page
    ticket = re.search(r'name="ticket" type="hidden" value="([^"]+)"', page).group(1)
    done = client.post(f"/checkin/{s.id}", data={"code": code, "ticket": ticket})
    assert done.status_code == 302 and done.location.endswith(f"/sessions/{s.id}")
    assert "Check-in berhasil: Hadir" in client.get(done.location).get_data(as_text=True)
    again = client.get(f"/checkin/{s.id}").get_data(as_text=True)
    assert "Anda sudah check-in di sesi ini" in again


def test_wrong_code_is_shown_on_the_form(client, login_as, setup):
    s = make_session(setup.cohort, datetime.now(UTC))
    login_as(setup.consultant)
    response = client.post(f"/checkin/{s.id}", data={"code": "ZZZZZZ"})
    assert response.status_code == 422
    assert "Kode salah" in response.get_data(as_text=True)
    future = make_session(setup.cohort, datetime.now(UTC) + timedelta(days=1))
    response = client.post(f"/checkin/{future.id}", data={"code": current_code(future)})
    assert "belum dibuka" in response.get_data(as_text=True)


def test_presenter_page_json_and_qr(client, login_as, setup):
    s = make_session(setup.cohort, datetime.now(UTC) - timedelta(minutes=1))
    login_as(setup.organiser)
    before = current_code(s)
    page = client.get(f"/organiser/attendance/sessions/{s.id}/presenter")
    html = page.get_data(as_text=True)
    assert re.search(r"data-code>([2-9A-Z]{6})<", html).group(1) in {before, current_code(s)}
    assert page.headers["Cache-Control"] == "no-store"
    assert '<noscript><meta http-equiv="refresh"' in html  # works without JavaScript
    assert "js/presenter.js" in html and "<script>" not in html
    state = client.get(f"/organiser/attendance/sessions/{s.id}/presenter.json").get_json()
    assert state["state"] == "open" and len(state["code"]) == 6 and 1 <= state["seconds_left"] <= 60
    assert state["checkin_url"] == f"http://localhost/checkin/{s.id}?code={state['code']}"
    qr = client.get(state["qr_url"])
    assert qr.mimetype == "image/svg+xml"
    svg = qr.get_data(as_text=True)
    assert svg.startswith("<svg") and "<script" not in svg and "<path" in svg
    client.post("/logout")
    login_as(setup.consultant)
    assert client.get(f"/organiser/attendance/sessions/{s.id}/presenter").status_code == 403
    assert client.get(f"/organiser/attendance/sessions/{s.id}/presenter.json").status_code == 403


def test_presenter_before_the_window_shows_when_it_opens(client, login_as, setup):
    s = make_session(setup.cohort, datetime.now(UTC) + timedelta(hours=3))
    login_as(setup.organiser)
    html = client.get(f"/organiser/attendance/sessions/{s.id}/presenter").get_data(as_text=True)
    assert "Check-in dibuka pukul" in html and "data-code" not in html


def test_checkin_and_presenter_forms_work_with_csrf_on(app, client, login_as, setup):
    from tests.conftest import csrf_token_from

    s = make_session(setup.cohort, datetime.now(UTC) - timedelta(minutes=1))
    login_as(setup.consultant)
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/checkin/{s.id}", data={"code": current_code(s)}).status_code == 400
    token = csrf_token_from(client.get(f"/checkin/{s.id}").get_data(as_text=True))
    response = client.post(f"/checkin/{s.id}", data={"code": current_code(s), "csrf_token": token})
    assert response.status_code == 302
    token = csrf_token_from(client.get("/sessions").get_data(as_text=True))
    assert client.post("/sessions/feed", data={"csrf_token": token}).status_code == 302
