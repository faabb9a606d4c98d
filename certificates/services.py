"""Completion standing, public verification, eligibility lists, the registry and report counts.

Services never commit; the view or CLI command does. Issuing, revoking and re-issuing live in
``certificates.issuing``; rendering and exports in ``certificates.documents``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from accounts.domain import DomainError, register_messages
from accounts.models import User
from certificates import evidence as evidence_source
from certificates.models import ISSUED, REVOKED, Certificate, RegistryListing
from certificates.numbering import normalise_code
from certificates.rules import Evaluation, Rule, evaluate, merge_rule
from courses.models import Cohort, Enrolment
from extensions import db

VALID, EXPIRED = "valid", "expired"
STATES = ("eligible", "awaiting_approval", "issued", "not_met")
CHUNK = 400  # enrolments evaluated per batch of evidence queries


class CertificateError(DomainError):
    """A certificate rule was broken."""


register_messages({
    "cert_rule_invalid": _l("Aturan kelulusan kursus ini tidak valid (%(detail)s). Hubungi pengelola kursus."),
    "cert_rule_missing": _l("Kursus ini belum memiliki aturan kelulusan, jadi sertifikat belum dapat diterbitkan."),
    "cert_not_eligible": _l("Persyaratan sertifikat belum terpenuhi."),
    "cert_already_issued": _l("Sertifikat untuk peserta ini sudah terbit."),
    "cert_enrolment_inactive": _l("Peserta ini tidak aktif di angkatan, jadi sertifikat tidak dapat diterbitkan."),
    "cert_not_live": _l("Sertifikat ini sudah dicabut."),
    "cert_reason_required": _l("Tuliskan alasannya (minimal 5 karakter)."),
    "cert_reason_too_long": _l("Alasan terlalu panjang (maksimal 500 karakter)."),
    "cert_pattern_invalid": _l("Pola nomor sertifikat tidak valid: %(detail)s"),
    "cert_number_exhausted": _l("Nomor sertifikat baru tidak dapat dibuat. Periksa pola nomor sertifikat."),
    "cert_registry_needs_certificate": _l("Daftar publik hanya untuk pemegang sertifikat yang masih berlaku."),
    "cert_conflict": _l("Sertifikat sedang diterbitkan oleh proses lain. Muat ulang halaman."),
})


def utcnow() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------------------------------------
# Rules and standing
# ---------------------------------------------------------------------------------------------


def rule_for(cohort: Cohort) -> Rule:
    """The course's rule with the cohort's override; refuse a broken or empty rule (fail closed)."""
    try:
        rule = merge_rule(cohort.course.completion or {}, cohort.completion_override)
    except (TypeError, ValueError) as exc:
        raise CertificateError("cert_rule_invalid", detail=str(exc)) from exc
    if not (rule.modules == "all" or rule.modules or rule.quizzes or rule.attendance_percent is not None
            or rule.posttest_required):
        raise CertificateError("cert_rule_missing")
    return rule


@dataclass
class Standing:
    """One participant's checklist under the cohort's rule, with their live certificate if any."""

    enrolment: Enrolment
    evaluation: Evaluation
    certificate: Certificate | None
    approval: bool

    @property
    def eligible(self) -> bool:
        return self.evaluation.met

    @property
    def state(self) -> str:
        if self.certificate is not None:
            return "issued"
        if self.evaluation.met:
            return "awaiting_approval" if self.approval else "eligible"
        return "not_met"


def live_certificate(enrolment: Enrolment) -> Certificate | None:
    """The enrolment's certificate that is not revoked (it may have expired)."""
    return db.session.scalar(select(Certificate).where(Certificate.active_enrolment_id == enrolment.id))


def evaluate_enrolment(enrolment: Enrolment, rule: Rule | None = None) -> Evaluation:
    """Check one participant against the cohort's rule with evidence read now."""
    rule = rule or rule_for(enrolment.cohort)
    return evaluate(rule, evidence_source.evidence_for(enrolment))


def standing(enrolment: Enrolment) -> Standing:
    """The checklist and certificate of one enrolment (raises CertificateError for a bad rule)."""
    return Standing(enrolment, evaluate_enrolment(enrolment), live_certificate(enrolment),
                    enrolment.cohort.certificate_approval)


def standings(cohort: Cohort, enrolments: Sequence[Enrolment]) -> list[Standing]:
    """Checklists for many enrolments of one cohort with a fixed number of queries per chunk."""
    rule = rule_for(cohort)
    result: list[Standing] = []
    for start in range(0, len(enrolments), CHUNK):
        chunk = list(enrolments[start:start + CHUNK])
        evidence = evidence_source.evidence_for_many(cohort, chunk)
        ids = [e.id for e in chunk]
        live = {c.active_enrolment_id: c for c in db.session.scalars(
            select(Certificate).where(Certificate.active_enrolment_id.in_(ids)))}
        for enrolment in chunk:
            result.append(Standing(enrolment, evaluate(rule, evidence[enrolment.id]), live.get(enrolment.id),
                                   cohort.certificate_approval))
    return result


