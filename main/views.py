"""Landing page, dashboard hub, language switch and health check."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text

from accounts.forms import EmptyForm
from accounts.guards import public
from extensions import db
from main.i18n import LANG_COOKIE
from main.urls import safe_next

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def index():
    return render_template("main/index.html")


@bp.route("/dashboard")
def dashboard():
    return render_template("main/dashboard.html", panels=dashboard_panels())


def dashboard_panels() -> list:
    """Panels each capability contributes to the signed-in home page."""
    providers = current_app.extensions.get("dashboard_panels", [])
    return [panel for provider in providers for panel in provider(current_user)]


@bp.route("/lang/<code>", methods=["POST"])
@public
def set_language(code: str):
    form = EmptyForm()
    target = safe_next(request.form.get("next"), url_for("main.index"))
    response = redirect(target)
    if form.validate_on_submit() and code in current_app.config["LANGUAGES"]:
        response.set_cookie(LANG_COOKIE, code, max_age=365 * 86400, samesite="Lax", httponly=True,
                            secure=current_app.config["SESSION_COOKIE_SECURE"])
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return response


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        return jsonify({"status": "error", "database": "error"}), 503
    return jsonify({"status": "ok", "database": "ok"})
