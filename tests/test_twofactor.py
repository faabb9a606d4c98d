"""Second factor: RFC 6238 codes, setup with QR and recovery codes, the code step of sign-in, enforcement."""

from __future__ import annotations

import re
import time
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
import segno
from sqlalchemy import func, select

from accounts import totp, twofactor
from accounts.domain import DomainError
from accounts.models import UserSession
from accounts.twofactor import RecoveryCode, UserTwoFactor
from extensions import db, limiter
from tests.conftest import login
from tests.factories import PASSWORD, make_user

RFC_KEY = b"12345678901234567890"
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # base32 of RFC_KEY

# --------------------------------------------------------------------------- pure TOTP


def test_hotp_matches_rfc4226_appendix_d():
    expected = ["755224", "287082", "359152", "969429", "338314",
                "254676", "287922", "162583", "399871", "520489"]
    assert [totp.hotp(RFC_KEY, counter) for counter in range(10)] == expected


@pytest.mark.parametrize(("timestamp", "code"), [
    (59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
    (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130"),
])
def test_totp_matches_rfc6238_appendix_b_sha1(timestamp, code):
    assert totp.decode_secret(RFC_SECRET) == RFC_KEY
    assert totp.code_at(RFC_SECRET, timestamp, digits=8) == code


def test_code_window_is_one_step_each_way_and_steps_are_single_use():
    now = 1_700_000_015.0
    step = totp.step_at(now)
    for delta in (-1, 0, 1):
        code = totp.code_at(RFC_SECRET, now + delta * 30)
        assert totp.matching_step(RFC_SECRET, code, now) == step + delta
    for delta in (-2, 2):
        assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, now + delta * 30), now) is None
    current = totp.code_at(RFC_SECRET, now)
    assert totp.matching_step(RFC_SECRET, current, now, last_step=step) is None  # replay
    assert totp.matching_step(RFC_SECRET, current, now, last_step=step - 1) == step
    # an older code is refused once a newer step has been used
    assert totp.matching_step(RFC_SECRET, totp.code_at(RFC_SECRET, now - 30), now, last_step=step) is None


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦", None])
def test_malformed_codes_never_match(typed):
    assert totp.matching_step(RFC_SECRET, typed, 1_700_000_000) is None


def test_spaces_and_dashes_are_ignored():
    now = 1_700_000_000
    code = totp.code_at(RFC_SECRET, now)
    assert totp.matching_step(RFC_SECRET, f" {code[:3]} {code[3:]} ", now) == totp.step_at(now)
    assert totp.matching_step(RFC_SECRET, f"{code[:3]}-{code[3:]}", now) == totp.step_at(now)


def test_new_secret_is_160_random_bits_in_base32():
    secrets_seen = {totp.new_secret() for _ in range(20)}
    assert len(secrets_seen) == 20
    for secret in secrets_seen:
        assert re.fullmatch(r"[A-Z2-7]{32}", secret)
        assert len(totp.decode_secret(secret)) == 20
    assert totp.decode_secret(totp.group_secret(RFC_SECRET).lower()) == RFC_KEY


def test_provisioning_uri_follows_key_uri_format():
    uri = totp.provisioning_uri(RFC_SECRET, "dewi+1@example.id", "Bimtek Halal")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    assert parts.path == "/Bimtek%20Halal:dewi%2B1@example.id"
    query = parse_qs(parts.query)
    assert query == {"secret": [RFC_SECRET], "issuer": ["Bimtek Halal"], "algorithm": ["SHA1"],
                     "digits": ["6"], "period": ["30"]}


def test_recovery_codes_are_unique_readable_and_hashed_after_normalising():
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10
    for code in codes:
        assert re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", code)
        assert totp.looks_like_recovery(totp.normalise_code(code))
    assert totp.recovery_digest(codes[0]) == totp.recovery_digest(codes[0].upper().replace("-", " "))
    assert totp.recovery_digest(codes[0]) != totp.recovery_digest(codes[1])


# --------------------------------------------------------------------------- helpers