def active_enrolments(cohort: Cohort, *, q: str | None = None, province: str | None = None) -> list[Enrolment]:
    """Active participants of a cohort by name, with their users loaded."""
    stmt = (select(Enrolment).join(User, User.id == Enrolment.user_id)
            .where(Enrolment.cohort_id == cohort.id, Enrolment.status == "active")
            .options(joinedload(Enrolment.user)).order_by(User.full_name, Enrolment.id))
    if province:
        stmt = stmt.where(User.province == province)
    if q and q.strip():
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(or_(func.lower(User.full_name).like(like), User.email.like(like)))
    return list(db.session.scalars(stmt))


def cohort_standings(cohort: Cohort, *, state: str | None = None, q: str | None = None,
                     province: str | None = None) -> list[Standing]:
    """Everyone in a cohort with their standing, optionally only one state (eligible, issued, ...)."""
    rows = standings(cohort, active_enrolments(cohort, q=q, province=province))
    if state in STATES:
        rows = [r for r in rows if r.state == state]
    return rows


@dataclass
class ListPage:
    """A page of an in-memory list, shaped like Flask-SQLAlchemy's Pagination for the pager macro."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def paginate_list(items: list, page: int, per_page: int) -> ListPage:
    page = max(1, page)
    pages = max(1, math.ceil(len(items) / per_page))
    page = min(page, pages)
    return ListPage(items[(page - 1) * per_page: page * per_page], page, per_page, len(items))


# ---------------------------------------------------------------------------------------------
# Status and the public record
# ---------------------------------------------------------------------------------------------


def find_by_code(raw: str | None) -> Certificate | None:
    """Look a certificate up by what a person typed or scanned; malformed and unknown are both None."""
    code = normalise_code(raw)
    if code is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.code == code))


def status_of(cert: Certificate, now: datetime | None = None) -> str:
    """valid | revoked | expired, as the verify page and the API show it."""
    if cert.status == REVOKED:
        return REVOKED
    if cert.expires_at is not None and (now or utcnow()) >= cert.expires_at:
        return EXPIRED
    return VALID


def local_date(moment: datetime | None, zone: str | None) -> date | None:
    """The calendar date of a UTC moment in the cohort's zone (what the paper prints)."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(zone or "Asia/Jakarta")).date()


def _iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def replacement_of(cert: Certificate) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.replaces_id == cert.id)
                             .order_by(Certificate.id.desc()))


def public_record(cert: Certificate, now: datetime | None = None) -> dict:
    """What anyone holding the code may see (CERT-4): no email, no scores, no revocation reason."""
    snap = cert.snapshot
    zone = snap.get("timezone")
    replacement = replacement_of(cert) if cert.status == REVOKED else None
    return {
        "status": status_of(cert, now),
        "number": cert.number,
        "holder_name": snap.get("holder_name"),
        "province": snap.get("province"),
        "course_title": snap.get("course_title"),
        "course_version": snap.get("course_version"),
        "content_valid_as_of": snap.get("content_valid_as_of"),
        "cohort_name": snap.get("cohort_name"),
        "start_date": snap.get("start_date"),
        "end_date": snap.get("end_date"),
        "hours_jp": snap.get("jp"),
        "issued_on": snap.get("issued_on"),
        "valid_until": snap.get("valid_until"),
        "revoked_on": _iso_date(local_date(cert.revoked_at, zone)),
        "replaced_by": replacement.number if replacement else None,
        "issuer_name": snap.get("issuer_name"),
    }


# ---------------------------------------------------------------------------------------------
# Consultant views of their own certificates
# ---------------------------------------------------------------------------------------------


def user_certificates(user: User) -> list[Certificate]:
    """Every certificate of a user, newest first, revoked ones included (they may need to know)."""
    stmt = select(Certificate).where(Certificate.user_id == user.id).order_by(Certificate.issued_at.desc(),
                                                                              Certificate.id.desc())
    return list(db.session.scalars(stmt))


def owned_certificate(cert_id: int, user: User) -> Certificate | None:
    """A certificate only its holder may open (IDOR: anyone else gets None, shown as 404)."""
    cert = db.session.get(Certificate, cert_id)
    if cert is None or cert.user_id != user.id:
        return None
    return cert


# ---------------------------------------------------------------------------------------------
# Public registry (opt-in)
# ---------------------------------------------------------------------------------------------


def valid_clause(now: datetime | None = None):
    """SQL condition: issued and not expired."""
    now = now or utcnow()
    return and_(Certificate.status == ISSUED, or_(Certificate.expires_at.is_(None), Certificate.expires_at > now))


