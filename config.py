"""Configuration classes.

Every key, with its environment override (environment variables win over the class defaults):

APP_ENV                 development | production | testing; production refuses unsafe settings.
SECRET_KEY              signs sessions and tokens. Required in production; development generates one
                        into instance/secret_key on first start.
DATABASE_URL            SQLAlchemy URL. Default: SQLite file instance/bimtek.db. PostgreSQL:
                        postgresql+psycopg://user@host:5432/dbname
RATELIMIT_STORAGE_URI   Flask-Limiter storage. memory:// (one instance) or redis://127.0.0.1:6379/0
                        (several instances share the counters).
LOGIN_RATE_LIMIT        limit per IP on POST /login (default "20 per minute").
LOGIN_ACCOUNT_RATE_LIMIT limit per account on POST /login (default "5 per minute").
MAIL_SERVER, MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS, MAIL_FROM
                        SMTP for outgoing mail. Without MAIL_SERVER, mail is written to instance/outbox/.
PASSWORD_RESET_HOURS    lifetime of a password-reset link (default 2).
SESSION_DAYS            lifetime of a server-side login session and remember cookie (default 14).
PREFERRED_URL_SCHEME    http or https; https also sets Secure cookies and HSTS.
PROXY_FIX               number of trusted reverse proxies in front of the app (0 = none; 1 behind nginx):
                        client address and scheme then come from X-Forwarded-For/-Proto, so rate limits are
                        per real client.
UPLOAD_MAX_MB           maximum size of an uploaded file (default 10).
BASE_URL                public address used in mails, QR codes and credentials (default http://127.0.0.1:5000).
DEMO_ENABLED            allow the demo accounts to sign in (never in production).
ARGON2_TIME_COST, ARGON2_MEMORY_KIB, ARGON2_PARALLELISM
                        password hashing cost; default is the OWASP argon2id minimum (t=2, m=19 MiB, p=1).
CERT_NUMBER_PATTERN     certificate number pattern; fields year, month, seq, cohort_code, course_code
                        (default "BH/{year}/{month:02d}/{seq:04d}").
ISSUER_NAME             the certificate issuer's name on PDFs and signed credentials.
ISSUER_KEY_PATH         Ed25519 issuer key (PEM); default instance/issuer_ed25519.pem, made on first use.
CERT_SIGNATORIES        up to four {name, role, image_path} shown on certificates (JSON in the environment).
CHECKIN_INTERVAL_S, CHECKIN_GRACE_STEPS, CHECKIN_MARGIN_BEFORE_MIN, CHECKIN_MARGIN_AFTER_MIN, LATE_AFTER_MIN,
ATTENDANCE_PRESENT_SHARE
                        check-in code rotation (60 s, previous code accepted), the window around a session
                        (15 min before, 30 after), lateness (15 min) and the Zoom-report presence share (0.75).
TWOFACTOR_REQUIRED_ROLES roles that must set up a second factor (TOTP) before anything else
                        (default ("organiser", "admin"); () in tests). Set in accounts/twofactor_views.py.
TWOFACTOR_RATE_LIMIT    limit per IP on the sign-in code step (default "10 per minute").
TWOFACTOR_ACCOUNT_RATE_LIMIT limit per account on code entry (default "5 per minute;20 per hour").
TWOFACTOR_PENDING_MINUTES how long a correct password waits for its code (default 5).
WEB_CONCURRENCY         number of app processes (gunicorn workers × instances); read by `flask security-check`
                        to warn about memory:// rate limits and SQLite when it is above 1.
"""

from __future__ import annotations

import os

