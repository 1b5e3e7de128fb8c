"""The staff console (/staff/): default-deny, its own cookie, English.

Every view but the sign-in page needs a signed-in, active account; the account
is read again on every request, so deactivation ends an open session at once.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, g, redirect, request, session, url_for

from kiosk.web.db import get_session
from kiosk.core.models import StaffUser

blueprint = Blueprint(
    "staff", __name__,
    static_folder=str(Path(__file__).resolve().parent.parent / "static"), static_url_path="/static",
)
OPEN_ENDPOINTS = {"staff.sign_in", "staff.static"}


@blueprint.before_app_request
def _require_staff():
    # For every path under /staff, matched or not: an unknown address says nothing before sign-in.
    if not (request.path == "/staff" or request.path.startswith("/staff/")):
        return None
    g.locale = "en"
    staff_id = session.get("staff_id")
    user = get_session().get(StaffUser, staff_id) if staff_id else None
    if user is not None and not (user.active and user.session_generation == session.get("staff_generation")):
        session.clear_all_but_language()  # deactivated, or (re)activated since this session signed in
        user = None
    g.staff = user
    if user is None and request.endpoint not in OPEN_ENDPOINTS:
        return redirect(url_for("staff.sign_in", next=request.full_path if request.method == "GET" else None))
    return None


@blueprint.after_request
def _never_cache(response):
    if request.endpoint != "staff.static":
        response.headers["Cache-Control"] = "no-store"
    return response


from kiosk.staff import admin, views  # noqa: E402,F401  (registers the views)
