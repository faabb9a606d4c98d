"""Turn parsed Zoom rows into attendance: names, merged intervals, statuses and roster matching.

Everything here works on plain values (``Row`` in, ``Participant`` and statuses out); the
database side is ``attendance.zoom_import``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from attendance.zoom_types import AttendanceStatus, MatchHow, Participant, Row

# --------------------------------------------------------------------------- names

_PREFIX_RE = re.compile(
    r"^(?:prof|dr|drg|drs|dra|ir|hj|h|k\.?\s?h|kyai|kiai|haji|hajjah|ustadzah|ustadz|ustazah|ustaz|ust"
    r"|bapak|bpk|pak|ibu|bu|sdri|sdra|sdr|tn|ny|nn|mrs|mr|ms|apt|ns)\b\.?\s*",
    re.IGNORECASE,
)
# Degrees and professional titles written after a name, compared without dots, case-folded.
_DEGREES = frozenset(
    """
    se sei sh shi sag sap sip sikom spd spdi ssi ssos ssn ssy st stp sp spt spsi shum skom skm skep sked
    sgz sfarm sak sstp sst str strkeb stt sth sn sds skg ssit sm smb sos sps sesy sfil
    ak ca cpa amd amdkeb amdkep amdkes amdfarm amdkom amdpar
    mm mba msi mpd mpdi mag mh mhi mkn mt mkom msc ma me mei mkes mkm mp mak mhum msos mph mtp mars mpsi
    mtr mfarm mkep msie mesy mtech meng
    phd dba lc bsc ba bba llm llb apt ns spkg sppd spog spa spb
    """.split()
)
# Dotless degrees that are also plausible name parts are only dropped after a comma.
_NAME_LIKE_DEGREES = frozenset({"ma", "me", "ba", "sp", "ms", "sn", "sm", "ca", "ns"})
_DEGREE_HEADS = frozenset({"s", "m", "d", "a", "sp", "ph", "b"})


def _strip_accents(text: str) -> str:
    """Drop combining marks so "José" and "Jose" compare equal."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _is_degree(token: str, after_comma: bool) -> bool:
    """Say whether a token is an academic degree or title rather than part of the name."""
    t = token.strip(".,;:")
    if not t:
        return True
    compact = t.replace(".", "").casefold()
    if "." in t:
        groups = [g for g in t.split(".") if g]
        if compact in _DEGREES:
            return True
        return (
            len(groups) >= 2
            and all(g.isalpha() and len(g) <= 4 for g in groups)
            and groups[0].casefold() in _DEGREE_HEADS
        )
    if compact not in _DEGREES:
        return False
    if after_comma:
        return True
    return t.isupper() and len(t) > 1 and compact not in _NAME_LIKE_DEGREES


def normalise_name(s: str) -> str:
    """Reduce a display name to a comparison key: people add titles, degrees and brackets inconsistently.

    Casefolds, strips accents, drops bracketed text (Zoom's "(Original Name)"), leading titles
    (Prof., Dr., Ir., H., Hj., Bpk., Ibu, ...), trailing degrees (S.E., S.Pd.I, M.M., Ph.D, ST, ...,
    and anything after a comma that is only degrees), apostrophes and other punctuation.
    """
    text = _strip_accents(s or "")
    text = re.sub(r"\([^()]*\)|\[[^\[\]]*\]", " ", text)
    text = re.sub(r"\([^()]*\)", " ", text)  # one level of nesting
    text = re.sub(r"['\u2019\u2018`\u00b4]", "", text)
    text = re.sub(r"\s+", " ", text).strip()

    segments = [seg.strip() for seg in text.split(",")]
    kept = [segments[0]] + [
        seg for seg in segments[1:] if seg and not all(_is_degree(tok, True) for tok in seg.split())
    ]
    text = " ".join(kept).strip()

    while True:
        m = _PREFIX_RE.match(text)
        rest = text[m.end():] if m else ""
        if not m or not re.search(r"[^\W\d_]", rest):
            break
        text = rest.strip()

    tokens = text.split()
    while len(tokens) > 1 and _is_degree(tokens[-1], False):
        tokens.pop()
    text = " ".join(tokens).casefold()
    text = re.sub(r"[^\w]+|_", " ", text)
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- merging


