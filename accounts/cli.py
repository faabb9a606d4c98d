"""`flask accounts ...` commands."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from accounts import services
from accounts.domain import DomainError, message_for
from accounts.roles import CONSULTANT, ROLES
from extensions import db

group = AppGroup("accounts", help="Manage user accounts.")


@group.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), help="Role; repeat for several.")
@click.option("--province", default=None)
@click.option("--plut-unit", default=None)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email, name, roles, province, plut_unit, password_stdin):
    """Create an account with the given roles (consultant when none is given)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    try:
        user = services.register(email, password, services.Profile(full_name=name, province=province,
                                                                   plut_unit=plut_unit),
                                 roles=tuple(roles) or (CONSULTANT,))
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc.field or 'error'}: {message_for(exc)}") from exc
    db.session.commit()
    click.echo(f"created user {user.id} {user.email} roles={','.join(sorted(user.roles))}")


@group.command("set-roles")
@click.argument("email")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), required=True)
def set_roles_cmd(email, roles):
    """Replace a user's roles (the last admin keeps admin)."""
    user = services.get_user_by_email(email)
    if user is None:
        raise click.ClickException("no such user")
    if "admin" not in set(roles) and "admin" in user.roles and services.count_admins() <= 1:
        raise click.ClickException("the last admin cannot lose the admin role")
    from accounts.models import UserRole

    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    db.session.commit()
    click.echo(f"{user.email} roles={','.join(sorted(user.roles))}")


def register(app: Flask) -> None:
    app.cli.add_command(group)


@group.command("reset-2fa")
@click.argument("email")
def reset_twofactor(email):
    """Remove a user's second factor (lost phone and recovery codes); they set it up again at next sign-in."""
    from sqlalchemy import delete

    from accounts import audit
    from accounts.sessions import revoke_all_sessions
    from accounts.twofactor import RecoveryCode, UserTwoFactor

    user = services.get_user_by_email(email)
    if user is None:
        raise click.ClickException("no such user")
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(UserTwoFactor).where(UserTwoFactor.user_id == user.id))
    revoke_all_sessions(user)
    audit.record("twofactor.reset", "user", user.id, summary=user.email)
    db.session.commit()
    click.echo(f"second factor removed for {user.email}; all sessions signed out")
