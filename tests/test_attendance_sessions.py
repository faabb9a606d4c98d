"""Scheduling live sessions, showing their times in two zones, who sees them, calendar files."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

import accounts.provinces as account_provinces
import attendance.zones as zones
from attendance import services
from attendance.display import span, when
from attendance.models import AttendanceRecord, LiveSession
from extensions import db
from tests.factories import make_user
from tests.test_attendance_fixtures import Setup, at, make_session


@pytest.fixture
def setup(app, trainer, organiser, consultant):
    return Setup(trainer, organiser, consultant)


def test_zones_take_the_province_list_from_accounts():
    assert zones.PROVINCES == account_provinces.PROVINCES
    assert zones.PROVINCE_ZONE == account_provinces.PROVINCE_ZONE
    assert set(zones.ZONES) == set(account_provinces.ZONES)
    assert zones.zone_for_province("DI Yogyakarta") == "Asia/Jakarta"
    assert zones.zone_for_province("jogja") == "Asia/Jakarta"


def _fields(**kw) -> services.SessionFields:
    base = {"title": "Regulasi Halal", "day": date(2022, 6, 2), "start": time(9, 0), "end": time(12, 0),
            "timezone": "Asia/Jakarta", "speakers": "Dr. Aminah, Ir. Budi", "meeting_url": "https://zoom.us/j/81234567890"}
    base.update(kw)
    return services.SessionFields(**base)


def test_create_one_session_stores_utc(setup):
    [s] = services.create_sessions(setup.cohort, _fields(), setup.organiser)
    db.session.commit()
    assert s.starts_at == at(2022, 6, 2, 2, 0)
    assert s.ends_at == at(2022, 6, 2, 5, 0)
    assert s.minutes == 180
    assert s.series_key is None


@pytest.mark.parametrize(("zone", "utc_hour"), [("Asia/Jakarta", 2), ("Asia/Makassar", 1), ("Asia/Jayapura", 0)])
def test_session_zone_sets_the_utc_instant(setup, zone, utc_hour):
    [s] = services.create_sessions(setup.cohort, _fields(timezone=zone), setup.organiser)
    assert s.starts_at == at(2022, 6, 2, utc_hour, 0)


def test_session_crossing_midnight_ends_next_day(setup):
    [s] = services.create_sessions(setup.cohort, _fields(start=time(22, 30), end=time(0, 35), timezone="Asia/Jayapura"),
                                   setup.organiser)
    assert s.starts_at == at(2022, 6, 2, 13, 30)
    assert s.ends_at == at(2022, 6, 2, 15, 35)
    assert s.minutes == 125
    assert span(s, language="id") == "22.30–Jumat 00.35 WIT"


def test_seven_daily_sessions_in_one_go(setup):
    created = services.create_sessions(setup.cohort, _fields(), setup.organiser, count=7, every="daily")
    assert [s.starts_at.date() for s in created] == [date(2022, 6, d) for d in range(2, 9)]
    assert created[0].title == "Regulasi Halal (Sesi 1/7)"
    assert created[-1].title == "Regulasi Halal (Sesi 7/7)"
    assert len({s.series_key for s in created}) == 1 and created[0].series_key


def test_weekday_series_skips_the_weekend():
    days = services.series_days(date(2022, 6, 2), 5, "weekdays")  # a Thursday
    assert days == [date(2022, 6, 2), date(2022, 6, 3), date(2022, 6, 6), date(2022, 6, 7), date(2022, 6, 8)]
    assert services.series_days(date(2022, 6, 2), 3, "weekly")[-1] == date(2022, 6, 16)


@pytest.mark.parametrize(("fields", "code"), [
    ({"title": "  "}, "session_title_required"),
    ({"timezone": "Europe/Paris"}, "session_zone"),
    ({"meeting_url": "javascript:alert(1)"}, "session_url"),
    ({"recording_url": "ftp://example.org/x"}, "session_url"),
    ({"meeting_id": "12ab"}, "session_meeting_id"),
    ({"start": time(8, 0), "end": time(21, 0)}, "session_end"),
])
def test_invalid_sessions_are_refused(setup, fields, code):
    with pytest.raises(services.SessionError) as info:
        services.create_sessions(setup.cohort, _fields(**fields), setup.organiser)
    assert info.value.code == code


def test_series_length_is_bounded(setup):
    with pytest.raises(services.SessionError):
        services.create_sessions(setup.cohort, _fields(), setup.organiser, count=61)


def test_changing_the_time_raises_the_calendar_sequence(setup):
    [s] = services.create_sessions(setup.cohort, _fields(), setup.organiser)
    services.update_session(s, _fields(speakers="Ibu Siti"), setup.organiser)
    assert s.sequence == 0 and s.speakers == "Ibu Siti"
    services.update_session(s, _fields(start=time(10, 0)), setup.organiser)
    assert s.sequence == 1


def test_session_with_attendance_cannot_be_deleted(setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2))
    db.session.add(AttendanceRecord(session_id=s.id, user_id=setup.consultant.id, status="present", source="manual"))
    db.session.commit()
    with pytest.raises(services.SessionError):
        services.delete_session(s, setup.organiser)


def test_times_show_session_zone_and_viewer_zone(app, setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 2), minutes=180)  # 09.00–12.00 WIB
    bali = make_user("wayan@example.id", province="Bali")
    papua = make_user("yohanes@example.id", province="Papua")
    with app.test_request_context():
        assert when(s, bali) == "Kamis, 2 Juni 2022 · 09.00–12.00 WIB (10.00–13.00 WITA)"
        assert when(s, setup.consultant) == "Kamis, 2 Juni 2022 · 09.00–12.00 WIB"
        late = make_session(setup.cohort, at(2022, 6, 2, 16), minutes=90)  # 23.00 WIB = 01.00 WIT next day
        assert when(late, papua) == "Kamis, 2 Juni 2022 · 23.00–Jumat 00.30 WIB (Jumat 01.00–02.30 WIT)"


def test_organiser_schedules_a_series_through_the_form(client, login_as, setup):
    login_as(setup.organiser)
    url = f"/organiser/attendance/cohorts/{setup.cohort.id}/sessions/new"
    assert client.get(url).status_code == 200
    response = client.post(url, data={
        "title": "Bimtek Hari", "speakers": "Tim LP3H", "day": "2022-06-02", "start": "09:00", "end": "12:00",
        "timezone": "Asia/Makassar", "meeting_url": "https://zoom.us/j/81234567890", "meeting_id": "812 3456 7890",
        "materials": "Slide sesi https://example.org/slide.pdf\nBaca PP 39/2021", "recording_url": "",
        "repeat_count": "7", "repeat_every": "daily"})
    assert response.status_code == 302
    sessions = db.session.scalars(select(LiveSession).order_by(LiveSession.starts_at)).all()
    assert len(sessions) == 7
    assert sessions[0].starts_at == at(2022, 6, 2, 1) and sessions[0].meeting_id == "81234567890"
    page = client.get(f"/organiser/attendance/cohorts/{setup.cohort.id}/sessions").get_data(as_text=True)
    assert "Bimtek Hari (Sesi 7/7)" in page
    bad = client.post(url, data={"title": "X", "day": "2022-06-02", "start": "09:00", "end": "10:00",
                                 "timezone": "Asia/Jakarta", "meeting_url": "javascript:alert(1)", "repeat_count": "1",
                                 "repeat_every": "daily"})
    assert bad.status_code == 422
    assert "https://" in bad.get_data(as_text=True)


def test_edit_form_round_trips_local_times(client, login_as, setup):
    s = make_session(setup.cohort, at(2022, 6, 2, 13, 30), minutes=125, zone="Asia/Jayapura", title="Sesi Malam")
    login_as(setup.organiser)
    html = client.get(f"/organiser/attendance/sessions/{s.id}/edit").get_data(as_text=True)
    assert 'value="22:30"' in html and 'value="00:35"' in html and 'value="2022-06-02"' in html


def test_enrolled_consultant_sees_the_meeting_link_others_do_not(client, login_as, setup):
    s = make_session(setup.cohort, datetime.now(UTC) + timedelta(days=1), meeting_url="https://zoom.us/j/999000111",
                     materials="Slide https://example.org/slide.pdf")
    login_as(setup.consultant)
    page = client.get(f"/sessions/{s.id}").get_data(as_text=True)
    assert "https://zoom.us/j/999000111" in page
    assert '<a href="https://example.org/slide.pdf" rel="noopener noreferrer">Slide</a>' in page
    assert s.title in client.get("/sessions").get_data(as_text=True)
    client.post("/logout")
    stranger = make_user("lain@example.id", full_name="Bukan Peserta")
    login_as(stranger)
    assert client.get(f"/sessions/{s.id}").status_code == 404
    assert client.get(f"/sessions/{s.id}/calendar.ics").status_code == 404
    assert s.title not in client.get("/sessions").get_data(as_text=True)
    client.post("/logout")
    login_as(setup.trainer)
    assert "https://zoom.us/j/999000111" in client.get(f"/sessions/{s.id}").get_data(as_text=True)


def test_calendar_files(client, login_as, setup):
    s = make_session(setup.cohort, at(2030, 6, 2, 2), title="Regulasi, Halal", meeting_url="https://zoom.us/j/1")
    make_session(setup.cohort, at(2030, 6, 3, 2), title="Sesi Dua")
    login_as(setup.consultant)
    one = client.get(f"/sessions/{s.id}/calendar.ics")
    assert one.mimetype == "text/calendar"
    text = one.get_data(as_text=True)
    assert "DTSTART:20300602T020000Z" in text and "SUMMARY:Regulasi\\, Halal" in text
    assert f"UID:session-{s.id}@bimtek-halal" in text
    cohort = client.get(f"/sessions/cohort/{setup.cohort.id}/calendar.ics").get_data(as_text=True)
    assert cohort.count("BEGIN:VEVENT") == 2 and "X-WR-TIMEZONE:Asia/Jakarta" in cohort
    mine = client.get("/sessions/calendar.ics").get_data(as_text=True)
    assert mine.count("BEGIN:VEVENT") == 2


def test_personal_feed_needs_its_token_and_can_be_revoked(client, login_as, setup):
    make_session(setup.cohort, at(2030, 6, 2, 2))
    login_as(setup.consultant)
    assert client.post("/sessions/feed").status_code == 302
    page = client.get("/sessions").get_data(as_text=True)
    url = re.search(r"http://localhost(/sessions/feed/[0-9a-f-]+\.ics)", page).group(1)
    client.post("/logout")
    assert client.get(url).status_code == 200  # calendar apps fetch without a login
    assert "BEGIN:VEVENT" in client.get(url).get_data(as_text=True)
    assert client.get(url.replace(url[-8:-4], "0000")).status_code == 404
    login_as(setup.consultant)
    client.post("/sessions/feed")
    assert client.get(url).status_code == 404
