"""Issued certificates (frozen at issue), their number sequences and the public registry opt-in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User, utcnow
from extensions import UTCDateTime, db

ISSUED, REVOKED = "issued", "revoked"


class Certificate(db.Model):
    """One certificate. Everything printed or shown to verifiers is read from ``snapshot``, never live rows.

    ``active_enrolment_id`` equals ``enrolment_id`` while the certificate is issued and is NULL once it
    is revoked; its unique index is a portable "at most one live certificate per enrolment" rule
    (CERT-5) that holds on SQLite and PostgreSQL alike (NULLs never collide).
    """

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    code: Mapped[str] = mapped_column(String(28), unique=True)  # normalised verification code (CERT-1)
    enrolment_id: Mapped[int | None] = mapped_column(ForeignKey("enrolments.id", ondelete="SET NULL"), index=True)
    active_enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolments.id", ondelete="SET NULL"), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id", ondelete="SET NULL"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    snapshot: Mapped[dict] = mapped_column(JSON)
    # frozen copies of two snapshot fields, as columns so that searches and report counts stay in SQL
    holder_name: Mapped[str] = mapped_column(String(120), index=True)
    province: Mapped[str | None] = mapped_column(String(40), index=True)
    status: Mapped[str] = mapped_column(String(10), default=ISSUED, index=True)  # issued | revoked
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    issue_mode: Mapped[str] = mapped_column(String(10), default="auto")  # auto | approved | bulk | reissue | cli
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"), index=True)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    replaces: Mapped[Certificate | None] = relationship(remote_side=[id], foreign_keys=[replaces_id])

    def __repr__(self) -> str:
        return f"<Certificate {self.id} {self.number} {self.status}>"


class CertificateSequence(db.Model):
    """Last number used per scope (e.g. ``year=2026|month=3``); the row lock serialises concurrent issuers."""

    __tablename__ = "certificate_sequences"

    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)


class RegistryListing(db.Model):
    """A certified consultant's opt-in to the public registry; deleting the row withdraws it at once."""

    __tablename__ = "certificate_registry_listings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    listed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()
