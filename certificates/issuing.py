"""Issue, revoke and re-issue certificates. Services never commit; every change is in the audit log.

Issuing (CERT-5) happens only through :func:`issue`, which re-evaluates the rule with fresh evidence
inside the caller's transaction, takes the next number from a per-scope sequence row (the row lock
serialises concurrent issuers) and freezes a snapshot of everything the certificate shows. The
unique ``active_enrolment_id`` stops a race from issuing twice: the losing flush fails with an
IntegrityError that callers treat as "already issued".
"""

from __future__ import annotations

import calendar
import re
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from accounts import audit
from accounts.models import User
from certificates.models import ISSUED, REVOKED, Certificate, CertificateSequence
from certificates.numbering import PatternError, format_number, new_verification_code, validate_pattern
from certificates.rules import Evaluation
from certificates.services import CertificateError, evaluate_enrolment, live_certificate, rule_for, standings
from courses.models import Cohort, Enrolment
from extensions import db

DEFAULT_PATTERN = "BH/{year}/{month:02d}/{seq:04d}"
DEFAULT_ISSUER = "Bimtek Halal PLUT KUMKM"
DEFAULT_TITLE = {"id": "Sertifikat Pelatihan", "en": "Training Certificate"}
DEFAULT_STATEMENT = {
    "id": "telah mengikuti dan menyelesaikan seluruh persyaratan bimbingan teknis (pelatihan):",
    "en": "has taken part in and completed every requirement of the technical training:",
}
MAX_NUMBER_TRIES = 50
_CODE_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------------------------------
# Numbers and codes
# ---------------------------------------------------------------------------------------------


def _pattern() -> str:
    pattern = current_app.config.get("CERT_NUMBER_PATTERN") or DEFAULT_PATTERN
    try:
        validate_pattern(pattern)
    except PatternError as exc:
        raise CertificateError("cert_pattern_invalid", detail=str(exc)) from exc
    return pattern


def _next_value(scope: str) -> int:
    """Increment and return the sequence of ``scope``; the UPDATE's row lock orders concurrent issuers."""
    dialect = db.session.get_bind().dialect.name
    if dialect in ("sqlite", "postgresql"):
        insert = sqlite_insert if dialect == "sqlite" else pg_insert
        db.session.execute(insert(CertificateSequence).values(scope=scope, last_value=0)
                           .on_conflict_do_nothing(index_elements=["scope"]))
    elif db.session.get(CertificateSequence, scope) is None:  # pragma: no cover - other databases
        db.session.add(CertificateSequence(scope=scope, last_value=0))
        db.session.flush()
    db.session.execute(update(CertificateSequence).where(CertificateSequence.scope == scope)
                       .values(last_value=CertificateSequence.last_value + 1)
                       .execution_options(synchronize_session=False))
    return db.session.scalar(select(CertificateSequence.last_value).where(CertificateSequence.scope == scope))


def allocate_number(cohort: Cohort, on: date) -> str:
    """The next free certificate number for the configured pattern.

    The sequence restarts for every combination of the fields the pattern shows (year and month in
    the default pattern), so a pattern without ``{year}`` keeps counting across years. Numbers
    already taken (say, after the pattern was changed) are skipped.
    """
    pattern = _pattern()
    values = {
        "year": on.year,
        "month": on.month,
        "cohort_code": str(cohort.id),
        "course_code": _CODE_CHARS.sub("-", cohort.course.slug)[:20],
    }
    used = {f for _, f, _, _ in string.Formatter().parse(pattern) if f and f != "seq"}
    scope = "|".join(f"{k}={values[k]}" for k in sorted(used)) or "all"
    for _ in range(MAX_NUMBER_TRIES):
        seq = _next_value(scope)
        try:
            number = format_number(pattern, seq=seq, **values)
        except (ValueError, TypeError) as exc:
            raise CertificateError("cert_pattern_invalid", detail=str(exc)) from exc
        if db.session.scalar(select(Certificate.id).where(Certificate.number == number)) is None:
            return number
    raise CertificateError("cert_number_exhausted")


def _new_code() -> str:
    """A fresh verification code; a collision at 140 bits means a broken random source, so retry."""
    for _ in range(5):
        code = new_verification_code()
        if db.session.scalar(select(Certificate.id).where(Certificate.code == code)) is None:
            return code
    raise RuntimeError("verification code collision: check the random source")  # pragma: no cover


