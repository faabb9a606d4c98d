"""`flask attendance ...`: import a Zoom participant report from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from accounts.domain import DomainError, message_for
from attendance import zoom_import
from attendance.models import LiveSession
from extensions import db

group = AppGroup("attendance", help="Live sessions and attendance.")
ZONES = ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura")


@group.command("import-zoom")
@click.argument("session_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--zone", type=click.Choice(ZONES), default=None,
              help="Time zone of the report (default: the session's zone).")
@click.option("--dayfirst/--monthfirst", default=None, help="Date order when the file cannot tell.")
def import_zoom(session_id: int, file: Path, zone: str | None, dayfirst: bool | None):
    """Apply a Zoom participant report (CSV) to a session's register; prints matched/unmatched/changed."""
    # messages are translated with the app's locale selector, which reads the request
    with current_app.test_request_context("/"):
        _import_zoom(session_id, file, zone, dayfirst)


def _import_zoom(session_id: int, file: Path, zone: str | None, dayfirst: bool | None) -> None:
    session = db.session.get(LiveSession, session_id)
    if session is None:
        raise click.ClickException(f"no session {session_id}")
    try:
        outcome = zoom_import.import_report(session, file.read_bytes(), file.name, None, report_zone=zone,
                                            dayfirst=dayfirst)
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(message_for(exc)) from exc
    db.session.commit()
    note = " (file already imported)" if outcome.duplicate else ""
    click.echo(f"matched: {outcome.matched}, unmatched: {outcome.unmatched}, ignored: {outcome.ignored}, "
               f"changed: {outcome.changed}{note}")
    result = zoom_import.latest_result(session) or {}
    for person in result.get("unmatched_people", []):
        click.echo(f"  unmatched: {', '.join(person['names'])} <{person['email'] or '-'}> "
                   f"{person['minutes']} min, lines {','.join(map(str, person['lines']))}")


def register(app: Flask) -> None:
    app.cli.add_command(group)
