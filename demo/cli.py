"""`flask demo load`: idempotent demo data for a first look at the platform."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from demo import data
from extensions import db

group = AppGroup("demo", help="Demo data.")


@group.command("load")
def load():
    """Load the demo (does nothing that is already there)."""
    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException("demo data is refused in production")
    report = data.load_demo()
    db.session.commit()
    for line in report:
        click.echo(line)


@group.command("accounts")
def accounts():
    """Print the demo sign-ins."""
    for email, password, role in data.DEMO_ACCOUNTS:
        click.echo(f"  {role:<11} {email:<32} {password}")


def register(app: Flask) -> None:
    app.cli.add_command(group)