def enable(user) -> tuple[str, list[str]]:
    """Turn the second factor on through the service, with a code from a minute ago, so that the
    current step is still unused for the sign-in that follows."""
    record = twofactor.begin_setup(user)
    earlier = time.time() - 60
    codes = twofactor.confirm_setup(user, totp.code_at(record.secret, earlier), now=earlier)
    db.session.commit()
    return record.secret, codes


def now_code(secret: str, offset: int = 0) -> str:
    return totp.code_at(secret, time.time() + offset)


def count_sessions(user) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession).where(UserSession.user_id == user.id))


def is_signed_in(client) -> bool:
    return client.get("/dashboard").status_code == 200


# --------------------------------------------------------------------------- setup


def test_setup_page_shows_qr_and_secret_and_confirms_with_a_code(client, consultant):
    login(client, consultant)
    page = client.get("/profile/2fa/setup")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<img src="data:image/svg+xml' in html
    assert "<script" not in html
    record = db.session.get(UserTwoFactor, consultant.id)
    assert record is not None and record.enabled_at is None
    assert totp.group_secret(record.secret) in html
    # the QR code carries this user's otpauth:// URI
    src = unescape(re.search(r'<img src="(data:image/svg\+xml[^"]+)"', html).group(1))
    uri = twofactor.provisioning_uri(consultant, record)
    assert record.secret in uri and "konsultan%40example.id" not in uri
    assert src == segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")
    # reloading keeps the secret the user may already have scanned
    client.get("/profile/2fa/setup")
    db.session.refresh(record)
    assert totp.group_secret(record.secret) in html

    wrong = client.post("/profile/2fa/setup", data={"code": "000000" if now_code(record.secret) != "000000"
                                                    else "111111"})
    assert wrong.status_code == 422
    assert "Kode tidak cocok" in wrong.get_data(as_text=True)
    assert not twofactor.is_enabled(consultant)

    done = client.post("/profile/2fa/setup", data={"code": now_code(record.secret)})
    assert done.status_code == 200
    shown = re.findall(r'<li class="code">([a-z2-9-]{14})</li>', done.get_data(as_text=True))
    assert len(shown) == 10
    db.session.refresh(record)
    assert record.enabled_at is not None and record.last_step == totp.step_at(time.time())
    stored = set(db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == consultant.id)))
    assert stored == {totp.recovery_digest(c) for c in shown}
    assert not set(shown) & stored  # only hashes are kept
    # the codes are never shown again
    settings = client.get("/profile/2fa").get_data(as_text=True)
    assert shown[0] not in settings and "10 dari 10" in settings
    assert client.get("/profile/2fa/setup").status_code == 302


def test_enabling_signs_out_other_devices(app, consultant):
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, consultant)
    login(phone, consultant)
    laptop.get("/profile/2fa/setup")
    secret = db.session.get(UserTwoFactor, consultant.id).secret
    assert laptop.post("/profile/2fa/setup", data={"code": now_code(secret)}).status_code == 200
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)


def test_profile_links_to_the_settings(client, consultant):
    login(client, consultant)
    assert 'href="/profile/2fa"' in client.get("/profile").get_data(as_text=True)


# --------------------------------------------------------------------------- sign-in


