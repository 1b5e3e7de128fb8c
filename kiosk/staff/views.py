from __future__ import annotations

import json
from dataclasses import asdict
from urllib.parse import urlencode, urlsplit

from flask import Response, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from kiosk.core import (
    actors, audit, case_links, case_translations, cases, casework, emergencies, exports, field_offices, interpreting,
    pin_tries, retaliation, saved_filters, staff_accounts,
)
from kiosk.core.categories import CATEGORIES, answers_in_english, category_label
from kiosk.core.identifiers import CASE_NUMBER_PATTERN
from kiosk.core.languages import BY_CODE, NAMED
from kiosk.core.models import Case, EventKind, Facility, StaffRole, StaffUser, Translation
from kiosk.staff import blueprint, display
from kiosk.staff.changes import actor, save
from kiosk.web.db import get_session
from kiosk.web.inputs import form_id
from sms.replies import recipients, texts_of


class SignInForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=staff_accounts.MAX_PASSWORD)])


def safe_next(target: str | None, home: str = "staff.queue") -> str:
    """Where to go after signing in: a page of this console, or ``home``. Anything else (another
    site, a scheme, a line break that would split the Location header) is ignored."""
    parts = urlsplit(target or "")
    if (target and target.isprintable() and "\\" not in target and not parts.scheme and not parts.netloc
            and parts.path.startswith("/staff/")):
        return target
    return url_for(home)


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
            session["staff_generation"] = result.user.session_generation
            interpreter = result.user.role == StaffRole.INTERPRETER  # the queue is not theirs
            return redirect(safe_next(request.args.get("next"),
                                      "staff.interpretations" if interpreter else "staff.queue"))
        error = ("This account is locked after too many failed sign-ins. Try again in 15 minutes."
                 if result.locked_until else "Wrong username or password.")
    elif form.is_submitted():
        error = "Enter your username and password (at most 256 characters)."
    return render_template("staff/sign_in.html", form=form, error=error)


@blueprint.post("/sign-out")
def sign_out():
    db = get_session()
    audit.record(db, actor(), "staff.logout", remote_addr=request.remote_addr)
    db.commit()
    session.clear_all_but_language()
    return redirect(url_for("staff.sign_in"))


