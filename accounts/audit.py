"""The audit log: one call records who did what to which record."""

from __future__ import annotations

from flask_login import current_user

from accounts.models import AuditEvent
from extensions import db


def record(action: str, target_type: str | None = None, target_id: object = None,
           summary: str | None = None, data: dict | None = None, actor_id: int | None = None) -> AuditEvent:
    """Add an audit event in the caller's transaction."""
    if actor_id is None and current_user and current_user.is_authenticated:
        actor_id = current_user.id
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        summary=summary,
        data=data,
    )
    db.session.add(event)
    return event
