"""A staff reply, texted to whoever reported the case by text, in the language they wrote in.

Released on the console, a reply reaches the detainee at the kiosk (when the case has a PIN to
open it with) and, for a case a relative or a lawyer reported by text, that reporter's phone: the
reply's translation into the case's language, within two SMS segments. A reply too long for two
is shortened at a word, and says so; when the detainee has a PIN it also says that the whole
reply is on the kiosk. Trusted numbers that did not report the case and followers are never sent
a reply: they are told of status changes only (sms/outbound.py).

The text is queued by a job that the release stored (kiosk/core/case_translations.py) and sent
through the outbound path; at most one text per reply (SmsOutbound.reply_event_id is unique), so
a retried job, a job taken over after its lease ran out or a reply released twice at once texts once.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core import case_translations, contacts, jobs
from kiosk.core.identifiers import masked_phone
from kiosk.core.languages import BY_CODE
from kiosk.core.models import Case, CaseEvent, EventKind, SmsOutbound
from sms import outbound, segments, wording


def _whole(number: str, reply: str) -> str:
    return _("Answer to complaint %(number)s: %(reply)s", number=number, reply=reply)


def _start_and_kiosk(number: str, reply: str) -> str:
    return _("Start of the answer to complaint %(number)s: %(reply)s... The whole answer is at the kiosk, with "
             "the detainee's PIN.", number=number, reply=reply)


def _start(number: str, reply: str) -> str:
    return _("Start of the answer to complaint %(number)s: %(reply)s...", number=number, reply=reply)


def _longest_start(make, words: str) -> str:
    """``make`` of the longest start of ``words`` that fits two segments, cut between words (between
    characters in a script written without spaces)."""
    cuts = [i for i, ch in enumerate(words) if ch == " "] if " " in words else list(range(1, len(words)))
    low, high, best = 0, len(cuts) - 1, make("")
    while low <= high:  # the texts grow with the cut: the last cut that fits, by bisection
        middle = (low + high) // 2
        said = make(words[:cuts[middle]].rstrip(" ,;:.-"))
        if segments.fits(said):
            best, low = said, middle + 1
        else:
            high = middle - 1
    return best


def _fitted(case: Case, reply: str) -> str:
    whole = _whole(case.number, reply)
    if segments.fits(whole):
        return segments.fit(whole)
    make = _start_and_kiosk if case.pin_hash else _start
    return segments.fit(_longest_start(lambda start: make(case.number, start), " ".join(reply.split())))


def text_for_reporter(case: Case, reply: str) -> str:
    """What the reporter's phone shows, in the case's language (the one they wrote in): the reply
    whole if it fits two segments, else its start and, when the detainee has a PIN, where to read it all."""
    return wording.in_language(case.language, lambda: _fitted(case, reply))


@dataclass(frozen=True)
class Recipient:
    """Who receives a released reply, as the case page lists them before the release."""

    who: str               # in the staff's English
    address: str | None    # a masked phone number, for a text
    text: str | None       # what they will read, when it is known already
    language: str | None   # the English name of the language they read it in


def reply_text(session: Session, case: Case, reply: CaseEvent) -> str | None:
    """The reply in the case's language (a person's translation over the machine's), or None yet."""
    if case.language == case_translations.STAFF_LANGUAGE:
        return reply.body
    translation = case_translations.latest(session, case.id, case.language, reply.id)
    return translation.text if translation else None


def recipients(session: Session, case: Case, reply: CaseEvent) -> list[Recipient]:
    """Who will receive what once this reply is released: the detainee at the kiosk, if a PIN
    opens the case there, and whoever reported it by text. Empty: nobody outside the console."""
    language = BY_CODE[case.language].english_name if case.language in BY_CODE else case.language
    words = reply_text(session, case, reply)
    found = []
    if case.pin_hash:
        found.append(Recipient("The detainee, at the kiosk, after opening the case with their PIN", None, words,
                               language))
    phone = contacts.reporter_by_text(case)
    if phone is not None:
        texted = None if words is None else text_for_reporter(case, words)
        found.append(Recipient(f"Whoever reported the case ({case.submitter_relationship or 'by text'}), by text",
                               masked_phone(phone), texted, language))
    return found


def texts_of(session: Session, replies: list[CaseEvent]) -> dict[int, SmsOutbound]:
    """The text that carried each of these replies to the reporter, by the reply's event id (one query)."""
    ids = [reply.id for reply in replies]
    if not ids:
        return {}
    return {text.reply_event_id: text for text in session.scalars(
        select(SmsOutbound).where(SmsOutbound.reply_event_id.in_(ids)))}


@jobs.handles(jobs.JobKind.TEXT_REPLY)
def text_reply(worker: jobs.Runner, session: Session, batch: list[jobs.Claimed]) -> None:
    """Queues the text of each released reply for its case's reporter, once."""
    for job in batch:
        reply = session.get(CaseEvent, job.payload.get("event_id"))
        if reply is not None and reply.kind == EventKind.REPLY and reply.visible_to_detainee:
            case, already = reply.case, session.scalar(select(SmsOutbound.id)
                                                       .where(SmsOutbound.reply_event_id == reply.id))
            phone, words = contacts.reporter_by_text(case), reply_text(session, case, reply)
            if already is None and phone is not None and words is not None:
                outbound.queue_text(session, phone, text_for_reporter(case, words), reply_event_id=reply.id)  # none if the phone opted out
        jobs.finish(session, job, worker.name)
