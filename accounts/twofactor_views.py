"""Second-factor pages: the code step of sign-in, and setting up, renewing or turning off the app."""

from __future__ import annotations

import time

import segno
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from accounts import totp, twofactor
from accounts.domain import DomainError, apply_to_form
from accounts.forms import REQUIRED
from accounts.guards import public
from accounts.models import User, utcnow
from accounts.sessions import open_session
from extensions import db, limiter
from main.urls import safe_next

bp = Blueprint("twofactor", __name__)

PENDING_KEY = "twofactor_pending"
# pages an organiser or admin without a second factor may still open
EXEMPT_ENDPOINTS = frozenset({
    "static", "accounts.logout", "twofactor.setup", "twofactor.settings", "main.set_language", "main.healthz",
})
DEFAULTS = {
    "TWOFACTOR_REQUIRED_ROLES": ("organiser", "admin"),
    "TWOFACTOR_RATE_LIMIT": "10 per minute",
    "TWOFACTOR_ACCOUNT_RATE_LIMIT": "5 per minute;20 per hour",
    "TWOFACTOR_PENDING_MINUTES": 5,
}


class CodeForm(FlaskForm):
    code = StringField(_l("Kode verifikasi"), validators=[DataRequired(REQUIRED), Length(max=32)],
                       description=_l("6 angka dari aplikasi autentikator, atau salah satu kode pemulihan."))


class SetupForm(FlaskForm):
    code = StringField(_l("Kode dari aplikasi"), validators=[DataRequired(REQUIRED), Length(max=32)],
                       description=_l("Masukkan 6 angka yang sekarang tampil di aplikasi."))


class DisableForm(FlaskForm):
    password = PasswordField(_l("Kata sandi"), validators=[DataRequired(REQUIRED), Length(max=128)])
    code = StringField(_l("Kode verifikasi"), validators=[DataRequired(REQUIRED), Length(max=32)],
                       description=_l("6 angka dari aplikasi autentikator, atau salah satu kode pemulihan."))


def init_app(app) -> None:
    for key, value in DEFAULTS.items():
        app.config.setdefault(key, value)
    app.before_request(require_second_factor)


# --------------------------------------------------------------------------- sign-in step


def begin_challenge(user: User, remember: bool, target: str):
    """The password was right: remember that for a few minutes (signed cookie) and ask for the code."""
    minutes = current_app.config["TWOFACTOR_PENDING_MINUTES"]
    session[PENDING_KEY] = {
        "uid": user.id, "exp": int(time.time()) + 60 * minutes, "stamp": twofactor.password_stamp(user),
        "remember": bool(remember), "next": target,
    }
    return redirect(url_for("twofactor.challenge"))


