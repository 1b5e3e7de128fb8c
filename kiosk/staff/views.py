from __future__ import annotations

from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from kiosk import audit, case_translations, casework, staff_accounts
from kiosk.categories import CATEGORIES, answers_in_english, category_label
from kiosk.db import get_session
from kiosk.i18n import BY_CODE
from kiosk.models import Case, CaseStatus, Facility
from kiosk.staff import blueprint


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=staff_accounts.MAX_PASSWORD)])


class ActionForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


def _safe_next(target: str | None) -> str:
    return target if target and target.startswith("/staff/") and not target.startswith("//") else url_for("staff.queue")


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        db = get_session()
        result = staff_accounts.sign_in(db, current_app.extensions["secret_hasher"], form.username.data,
                                        form.password.data, remote_addr=request.remote_addr)
        db.commit()
        if result.user is not None:
            session.clear_all_but_language()  # a new session id at every sign-in
            session["staff_id"] = result.user.id
            return redirect(_safe_next(request.args.get("next")))
        error = ("This account is locked after too many failed sign-ins. Try again in 15 minutes."
                 if result.locked_until else "Wrong username or password.")
    elif form.is_submitted():
        error = "Enter your username and password (at most 256 characters)."
    return render_template("staff/sign_in.html", form=form, error=error)


@blueprint.post("/sign-out")
def sign_out():
    if ActionForm().validate_on_submit():
        db = get_session()
        audit.record(db, f"staff:{g.staff.id}", "staff.logout", remote_addr=request.remote_addr)
        db.commit()
        session.clear_all_but_language()
    return redirect(url_for("staff.sign_in"))


def _filters() -> casework.Filters:
    args = request.args
    known = lambda value, allowed: value if value in allowed else None  # noqa: E731  (garbage in a URL is ignored)
    return casework.Filters(
        facility=args.get("facility") or None,
        category=known(args.get("category"), {c.code for c in CATEGORIES}),
        status=known(args.get("status"), set(casework.OPEN)),
        language=known(args.get("language"), set(BY_CODE)),
        overdue=args.get("overdue") == "1",
        needs_interpreter=args.get("interpreter") == "1",
    )


@blueprint.get("/")
def queue():
    db = get_session()
    filters = _filters()
    found = casework.queue(db, g.staff, filters)
    facilities = db.scalars(select(Facility).order_by(Facility.code)).all()
    allowed = staff_accounts.facility_ids(g.staff)
    return render_template(
        "staff/queue.html", cases=found, filters=filters, counts=casework.counts(db, g.staff),
        facilities=[f for f in facilities if allowed is None or f.id in allowed],
        categories=CATEGORIES, statuses=casework.OPEN, languages=BY_CODE, category_label=category_label,
        now=casework.utcnow(),
    )


@blueprint.get("/case/<number>")
def case(number: str):
    db = get_session()
    found = db.scalar(select(Case).where(Case.number == number))
    if found is None:
        abort(404)
    if not staff_accounts.may_see(g.staff, found):
        audit.record(db, f"staff:{g.staff.id}", "case.view_refused", case=found, remote_addr=request.remote_addr)
        db.commit()
        abort(403)
    audit.record(db, f"staff:{g.staff.id}", "case.viewed", case=found, remote_addr=request.remote_addr)
    db.commit()
    return render_template(
        "staff/case.html", case=found, category=category_label(found.category),
        answers=answers_in_english(found.answers), language=BY_CODE.get(found.language),
        translation=case_translations.latest(db, found.id, "en"), statuses=CaseStatus,
    )
