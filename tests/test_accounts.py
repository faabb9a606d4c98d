"""Registration, sign-in, sessions, passwords and roles."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from accounts import services
from accounts.domain import DomainError
from accounts.models import PasswordToken, User, utcnow
from extensions import db
from tests.conftest import login
from tests.factories import PASSWORD, make_user

GOOD = {
    "full_name": "Dewi Lestari",
    "email": "Dewi.Lestari@Example.ID",
    "phone": "0812-3456-7890",
    "province": "Sulawesi Selatan",
    "plut_unit": "PLUT KUMKM Kota Makassar",
    "consultant_field": "pemasaran",
    "password": "Kopi-Toraja-88",
    "password_confirm": "Kopi-Toraja-88",
}


def count_users() -> int:
    return db.session.scalar(select(func.count()).select_from(User))


def test_register_creates_consultant_and_signs_in(client):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 302
    user = services.get_user_by_email("dewi.lestari@example.id")
    assert user is not None
    assert user.email == "dewi.lestari@example.id"
    assert user.roles == {"consultant"}
    assert user.phone == "+6281234567890"
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/dashboard").status_code == 200


@pytest.mark.parametrize(
    ("change", "field_message"),
    [
        ({"email": "bukan-email"}, "email yang valid"),
        ({"password": "123", "password_confirm": "123"}, "8"),
        ({"password": "password123", "password_confirm": "password123"}, "terlalu umum"),
        ({"password_confirm": "Lain-Sekali-99"}, "tidak sama"),
        ({"province": "Atlantis"}, "Pilih provinsi"),
        ({"full_name": "x" * 121}, "Field cannot be longer"),
        ({"phone": "12345"}, "Nomor telepon tidak dikenali"),
        ({"consultant_field": "astrologi"}, "bidang"),
        ({"plut_unit": ""}, "Wajib diisi"),
    ],
)
def test_register_rejects_bad_input_and_stores_nothing(client, change, field_message):
    before = count_users()
    response = client.post("/register", data={**GOOD, **change})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert field_message.lower() in page.lower()
    assert count_users() == before


def test_duplicate_email_is_case_insensitive(client, consultant):
    response = client.post("/register", data={**GOOD, "email": consultant.email.upper()})
    assert response.status_code == 422
    assert "sudah terdaftar" in response.get_data(as_text=True)
    assert count_users() == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("0812 3456 7890", "+6281234567890"), ("+62 812-3456-789", "+628123456789"),
     ("6285712345678", "+6285712345678"), ("(021) 5551234", "+62215551234"), ("", None)],
)
def test_indonesian_phone_formats(raw, expected):
    assert services.normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "+1 555 123 4567", "0812-abc", "08123"])
def test_bad_phone_numbers(raw):
    with pytest.raises(DomainError):
        services.normalise_phone(raw)


def test_same_message_for_unknown_email_and_wrong_password(client, consultant):
    wrong = client.post("/login", data={"email": consultant.email, "password": "Salah-Sandi-123"})
    unknown = client.post("/login", data={"email": "siapa@example.id", "password": "Salah-Sandi-123"})
    assert wrong.status_code == unknown.status_code == 422
    assert "Email atau kata sandi salah" in wrong.get_data(as_text=True)
    assert "Email atau kata sandi salah" in unknown.get_data(as_text=True)


def test_login_follows_only_same_site_next(client, consultant):
    response = client.post("/login?next=/profile", data={"email": consultant.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/profile")
    client.post("/logout")
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"):
        response = client.post("/login", query_string={"next": evil},
                               data={"email": consultant.email, "password": PASSWORD})
        assert "evil" not in response.headers["Location"]
        assert response.headers["Location"].endswith("/dashboard")
        client.post("/logout")


def test_logout_kills_every_copy_of_the_session_cookie(app, client, consultant):
    login(client, consultant, remember=True)
    cookies = {c.key: c.value for c in client._cookies.values()}
    assert client.get("/profile").status_code == 200
    replay = app.test_client()
    for key, value in cookies.items():
        replay.set_cookie(key, value)
    assert replay.get("/profile").status_code == 200
    client.post("/logout")
    assert client.get("/profile").status_code == 302
    # the copied session and remember cookies are dead too
    response = replay.get("/profile")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_password_change_signs_out_other_devices(app, consultant):
    phone, laptop = app.test_client(), app.test_client()
    login(phone, consultant)
    login(laptop, consultant)
    response = laptop.post("/profile/password", data={
        "current_password": PASSWORD, "new_password": "Sambal-Matah-77", "new_password_confirm": "Sambal-Matah-77"})
    assert response.status_code == 302
    assert laptop.get("/profile").status_code == 200
    assert phone.get("/profile").status_code == 302
    assert services.authenticate(consultant.email, "Sambal-Matah-77")


def test_change_password_wrong_current(client, consultant):
    login(client, consultant)
    response = client.post("/profile/password", data={
        "current_password": "bukan", "new_password": "Sambal-Matah-77", "new_password_confirm": "Sambal-Matah-77"})
    assert "Kata sandi saat ini salah" in response.get_data(as_text=True)


def test_password_reset_by_single_use_mailed_token(app, client, consultant):
    response = client.post("/forgot", data={"email": consultant.email})
    assert response.status_code == 302
    mails = list((Path(app.instance_path) / "outbox").glob("*.eml"))
    assert len(mails) == 1
    body = mails[0].read_text()
    link = next(line for line in body.splitlines() if "/reset/" in line).strip()
    path = link[link.index("/reset/"):]
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": "Rendang-Padang-1", "password_confirm": "Rendang-Padang-1"})
    assert response.status_code == 302
    assert services.authenticate(consultant.email, "Rendang-Padang-1")
    again = client.post(path, data={"password": "Gudeg-Jogja-22", "password_confirm": "Gudeg-Jogja-22"})
    assert again.status_code == 302 and "/forgot" in again.headers["Location"]


def test_forgot_password_answers_the_same_for_unknown_email(app, client):
    response = client.post("/forgot", data={"email": "tidakada@example.id"})
    assert response.status_code == 302
    assert not (Path(app.instance_path) / "outbox").exists()


def test_expired_reset_token_is_refused(app, consultant):
    token = services.issue_password_token(consultant)
    db.session.commit()
    record = db.session.scalar(select(PasswordToken))
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(DomainError):
        services.reset_password(token, "Soto-Betawi-123")


def test_profile_edit(client, consultant):
    login(client, consultant)
    response = client.post("/profile", data={
        "full_name": "Sari Baru", "phone": "", "province": "Papua", "plut_unit": "PLUT Jayapura",
        "consultant_field": "it", "locale": "en"})
    assert response.status_code == 302
    db.session.refresh(consultant)
    assert (consultant.full_name, consultant.province, consultant.locale) == ("Sari Baru", "Papua", "en")
    assert consultant.zone == "Asia/Jayapura"


def test_admin_assigns_roles_and_last_admin_is_kept(client, admin, consultant):
    login(client, admin)
    response = client.post(f"/admin/users/{consultant.id}", data={"roles": ["consultant", "trainer"]})
    assert response.status_code == 302
    db.session.refresh(consultant)
    assert consultant.roles == {"consultant", "trainer"}
    response = client.post(f"/admin/users/{admin.id}", data={"roles": ["consultant"]})
    assert "Admin terakhir" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert "admin" in admin.roles


def test_non_admin_cannot_grant_roles(client, organiser, consultant):
    login(client, organiser)
    response = client.post(f"/admin/users/{consultant.id}", data={"roles": ["admin"]})
    assert response.status_code == 403
    db.session.refresh(consultant)
    assert consultant.roles == {"consultant"}


def test_cli_create_user(runner):
    result = runner.invoke(args=["accounts", "create-user", "Trainer@Example.id", "--name", "Bu Guru",
                                 "--role", "trainer", "--role", "organiser", "--password-stdin"],
                           input="Nasi-Uduk-2026\n")
    assert result.exit_code == 0, result.output
    user = services.get_user_by_email("trainer@example.id")
    assert user.roles == {"trainer", "organiser"}
    assert services.authenticate("trainer@example.id", "Nasi-Uduk-2026")
    duplicate = runner.invoke(args=["accounts", "create-user", "trainer@example.id", "--name", "X"])
    assert duplicate.exit_code != 0


def test_password_hash_is_upgraded_when_cost_changes(app, consultant):
    old = consultant.password_hash
    app.config["ARGON2_TIME_COST"] = 2
    services.authenticate(consultant.email, PASSWORD)
    db.session.commit()
    assert consultant.password_hash != old
    assert "t=2" in consultant.password_hash


def test_inactive_user_cannot_sign_in(client, consultant):
    consultant.active = False
    db.session.commit()
    response = client.post("/login", data={"email": consultant.email, "password": PASSWORD})
    assert response.status_code == 422


def test_demo_accounts_refused_when_demo_disabled(app, client):
    user = make_user("demo@example.id")
    user.is_demo = True
    db.session.commit()
    app.config["DEMO_ENABLED"] = False
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 422
