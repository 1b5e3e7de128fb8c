"""Interpreting in the console: asking for a translation, the interpreter's inbox and page, entering it.

An interpreter account reaches only the pages named in INTERPRETER_PAGES (kiosk/staff/__init__.py
refuses every other, audited): the texts sent to them, each with what translating it needs (the
category and the answers in English) and nothing else of the case: no A-number, name, phone number
or internal note.
"""
from __future__ import annotations

from flask import abort, g, redirect, render_template, request, url_for

from kiosk.core import audit, interpreting, staff_accounts
from kiosk.core.categories import answers_in_english, category_label
from kiosk.core.languages import NAMED
from kiosk.core.models import Interpretation, StaffRole, StaffUser, utcnow
from kiosk.staff import blueprint, display
from kiosk.staff.changes import actor, save
from kiosk.staff.views import _visible_case
from kiosk.web.db import get_session
from kiosk.web.inputs import form_id

def is_interpreter(user: StaffUser | None) -> bool:
    return user is not None and user.role == StaffRole.INTERPRETER


@blueprint.get("/interpretations")
def interpretations():
    """An interpreter's inbox, or for everyone else what waits for a person in their facilities."""
    db = get_session()
    mine = is_interpreter(g.staff)
    rows = interpreting.waiting(db, staff_accounts.facility_ids(g.staff), interpreter=g.staff if mine else None)
    audit.record(db, actor(), "interpretations.viewed", remote_addr=request.remote_addr, rows=len(rows))
    db.commit()
    display.know_actors([row.request.requested_by for row in rows if row.request])
    people = {row.request.interpreter_id: row.request.interpreter.display_name
              for row in rows if row.request and row.request.interpreter_id}
    return render_template("staff/interpretations.html", groups=interpreting.by_language(rows), mine=mine,
                           languages=NAMED, now=utcnow(), kinds=interpreting.KIND_NAMES,
                           people=people)


def _sent_to_me(interpretation_id: int) -> Interpretation:
    """The open request sent to this interpreter; any other is refused (403) and the refusal audited."""
    db = get_session()
    found = interpreting.for_interpreter(db, g.staff, interpretation_id)
    if found is None:
        audit.record(db, actor(), "interpretation.view_refused", remote_addr=request.remote_addr,
                     interpretation_id=interpretation_id)
        db.commit()
        abort(403)
    return found


@blueprint.get("/interpretation/<id:interpretation_id>")
def interpretation(interpretation_id: int):
    """The page an interpreter translates on. Staff work requests from the case page."""
    db = get_session()
    if not is_interpreter(g.staff):
        found = db.get(Interpretation, interpretation_id) or abort(404)
        return redirect(url_for("staff.case", number=found.case.number))
    found = _sent_to_me(interpretation_id)
    audit.record(db, actor(), "interpretation.viewed", case=found.case, remote_addr=request.remote_addr,
                 interpretation_id=found.id)
    db.commit()
    case = found.case
    display.know_actors([found.requested_by])
    return render_template(
        "staff/interpretation.html", request_=found, words=interpreting.words_of(db, found),
        category=category_label(case.category), answers=answers_in_english(case.answers),
        source=NAMED.get(found.source_language), target=NAMED.get(found.target_language),
        zone=case.facility.timezone)


@blueprint.post("/interpretation/<id:interpretation_id>/translation")
def enter_interpretation(interpretation_id: int):
    """The translation, from the interpreter it was sent to, or (for the telephone service) from a
    staff member who may open the case."""
    db = get_session()
    if is_interpreter(g.staff):
        found = _sent_to_me(interpretation_id)
        back = url_for("staff.interpretations")
    else:
        found = db.get(Interpretation, interpretation_id) or abort(404)
        _visible_case(found.case.number, refused="case.change_refused")
        back = url_for("staff.case", number=found.case.number)
        if found.interpreter_id is not None:
            return save(_refuse("This text was sent to an interpreter: they enter its translation."), "", back)
    return save(lambda db: interpreting.complete(db, found, request.form.get("text", ""), by=g.staff),
                "Translation saved: it is the case's translation of this text, credited to you.", back)


@blueprint.post("/interpretation/<id:interpretation_id>/cancel")
def cancel_interpretation(interpretation_id: int):
    found = get_session().get(Interpretation, interpretation_id) or abort(404)
    _visible_case(found.case.number, refused="case.change_refused")
    return save(lambda db: interpreting.cancel(db, found, by=g.staff), "Request cancelled.",
                url_for("staff.case", number=found.case.number))


@blueprint.post("/case/<number>/interpretation")
def request_interpretation(number: str):
    found = _visible_case(number, refused="case.change_refused")

    def ask(db):
        try:
            due = display.parse_typed(request.form.get("due_at", ""), found.facility.timezone)
        except (ValueError, OverflowError):
            raise interpreting.Refused("Write when it is due like 2026-11-30 17:00.") from None
        to = request.form.get("to", "")
        interpreter = None
        if to != "phone":
            interpreter_id = form_id("to")
            interpreter = db.get(StaffUser, interpreter_id) if interpreter_id else None
            if interpreter is None:
                raise interpreting.Refused("Choose an interpreter, or the telephone interpreting service.")
        return interpreting.request(db, found, which=request.form.get("text", ""),
                                    language=request.form.get("language", ""), due_at=due, interpreter=interpreter,
                                    vendor_reference=request.form.get("reference", ""), by=g.staff)

    return save(ask, lambda made: f"Interpretation requested for {len(made)} text(s).",
                url_for("staff.case", number=number))


def _refuse(message: str):
    def refuse(db):
        raise interpreting.Refused(message)
    return refuse
