"""The three main journeys end to end in Chromium, on a desktop and on a 360×640 phone.

Consultant: register → join with a code → read → pre-test → module quiz (autosave) → QR check-in → final test →
certificate PDF → its QR opens "sah". Trainer: module, quiz, GIFT import, item statistics. Organiser: cohort,
participants, sessions, Zoom report, unmatched row, bulk certificates, a revocation, the funnel as XLSX.
"""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, time, timedelta

import openpyxl
import pytest
import zxingcpp
from PIL import ImageOps
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.journey_steps import (
    DATA,
    MODULE_QUIZ,
    PagesSeen,
    answer,
    attempt_id,
    checkin_link,
    finish_learning,
    fits,
    live_session,
    open_cohort,
    right_answers,
    seed_attempts,
    serve,
    sign_in,
    snap,
    take_whole_quiz,
    zoom_report,
)
from tests.factories import make_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One live server and one demo course for all the journeys of this file."""
    yield from serve(tmp_path_factory)


def _qr_url(pdf_path) -> str:
    image = next(iter(PdfReader(pdf_path).pages[0].images)).image
    results = zxingcpp.read_barcodes(ImageOps.expand(image.convert("L"), border=40, fill=255))
    assert len(results) == 1
    return results[0].text


def _fits(page) -> None:
    assert fits(page), page.url


def test_consultant_registers_learns_checks_in_and_verifies_the_certificate(server, page, browser, tmp_path):
    base, app, device = server.base, server.app, page.device_name
    cohort_name = {"desktop": "Angkatan Mataram", "phone": "Angkatan Kupang"}[device]
    cohort_id, code = open_cohort(app, server.course_id, name=cohort_name)
    session_id = live_session(app, cohort_id)
    seen = PagesSeen(page)

    # register from the landing page
    page.goto(base + "/")
    page.get_by_role("link", name="Daftar sebagai peserta").click()
    page.get_by_label("Nama lengkap").fill("Dewi Lestari")
    page.get_by_label("Email").fill(f"dewi.{device}@example.id")
    page.get_by_label("Provinsi").select_option("Nusa Tenggara Barat")
    page.get_by_label("Unit PLUT atau kota/kabupaten").fill("PLUT KUMKM Kota Mataram")
    page.get_by_label("Bidang konsultan").select_option("produksi")
    page.get_by_label("Kata sandi", exact=True).fill("Sate-Rembiga-2026")
    page.get_by_label("Ulangi kata sandi").fill("Sate-Rembiga-2026")
    page.get_by_role("button", name="Buat akun").click()
    page.wait_for_url("**/dashboard")

    # join the cohort with the organiser's code
    page.get_by_label("Kode pendaftaran").fill(code.lower())
    page.get_by_role("button", name="Gabung").click()
    page.wait_for_url(f"**/learn/{cohort_id}")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "0")
    _fits(page)
    snap(page, "consultant-course")

    # read both modules
    page.get_by_role("link", name=re.compile("Lanjutkan membaca")).click()
    expect(page.locator("article h1")).to_contain_text("Ekosistem")
    _fits(page)
    snap(page, "consultant-module")
    page.get_by_role("button", name="Tandai selesai & lanjut").click()
    page.get_by_role("button", name="Tandai selesai", exact=True).click()
    page.goto(f"{base}/learn/{cohort_id}")
    expect(page.get_by_text("2 dari 2 modul selesai", exact=True)).to_be_visible()

    # the pre-test (one question per page)
    page.get_by_role("link", name="Kuis dan tes").click()
    page.get_by_role("link", name=re.compile("^Pretest")).click()
    page.get_by_role("button", name="Mulai mengerjakan").click()
    page.wait_for_url("**/attempt/*")
    _fits(page)
    take_whole_quiz(page, app)

    # the module quiz: every answer is saved as it is chosen
    page.goto(f"{base}/learn/{cohort_id}/quiz/{MODULE_QUIZ}")
    page.get_by_role("button", name="Mulai mengerjakan").click()
    page.wait_for_url("**/attempt/*")
    answers = right_answers(app, attempt_id(page.url))
    for fieldset in page.locator("fieldset[data-question]").all():
        answer(fieldset, answers[fieldset.get_attribute("data-question")])
        expect(fieldset.locator("[data-receipt]")).to_contain_text("Tersimpan")
    expect(page.locator("[data-save-status]")).to_contain_text("Semua jawaban tersimpan")
    _fits(page)
    snap(page, "consultant-quiz-autosave")
    page.get_by_role("button", name="Kirim jawaban").click()
    page.wait_for_url("**/result")
    expect(page.get_by_text("100%").first).to_be_visible()
    _fits(page)

    # the QR code on the presenter's screen opens the check-in page with the code filled in
    page.goto(checkin_link(app, base, session_id))
    _fits(page)
    page.get_by_role("button", name="Check-in").click()
    page.wait_for_url(f"**/sessions/{session_id}")
    expect(page.get_by_text("Check-in berhasil: Hadir")).to_be_visible()

    # the final test; passing it is the last requirement, so the certificate is issued at once
    page.goto(f"{base}/learn/{cohort_id}/quiz/final")
    page.get_by_role("button", name="Mulai mengerjakan").click()
    page.wait_for_url("**/attempt/*")
    take_whole_quiz(page, app)
    expect(page.get_by_text("Selamat! Sertifikat Anda sudah terbit.")).to_be_visible()

    page.get_by_role("link", name="Sertifikat saya").first.click()
    _fits(page)
    snap(page, "consultant-certificate")
    with page.expect_download() as info:
        page.get_by_role("link", name="Unduh PDF").click()
    pdf_path = tmp_path / "sertifikat.pdf"
    info.value.save_as(pdf_path)
    assert "Dewi Lestari" in PdfReader(pdf_path).pages[0].extract_text()
    url = _qr_url(pdf_path)
    assert url.startswith(base + "/verify/")

    # anyone who scans the QR code sees that the certificate is valid ("sah")
    visitor = browser.new_context(viewport=PHONE if page.device_name == "phone" else DESKTOP, locale="id-ID")
    public = visitor.new_page()
    public.device_name = page.device_name
    seen.watch(public)
    public.goto(url)
    expect(public.get_by_role("heading", name="Sertifikat sah dan berlaku")).to_be_visible()
    expect(public.locator(".status-line")).to_contain_text("Berlaku")
    assert "Dewi Lestari" in public.content()
    _fits(public)
    snap(public, "public-verify")
    visitor.close()
    assert page.errors_seen == []
    assert seen.unscanned() == set()


MODULE_MD = """Pemeriksaan lapangan memastikan bahwa **pernyataan pelaku usaha** sesuai dengan kenyataan di dapur.

