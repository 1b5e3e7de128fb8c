"""/dev/sms, in development only: text the product from a browser, without Twilio.

Messages go through the same answer as the webhook's; texts the worker would
send (follower updates) appear too, marked as simulated.
"""
from __future__ import annotations

import uuid

from flask import Blueprint, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from kiosk.core.identifiers import InvalidIdentifier, parse_phone
from kiosk.core.models import SmsInbound, SmsOutbound
from kiosk.web.db import get_session
from kiosk.web.inputs import refuse_nul
from sms.webhook import respond

blueprint = Blueprint("sms_simulator", __name__)
blueprint.before_request(refuse_nul)


class TextForm(FlaskForm):
    phone = StringField("From (your phone)", validators=[DataRequired(), Length(max=20)])
    body = TextAreaField("Message", validators=[Length(max=1600)])


@blueprint.route("/sms", methods=["GET", "POST"])
def simulator():
    form = TextForm()
    if form.validate_on_submit():
        try:
            phone = parse_phone(form.phone.data)
        except InvalidIdentifier:
            form.phone.errors = ["Not a phone number; write it like +1 512 555 0123."]
        else:
            respond(f"SMdev{uuid.uuid4().hex}", phone, form.body.data or "")
            return redirect(url_for("sms_simulator.simulator", phone=phone))
    phone = request.args.get("phone", "")
    if phone and not form.phone.data:
        form.phone.data = phone
    db = get_session()
    texts = sorted(
        [(m.received_at, "in", m.body, m.reply) for m in db.scalars(select(SmsInbound).where(SmsInbound.phone == phone))]
        + [(m.created_at, "out", m.body, m.status) for m in db.scalars(select(SmsOutbound).where(SmsOutbound.phone == phone))],
        key=lambda row: row[0],
    ) if phone else []
    return render_template("dev/sms.html", form=form, texts=texts, phone=phone)
