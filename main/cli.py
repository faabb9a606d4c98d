"""`flask security-check`, `flask backup` and `flask restore`."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from extensions import db
from main import backup as backups
from main import security_check


def _demo_account_count() -> int | None:
    """Demo users in the database, or None when the database cannot be read."""
    from accounts.models import User

    try:
        return db.session.scalar(select(func.count()).select_from(User).where(User.is_demo.is_(True))) or 0
    except SQLAlchemyError:
        db.session.rollback()
        return None


@click.command("security-check")
@click.option("--fail-on-warning", is_flag=True, help="Exit non-zero on warnings too.")
@with_appcontext
def security_check_cmd(fail_on_warning: bool):
    """List unsafe production settings; exit status 1 when any is an error."""
    config = dict(current_app.config)
    if "WEB_CONCURRENCY" in os.environ:
        config["WEB_CONCURRENCY"] = os.environ["WEB_CONCURRENCY"]
    demo = _demo_account_count()
    findings = security_check.check(config, demo_accounts=demo or 0)
    if demo is None:
        findings.append(security_check.Finding(security_check.WARNING, "database_unreadable",
                                               "the database could not be read to look for demo accounts"))
    for finding in findings:
        click.echo(str(finding))
    errors = sum(f.level == security_check.ERROR for f in findings)
    click.echo(f"{errors} error(s), {len(findings) - errors} warning(s)")
    if errors or (fail_on_warning and findings):
        raise SystemExit(1)


def _database_uri():
    return db.engine.url  # Flask-SQLAlchemy has already made a relative SQLite path absolute


@click.command("backup")
@click.argument("path", required=False, type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_cmd(path: Path | None):
    """Back up the database to PATH (default instance/backups/<timestamp>.sqlite3|.dump)."""
    uri = _database_uri()
    try:
        target = path or backups.default_target(Path(current_app.instance_path) / "backups", uri)
        written = backups.backup(uri, target)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"backup written: {written} ({written.stat().st_size} bytes)")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_cmd(path: Path, yes: bool):
    """Replace the database's contents with the backup at PATH. Stop the app first."""
    uri = _database_uri()
    if not yes:
        click.confirm(f"Replace every table of {uri.render_as_string(hide_password=True)} with {path}?",
                      abort=True)
    db.session.remove()
    db.engine.dispose()  # no pooled connection of ours may hold the database during the restore
    try:
        backups.restore(uri, path)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored from {path}")


def register(app: Flask) -> None:
    app.cli.add_command(security_check_cmd)
    app.cli.add_command(backup_cmd)
    app.cli.add_command(restore_cmd)
