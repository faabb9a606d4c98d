"""Profile page for personal API tokens."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from accounts import audit, tokens
from accounts.domain import DomainError, apply_to_form
from accounts.forms import EmptyForm
from extensions import db

bp = Blueprint("tokens", __name__, url_prefix="/profile/tokens")


class TokenForm(FlaskForm):
    name = StringField(_l("Nama token (untuk apa token ini dipakai)"),
                       validators=[DataRequired(_l("Wajib diisi.")), Length(max=60)])


@bp.route("", methods=["GET", "POST"])
def index():
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        try:
            record, created = tokens.create_token(current_user, form.name.data)
            audit.record("api_token.created", "api_token", record.id, summary=record.name)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    return render_template("accounts/tokens.html", form=form, created=created,
                           tokens=tokens.active_tokens(current_user), revoke_form=EmptyForm())


@bp.route("/<int:token_id>/revoke", methods=["POST"])
def revoke(token_id: int):
    if not EmptyForm().validate_on_submit():
        abort(400)
    if not tokens.revoke_token(current_user, token_id):
        abort(404)
    audit.record("api_token.revoked", "api_token", token_id)
    db.session.commit()
    flash(_("Token dicabut. Aplikasi yang memakainya tidak lagi bisa mengakses API."), "success")
    return redirect(url_for("tokens.index"))
