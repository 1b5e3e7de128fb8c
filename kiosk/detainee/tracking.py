"""Following a complaint: the receipt, finding one's cases with a PIN, and who may follow them."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kiosk.core import actors, case_translations, cases, contacts, hotlines, pin_tries, voice
from kiosk.core.credentials import new_token
from kiosk.core.identifiers import format_a_number, format_share_code, masked_phone
from kiosk.core.models import Case
from kiosk.detainee import blueprint
from kiosk.detainee.forms import ChoiceForm, MessageForm, PhoneForm, PinForm, TrackForm
from kiosk.detainee.listening import heard_language
from kiosk.detainee.speaking import VoiceProblem, posted_recording, unusable
from kiosk.detainee.wording import CATEGORY_WORDS
from kiosk.web.db import get_session
from kiosk.web.i18n import when
from kiosk.web.security import csrf
from kiosk.web.wording import STATUS_WORDS
from sms import commands


def _actor() -> str:
    return actors.kiosk(g.kiosk.id)


def _open_case(number: str) -> Case:
    """A case this session has opened (filed it, or typed its PIN); anything else is 404."""
    case = get_session().scalar(select(Case).where(Case.number == number))
    if case is None or case.id not in session.get("open_case_ids", []):
        abort(404)
    return case


def _case_context(case: Case) -> dict:
    new_code = session.pop("new_share_code", None)
    return {
        "case": case,
        "closed": case.status in cases.CLOSED,
        "category_words": CATEGORY_WORDS.get(case.category, case.category),
        "status_words": STATUS_WORDS,
        "events": [(event, case_translations.text_for_detainee(get_session(), case, event))
                   for event in cases.detainee_timeline(case)],
        "contacts": [(c.id, masked_phone(c.phone)) for c in contacts.active_contacts(case)],
        "share_codes": contacts.active_share_codes(case),
        "new_share_code": format_share_code(new_code["code"]) if new_code and new_code["case_id"] == case.id else None,
        "phone_form": PhoneForm(formdata=None),
        "max_contacts": contacts.MAX_TRUSTED_CONTACTS,
        "sms_number": current_app.config["KIOSK"].sms_number,
        "status_word": commands.word_for("STATUS", case.language),  # what family texts, in the detainee's language
    }


@blueprint.get("/receipt")
def receipt():
    case_id = session.get("receipt_case_id")
    case = get_session().get(Case, case_id) if case_id else None
    if case is None or case.id not in session.get("open_case_ids", []):
        return redirect(url_for("kiosk.home"))
    return render_template(
        "kiosk/receipt.html",
        a_number=format_a_number(case.detainee.a_number) if case.detainee else None,
        help=hotlines.for_emergency(get_session(), case.facility_id, case.emergency_kind) if case.is_emergency else None,
        **_case_context(case),
    )


@blueprint.route("/track", methods=["GET", "POST"])
def track():
    form = TrackForm()
    if form.validate_on_submit():
        kind, value = form.identifier.parsed
        session["tracking"] = {kind: value}
        return redirect(url_for("kiosk.track_pin"))
    return render_template("kiosk/track.html", form=form, back_url=url_for("kiosk.home"))


@blueprint.route("/track/pin", methods=["GET", "POST"])
def track_pin():
    looking_for = session.get("tracking")
    if not looking_for:
        return redirect(url_for("kiosk.track"))
    form = PinForm()
    if form.validate_on_submit():
        db = get_session()
        candidates = cases.cases_for_identifier(db, **looking_for)
        (kind, value), = looking_for.items()
        result = pin_tries.open_with_pin(
            db, candidates, form.pin.parsed, current_app.extensions["secret_hasher"], kiosk_id=g.kiosk.id,
            typed=f"{kind}:{value}", actor=_actor(), remote_addr=request.remote_addr,
        )
        db.commit()
        if result.opened:
            session.pop("tracking", None)
            session["open_case_ids"] = [c.id for c in result.opened]
            if len(result.opened) == 1:
                return redirect(url_for("kiosk.case_page", number=result.opened[0].number))
            return redirect(url_for("kiosk.my_cases"))
        form.pin.errors = [_pin_refused(result)]
    return render_template("kiosk/pin.html", form=form, tracking=True, back_url=url_for("kiosk.track"))


def _pin_refused(result: pin_tries.TrackingResult) -> str:
    """Why the case did not open, and when to try again, in the facility's time."""
    if result.try_again_at is None:
        return _("The number or the PIN is not right. Please try again.")
    at = when(_next_minute(result.try_again_at))
    if result.locked:
        return _("Too many wrong PINs were typed for this complaint. It is locked until %(time)s. A case manager "
                 "can unlock it sooner.", time=at)
    if not result.checked:
        return _("Too many wrong PINs on this kiosk. You can try again at %(time)s.", time=at)
    return _("The number or the PIN is not right. You can try again at %(time)s.", time=at)


def _next_minute(moment: datetime) -> datetime:
    """Rounded up to the minute: someone told 15:10 who comes back at 15:10 is let in."""
    rounded = moment.replace(second=0, microsecond=0)
    return rounded if rounded == moment else rounded + timedelta(minutes=1)


