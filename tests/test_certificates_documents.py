"""Downloads made from frozen certificates: PDF with QR, signed credential (and its offline check), ZIP, CSV, XLSX."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import zxingcpp
from jsonschema import Draft201909Validator, FormatChecker
from PIL import ImageOps
from pypdf import PdfReader

from certificates import issuing
from extensions import db
from tests.conftest import login
from tests.test_certificates_support import learner, setup_course

SCHEMA = Path(__file__).resolve().parent / "data" / "ob3" / "ob_v3p0_achievementcredential_schema.json"
BASE = "https://bimtek-halal.example.go.id"


@pytest.fixture
def issued(app):
    app.config["BASE_URL"] = BASE
    app.config["ISSUER_NAME"] = "PLUT KUMKM Jawa Timur"
    _, cohort = setup_course(certificate={"title": "Sertifikat Bimtek Halal",
                                          "statement": "telah menyelesaikan bimtek pendampingan halal"})
    user, enrolment = learner(cohort, full_name="Siti Nurhaliza Rahmawati")
    cert = issuing.issue(enrolment)
    db.session.commit()
    return user, cert


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    return re.sub(r"\s+", " ", reader.pages[0].extract_text())


def test_holder_downloads_a_pdf_with_their_name_number_and_wording(client, issued):
    user, cert = issued
    login(client, user)
    response = client.get(f"/certificates/{cert.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    text = _text(response.data)
    for expected in ("Siti Nurhaliza Rahmawati", cert.number, "SERTIFIKAT BIMTEK HALAL",
                     "telah menyelesaikan bimtek pendampingan halal", "bukan registrasi Pendamping PPH oleh BPJPH",
                     "bimtek-halal.example.go.id", "PLUT KUMKM JAWA TIMUR"):
        assert expected in text, expected


def test_default_wording_is_a_training_certificate(client, app):
    _, cohort = setup_course()
    user, enrolment = learner(cohort)
    cert = issuing.issue(enrolment)
    db.session.commit()
    login(client, user)
    text = _text(client.get(f"/certificates/{cert.id}/pdf").data)
    assert "SERTIFIKAT PELATIHAN" in text
    assert "bukan registrasi Pendamping PPH oleh BPJPH" in text


def test_qr_code_in_the_pdf_opens_the_verify_page(client, issued):
    user, cert = issued
    login(client, user)
    page = PdfReader(io.BytesIO(client.get(f"/certificates/{cert.id}/pdf").data)).pages[0]
    images = list(page.images)
    assert len(images) == 1
    image = ImageOps.expand(images[0].image.convert("L"), border=40, fill=255)
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [f"{BASE}/verify/{cert.code}"]


def test_nobody_else_can_download_a_certificate(app, client, issued, other_consultant, organiser):
    _, cert = issued
    login(client, other_consultant)
    assert client.get(f"/certificates/{cert.id}/pdf").status_code == 404
    assert client.get(f"/certificates/{cert.id}/credential").status_code == 404
    staff = app.test_client()
    login(staff, organiser)
    assert staff.get(f"/organiser/certificates/{cert.id}/pdf").status_code == 200
    assert staff.get(f"/organiser/certificates/{cert.id}/credential").status_code == 200


# --------------------------------------------------------------------------- signed credential


def _validator() -> Draft201909Validator:
    checker = FormatChecker()

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:
        if isinstance(value, str):
            datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True

    return Draft201909Validator(json.loads(SCHEMA.read_text()), format_checker=checker)


def test_credential_download_is_a_signed_ob3_credential(client, issued, app):
    from certificates import credential as cred

    user, cert = issued
    login(client, user)
    response = client.get(f"/certificates/{cert.id}/credential")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    document = response.get_json()
    assert list(_validator().iter_errors(document)) == []
    assert document["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert document["id"] == f"{BASE}/verify/{cert.code}"
    assert document["issuer"]["id"] == f"{BASE}/issuer" and document["issuer"]["name"] == "PLUT KUMKM Jawa Timur"
    assert document["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert document["proof"]["verificationMethod"] == f"{BASE}/issuer#key-1"
    issuer = client.get("/issuer").get_json()
    assert cred.verify(document, cred.resolver_from_issuer_document(issuer)).ok
    # the same certificate always gives the same signed file
    assert client.get(f"/certificates/{cert.id}/credential").get_json() == document
    key = Path(app.instance_path) / "issuer_ed25519.pem"
    assert key.exists() and (key.stat().st_mode & 0o777) == 0o600


def _write(tmp_path, document, name="credential.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document, ensure_ascii=False))
    return str(path)


def test_cli_prints_and_verifies_a_credential(runner, issued, tmp_path):
    _, cert = issued
    printed = runner.invoke(args=["certificates", "credential", cert.code.lower()])
    assert printed.exit_code == 0, printed.output
    document = json.loads(printed.output)
    assert document["credentialSubject"]["identifier"][0]["identityHash"] == "Siti Nurhaliza Rahmawati"
    ok = runner.invoke(args=["certificates", "verify", _write(tmp_path, document)])
    assert ok.exit_code == 0 and ok.output.startswith("VALID"), ok.output
    assert runner.invoke(args=["certificates", "credential", "Z" * 28]).exit_code != 0


def test_tampered_credential_fails_offline_verification(runner, issued, tmp_path):
    _, cert = issued
    document = json.loads(runner.invoke(args=["certificates", "credential", cert.code]).output)
    document["credentialSubject"]["identifier"][0]["identityHash"] = "Orang Lain"
    result = runner.invoke(args=["certificates", "verify", _write(tmp_path, document)])
    assert result.exit_code == 1 and "INVALID: bad_signature" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert runner.invoke(args=["certificates", "verify", str(broken)]).exit_code == 1


def test_revoked_credential_fails_offline_verification(runner, issued, tmp_path):
    _, cert = issued
    path = _write(tmp_path, json.loads(runner.invoke(args=["certificates", "credential", cert.code]).output))
    issuing.revoke(cert, by=None, reason="Dicabut untuk uji")
    db.session.commit()
    result = runner.invoke(args=["certificates", "verify", path])
    assert result.exit_code == 1 and "INVALID: revoked" in result.output
    # signature-only check (no database) still passes: the file itself is genuine
    assert runner.invoke(args=["certificates", "verify", "--no-status", path]).exit_code == 0


def test_expired_credential_fails_offline_verification(runner, app, tmp_path):
    _, cohort = setup_course(certificate={"validity_months": 1})
    _, enrolment = learner(cohort)
    cert = issuing.issue(enrolment, now=datetime.now(UTC) - timedelta(days=90))
    db.session.commit()
    path = _write(tmp_path, json.loads(runner.invoke(args=["certificates", "credential", cert.code]).output))
    result = runner.invoke(args=["certificates", "verify", path])
    assert result.exit_code == 1 and "INVALID: expired" in result.output


def test_credential_from_another_key_fails(runner, client, issued, tmp_path):
    _, cert = issued
    document = json.loads(runner.invoke(args=["certificates", "credential", cert.code]).output)
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from certificates import credential as cred

    stranger = cred.issuer_document(BASE, Ed25519PrivateKey.generate().public_key())
    issuer_file = _write(tmp_path, stranger, "issuer.json")
    result = runner.invoke(args=["certificates", "verify", "--issuer", issuer_file, _write(tmp_path, document)])
    assert result.exit_code == 1 and "bad_signature" in result.output
    genuine = _write(tmp_path, client.get("/issuer").get_json(), "genuine.json")
    assert runner.invoke(args=["certificates", "verify", "--issuer", genuine, "--no-status",
                               _write(tmp_path, document)]).exit_code == 0


# --------------------------------------------------------------------------- cohort exports


@pytest.fixture
def cohort_with_certificates(app):
    _, cohort = setup_course()
    certs = []
    for i, name in enumerate(["Ani", "Budi", "=HYPERLINK(\"http://x\")"]):
        _, enrolment = learner(cohort, f"x{i}@example.id", full_name=name)
        certs.append(issuing.issue(enrolment))
    issuing.revoke(certs[1], by=None, reason="Dicabut untuk uji")
    db.session.commit()
    return cohort, certs


def test_zip_holds_one_pdf_per_live_certificate(app, organiser, cohort_with_certificates):
    cohort, certs = cohort_with_certificates
    staff = app.test_client()
    login(staff, organiser)
    with staff.get(f"/organiser/certificates/cohorts/{cohort.id}/certificates.zip") as response:
        assert response.status_code == 200 and response.mimetype == "application/zip"
        data = response.data  # the server's close() frees the spooled file, as a WSGI server does
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(archive.namelist())
    assert len(names) == 2 and all(n.endswith(".pdf") for n in names)
    texts = " ".join(_text(archive.read(n)) for n in names)
    assert certs[0].number in texts and certs[1].number not in texts


def test_csv_and_xlsx_lists(app, organiser, cohort_with_certificates):
    from openpyxl import load_workbook

    cohort, certs = cohort_with_certificates
    staff = app.test_client()
    login(staff, organiser)
    with staff.get(f"/organiser/certificates/cohorts/{cohort.id}/certificates.csv") as response:
        assert response.status_code == 200 and response.mimetype == "text/csv"
        text = response.data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["number"] for r in rows] == [c.number for c in certs]
    assert [r["status"] for r in rows] == ["valid", "revoked", "valid"]
    assert rows[1]["revoke_reason"] == "Dicabut untuk uji"
    assert rows[2]["holder_name"].startswith("'=")  # no formula injection
    with staff.get(f"/organiser/certificates/cohorts/{cohort.id}/certificates.xlsx") as response:
        data = response.data
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    sheet_rows = list(workbook.active.iter_rows(values_only=True))
    assert sheet_rows[0][0] == "number" and [r[0] for r in sheet_rows[1:]] == [c.number for c in certs]
    assert sheet_rows[3][2].startswith("'=")
    workbook.close()


def test_bulk_files_spill_to_disk_instead_of_memory(app, monkeypatch, cohort_with_certificates):
    from certificates import documents

    cohort, certs = cohort_with_certificates
    monkeypatch.setattr(documents, "SPOOL_BYTES", 1024)
    monkeypatch.setattr(documents, "BATCH", 1)  # read one certificate at a time
    spool = documents.zip_of_pdfs(cohort.id)
    try:
        assert spool._rolled  # past the threshold the ZIP lives in a temporary file on disk
        assert len(zipfile.ZipFile(spool).namelist()) == 2
    finally:
        spool.close()


def test_dashboard_lists_my_certificates(client, issued):
    user, cert = issued
    login(client, user)
    page = client.get("/dashboard").get_data(as_text=True)
    assert cert.number in page and f"/certificates/{cert.id}/pdf" in page