def test_password_alone_opens_no_session_and_the_code_does(client, consultant):
    secret, _ = enable(consultant)
    response = client.post("/login?next=/profile", data={"email": consultant.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login/code")
    assert count_sessions(consultant) == 0
    assert not is_signed_in(client)
    page = client.get("/login/code")
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.get_data(as_text=True)

    response = client.post("/login/code", data={"code": now_code(secret)})
    assert response.status_code == 302 and response.headers["Location"] == "/profile"
    assert count_sessions(consultant) == 1
    assert is_signed_in(client)


def test_wrong_password_never_reaches_the_code_step(client, consultant):
    enable(consultant)
    response = client.post("/login", data={"email": consultant.email, "password": "salah-sekali-99"})
    assert response.status_code == 422
    assert "Kata sandi benar" not in client.get("/login/code").get_data(as_text=True)


def test_a_code_works_once(app, consultant):
    secret, _ = enable(consultant)
    first, second = app.test_client(), app.test_client()
    code = now_code(secret)
    for client in (first, second):
        login(client, consultant)
    assert first.post("/login/code", data={"code": code}).status_code == 302
    replay = second.post("/login/code", data={"code": code})
    assert replay.status_code == 422 and not is_signed_in(second)
    # the next step's code (within the ±1 window) still works
    assert second.post("/login/code", data={"code": now_code(secret, 30)}).status_code == 302


def test_recovery_code_signs_in_once(app, consultant):
    _, codes = enable(consultant)
    client = app.test_client()
    login(client, consultant)
    response = client.post("/login/code", data={"code": codes[3].upper()}, follow_redirects=True)
    assert response.status_code == 200
    assert "Sisa kode pemulihan: 9" in response.get_data(as_text=True)
    again = app.test_client()
    login(again, consultant)
    assert again.post("/login/code", data={"code": codes[3]}).status_code == 422
    assert not is_signed_in(again)


def test_code_step_lapses(client, consultant):
    secret, _ = enable(consultant)
    login(client, consultant)
    with client.session_transaction() as session:
        session["twofactor_pending"] = {**session["twofactor_pending"], "exp": int(time.time()) - 1}
    response = client.post("/login/code", data={"code": now_code(secret)})
    assert response.status_code == 200
    assert "kedaluwarsa" in response.get_data(as_text=True)
    assert not is_signed_in(client) and count_sessions(consultant) == 0


def test_code_step_dies_when_the_password_changes(client, consultant):
    from accounts.passwords import hash_password

    secret, _ = enable(consultant)
    login(client, consultant)
    consultant.password_hash = hash_password("Kata-Sandi-Baru-77")
    db.session.commit()
    client.post("/login/code", data={"code": now_code(secret)})
    assert not is_signed_in(client)


def test_code_page_without_a_password_step_explains_and_links_to_login(client, consultant):
    enable(consultant)
    response = client.post("/login/code", data={"code": "123456"})
    assert response.status_code == 200
    assert 'href="/login"' in response.get_data(as_text=True)
    assert count_sessions(consultant) == 0


def test_remember_me_survives_the_code_step(client, consultant):
    secret, _ = enable(consultant)
    client.post("/login", data={"email": consultant.email, "password": PASSWORD, "remember": "y"})
    response = client.post("/login/code", data={"code": now_code(secret)})
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


@pytest.fixture
def limits(tmp_path):
    """An app built with rate limiting on (the limiter keeps its storage only when enabled at start)."""
    from tests.conftest import _empty_tables, _prepare_schema, build_app

    app = build_app(RATELIMIT_ENABLED=True)
    app.instance_path = str(tmp_path)
    with app.app_context():
        _prepare_schema()
        limiter.reset()
        try:
            yield app
        finally:
            limiter.reset()
            db.session.remove()
            _empty_tables()
            db.engine.dispose()
    limiter.enabled = False


def test_code_guessing_is_limited_per_account_across_addresses(limits):
    consultant = make_user("konsultan@example.id")
    secret, _ = enable(consultant)
    client = limits.test_client()
    login(client, consultant)
    bad = "000000" if now_code(secret) != "000000" else "999999"
    statuses = [client.post("/login/code", data={"code": bad}, environ_base={"REMOTE_ADDR": f"10.1.0.{i}"})
                .status_code for i in range(6)]
    assert statuses == [422] * 5 + [429]
    # even the right code waits for the limit to pass
    assert client.post("/login/code", data={"code": now_code(secret)}).status_code == 429
    assert not is_signed_in(client)


def test_code_guessing_is_limited_per_address_across_accounts(limits):
    limits.config["TWOFACTOR_RATE_LIMIT"] = "3 per minute"
    statuses = []
    for i in range(4):
        user = make_user(f"korban{i}@example.id")
        enable(user)
        client = limits.test_client()
        login(client, user)
        statuses.append(client.post("/login/code", data={"code": "abc"}).status_code)
    assert statuses == [422, 422, 422, 429]


# --------------------------------------------------------------------------- recovery codes and disabling


def test_new_recovery_codes_replace_the_old_ones(client, consultant):
    secret, old = enable(consultant)
    login(client, consultant)
    client.post("/login/code", data={"code": now_code(secret)})
    refused = client.post("/profile/2fa/recovery-codes", data={"code": now_code(secret)})  # just used
    assert refused.status_code == 422
    response = client.post("/profile/2fa/recovery-codes", data={"code": old[0]})
    assert response.status_code == 200
    new = re.findall(r'<li class="code">([a-z2-9-]{14})</li>', response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    with pytest.raises(DomainError):
        twofactor.verify_code(consultant, old[1])
    db.session.rollback()
    assert twofactor.verify_code(consultant, new[1]) == "recovery"


def test_disable_needs_password_and_code(client, consultant):
    secret, _ = enable(consultant)
    login(client, consultant)
    client.post("/login/code", data={"code": now_code(secret)})
    wrong_password = client.post("/profile/2fa/disable", data={"password": "salah-99x", "code": now_code(secret, 30)})
    assert wrong_password.status_code == 422 and twofactor.is_enabled(consultant)
    wrong_code = client.post("/profile/2fa/disable", data={"password": PASSWORD, "code": "12345x"})
    assert wrong_code.status_code == 422 and twofactor.is_enabled(consultant)
    response = client.post("/profile/2fa/disable", data={"password": PASSWORD, "code": now_code(secret, 30)})
    assert response.status_code == 302
    assert db.session.get(UserTwoFactor, consultant.id) is None
    assert db.session.scalar(select(func.count()).select_from(RecoveryCode)) == 0
    # a password is enough again
    client.post("/logout")
    assert client.post("/login", data={"email": consultant.email, "password": PASSWORD}).headers[
        "Location"].endswith("/dashboard")


# --------------------------------------------------------------------------- required for organisers and admins


@pytest.fixture
def required(app):
    app.config["TWOFACTOR_REQUIRED_ROLES"] = ("organiser", "admin")
    return app


def test_organiser_without_second_factor_is_sent_to_setup(required, client, organiser, consultant):
    login(client, organiser)
    for path in ("/dashboard", "/profile", "/profile/password", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/profile/2fa/setup"), path
    page = client.get("/profile/2fa/setup")
    assert page.status_code == 200 and "mewajibkan" in page.get_data(as_text=True)
    css = client.get("/static/css/app.css")
    assert css.status_code == 200
    css.close()
    secret = db.session.get(UserTwoFactor, organiser.id).secret
    assert client.post("/profile/2fa/setup", data={"code": now_code(secret)}).status_code == 200
    assert client.get("/dashboard").status_code == 200
    # consultants are not asked
    other = required.test_client()
    login(other, consultant)
    assert other.get("/dashboard").status_code == 200


def test_required_setup_still_allows_logout(required, client, admin):
    login(client, admin)
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").headers["Location"].startswith("/login")


def test_every_page_of_an_admin_without_second_factor_leads_to_setup(required, client, admin):
    from tests.test_access import _rules

    login(client, admin)
    allowed = {"static", "accounts.logout", "twofactor.setup", "twofactor.settings", "main.set_language",
               "main.healthz"}
    for rule, method, url in _rules(required):
        if rule.endpoint in allowed:
            continue
        response = client.open(url, method=method)
        if url.startswith("/api/"):
            assert response.status_code == 403, url
            assert response.get_json()["error"]["code"] == "twofactor_required"
        else:
            assert response.status_code == 302, f"{method} {url}: {response.status_code}"
            assert response.headers["Location"].endswith("/profile/2fa/setup"), url


def test_admin_with_second_factor_signs_in_through_the_code(required, client, admin):
    secret, _ = enable(admin)
    login(client, admin)
    assert client.post("/login/code", data={"code": now_code(secret)}).status_code == 302
    assert client.get("/admin/users").status_code == 200


def test_cli_reset_twofactor(app, runner, organiser):
    from accounts import twofactor

    twofactor.begin_setup(organiser)
    db.session.commit()
    result = runner.invoke(args=["accounts", "reset-2fa", organiser.email])
    assert result.exit_code == 0, result.output
    assert twofactor.get_record(organiser) is None
    assert runner.invoke(args=["accounts", "reset-2fa", "nobody@example.id"]).exit_code != 0
