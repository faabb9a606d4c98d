"""The values a Zoom participant report becomes: rows, the parsed report, merged participants.

Shared by ``attendance.zoom_parse`` (text -> ``ZoomReport``), ``attendance.zoom_dates`` (report
times) and ``attendance.zoom_merge`` (rows -> ``Participant`` -> attendance).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

AttendanceStatus = Literal["present", "late", "absent"]
MatchHow = Literal["email", "name", "remembered"]


class ZoomReportError(ValueError):
    """A report that cannot be read, with the 1-based line to point the organiser at."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Row:
    """One line of the participant table: one connection of one device."""

    line: int
    name: str
    original_name: str | None
    email: str | None
    join_utc: datetime
    leave_utc: datetime
    guest: bool | None = None
    in_waiting_room: bool | None = None


@dataclass(frozen=True)
class ZoomReport:
    """A parsed report; ``meeting`` is None for the plain participant layout."""

    meeting: dict[str, Any] | None
    rows: list[Row]
    dayfirst: bool | None = None


@dataclass(frozen=True)
class Participant:
    """All connections of one person merged, so reconnections count once."""

    key: str
    names: tuple[str, ...]
    email: str | None
    first_join: datetime
    last_leave: datetime
    minutes: int
    intervals: tuple[tuple[datetime, datetime], ...] = field(default=(), repr=False)
    lines: tuple[int, ...] = field(default=(), repr=False)

    @property
    def seconds(self) -> int:
        """Exact connected time, for callers that need more than whole minutes."""
        return sum(int((b - a).total_seconds()) for a, b in self.intervals)
