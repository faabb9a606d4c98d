"""Files made from frozen certificates: PDF, signed OB 3.0 credential, cohort ZIP, CSV and XLSX.

Every document is rendered from ``Certificate.snapshot`` and the certificate's own columns, never
from live user or course rows, so a document made today equals one made at issue.

Bulk files are written into a ``SpooledTemporaryFile`` (kept in memory up to ``SPOOL_BYTES``, then on
disk) one certificate at a time, reading certificates in batches, so memory stays flat for a
cohort of any size.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from tempfile import SpooledTemporaryFile
from typing import Any

from flask import current_app
from sqlalchemy import select

from certificates import credential as cred
from certificates.models import Certificate
from certificates.pdf import render_certificate_pdf
from certificates.services import status_of
from extensions import db

SPOOL_BYTES = 8 * 1024 * 1024
BATCH = 100
KEY_FILE = "issuer_ed25519.pem"


def base_url() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def verify_url(cert: Certificate | str) -> str:
    """The public page the QR code opens."""
    code = cert if isinstance(cert, str) else cert.code
    return f"{base_url()}/verify/{code}"


def issuer_name() -> str:
    from certificates.issuing import DEFAULT_ISSUER

    return current_app.config.get("ISSUER_NAME") or DEFAULT_ISSUER


# ---------------------------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------------------------


def pdf_fields(cert: Certificate) -> dict[str, Any]:
    """The snapshot in the shape ``certificates.pdf`` expects."""
    snap = cert.snapshot
    return {
        "holder_name": snap["holder_name"],
        "number": cert.number,
        "verification_code": cert.code,
        "province": snap.get("province"),
        "course_title": snap["course_title"],
        "course_version": snap.get("course_version"),
        "content_valid_as_of": snap.get("content_valid_as_of"),
        "cohort_name": snap.get("cohort_name"),
        "start_date": snap.get("start_date"),
        "end_date": snap.get("end_date"),
        "jp": snap.get("jp"),
        "issued_at": snap.get("issued_on"),
        "valid_until": snap.get("valid_until"),
        "issuer_name": snap.get("issuer_name"),
    }


def _signatories(cert: Certificate) -> list[dict]:
    """Frozen signatories; a signature image that has since gone missing is left off, not fatal."""
    out = []
    for s in cert.snapshot.get("signatories", []):
        image = s.get("image_path")
        out.append({**s, "image_path": image if image and Path(image).is_file() else None})
    return out


def render_pdf(cert: Certificate) -> bytes:
    """One certificate as an A4-landscape PDF with a QR code to its verify page."""
    snap = cert.snapshot
    return render_certificate_pdf(pdf_fields(cert), verify_url(cert), title=snap["title"],
                                  statement=snap.get("statement", ""), signatories=_signatories(cert),
                                  lang=snap.get("lang", "id"))


def pdf_filename(cert: Certificate) -> str:
    return "sertifikat-" + "".join(c if c.isalnum() else "-" for c in cert.number).strip("-") + ".pdf"


# ---------------------------------------------------------------------------------------------
# Signed credential
# ---------------------------------------------------------------------------------------------


def key_path() -> Path:
    configured = current_app.config.get("ISSUER_KEY_PATH")
    return Path(configured) if configured else Path(current_app.instance_path) / KEY_FILE


def issuer_key():
    """The Ed25519 signing key, generated into instance/ on first use (mode 0600)."""
    return cred.load_or_create_key(key_path())


def issuer_document() -> dict:
    """The issuer profile with the public key, served at ``GET /issuer``."""
    return cred.issuer_document(base_url(), issuer_key().public_key(), name=issuer_name())


def credential_fields(cert: Certificate) -> dict[str, Any]:
    snap = cert.snapshot
    return {
        "verification_code": cert.code,
        "number": cert.number,
        "holder_name": snap["holder_name"],
        "holder_email": snap.get("holder_email"),
        "course_slug": snap["course_slug"],
        "course_title": snap["course_title"],
        "course_version": snap.get("course_version"),
        "course_description": snap.get("course_description"),
        "jp": snap.get("jp"),
        "cohort_name": snap.get("cohort_name"),
        "start_date": snap.get("start_date"),
        "end_date": snap.get("end_date"),
        "issued_at": cert.issued_at,
        "valid_until": cert.expires_at,
        "lang": snap.get("lang", "id"),
    }


def signed_credential(cert: Certificate) -> dict:
    """The certificate as an OB 3.0 OpenBadgeCredential with an eddsa-jcs-2022 proof.

    The proof's ``created`` is the issue time, and Ed25519 signatures are deterministic, so the same
    certificate always gives the same file (until the key is rotated).
    """
    unsigned = cred.build_credential(credential_fields(cert), base_url(), issuer_name())
    return cred.sign(unsigned, issuer_key(), cred.verification_method_id(base_url()), cert.issued_at)


def credential_filename(cert: Certificate) -> str:
    return pdf_filename(cert)[:-4] + ".json"


# ---------------------------------------------------------------------------------------------
# Cohort exports
# ---------------------------------------------------------------------------------------------


def cohort_certificates(cohort_id: int, *, include_revoked: bool = True) -> Iterator[Certificate]:
    """A cohort's certificates by number, read in batches so a large cohort never sits in memory at once."""
    last = 0
    while True:
        stmt = select(Certificate).where(Certificate.cohort_id == cohort_id, Certificate.id > last)
        if not include_revoked:
            stmt = stmt.where(Certificate.status == "issued")
        batch = list(db.session.scalars(stmt.order_by(Certificate.id).limit(BATCH)))
        if not batch:
            return
        yield from batch
        last = batch[-1].id
        for cert in batch:  # done with this batch: let it go, so memory stays flat
            db.session.expunge(cert)


