"""Upload attacks on every upload endpoint (FILE-1..FILE-4).

Endpoints: course attachments, course package import (zip), participant import (CSV/XLSX), GIFT import, excuse
letters and Zoom participant reports. Attacks: wrong type (HTML/EXE renamed), PDF/HTML polyglots, SVG with
script, oversized files (UPLOAD_MAX_MB and EXCUSE_MAX_MB set to 1 here), hostile file names (traversal, Windows
and absolute paths, NUL bytes), zip slip, zip bombs, forged zip headers, encrypted entries and XLSX bombs.

A refused upload must say why, store nothing (no row, no file anywhere) and never crash. A hostile *name* on
valid content is not a reason to refuse: the file is kept under a generated name inside instance/uploads and
the name only survives, cleaned, as a label (FILE-3).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from tests.security_data import (
    EXE_AS_PDF,
    HOSTILE_DOCUMENTS,
    HOSTILE_NAMES,
    HTML_AS_PDF,
    PDF,
    PNG,
    POLYGLOT_PDF,
    SVG_SCRIPT,
    WorldApp,
    lying_zip,
    multipart,
    package_with,
    zip_bomb,
    zip_bytes,
)

UPLOAD_MB = 1
MAX_BODY = 3 * 1024 * 1024


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    world_app = WorldApp(tmp_path_factory.mktemp("uploads"), UPLOAD_MAX_MB=UPLOAD_MB, EXCUSE_MAX_MB=UPLOAD_MB,
                         MAX_CONTENT_LENGTH=MAX_BODY)
    world_app.base = tmp_path_factory.getbasetemp()
    yield world_app
    world_app.close()


@pytest.fixture
def fresh(site):
    site.dirty = True
    site.reset()
    return site


# ---------------------------------------------------------------------------------------------------------
# Valid content of each kind, and the endpoints


def zoom_csv(site) -> bytes:
    from attendance.models import LiveSession

    session = db.session.get(LiveSession, site.world.session_a)
    day = session.starts_at.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Jakarta")).date()
    stamp = f"{day:%m/%d/%Y}"
    return ("Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\n"
            f"Consultant A,consultant.a@matrix.example.id,{stamp} 09:00:00 AM,{stamp} 10:55:00 AM,115,No\n"
            f"Tamu Tak Dikenal,,{stamp} 09:05:00 AM,{stamp} 10:00:00 AM,55,Yes\n").encode()


PARTICIPANTS_CSV = b"nama,email,provinsi\nSiti Baru,siti.baru@example.id,Bali\n"
GIFT = b"::q-gift-1:: Lembaga penerbit sertifikat halal? {=BPJPH ~BPOM ~MUI}\n"


def valid_package() -> bytes:
    return package_with({})


ENDPOINTS = {
    # key: (role, url template, file field, extra fields, valid content)
    "attachment": ("trainer_a", "/trainer/courses/{course_a}/attachments", "file", {}, lambda s: PDF),
    "excuse": ("consultant_a", "/sessions/{session_a2}/excuse", "letter", {"reason": "Sakit"}, lambda s: PDF),
    "package": ("trainer_a", "/trainer/import", "file", {}, lambda s: valid_package()),
    "participants": ("organiser", "/organiser/cohorts/{cohort_a}/import", "file", {}, lambda s: PARTICIPANTS_CSV),
    "gift": ("trainer_a", "/trainer/courses/{course_a}/quizzes/import-gift", "file", {}, lambda s: GIFT),
    "zoom": ("organiser", "/organiser/attendance/sessions/{session_a}/zoom", "file", {}, zoom_csv),
}


def _url(site, key: str) -> str:
    return ENDPOINTS[key][1].format(**vars(site.world))


def _post(site, key: str, data: bytes, filename: str):
    role, _, field, extra, _ = ENDPOINTS[key]
    client = site.clients[role]
    return client.post(_url(site, key), **multipart({**extra, field: (data, filename)}))


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


class Watch:
    """Files under the test base directory and the database, before and after one upload."""

    def __init__(self, site):
        self.site = site
        self.before_files = _files(site.base)
        self.before_db = site.changes()

    def new_files(self) -> set[str]:
        return _files(self.site.base) - self.before_files

    def nothing_stored(self, what: str) -> None:
        assert not self.new_files(), f"{what}: files written {sorted(self.new_files())}"
        assert not self.site.wrote(self.before_db), f"{what}: the database changed"


def _message(site, key: str, response) -> str:
    """The page that tells the uploader why (attachments answer with a redirect and a flash)."""
    if key == "attachment":
        assert response.status_code == 302, response.status_code
        return site.clients["trainer_a"].get(response.headers["Location"]).get_data(as_text=True)
    return response.get_data(as_text=True)


# ---------------------------------------------------------------------------------------------------------
# Refused content, per endpoint

TYPE_REFUSED = "Jenis berkas tidak diizinkan"
TOO_BIG = {"attachment": "Berkas terlalu besar (maksimal 1 MB)", "excuse": "Surat terlalu besar (maksimal 1 MB)",
           "zoom": "Berkas terlalu besar (maksimal 1 MB)", "gift": "paling besar 2 MB",
           "participants": "Terlalu banyak baris", "package": "package too large"}


def _xlsx(rows: int = 2, pad_mb: int = 0, dimension: bool = True) -> bytes:
    """A real workbook; `rows` data rows (without a <dimension>, so readers cannot trust it), optional padding."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["nama", "email"])
    book.active.append(["Siti", "siti@example.id"])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml" and (rows > 2 or not dimension):
                text = re.sub(r'<dimension ref="[^"]*"\s*/>', "", data.decode())
                head, _, rest = text.partition("<sheetData>")
                body = ('<row><c t="inlineStr"><is><t>nama</t></is></c><c t="inlineStr"><is><t>email</t></is></c>'
                        "</row>" + '<row><c t="inlineStr"><is><t>x</t></is></c></row>' * rows)
                data = (head + "<sheetData>" + body + "</sheetData>" + rest.partition("</sheetData>")[2]).encode()
            archive.writestr(info.filename, data)
        if pad_mb:
            info = zipfile.ZipInfo("xl/media/pad.bin")
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as handle:
                for _ in range(pad_mb):
                    handle.write(b"\x00" * (1024 * 1024))
    return out.getvalue()


