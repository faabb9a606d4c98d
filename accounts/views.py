"""Sign-up, sign-in, profile and passwords. Views stay thin: the rules are in accounts.services."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from accounts import services, twofactor, twofactor_views
from accounts.domain import DomainError, apply_to_form
from accounts.forms import (
    ChangePasswordForm,
    EmptyForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
)
from accounts.guards import public
from accounts.mail import send_mail
from accounts.sessions import open_session, revoke_session
from extensions import db, limiter
from main.urls import safe_next

bp = Blueprint("accounts", __name__)


def _profile_from(form) -> services.Profile:
    return services.Profile(
        full_name=form.full_name.data, province=form.province.data, plut_unit=form.plut_unit.data,
        consultant_field=form.consultant_field.data, phone=form.phone.data,
    )


def _login_account_key() -> str:
    return "login-account:" + services.normalise_email(request.form.get("email", ""))[:254]


@bp.route("/register", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def register():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register(form.email.data, form.password.data, _profile_from(form),
                                     locale=request.cookies.get("lang"))
            open_session(user, request.user_agent.string)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            login_user(user)
            flash(_("Selamat datang, %(name)s! Akun Anda sudah dibuat.", name=user.full_name), "success")
            return redirect(url_for("main.dashboard"))
    return render_template("accounts/register.html", form=form), 200 if not form.errors else 422


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], methods=["POST"],
               key_func=_login_account_key)
def login():
    target = safe_next(request.args.get("next"), url_for("main.dashboard"))
    if current_user.is_authenticated:
        return redirect(target)
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, request.user_agent.string)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            if twofactor.hold_for_second_factor(user):  # no session until the code is checked
                db.session.commit()
                return twofactor_views.begin_challenge(user, form.remember.data, target)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(target)
    return render_template("accounts/login.html", form=form), 200 if not form.errors else 422


@bp.route("/logout", methods=["POST"])
def logout():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.current_session is not None:
        revoke_session(current_user.current_session)
        db.session.commit()
    logout_user()
    flash(_("Anda sudah keluar."), "info")
    return redirect(url_for("main.index"))


@bp.route("/profile", methods=["GET", "POST"])
def profile():
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.locale.data = current_user.locale or "id"
    if form.validate_on_submit():
        try:
            services.update_profile(current_user, _profile_from(form), locale=form.locale.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Profil tersimpan."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form,
                           sessions=services.active_sessions(current_user))


@bp.route("/profile/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Kata sandi diganti. Sesi di perangkat lain sudah dikeluarkan."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/forgot", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.get_user_by_email(form.email.data)
        if user is not None and user.active:
            token = services.issue_password_token(user)
            db.session.commit()
            link = url_for("accounts.reset_password", token=token, _external=True)
            send_mail(user.email, _("Atur ulang kata sandi Bimtek Halal"),
                      _("Buka tautan ini untuk mengatur kata sandi baru (berlaku %(hours)s jam, sekali pakai):",
                        hours=current_app.config["PASSWORD_RESET_HOURS"]) + "\n\n" + link + "\n")
        # the same answer whether or not the account exists
        flash(_("Jika email itu terdaftar, tautan untuk mengatur ulang kata sandi sudah dikirim."), "info")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def reset_password(token: str):
    record = services.find_password_token(token)
    if record is None:
        flash(_("Tautan ini tidak berlaku lagi (sudah dipakai atau kedaluwarsa). Minta tautan baru."), "error")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            flash(_("Kata sandi baru tersimpan. Silakan masuk."), "success")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form, purpose=record.purpose)
