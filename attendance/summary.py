"""The attendance share of one participant, the way the certificate rule (certificates/rules.py) counts it.

Hadir and Terlambat count as attended, Izin leaves the session out of the denominator, Tidak hadir and
"not recorded yet" stay in it; percentages are compared after rounding both sides to 2 decimals, half up.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from attendance.models import ATTENDED, EXCUSED
from courses.models import Cohort

__all__ = ["Summary", "attendance_rule", "summarise"]


def attendance_rule(cohort: Cohort) -> tuple[float | None, str]:
    """(minimum percent or None, basis) from the course rule with the cohort's override on top."""
    merged = {**(cohort.course.completion or {}), **(cohort.completion_override or {})}
    target = merged.get("attendance_percent")
    basis = merged.get("attendance_basis") or "sessions"
    return (float(target) if target is not None else None), basis


def _round2(value: Fraction | float) -> Decimal:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class Summary:
    """One participant's attendance over a cohort's sessions."""

    attended: int = 0
    excused: int = 0
    absent: int = 0
    unrecorded: int = 0
    counted: int = 0          # denominator (sessions or minutes)
    achieved: int = 0         # numerator (sessions or minutes)
    percent: float = 100.0
    met: bool | None = None   # None: the course does not require attendance
    need: int = 0             # sessions (or minutes) still needed
    basis: str = "sessions"
    statuses: dict[int, str | None] = field(default_factory=dict)
    minutes: dict[int, int | None] = field(default_factory=dict)


def summarise(sessions: list[tuple[int, int]], records: dict[int, tuple[str, int | None]],
              target: float | None, basis: str = "sessions") -> Summary:
    """Attendance share of one person; `sessions` is [(id, scheduled minutes)], `records` id -> (status, minutes)."""
    s = Summary(basis=basis)
    for sid, scheduled in sessions:
        status, minutes = records.get(sid, (None, None))
        s.statuses[sid] = status
        s.minutes[sid] = minutes
        if status == EXCUSED:
            s.excused += 1
            continue
        if status in ATTENDED:
            s.attended += 1
        elif status is None:
            s.unrecorded += 1
        else:
            s.absent += 1
        if basis == "minutes":
            s.counted += max(0, scheduled)
            if status in ATTENDED:
                s.achieved += min(max(0, scheduled if minutes is None else minutes), max(0, scheduled))
        else:
            s.counted += 1
            s.achieved += status in ATTENDED
    s.percent = float(_round2(Fraction(s.achieved, s.counted) * 100)) if s.counted else 100.0
    if target is not None:
        goal = _round2(target)
        s.met = s.counted == 0 or _round2(Fraction(s.achieved, s.counted) * 100) >= goal
        if not s.met:
            if basis == "sessions":
                s.need = next((k for k in range(1, s.counted - s.achieved + 1)
                               if _round2(Fraction(s.achieved + k, s.counted) * 100) >= goal),
                              s.counted - s.achieved)
            else:
                s.need = max(1, math.ceil(Fraction(str(target)) * s.counted / 100 - s.achieved))
    return s
