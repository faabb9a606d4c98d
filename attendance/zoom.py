"""Read Zoom participant reports and turn them into attendance (facade over the zoom_* modules).

Organisers export the "Participants" report of a meeting from Zoom (Reports > Usage) and
upload it.  Zoom writes it in two layouts -- with and without a meeting-summary block -- in
English or, with the Indonesian web portal, Indonesian headers; Excel re-saves it with
semicolons.  Everything here works on plain values: text in, dataclasses out.

Date order.  Zoom writes local times as ``06/02/2022 09:01:23 AM`` (US, month first),
``2022-06-02 09:01:23`` (ISO) or ``02/06/2022 09:01:23`` (day first).  For ``a/b/yyyy`` the
order is decided once per file, first rule that applies:

1. a value that can only be a day: any ``a`` > 12 means day first, any ``b`` > 12 month first
   (both in one file is an error);
2. the meeting itself: the summary block's start/end and every join/leave all belong to one
   meeting, so if across the file only one component changes (a meeting crossing midnight,
   ``02/06`` -> ``03/06``) that component is the day.  The summary block is written in the
   same format as the rows, so on its own it cannot tell ``06/02`` from ``02/06``;
3. the ``dayfirst`` argument, when the caller gives it;
4. the clock style: a 12-hour clock with AM/PM is Zoom's US format (month first); a 24-hour
   clock is the Indonesian/European format (day first).

ISO dates and dates with month names (``Jun 2, 2022``, ``2 Juni 2022``) are never ambiguous.
The order used is returned as ``ZoomReport.dayfirst`` so the upload page can show it.
"""

from __future__ import annotations

from attendance.zoom_merge import (
    attendance_status,
    combine_matched,
    match_participants,
    merge_participants,
    minutes_within,
    normalise_name,
)
from attendance.zoom_parse import decode_report, parse_zoom_report
from attendance.zoom_types import AttendanceStatus, MatchHow, Participant, Row, ZoomReport, ZoomReportError

__all__ = [
    "AttendanceStatus",
    "MatchHow",
    "Participant",
    "Row",
    "ZoomReport",
    "ZoomReportError",
    "attendance_status",
    "combine_matched",
    "decode_report",
    "match_participants",
    "merge_participants",
    "minutes_within",
    "normalise_name",
    "parse_zoom_report",
]
