"""RFC 5545 output: line endings, folding, escaping, and that what we write parses back."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from attendance.ics import PRODID, calendar, escape_text, fold_line, session_event

STAMP = datetime(2022, 5, 20, 8, 30, tzinfo=UTC)
START = datetime(2022, 6, 2, 2, 0, tzinfo=UTC)
END = START + timedelta(hours=2)


def unfold(text: str) -> list[str]:
    """Undo folding (RFC 5545 3.1): CRLF followed by one space or tab joins lines."""
    assert text.endswith("\r\n")
    return re.sub(r"\r\n[ \t]", "", text).split("\r\n")[:-1]


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def parse(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A small reader: calendar properties and one dict per VEVENT."""
    cal: dict[str, str] = {}
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfold(text):
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
        elif current is not None:
            current[name] = value
        else:
            cal[name] = value
    return cal, events


def ics_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def one_event(**kw) -> str:
    args = {
        "uid": "session-42@bimtek-halal",
        "start_utc": START,
        "end_utc": END,
        "summary": "Sesi 1",
        "description": "",
        "url": None,
        "tzid": "Asia/Jakarta",
    }
    args.update(kw)
    return calendar([session_event(**args)], "Bimtek Halal", dtstamp=STAMP)


# --------------------------------------------------------------------------- escaping


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("plain", "plain"),
        ("a, b", "a\\, b"),
        ("a; b", "a\\; b"),
        ("C:\\temp", "C:\\\\temp"),
        ("line 1\nline 2", "line 1\\nline 2"),
        ("line 1\r\nline 2\rline 3", "line 1\\nline 2\\nline 3"),
        ("\\,;\n", "\\\\\\,\\;\\n"),
        ("colon: stays", "colon: stays"),
    ],
)
def test_escape_text(raw, escaped):
    assert escape_text(raw) == escaped
    assert unescape(escaped) == raw.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------- folding


@pytest.mark.parametrize(
    "line",
    [
        "SUMMARY:" + "a" * 67,  # exactly 75 octets: not folded
        "SUMMARY:" + "a" * 68,  # 76 octets: folded once
        "DESCRIPTION:" + "x" * 500,
        "DESCRIPTION:" + "é" * 100,  # two-byte characters
        "DESCRIPTION:" + "ab€" * 60,  # three-byte characters at odd offsets
        "DESCRIPTION:" + "🕌" * 40,  # four-byte characters
        "DESCRIPTION:" + "Sertifikasi halal — jalur self declare · " * 5,
    ],
)
def test_fold_line_limits_octets_and_never_splits_a_character(line):
    folded = fold_line(line)
    physical = folded.split("\r\n")
    for i, part in enumerate(physical):
        assert len(part.encode("utf-8")) <= 75
        if i:
            assert part.startswith(" ") and len(part) > 1
    assert "".join(p[1:] if i else p for i, p in enumerate(physical)) == line
    expected_lines = 1 if len(line.encode()) <= 75 else len(physical)
    assert len(physical) == expected_lines


def test_short_line_is_untouched():
    assert fold_line("VERSION:2.0") == "VERSION:2.0"


def test_folds_are_as_full_as_possible():
    physical = fold_line("DESCRIPTION:" + "x" * 500).split("\r\n")
    assert len(physical[0].encode()) == 75
    assert all(len(p.encode()) == 75 for p in physical[1:-1])


# --------------------------------------------------------------------------- the calendar


def test_every_line_ends_with_crlf_and_is_short():
    text = one_event(summary="Sesi 1 " * 30, description="Baris satu\nBaris dua, tiga; empat " * 10)
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    assert "\r" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_calendar_structure_and_properties():
    text = one_event()
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR"
    assert lines[-1] == "END:VCALENDAR"
    cal, (event,) = parse(text)
    assert cal["VERSION"] == "2.0"
    assert cal["PRODID"] == PRODID
    assert cal["METHOD"] == "PUBLISH"
    assert cal["X-WR-CALNAME"] == "Bimtek Halal"
    assert cal["X-WR-TIMEZONE"] == "Asia/Jakarta"
    assert event["UID"] == "session-42@bimtek-halal"
    assert event["DTSTAMP"] == "20220520T083000Z"
    assert event["DTSTART"] == "20220602T020000Z"
    assert event["DTEND"] == "20220602T040000Z"
    assert "DESCRIPTION" not in event and "URL" not in event and "SEQUENCE" not in event