@blueprint.get("/")
def queue():
    db = get_session()
    filters = casework.filters_from(request.args)
    now = casework.utcnow()
    counts = casework.counts(db, g.staff, now=now)
    # A page number that is not a number, or lies past the last open case, shows the first or the last page.
    last_page = max(1, -(-counts["open"] // casework.PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), last_page)
    allowed = staff_accounts.facility_ids(g.staff)
    facilities = [f for f in db.execute(select(Facility.id, Facility.code, Facility.name, Facility.timezone)
                                        .order_by(Facility.code))
                  if allowed is None or f.id in allowed]
    kept = filters.as_query()  # the filters in force, for the links to other pages (garbage stays out)
    return render_template(
        "staff/queue.html", page=casework.queue_page(db, g.staff, filters, page, now=now), kept=kept,
        kept_query=urlencode(kept), saved=saved_filters.of(db, g.staff), filters=filters, counts=counts,
        facilities=facilities, codes={f.id: f.code for f in facilities}, zones={f.id: f.timezone for f in facilities},
        categories=CATEGORIES, statuses=casework.OPEN, languages=BY_CODE, now=now,
        summary=casework.summary_line, due=display.due, badly_late=display.badly_late,
        takes=g.staff.role == StaffRole.CASE_MANAGER, field_offices=field_offices.choices(),
    )


@blueprint.get("/case/<number>")
def case(number: str):
    db = get_session()
    found = _case_seen(number, seen="case.viewed", refused="case.view_refused")
    pending = db.scalars(select(Translation).where(Translation.case_id == found.id, Translation.event_id.is_(None),
                                                   Translation.human.is_(False)).order_by(Translation.id.desc())).first()
    replies = [(event, case_translations.latest(db, found.id, found.language, event.id),
                case_translations.back_translation(db, event),
                db.scalars(select(Translation).where(Translation.event_id == event.id,
                                                     Translation.target_language == found.language)).first(),
                [] if event.visible_to_detainee else recipients(db, found, event))
               for event in found.events if event.kind == EventKind.REPLY]
    texted = texts_of(db, [event for event, *_ in replies if event.visible_to_detainee])
    supervisor = staff_accounts.sees_every_facility(g.staff)
    # Only a supervisor assigns: the case managers who work this facility, found by the database
    # (not every account loaded and asked in turn).
    case_managers = db.execute(
        select(StaffUser.id, StaffUser.display_name)
        .where(StaffUser.active.is_(True), StaffUser.role == StaffRole.CASE_MANAGER,
               StaffUser.facilities.any(Facility.id == found.facility_id))
        .order_by(StaffUser.display_name)).all() if supervisor else []
    links = case_links.links_of(db, found, g.staff)
    translation = case_translations.latest(db, found.id, "en")
    asked, texts = interpreting.of_case(db, found), case_translations.texts_of(db, found)
    display.know_actors([e.actor for e in found.events] + [link.created_by for link in links] + [found.summary_by]
                        + [translation.made_by if translation and translation.human else None]
                        + [row.requested_by for row in asked] + [row.finished_by for row in asked])
    return render_template(
        "staff/case.html", case=found, zone=found.facility.timezone, category=category_label(found.category),
        answers=answers_in_english(found.answers), language=BY_CODE.get(found.language),
        translation=translation, machine=pending, replies=replies, texted=texted,
        next_statuses=casework.TRANSITIONS.get(found.status, ()), offices=casework.REFERRAL_OFFICES,
        supervisor=supervisor, related=casework.related(db, found), case_managers=case_managers,
        links=links, messages_en=case_translations.messages_in_english(db, found),
        alert=emergencies.alert_of(db, found), unfinished=cases.unfinished_steps(found),
        emergency_kind=emergencies.KIND_NAMES.get(found.emergency_kind),
        interpretations=asked, credits=interpreting.credits(db, asked), languages=NAMED,
        interpreters=interpreting.interpreters_for(db, found), kinds=interpreting.KIND_NAMES,
        texts=interpreting.choices(texts), text_of={one.event_id: one for one in texts},
        default_due=display.as_typed(casework.utcnow() + interpreting.DEFAULT_DUE, found.facility.timezone),
        summary_limits={"lines": casework.MAX_SUMMARY_LINES, "characters": casework.MAX_SUMMARY},
        protection=retaliation.protection(found), identity=retaliation.identity_for_facility(found),
        open_statuses=casework.OPEN,
    )


def _visible_case(number: str, *, refused: str) -> Case:
    """The case, if this person's facilities include it: 404 for none, 403 (audited) for another's."""
    db = get_session()
    # Only something shaped like a case number reaches the database (PostgreSQL refuses a NUL in a string).
    found = db.scalar(select(Case).where(Case.number == number)) if CASE_NUMBER_PATTERN.fullmatch(number) else None
    if found is None:
        abort(404, description="There is no case with that number. Check the number, or find the case from the "
                               "triage queue.")
    if not staff_accounts.may_see(g.staff, found):
        audit.record(db, actor(), refused, case=found, remote_addr=request.remote_addr)
        db.commit()
        abort(403, description="This case is at a facility you do not work. If your work needs it, ask a "
                               "supervisor to assign it to someone who does, or to add the facility to your "
                               "account; the refusal is in the audit log.")
    return found


def _case_seen(number: str, *, seen: str, refused: str, **detail) -> Case:
    """The case, if this person may see it, with this view of it audited and committed."""
    db = get_session()
    found = _visible_case(number, refused=refused)
    audit.record(db, actor(), seen, case=found, remote_addr=request.remote_addr, **detail)
    db.commit()
    return found


def _change(number: str, change, done):
    """One change to a case this person may see, in one transaction; back to the case saying how it went."""
    found = _visible_case(number, refused="case.change_refused")
    return save(lambda db: change(db, found, actor()), done, url_for("staff.case", number=number))


def _field(name: str) -> str:
    return request.form.get(name, "")


@blueprint.post("/case/<number>/status")
def change_status(number: str):
    return _change(number, lambda db, case, staff: casework.move(
        db, case, _field("status"), staff=staff, reason=_field("reason"),
        referred_to=_field("referred_to") or None), "Status changed.")


@blueprint.post("/case/<number>/note")
def add_note(number: str):
    return _change(number, lambda db, case, staff: casework.add_note(db, case, _field("note"), staff=staff),
                   "Note added.")


@blueprint.post("/case/<number>/facility-contact")
def facility_contact(number: str):
    return _change(number, lambda db, case, staff: casework.log_facility_contact(
        db, case, whom=_field("whom"), how=_field("how"), said=_field("said"), staff=staff),
        "Facility contact recorded.")


@blueprint.post("/case/<number>/summary")
def write_summary(number: str):
    return _change(number, lambda db, case, staff: casework.write_summary(db, case, _field("summary"), staff=staff),
                   lambda written: "Summary saved." if written else "Summary cleared.")


@blueprint.post("/case/<number>/reply")
def reply(number: str):
    return _change(number, lambda db, case, staff: case_translations.draft_reply(db, case, _field("reply"), staff=staff),
                   "Reply saved. It is being translated; release it once you have checked it.")


@blueprint.post("/case/<number>/reply/<id:event_id>/release")
def release_reply(number: str, event_id: int):
    def release(db, case, staff):
        event = next((e for e in case.events if e.id == event_id and e.kind == EventKind.REPLY), None)
        if event is None:
            raise casework.NotAllowed("There is no such reply on this case.")
        sent_to = recipients(db, case, event)
        case_translations.release_reply(db, event, staff=staff)
        return sent_to

    def released(sent_to) -> str:
        if not sent_to:
            return ("Reply released. Nobody outside the console can read it yet: the case has no PIN for the "
                    "kiosk and no reporter by text.")
        return "Reply released: " + "; ".join(
            "the detainee sees it on the kiosk" if one.address is None else f"it is being texted to {one.address}"
            for one in sent_to) + "."

    return _change(number, release, released)


@blueprint.post("/case/<number>/translation/<id:translation_id>/correct")
def correct_translation(number: str, translation_id: int):
    def correct(db, case, staff):
        machine = db.get(Translation, translation_id)
        if machine is None or machine.case_id != case.id:
            raise casework.NotAllowed("There is no such translation on this case.")
        case_translations.correct(db, machine, _field("text"), staff=staff)

    return _change(number, correct, "Correction saved beside the machine translation.")


@blueprint.post("/case/<number>/assign")
def assign(number: str):
    def change(db, case, staff):
        assignee_id = form_id("staff_id")
        assignee = db.get(StaffUser, assignee_id) if assignee_id else None
        if assignee is None:
            raise casework.NotAllowed("Choose a case manager.")
        casework.assign(db, case, assignee, by=g.staff)

    return _change(number, change, "Case assigned.")


def _back_to_the_queue_or(number: str) -> str:
    """Where a take or a release goes back to: the queue page it was made from (its filters and page
    kept), or the case."""
    back = request.form.get("next", "")
    return safe_next(back) if back.startswith("/staff/?") or back == "/staff/" else url_for("staff.case", number=number)


@blueprint.post("/case/<number>/take")
def take(number: str):
    """A case manager takes an unassigned case of their facilities: one click, and one winner."""
    found = _visible_case(number, refused="case.change_refused")
    return save(lambda db: casework.take(db, found, g.staff), f"You have case {number} now.",
                _back_to_the_queue_or(number))


@blueprint.post("/case/<number>/release")
def release(number: str):
    found = _visible_case(number, refused="case.change_refused")
    return save(lambda db: casework.release(db, found, g.staff), f"Case {number} is back in the queue, unassigned.",
                _back_to_the_queue_or(number))


@blueprint.post("/case/<number>/due")
def change_due(number: str):
    def change(db, case, staff):
        try:
            due = display.parse_typed(_field("due_at"), case.facility.timezone)
        except ValueError:
            raise casework.NotAllowed("Write the due time like 2026-11-30 17:00.") from None
        casework.change_due(db, case, due, _field("reason"), by=g.staff)

    return _change(number, change, "Due time changed.")


@blueprint.post("/case/<number>/unlock-pin")
def unlock_pin(number: str):
    """Wrong PINs from several kiosks locked the case: the detainee may try their PIN again at once."""
    return _change(number, lambda db, case, staff: pin_tries.unlock(db, case, actor=staff,
                                                                    remote_addr=request.remote_addr),
                   "Unlocked: the detainee can open the case with their PIN again, at any kiosk.")


def download(body: str, mimetype: str, filename: str) -> Response:
    # The filename is built from a case number or a date: nothing to escape.
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"',
                                                      "Cache-Control": "no-store"})


