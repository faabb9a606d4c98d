"""`flask security-check`: a safe production configuration has no findings; each unsafe setting is named."""

from __future__ import annotations

import pytest

from app import create_app
from config import Config
from extensions import db
from main.security_check import ERROR, WARNING, check, has_errors
from tests.factories import make_user

STRONG_SECRET = "b7f0c2e9a4d1" * 4


def _set_production_env(monkeypatch) -> None:
    """The environment a real deployment sets; nothing from the developer's shell leaks in."""
    for key in (*Config.ENV_KEYS, *Config.ENV_INT_KEYS, *Config.ENV_BOOL_KEYS, "DATABASE_URL", "WEB_CONCURRENCY"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("BASE_URL", "https://bimtek-halal.example.go.id")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://bimtek@db.internal:5432/bimtek")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://cache.internal:6379/0")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.go.id")
    monkeypatch.setenv("WEB_CONCURRENCY", "4")


@pytest.fixture
def production_env(monkeypatch):
    _set_production_env(monkeypatch)
    return monkeypatch


@pytest.fixture(scope="module")
def production_config() -> dict:
    """create_app("production") once: no database connection is made."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _set_production_env(monkeypatch)
        config = dict(create_app("production").config)
    config["WEB_CONCURRENCY"] = 4
    return config


def codes(findings) -> set[str]:
    return {f.code for f in findings}


def test_production_config_has_no_findings(production_config):
    assert check(production_config) == []


@pytest.mark.parametrize(("change", "code", "level"), [
    ({"SECRET_KEY": None}, "secret_key_missing", ERROR),
    ({"SECRET_KEY": "change-me"}, "secret_key_weak", ERROR),
    ({"SECRET_KEY": "short-secret"}, "secret_key_weak", ERROR),
    ({"SECRET_KEY": "x" * 64}, "secret_key_weak", ERROR),
    ({"DEBUG": True}, "debug", ERROR),
    ({"TESTING": True}, "testing", ERROR),
    ({"APP_ENV": "development"}, "app_env", ERROR),
    ({"PREFERRED_URL_SCHEME": "http"}, "url_scheme_http", ERROR),
    ({"BASE_URL": "http://bimtek-halal.example.go.id"}, "base_url_http", ERROR),
    ({"BASE_URL": "https://"}, "base_url_http", ERROR),
    ({"SESSION_COOKIE_SECURE": False}, "session_cookie_secure", ERROR),
    ({"REMEMBER_COOKIE_SECURE": False}, "remember_cookie_secure", ERROR),
    ({"SESSION_COOKIE_HTTPONLY": False}, "session_cookie_httponly", ERROR),
    ({"SESSION_COOKIE_SAMESITE": None}, "session_cookie_samesite", WARNING),
    ({"WTF_CSRF_ENABLED": False}, "csrf_disabled", ERROR),
    ({"RATELIMIT_ENABLED": False}, "ratelimit_disabled", ERROR),
    ({"RATELIMIT_STORAGE_URI": "memory://"}, "ratelimit_memory", WARNING),
    ({"SQLALCHEMY_DATABASE_URI": "sqlite:////srv/bimtek/bimtek.db"}, "database_sqlite", WARNING),
    ({"DEMO_ENABLED": True}, "demo_enabled", ERROR),
    ({"MAIL_SERVER": None}, "mail_not_configured", WARNING),
    ({"MAIL_USE_TLS": False}, "mail_without_tls", WARNING),
    ({"MAX_CONTENT_LENGTH": None}, "upload_unlimited", WARNING),
    ({"MAX_CONTENT_LENGTH": 2 * 1024**3}, "upload_limit_high", WARNING),
    ({"TWOFACTOR_REQUIRED_ROLES": ()}, "twofactor_not_required", WARNING),
])
def test_each_unsafe_setting_is_reported(production_config, change, code, level):
    findings = check({**production_config, **change})
    assert [(f.code, f.level) for f in findings] == [(code, level)]
    assert has_errors(findings) is (level == ERROR)
    assert code in str(findings[0]) and level.upper() in str(findings[0])


def test_memory_rate_limits_are_fine_for_one_process(production_config):
    assert check({**production_config, "RATELIMIT_STORAGE_URI": "memory://", "WEB_CONCURRENCY": "1"}) == []


def test_demo_accounts_in_the_database_are_an_error(production_config):
    [finding] = check(production_config, demo_accounts=3)
    assert finding.code == "demo_accounts" and finding.level == ERROR and "3" in finding.message


def test_command_fails_on_the_test_configuration_and_names_demo_accounts(app, runner):
    make_user("demo@demo.bimtek.id").is_demo = True
    db.session.commit()
    result = runner.invoke(args=["security-check"])
    assert result.exit_code == 1
    for code in ("app_env", "testing", "csrf_disabled", "base_url_http", "demo_accounts"):
        assert f" {code}:" in result.output, code
    assert "error(s)" in result.output.splitlines()[-1]


def test_command_passes_a_production_deployment_and_can_fail_on_warnings(production_env, tmp_path):
    production_env.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    production_env.setenv("WEB_CONCURRENCY", "1")
    app = create_app("production")
    with app.app_context():
        db.create_all()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["security-check"])
    assert result.exit_code == 0, result.output
    assert "WARNING database_sqlite" in result.output
    assert "0 error(s), 1 warning(s)" in result.output
    assert runner.invoke(args=["security-check", "--fail-on-warning"]).exit_code == 1
    production_env.setenv("WEB_CONCURRENCY", "3")
    production_env.setenv("RATELIMIT_STORAGE_URI", "memory://")
    result = create_app("production").test_cli_runner().invoke(args=["security-check"])
    assert "WARNING ratelimit_memory" in result.output and "3 processes" in result.output
    with app.app_context():
        db.engine.dispose()