@blueprint.get("/my-cases")
def my_cases():
    ids = session.get("open_case_ids", [])
    if not ids:
        return redirect(url_for("kiosk.track"))
    found = get_session().scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.created_at.desc())).all()
    return render_template("kiosk/my_cases.html", cases=found, category_words=CATEGORY_WORDS,
                           status_words=STATUS_WORDS, back_url=url_for("kiosk.home"))


@blueprint.get("/case/<number>")
def case_page(number: str):
    case = _open_case(number)
    back = url_for("kiosk.my_cases") if len(session.get("open_case_ids", [])) > 1 else url_for("kiosk.home")
    return render_template("kiosk/case.html", back_url=back, **_case_context(case))


def _message_refused(reason: str) -> str:
    if reason == "closed":
        return _("This complaint is closed. If you have a new problem, make a new complaint.")
    if reason == "too_long":
        return _("Your text is too long. Please make it shorter.")
    return _("Please write your message first.")


@csrf.exempt  # checked in posted_recording, under the limit a recording needs
@blueprint.route("/case/<number>/message", methods=["GET", "POST"])
def add_message(number: str):
    error, recorded = None, None
    if request.method == "POST":  # the CSRF check first, as for every other form
        try:
            recorded = posted_recording()
        except VoiceProblem as too_big:  # a body this size cannot be read at all: a fresh form
            error = str(too_big)
    case = _open_case(number)
    back = redirect(url_for("kiosk.case_page", number=case.number))
    if case.status in cases.CLOSED:
        flash(_message_refused("closed"), "error")
        return back
    form = MessageForm(formdata=None) if error else MessageForm()
    if error is None and form.validate_on_submit():
        db = get_session()
        words, token = form.words.data or "", form.submission.data or ""
        try:
            try:
                _add_message(db, case, words, token, recorded)
                db.commit()
            except IntegrityError:  # the other tap of a double tap stored it first: now it is found
                db.rollback()
                _add_message(db, case, words, token, recorded)
        except cases.MessageRefused as refused:
            db.rollback()
            error = _message_refused(refused.reason)
        except voice.RecordingUnusable:
            db.rollback()
            error = unusable()
        if error is None:
            flash(_("Your message was sent. A case manager will read it."), "info")
            return back
    if not form.submission.data:
        form.submission.data = new_token()  # one token per form: a double tap adds the message once
    return render_template("kiosk/message.html", case=case, form=form, error=error, max_length=cases.MAX_DESCRIPTION,
                           back_url=url_for("kiosk.case_page", number=case.number))


def _add_message(db, case: Case, words: str, token: str, recorded: bytes | None) -> None:
    """The message and its recording in one transaction: both are kept, or neither."""
    event = cases.add_detainee_message(db, case, words, actor=_actor(), token=token, spoken=recorded is not None)
    if recorded is not None and not voice.of_event(db, event):
        voice.keep_pending(db, token, g.kiosk.id, heard_language(case.language), recorded)
        voice.attach(db, token, case, event)


def _back_to(case: Case):
    if session.get("receipt_case_id") == case.id:
        return redirect(url_for("kiosk.receipt") + "#people")
    return redirect(url_for("kiosk.case_page", number=case.number) + "#people")


@blueprint.post("/case/<number>/contacts")
def add_contact(number: str):
    case = _open_case(number)
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            contacts.add_trusted_contact(get_session(), case, form.phone.parsed, actor=_actor())
            get_session().commit()
            flash(_("Phone number added."), "info")
        except contacts.TooMany:
            flash(_("You can add up to %(count)d phone numbers.", count=contacts.MAX_TRUSTED_CONTACTS), "error")
    else:
        flash(str(form.phone.errors[0]) if form.phone.errors else _("Nothing was saved. Please try again."), "error")
    return _back_to(case)


@blueprint.post("/case/<number>/contacts/<id:contact_id>/remove")
def remove_contact(number: str, contact_id: int):
    case = _open_case(number)
    if ChoiceForm().validate_on_submit() and contacts.revoke_trusted_contact(get_session(), case, contact_id, actor=_actor()):
        get_session().commit()
        flash(_("Phone number removed. It can no longer see your complaint."), "info")
    return _back_to(case)


@blueprint.post("/case/<number>/share-codes")
def add_share_code(number: str):
    case = _open_case(number)
    if ChoiceForm().validate_on_submit():
        try:
            code = contacts.create_share_code(get_session(), case, actor=_actor())
            get_session().commit()
            session["new_share_code"] = {"case_id": case.id, "code": code}
        except contacts.TooMany:
            flash(_("You can have up to %(count)d share codes.", count=contacts.MAX_SHARE_CODES), "error")
    return _back_to(case)


@blueprint.post("/case/<number>/share-codes/<id:share_id>/remove")
def remove_share_code(number: str, share_id: int):
    case = _open_case(number)
    if ChoiceForm().validate_on_submit() and contacts.revoke_share_code(get_session(), case, share_id, actor=_actor()):
        get_session().commit()
        flash(_("Share code stopped. It no longer works."), "info")
    return _back_to(case)