def _exported_record(number: str, format: str) -> tuple[Case, dict]:
    """A case's whole record, for someone who may see the case; every export is audited."""
    found = _case_seen(number, seen="case.exported", refused="case.export_refused", format=format)
    return found, exports.case_record(get_session(), found, g.staff)


@blueprint.get("/case/<number>/export.json")
def export_case(number: str):
    found, record = _exported_record(number, "json")
    return download(json.dumps(record, ensure_ascii=False, indent=2), "application/json",
                     f"case-{found.number}.json")


@blueprint.get("/case/<number>/print")
def print_case(number: str):
    """The same record as the JSON export, as a page to print or save as PDF for the ombudsman's file."""
    _found, record = _exported_record(number, "print")
    return render_template("staff/case_print.html", record=record)


@blueprint.get("/case/<number>/translation")
def case_translation(number: str):
    found = _case_seen(number, seen="case.translation_viewed", refused="case.translation_view_refused")
    return render_template("staff/case_translation.html", case=found, zone=found.facility.timezone,
                           rows=exports.translation_rows(get_session(), found))


CASE_AUDIT_LIMIT = 500


@blueprint.get("/case/<number>/audit")
def case_audit(number: str):
    """Who viewed, changed or exported this case, when and from where; for anyone who may see the case."""
    db = get_session()
    found = _case_seen(number, seen="case.audit_viewed", refused="case.audit_view_refused")
    entries = audit.entries(db, case_number=found.number, limit=CASE_AUDIT_LIMIT)
    display.know_actors([e.actor for e in entries])
    return render_template("staff/case_audit.html", case=found, entries=entries, limit=CASE_AUDIT_LIMIT,
                           details=display.AuditDetails(db, entries),
                           # details name other cases and link reasons: supervisors only
                           show_details=staff_accounts.sees_every_facility(g.staff))


