"""Zoom participant reports, parsing: both layouts, headers and encodings, times, date order and errors."""

from datetime import UTC, timedelta

import pytest

from attendance.zoom import (
    ZoomReportError,
    decode_report,
    parse_zoom_report,
)
from tests.test_zoom_fixtures import WIB, WIT, WITA, load, utc

# --------------------------------------------------------------------------- the sample files


def test_plain_english_layout():
    report = load("participants_en.csv", WIB)
    assert report.meeting is None
    assert report.dayfirst is False  # 12-hour clock: Zoom's US month/day order
    assert len(report.rows) == 10
    budi = report.rows[1]
    assert (budi.line, budi.name, budi.original_name, budi.email) == (3, "Budi Santoso", None, "budi.santoso@gmail.com")
    assert budi.join_utc == utc(2022, 6, 2, 1, 58, 3)  # 08:58:03 WIB
    assert budi.leave_utc == utc(2022, 6, 2, 2, 40, 10)
    siti = report.rows[3]
    assert (siti.name, siti.original_name) == ("Siti Aminah", "Hj. Siti Aminah S.Pd.I")
    assert report.rows[4].name == "Dr. Ir. Ahmad Fauzi, M.M."  # quoted comma kept
    assert report.rows[4].email == "afauzi@pemda.go.id"  # lowercased
    waiting = report.rows[5]
    assert (waiting.guest, waiting.in_waiting_room) == (True, True)
    assert [r.guest for r in report.rows[6:8]] == [True, True]


def test_legacy_six_column_header_with_iso_dates():
    report = load("participants_en_legacy.csv", WIB)
    assert report.dayfirst is None  # nothing ambiguous in ISO dates
    assert [r.line for r in report.rows] == [2, 3, 4]
    assert report.rows[0].join_utc == utc(2022, 6, 9, 1, 59)
    assert report.rows[1].in_waiting_room is None


def test_meeting_details_layout_across_midnight_in_wit():
    report = load("meeting_details_en.csv", WIT)
    assert report.dayfirst is False
    meeting = report.meeting
    assert meeting == {
        "line": 2,
        "meeting_id": "81234567890",
        "topic": "Bimtek Halal Angkatan 3 - Sesi Malam",
        "start_utc": utc(2022, 6, 2, 13, 25),  # 22.25 WIT
        "end_utc": utc(2022, 6, 2, 15, 35, 12),  # 00.35 WIT on 3 June
        "host_email": "host@plut-kumkm.id",
        "duration_min": 131,
        "participants": 4,
    }
    assert [r.line for r in report.rows] == [5, 6, 7, 8, 9]
    assert report.rows[2].join_utc == utc(2022, 6, 2, 14, 52, 10)
    assert report.rows[2].leave_utc == utc(2022, 6, 2, 15, 30)


def test_indonesian_semicolon_file_with_bom():
    report = load("peserta_id.csv", WITA)
    assert report.meeting is None
    assert report.dayfirst is True  # "14/06/2022" can only be day first
    first = report.rows[0]
    assert (first.name, first.original_name) == ("Made Wirawan", "I Made Wirawan")
    assert first.join_utc == utc(2022, 6, 14, 0, 57, 12)  # 08:57:12 WITA
    assert first.guest is False and first.in_waiting_room is False
    assert report.rows[2].name == "Hj. Nur Halimah, S.E., M.M."
    assert report.rows[5].guest is True and report.rows[5].email is None


@pytest.mark.parametrize(
    ("dayfirst", "start"),
    [
        (None, utc(2022, 6, 2, 6, 55)),  # 24-hour clock: day first
        (True, utc(2022, 6, 2, 6, 55)),
        (False, utc(2022, 2, 6, 6, 55)),  # nothing in the file contradicts the caller
    ],
)
def test_indonesian_meeting_details_layout(dayfirst, start):
    report = load("rincian_rapat_id.csv", WIB, dayfirst)
    assert report.meeting is not None
    assert report.meeting["topic"] == "Bimtek Halal Angkatan 3, Sesi 2"
    assert report.meeting["start_utc"] == start
    assert report.meeting["participants"] == 3
    assert report.rows[0].join_utc == start
    assert report.rows[2].original_name == "Siti Aminah S.Pd.I"
    assert report.rows[2].guest is True


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("malformed_missing_columns.csv", 1, "missing required columns: Leave Time"),
        ("malformed_leave_before_join.csv", 3, "leave time is before join time"),
        ("malformed_bad_time.csv", 6, "cannot read join time 'kemarin pagi'"),
        ("malformed_not_zoom.csv", 1, "no participant header found"),
    ],
)
def test_malformed_files_name_the_line(name, line, message):
    with pytest.raises(ZoomReportError) as info:
        load(name, WIB)
    assert info.value.line == line
    assert message in info.value.message
    assert str(info.value).startswith(f"line {line}: ")