def _encrypted_package() -> bytes:
    data = bytearray(valid_package())
    local, central = data.find(b"PK\x03\x04"), data.find(b"PK\x01\x02")
    data[local + 6] |= 1  # general purpose flag bit 0: "encrypted"
    data[central + 8] |= 1
    return bytes(data)


REFUSED = [
    *[("attachment", label, data, name, TYPE_REFUSED) for label, data, name in HOSTILE_DOCUMENTS],
    *[("excuse", label, data, name, TYPE_REFUSED) for label, data, name in HOSTILE_DOCUMENTS],
    ("attachment", "oversized pdf", PDF + b"\x00" * (UPLOAD_MB * 1024 * 1024), "besar.pdf", TOO_BIG["attachment"]),
    ("excuse", "oversized pdf", PDF + b"\x00" * (UPLOAD_MB * 1024 * 1024), "besar.pdf", TOO_BIG["excuse"]),
    ("package", "html renamed .zip", HTML_AS_PDF, "paket.zip", "not a readable zip file"),
    ("package", "exe renamed .zip", EXE_AS_PDF, "paket.zip", "not a readable zip file"),
    ("package", "svg renamed .zip", SVG_SCRIPT, "paket.zip", "not a readable zip file"),
    ("package", "zip bomb (100 MB of zeros)", zip_bomb(100), "paket.zip", "package too large"),
    ("package", "2001 entries", zip_bytes({f"assets/f{i}.png": b"" for i in range(2001)}), "paket.zip",
     "package too large"),
    ("package", "forged entry size (CRC mismatch)", lying_zip(), "paket.zip", "cannot be read"),
    ("package", "encrypted entries", _encrypted_package(), "paket.zip", "cannot be read"),
    ("package", "html asset named .pdf", package_with({"assets/surat.pdf": HTML_AS_PDF}), "paket.zip",
     "asset type not allowed"),
    ("package", "polyglot asset", package_with({"assets/surat.pdf": POLYGLOT_PDF}), "paket.zip",
     "asset type not allowed"),
    ("package", "svg asset", package_with({"assets/gambar.svg": SVG_SCRIPT}), "paket.zip",
     "asset type not allowed"),
    ("package", "asset with a path in its name", package_with({"assets/sub/../x.png": PNG}), "paket.zip", None),
    ("participants", "exe renamed .csv", EXE_AS_PDF, "peserta.csv", "Berkas bukan teks yang dapat dibaca"),
    ("participants", "html renamed .csv", HTML_AS_PDF, "peserta.csv", "Judul kolom tidak ditemukan"),
    ("participants", "svg renamed .csv", SVG_SCRIPT, "peserta.csv", "Judul kolom tidak ditemukan"),
    ("participants", "zip bomb renamed .xlsx", zip_bomb(100), "peserta.xlsx", "terlalu besar setelah dibuka"),
    ("participants", "xlsx padded to 70 MB unpacked", _xlsx(pad_mb=70), "peserta.xlsx",
     "terlalu besar setelah dibuka"),
    ("participants", "csv field over the csv module limit", b"nama,email\n\"" + b"x" * 200000 + b"\",a@b.id\n",
     "peserta.csv", "Berkas bukan CSV atau XLSX"),
    ("participants", "broken xlsx", b"PK\x03\x04" + b"\x00" * 100, "peserta.xlsx", "Berkas XLSX tidak dapat dibaca"),
    ("gift", "exe renamed .gift", EXE_AS_PDF, "soal.gift", "Berkas harus teks UTF-8"),
    ("gift", "over 2 MB", GIFT * (2 * 1024 * 1024 // len(GIFT) + 10), "soal.gift", "paling besar 2 MB"),
    ("zoom", "exe renamed .csv", EXE_AS_PDF, "zoom.csv", "Berkas ditolak"),
    ("zoom", "html renamed .csv", HTML_AS_PDF, "zoom.csv", "Berkas ditolak"),
    ("zoom", "svg renamed .csv", SVG_SCRIPT, "zoom.csv", "Berkas ditolak"),
    ("zoom", "polyglot", POLYGLOT_PDF, "zoom.csv", "Berkas ditolak"),
    ("zoom", "oversized", b"Name,User Email\n" + b"x" * (UPLOAD_MB * 1024 * 1024 + 10), "zoom.csv",
     TOO_BIG["zoom"]),
]


@pytest.mark.parametrize(("key", "label", "data", "name", "message"), REFUSED,
                         ids=[f"{key}: {label}" for key, label, *_ in REFUSED])
def test_hostile_upload_is_refused_and_nothing_is_stored(fresh, key, label, data, name, message):
    site = fresh
    watch = Watch(site)
    response = _post(site, key, data, name)
    what = f"{key} / {label}: {response.status_code}"
    assert response.status_code < 500, what
    if message is None:  # an entry with a path inside the zip is skipped, never written
        assert not [f for f in watch.new_files() if "x.png" in f and "uploads" not in f], what
        return
    if key != "attachment":
        assert response.status_code == 422, what
    assert message in _message(site, key, response), f"{what}: the page does not say why"
    watch.nothing_stored(what)


@pytest.mark.parametrize("key", sorted(ENDPOINTS))
def test_body_over_the_request_limit_is_413(fresh, key):
    site = fresh
    watch = Watch(site)
    response = _post(site, key, b"%PDF-1.4\n" + b"0" * MAX_BODY, "besar.pdf")
    assert response.status_code == 413, (key, response.status_code)
    assert "Berkas terlalu besar" in response.get_data(as_text=True)
    watch.nothing_stored(key)


def test_xlsx_rows_are_read_no_further_than_the_limit(fresh, monkeypatch):
    """A sheet without a <dimension> holding 20 000 rows is refused at the row limit, not read to the end."""
    from courses import participants_file

    monkeypatch.setattr(participants_file, "MAX_ROWS", 200)
    site = fresh
    watch = Watch(site)
    response = _post(site, "participants", _xlsx(rows=20000), "peserta.xlsx")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Terlalu banyak baris" in page
    assert "baris 211)" in page  # stopped at MAX_ROWS + the ten header-search rows + 1
    watch.nothing_stored("xlsx rows")


# ---------------------------------------------------------------------------------------------------------
# Zip slip: entries that point outside the package are never written anywhere


def test_zip_slip_entries_are_dropped_and_never_written(fresh):
    site = fresh
    from courses.models import Attachment, Course

    watch = Watch(site)
    package = package_with({
        "../../evil-slip.txt": b"owned", "/tmp/evil-absolute.txt": b"owned", "..\\..\\evil-windows.txt": b"owned",
        "assets/../../evil-asset.png": PNG, "assets/../../../etc/passwd": b"root:x:0:0", "__MACOSX/._x": b"x",
    })
    response = _post(site, "package", package, "../../paket.zip")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert not [f for f in watch.new_files() if "evil" in f or "passwd" in f]
    assert not list(Path("/tmp").glob("evil-*"))
    course = db.session.scalar(select(Course).where(Course.slug == "paket-uji"))
    assert db.session.scalar(select(func.count()).select_from(Attachment)
                             .where(Attachment.course_id == course.id)) == 0
    assert watch.new_files() == set()  # nothing on disk at all: the zip is read in memory


def test_staged_participant_token_cannot_name_a_path(fresh):
    site = fresh
    client = site.clients["organiser"]
    url = _url(site, "participants")
    (Path(site.app.instance_path) / "imports").mkdir(exist_ok=True)
    for token in ("../../../etc/passwd", "..%2f..%2fsecret_key", "a" * 31 + "/", "../secret_key" + "a" * 19):
        response = client.post(url, data={"staged": token, "confirm": "1"})
        assert response.status_code == 302 and response.headers["Location"].endswith("/import"), token
    from courses.models import Enrolment

    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 3


# ---------------------------------------------------------------------------------------------------------
# Hostile names on valid content: kept under a generated name, the label cleaned


SAFE_LABEL = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=[repr(n) for n in HOSTILE_NAMES])
def test_hostile_names_on_documents_become_generated_files_and_clean_labels(fresh, name):
    from attendance.models import Excuse
    from courses.models import Attachment

    site = fresh
    watch = Watch(site)
    assert _post(site, "attachment", PNG, name).status_code == 302
    assert _post(site, "excuse", PDF, name).status_code == 302
    new = watch.new_files()
    instance = Path(site.app.instance_path).relative_to(site.base)
    assert len(new) == 2 and all(re.fullmatch(rf"{re.escape(str(instance))}/uploads/[0-9a-f]{{32}}\.(png|pdf)", f)
                                 for f in new), new
    attachment = db.session.scalar(select(Attachment).order_by(Attachment.id.desc()))
    excuse = db.session.scalar(select(Excuse).order_by(Excuse.id.desc()))
    for label in (attachment.name, excuse.letter_name):
        assert SAFE_LABEL.match(label) and ".." not in label, (name, label)
    # served back with the cleaned label, never interpreted
    served = site.clients["consultant_a"].get(f"/courses/{site.world.course_a}/files/{attachment.name}")
    assert served.status_code == 200 and served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["Content-Disposition"] == f'inline; filename="{attachment.name}"'
    served.close()
    letter = site.clients["consultant_a"].get(f"/excuses/{excuse.id}/letter")
    assert letter.headers["Content-Disposition"].startswith("attachment;") and name not in letter.headers[
        "Content-Disposition"]


@pytest.mark.parametrize("name", HOSTILE_NAMES, ids=[repr(n) for n in HOSTILE_NAMES])
def test_hostile_names_on_imports_write_no_file(fresh, name):
    from attendance.models import ZoomImport

    site = fresh
    watch = Watch(site)
    assert _post(site, "zoom", zoom_csv(site), name).status_code == 302
    assert _post(site, "gift", GIFT, name).status_code == 200
    assert _post(site, "participants", PARTICIPANTS_CSV, name).status_code == 200
    assert _post(site, "package", valid_package(), name).status_code == 302
    staged = {f for f in watch.new_files() if re.search(r"imports/[0-9a-f]{32}\.json$", f)}
    assert watch.new_files() == staged and len(staged) == 1, watch.new_files()
    stored = db.session.scalar(select(ZoomImport.filename).order_by(ZoomImport.id.desc()))
    assert stored and all(c.isprintable() for c in stored), repr(stored)


def test_nul_in_a_zoom_report_is_refused(fresh):
    """PostgreSQL cannot store NUL in text: a report carrying one is refused, not half-saved."""
    site = fresh
    watch = Watch(site)
    data = zoom_csv(site).replace(b",No\n", b",\x00No\n", 1)
    response = _post(site, "zoom", data, "zoom.csv")
    assert response.status_code == 422 and "Berkas ditolak" in response.get_data(as_text=True)
    watch.nothing_stored("zoom with NUL")


def test_uploaded_pdf_attachment_is_downloaded_not_rendered(fresh):
    """FILE-4: a PDF attachment is sent as a download with nosniff; only images are inline."""
    site = fresh
    assert _post(site, "attachment", PDF, "materi.pdf").status_code == 302
    response = site.clients["consultant_b"].get(f"/courses/{site.world.course_a}/files/materi.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
    # a consultant of another course cannot fetch it
    assert site.clients["consultant_c"].get(f"/courses/{site.world.course_a}/files/materi.pdf").status_code == 404


def test_upload_attack_count():
    assert len(REFUSED) >= 34 and len(HOSTILE_NAMES) >= 8 and len(ENDPOINTS) == 6