@blueprint.post("/case/<number>/links")
def link_case(number: str):
    db = get_session()
    found = _visible_case(number, refused="case.change_refused")
    try:
        other = case_links.find_other(db, found, _field("other"), g.staff, remote_addr=request.remote_addr)
        case_links.link(db, found, other, _field("reason"), by=g.staff, remote_addr=request.remote_addr)
        db.commit()
        flash(f"Linked with case {other.number}.")
    except case_links.NoSuchCase as refusal:
        db.commit()  # only the refusal's audit entry, when there is one
        # The same page and status for an unknown number and another facility's case.
        return render_template("staff/case_link_refused.html", case=found, message=str(refusal)), 403
    except case_links.LinkRefused as error:
        db.rollback()
        flash(str(error), "error")
    except IntegrityError:  # someone else linked the same two cases at the same moment
        db.rollback()
        flash("These cases were linked a moment ago by someone else.", "error")
    return redirect(url_for("staff.case", number=number))


@blueprint.post("/case/<number>/links/remove")
def unlink_case(number: str):
    return _change(number, lambda db, case, staff: case_links.unlink(
        db, case, form_id("link"), by=g.staff, remote_addr=request.remote_addr),
        "Link removed.")


@blueprint.get("/export.csv")
def export_queue():
    """The queue with its filters as a spreadsheet; a case manager's holds only their facilities."""
    db = get_session()
    problem = casework.filter_problem(db, g.staff, request.args)
    if problem:
        audit.record(db, actor(), "queue.export_refused", remote_addr=request.remote_addr, reason=problem)
        db.commit()
        flash(f"{problem} Nothing was exported.", "error")
        return redirect(url_for("staff.queue"))
    filters = casework.filters_from(request.args)
    now = casework.utcnow()
    found = casework.queue(db, g.staff, filters, now=now, limit=exports.QUEUE_LIMIT)
    body = exports.queue_csv(db, found, now=now)
    audit.record(db, actor(), "queue.exported", remote_addr=request.remote_addr, rows=len(found),
                 filters=asdict(filters))
    db.commit()
    return download(body, "text/csv", f"queue-{now:%Y%m%d-%H%M}.csv")


@blueprint.get("/audit")
def audit_log():
    db = get_session()
    if not staff_accounts.sees_every_facility(g.staff):
        audit.record(db, actor(), "audit.view_refused", remote_addr=request.remote_addr)
        db.commit()
        abort(403)
    entries = audit.entries(db, actor=request.args.get("actor", ""), action=request.args.get("action", ""),
                            case_number=request.args.get("case", ""))
    audit.record(db, actor(), "audit.viewed", remote_addr=request.remote_addr)
    db.commit()
    people = [(actors.staff(user), f"{user.display_name} ({user.username})")
              for user in db.scalars(select(StaffUser).order_by(StaffUser.display_name))]
    display.know_actors([e.actor for e in entries])
    return render_template("staff/audit.html", entries=entries, args=request.args, people=people,
                           zones=dict(db.execute(select(Facility.id, Facility.timezone)).all()),
                           details=display.AuditDetails(db, entries))
