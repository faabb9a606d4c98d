"""`flask certificates ...`: print a signed credential, verify one offline, issue to a cohort.

``verify`` is offline in the sense that it contacts no server: the signature is checked against the
public key of the local signing key (``instance/issuer_ed25519.pem``) or, with ``--issuer FILE``,
against a saved copy of ``GET /issuer``; revocation and expiry are read from the local database
(skip that with ``--no-status``, e.g. on a machine without the database). It exits 0 when the
credential is valid and 1 when it is tampered with, signed by another key, revoked, expired,
unknown or malformed, printing the reason.
"""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from accounts.domain import DomainError, message_for
from certificates import credential as cred
from certificates import documents, issuing, services
from courses.models import Cohort
from extensions import db

group = AppGroup("certificates", help="Certificates: signed credentials, offline verification, issuing.")


@group.command("credential")
@click.argument("code")
def credential_cmd(code: str):
    """Print the signed OB 3.0 credential of the certificate with verification CODE."""
    cert = services.find_by_code(code)
    if cert is None:
        raise click.ClickException("no certificate with that code")
    click.echo(json.dumps(documents.signed_credential(cert), ensure_ascii=False, indent=2))


def _status_lookup(credential_id: str) -> str:
    """valid | revoked | expired | unknown_certificate, from the local database."""
    code = credential_id.rstrip("/").rsplit("/", 1)[-1]
    cert = services.find_by_code(code)
    if cert is None or documents.verify_url(cert) != credential_id:
        return "unknown_certificate"
    return services.status_of(cert)


@group.command("verify")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@click.option("--issuer", "issuer_file", type=click.File("r", encoding="utf-8"),
              help="A saved copy of GET /issuer to take the public key from (default: the local key).")
@click.option("--no-status", is_flag=True, help="Check the signature and dates only, not the database.")
def verify_cmd(file, issuer_file, no_status: bool):
    """Check a signed credential FILE offline; exit status 1 when it is not valid."""
    try:
        document = json.load(file)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        click.echo(f"INVALID: malformed ({exc.__class__.__name__})")
        raise SystemExit(1) from exc
    issuer = json.load(issuer_file) if issuer_file else documents.issuer_document()
    result = cred.verify(document, cred.resolver_from_issuer_document(issuer),
                         status_lookup=None if no_status else _status_lookup)
    if not result:
        click.echo(f"INVALID: {result.reason}")
        raise SystemExit(1)
    subject = document.get("credentialSubject", {})
    name = next((i.get("identityHash") for i in subject.get("identifier", []) if i.get("identityType") == "name"), "")
    click.echo(f"VALID: {document.get('id')} {name} — {subject.get('achievement', {}).get('name', '')}")


@group.command("issue-eligible")
@click.argument("cohort_id", type=int)
def issue_eligible_cmd(cohort_id: int):
    """Issue certificates to everyone in COHORT_ID who meets the rule (approval cohorts included)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise click.ClickException(f"no cohort {cohort_id}")
    try:
        result = issuing.bulk_issue(cohort, by=None, mode="cli")
    except DomainError as exc:
        db.session.rollback()
        with current_app.test_request_context():  # translated messages need a request (locale)
            raise click.ClickException(message_for(exc)) from exc
    db.session.commit()
    for cert in result.issued:
        click.echo(f"issued {cert.number} {cert.holder_name}")
    click.echo(f"{len(result.issued)} issued, {result.already} already had one, {result.not_met} not eligible")


def register(app: Flask) -> None:
    app.cli.add_command(group)

