"""A consultant finishes the course, downloads the PDF; anyone scanning its QR sees "valid", then "revoked"."""

from __future__ import annotations

import re

import pytest
import zxingcpp
from PIL import ImageOps
from pypdf import PdfReader

from extensions import db
from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot
from tests.factories import PASSWORD, enrol, make_cohort, make_course, make_user

pytestmark = pytest.mark.browser


def _setup(app, base: str) -> int:
    app.config["BASE_URL"] = base  # the QR code must open this very server
    with app.app_context():
        trainer = make_user("pelatih@example.id", roles=("trainer",), full_name="Pak Pelatih")
        make_user("penyelenggara@example.id", roles=("organiser",), full_name="Bu Penyelenggara")
        consultant = make_user("dewi@example.id", full_name="Dewi Lestari", province="Nusa Tenggara Barat",
                               plut_unit="PLUT KUMKM Kota Mataram")
        course = make_course(trainer, title="Bimtek Halal Self Declare", modules=2)
        course.completion = {"modules": "all"}
        cohort = make_cohort(course, name="Angkatan Mataram")
        enrol(consultant, cohort)
        db.session.commit()
        return cohort.id


def _sign_in(page, base: str, email: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")


def _qr_url(pdf_path) -> str:
    image = next(iter(PdfReader(pdf_path).pages[0].images)).image
    results = zxingcpp.read_barcodes(ImageOps.expand(image.convert("L"), border=40, fill=255))
    assert len(results) == 1
    return results[0].text


def test_finish_download_verify_revoke(live, page, browser, tmp_path):
    base, app = live
    cohort_id = _setup(app, base)
    viewport = PHONE if page.device_name == "phone" else DESKTOP

    # the consultant reads both modules
    _sign_in(page, base, "dewi@example.id")
    page.goto(f"{base}/learn/{cohort_id}")
    page.get_by_role("link", name=re.compile("Lanjutkan membaca")).click()
    page.get_by_role("button", name="Tandai selesai & lanjut").click()
    page.get_by_role("button", name="Tandai selesai").click()
    # finishing the last requirement issues the certificate at once
    assert page.get_by_text("Selamat! Sertifikat Anda sudah terbit.").is_visible()
    page.goto(f"{base}/learn/{cohort_id}")
    assert "2 dari 2 modul selesai" in page.content()

    page.get_by_role("link", name="Sertifikat saya").first.click()
    assert page.get_by_role("link", name="Unduh PDF").is_visible()
    assert no_horizontal_scroll(page)
    shot(page, "certificate-mine")
    with page.expect_download() as info:
        page.get_by_role("link", name="Unduh PDF").click()
    pdf_path = tmp_path / "sertifikat.pdf"
    info.value.save_as(pdf_path)
    text = PdfReader(pdf_path).pages[0].extract_text()
    assert "Dewi Lestari" in text
    url = _qr_url(pdf_path)
    assert url.startswith(base + "/verify/")

    # an anonymous visitor scans the QR code
    visitor = browser.new_context(viewport=viewport, locale="id-ID")
    public = visitor.new_page()
    public.goto(url)
    assert public.get_by_role("heading", name="Sertifikat sah dan berlaku").is_visible()
    assert "Dewi Lestari" in public.content() and "Nusa Tenggara Barat" in public.content()
    assert "dewi@example.id" not in public.content()
    assert no_horizontal_scroll(public)
    public.device_name = page.device_name
    shot(public, "certificate-verify-valid")

    # the organiser revokes it
    staff_context = browser.new_context(viewport=viewport, locale="id-ID")
    staff = staff_context.new_page()
    _sign_in(staff, base, "penyelenggara@example.id")
    staff.goto(f"{base}/organiser/certificates/cohorts/{cohort_id}")
    assert no_horizontal_scroll(staff)
    staff.device_name = page.device_name
    shot(staff, "certificate-eligibility")
    staff.get_by_role("link", name=re.compile(r"^BH.\d{4}")).click()
    staff.locator("#revoke-reason").fill("Data kehadiran tidak sah")
    staff.get_by_role("button", name="Cabut").click()
    assert staff.get_by_text("dicabut.").first.is_visible()
    staff_context.close()

    # the same link now says revoked
    public.reload()
    assert public.get_by_role("heading", name="Sertifikat ini telah dicabut").is_visible()
    assert "Data kehadiran tidak sah" not in public.content()
    shot(public, "certificate-verify-revoked")
    visitor.close()
    assert page.errors_seen == []
