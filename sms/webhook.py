"""POST /sms/twilio and /sms/twilio/status: signed by Twilio, answered well inside 15 seconds.

A message is answered in the webhook's own response (TwiML): a STATUS takes
one query and one transaction that stores the message with its audit entry.
Each MessageSid is processed once; a retry gets the answer already given.
"""
from __future__ import annotations

import re
from xml.sax.saxutils import escape

from flask import Response, current_app, request
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from kiosk.core import text
from kiosk.core.models import SmsInbound, SmsOutbound
from kiosk.web.db import get_database, get_session
from sms import answers, blueprint, segments

SID = re.compile(r"[A-Za-z0-9]{1,64}")
SENDER = re.compile(r"[A-Za-z0-9+:._-]{1,20}")  # +15125550123, or a channel address such as whatsapp:+1…
_STORED_REPLY = select(SmsInbound.reply).where(SmsInbound.message_sid == bindparam("sid"))
DELIVERY_ORDER = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3, "delivered": 4, "undelivered": 4,
                  "failed": 4, "read": 5}


def signed() -> bool:
    """Checks X-Twilio-Signature against the public URL Twilio called (we may sit behind a proxy)."""
    config = current_app.config["KIOSK"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not config.twilio_auth_token or not signature:
        return False
    url = config.public_url + request.full_path.rstrip("?")
    return RequestValidator(config.twilio_auth_token).validate(url, request.form, signature)


def twiml(reply: str | None) -> Response:
    """The reply as TwiML, byte for byte what twilio's MessagingResponse writes, at a fraction of its cost."""
    body = f"<Response><Message>{escape(reply)}</Message></Response>" if reply else "<Response />"
    return Response('<?xml version="1.0" encoding="UTF-8"?>' + body, mimetype="application/xml")


def respond(sid: str, phone: str, body: str) -> str | None:
    """The reply to one message, stored with it; the stored one when Twilio retries.

    A retry is rare, so it is not looked for first: the message is answered as new,
    and storing it fails on its MessageSid when it was processed already. The whole
    transaction is then rolled back (nothing happens twice) and the answer given
    the first time is returned.
    """
    for attempt in (1, 2):
        message = answers.Text(sid, phone, text.clean(body, limit=None))  # Twilio bounds a message itself
        # Core on a plain connection: a Session's own bookkeeping was 5 % of a STATUS. The few
        # commands that use ORM objects write through the same transaction (rollback_only: the
        # session never commits; the connection does, once).
        with get_database().engine.connect() as connection, \
                Session(bind=connection, join_transaction_mode="rollback_only") as session:
            try:
                reply = answers.answer(connection, session, message)
                reply = segments.fit(reply) if reply else None
                session.flush()
                answers.store(connection, message, reply)  # decided first: the writes come last, together
                connection.commit()
                return reply
            except IntegrityError:  # the same message, or the same new sender, twice at once
                connection.rollback()
                stored = connection.execute(_STORED_REPLY, {"sid": sid}).first()
                if stored is not None:
                    return stored.reply
                if attempt == 2:
                    raise
    return None


@blueprint.post("/twilio")
def inbound():
    if not signed():
        return Response("signature required", status=403, mimetype="text/plain")
    sid, phone = request.form.get("MessageSid", ""), request.form.get("From", "").strip()
    if not SID.fullmatch(sid) or not SENDER.fullmatch(phone):
        return twiml(None)  # nothing to answer; a 200 stops Twilio retrying
    return twiml(respond(sid, phone, request.form.get("Body", "")))


@blueprint.post("/twilio/status")
def delivery_status():
    if not signed():
        return Response("signature required", status=403, mimetype="text/plain")
    sid, status = request.form.get("MessageSid", ""), request.form.get("MessageStatus", "")
    db = get_session()
    message = db.query(SmsOutbound).filter_by(twilio_sid=sid).one_or_none() if SID.fullmatch(sid) else None
    if message is not None and status in DELIVERY_ORDER:
        if DELIVERY_ORDER[status] > DELIVERY_ORDER.get(message.status, -1):  # only ever forward
            message.status = status
            code = request.form.get("ErrorCode", "")
            message.error_code = int(code) if code.isdigit() else message.error_code
            db.commit()
    return Response("", status=204)