# --------------------------------------------------------------------------- headers and encodings

HEADER = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join((header, *rows)) + "\n"


@pytest.mark.parametrize(
    "text",
    [
        "NAME (ORIGINAL NAME),USER EMAIL,JOIN TIME,LEAVE TIME\nBudi,b@x.id,2022-06-02 09:00:00,2022-06-02 10:00:00\n",
        "name(original name), email ,Join time,Leave time\nBudi,b@x.id,2022-06-02 09:00:00,2022-06-02 10:00:00\n",
        "\ufeffNama (Nama Asli);Email Pengguna;Waktu Bergabung;Waktu Keluar\r\n"
        "Budi;b@x.id;2022-06-02 09:00:00;2022-06-02 10:00:00\r\n",
        "Nama\tEmail\tWaktu Masuk\tWaktu Keluar\nBudi\tb@x.id\t2022-06-02 09:00:00\t2022-06-02 10:00:00\n",
        '"Nama Peserta","Alamat Email","Jam Masuk","Jam Keluar"\n'
        '"Budi","B@X.ID","2022-06-02 09:00:00","2022-06-02 10:00:00"\n',
        "Join Time,Leave Time,Name,Email\n2022-06-02 09:00:00,2022-06-02 10:00:00,Budi,b@x.id\n",
        "\n\nName,User Email,Join Time,Leave Time,Duration (Minutes),\n"
        "Budi,b@x.id,2022-06-02 09:00:00,2022-06-02 10:00:00,60,\n\n",
    ],
)
def test_header_aliases_case_bom_and_delimiters(text):
    (row,) = parse_zoom_report(text, WIB).rows
    assert (row.name, row.email) == ("Budi", "b@x.id")
    assert (row.join_utc, row.leave_utc) == (utc(2022, 6, 2, 2), utc(2022, 6, 2, 3))


def test_original_name_is_only_split_when_the_header_says_so():
    text = csv_text("Siti (PLUT Jatim),,2022-06-02 09:00:00,2022-06-02 10:00:00", header="Name,Email,Join,Leave")
    (row,) = parse_zoom_report(text, WIB).rows
    assert (row.name, row.original_name) == ("Siti (PLUT Jatim)", None)
    text = csv_text("Siti (PLUT Jatim) (Siti Aminah),,2022-06-02 09:00:00,2022-06-02 10:00:00")
    (row,) = parse_zoom_report(text, WIB).rows
    assert (row.name, row.original_name) == ("Siti (PLUT Jatim)", "Siti Aminah")


def test_decode_report_handles_utf16_and_windows_1252():
    text = csv_text("José,,2022-06-02 09:00:00,2022-06-02 10:00:00")
    for data in (text.encode("utf-16"), text.encode("cp1252"), b"\xef\xbb\xbf" + text.encode()):
        assert parse_zoom_report(decode_report(data), WIB).rows[0].name == "José"


def test_header_only_file_has_no_rows():
    assert parse_zoom_report(HEADER + "\n", WIB).rows == []


# --------------------------------------------------------------------------- times and date order

LATER = "2022-06-02 23:59:59"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("06/02/2022 09:01:23 AM", utc(2022, 6, 2, 2, 1, 23)),
        ("2022-06-02 09:01:23", utc(2022, 6, 2, 2, 1, 23)),
        ("2022-06-02T09:01:23", utc(2022, 6, 2, 2, 1, 23)),
        ("02/06/2022 09:01:23", utc(2022, 6, 2, 2, 1, 23)),
        ("02-06-2022 09:01", utc(2022, 6, 2, 2, 1)),
        ("02/06/22 9:01", utc(2022, 6, 2, 2, 1)),  # Excel re-save
        ("02.06.2022 09.01.23", utc(2022, 6, 2, 2, 1, 23)),
        ("06/02/2022 12:00:00 PM", utc(2022, 6, 2, 5, 0)),
        ("06/02/2022 12:30:00 AM", utc(2022, 6, 1, 17, 30)),
        ("6/2/2022 9:01 pm", utc(2022, 6, 2, 14, 1)),
        ("Jun 2, 2022 09:01:23 AM", utc(2022, 6, 2, 2, 1, 23)),
        ("2 Juni 2022 09.01.23", utc(2022, 6, 2, 2, 1, 23)),
        ("2 Jun 2022 09:01", utc(2022, 6, 2, 2, 1)),
    ],
)
def test_time_formats_are_read_in_the_report_zone(value, expected):
    (row,) = parse_zoom_report(csv_text(f"Budi,,\"{value}\",{LATER}"), WIB).rows
    assert row.join_utc == expected


