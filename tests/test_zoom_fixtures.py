"""Shared Zoom-report test data (no tests here): the sample files, the three Indonesian zones and helpers."""

from datetime import UTC, datetime
from pathlib import Path

from attendance.zoom import Participant, decode_report, parse_zoom_report

DATA = Path(__file__).parent / "data" / "zoom"
WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


def load(name: str, zone: str, dayfirst: bool | None = None):
    return parse_zoom_report(decode_report((DATA / name).read_bytes()), zone, dayfirst)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def by_email(people: list[Participant]) -> dict[str | None, Participant]:
    return {p.email: p for p in people}