def has_valid_certificate(user: User, now: datetime | None = None) -> bool:
    return db.session.scalar(select(Certificate.id).where(Certificate.user_id == user.id, valid_clause(now))
                             .limit(1)) is not None


def is_listed(user: User) -> bool:
    return db.session.get(RegistryListing, user.id) is not None


def set_listing(user: User, listed: bool) -> bool:
    """Opt in to (or out of) the public registry; only holders of a valid certificate may opt in."""
    from accounts import audit

    row = db.session.get(RegistryListing, user.id)
    if listed and row is None:
        if not has_valid_certificate(user):
            raise CertificateError("cert_registry_needs_certificate")
        db.session.add(RegistryListing(user_id=user.id))
        audit.record("certificate.registry_opt_in", "user", user.id, actor_id=user.id)
    elif not listed and row is not None:
        db.session.delete(row)
        audit.record("certificate.registry_opt_out", "user", user.id, actor_id=user.id)
    return listed


def registry_page(*, province: str | None = None, plut: str | None = None, q: str | None = None,
                  page: int = 1, per_page: int = 25, now: datetime | None = None):
    """Listed consultants holding a valid certificate, by province and PLUT; returns (page, certs by user)."""
    now = now or utcnow()
    holders = select(Certificate.user_id).where(valid_clause(now)).distinct()
    stmt = (select(User).join(RegistryListing, RegistryListing.user_id == User.id)
            .where(User.id.in_(holders), User.active.is_(True))
            .order_by(User.province, User.plut_unit, User.full_name, User.id))
    if province:
        stmt = stmt.where(User.province == province)
    if plut and plut.strip():
        stmt = stmt.where(func.lower(User.plut_unit).like(f"%{plut.strip().lower()}%"))
    if q and q.strip():
        stmt = stmt.where(func.lower(User.full_name).like(f"%{q.strip().lower()}%"))
    pagination = db.paginate(stmt, page=page, per_page=per_page, max_per_page=100, error_out=False)
    ids = [u.id for u in pagination.items]
    certs: dict[int, list[Certificate]] = {i: [] for i in ids}
    if ids:
        for cert in db.session.scalars(select(Certificate).where(Certificate.user_id.in_(ids), valid_clause(now))
                                       .order_by(Certificate.issued_at)):
            certs[cert.user_id].append(cert)
    return pagination, certs


# ---------------------------------------------------------------------------------------------
# Counts for reports and the cohort panel
# ---------------------------------------------------------------------------------------------


def eligibility_counts(cohort: Cohort) -> dict[str, int]:
    """enrolled / met / issued / awaiting (met, no certificate yet) / not_met / revoked for one cohort.

    ``rule_error`` is 1 when the rule is missing or broken (then only enrolled, issued and revoked count).
    """
    enrolled = active_enrolments(cohort)
    counts = {"enrolled": len(enrolled), "met": 0, "issued": 0, "awaiting": 0, "not_met": 0, "revoked": 0,
              "rule_error": 0}
    counts["issued"] = db.session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.cohort_id == cohort.id, Certificate.status == ISSUED)) or 0
    counts["revoked"] = db.session.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.cohort_id == cohort.id, Certificate.status == REVOKED)) or 0
    try:
        rows = standings(cohort, enrolled)
    except CertificateError:
        counts["rule_error"] = 1
        return counts
    for row in rows:
        if row.evaluation.met:
            counts["met"] += 1
            if row.certificate is None:
                counts["awaiting"] += 1
        else:
            counts["not_met"] += 1
    return counts


def certified_counts_by_province(now: datetime | None = None) -> list[tuple[str | None, int]]:
    """People holding at least one valid certificate, per province frozen on the certificate."""
    stmt = (select(Certificate.province, func.count(func.distinct(Certificate.user_id)))
            .where(valid_clause(now)).group_by(Certificate.province).order_by(Certificate.province))
    return [(province, count) for province, count in db.session.execute(stmt)]


def certified_select(enrolment_ids):
    """Funnel step for reports: enrolment ids (of a subquery with an ``id`` column) holding a valid certificate."""
    return select(Certificate.enrolment_id).where(Certificate.enrolment_id.in_(select(enrolment_ids.c.id)),
                                                  valid_clause())


def issued_counts_by_cohort(cohort_ids: Iterable[int]) -> dict[int, int]:
    """Live (not revoked) certificates per cohort, in one query."""
    ids = list(cohort_ids)
    if not ids:
        return {}
    stmt = (select(Certificate.cohort_id, func.count()).where(Certificate.cohort_id.in_(ids),
                                                              Certificate.status == ISSUED)
            .group_by(Certificate.cohort_id))
    return {cohort_id: count for cohort_id, count in db.session.execute(stmt)}
