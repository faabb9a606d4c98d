"""Indonesian provinces, their time zones, and how session times are shown to consultants.

Live sessions are scheduled in one zone (usually WIB) but consultants join from all three
Indonesian zones, so every time shown next to a session says both the session's clock and
the viewer's clock.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from accounts.provinces import PROVINCE_ZONE as _PROVINCE_ZONE
from accounts.provinces import PROVINCES as _PROVINCES
from accounts.provinces import ZONE_ABBR

__all__ = [
    "DEFAULT_ZONE",
    "PROVINCES",
    "PROVINCE_CODES",
    "PROVINCE_ZONE",
    "ZONES",
    "format_date_id",
    "format_dual",
    "format_time",
    "weekday_name",
    "zone_for_province",
    "zone_label",
]

DEFAULT_ZONE = "Asia/Jakarta"

# IANA zone -> the abbreviation Indonesians use.  West and Central Kalimantan are
# Asia/Pontianak in the tz database; it has the same offset as Asia/Jakarta (UTC+7), so
# they map to Asia/Jakarta here and the app only ever stores these three zones.
ZONES: dict[str, str] = dict(ZONE_ABBR)

# The province list and each province's zone live once, in accounts.provinces (accounts is the base
# package).  Here only the Kemendagri area codes (kode wilayah) are added; they run west to east, in
# the same order.  Jakarta stays "DKI Jakarta" because that is the name people still pick on forms;
# "Daerah Khusus Jakarta"/"DKJ" (UU 2/2024 as amended by UU 151/2024) is accepted as an alias by
# zone_for_province().
PROVINCES: list[str] = list(_PROVINCES)
PROVINCE_ZONE: dict[str, str] = dict(_PROVINCE_ZONE)
PROVINCE_CODES: dict[str, str] = {
    "Aceh": "11", "Sumatera Utara": "12", "Sumatera Barat": "13", "Riau": "14", "Jambi": "15",
    "Sumatera Selatan": "16", "Bengkulu": "17", "Lampung": "18", "Kepulauan Bangka Belitung": "19",
    "Kepulauan Riau": "21", "DKI Jakarta": "31", "Jawa Barat": "32", "Jawa Tengah": "33", "DI Yogyakarta": "34",
    "Jawa Timur": "35", "Banten": "36", "Bali": "51", "Nusa Tenggara Barat": "52", "Nusa Tenggara Timur": "53",
    "Kalimantan Barat": "61", "Kalimantan Tengah": "62", "Kalimantan Selatan": "63", "Kalimantan Timur": "64",
    "Kalimantan Utara": "65", "Sulawesi Utara": "71", "Sulawesi Tengah": "72", "Sulawesi Selatan": "73",
    "Sulawesi Tenggara": "74", "Gorontalo": "75", "Sulawesi Barat": "76", "Maluku": "81", "Maluku Utara": "82",
    "Papua": "91", "Papua Barat": "92", "Papua Selatan": "93", "Papua Tengah": "94", "Papua Pegunungan": "95",
    "Papua Barat Daya": "96",
}
if set(PROVINCE_CODES) != set(PROVINCES):  # pragma: no cover - guards an edit of accounts.provinces
    raise RuntimeError("accounts.provinces and the province codes in attendance.zones disagree")

# Other spellings people type or older data holds; keys are compared after _key().
_ALIASES: dict[str, str] = {
    "nad": "Aceh",
    "nanggroe aceh darussalam": "Aceh",
    "sumut": "Sumatera Utara",
    "sumatra utara": "Sumatera Utara",
    "sumbar": "Sumatera Barat",
    "sumatra barat": "Sumatera Barat",
    "sumsel": "Sumatera Selatan",
    "sumatra selatan": "Sumatera Selatan",
    "babel": "Kepulauan Bangka Belitung",
    "bangka belitung": "Kepulauan Bangka Belitung",
    "kep bangka belitung": "Kepulauan Bangka Belitung",
    "kepri": "Kepulauan Riau",
    "kep riau": "Kepulauan Riau",
    "jakarta": "DKI Jakarta",
    "dki": "DKI Jakarta",
    "daerah khusus ibukota jakarta": "DKI Jakarta",
    "daerah khusus ibu kota jakarta": "DKI Jakarta",
    "daerah khusus jakarta": "DKI Jakarta",
    "dk jakarta": "DKI Jakarta",
    "dkj": "DKI Jakarta",
    "jabar": "Jawa Barat",
    "jateng": "Jawa Tengah",
    "diy": "DI Yogyakarta",
    "yogyakarta": "DI Yogyakarta",
    "daerah istimewa yogyakarta": "DI Yogyakarta",
    "jogja": "DI Yogyakarta",
    "jatim": "Jawa Timur",
    "ntb": "Nusa Tenggara Barat",
    "ntt": "Nusa Tenggara Timur",
    "kalbar": "Kalimantan Barat",
    "kalteng": "Kalimantan Tengah",
    "kalsel": "Kalimantan Selatan",
    "kaltim": "Kalimantan Timur",
    "kaltara": "Kalimantan Utara",
    "sulut": "Sulawesi Utara",
    "sulteng": "Sulawesi Tengah",
    "sulsel": "Sulawesi Selatan",
    "sultra": "Sulawesi Tenggara",
    "sulbar": "Sulawesi Barat",
    "malut": "Maluku Utara",
    "pabar": "Papua Barat",
    "pbd": "Papua Barat Daya",
}


def _key(name: str) -> str:
    """Fold a province name so that case, accents, punctuation and a "Provinsi" prefix don't matter."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    text = re.sub(r"^(provinsi|propinsi|prov|province of|province)\s+", "", text)
    return re.sub(r"\s+", " ", text)


