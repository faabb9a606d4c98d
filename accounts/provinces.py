"""The 38 provinces of Indonesia (2022 onwards) and the time zone each one keeps."""

from __future__ import annotations

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"

# Ordered as the Ministry of Home Affairs lists them (west to east, by province code).
PROVINCE_ZONE: dict[str, str] = {
    "Aceh": WIB,
    "Sumatera Utara": WIB,
    "Sumatera Barat": WIB,
    "Riau": WIB,
    "Jambi": WIB,
    "Sumatera Selatan": WIB,
    "Bengkulu": WIB,
    "Lampung": WIB,
    "Kepulauan Bangka Belitung": WIB,
    "Kepulauan Riau": WIB,
    "DKI Jakarta": WIB,
    "Jawa Barat": WIB,
    "Jawa Tengah": WIB,
    "DI Yogyakarta": WIB,
    "Jawa Timur": WIB,
    "Banten": WIB,
    "Bali": WITA,
    "Nusa Tenggara Barat": WITA,
    "Nusa Tenggara Timur": WITA,
    "Kalimantan Barat": WIB,
    "Kalimantan Tengah": WIB,
    "Kalimantan Selatan": WITA,
    "Kalimantan Timur": WITA,
    "Kalimantan Utara": WITA,
    "Sulawesi Utara": WITA,
    "Sulawesi Tengah": WITA,
    "Sulawesi Selatan": WITA,
    "Sulawesi Tenggara": WITA,
    "Gorontalo": WITA,
    "Sulawesi Barat": WITA,
    "Maluku": WIT,
    "Maluku Utara": WIT,
    "Papua": WIT,
    "Papua Barat": WIT,
    "Papua Selatan": WIT,
    "Papua Tengah": WIT,
    "Papua Pegunungan": WIT,
    "Papua Barat Daya": WIT,
}
PROVINCES: list[str] = list(PROVINCE_ZONE)
ZONE_ABBR = {WIB: "WIB", WITA: "WITA", WIT: "WIT"}
ZONES = tuple(ZONE_ABBR)


def zone_for_province(name: str | None) -> str:
    """The IANA zone of a province, WIB when unknown."""
    return PROVINCE_ZONE.get(name or "", WIB)
