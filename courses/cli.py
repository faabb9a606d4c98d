"""`flask courses ...`: import and export course packages."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup

from accounts.roles import ADMIN
from courses import packages, services
from extensions import db

group = AppGroup("courses", help="Course packages.")


def _importer():
    """The account imports are attributed to: the first admin (or none on an empty platform)."""
    from sqlalchemy import select

    from accounts.models import User, UserRole

    return db.session.scalar(select(User).join(UserRole).where(UserRole.role == ADMIN).order_by(User.id))


@group.command("import")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def import_cmd(path: Path):
    """Import a course package from a folder or a zip (refused whole when malformed)."""
    try:
        course = packages.import_path(path, _importer())
    except packages.PackageError as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"package refused: {len(exc.problems)} problem(s)") from exc
    db.session.commit()
    click.echo(f"imported {course.slug}: version {course.latest_version.number}, "
               f"{len(course.latest_version.modules)} modules")


@group.command("export")
@click.argument("slug")
@click.argument("out", type=click.Path(path_type=Path))
def export_cmd(slug: str, out: Path):
    """Export a course's current draft as a zip package."""
    course = services.get_course_by_slug(slug)
    if course is None:
        raise click.ClickException(f"no course {slug}")
    out.write_bytes(packages.export_zip(course))
    click.echo(f"wrote {out}")


def register(app: Flask) -> None:
    app.cli.add_command(group)
