"""Admin area: people and their roles. Guarded blueprint-wide."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select

from accounts import services
from accounts.domain import DomainError, apply_to_form
from accounts.forms import RolesForm, SearchForm
from accounts.guards import guard_blueprint
from accounts.models import User
from accounts.roles import ADMIN
from extensions import db

bp = Blueprint("admin", __name__, url_prefix="/admin")
guard_blueprint(bp, ADMIN)


@bp.route("/users")
def users():
    form = SearchForm(request.args)
    stmt = select(User).order_by(User.full_name, User.id)
    if form.validate() and form.q.data:
        like = f"%{form.q.data.strip().lower()}%"
        stmt = stmt.where(or_(User.email.like(like), User.full_name.ilike(like)))
    page = db.paginate(stmt, per_page=25, max_per_page=100)
    return render_template("accounts/admin_users.html", page=page, form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_roles(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = RolesForm()
    if request.method == "GET":
        form.roles.data = sorted(user.roles)
    if form.validate_on_submit():
        try:
            services.set_roles(current_user, user, set(form.roles.data or []))
        except DomainError as exc:
            db.session.rollback()
            apply_to_form(form, exc)
        else:
            db.session.commit()
            flash(_("Peran %(name)s diperbarui.", name=user.full_name), "success")
            return redirect(url_for("admin.users"))
    return render_template("accounts/admin_user.html", user=user, form=form)