@pytest.mark.parametrize(("zone", "hours"), [(WIB, 7), (WITA, 8), (WIT, 9), ("UTC", 0)])
def test_report_zone_offsets(zone, hours):
    (row,) = parse_zoom_report(csv_text(f"Budi,,2022-06-02 12:00:00,{LATER}"), zone).rows
    assert row.join_utc == utc(2022, 6, 2, 12) - timedelta(hours=hours)
    assert row.join_utc.tzinfo is UTC


@pytest.mark.parametrize(
    ("join", "leave", "dayfirst", "expected_join", "expected_order"),
    [
        # 1. a component above 12 settles it, whatever the caller says
        ("13/06/2022 09:00", "13/06/2022 10:00", False, utc(2022, 6, 13, 2), True),
        ("06/13/2022 09:00 AM", "06/13/2022 10:00 AM", True, utc(2022, 6, 13, 2), False),
        # 2. a meeting crossing midnight: the component that changes is the day
        ("02/06/2022 23:00", "03/06/2022 00:30", False, utc(2022, 6, 2, 16), True),
        ("06/02/2022 11:00 PM", "06/03/2022 12:30 AM", True, utc(2022, 6, 2, 16), False),
        # 3. otherwise the caller decides
        ("02/06/2022 09:00", "02/06/2022 10:00", False, utc(2022, 2, 6, 2), False),
        ("06/02/2022 09:00 AM", "06/02/2022 10:00 AM", True, utc(2022, 2, 6, 2), True),
        # 4. otherwise the clock style: 24-hour -> day first, AM/PM -> month first
        ("02/06/2022 09:00", "02/06/2022 10:00", None, utc(2022, 6, 2, 2), True),
        ("06/02/2022 09:00 AM", "06/02/2022 10:00 AM", None, utc(2022, 6, 2, 2), False),
    ],
)
def test_day_month_disambiguation(join, leave, dayfirst, expected_join, expected_order):
    report = parse_zoom_report(csv_text(f"Budi,,{join},{leave}"), WIB, dayfirst)
    assert report.rows[0].join_utc == expected_join
    assert report.dayfirst is expected_order


def test_evidence_anywhere_in_the_file_applies_to_every_row():
    text = csv_text(
        "Budi,,05/06/2022 09:00,05/06/2022 10:00",
        "Siti,,05/06/2022 09:30,05/06/2022 10:30",
        "Andi,,05/06/2022 23:30,06/06/2022 00:10",
    )
    report = parse_zoom_report(text, WIB, dayfirst=False)
    assert report.rows[0].join_utc == utc(2022, 6, 5, 2)


def test_meeting_summary_dates_count_as_evidence():
    text = (
        "Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants\n"
        "111,Sesi,30/05/2022 08:55,30/05/2022 11:00,host@x.id,125,1\n\n"
        + csv_text("Budi,,05/06/2022 09:00,05/06/2022 10:00")
    )
    report = parse_zoom_report(text, WIB, dayfirst=False)
    assert report.dayfirst is True
    assert report.rows[0].join_utc == utc(2022, 6, 5, 2)


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (("Budi,,13/06/2022 09:00,13/06/2022 10:00", "Siti,,06/14/2022 09:00,06/14/2022 10:00"), 3, "mix"),
        (("Budi,,31/02/2022 09:00,31/03/2022 10:00",), 2, "cannot read join time"),
        (("Budi,,06/02/2022 13:00 PM,06/02/2022 02:00 PM",), 2, "cannot read join time"),
        (("Budi,,2022-06-02 09:00,",), 2, "leave time is empty"),
        ((",b@x.id,2022-06-02 09:00,2022-06-02 10:00",), 2, "participant name is empty"),
        (("Budi,,2022-06-02 09:00,2022-06-02 10:00", "Siti,,2022-06-02 10:00,2022-06-02 09:59"), 3, "before join"),
    ],
)
def test_row_errors(rows, line, message):
    with pytest.raises(ZoomReportError) as info:
        parse_zoom_report(csv_text(*rows), WIB)
    assert info.value.line == line
    assert message in info.value.message


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "no participant header"),
        ("\n\n   \n", 1, "no participant header"),
        ("hello world\n", 1, "no participant header"),
        ("Name,Email\nBudi,b@x.id\n", 1, "Join Time, Leave Time"),
        ("\n\nName,Join Time,Email\nBudi,2022-06-02 09:00,b@x.id\n", 3, "Leave Time"),
        ("Meeting ID,Topic,Start Time\n\n" + HEADER + "\n", 3, "meeting summary has no data row"),
        ("Meeting ID,Topic,Start Time\n", 1, "meeting summary has no data row"),
    ],
)
def test_file_level_errors(text, line, message):
    with pytest.raises(ZoomReportError) as info:
        parse_zoom_report(text, WIB)
    assert info.value.line == line
    assert message in info.value.message