def zip_of_pdfs(cohort_id: int) -> SpooledTemporaryFile:
    """The cohort's live certificates as PDFs in one ZIP, rendered and written one at a time."""
    spool = SpooledTemporaryFile(max_size=SPOOL_BYTES)  # the response closes it
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for cert in cohort_certificates(cohort_id, include_revoked=False):
            archive.writestr(pdf_filename(cert), render_pdf(cert))
    spool.seek(0)
    return spool


HEADERS = ("number", "status", "holder_name", "email", "province", "plut_unit", "course", "course_version",
           "cohort", "issued_on", "valid_until", "revoked_on", "revoke_reason", "replaces", "verify_url")


def _safe(value: object) -> object:
    """Neutralise spreadsheet formulas in text cells (CSV/XLSX injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _row(cert: Certificate) -> list[object]:
    from certificates.services import local_date

    snap = cert.snapshot
    revoked = local_date(cert.revoked_at, snap.get("timezone"))
    replaced = cert.replaces.number if cert.replaces_id and cert.replaces else ""
    values = [cert.number, status_of(cert), snap.get("holder_name"), snap.get("holder_email"), snap.get("province"),
              snap.get("plut_unit"), snap.get("course_title"), snap.get("course_version"), snap.get("cohort_name"),
              snap.get("issued_on"), snap.get("valid_until") or "", revoked.isoformat() if revoked else "",
              cert.revoke_reason or "", replaced, verify_url(cert)]
    return [_safe(v if v is not None else "") for v in values]


def csv_of_cohort(cohort_id: int) -> SpooledTemporaryFile:
    """The certificate list as UTF-8 CSV with a BOM (Excel opens it with the right characters)."""
    spool = SpooledTemporaryFile(max_size=SPOOL_BYTES)
    text = io.TextIOWrapper(spool, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow(HEADERS)
    for cert in cohort_certificates(cohort_id):
        writer.writerow(_row(cert))
    text.flush()
    text.detach()
    spool.seek(0)
    return spool


def xlsx_of_cohort(cohort_id: int) -> SpooledTemporaryFile:
    """The certificate list as an XLSX workbook (openpyxl write-only mode: rows stream to the file)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sertifikat")
    sheet.append(list(HEADERS))
    for cert in cohort_certificates(cohort_id):
        sheet.append(_row(cert))
    spool = SpooledTemporaryFile(max_size=SPOOL_BYTES)
    workbook.save(spool)
    spool.seek(0)
    return spool


def today_stamp() -> str:
    return date.today().isoformat()