def _union(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Merge overlapping or touching intervals so simultaneous devices are not counted twice."""
    merged: list[list[datetime]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]


def _whole_minutes(seconds: float) -> int:
    """Round seconds to whole minutes, half up, as people read "90 minutes"."""
    return int((seconds + 30) // 60)


def _participant(key: str, rows: Sequence[Row]) -> Participant:
    """Build one Participant from all of its rows."""
    names: list[str] = []
    for row in sorted(rows, key=lambda r: (r.join_utc, r.line)):
        for n in (row.name, row.original_name):
            if n and n not in names:
                names.append(n)
    intervals = _union((r.join_utc, r.leave_utc) for r in rows)
    seconds = sum((b - a).total_seconds() for a, b in intervals)
    email = next((r.email for r in rows if r.email), None)
    return Participant(
        key=key,
        names=tuple(names),
        email=email,
        first_join=min(r.join_utc for r in rows),
        last_leave=max(r.leave_utc for r in rows),
        minutes=_whole_minutes(seconds),
        intervals=tuple(intervals),
        lines=tuple(sorted(r.line for r in rows)),
    )


def _row_name_keys(row: Row) -> list[str]:
    """Return the normalised names of a row, original name first (it survives renames)."""
    keys = [normalise_name(n) for n in (row.original_name, row.name) if n]
    return [k for k in dict.fromkeys(keys) if k]


def merge_participants(rows: Iterable[Row]) -> list[Participant]:
    """Group each person's reconnections and merge their time, so attendance is per person.

    Rows are grouped by e-mail (lowercased).  A row without e-mail joins an e-mail group when
    one of its normalised names belongs to exactly one e-mail group (someone who rejoined from
    a phone without signing in); otherwise it is grouped by the normalised original name (the
    display name when there is none).  Waiting-room rows are not attendance and are ignored.
    Overlapping or touching intervals are merged before the minutes are added up.
    """
    usable = [r for r in rows if not r.in_waiting_room]
    groups: dict[str, list[Row]] = {}
    name_to_email_keys: dict[str, set[str]] = {}
    for row in usable:
        if row.email:
            key = f"email:{row.email.strip().casefold()}"
            groups.setdefault(key, []).append(row)
            for n in _row_name_keys(row):
                name_to_email_keys.setdefault(n, set()).add(key)
    for row in usable:
        if row.email:
            continue
        names = _row_name_keys(row)
        owners = set().union(*(name_to_email_keys.get(n, set()) for n in names)) if names else set()
        if len(owners) == 1:
            key = owners.pop()
        elif names:
            key = f"name:{names[0]}"
        else:
            key = f"line:{row.line}"
        groups.setdefault(key, []).append(row)
    people = [_participant(key, group) for key, group in groups.items()]
    return sorted(people, key=lambda p: (p.first_join, p.key))


def minutes_within(participant: Participant, start: datetime, end: datetime) -> int:
    """Count minutes connected inside the session's scheduled time, ignoring early joins and overruns."""
    total = 0.0
    for a, b in participant.intervals:
        lo, hi = max(a, start), min(b, end)
        if hi > lo:
            total += (hi - lo).total_seconds()
    return _whole_minutes(total)


def attendance_status(
    minutes_present: float,
    session_minutes: float,
    first_join: datetime | None,
    start: datetime,
    present_share: float = 0.75,
    late_after_min: float = 15,
) -> AttendanceStatus:
    """Turn time in the meeting into present/late/absent, the way organisers mark a register.

    * absent  -- never joined, or ``minutes_present < present_share * session_minutes``;
    * present -- enough minutes and first joined at or before ``start + late_after_min``;
    * late    -- enough minutes but first joined after that.
    Both edges are inclusive for the consultant: exactly the share is enough, and joining at
    exactly the threshold is on time.
    """
    if session_minutes <= 0:
        raise ValueError("session_minutes must be positive")
    if not 0 < present_share <= 1:
        raise ValueError("present_share must be in (0, 1]")
    if first_join is None or minutes_present <= 0:
        return "absent"
    if minutes_present + 1e-9 < present_share * session_minutes:
        return "absent"
    return "present" if first_join <= start + timedelta(minutes=late_after_min) else "late"


# --------------------------------------------------------------------------- matching


def match_participants(
    participants: Iterable[Participant],
    roster: Iterable[Mapping[str, Any]],
    remembered: Mapping[str, int],
) -> tuple[list[tuple[Participant, int, MatchHow]], list[Participant]]:
    """Link Zoom participants to enrolled users, never guessing between two people with one name.

    1. ``email``: the participant's e-mail equals exactly one roster e-mail (case-insensitive);
    2. ``remembered``: one of the participant's normalised names is a remembered alias
       (normalised name -> user_id, from earlier manual matches) of a user on this roster;
       aliases pointing at two different users are ignored;
    3. ``name``: the participant's normalised names point at exactly one roster user.
    Anything else is returned as unmatched for the organiser.  Several participants may match
    the same user (laptop and phone); use ``combine_matched`` to merge them per user.
    """
    roster_list = list(roster)
    ids = {int(r["user_id"]) for r in roster_list}
    by_email: dict[str, set[int]] = {}
    by_name: dict[str, set[int]] = {}
    for r in roster_list:
        uid = int(r["user_id"])
        email = (r.get("email") or "").strip().casefold()
        if email:
            by_email.setdefault(email, set()).add(uid)
        key = normalise_name(r.get("name") or "")
        if key:
            by_name.setdefault(key, set()).add(uid)
    aliases: dict[str, set[int]] = {}
    for alias, uid in remembered.items():
        key = normalise_name(alias)
        if key and int(uid) in ids:
            aliases.setdefault(key, set()).add(int(uid))

    matched: list[tuple[Participant, int, MatchHow]] = []
    unmatched: list[Participant] = []
    for p in participants:
        keys = [k for k in dict.fromkeys(normalise_name(n) for n in p.names) if k]
        email_ids = by_email.get((p.email or "").casefold(), set()) if p.email else set()
        if len(email_ids) == 1:
            matched.append((p, next(iter(email_ids)), "email"))
            continue
        alias_ids = set().union(*(aliases.get(k, set()) for k in keys)) if keys else set()
        if len(alias_ids) == 1:
            matched.append((p, alias_ids.pop(), "remembered"))
            continue
        name_ids = set().union(*(by_name.get(k, set()) for k in keys)) if keys else set()
        if len(name_ids) == 1:
            matched.append((p, name_ids.pop(), "name"))
            continue
        unmatched.append(p)
    return matched, unmatched


def combine_matched(matched: Iterable[tuple[Participant, int, str]]) -> dict[int, Participant]:
    """Merge all participants matched to one user, so two devices give one attendance record."""
    by_user: dict[int, list[Participant]] = {}
    for p, uid, _ in matched:
        by_user.setdefault(uid, []).append(p)
    out: dict[int, Participant] = {}
    for uid, ps in by_user.items():
        if len(ps) == 1:
            out[uid] = ps[0]
            continue
        intervals = _union(iv for p in ps for iv in p.intervals)
        names = tuple(dict.fromkeys(n for p in ps for n in p.names))
        out[uid] = Participant(
            key=f"user:{uid}",
            names=names,
            email=next((p.email for p in ps if p.email), None),
            first_join=min(p.first_join for p in ps),
            last_leave=max(p.last_leave for p in ps),
            minutes=_whole_minutes(sum((b - a).total_seconds() for a, b in intervals)),
            intervals=tuple(intervals),
            lines=tuple(sorted(line for p in ps for line in p.lines)),
        )
    return out
