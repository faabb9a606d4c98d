"""Deployment self-check (like Django's `check --deploy`): pure functions over a config mapping.

`flask security-check` feeds it the running app's config and the number of demo accounts in the
database; every finding names the setting, says why it matters and how to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

ERROR, WARNING = "error", "warning"
MIN_SECRET_LENGTH = 32
MAX_SANE_UPLOAD_BYTES = 100 * 1024 * 1024
PLACEHOLDER_SECRETS = {"change-me", "changeme", "secret", "dev", "development", "test-secret-key"}


@dataclass(frozen=True)
class Finding:
    level: str  # ERROR blocks a deployment, WARNING needs a conscious decision
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper()} {self.code}: {self.message}"


def _int(value: object, default: int = 1) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return default


def _is_https(url: object) -> bool:
    return isinstance(url, str) and urlsplit(url).scheme == "https" and bool(urlsplit(url).netloc)


def check(config: Mapping, demo_accounts: int = 0) -> list[Finding]:
    """Every unsafe production setting in `config`; an empty list means ready to deploy."""
    found: list[Finding] = []

    def add(level: str, code: str, message: str) -> None:
        found.append(Finding(level, code, message))

    if config.get("APP_ENV") != "production":
        add(ERROR, "app_env", "APP_ENV is not 'production': production refuses weak secrets and demo sign-ins "
                              "only when APP_ENV=production.")

    secret = config.get("SECRET_KEY")
    if not secret:
        add(ERROR, "secret_key_missing", "SECRET_KEY is not set; sessions and tokens would be forgeable.")
    elif (str(secret).lower() in PLACEHOLDER_SECRETS or len(str(secret)) < MIN_SECRET_LENGTH
          or len(set(str(secret))) < 10):
        add(ERROR, "secret_key_weak", f"SECRET_KEY must be at least {MIN_SECRET_LENGTH} random characters "
                                      "(e.g. python -c 'import secrets; print(secrets.token_hex(32))').")

    if config.get("DEBUG"):
        add(ERROR, "debug", "DEBUG is on: the Werkzeug debugger allows running code on the server.")
    if config.get("TESTING"):
        add(ERROR, "testing", "TESTING is on: errors propagate and test shortcuts apply.")

    if config.get("PREFERRED_URL_SCHEME") != "https":
        add(ERROR, "url_scheme_http", "PREFERRED_URL_SCHEME must be 'https' (it also turns on Secure cookies "
                                      "and HSTS).")
    if not _is_https(config.get("BASE_URL")):
        add(ERROR, "base_url_http", "BASE_URL must be the public https:// address; mails, QR codes and "
                                    "certificates carry it.")

    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if not config.get(key):
            add(ERROR, key.lower(), f"{key} is off: the cookie would also travel over plain http.")
    for key in ("SESSION_COOKIE_HTTPONLY", "REMEMBER_COOKIE_HTTPONLY"):
        if not config.get(key, True):
            add(ERROR, key.lower(), f"{key} is off: scripts could read the session cookie.")
    if str(config.get("SESSION_COOKIE_SAMESITE") or "").lower() not in {"lax", "strict"}:
        add(WARNING, "session_cookie_samesite", "SESSION_COOKIE_SAMESITE should be 'Lax' or 'Strict'.")

    if config.get("WTF_CSRF_ENABLED", True) is False:
        add(ERROR, "csrf_disabled", "WTF_CSRF_ENABLED is off: forms can be submitted from other sites.")

    workers = _int(config.get("WEB_CONCURRENCY"), 1)
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if config.get("RATELIMIT_ENABLED", True) is False:
        add(ERROR, "ratelimit_disabled", "RATELIMIT_ENABLED is off: sign-in and code guessing are unlimited.")
    elif storage.startswith("memory://") and workers > 1:
        add(WARNING, "ratelimit_memory", f"RATELIMIT_STORAGE_URI is memory:// with {workers} processes: each "
                                         "keeps its own counters, so limits are multiplied. Use redis://.")

    database = str(config.get("SQLALCHEMY_DATABASE_URI") or "")
    if database.startswith("sqlite"):
        add(WARNING, "database_sqlite", "The database is SQLite: fine for one small instance on one host, "
                                        "but use PostgreSQL for production (one writer at a time, no "
                                        "network access).")

    if config.get("DEMO_ENABLED"):
        add(ERROR, "demo_enabled", "DEMO_ENABLED is on: demo accounts with published passwords can sign in.")
    if demo_accounts:
        add(ERROR, "demo_accounts", f"{demo_accounts} demo account(s) exist in the database; their passwords "
                                    "are published. Deactivate or delete them.")

    if "TWOFACTOR_REQUIRED_ROLES" in config and not config["TWOFACTOR_REQUIRED_ROLES"]:
        add(WARNING, "twofactor_not_required", "TWOFACTOR_REQUIRED_ROLES is empty: organisers and admins may "
                                               "sign in with a password alone.")

    if not config.get("MAIL_SERVER"):
        add(WARNING, "mail_not_configured", "MAIL_SERVER is not set: password-reset mails go to instance/outbox/ "
                                            "instead of reaching users.")
    elif not config.get("MAIL_USE_TLS", True):
        add(WARNING, "mail_without_tls", "MAIL_USE_TLS is off: mail (with reset links) crosses the network "
                                         "in clear text.")

    limit = config.get("MAX_CONTENT_LENGTH")
    if limit is None or _int(limit, 0) <= 0:
        add(WARNING, "upload_unlimited", "MAX_CONTENT_LENGTH is unset: request bodies are unlimited.")
    elif _int(limit) > MAX_SANE_UPLOAD_BYTES:
        add(WARNING, "upload_limit_high", f"MAX_CONTENT_LENGTH is {_int(limit) // (1024 * 1024)} MB: large "
                                          "uploads tie up workers and disk (UPLOAD_MAX_MB).")

    return found


def has_errors(findings: list[Finding]) -> bool:
    return any(f.level == ERROR for f in findings)
