"""The staff console (/staff/): default-deny, its own cookie, English.

Every view but the sign-in page needs a signed-in, active account; the account
is read again on every request, so deactivation ends an open session at once.
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, g, redirect, render_template, request, session, url_for
from werkzeug.exceptions import HTTPException

from kiosk.core import actors, audit
from kiosk.core.models import StaffRole, StaffUser
from kiosk.staff import display
from kiosk.web.db import get_session
from kiosk.web.errors import shows_errors
from kiosk.web.inputs import refuse_nul

blueprint = Blueprint(
    "staff", __name__,
    static_folder=str(Path(__file__).resolve().parent.parent / "static"), static_url_path="/static",
)
OPEN_ENDPOINTS = {"staff.sign_in", "staff.static"}
# All an interpreter account may open: the texts sent to them (kiosk/staff/interpreting.py).
INTERPRETER_PAGES = OPEN_ENDPOINTS | {"staff.sign_out", "staff.interpretations", "staff.interpretation",
                                      "staff.enter_interpretation", "staff.interpretation_recording"}
blueprint.before_request(refuse_nul)


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
    if user is not None and user.role == StaffRole.INTERPRETER and request.endpoint not in INTERPRETER_PAGES:
        db = get_session()
        audit.record(db, actors.staff(user), "staff.view_refused", remote_addr=request.remote_addr,
                     path=request.path[:200])
        db.commit()
        abort(403)
    return None


# What each error means to a case manager, and what to do next.
PROBLEMS = {
    400: ("Not saved", "This form is too old or did not come from this console, or it held something no form "
                       "contains. Nothing was saved: open the page again and retry."),
    403: ("Not allowed", "Your account may not open this page. If your work needs it, ask a supervisor; "
                         "the refusal is in the audit log."),
    404: ("Not found", "There is no such page or case. Check the address, or find the case from the queue."),
    405: ("Not possible", "This address does not take that kind of request. Use the page's own buttons."),
    413: ("Too large", "What you sent is larger than this console accepts. Nothing was saved."),
    500: ("Something went wrong", "Nothing was saved. Try again; if it happens again, tell an administrator "
                                  "what you were doing and when."),
}


@shows_errors("/staff")
def _problem(error: HTTPException):
    title, message = PROBLEMS.get(error.code, PROBLEMS[500] if (error.code or 500) >= 500 else PROBLEMS[400])
    if error.code in (403, 404) and error.description != type(error).description:
        message = error.description  # a view's own sentence (``abort(403, description=...)``) says more
    return render_template("staff/problem.html", title=title, message=message, code=error.code), error.code


for _name, _filter in display.FILTERS.items():
    blueprint.add_app_template_filter(_filter, _name)

from kiosk.staff import (  # noqa: E402,F401  (registers the views)
    admin, alerts, audio, interpreting, listening, open311, patterns, reports, saved_filters, systemic, views,
)