DEFAULT_SECRET = "change-me"  # noqa: S105 - the placeholder production refuses


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Defaults shared by every environment."""

    APP_ENV = "development"
    SECRET_KEY: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_RATE_LIMIT = "20 per minute"
    LOGIN_ACCOUNT_RATE_LIMIT = "5 per minute"
    VERIFY_RATE_LIMIT = "60 per minute"
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_USE_TLS = True
    MAIL_FROM = "Bimtek Halal <noreply@bimtek-halal.local>"
    PASSWORD_RESET_HOURS = 2
    SESSION_DAYS = 14
    PREFERRED_URL_SCHEME = "http"
    UPLOAD_MAX_MB = 10
    BASE_URL = "http://127.0.0.1:5000"
    DEMO_ENABLED = True
    ARGON2_TIME_COST = 2
    ARGON2_MEMORY_KIB = 19456
    ARGON2_PARALLELISM = 1
    BABEL_DEFAULT_LOCALE = "id"
    BABEL_DEFAULT_TIMEZONE = "Asia/Jakarta"
    LANGUAGES = ("id", "en")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session: quiz pages stay open for long
    PER_PAGE = 25
    PROXY_FIX = 0
    CERT_NUMBER_PATTERN = "BH/{year}/{month:02d}/{seq:04d}"
    ISSUER_NAME = "Bimtek Halal PLUT KUMKM"
    ISSUER_KEY_PATH: str | None = None
    CERT_SIGNATORIES: list = [
        {"name": "Penyelenggara Bimtek", "role": "Kementerian Koperasi dan UKM"},
    ]
    CHECKIN_INTERVAL_S = 60
    CHECKIN_GRACE_STEPS = 1
    CHECKIN_MARGIN_BEFORE_MIN = 15
    CHECKIN_MARGIN_AFTER_MIN = 30
    LATE_AFTER_MIN = 15
    ATTENDANCE_PRESENT_SHARE = 0.75
    TESTING = False

    ENV_KEYS = (
        "SECRET_KEY", "RATELIMIT_STORAGE_URI", "LOGIN_RATE_LIMIT", "LOGIN_ACCOUNT_RATE_LIMIT",
        "VERIFY_RATE_LIMIT", "MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_FROM",
        "PREFERRED_URL_SCHEME", "BASE_URL", "CERT_NUMBER_PATTERN", "ISSUER_NAME", "ISSUER_KEY_PATH",
    )
    ENV_INT_KEYS = (
        "MAIL_PORT", "PASSWORD_RESET_HOURS", "SESSION_DAYS", "UPLOAD_MAX_MB",
        "ARGON2_TIME_COST", "ARGON2_MEMORY_KIB", "ARGON2_PARALLELISM", "CHECKIN_INTERVAL_S", "LATE_AFTER_MIN",
        "PROXY_FIX",
    )
    ENV_BOOL_KEYS = ("MAIL_USE_TLS", "DEMO_ENABLED", "RATELIMIT_ENABLED")

    @classmethod
    def load(cls) -> dict:
        """Class defaults overridden by the environment, as a plain dict for app.config."""
        values = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        for key in cls.ENV_KEYS:
            if key in os.environ:
                values[key] = os.environ[key]
        for key in cls.ENV_INT_KEYS:
            if key in os.environ:
                values[key] = int(os.environ[key])
        for key in cls.ENV_BOOL_KEYS:
            values[key] = _env_bool(key, values[key])
        if os.environ.get("CERT_SIGNATORIES"):
            import json

            values["CERT_SIGNATORIES"] = json.loads(os.environ["CERT_SIGNATORIES"])
        if os.environ.get("DATABASE_URL"):
            values["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
        values["MAX_CONTENT_LENGTH"] = (values["UPLOAD_MAX_MB"] + 1) * 1024 * 1024
        https = values["PREFERRED_URL_SCHEME"] == "https"
        values["SESSION_COOKIE_SECURE"] = https
        values["REMEMBER_COOKIE_SECURE"] = https
        values["REMEMBER_COOKIE_DURATION"] = values["SESSION_DAYS"] * 86400
        values["PERMANENT_SESSION_LIFETIME"] = values["SESSION_DAYS"] * 86400
        return values


class DevelopmentConfig(Config):
    """Local use: SQLite in instance/, a generated secret, demo accounts allowed."""


class ProductionConfig(Config):
    """Production: secrets from the environment, demo accounts refused."""

    APP_ENV = "production"
    DEMO_ENABLED = False
    PREFERRED_URL_SCHEME = "https"


class TestConfig(Config):
    """Fast, isolated tests: in-memory SQLite (or TEST_DATABASE_URL), cheap hashing, no CSRF."""

    APP_ENV = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105
    WTF_CSRF_ENABLED = False
    RATELIMIT_ENABLED = False
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 8
    ARGON2_PARALLELISM = 1
    SERVER_NAME = "localhost"
    TWOFACTOR_REQUIRED_ROLES = ()  # the route walk signs in with a password only; tests/test_twofactor.py turns it on

    ENV_KEYS = ()
    ENV_INT_KEYS = ()
    ENV_BOOL_KEYS = ()

    @classmethod
    def load(cls) -> dict:
        values = super().load()
        url = os.environ.get("TEST_DATABASE_URL")
        values["SQLALCHEMY_DATABASE_URI"] = url or "sqlite://"
        if not url:
            from sqlalchemy.pool import StaticPool

            values["SQLALCHEMY_ENGINE_OPTIONS"] = {
                "poolclass": StaticPool,
                "connect_args": {"check_same_thread": False},
            }
        return values


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestConfig,
}
