"""Public verification (page and API), rate limiting, and the opt-in registry of certified consultants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from certificates import issuing
from certificates.numbering import display_code
from extensions import db, limiter
from tests.conftest import login
from tests.test_certificates_support import learner, setup_course


@pytest.fixture
def cert(app):
    _, cohort = setup_course()
    _, enrolment = learner(cohort, full_name="Siti Aminah", province="Jawa Timur")
    issued = issuing.issue(enrolment, now=datetime(2026, 3, 10, 3, 0, tzinfo=UTC))
    db.session.commit()
    return issued


def _main(response) -> str:
    html = response.get_data(as_text=True)
    return html[html.index("<main"):html.index("</main>")]


# --------------------------------------------------------------------------- the page


def test_valid_certificate_page_shows_only_what_a_verifier_needs(client, cert):
    response = client.get(f"/verify/{cert.code}")
    assert response.status_code == 200
    page = _main(response)
    for expected in ("Sertifikat sah dan berlaku", "Berlaku", cert.number, "Siti Aminah", "Jawa Timur",
                     "Bimtek Halal Self Declare", "Angkatan Uji", "10 JP", "10 Maret 2026", display_code(cert.code)):
        assert expected in page, expected
    assert "peserta@example.id" not in response.get_data(as_text=True)
    assert "PLUT Kota Malang" not in page  # not needed to verify
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response.headers["Cache-Control"]


def test_code_as_typed_from_paper_is_accepted(client, cert):
    typed = display_code(cert.code).lower().replace("0", "o").replace("1", "l")
    assert client.get(f"/verify/{typed}").status_code == 200
    response = client.get("/verify", query_string={"code": f"  {display_code(cert.code)} "})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/verify/{display_code(cert.code)}")


def test_unknown_and_malformed_codes_get_the_same_not_found(client, cert):
    other = "Z" * 28
    unknown = client.get(f"/verify/{other}")
    malformed = client.get("/verify/abc")
    typed = client.get("/verify", query_string={"code": "bukan kode"})
    for response in (unknown, malformed, typed):
        assert response.status_code == 404
        assert "Sertifikat tidak ditemukan" in response.get_data(as_text=True)
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert _main(unknown) == _main(malformed)


def test_empty_form_page(client):
    response = client.get("/verify")
    assert response.status_code == 200
    assert "Masukkan kode verifikasi" in response.get_data(as_text=True)


def test_revoked_certificate_says_so_with_the_date_but_not_the_reason(client, cert):
    issuing.revoke(cert, by=None, reason="Rahasia internal", now=datetime(2026, 4, 2, 18, 0, tzinfo=UTC))
    db.session.commit()
    response = client.get(f"/verify/{cert.code}")
    page = _main(response)
    assert response.status_code == 200
    assert "Sertifikat ini telah dicabut" in page and "dicabut pada 3 April 2026" in page  # Jakarta date
    assert "Rahasia internal" not in page
    api = client.get(f"/api/v1/certificates/{cert.code}").get_json()
    assert api["status"] == "revoked" and api["revoked_on"] == "2026-04-03"
    assert "reason" not in str(api) and "Rahasia" not in str(api)


def test_expired_certificate_is_shown_as_expired(client, app):
    _, cohort = setup_course(certificate={"validity_months": 1})
    _, enrolment = learner(cohort)
    cert = issuing.issue(enrolment, now=datetime.now(UTC) - timedelta(days=90))
    db.session.commit()
    page = _main(client.get(f"/verify/{cert.code}"))
    assert "Sertifikat ini sudah kedaluwarsa" in page and "Kedaluwarsa" in page
    assert client.get(f"/api/v1/certificates/{cert.code}").get_json()["status"] == "expired"


def test_replaced_certificate_points_to_its_successor(client, cert):
    new = issuing.reissue(cert, by=None, reason="Nama salah ketik")
    db.session.commit()
    page = _main(client.get(f"/verify/{cert.code}"))
    assert "Diganti oleh sertifikat nomor " + new.number in page
    assert new.code not in page  # the new code is the holder's key, never shown here


# --------------------------------------------------------------------------- the API


def test_api_returns_the_same_record_as_json(client, cert):
    response = client.get(f"/api/v1/certificates/{display_code(cert.code)}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "valid" and body["number"] == cert.number
    assert body["holder_name"] == "Siti Aminah" and body["province"] == "Jawa Timur"
    assert body["course_title"] == "Bimtek Halal Self Declare" and body["cohort_name"] == "Angkatan Uji"
    assert body["hours_jp"] == 10 and body["issued_on"] == "2026-03-10"
    assert body["verify_url"] == f"http://127.0.0.1:5000/verify/{cert.code}"
    assert "email" not in str(body) and "scores" not in body
    assert "no-store" in response.headers["Cache-Control"]


def test_api_not_found_has_the_error_shape(client, cert):
    for code in ("Z" * 28, "abc"):
        response = client.get(f"/api/v1/certificates/{code}")
        assert response.status_code == 404
        assert response.get_json() == {"error": {"status": 404, "code": "not_found",
                                                 "message": "Sertifikat dengan kode ini tidak ditemukan."}}


def test_bulk_verify_reports_each_code(client, cert, app):
    _, cohort = setup_course(name="Angkatan Dua", title="Kursus Kedua")
    _, other = learner(cohort, "dua@example.id")
    revoked = issuing.issue(other)
    issuing.revoke(revoked, by=None, reason="Dicabut untuk uji")
    db.session.commit()
    codes = [display_code(cert.code), revoked.code, "Z" * 28, "abc", 42, cert.code.lower()]
    response = client.post("/api/v1/certificates/verify", json={"codes": codes})
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [r["status"] for r in results] == ["valid", "revoked", "not_found", "not_found", "not_found", "valid"]
    assert results[0]["number"] == cert.number and results[1]["revoked_on"]
    assert results[4]["code"] is None and results[2]["code"] == "Z" * 28


def test_bulk_verify_limits(client, cert):
    too_many = client.post("/api/v1/certificates/verify", json={"codes": [cert.code] * 101})
    assert too_many.status_code == 413 and too_many.get_json()["error"]["code"] == "too_many_codes"
    exactly = client.post("/api/v1/certificates/verify", json={"codes": [cert.code] * 100})
    assert exactly.status_code == 200 and len(exactly.get_json()["results"]) == 100
    for body in ({}, {"codes": []}, {"codes": "x"}, [1, 2]):
        bad = client.post("/api/v1/certificates/verify", json=body)
        assert bad.status_code == 400 and bad.get_json()["error"]["status"] == 400
    assert client.post("/api/v1/certificates/verify", data="not json").status_code == 400


def test_bulk_verify_needs_no_csrf_token(app, cert):
    app.config["WTF_CSRF_ENABLED"] = True
    response = app.test_client().post("/api/v1/certificates/verify", json={"codes": [cert.code]})
    assert response.status_code == 200


@pytest.fixture
def limited(tmp_path):
    """A separate app built with rate limiting on (the limiter keeps no storage when built without)."""
    from tests.conftest import _empty_tables, _prepare_schema, build_app

    app = build_app(INSTANCE_DIR=str(tmp_path), RATELIMIT_ENABLED=True, VERIFY_RATE_LIMIT="3 per minute")
    app.instance_path = str(tmp_path)
    with app.app_context():
        _prepare_schema()
        limiter.reset()
        _, cohort = setup_course()
        _, enrolment = learner(cohort)
        cert = issuing.issue(enrolment)
        db.session.commit()
        try:
            yield app, cert.code
        finally:
            limiter.reset()
            limiter.enabled = False
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


def test_verification_is_rate_limited_across_page_and_api(limited):
    app, code = limited
    client = app.test_client()
    statuses = [client.get(f"/verify/{'Z' * 28}").status_code, client.get(f"/verify/{code}").status_code,
                client.get(f"/api/v1/certificates/{code}").status_code]
    assert statuses == [404, 200, 200]
    blocked = client.get(f"/verify/{code}")
    assert blocked.status_code == 429
    api = client.get(f"/api/v1/certificates/{code}")
    assert api.status_code == 429 and api.get_json()["error"]["status"] == 429
    # another address has its own bucket
    assert client.get(f"/verify/{code}", environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 200


def test_bulk_verify_costs_one_unit_per_ten_codes(limited):
    app, code = limited
    client = app.test_client()
    assert client.post("/api/v1/certificates/verify", json={"codes": [code] * 30}).status_code == 200
    assert client.post("/api/v1/certificates/verify", json={"codes": [code]}).status_code == 429


# --------------------------------------------------------------------------- issuer document


def test_issuer_document_publishes_the_local_key(client, app):
    from certificates import credential as cred
    from certificates.documents import issuer_key

    response = client.get("/issuer")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["id"] == "http://127.0.0.1:5000/issuer"
    key_file = app.instance_path + "/issuer_ed25519.pem"
    import os
    import stat

    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    with app.app_context():
        expected = cred.multikey_from_public(issuer_key().public_key())
    assert doc["verificationMethod"][0]["publicKeyMultibase"] == expected
    assert doc["assertionMethod"] == ["http://127.0.0.1:5000/issuer#key-1"]
    assert client.get("/issuer").get_json() == doc  # the key is created once and reused


# --------------------------------------------------------------------------- registry


def test_registry_is_opt_in_and_only_for_valid_holders(app, client, cert):
    holder = cert.user
    staff_only = client.get("/registry").get_data(as_text=True)
    assert "Siti Aminah" not in staff_only
    login(client, holder)
    page = client.get("/certificates").get_data(as_text=True)
    assert "Tampilkan nama saya di daftar publik" in page
    client.post("/certificates/registry", data={"listed": "y"})
    anonymous = app.test_client()
    listing = anonymous.get("/registry").get_data(as_text=True)
    assert "Siti Aminah" in listing and "PLUT Kota Malang" in listing and "Jawa Timur" in listing
    assert holder.email not in listing and cert.code not in listing
    assert "Siti Aminah" in anonymous.get("/registry?province=Jawa+Timur").get_data(as_text=True)
    assert "Siti Aminah" not in anonymous.get("/registry?province=Bali").get_data(as_text=True)
    assert "Siti Aminah" in anonymous.get("/registry?plut=malang").get_data(as_text=True)

    issuing.revoke(cert, by=None, reason="Dicabut untuk uji")
    db.session.commit()
    assert "Siti Aminah" not in anonymous.get("/registry").get_data(as_text=True)

    client.post("/certificates/registry", data={})  # opting out always works
    from certificates.models import RegistryListing

    assert db.session.get(RegistryListing, holder.id) is None
    refused = client.post("/certificates/registry", data={"listed": "y"}, follow_redirects=True)
    assert "hanya untuk pemegang sertifikat yang masih berlaku" in refused.get_data(as_text=True)
    assert db.session.get(RegistryListing, holder.id) is None


def test_registry_pages(app, client):
    from certificates import services

    _, cohort = setup_course()
    for i in range(30):
        user, enrolment = learner(cohort, f"r{i:02d}@example.id", full_name=f"Konsultan {i:02d}")
        issuing.issue(enrolment)
        services.set_listing(user, True)
    db.session.commit()
    first = client.get("/registry").get_data(as_text=True)
    assert "Konsultan 00" in first and "Konsultan 29" not in first and "Halaman 1 dari 2" in first
    assert "Konsultan 29" in client.get("/registry?page=2").get_data(as_text=True)
    assert "Konsultan 07" in client.get("/registry?q=07").get_data(as_text=True)
