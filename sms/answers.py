"""The answer to one text message, whoever sent it.

A third party learns about a case only when the detainee authorized it: the
sender's number is one the detainee trusted, or the message carries a share
code the detainee made. A wrong code and an unknown case get the same answer;
five such misses in an hour lock the number out for an hour. A status never
contains the complaint's words, the detainee's name or A-number.

Every text pays for this module, so the common commands use Core statements
built once, on the request's connection (no ORM objects): one query tells who
is texting and which case they may see. Only a NEW report in progress, FOLLOW
and UNFOLLOW load ORM objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session

from kiosk.core import actors
from kiosk.core.credentials import digest
from kiosk.core.identifiers import InvalidIdentifier, parse_case_number
from kiosk.core.languages import LANGUAGES
from kiosk.core.models import (
    AuditEntry, Case, CaseFollower, Facility, ShareCode, SmsConversation, SmsInbound, SmsSender, TrustedContact,
    utcnow,
)
from sms import commands, conversation, wording

LOOKUP_FAILURES = 5
LOOKUP_WINDOW = timedelta(hours=1)
LOCKOUT = timedelta(hours=1)


@dataclass
class Text:
    """One inbound message, and what answering it decided to record beside it."""

    sid: str
    phone: str
    body: str
    failed_lookup: bool = False  # a STATUS or FOLLOW that named no case this number may see
    audit: Audit | None = None  # at most one entry per text, written with it


@dataclass(frozen=True)
class Audit:
    action: str
    case_id: int | None = None
    facility_id: int | None = None


# Everything a text needs to know, in one query, built once: the sender (language, opt-out,
# lockout, a report in progress) and the case named by a STATUS or FOLLOW, only when this
# number may see it (a trusted number, or a share code of that case). Otherwise the case
# columns are NULL, whether the case does not exist or the code is wrong.
_FACTS = select(
    SmsSender.language, SmsSender.opted_out, SmsSender.locked_until,
    select(SmsConversation.phone).where(SmsConversation.phone == SmsSender.phone).exists().label("talking"),
    Case.id.label("case_id"), Case.number, Case.facility_id, Case.language.label("case_language"), Case.status,
    Case.due_at, Case.updated_at, Facility.timezone,
).select_from(SmsSender).outerjoin(Case, and_(
    Case.number == bindparam("number"),
    or_(
        select(TrustedContact.id).where(TrustedContact.case_id == Case.id, TrustedContact.phone == SmsSender.phone,
                                        TrustedContact.revoked_at.is_(None)).exists(),
        select(ShareCode.id).where(ShareCode.case_id == Case.id, ShareCode.code_hash == bindparam("code_hash"),
                                   ShareCode.revoked_at.is_(None)).exists(),
    ),
)).outerjoin(Facility, Facility.id == Case.facility_id).where(SmsSender.phone == bindparam("phone"))
_RECENT_FAILURES = select(func.count()).select_from(SmsInbound).where(
    SmsInbound.phone == bindparam("phone"), SmsInbound.failed_lookup.is_(True),
    SmsInbound.received_at > bindparam("since"))
_UPDATE_SENDER = update(SmsSender).where(SmsSender.phone == bindparam("sender_phone"))
_INSERT_INBOUND = insert(SmsInbound).values(
    message_sid=bindparam("sid"), phone=bindparam("phone"), body=bindparam("body"), reply=bindparam("reply"),
    failed_lookup=bindparam("failed_lookup"), received_at=bindparam("now"))
_INSERT_AUDIT = insert(AuditEntry).values(
    at=bindparam("now"), actor=bindparam("actor"), action=bindparam("action"), case_id=bindparam("case_id"),
    facility_id=bindparam("facility_id"), detail={})
# PostgreSQL takes both rows in one statement, one round trip; SQLite has no INSERT in a WITH.
_INSERT_INBOUND_AND_AUDIT = _INSERT_INBOUND.add_cte(_INSERT_AUDIT.cte("audit"))


def named_case(command: commands.Command) -> tuple[str | None, str | None]:
    """The case number and share code a STATUS or FOLLOW names (None for what it does not)."""
    if command.name not in ("STATUS", "FOLLOW"):
        return None, None
    case_digits, code = commands.case_and_code(command.arguments)
    try:
        number = parse_case_number(case_digits)
    except InvalidIdentifier:
        return None, None
    return number, code


def facts(connection: Connection, phone: str, command: commands.Command) -> Row:
    """The sender's row, created if new (two first texts from one number may arrive at once), and the case."""
    number, code = named_case(command)
    parameters = {"phone": phone, "number": number, "code_hash": digest(code) if code else None}
    found = connection.execute(_FACTS, parameters).first()
    if found is None:
        dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
        connection.execute(dialect_insert(SmsSender).values(phone=phone, opted_out=False, updated_at=utcnow())
                           .on_conflict_do_nothing(index_elements=["phone"]))
        found = connection.execute(_FACTS, parameters).first()
    return found


def _change_sender(connection: Connection, phone: str, **values) -> None:
    connection.execute(_UPDATE_SENDER.values(**values), {"sender_phone": phone})


