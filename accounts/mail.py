"""Outgoing mail: SMTP when configured, else a file in instance/outbox/ (so it works on one machine)."""

from __future__ import annotations

import logging
import re
import smtplib
from email.message import EmailMessage
from pathlib import Path

from flask import current_app

from accounts.models import utcnow

log = logging.getLogger(__name__)


def send_mail(to: str, subject: str, body: str) -> Path | None:
    """Send one plain-text mail; returns the outbox file when no SMTP server is configured."""
    cfg = current_app.config
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(body)
    if cfg.get("MAIL_SERVER"):
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=10) as smtp:
            if cfg["MAIL_USE_TLS"]:
                smtp.starttls()
            if cfg.get("MAIL_USERNAME"):
                smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
            smtp.send_message(msg)
        log.info("mail sent: %s", subject)
        return None
    outbox = Path(current_app.instance_path) / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    safe_to = re.sub(r"[^a-zA-Z0-9@._-]", "_", to)[:80]
    path = outbox / f"{utcnow():%Y%m%dT%H%M%S%f}-{safe_to}.eml"
    path.write_bytes(bytes(msg))
    log.info("mail written to outbox: %s", path.name)
    return path