_LOOKUP: dict[str, str] = {_key(name): zone for name, zone in PROVINCE_ZONE.items()}
_LOOKUP.update({_key(alias): PROVINCE_ZONE[name] for alias, name in _ALIASES.items()})


def zone_for_province(name: str | None) -> str:
    """Return the IANA zone of a province so times can be shown on the consultant's own clock."""
    if not name:
        return DEFAULT_ZONE
    return _LOOKUP.get(_key(name), DEFAULT_ZONE)


def zone_label(zone: str, when: datetime | None = None) -> str:
    """Return WIB/WITA/WIT for Indonesian zones, else the zone's own abbreviation, so labels stay short."""
    if zone in ZONES:
        return ZONES[zone]
    moment = when if when is not None else datetime.now(ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(zone)).tzname() or zone


def _require_aware(dt: datetime) -> None:
    """Refuse naive datetimes because a naive value has no defined instant to convert."""
    if dt.tzinfo is None or dt.tzinfo.utcoffset(dt) is None:
        raise ValueError("datetime must be timezone-aware (UTC)")


_DAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}


def _lang(lang: str) -> str:
    """Reduce a locale like "id_ID" or "en-GB" to the two languages the platform ships."""
    return "en" if lang.lower().startswith("en") else "id"


def weekday_name(local: datetime, lang: str = "id") -> str:
    """The weekday of a local datetime in Indonesian ("Jumat") or English."""
    return _DAYS[_lang(lang)][local.weekday()]


def format_time(dt_utc: datetime, zone: str, lang: str = "id") -> str:
    """Format a clock time with its zone label, with a dot in Indonesian ("09.00 WIB") as KBBI style wants."""
    _require_aware(dt_utc)
    local = dt_utc.astimezone(ZoneInfo(zone))
    sep = ":" if _lang(lang) == "en" else "."
    return f"{local.hour:02d}{sep}{local.minute:02d} {zone_label(zone, dt_utc)}"


def format_dual(dt_utc: datetime, session_zone: str, viewer_zone: str, lang: str = "id") -> str:
    """Show the session's clock and, in brackets, the viewer's, so nobody joins an hour late.

    "09.00 WIB (10.00 WITA)"; only one part when the zones are the same (or have the same label).
    When the viewer's date differs from the session's, the viewer's weekday is added:
    "23.30 WIB (01.30 WIT, Jumat)".
    """
    _require_aware(dt_utc)
    lang = _lang(lang)
    main = format_time(dt_utc, session_zone, lang)
    if viewer_zone == session_zone:
        return main
    other = format_time(dt_utc, viewer_zone, lang)
    if other == main:
        return main
    session_local = dt_utc.astimezone(ZoneInfo(session_zone))
    viewer_local = dt_utc.astimezone(ZoneInfo(viewer_zone))
    if viewer_local.date() != session_local.date():
        other = f"{other}, {_DAYS[lang][viewer_local.weekday()]}"
    return f"{main} ({other})"


def format_date_id(dt: datetime, zone: str, lang: str = "id") -> str:
    """Format the local date in the zone ("Kamis, 2 Juni 2022"), since the date can differ between zones."""
    _require_aware(dt)
    lang = _lang(lang)
    local = dt.astimezone(ZoneInfo(zone))
    return f"{_DAYS[lang][local.weekday()]}, {local.day} {_MONTHS[lang][local.month - 1]} {local.year}"