| Yang diperiksa | Bukti |
|---|---|
| Bahan | Nota pembelian, label halal kemasan |
| Alat | Alat khusus, tidak dipakai bersama produk babi |

!!! penting "Kesalahan umum"
    Memeriksa daftar bahan tanpa melihat gudangnya.
"""
GIFT_QUESTIONS = ("bahan-kritis", "gift-13", "tf-pendek", "tf-salah", "pi")


def test_trainer_writes_publishes_builds_a_quiz_imports_gift_and_reads_item_statistics(server, page):
    base, app, device = server.base, server.app, page.device_name
    email = f"pelatih.{device}@example.id"
    with app.app_context():
        make_user(email, roles=("trainer",), full_name="Bu Pelatih")
    seen = PagesSeen(page)
    sign_in(page, base, email)

    # a new course with one module, published
    page.goto(base + "/trainer/courses/new")
    page.get_by_label("Judul kursus").fill("Praktik Verifikasi Lapangan")
    page.get_by_label("Slug (alamat)").fill(f"praktik-verval-{device}")
    page.get_by_label("Ringkasan").fill("Latihan memeriksa dapur UMK sebelum bertemu Pendamping PPH.")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Kursus dibuat. Tambahkan modul pertama.")).to_be_visible()
    page.get_by_role("link", name="Tambah modul").click()
    page.get_by_label("Judul modul").fill("Memeriksa dapur dan gudang")
    page.get_by_label("Isi (Markdown)").fill(MODULE_MD)
    page.get_by_role("button", name="Pratinjau").click()
    expect(page.locator("#preview table")).to_be_visible()
    _fits(page)
    snap(page, "trainer-module")
    page.get_by_role("button", name="Simpan draf").click()
    expect(page.get_by_text("Draf modul tersimpan")).to_be_visible()
    page.get_by_role("link", name="← Praktik Verifikasi Lapangan").click()
    page.get_by_label("Catatan perubahan").fill("Modul pemeriksaan lapangan")
    page.get_by_role("button", name="Terbitkan").click()
    expect(page.get_by_text("Versi 1 diterbitkan.")).to_be_visible()

    # questions from a Moodle GIFT file, then a module quiz built from them
    page.get_by_role("link", name="Kuis dan bank soal").click()
    page.get_by_label("Berkas GIFT (.txt atau .gift)").set_input_files(str(DATA / "gift" / "handwritten.txt"))
    page.get_by_role("button", name="Impor GIFT").click()
    expect(page.get_by_role("heading", name="Laporan impor GIFT")).to_be_visible()
    expect(page.get_by_text("14 soal diimpor: 14 baru")).to_be_visible()
    _fits(page)
    page.get_by_role("link", name="← Kuis dan bank soal").click()
    page.get_by_role("link", name="Buat kuis").click()
    page.get_by_label("Judul kuis").fill("Kuis bahan kritis")
    page.get_by_label("Slug (alamat)").fill("kuis-bahan-kritis")
    page.get_by_label("Jenis").select_option("module")
    page.get_by_label("Modul (untuk kuis modul)").select_option(label="Memeriksa dapur dan gudang")
    page.get_by_label("Nilai lulus (%)").fill("60")
    page.get_by_label("Soal tetap dari bank").check()
    page.get_by_label("ID soal tetap, satu per baris").fill("\n".join(GIFT_QUESTIONS))
    _fits(page)
    page.get_by_role("button", name="Simpan kuis").click()
    expect(page.get_by_text("Kuis “Kuis bahan kritis” tersimpan.")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Kuis bahan kritis"))
    expect(row).to_contain_text("5 tetap")

    # four consultants sit it; the item statistics show each question's facility and discrimination
    seed_attempts(app, f"praktik-verval-{device}", "kuis-bahan-kritis", tag=device)
    row.get_by_role("link", name="Statistik butir").click()
    expect(page.get_by_role("heading", name="Statistik butir: Kuis bahan kritis")).to_be_visible()
    expect(page.get_by_text("4 percobaan selesai")).to_be_visible()
    expect(page.locator("article.item-stat")).to_have_count(len(GIFT_QUESTIONS))
    expect(page.locator("article.item-stat").first).to_contain_text("Kemudahan")
    _fits(page)
    snap(page, "trainer-item-statistics")
    assert page.errors_seen == []
    assert seen.unscanned() == set()


FUNNEL_STEPS = ("registered", "enrolled", "started", "modules_complete", "attendance_met", "final_passed",
                "certified")


def test_organiser_runs_a_cohort_from_import_to_certificates_and_the_funnel(server, page, tmp_path):
    base, app, device = server.base, server.app, page.device_name
    province, cohort_name = {"desktop": ("Maluku Utara", "Angkatan Ternate"),  # a province only this run uses
                             "phone": ("Papua Barat", "Angkatan Manokwari")}[device]
    email = f"penyelenggara.{device}@example.id"
    with app.app_context():
        make_user(email, roles=("organiser",), full_name="Bu Penyelenggara")
    seen = PagesSeen(page)
    sign_in(page, base, email)

    # a cohort of the demo course; certificates wait for the organiser's approval
    page.get_by_role("link", name="Angkatan").first.click()
    page.get_by_role("link", name="Angkatan baru").click()
    today = date.today()
    page.get_by_label("Kursus").select_option(str(server.course_id))
    page.get_by_label("Nama angkatan").fill(cohort_name)
    page.get_by_label("Tanggal mulai").fill((today - timedelta(days=3)).isoformat())
    page.get_by_label("Tanggal selesai").fill((today + timedelta(days=3)).isoformat())
    page.get_by_label("Zona waktu").select_option("Asia/Jayapura")
    page.get_by_label("Sertifikat perlu persetujuan penyelenggara").check()
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_text("Angkatan dibuat.")).to_be_visible()
    cohort_id = int(re.search(r"/organiser/cohorts/(\d+)", page.url).group(1))

    # participants from a spreadsheet
    people = [("Ratna Sari", f"ratna.{device}@example.id", province),
              ("Yusuf Tuasikal", f"yusuf.{device}@example.id", province),
              ("Maria Rumbiak", f"maria.{device}@example.id", province),
              ("Andi Wijaya", f"andi.{device}@example.id", "Jawa Timur")]
    roster = tmp_path / "peserta.csv"
    roster.write_text("nama,email,provinsi,unit plut\n" + "".join(f"{n},{e},{p},PLUT {p}\n" for n, e, p in people))
    page.get_by_role("link", name="Impor peserta").click()
    page.get_by_label("Daftar peserta (CSV atau XLSX)").set_input_files(str(roster))
    page.get_by_role("button", name="Lihat pratinjau").click()
    expect(page.get_by_text("akan dibuat dan didaftarkan").first).to_be_visible()
    page.get_by_role("button", name="Simpan impor").click()
    expect(page.get_by_text("akun baru dibuat dan didaftarkan").first).to_be_visible()

    # one live session, yesterday 09:00-11:00 WIT
    page.goto(f"{base}/organiser/cohorts/{cohort_id}")
    page.get_by_role("link", name="Jadwal sesi").click()
    page.get_by_role("link", name="Jadwalkan sesi").click()
    yesterday = today - timedelta(days=1)
    page.get_by_label("Judul sesi").fill("Simulasi kunjungan lapangan")
    page.get_by_label("Tanggal").fill(yesterday.isoformat())
    page.get_by_label("Jam mulai").fill("09:00")
    page.get_by_label("Jam selesai").fill("11:00")
    page.get_by_label("Zona waktu sesi").select_option("Asia/Jayapura")
    page.get_by_role("button", name="Simpan sesi").click()
    expect(page.get_by_text("1 sesi dijadwalkan.")).to_be_visible()
    _fits(page)

    # the participants read and pass the final test (as the consultant journey does in the browser)
    finish_learning(app, cohort_id, [e for _, e, p in people if p == province])

    # the Zoom report: two participants match by email; the host and a phone without an email do not
    report = tmp_path / "participants_simulasi.csv"
    at = functools.partial(datetime.combine, yesterday)
    report.write_text(zoom_report([("Bu Penyelenggara (Host)", email, at(time(8, 45)), at(time(11, 5))),
                                   ("Ratna Sari", people[0][1], at(time(8, 58)), at(time(11))),
                                   ("Yusuf T.", people[1][1].upper(), at(time(9, 5)), at(time(10, 59))),
                                   ("iPhone Maria", "", at(time(9, 10)), at(time(11)))]), encoding="utf-8")
    page.get_by_role("link", name="Impor laporan Zoom").click()
    page.get_by_label("Laporan peserta Zoom (CSV)").set_input_files(str(report))
    page.get_by_role("button", name="Impor", exact=True).click()
    expect(page.get_by_text(re.compile(r"Laporan diimpor: 2 cocok"))).to_be_visible()
    # the host is not a participant; the phone is Maria's
    unmatched = page.locator("#unmatched form", has_text="iPhone Maria")
    unmatched.scroll_into_view_if_needed()
    _fits(page)
    snap(page, "organiser-zoom-unmatched")
    page.locator("#unmatched form", has_text="Bu Penyelenggara").get_by_role("button", name="Abaikan").click()
    expect(page.get_by_text("Nama diabaikan untuk sesi-sesi angkatan ini.")).to_be_visible()
    unmatched.get_by_label("atau email peserta").fill(people[2][1])
    unmatched.get_by_role("button", name="Cocokkan").click()
    expect(page.get_by_text("Dicocokkan dan diingat untuk sesi berikutnya.")).to_be_visible()
    expect(page.locator("#unmatched form")).to_have_count(0)

    # certificates for everyone who qualifies, in one go; then one is revoked
    page.goto(f"{base}/organiser/certificates/cohorts/{cohort_id}")
    page.get_by_role("button", name=re.compile("terbitkan untuk semua yang memenuhi syarat \\(3\\)")).click()
    expect(page.get_by_text("3 sertifikat terbit. 0 sudah punya sertifikat, 1 belum memenuhi syarat.")).to_be_visible()
    _fits(page)
    snap(page, "organiser-certificates")
    page.get_by_role("row", name=re.compile("Maria Rumbiak")).get_by_role("link", name=re.compile(r"^BH")).click()
    revoke = page.locator("section", has=page.get_by_role("heading", name="Cabut sertifikat"))
    revoke.get_by_label("Alasan pencabutan").fill("Kehadiran dari perangkat orang lain")
    page.get_by_role("button", name="Cabut").click()
    expect(page.get_by_text("dicabut.").first).to_be_visible()

    # the funnel of one province, downloaded as XLSX
    page.get_by_role("link", name="Laporan").click()
    page.get_by_label("Provinsi", exact=True).select_option(province)
    page.get_by_role("button", name="Terapkan").click()
    page.wait_for_url("**province=*")
    expect(page.get_by_role("row", name=re.compile("^Bersertifikat"))).to_contain_text("2")
    _fits(page)
    snap(page, "organiser-funnel")
    with page.expect_download() as info:
        page.get_by_role("link", name="Unduh XLSX").click()
    xlsx = tmp_path / "funnel.xlsx"
    info.value.save_as(xlsx)
    rows = list(openpyxl.load_workbook(xlsx).active.iter_rows(values_only=True))
    assert rows[0] == ("group_by", "group", "step", "step_order", "count")
    overall = {step: count for group_by, _, step, _, count in rows[1:] if group_by == "all"}
    assert overall == dict(zip(FUNNEL_STEPS, (3, 3, 3, 3, 3, 3, 2), strict=True))
    by_province = {(group, step): count for group_by, group, step, _, count in rows[1:] if group_by == "province"}
    assert {step: by_province[(province, step)] for step in FUNNEL_STEPS} == overall
    assert by_province[("Jawa Timur", "registered")] == 0  # Andi is outside the filter
    assert all(count == 0 for (group, _), count in by_province.items() if group != province)
    assert page.errors_seen == []
    assert seen.unscanned() == set()
