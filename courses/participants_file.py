"""Reading participant lists (CSV or XLSX) into plain rows; pure apart from the bytes given."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

HEADER_ALIASES = {
    "name": {"name", "nama", "nama lengkap", "full name", "full_name"},
    "email": {"email", "e-mail", "surel", "alamat email"},
    "phone": {"phone", "telepon", "no hp", "nomor hp", "hp", "no. hp", "whatsapp", "nomor telepon"},
    "province": {"province", "provinsi"},
    "plut_unit": {"plut", "plut unit", "unit plut", "plut_unit", "kota", "kota/kabupaten", "unit"},
}
MAX_ROWS = 20000
HEADER_SEARCH_ROWS = 10
MAX_XLSX_UNPACKED = 64 * 1024 * 1024  # an XLSX is a zip: refuse one that expands beyond this (zip bomb)


class ParticipantFileError(ValueError):
    """The file cannot be read as a participant list."""

    def __init__(self, code: str, line: int | None = None, detail: str = ""):
        super().__init__(code)
        self.code = code
        self.line = line
        self.detail = detail


@dataclass
class ParticipantRow:
    line: int
    name: str
    email: str
    phone: str = ""
    province: str = ""
    plut_unit: str = ""
    extra: dict = field(default_factory=dict)


def _canonical(header: str) -> str | None:
    key = " ".join((header or "").strip().lower().replace("_", " ").split())
    for canonical, aliases in HEADER_ALIASES.items():
        if key in aliases:
            return canonical
    return None


def _rows_from_table(table: list[list[str]]) -> list[ParticipantRow]:
    if not table:
        raise ParticipantFileError("empty")
    header_index = None
    for index, row in enumerate(table[:HEADER_SEARCH_ROWS]):
        names = [_canonical(str(c or "")) for c in row]
        if "email" in names and "name" in names:
            header_index = index
            columns = names
            break
    if header_index is None:
        raise ParticipantFileError("no_header", 1)
    rows: list[ParticipantRow] = []
    for offset, raw in enumerate(table[header_index + 1:], start=header_index + 2):
        values = {}
        for column, cell in zip(columns, raw, strict=False):
            if column:
                values[column] = "" if cell is None else str(cell).strip()
        if not any(values.values()):
            continue
        rows.append(ParticipantRow(line=offset, name=values.get("name", ""), email=values.get("email", ""),
                                   phone=values.get("phone", ""), province=values.get("province", ""),
                                   plut_unit=values.get("plut_unit", "")))
        if len(rows) > MAX_ROWS:
            raise ParticipantFileError("too_many_rows", offset)
    return rows


def read_participants(data: bytes, filename: str) -> list[ParticipantRow]:
    """Rows from a CSV (comma or semicolon, UTF-8 with or without BOM, or Windows-1252) or an XLSX file."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return _rows_from_table(_xlsx_table(data))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise ParticipantFileError("encoding")
    if "\x00" in text:
        raise ParticipantFileError("not_text")
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    try:
        table = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise ParticipantFileError("not_text", detail=str(exc)) from exc
    return _rows_from_table(table)


def _xlsx_table(data: bytes) -> list[list[str]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ParticipantFileError("xlsx_unreadable", detail="BadZipFile") from exc
    if unpacked > MAX_XLSX_UNPACKED:
        raise ParticipantFileError("too_large")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        table = []
        # read no further than the row limit allows: a sheet may claim (or hold) a million rows
        for row in sheet.iter_rows(values_only=True):
            table.append(["" if v is None else str(v) for v in row])
            if len(table) > MAX_ROWS + HEADER_SEARCH_ROWS:
                raise ParticipantFileError("too_many_rows", len(table))
        workbook.close()
    except ParticipantFileError:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken file
        raise ParticipantFileError("xlsx_unreadable", detail=exc.__class__.__name__) from exc
    return table
