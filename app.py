"""Application factory: a list of small register steps, no I/O at import."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, g, request
from flask_login import current_user

from config import CONFIGS, DEFAULT_SECRET
from extensions import babel, csrf, db, limiter, login_manager, migrate

# Each module has a `bp` Blueprint and may have `init_app(app)` for providers (nav, dashboard, requirements).
BLUEPRINT_MODULES = (
    "main.views",
    "accounts.views",
    "accounts.admin",
    "accounts.twofactor_views",
    "courses.authoring",
    "courses.cohorts",
    "courses.learning",
    "accounts.token_views",
    "api.views",
    "reports.views",
    "reports.record",
    "reports.insights",
    "certificates.views",
    "certificates.admin",
    "certificates.public",
    "certificates.api",
    "attendance.views",
    "quizzes.views",
)
# Each module has `register(app)` adding its click group.
CLI_MODULES = ("accounts.cli", "demo.cli", "courses.cli", "certificates.cli", "attendance.cli", "quizzes.cli",
               "main.cli")


def create_app(config_name: str | None = None, overrides: dict | None = None) -> Flask:
    """Build the Flask app for development, production or testing."""
    app = Flask(__name__, instance_relative_config=True)
    register_config(app, config_name or os.environ.get("APP_ENV", "development"), overrides or {})
    register_extensions(app)
    register_blueprints(app)
    register_errors(app)
    register_security(app)
    register_templates(app)
    register_cli(app)
    if app.config.get("PROXY_FIX"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        # behind nginx: take the client address and scheme from the trusted proxy's headers
        hops = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


def register_config(app: Flask, config_name: str, overrides: dict) -> None:
    """Load the config class, the environment and overrides; refuse unsafe production settings."""
    cls = CONFIGS[config_name]
    app.config.update(cls.load())
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(Path(app.instance_path) / "bimtek.db")
    if app.config["APP_ENV"] == "production":
        secret = app.config.get("SECRET_KEY")
        if not secret or secret == DEFAULT_SECRET or len(secret) < 32:
            raise RuntimeError("SECRET_KEY must be set to a random value of at least 32 characters in production")
        app.config["DEMO_ENABLED"] = False
    elif not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path) / "secret_key")


def _instance_secret(path: Path) -> str:
    """A development secret generated once and kept in instance/, never in the repository."""
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    from accounts.sessions import load_user_session, unauthorized
    from accounts.tokens import load_user_from_request
    from main.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=str(Path(__file__).parent / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.user_loader(load_user_session)
    login_manager.request_loader(load_user_from_request)
    login_manager.unauthorized_handler(unauthorized)
    login_manager.session_protection = None  # sessions are checked server-side instead


def register_blueprints(app: Flask) -> None:
    """Import each capability's blueprint and register it."""
    from importlib import import_module

    from accounts.guards import enforce_login

    for name in BLUEPRINT_MODULES:
        module = import_module(name)
        app.register_blueprint(module.bp)
        if hasattr(module, "init_app"):
            module.init_app(app)
    app.before_request(enforce_login)


def register_errors(app: Flask) -> None:
    """HTML error pages, JSON under /api."""
    from errors import register_error_handlers

    register_error_handlers(app)


def register_security(app: Flask) -> None:
    """Security headers with a CSP that needs no inline script."""
    https = app.config["PREFERRED_URL_SCHEME"] == "https"

    @app.before_request
    def _refuse_nul_bytes():
        """NUL bytes never belong in text, and PostgreSQL cannot store them: refuse such input with 400."""
        from flask import abort

        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            if any("\x00" in value for value in request.form.values()):
                abort(400)
        if any("\x00" in value for value in request.args.values()):
            abort(400)

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'",
        )
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if https:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        user = g.get("_login_user")  # never load the user here: the database may be the thing that failed
        # is_anonymous is a class attribute: it needs no row, where is_authenticated would reload the user
        if user is not None and not user.is_anonymous:
            # SESS-8: personal responses never land in a shared cache; send_file's default "no-cache" allows that
            cache = headers.get("Cache-Control", "")
            if "no-store" not in cache and "private" not in cache:
                headers["Cache-Control"] = "no-store"
        return response


def register_templates(app: Flask) -> None:
    """Template globals shared by every page."""
    from flask_babel import get_locale

    from accounts.roles import ROLE_LABELS

    if app.testing:
        from jinja2 import StrictUndefined

        app.jinja_env.undefined = StrictUndefined

    app.extensions.setdefault("nav_items", [])
    app.extensions.setdefault("dashboard_panels", [])

    def nav_items() -> list[dict]:
        """Menu entries each capability offers the signed-in user."""
        if not current_user.is_authenticated:
            return []
        return [item for provider in app.extensions["nav_items"] for item in provider(current_user)]

    def _links(key: str):
        def collect(*args) -> list[dict]:
            return [item for provider in app.extensions.get(key, []) for item in provider(*args)]

        return collect

    app.jinja_env.globals["nav_items"] = nav_items
    # buttons other capabilities add to a trainer's course page and to a consultant's module page
    app.jinja_env.globals["course_links"] = _links("course_links")
    app.jinja_env.globals["module_links"] = _links("module_links")
    app.jinja_env.globals["report_links"] = _links("report_links")
    app.jinja_env.globals["course_page_links"] = _links("course_page_links")
    app.jinja_env.filters["zip_items"] = lambda labels, values: [
        {"label": str(label), "value": value} for label, value in zip(labels, values, strict=False)]
    app.jinja_env.filters["format_number"] = _format_number

    @app.context_processor
    def _globals():
        return {
            "current_locale": str(get_locale()),
            "languages": app.config["LANGUAGES"],
            "role_labels": ROLE_LABELS,
            "nav_request_path": request.path,
            "csp_nonce": getattr(g, "csp_nonce", ""),
        }


def _format_number(value) -> str:
    from flask_babel import format_decimal

    return format_decimal(value)


def register_cli(app: Flask) -> None:
    """Each capability's click commands."""
    from importlib import import_module

    for name in CLI_MODULES:
        import_module(name).register(app)
