"""Register → sign in → edit profile → sign out, in Chromium on a desktop and a 360 px phone."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accounts.models import User
from extensions import db
from tests.browser.conftest import no_horizontal_scroll, shot

pytestmark = pytest.mark.browser


def test_register_login_profile_logout(live, page):
    base, app = live
    page.goto(base + "/")
    assert page.locator("html").get_attribute("lang") == "id"
    assert no_horizontal_scroll(page)
    shot(page, "landing")
    page.get_by_role("link", name="Daftar sebagai peserta").click()

    # a first try with a weak password shows field errors and keeps the other input
    page.get_by_label("Nama lengkap").fill("Wayan Sudarma")
    page.get_by_label("Email").fill("wayan@example.id")
    page.get_by_label("Nomor HP (opsional)").fill("0813 3800 1234")
    page.get_by_label("Provinsi").select_option("Bali")
    page.get_by_label("Unit PLUT atau kota/kabupaten").fill("PLUT KUMKM Provinsi Bali")
    page.get_by_label("Bidang konsultan").select_option("produksi")
    page.get_by_label("Kata sandi", exact=True).fill("password")
    page.get_by_label("Ulangi kata sandi").fill("password")
    page.get_by_role("button", name="Buat akun").click()
    assert page.get_by_role("alert").is_visible()
    assert "terlalu umum" in page.content()
    assert page.get_by_label("Email").input_value() == "wayan@example.id"
    assert no_horizontal_scroll(page)
    shot(page, "register-errors")

    page.get_by_label("Kata sandi", exact=True).fill("Lawar-Bali-2026")
    page.get_by_label("Ulangi kata sandi").fill("Lawar-Bali-2026")
    page.get_by_role("button", name="Buat akun").click()
    page.wait_for_url("**/dashboard")
    assert "Wayan Sudarma" in page.content()

    # sign out, then sign in again
    page.get_by_role("button", name="Keluar").click()
    page.wait_for_url(base + "/")
    page.goto(base + "/login")
    page.get_by_label("Email").fill("wayan@example.id")
    page.get_by_label("Kata sandi").fill("Lawar-Bali-2026")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url("**/dashboard")

    # edit the profile
    page.get_by_role("link", name="Profil").click()
    page.get_by_label("Unit PLUT atau kota/kabupaten").fill("PLUT KUMKM Kabupaten Gianyar")
    page.get_by_role("button", name="Simpan profil").click()
    assert page.get_by_text("Profil tersimpan.").is_visible()
    assert no_horizontal_scroll(page)
    shot(page, "profile")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "wayan@example.id"))
        assert user.plut_unit == "PLUT KUMKM Kabupaten Gianyar"
        assert user.phone == "+6281338001234"

    page.get_by_role("button", name="Keluar").click()
    page.goto(base + "/profile")
    assert "/login" in page.url
    assert page.errors_seen == []
