"""The attendance blueprints: `bp` for consultants (enrolment checked per view) with the organiser area
nested inside it as `manage` (guarded blueprint-wide), so app.py registers one blueprint."""

from __future__ import annotations

from flask import Blueprint

from accounts.guards import guard_blueprint
from accounts.roles import ADMIN, ORGANISER

bp = Blueprint("attendance", __name__)
manage = Blueprint("manage", __name__, url_prefix="/organiser/attendance")
guard_blueprint(manage, ORGANISER, ADMIN)