# ---------------------------------------------------------------------------------------------
# Snapshot
# ---------------------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _signatories(course_settings: dict) -> list[dict]:
    raw = course_settings.get("signatories") or current_app.config.get("CERT_SIGNATORIES")
    if not raw:
        raw = [{"name": current_app.config.get("ISSUER_NAME") or DEFAULT_ISSUER, "role": "Penyelenggara"}]
    return [{"name": str(s.get("name", "")), "role": str(s.get("role", "")), "image_path": s.get("image_path")}
            for s in raw[:4]]


def _scores(evaluation: Evaluation | None) -> list[dict]:
    """The results that earned the certificate, frozen for the holder's and organiser's record."""
    if evaluation is None:
        return []
    rows = []
    for req in evaluation.requirements:
        if req.kind == "modules":
            rows.append({"kind": "modules", "key": "modules", "done": req.progress.done, "total": req.progress.total})
        else:
            rows.append({"kind": req.kind, "key": req.key, "title": req.label_params.get("title"),
                         "value": req.progress.done, "minimum": req.progress.total, "unit": req.progress.unit})
    return rows


def build_snapshot(enrolment: Enrolment, evaluation: Evaluation | None, issued_at: datetime) -> dict:
    """Everything a certificate shows, copied now so later edits to people or courses change nothing."""
    cohort = enrolment.cohort
    course = cohort.course
    version = cohort.course_version
    user: User = enrolment.user
    settings = dict(course.certificate or {})
    lang = course.language if course.language in DEFAULT_TITLE else "id"
    zone = cohort.timezone or "Asia/Jakarta"
    issued_on = issued_at.astimezone(ZoneInfo(zone)).date()
    months = settings.get("validity_months") or 0
    valid_until = add_months(issued_on, int(months)) if isinstance(months, int) and months > 0 else None
    valid_as_of = version.valid_as_of or course.valid_as_of
    return {
        "holder_name": user.full_name,
        "holder_email": user.email,
        "province": user.province,
        "plut_unit": user.plut_unit,
        "course_slug": course.slug,
        "course_title": version.title,
        "course_description": version.summary,
        "course_version": str(version.number),
        "content_valid_as_of": valid_as_of.isoformat() if valid_as_of else None,
        "cohort_name": cohort.name,
        "start_date": cohort.starts_on.isoformat(),
        "end_date": cohort.ends_on.isoformat(),
        "jp": version.hours_jp,
        "timezone": zone,
        "issued_on": issued_on.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else None,
        "issuer_name": current_app.config.get("ISSUER_NAME") or DEFAULT_ISSUER,
        "title": settings.get("title") or DEFAULT_TITLE[lang],
        "statement": settings.get("statement") or DEFAULT_STATEMENT[lang],
        "signatories": _signatories(settings),
        "lang": lang,
        "scores": _scores(evaluation),
    }


def _expires_at(snapshot: dict) -> datetime | None:
    """Valid through the whole ``valid_until`` day in the cohort's zone."""
    if not snapshot.get("valid_until"):
        return None
    last = date.fromisoformat(snapshot["valid_until"])
    return datetime.combine(last + timedelta(days=1), time(0), ZoneInfo(snapshot["timezone"])).astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# Issue
# ---------------------------------------------------------------------------------------------


def _create(enrolment: Enrolment, evaluation: Evaluation | None, *, by: User | None, mode: str,
            now: datetime, replaces: Certificate | None = None) -> Certificate:
    snapshot = build_snapshot(enrolment, evaluation, now)
    number = allocate_number(enrolment.cohort, date.fromisoformat(snapshot["issued_on"]))
    snapshot["number"] = number
    cert = Certificate(
        number=number, code=_new_code(), enrolment_id=enrolment.id, active_enrolment_id=enrolment.id,
        user_id=enrolment.user_id, cohort_id=enrolment.cohort_id, course_id=enrolment.cohort.course_id,
        snapshot=snapshot, holder_name=snapshot["holder_name"][:120], province=snapshot["province"],
        status=ISSUED, issued_at=now, issued_by_id=by.id if by else None, issue_mode=mode,
        expires_at=_expires_at(snapshot), replaces_id=replaces.id if replaces else None,
    )
    db.session.add(cert)
    db.session.flush()
    audit.record("certificate.issued", "certificate", cert.id, summary=number,
                 data={"enrolment_id": enrolment.id, "mode": mode,
                       "replaces": replaces.number if replaces else None},
                 actor_id=by.id if by else None)
    return cert