def _pending_user() -> tuple[User | None, dict]:
    """The user whose password was checked moments ago in this browser, or None when that has lapsed."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict) or not isinstance(pending.get("uid"), int):
        return None, {}
    if pending.get("exp", 0) < time.time():
        session.pop(PENDING_KEY, None)
        return None, {}
    user = db.session.get(User, pending["uid"])
    if (user is None or not user.active or pending.get("stamp") != twofactor.password_stamp(user)
            or (user.is_demo and not current_app.config["DEMO_ENABLED"])):
        session.pop(PENDING_KEY, None)
        return None, {}
    return user, pending


def _pending_key() -> str:
    pending = session.get(PENDING_KEY)
    if isinstance(pending, dict) and isinstance(pending.get("uid"), int):
        return f"twofactor-user:{pending['uid']}"
    return "twofactor-ip:" + (get_remote_address() or "")


def _user_key() -> str:
    if current_user.is_authenticated:
        return f"twofactor-user:{current_user.id}"
    return "twofactor-ip:" + (get_remote_address() or "")


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["TWOFACTOR_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["TWOFACTOR_ACCOUNT_RATE_LIMIT"], methods=["POST"], key_func=_pending_key)
def challenge():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    user, pending = _pending_user()
    if user is None:
        # not a redirect: the page explains why the code step has lapsed and links back to sign-in
        return render_template("accounts/twofactor_challenge.html", form=None)
    form = CodeForm()
    if form.validate_on_submit():
        try:
            method = twofactor.verify_code(user, form.code.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            user.last_login_at = utcnow()
            open_session(user, request.user_agent.string)
            db.session.commit()
            session.pop(PENDING_KEY, None)
            login_user(user, remember=pending.get("remember", False))
            if method == "recovery":
                flash(_("Anda masuk dengan kode pemulihan. Sisa kode pemulihan: %(n)s. Buat kode baru bila "
                        "hampir habis.", n=twofactor.remaining_recovery_codes(user)), "warning")
            return redirect(safe_next(pending.get("next"), url_for("main.dashboard")))
    return render_template("accounts/twofactor_challenge.html", form=form), 200 if not form.errors else 422


# --------------------------------------------------------------------------- settings


def require_second_factor():
    """Before every request: organisers and admins set up a second factor before anything else."""
    roles = current_app.config.get("TWOFACTOR_REQUIRED_ROLES")
    if not roles or request.endpoint is None or request.endpoint in EXEMPT_ENDPOINTS:
        return None
    if not current_user.is_authenticated or not twofactor.is_required(current_user):
        return None
    if twofactor.is_enabled(current_user):
        return None
    if request.path.startswith("/api/"):
        from errors import error_response

        return error_response(403, _("Aktifkan verifikasi dua langkah terlebih dahulu."), "twofactor_required")
    return redirect(url_for("twofactor.setup"))


@bp.route("/profile/2fa")
def settings():
    record = twofactor.get_record(current_user)
    enabled = record is not None and record.enabled_at is not None
    return render_template(
        "accounts/twofactor_settings.html", record=record, enabled=enabled,
        required=twofactor.is_required(current_user),
        remaining=twofactor.remaining_recovery_codes(current_user) if enabled else 0,
        form=CodeForm(),
    )


def _qr_data_uri(uri: str) -> str:
    """The otpauth URI as an inline SVG image (img-src data: is allowed; no script needed)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=4, dark="#000", light="#fff")


@bp.route("/profile/2fa/setup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TWOFACTOR_ACCOUNT_RATE_LIMIT"], methods=["POST"], key_func=_user_key)
def setup():
    if twofactor.is_enabled(current_user):
        return redirect(url_for("twofactor.settings"))
    form = SetupForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.confirm_setup(current_user, form.code.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Verifikasi dua langkah aktif. Perangkat lain yang masuk dengan kata sandi saja sudah "
                    "dikeluarkan."), "success")
            return render_template("accounts/twofactor_recovery.html", codes=codes)
    record = twofactor.begin_setup(current_user)
    db.session.commit()  # the same secret stays on reload until it is confirmed
    uri = twofactor.provisioning_uri(current_user, record)
    return render_template(
        "accounts/twofactor_setup.html", form=form, qr=_qr_data_uri(uri), uri=uri,
        secret=totp.group_secret(record.secret), required=twofactor.is_required(current_user),
    ), 200 if not form.errors else 422


@bp.route("/profile/2fa/recovery-codes", methods=["POST"])
@limiter.limit(lambda: current_app.config["TWOFACTOR_ACCOUNT_RATE_LIMIT"], key_func=_user_key)
def recovery_codes():
    if not twofactor.is_enabled(current_user):
        return redirect(url_for("twofactor.settings"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = twofactor.regenerate_recovery_codes(current_user, form.code.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Kode pemulihan baru dibuat; kode lama tidak berlaku lagi."), "success")
            return render_template("accounts/twofactor_recovery.html", codes=codes)
    return render_template(
        "accounts/twofactor_settings.html", record=twofactor.get_record(current_user), enabled=True,
        required=twofactor.is_required(current_user),
        remaining=twofactor.remaining_recovery_codes(current_user), form=form,
    ), 422


@bp.route("/profile/2fa/disable", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["TWOFACTOR_ACCOUNT_RATE_LIMIT"], methods=["POST"], key_func=_user_key)
def disable():
    if not twofactor.is_enabled(current_user):
        return redirect(url_for("twofactor.settings"))
    form = DisableForm()
    if form.validate_on_submit():
        try:
            twofactor.disable(current_user, form.password.data, form.code.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Verifikasi dua langkah dimatikan."), "info")
            return redirect(url_for("twofactor.settings"))
    return render_template("accounts/twofactor_disable.html", form=form,
                           required=twofactor.is_required(current_user)), 200 if not form.errors else 422
