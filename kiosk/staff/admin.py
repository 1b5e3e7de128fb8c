"""The administrator's pages of the staff console: staff accounts.

Only administrators reach them; everyone else gets 403.
"""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from kiosk import staff_accounts
from kiosk.db import get_session
from kiosk.models import Facility, StaffUser
from kiosk.staff import blueprint
from kiosk.staff.views import ActionForm, _text


def _administrator():
    if g.staff.role != "administrator":
        abort(403)


@blueprint.route("/admin/accounts", methods=["GET", "POST"])
def accounts():
    _administrator()
    db = get_session()
    if request.method == "POST":
        if not ActionForm().validate_on_submit():
            abort(400)
        try:
            staff_accounts.create(
                db, current_app.extensions["secret_hasher"], username=_text("username", 64).strip(),
                display_name=_text("display_name", 200).strip() or _text("username", 64).strip(),
                role=_text("role", 32), password=_text("password", 1000),
                facility_codes=request.form.getlist("facility")[:200], actor=f"staff:{g.staff.id}")
            db.commit()
            flash("Account created.")
        except ValueError as error:
            db.rollback()
            flash(str(error), "error")
        return redirect(url_for("staff.accounts"))
    return render_template("staff/accounts.html", users=db.scalars(select(StaffUser).order_by(StaffUser.username)).all(),
                           facilities=db.scalars(select(Facility).order_by(Facility.code)).all(),
                           action_form=ActionForm())


@blueprint.post("/admin/accounts/<int:user_id>/<any(activate, deactivate):change>")
def account_active(user_id: int, change: str):
    _administrator()
    db = get_session()
    user = db.get(StaffUser, user_id)
    if user is None:
        abort(404)
    if not ActionForm().validate_on_submit() or user.id == g.staff.id:
        abort(400)  # nobody locks themselves out by mistake
    staff_accounts.set_active(db, user, change == "activate", actor=f"staff:{g.staff.id}")
    db.commit()
    flash(f"{user.username} {change}d.")
    return redirect(url_for("staff.accounts"))