def issue(enrolment: Enrolment, *, by: User | None = None, mode: str = "auto",
          now: datetime | None = None) -> Certificate:
    """Issue one certificate if the rule is met now; raises CertificateError otherwise."""
    if enrolment.status != "active":
        raise CertificateError("cert_enrolment_inactive")
    if live_certificate(enrolment) is not None:
        raise CertificateError("cert_already_issued")
    evaluation = evaluate_enrolment(enrolment)
    if not evaluation.met:
        raise CertificateError("cert_not_eligible")
    return _create(enrolment, evaluation, by=by, mode=mode, now=now or utcnow())


def maybe_auto_issue(enrolment: Enrolment, now: datetime | None = None) -> Certificate | None:
    """Issue without a person when the cohort issues automatically and the rule is met; else None."""
    cohort = enrolment.cohort
    if cohort.certificate_approval or enrolment.status != "active" or live_certificate(enrolment) is not None:
        return None
    try:
        evaluation = evaluate_enrolment(enrolment, rule_for(cohort))
    except CertificateError:
        return None
    if not evaluation.met:
        return None
    return _create(enrolment, evaluation, by=None, mode="auto", now=now or utcnow())


@dataclass
class BulkResult:
    issued: list[Certificate] = field(default_factory=list)
    already: int = 0
    not_met: int = 0


def bulk_issue(cohort: Cohort, *, by: User | None, mode: str = "bulk", now: datetime | None = None) -> BulkResult:
    """Issue to everyone in the cohort who meets the rule and has no certificate yet."""
    from certificates.services import active_enrolments

    now = now or utcnow()
    result = BulkResult()
    for row in standings(cohort, active_enrolments(cohort)):
        if row.certificate is not None:
            result.already += 1
        elif not row.evaluation.met:
            result.not_met += 1
        else:
            result.issued.append(_create(row.enrolment, row.evaluation, by=by, mode=mode, now=now))
    audit.record("certificate.bulk_issued", "cohort", cohort.id, summary=cohort.name,
                 data={"issued": len(result.issued), "already": result.already, "not_met": result.not_met},
                 actor_id=by.id if by else None)
    return result


# ---------------------------------------------------------------------------------------------
# Revoke and re-issue
# ---------------------------------------------------------------------------------------------


def _reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if len(text) < 5:
        raise CertificateError("cert_reason_required", "reason")
    if len(text) > 500:
        raise CertificateError("cert_reason_too_long", "reason")
    return text


def revoke(cert: Certificate, *, by: User | None, reason: str, now: datetime | None = None,
           action: str = "certificate.revoked") -> Certificate:
    """Withdraw a certificate; the verify page says so at once. The reason is kept, never shown publicly."""
    text = _reason(reason)
    if cert.status != ISSUED:
        raise CertificateError("cert_not_live")
    cert.status = REVOKED
    cert.active_enrolment_id = None
    cert.revoked_at = now or utcnow()
    cert.revoked_by_id = by.id if by else None
    cert.revoke_reason = text
    db.session.flush()
    audit.record(action, "certificate", cert.id, summary=cert.number, data={"reason": text},
                 actor_id=by.id if by else None)
    return cert


def reissue(cert: Certificate, *, by: User | None, reason: str, now: datetime | None = None) -> Certificate:
    """Replace a certificate (say, after a name correction): the old one is revoked, the new one links to it.

    The new certificate takes a fresh snapshot of today's name and course data and a new number and
    code. The rule is not evaluated again: the holder already earned it.
    """
    now = now or utcnow()
    enrolment = db.session.get(Enrolment, cert.enrolment_id) if cert.enrolment_id else None
    if enrolment is None:
        raise CertificateError("cert_enrolment_inactive")
    revoke(cert, by=by, reason=reason, now=now, action="certificate.revoked_for_reissue")
    try:
        evaluation = evaluate_enrolment(enrolment)
    except CertificateError:
        evaluation = None
    scores = cert.snapshot.get("scores", [])
    new = _create(enrolment, evaluation, by=by, mode="reissue", now=now, replaces=cert)
    if evaluation is None or not evaluation.met:
        new.snapshot = {**new.snapshot, "scores": scores}  # keep the results that earned the original
    return new
