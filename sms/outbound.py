"""Texts we send: queued as jobs, sent by the worker through Twilio's REST API.

Retried with backoff on 429 and 5xx; never retried on a permanent error such
as 21610 (the recipient opted out); never sent to a number on our opt-out list,
which is checked again just before every send.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from kiosk.core import jobs
from kiosk.core.jobs import JobKind
from kiosk.core.models import Case, CaseFollower, SmsOutbound, SmsSender
from sms import segments, wording

OPTED_OUT = 21610


def opted_out(session: Session, phone: str) -> bool:
    sender = session.get(SmsSender, phone)
    return sender is not None and sender.opted_out


def queue_text(session: Session, phone: str, body: str, *, reply_event_id: int | None = None) -> SmsOutbound | None:
    """A text to send, cut to two segments; None for a phone that opted out. ``reply_event_id``:
    the staff reply it carries (sms/replies.py), which a unique index lets through once."""
    if opted_out(session, phone):
        return None
    message = SmsOutbound(phone=phone, body=segments.fit(body), reply_event_id=reply_event_id)
    session.add(message)
    session.flush()
    jobs.enqueue(session, JobKind.SEND_SMS, {"outbound_id": message.id}, max_attempts=8)
    return message


class RedirectedHttpClient(TwilioHttpClient):
    """Sends Twilio's REST calls to another address (an egress proxy, or a test's fake)."""

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        return super().request(method, url.replace("https://api.twilio.com", self.base_url, 1), *args, **kwargs)


def client(config) -> Client:
    http = RedirectedHttpClient(config.twilio_api_url, timeout=10) if config.twilio_api_url else \
        TwilioHttpClient(timeout=10)
    return Client(config.twilio_account_sid, config.twilio_auth_token, http_client=http)


def _send(config, message: SmsOutbound) -> str:
    options = {"to": message.phone, "body": message.body,
               "status_callback": f"{config.public_url}/sms/twilio/status"}
    if config.twilio_messaging_service_sid:
        options["messaging_service_sid"] = config.twilio_messaging_service_sid
    else:
        options["from_"] = config.twilio_from_number
    return client(config).messages.create(**options).sid


@jobs.handles(JobKind.SEND_SMS)
def send(worker: jobs.Runner, session: Session, batch: list[jobs.Claimed]) -> None:
    config = worker.config
    for job in batch:
        message = session.get(SmsOutbound, job.payload.get("outbound_id"))
        if message is None or message.status != "queued":
            jobs.finish(session, job, worker.name)
            continue
        if opted_out(session, message.phone):
            message.status = "suppressed"
            jobs.finish(session, job, worker.name)
            continue
        if not config.twilio_configured:
            message.status = "simulated"  # development without Twilio: /dev/sms shows it
            jobs.finish(session, job, worker.name)
            continue
        try:
            message.twilio_sid = _send(config, message)
            message.status = "sent"
            jobs.finish(session, job, worker.name)
        except TwilioRestException as error:
            retry = error.status == 429 or error.status >= 500
            if error.code == OPTED_OUT:
                session.merge(SmsSender(phone=message.phone, opted_out=True))
                retry = False
            if not retry:
                message.status, message.error_code = "failed", error.code
            jobs.fail(session, job, worker.name, f"Twilio {error.status} {error.code}: {error.msg}",
                      permanent=not retry)
        except OSError as error:  # the network: try again later
            jobs.fail(session, job, worker.name, f"{error.__class__.__name__}: {error}")
        session.commit()


@jobs.handles(JobKind.NOTIFY_FOLLOWERS)
def notify_followers(worker: jobs.Runner, session: Session, batch: list[jobs.Claimed]) -> None:
    """One text per follower per status change: queued with the job's completion, in one commit."""
    for job in batch:
        case = session.get(Case, job.payload.get("case_id"))
        if case is not None:
            for follower in session.scalars(select(CaseFollower).where(
                    CaseFollower.case_id == case.id, CaseFollower.active.is_(True))):
                sender = session.get(SmsSender, follower.phone)
                language = (sender.language if sender else None) or case.language
                queue_text(session, follower.phone, wording.in_language(language, lambda: wording.status_changed(case)))
        jobs.finish(session, job, worker.name)