def test_round_trip_of_awkward_text():
    summary = "Sesi 2: Dasar hukum; UU 33/2014, PP 39/2021 \\ PMA 20/2021"
    description = (
        "Materi: jaminan produk halal, self declare.\n"
        "Bawa: NIB; daftar bahan\r\nCatatan: \"Pendamping PPH\" — wajib hadir ✅ " + "panjang " * 30
    )
    url = "https://bimtek.example.id/sesi/42?kohort=3,4&lang=id"
    text = one_event(summary=summary, description=description, url=url)
    _, (event,) = parse(text)
    assert unescape(event["SUMMARY"]) == summary
    assert unescape(event["DESCRIPTION"]) == description.replace("\r\n", "\n")
    assert event["URL"] == url  # a URI value is not TEXT-escaped
    assert unescape(event["LOCATION"]) == url  # Google Calendar shows LOCATION as a link


def test_explicit_location_wins_over_url():
    event = session_event("u1", START, END, "S", "", "https://x.id/1", "Asia/Jakarta", location="Zoom")
    _, (parsed,) = parse(calendar([event], "C", dtstamp=STAMP))
    assert parsed["LOCATION"] == "Zoom"
    assert parsed["URL"] == "https://x.id/1"


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (datetime(2022, 6, 2, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta")), "20220602T020000Z"),
        (datetime(2022, 6, 2, 10, 0, tzinfo=ZoneInfo("Asia/Makassar")), "20220602T020000Z"),
        (datetime(2022, 6, 3, 0, 30, tzinfo=ZoneInfo("Asia/Jayapura")), "20220602T153000Z"),
    ],
)
def test_times_are_written_in_utc(start, expected):
    _, (event,) = parse(one_event(start_utc=start, end_utc=start + timedelta(hours=2)))
    assert event["DTSTART"] == expected
    assert ics_time(event["DTEND"]) - ics_time(event["DTSTART"]) == timedelta(hours=2)


def test_several_events_and_sequence():
    events = [
        session_event(f"session-{i}@bimtek-halal", START + timedelta(days=i), END + timedelta(days=i),
                      f"Sesi {i}", "", None, "Asia/Jayapura", sequence=i)
        for i in range(1, 4)
    ]
    cal, parsed = parse(calendar(events, "Kohort 3, WIT", dtstamp=STAMP))
    assert unescape(cal["X-WR-CALNAME"]) == "Kohort 3, WIT"
    assert cal["X-WR-TIMEZONE"] == "Asia/Jayapura"
    assert [e["UID"] for e in parsed] == ["session-1@bimtek-halal", "session-2@bimtek-halal", "session-3@bimtek-halal"]
    assert [e["SEQUENCE"] for e in parsed] == ["1", "2", "3"]
    assert [ics_time(e["DTSTART"]) for e in parsed] == [START + timedelta(days=i) for i in range(1, 4)]


def test_mixed_zones_leave_out_the_timezone_hint():
    events = [
        session_event("a", START, END, "A", "", None, "Asia/Jakarta"),
        session_event("b", START, END, "B", "", None, "Asia/Makassar"),
    ]
    cal, parsed = parse(calendar(events, "C", dtstamp=STAMP))
    assert "X-WR-TIMEZONE" not in cal
    assert len(parsed) == 2


def test_empty_calendar_is_valid():
    cal, events = parse(calendar([], "Kosong", dtstamp=STAMP))
    assert events == [] and cal["VERSION"] == "2.0"


def test_dtstamp_defaults_to_now():
    before = datetime.now(UTC).replace(microsecond=0)
    _, (event,) = parse(calendar([session_event("u", START, END, "S")], "C"))
    assert before <= ics_time(event["DTSTAMP"]) <= datetime.now(UTC)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start_utc": datetime(2022, 6, 2, 9, 0)}, "timezone-aware"),
        ({"end_utc": START - timedelta(minutes=1)}, "before"),
        ({"uid": "  "}, "uid"),
        ({"uid": "a\r\nX-EVIL:1"}, "line breaks"),
        ({"url": "https://x.id/\nX-EVIL:1"}, "line breaks"),
        ({"sequence": -1}, "sequence"),
    ],
)
def test_session_event_rejects_bad_input(kwargs, message):
    args = {"uid": "u", "start_utc": START, "end_utc": END, "summary": "S"}
    args.update(kwargs)
    with pytest.raises(ValueError, match=message):
        session_event(**args)


def test_unknown_zone_is_rejected():
    with pytest.raises(KeyError):  # ZoneInfoNotFoundError is a KeyError
        session_event("u", START, END, "S", tzid="Asia/Atlantis")


def test_newline_in_summary_cannot_inject_properties():
    text = one_event(summary="Sesi\r\nX-INJECTED:1\nATTENDEE:mailto:x@y")
    _, (event,) = parse(text)
    assert "X-INJECTED" not in event and "ATTENDEE" not in event