def language_named(text: str) -> str | None:
    """A language from its code, its English name or its own name, in any case and accents."""
    wanted = commands.normalize(text.strip())
    for language in LANGUAGES:
        names = {language.code, language.code.split("_")[0], language.english_name, language.native_name}
        if wanted in {commands.normalize(name) for name in names}:
            return language.code
    return None


def store(connection: Connection, text: Text, reply: str | None, now: datetime | None = None) -> None:
    """Writes the message with its reply, and the audit entry answering it asked for."""
    values = {"sid": text.sid, "phone": text.phone, "body": text.body, "reply": reply,
              "failed_lookup": text.failed_lookup, "now": now or utcnow()}
    if text.audit is None:
        connection.execute(_INSERT_INBOUND, values)
        return
    values.update(actor=actors.phone(text.phone), action=text.audit.action, case_id=text.audit.case_id,
                  facility_id=text.audit.facility_id)
    if connection.dialect.name == "postgresql":
        connection.execute(_INSERT_INBOUND_AND_AUDIT, values)
    else:
        connection.execute(_INSERT_AUDIT, values)
        connection.execute(_INSERT_INBOUND, values)


def answer(connection: Connection, session: Session, text: Text, *, now: datetime | None = None) -> str | None:
    """Decides the reply (None: say nothing) and records what the message changed.

    ``session`` works in ``connection``'s transaction, for the few commands that use ORM
    objects. The audit entry is only noted on ``text``: ``store`` writes it with the message.
    """
    now = now or utcnow()
    command = commands.parse(text.body)
    who = facts(connection, text.phone, command)
    if command.name == "STOP":
        _change_sender(connection, text.phone, opted_out=True)
        if who.talking:
            session.delete(session.get(SmsConversation, text.phone))
        return None  # Twilio and the carrier confirm an opt-out themselves
    # Someone in the middle of a report has not opted out (STOP ends the report): there, an opt-in
    # word such as YES answers the report's question.
    if command.name == "START" and not who.talking:
        _change_sender(connection, text.phone, opted_out=False)
        return wording.in_language(who.language or command.language, wording.started)
    if who.opted_out:
        return None
    language = who.language or command.language

    # Locked until this text is answered: two texts of one report arriving at once take turns, so an
    # answer sent twice files one case (None: the other text ended the report meanwhile).
    talk = session.get(SmsConversation, text.phone, with_for_update=True) if who.talking else None
    if talk is not None:
        if talk.expires_at <= now:
            if command.name == "UNKNOWN":
                return conversation.end(session, talk, wording.lapsed)
            session.delete(talk)
        elif command.name == "CANCEL":
            return conversation.end(session, talk, wording.cancelled)
        else:
            return conversation.step(session, talk, command, text.body, language_named)
    if command.name == "NEW":
        return conversation.start(session, text.phone, language or "en", now)

    if command.name == "LANG":
        chosen = language_named(command.arguments)
        if chosen is None:
            return wording.in_language(language, wording.usage)
        _change_sender(connection, text.phone, language=chosen)
        name = next(l.native_name for l in LANGUAGES if l.code == chosen)
        return wording.in_language(chosen, lambda: wording.language_set(name))

    if command.name in ("STATUS", "FOLLOW"):
        if who.locked_until and who.locked_until > now:
            return wording.in_language(language, wording.locked)
        if who.case_id is None:
            text.failed_lookup = True
            failures = connection.execute(_RECENT_FAILURES, {"phone": text.phone, "since": now - LOOKUP_WINDOW})
            if failures.scalar_one() + 1 >= LOOKUP_FAILURES:
                _change_sender(connection, text.phone, locked_until=now + LOCKOUT)
                text.audit = Audit("sms.locked_out")
                return wording.in_language(language, wording.locked)
            return wording.in_language(language, wording.not_found)
        case = who  # the case's columns of the same row
        language = who.language or command.language or case.case_language
        if command.name == "FOLLOW":
            follower = session.scalar(select(CaseFollower).where(
                CaseFollower.case_id == case.case_id, CaseFollower.phone == text.phone))
            if follower is None:
                session.add(CaseFollower(case_id=case.case_id, phone=text.phone))
            else:
                follower.active = True
            text.audit = Audit("case.followed_by_sms", case.case_id, case.facility_id)
            return wording.in_language(language, lambda: wording.following(case.number))
        text.audit = Audit("case.status_by_sms", case.case_id, case.facility_id)
        # Dates as the facility's clock shows them: the text has no kiosk to take a time zone from.
        return wording.in_language(language, lambda: wording.status(case, case.timezone))

    if command.name == "UNFOLLOW":
        case_digits, _code = commands.case_and_code(command.arguments)
        try:
            number = parse_case_number(case_digits)
        except InvalidIdentifier:
            return wording.in_language(language, wording.usage)
        for follower in session.scalars(select(CaseFollower).join(Case).where(
                Case.number == number, CaseFollower.phone == text.phone)):
            follower.active = False
        return wording.in_language(language, lambda: wording.not_following(number))

    return wording.in_language(language, wording.usage)
