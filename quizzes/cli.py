"""`flask quizzes ...`: Moodle GIFT import and export for a course's question bank."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from courses.services import get_course_by_slug
from extensions import db
from quizzes import services

group = AppGroup("quizzes", help="Question bank: GIFT import and export.")


def _course(slug: str):
    course = get_course_by_slug(slug)
    if course is None:
        raise click.ClickException(f"no course {slug}")
    return course


@group.command("import-gift")
@click.argument("course_slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_gift_cmd(course_slug: str, file: Path):
    """Import a GIFT file into the course's bank; prints what was imported and what was refused, by line."""
    course = _course(course_slug)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file}: not UTF-8 text") from exc
    report = services.import_gift(course, text, None, source=f"gift:{file.name}"[:160])
    db.session.commit()
    for status in ("created", "updated", "unchanged"):
        for uid in getattr(report, status):
            click.echo(f"{status}: {uid}")
    for uid in report.incomplete:
        click.echo(f"needs explanation/source: {uid}")
    for line, reason in report.refused:
        click.echo(f"refused line {line}: {reason}")
    click.echo(f"imported {len(report.imported)} question(s) "
               f"({len(report.created)} new, {len(report.updated)} updated, {len(report.unchanged)} unchanged); "
               f"refused {len(report.refused)}")


@group.command("export-gift")
@click.argument("course_slug")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiz", "quiz_slug", default=None, help="Only this quiz's fixed questions.")
def export_gift_cmd(course_slug: str, out: Path, quiz_slug: str | None):
    """Write the course's question bank (or one quiz) as a Moodle GIFT file."""
    course = _course(course_slug)
    quiz = None
    if quiz_slug:
        quiz = services.get_quiz(course, quiz_slug)
        if quiz is None:
            raise click.ClickException(f"no quiz {quiz_slug} in {course_slug}")
    text = services.export_gift(course, quiz)
    out.write_text(text, encoding="utf-8")
    click.echo(f"exported {text.count('[id:')} question(s) to {out}")


def register(app: Flask) -> None:
    app.cli.add_command(group)
