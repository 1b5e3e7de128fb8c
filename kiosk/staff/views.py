from __future__ import annotations

from datetime import datetime, timezone

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from kiosk import audit, case_translations, casework, staff_accounts
from kiosk.categories import CATEGORIES, answers_in_english, category_label
from kiosk.db import get_session
from kiosk.i18n import BY_CODE
from kiosk.identifiers import CASE_NUMBER_PATTERN
from kiosk.models import Case, CaseStatus, Facility, StaffUser, Translation
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
        assigned_to_me=args.get("mine") == "1",
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
    found = _visible_case(number, refused="case.view_refused")
    audit.record(db, f"staff:{g.staff.id}", "case.viewed", case=found, remote_addr=request.remote_addr)
    db.commit()
    pending = db.scalars(select(Translation).where(Translation.case_id == found.id, Translation.event_id.is_(None),
                                                   Translation.human.is_(False)).order_by(Translation.id.desc())).first()
    replies = [(event, case_translations.latest(db, found.id, found.language, event.id),
                case_translations.back_translation(db, event),
                db.scalars(select(Translation).where(Translation.event_id == event.id,
                                                     Translation.target_language == found.language)).first())
               for event in found.events if event.kind == "reply"]
    return render_template(
        "staff/case.html", case=found, category=category_label(found.category),
        answers=answers_in_english(found.answers), language=BY_CODE.get(found.language),
        translation=case_translations.latest(db, found.id, "en"), machine=pending, replies=replies,
        next_statuses=casework.TRANSITIONS.get(found.status, ()), offices=casework.REFERRAL_OFFICES,
        supervisor=staff_accounts.sees_every_facility(g.staff), related=casework.related(db, found),
        case_managers=[u for u in db.scalars(select(StaffUser).where(StaffUser.active.is_(True),
                                                                     StaffUser.role == "case_manager"))
                       if staff_accounts.may_see(u, found)],
        action_form=ActionForm(),
    )


def _visible_case(number: str, *, refused: str) -> Case:
    """The case, if this person's facilities include it: 404 for none, 403 (audited) for another's."""
    db = get_session()
    # Only something shaped like a case number reaches the database (PostgreSQL refuses a NUL in a string).
    found = db.scalar(select(Case).where(Case.number == number)) if CASE_NUMBER_PATTERN.fullmatch(number) else None
    if found is None:
        abort(404)
    if not staff_accounts.may_see(g.staff, found):
        audit.record(db, f"staff:{g.staff.id}", refused, case=found, remote_addr=request.remote_addr)
        db.commit()
        abort(403)
    return found


def _case_to_change(number: str) -> Case:
    found = _visible_case(number, refused="case.change_refused")
    if not ActionForm().validate_on_submit():
        abort(400)
    return found


def _text(name: str, limit: int = 5000) -> str:
    return (request.form.get(name) or "")[:limit]


def _apply(number: str, change, done: str):
    """Runs one change to a case in one transaction; a refused change says why and writes nothing."""
    db = get_session()
    found = _case_to_change(number)
    try:
        change(db, found, f"staff:{g.staff.id}")
        db.commit()
        flash(done)
    except (casework.NotAllowed, case_translations.NotReady) as error:
        db.rollback()
        flash(str(error) or "The reply has no translation yet.", "error")
    return redirect(url_for("staff.case", number=number))


@blueprint.post("/case/<number>/status")
def change_status(number: str):
    return _apply(number, lambda db, case, staff: casework.move(
        db, case, _text("status", 32), staff=staff, reason=_text("reason", 2000),
        referred_to=_text("referred_to", 64) or None), "Status changed.")


@blueprint.post("/case/<number>/note")
def add_note(number: str):
    return _apply(number, lambda db, case, staff: casework.add_note(db, case, _text("note"), staff=staff),
                  "Note added.")


@blueprint.post("/case/<number>/facility-contact")
def facility_contact(number: str):
    return _apply(number, lambda db, case, staff: casework.log_facility_contact(
        db, case, whom=_text("whom", 200), how=_text("how", 100), said=_text("said"), staff=staff),
        "Facility contact recorded.")


def _reply(db, case, staff):
    if not _text("reply").strip():
        raise casework.NotAllowed("the reply is empty")
    case_translations.draft_reply(db, case, _text("reply").strip(), staff=staff)


@blueprint.post("/case/<number>/reply")
def reply(number: str):
    return _apply(number, _reply, "Reply saved. It is being translated; release it once you have checked it.")


@blueprint.post("/case/<number>/reply/<int:event_id>/release")
def release_reply(number: str, event_id: int):
    def release(db, case, staff):
        event = next((e for e in case.events if e.id == event_id and e.kind == "reply"), None)
        if event is None:
            raise casework.NotAllowed("no such reply")
        case_translations.release_reply(db, event, staff=staff)

    return _apply(number, release, "Reply released: the detainee sees it on the kiosk.")


@blueprint.post("/case/<number>/translation/<int:translation_id>/correct")
def correct_translation(number: str, translation_id: int):
    def correct(db, case, staff):
        machine = db.get(Translation, translation_id)
        if machine is None or machine.case_id != case.id or not _text("text").strip():
            raise casework.NotAllowed("nothing to correct")
        case_translations.correct(db, machine, _text("text").strip(), staff=staff)

    return _apply(number, correct, "Correction saved beside the machine translation.")


@blueprint.post("/case/<number>/assign")
def assign(number: str):
    def change(db, case, staff):
        assignee = db.get(StaffUser, request.form.get("staff_id", type=int) or 0)
        if assignee is None:
            raise casework.NotAllowed("choose a case manager")
        casework.assign(db, case, assignee, by=g.staff)

    return _apply(number, change, "Case assigned.")


@blueprint.post("/case/<number>/due")
def change_due(number: str):
    def change(db, case, staff):
        try:
            due = datetime.fromisoformat(_text("due_at", 32)).replace(tzinfo=timezone.utc)
        except ValueError:
            raise casework.NotAllowed("write the due time like 2026-11-30 17:00") from None
        casework.change_due(db, case, due, _text("reason", 2000), by=g.staff)

    return _apply(number, change, "Due time changed.")


@blueprint.get("/audit")
def audit_log():
    if not staff_accounts.sees_every_facility(g.staff):
        abort(403)
    db = get_session()
    entries = casework.audit_entries(db, actor=request.args.get("actor", "")[:100],
                                     action=request.args.get("action", "")[:64],
                                     case_number=request.args.get("case", "")[:16])
    audit.record(db, f"staff:{g.staff.id}", "audit.viewed", remote_addr=request.remote_addr)
    db.commit()
    return render_template("staff/audit.html", entries=entries, args=request.args)

