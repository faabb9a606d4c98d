"""Provinces, zones and the dual-clock formatting consultants see next to every session."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from attendance.zones import (
    DEFAULT_ZONE,
    PROVINCE_CODES,
    PROVINCE_ZONE,
    PROVINCES,
    ZONES,
    format_date_id,
    format_dual,
    format_time,
    zone_for_province,
    zone_label,
)

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"

EXPECTED = {
    WIB: {
        "Aceh", "Sumatera Utara", "Sumatera Barat", "Riau", "Jambi", "Sumatera Selatan", "Bengkulu",
        "Lampung", "Kepulauan Bangka Belitung", "Kepulauan Riau", "DKI Jakarta", "Jawa Barat",
        "Jawa Tengah", "DI Yogyakarta", "Jawa Timur", "Banten", "Kalimantan Barat", "Kalimantan Tengah",
    },
    WITA: {
        "Bali", "Nusa Tenggara Barat", "Nusa Tenggara Timur", "Kalimantan Selatan", "Kalimantan Timur",
        "Kalimantan Utara", "Sulawesi Utara", "Sulawesi Tengah", "Sulawesi Selatan", "Sulawesi Tenggara",
        "Gorontalo", "Sulawesi Barat",
    },
    WIT: {
        "Maluku", "Maluku Utara", "Papua", "Papua Barat", "Papua Barat Daya", "Papua Selatan",
        "Papua Tengah", "Papua Pegunungan",
    },
}


def test_there_are_38_distinct_provinces():
    assert len(PROVINCES) == 38
    assert len(set(PROVINCES)) == 38
    assert set(PROVINCES) == set(PROVINCE_ZONE) == set(PROVINCE_CODES)


@pytest.mark.parametrize("zone", [WIB, WITA, WIT])
def test_each_zone_has_exactly_its_provinces(zone):
    assert {p for p, z in PROVINCE_ZONE.items() if z == zone} == EXPECTED[zone]


def test_list_is_in_ministry_code_order_west_to_east():
    codes = [PROVINCE_CODES[p] for p in PROVINCES]
    assert codes == sorted(codes, key=int)
    assert PROVINCES[0] == "Aceh"
    assert PROVINCES[-1] == "Papua Barat Daya"
    assert PROVINCE_CODES["DKI Jakarta"] == "31"
    assert len(set(codes)) == 38


def test_every_zone_used_is_one_of_the_three():
    assert set(PROVINCE_ZONE.values()) == set(ZONES)
    assert ZONES == {WIB: "WIB", WITA: "WITA", WIT: "WIT"}
    for zone in ZONES:
        ZoneInfo(zone)


@pytest.mark.parametrize(
    ("name", "zone"),
    [
        ("Jawa Barat", WIB),
        ("jawa barat", WIB),
        ("  JAWA   TIMUR ", WIB),
        ("Provinsi Kalimantan Barat", WIB),
        ("Kalimantan Tengah", WIB),
        ("Kalimantan Selatan", WITA),
        ("Kalimantan Utara", WITA),
        ("Bali", WITA),
        ("NTB", WITA),
        ("ntt", WITA),
        ("Gorontalo", WITA),
        ("Sulawesi Barat", WITA),
        ("Maluku Utara", WIT),
        ("Papua Pegunungan", WIT),
        ("Papua Barat Daya", WIT),
        ("Prov. Papua Selatan", WIT),
        ("DKI Jakarta", WIB),
        ("Daerah Khusus Jakarta", WIB),
        ("DIY", WIB),
        ("Daerah Istimewa Yogyakarta", WIB),
        ("Kepri", WIB),
        ("Sulsel", WITA),
        ("Atlantis", DEFAULT_ZONE),
        ("", DEFAULT_ZONE),
        (None, DEFAULT_ZONE),
    ],
)
def test_zone_for_province(name, zone):
    assert zone_for_province(name) == zone


@pytest.mark.parametrize(
    ("utc", "session", "viewer", "lang", "expected"),
    [
        (datetime(2022, 6, 2, 2, 0, tzinfo=UTC), WIB, WITA, "id", "09.00 WIB (10.00 WITA)"),
        (datetime(2022, 6, 2, 2, 0, tzinfo=UTC), WIB, WIT, "id", "09.00 WIB (11.00 WIT)"),
        (datetime(2022, 6, 2, 2, 0, tzinfo=UTC), WIB, WIB, "id", "09.00 WIB"),
        (datetime(2022, 6, 2, 2, 5, tzinfo=UTC), WIT, WIB, "id", "11.05 WIT (09.05 WIB)"),
        (datetime(2022, 6, 2, 2, 0, tzinfo=UTC), WIB, WITA, "en", "09:00 WIB (10:00 WITA)"),
        (datetime(2022, 6, 2, 2, 0, tzinfo=UTC), WIB, "Asia/Pontianak", "id", "09.00 WIB"),
        # The viewer's date differs: say which day it is for them.
        (datetime(2022, 6, 2, 16, 30, tzinfo=UTC), WIB, WIT, "id", "23.30 WIB (01.30 WIT, Jumat)"),
        (datetime(2022, 6, 2, 16, 30, tzinfo=UTC), WIT, WIB, "en", "01:30 WIT (23:30 WIB, Thursday)"),
    ],
)
def test_format_dual(utc, session, viewer, lang, expected):
    assert format_dual(utc, session, viewer, lang) == expected


def test_format_dual_accepts_any_aware_datetime():
    local = datetime(2022, 6, 2, 10, 0, tzinfo=ZoneInfo(WITA))
    assert format_dual(local, WIB, WITA) == "09.00 WIB (10.00 WITA)"


def test_non_indonesian_zone_uses_its_own_abbreviation():
    assert format_time(datetime(2022, 1, 10, 2, 0, tzinfo=UTC), "Europe/London", "en") == "02:00 GMT"
    assert zone_label(WITA) == "WITA"


@pytest.mark.parametrize(
    ("utc", "zone", "lang", "expected"),
    [
        (datetime(2022, 6, 2, 2, 0, tzinfo=UTC), WIB, "id", "Kamis, 2 Juni 2022"),
        (datetime(2022, 6, 2, 2, 0, tzinfo=UTC), WIB, "en", "Thursday, 2 June 2022"),
        (datetime(2022, 6, 2, 16, 30, tzinfo=UTC), WIB, "id", "Kamis, 2 Juni 2022"),
        (datetime(2022, 6, 2, 16, 30, tzinfo=UTC), WIT, "id", "Jumat, 3 Juni 2022"),
        (datetime(2022, 8, 17, 0, 0, tzinfo=UTC), WIB, "id", "Rabu, 17 Agustus 2022"),
        (datetime(2023, 12, 31, 17, 0, tzinfo=UTC), WIB, "id", "Senin, 1 Januari 2024"),
        (datetime(2023, 12, 31, 16, 59, tzinfo=UTC), WIB, "en_GB", "Sunday, 31 December 2023"),
        (datetime(2024, 3, 2, 1, 0, tzinfo=UTC), WITA, "id", "Sabtu, 2 Maret 2024"),
    ],
)
def test_format_date_id(utc, zone, lang, expected):
    assert format_date_id(utc, zone, lang) == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda naive: format_dual(naive, WIB, WITA),
        lambda naive: format_date_id(naive, WIB),
        lambda naive: format_time(naive, WIB),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(datetime(2022, 6, 2, 9, 0))
