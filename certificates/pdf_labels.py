"""Words and dates printed on the certificate, in Indonesian and English.

Dates may be ``date``, ``datetime`` (its own calendar date is used, so pass local time) or ISO
strings.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

MONTHS = {
    "id": [
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}

LABELS = {
    "id": {
        "number": "Nomor: {number}",
        "awarded_to": "diberikan kepada",
        "province": "Provinsi",
        "version": "Versi materi",
        "valid_as_of": "berlaku per",
        "cohort": "Angkatan",
        "hours": "{jp} JP (jam pelajaran)",
        "issued": "Diterbitkan",
        "valid_until": "Berlaku sampai",
        "code": "Kode verifikasi",
        "scan": "Pindai untuk memeriksa keaslian",
        "disclaimer": "Sertifikat ini adalah sertifikat pelatihan (bimbingan teknis), "
        "bukan registrasi Pendamping PPH oleh BPJPH.",
        "check": "Periksa keaslian di {site} dengan kode verifikasi; "
        "halaman tersebut menampilkan data resmi sertifikat ini.",
    },
    "en": {
        "number": "No. {number}",
        "awarded_to": "is awarded to",
        "province": "Province",
        "version": "Course version",
        "valid_as_of": "content valid as of",
        "cohort": "Cohort",
        "hours": "{jp} teaching hours (JP)",
        "issued": "Issued",
        "valid_until": "Valid until",
        "code": "Verification code",
        "scan": "Scan to check authenticity",
        "disclaimer": "This is a training certificate, not the BPJPH registration of a "
        "Pendamping PPH (halal process facilitator).",
        "check": "Check authenticity at {site} with the verification code; "
        "that page shows this certificate's official record.",
    },
}

# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


def _to_date(value: date | datetime | str) -> date:
    """Accept a date, a datetime or an ISO string and return the calendar date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        return datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text).date()
    raise TypeError(f"not a date: {value!r}")


def _lang(lang: str) -> str:
    """Only Indonesian and English are supported; anything else is a caller bug."""
    if lang not in LABELS:
        raise ValueError("lang must be 'id' or 'en'")
    return lang


def format_date(value: date | datetime | str, lang: str = "id") -> str:
    """Write a date the way people write it on certificates: '2 Juni 2022' / '2 June 2022'."""
    d = _to_date(value)
    return f"{d.day} {MONTHS[_lang(lang)][d.month - 1]} {d.year}"


def format_date_range(start: Any, end: Any, lang: str = "id") -> str:
    """Write a course's dates compactly: '2–4 Juni 2022', '30 Mei – 2 Juni 2022'."""
    if not start and not end:
        return ""
    if not start or not end:
        return format_date(start or end, lang)
    a, b = _to_date(start), _to_date(end)
    if a == b:
        return format_date(a, lang)
    months = MONTHS[_lang(lang)]
    if (a.year, a.month) == (b.year, b.month):
        return f"{a.day}\u2013{b.day} {months[a.month - 1]} {a.year}"
    if a.year == b.year:
        return f"{a.day} {months[a.month - 1]} \u2013 {format_date(b, lang)}"
    return f"{format_date(a, lang)} \u2013 {format_date(b, lang)}"
