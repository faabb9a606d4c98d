"""A trainer writes and publishes version 2; a consultant enrolled by CSV import reads it on a phone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll
from tests.factories import make_course, make_user

pytestmark = pytest.mark.browser
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82")
BODY = """## Tabel bahan

| Bahan | Status |
|---|---|
| Gula pasir | Perlu sertifikat |

![Contoh label](assets/label.png)

Produk wajib memakai bahan bersertifikat halal.[^1]

[^1]: Kepkaban 146/2025.
"""


def _shot(page, name):
    from tests.browser.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(page, base, email, password):
    page.goto(base + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")


def test_trainer_publishes_and_imported_consultant_reads_on_phone(live, browser, tmp_path):
    base, app = live
    with app.app_context():
        trainer = make_user("pelatih@example.id", roles=("trainer",), full_name="Pak Pelatih")
        make_user("penyelenggara@example.id", roles=("organiser",), full_name="Bu Penyelenggara")
        course = make_course(trainer, title="Bimtek Halal", slug="bimtek-halal", modules=2)
        from courses import enrolment

        cohort = enrolment.create_cohort(course, name="Angkatan Uji", starts_on=__import__("datetime").date.today(),
                                         ends_on=__import__("datetime").date.today())
        from extensions import db

        db.session.commit()
        cohort_id = cohort.id

    desk = browser.new_context(viewport=DESKTOP, locale="id-ID")
    page = desk.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    _login(page, base, "pelatih@example.id", "Rahasia-Kuat-2026")
    page.goto(base + "/trainer/courses/bimtek-halal")
    image = tmp_path / "label.png"
    image.write_bytes(PNG)
    page.get_by_label("Berkas (PDF, PNG, JPG, WebP)").set_input_files(str(image))
    page.get_by_role("button", name="Unggah").click()
    assert page.get_by_text("assets/label.png").first.is_visible()

    page.get_by_role("link", name="Modul 1").click()
    page.get_by_label("Isi (Markdown)").fill(BODY)
    # live preview (JavaScript) renders the table without saving
    page.wait_for_selector("#preview table")
    page.get_by_role("button", name="Pratinjau").click()
    assert page.locator("#preview sup a.footnote-ref").count() == 1
    assert page.locator("#preview img[src$='/files/label.png']").count() == 1
    page.get_by_role("button", name="Simpan draf").click()
    assert page.get_by_text("Draf modul tersimpan").is_visible()
    page.goto(base + "/trainer/courses/bimtek-halal")
    page.get_by_label("Catatan perubahan").fill("Tabel bahan dan contoh label")
    page.get_by_role("button", name="Terbitkan").click()
    assert page.get_by_text("Versi 2 diterbitkan.").is_visible()
    _shot(page, "trainer-course")
    page.get_by_role("button", name="Keluar").click()

    # the organiser imports the consultant from a CSV file
    _login(page, base, "penyelenggara@example.id", "Rahasia-Kuat-2026")
    page.goto(f"{base}/organiser/cohorts/{cohort_id}/import")
    csv_file = tmp_path / "peserta.csv"
    csv_file.write_text("nama,email,provinsi,unit plut\nRatna Sari,ratna@example.id,Maluku,PLUT Ambon\n")
    page.get_by_label("Daftar peserta (CSV atau XLSX)").set_input_files(str(csv_file))
    page.get_by_role("button", name="Lihat pratinjau").click()
    assert page.get_by_text("akan dibuat dan didaftarkan").first.is_visible()
    page.get_by_role("button", name="Simpan impor").click()
    assert page.get_by_text("akun baru dibuat dan didaftarkan").first.is_visible()
    desk.close()

    mail = next((Path(app.instance_path) / "outbox").glob("*ratna@example.id*.eml")).read_text()
    link = re.search(r"http://[^\s]+/reset/[^\s]+", mail).group(0)
    path = link[link.index("/reset/"):]

    phone = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    page = phone.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + path)
    page.get_by_label("Kata sandi baru", exact=True).fill("Papeda-Ambon-2026")
    page.get_by_label("Ulangi kata sandi baru").fill("Papeda-Ambon-2026")
    page.get_by_role("button", name="Simpan kata sandi").click()
    _login(page, base, "ratna@example.id", "Papeda-Ambon-2026")
    page.goto(f"{base}/learn/{cohort_id}")
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "0"
    page.get_by_role("link", name="Modul 1").first.click()
    assert page.locator("article table").count() == 1
    assert page.locator("article img[alt='Contoh label']").evaluate("img => img.naturalWidth") == 1
    assert no_horizontal_scroll(page)
    _shot(page, "consultant-module-phone")
    page.get_by_role("button", name=re.compile("Tandai selesai")).click()
    page.goto(f"{base}/learn/{cohort_id}")
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "50"
    assert page.get_by_text("1 dari 2 modul selesai", exact=True).is_visible()
    assert no_horizontal_scroll(page)
    _shot(page, "consultant-course-phone")
    phone.close()
    assert errors == []
