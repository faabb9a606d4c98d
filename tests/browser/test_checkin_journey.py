"""The organiser shows the presenter screen; a consultant on a 360 px phone follows its QR link, signs in,
checks in, and the register says Hadir. Chromium, with the codes rotating every few seconds."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from attendance.models import LiveSession
from extensions import db
from tests.browser.conftest import DESKTOP, PHONE, no_horizontal_scroll, shot
from tests.factories import PASSWORD, enrol, make_cohort, make_course, make_user

pytestmark = pytest.mark.browser


def _world(app) -> int:
    with app.app_context():
        make_user("penyelenggara@example.id", roles=("organiser",), full_name="Bu Penyelenggara")
        trainer = make_user("pelatih@example.id", roles=("trainer",), full_name="Pak Pelatih")
        consultant = make_user("wayan@example.id", full_name="Wayan Sudarma", province="Bali",
                               plut_unit="PLUT KUMKM Provinsi Bali")
        cohort = make_cohort(make_course(trainer, title="Pendampingan PPH"), name="Angkatan 3")
        enrol(consultant, cohort)
        session = LiveSession(cohort_id=cohort.id, title="Regulasi Jaminan Produk Halal", speakers="Dr. Aminah",
                              starts_at=datetime.now(UTC) - timedelta(minutes=5),
                              ends_at=datetime.now(UTC) + timedelta(minutes=115), timezone="Asia/Jakarta",
                              meeting_url="https://zoom.us/j/81234567890")
        db.session.add(session)
        db.session.commit()
        return session.id


def _login(page, base: str, email: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()


def test_presenter_qr_checkin_on_a_phone_and_the_register(live, browser):
    base, app = live
    # rotate fast so the presenter's refresh is seen and the scan ticket is needed; two steps of grace
    # keep the scanned code valid for at least 6 s, enough for a loaded test machine to open the link
    app.config.update(CHECKIN_INTERVAL_S=3, CHECKIN_GRACE_STEPS=2)
    session_id = _world(app)

    host = browser.new_context(viewport=DESKTOP, locale="id-ID")
    organiser = host.new_page()
    organiser.device_name = "desktop"
    errors: list[str] = []
    organiser.on("pageerror", lambda exc: errors.append(str(exc)))
    organiser.goto(f"{base}/login")
    _login(organiser, base, "penyelenggara@example.id")
    organiser.wait_for_url("**/dashboard")
    phone = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    consultant = phone.new_page()
    consultant.on("pageerror", lambda exc: errors.append(str(exc)))
    consultant.device_name = "phone"
    organiser.goto(f"{base}/organiser/attendance/sessions/{session_id}/presenter")
    code_box = organiser.locator("[data-code]")
    first_code = code_box.inner_text()
    assert re.fullmatch(r"[2-9A-Z]{6}", first_code)
    assert organiser.locator("img[data-qr]").evaluate("img => img.complete && img.naturalWidth > 0")
    shot(organiser, "presenter")
    # presenter.js swaps the code and the QR link when the code rotates, without reloading the page
    organiser.wait_for_function("first => document.querySelector('[data-code]').textContent !== first",
                                arg=first_code, timeout=15000)
    link = organiser.locator("a[data-link]").get_attribute("href")
    code = parse_code(link)
    assert code == code_box.inner_text()
    assert link.startswith(f"{base}/checkin/{session_id}?code=")

    consultant.goto(link)  # what the phone's camera opens after scanning the QR
    assert "/login" in consultant.url
    assert consultant.get_by_text("Masuk dulu untuk check-in").is_visible()
    assert no_horizontal_scroll(consultant)
    consultant.wait_for_timeout(10000)  # a slow login: the scanned code has expired by now
    _login(consultant, base, "wayan@example.id")
    consultant.wait_for_url(f"**/checkin/{session_id}?**")
    assert consultant.get_by_label("Kode check-in").input_value() == code
    assert no_horizontal_scroll(consultant)
    shot(consultant, "checkin")
    consultant.get_by_role("button", name="Check-in").click()
    consultant.wait_for_url(f"**/sessions/{session_id}")
    assert consultant.get_by_text("Check-in berhasil: Hadir").is_visible()
    assert consultant.get_by_role("link", name="Buka meeting Zoom").is_visible()
    assert no_horizontal_scroll(consultant)
    shot(consultant, "checked-in")

    organiser.goto(f"{base}/organiser/attendance/sessions/{session_id}/register")
    row = organiser.get_by_role("row", name=re.compile("Wayan Sudarma"))
    assert row.get_by_text("Hadir", exact=True).is_visible()
    assert row.get_by_text("check-in").is_visible()
    shot(organiser, "register")
    assert errors == []
    host.close()
    phone.close()


def parse_code(url: str) -> str:
    match = re.search(r"[?&]code=([2-9A-Z]{6})", url)
    assert match, url
    return match.group(1)


def test_every_attendance_page_fits_a_phone(live, browser):
    """Organiser and consultant pages on a 360 px screen: no sideways scrolling, no script errors."""
    base, app = live
    session_id = _world(app)
    with app.app_context():
        from attendance import registers
        from attendance.models import LiveSession as Session

        session = db.session.get(Session, session_id)
        session.materials = "Slide paparan https://example.org/" + "sangat-panjang-" * 8 + ".pdf"
        wayan_id = _user_id("wayan@example.id")
        registers.set_status(session, wayan_id, "late", source="zoom", actor_id=None, minutes=95)
        db.session.commit()
        cohort_id = session.cohort_id
    context = browser.new_context(viewport=PHONE, locale="id-ID", is_mobile=True, has_touch=True)
    page = context.new_page()
    page.device_name = "phone"
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base}/login")
    _login(page, base, "wayan@example.id")
    page.wait_for_url("**/dashboard")
    page.goto(f"{base}/sessions")
    page.get_by_role("button", name="Buat alamat langganan").click()
    for path in ("/dashboard", "/sessions", f"/sessions/{session_id}", f"/sessions/{session_id}/excuse",
                 f"/checkin/{session_id}"):
        page.goto(base + path)
        assert no_horizontal_scroll(page), path
    page.get_by_role("button", name="Keluar").click()
    page.goto(f"{base}/login")
    _login(page, base, "penyelenggara@example.id")
    page.wait_for_url("**/dashboard")
    page.goto(f"{base}/organiser/attendance/cohorts/{cohort_id}/sessions/new")
    page.get_by_label("Judul sesi").fill("Praktik Self Declare")
    page.get_by_label("Tanggal").fill("2030-06-02")
    page.get_by_label("Jam mulai").fill("09:00")
    page.get_by_label("Jam selesai").fill("11:00")
    page.get_by_label("Zona waktu sesi").select_option("Asia/Makassar")
    page.get_by_label("Jumlah sesi").fill("3")
    page.get_by_role("button", name="Simpan sesi").click()
    assert page.get_by_text("3 sesi dijadwalkan.").is_visible()
    assert page.get_by_text("Praktik Self Declare (Sesi 3/3)").is_visible()
    for path in ("/organiser/attendance/", f"/organiser/attendance/cohorts/{cohort_id}/sessions",
                 f"/organiser/attendance/cohorts/{cohort_id}/sessions/new",
                 f"/organiser/attendance/sessions/{session_id}/edit",
                 f"/organiser/attendance/sessions/{session_id}/presenter",
                 f"/organiser/attendance/sessions/{session_id}/register",
                 f"/organiser/attendance/sessions/{session_id}/people/{wayan_id}",
                 f"/organiser/attendance/sessions/{session_id}/zoom",
                 f"/organiser/attendance/cohorts/{cohort_id}/register",
                 "/organiser/attendance/excuses"):
        page.goto(base + path)
        assert no_horizontal_scroll(page), path
        if path.endswith(f"{cohort_id}/register"):
            shot(page, "cohort-register")
    assert errors == []
    context.close()


def _user_id(email: str) -> int:
    from sqlalchemy import select

    from accounts.models import User

    return db.session.scalar(select(User.id).where(User.email == email))
