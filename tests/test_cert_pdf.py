"""Certificate PDF: page size, text, the embedded QR code and bulk rendering.

The QR test extracts the image that is actually embedded in the PDF (pypdf) and decodes it with
zxing-cpp, so it checks the printed code, not a separately generated one.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
import zxingcpp
from PIL import Image, ImageOps
from pypdf import PdfReader

from certificates import pdf_fonts
from certificates.numbering import display_code, new_verification_code
from certificates.pdf import format_date, format_date_range, render_certificate_pdf, render_many

BASE = "https://bimtek-halal.example.go.id"
STATEMENT = (
    "telah mengikuti dan menyelesaikan bimbingan teknis, dan dinyatakan kompeten melakukan "
    "pemeriksaan awal permohonan sertifikasi halal jalur self-declare."
)
SIGNATORIES = [
    {"name": "Dr. Ahmad Fauzi, M.Si.", "role": "Ketua Penyelenggara", "image_path": None},
    {"name": "Hj. Rina Kartika, S.T.P.", "role": "Narasumber Utama", "image_path": None},
]


def make_cert(**overrides):
    cert = {
        "holder_name": "Siti Nurhaliza Rahmawati",
        "number": "BH/2022/06/0001",
        "verification_code": new_verification_code(),
        "province": "Jawa Timur",
        "course_title": "Bimbingan Teknis Pendampingan Sertifikasi Halal Self-Declare",
        "course_version": "2.1",
        "content_valid_as_of": date(2022, 6, 2),
        "cohort_name": "Angkatan 3",
        "start_date": date(2022, 6, 2),
        "end_date": date(2022, 6, 4),
        "jp": 32,
        "issued_at": datetime(2022, 6, 5, 9, 30),
        "issuer_name": "PLUT KUMKM",
    }
    cert.update(overrides)
    return cert


def render(cert, **kwargs):
    options = {"title": "Sertifikat Pelatihan", "statement": STATEMENT, "signatories": SIGNATORIES, **kwargs}
    return render_certificate_pdf(cert, f"{BASE}/verify/{cert['verification_code']}", **options)


def page_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return re.sub(r"\s+", " ", reader.pages[0].extract_text())


def test_a4_landscape_with_holder_number_and_code():
    cert = make_cert()
    data = render(cert)
    assert data.startswith(b"%PDF-")
    page = PdfReader(io.BytesIO(data)).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert width == pytest.approx(841.89, abs=0.5)  # 297 mm
    assert height == pytest.approx(595.28, abs=0.5)  # 210 mm
    text = page_text(data)
    for expected in (
        "Siti Nurhaliza Rahmawati",
        "BH/2022/06/0001",
        display_code(cert["verification_code"]),
        "SERTIFIKAT PELATIHAN",
        "Jawa Timur",
        "Bimbingan Teknis Pendampingan Sertifikasi Halal Self-Declare",
        "Versi materi 2.1",
        "berlaku per 2 Juni 2022",
        "Angkatan 3",
        "2–4 Juni 2022",
        "32 JP",
        "Diterbitkan 5 Juni 2022",
        "Dr. Ahmad Fauzi, M.Si.",
        "Narasumber Utama",
        "bukan registrasi Pendamping PPH oleh BPJPH",
        "bimtek-halal.example.go.id",
    ):
        assert expected in text, expected


def test_embedded_qr_decodes_to_the_verify_url():
    cert = make_cert()
    url = f"{BASE}/verify/{cert['verification_code']}"
    page = PdfReader(io.BytesIO(render(cert))).pages[0]
    images = list(page.images)
    assert len(images) == 1  # no signature images in this certificate: the only image is the QR
    image = ImageOps.expand(images[0].image.convert("L"), border=40, fill=255)  # add a quiet zone
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [url]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


def test_english_labels_and_dates():
    text = page_text(
        render(
            make_cert(valid_until=date(2025, 6, 5)),
            lang="en",
            title="Training Certificate",
            statement="has completed the technical training.",
        )
    )
    for expected in (
        "TRAINING CERTIFICATE",
        "is awarded to",
        "Course version 2.1",
        "content valid as of 2 June 2022",
        "32 teaching hours (JP)",
        "Issued 5 June 2022",
        "Valid until 5 June 2025",
        "not the BPJPH registration of a Pendamping PPH",
    ):
        assert expected in text, expected


def test_names_beyond_latin_fall_back_to_the_full_font():
    text = page_text(render(make_cert(holder_name="Юлия Ωμέγα Nurhaliza")))
    assert "Юлия Ωμέγα Nurhaliza" in text


def test_decomposed_accents_are_normalised():
    text = page_text(render(make_cert(holder_name="Rene\u0301 Andi\u0301")))
    assert "René Andí" in text


def test_plain_add_font_path_still_works(monkeypatch):
    monkeypatch.setattr(pdf_fonts, "_font_set", lambda kind: None)
    assert "Siti Nurhaliza Rahmawati" in page_text(render(make_cert()))


def test_signature_images_are_placed(tmp_path):
    sig = tmp_path / "ttd.png"
    Image.new("RGB", (300, 120), (20, 40, 120)).save(sig)
    signatories = [{**SIGNATORIES[0], "image_path": str(sig)}, SIGNATORIES[1]]
    page = PdfReader(io.BytesIO(render(make_cert(), signatories=signatories))).pages[0]
    assert len(list(page.images)) == 2


def test_missing_signature_image_is_an_error(tmp_path):
    signatories = [{**SIGNATORIES[0], "image_path": str(tmp_path / "nope.png")}]
    with pytest.raises(FileNotFoundError):
        render(make_cert(), signatories=signatories)


@pytest.mark.parametrize(
    ("cert", "kwargs", "error"),
    [
        (make_cert(holder_name=""), {}, ValueError),
        (make_cert(verification_code="nope"), {}, ValueError),
        (make_cert(), {"lang": "fr"}, ValueError),
        (make_cert(), {"signatories": SIGNATORIES * 3}, ValueError),
    ],
)
def test_bad_input_is_refused(cert, kwargs, error):
    with pytest.raises(error):
        render(cert, **kwargs)


def test_verify_url_must_be_absolute():
    with pytest.raises(ValueError):
        render_certificate_pdf(make_cert(), "/verify/x", title="T", statement="S", signatories=[])


def test_minimal_certificate_without_optional_fields():
    cert = {
        "holder_name": "Budi",
        "number": "7",
        "verification_code": new_verification_code(),
        "course_title": "Bimtek",
    }
    text = page_text(render(cert, signatories=[]))
    assert "Budi" in text and "Bimtek" in text


def test_render_many_yields_unique_safe_file_names():
    certs = [make_cert(), make_cert(number="BH/2022/06/0002"), make_cert()]
    out = list(
        render_many(
            certs,
            lambda c: f"{BASE}/verify/{c['verification_code']}",
            title="Sertifikat Pelatihan",
            statement=STATEMENT,
            signatories=SIGNATORIES,
        )
    )
    names = [name for name, _ in out]
    assert names == ["BH-2022-06-0001.pdf", "BH-2022-06-0002.pdf", "BH-2022-06-0001-2.pdf"]
    assert all(data.startswith(b"%PDF-") for _, data in out)
    assert "BH/2022/06/0002" in page_text(out[1][1])


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (date(2022, 6, 2), "id", "2 Juni 2022"),
        (date(2022, 6, 2), "en", "2 June 2022"),
        (datetime(2023, 12, 31, 23, 59), "id", "31 Desember 2023"),
        ("2022-08-17", "id", "17 Agustus 2022"),
        ("2022-02-01T00:00:00Z", "en", "1 February 2022"),
    ],
)
def test_format_date(value, lang, expected):
    assert format_date(value, lang) == expected


@pytest.mark.parametrize(
    ("start", "end", "lang", "expected"),
    [
        (date(2022, 6, 2), date(2022, 6, 4), "id", "2–4 Juni 2022"),
        (date(2022, 5, 30), date(2022, 6, 2), "id", "30 Mei – 2 Juni 2022"),
        (date(2022, 12, 30), date(2023, 1, 2), "en", "30 December 2022 – 2 January 2023"),
        (date(2022, 6, 2), date(2022, 6, 2), "en", "2 June 2022"),
        (date(2022, 6, 2), None, "id", "2 Juni 2022"),
        (None, None, "id", ""),
    ],
)
def test_format_date_range(start, end, lang, expected):
    assert format_date_range(start, end, lang) == expected
