"""Access control: every view needs a login unless marked public; role guards on top."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Blueprint, abort, current_app, request
from flask_login import current_user

from extensions import login_manager


def public(view: Callable) -> Callable:
    """Mark a view as open to anonymous visitors."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def enforce_login():
    """Before every request: a view not marked public needs a signed-in user (denied by default)."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is None or getattr(view, "is_public", False):
        return None
    if request.blueprint and getattr(current_app.blueprints[request.blueprint], "is_public", False):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def roles_required(*roles: str) -> Callable:
    """Decorator: the signed-in user must hold at least one of the roles."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_roles = roles  # type: ignore[attr-defined]
        return wrapper

    return decorator


def guard_blueprint(bp: Blueprint, *roles: str) -> None:
    """Blueprint-wide guard: every view of a role-only area needs one of the roles."""
    bp.required_roles = roles  # type: ignore[attr-defined]

    @bp.before_request
    def _guard():
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.has_role(*roles):
            abort(403)
        return None
