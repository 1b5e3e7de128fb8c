"""The answer to one text message, whoever sent it.

A third party learns about a case only when the detainee authorized it: the
sender's number is one the detainee trusted, or the message carries a share
code the detainee made. A wrong code and an unknown case get the same answer;
five such misses in an hour lock the number out for an hour. A status never
contains the complaint's words, the detainee's name or A-number.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kiosk import audit
from kiosk.credentials import digest
from kiosk.i18n import LANGUAGES
from kiosk.identifiers import InvalidIdentifier, parse_case_number
from kiosk.models import (
    Case, CaseFollower, ShareCode, SmsConversation, SmsInbound, SmsSender, TrustedContact, utcnow,
)
from sms import commands, conversation, wording

LOOKUP_FAILURES = 5
LOOKUP_WINDOW = timedelta(hours=1)
LOCKOUT = timedelta(hours=1)


def sender(session: Session, phone: str) -> SmsSender:
    """The sender's row, created if new. Two first texts from one number may arrive at once."""
    found = session.get(SmsSender, phone)
    if found is None:
        dialect_insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(dialect_insert(SmsSender).values(phone=phone, opted_out=False, updated_at=utcnow())
                        .on_conflict_do_nothing(index_elements=["phone"]))
        found = session.get(SmsSender, phone)
    return found


def authorized_case(session: Session, phone: str, arguments: str) -> Case | None:
    """The case named in the arguments, if this number may see it; None for anything else."""
    case_digits, code = commands.case_and_code(arguments)
    try:
        number = parse_case_number(case_digits)
    except InvalidIdentifier:
        return None
    case = session.scalar(select(Case).where(Case.number == number))
    if case is None:
        return None
    trusted = session.scalar(select(TrustedContact.id).where(
        TrustedContact.case_id == case.id, TrustedContact.phone == phone, TrustedContact.revoked_at.is_(None)))
    if trusted is not None:
        return case
    if code and session.scalar(select(ShareCode.id).where(
            ShareCode.case_id == case.id, ShareCode.code_hash == digest(code), ShareCode.revoked_at.is_(None))):
        return case
    return None


def _recent_failures(session: Session, phone: str, now: datetime) -> int:
    return session.scalar(select(func.count()).select_from(SmsInbound).where(
        SmsInbound.phone == phone, SmsInbound.failed_lookup.is_(True), SmsInbound.received_at > now - LOOKUP_WINDOW))


def language_named(text: str) -> str | None:
    """A language from its code, its English name or its own name, in any case and accents."""
    wanted = commands.normalize(text.strip())
    for language in LANGUAGES:
        names = {language.code, language.code.split("_")[0], language.english_name, language.native_name}
        if wanted in {commands.normalize(name) for name in names}:
            return language.code
    return None


def answer(session: Session, inbound: SmsInbound, when, *, now: datetime | None = None) -> str | None:
    """Decides the reply (None: say nothing) and records what the message changed."""
    now = now or utcnow()
    who = sender(session, inbound.phone)
    command = commands.parse(inbound.body)
    talk = session.get(SmsConversation, inbound.phone)
    if command.name == "STOP":
        who.opted_out = True
        if talk is not None:
            session.delete(talk)
        return None  # Twilio and the carrier confirm an opt-out themselves
    if command.name == "START":
        who.opted_out = False
        return wording.in_language(who.language or command.language, wording.started)
    if who.opted_out:
        return None
    language = who.language or command.language

    if talk is not None:
        if talk.expires_at <= now:
            session.delete(talk)
            if command.name == "UNKNOWN":
                return wording.in_language(talk.language, wording.lapsed)
        elif command.name == "CANCEL":
            session.delete(talk)
            return wording.in_language(talk.language, wording.cancelled)
        else:
            return conversation.step(session, talk, command, inbound.body, language_named)
    if command.name == "NEW":
        return conversation.start(session, inbound.phone, language or "en", now)

    if command.name == "LANG":
        chosen = language_named(command.arguments)
        if chosen is None:
            return wording.in_language(language, wording.usage)
        who.language = chosen
        name = next(l.native_name for l in LANGUAGES if l.code == chosen)
        return wording.in_language(chosen, lambda: wording.language_set(name))

    if command.name in ("STATUS", "FOLLOW"):
        if who.locked_until and who.locked_until > now:
            return wording.in_language(language, wording.locked)
        case = authorized_case(session, inbound.phone, command.arguments)
        if case is None:
            inbound.failed_lookup = True
            if _recent_failures(session, inbound.phone, now) + 1 >= LOOKUP_FAILURES:
                who.locked_until = now + LOCKOUT
                audit.record(session, f"sms:{inbound.phone}", "sms.locked_out")
                return wording.in_language(language, wording.locked)
            return wording.in_language(language, wording.not_found)
        language = who.language or command.language or case.language
        if command.name == "FOLLOW":
            follower = session.scalar(select(CaseFollower).where(
                CaseFollower.case_id == case.id, CaseFollower.phone == inbound.phone))
            if follower is None:
                session.add(CaseFollower(case_id=case.id, phone=inbound.phone))
            else:
                follower.active = True
            audit.record(session, f"sms:{inbound.phone}", "case.followed_by_sms", case=case)
            return wording.in_language(language, lambda: wording.following(case.number))
        audit.record(session, f"sms:{inbound.phone}", "case.status_by_sms", case=case)
        return wording.in_language(language, lambda: wording.status(case, when))

    if command.name == "UNFOLLOW":
        case_digits, _code = commands.case_and_code(command.arguments)
        try:
            number = parse_case_number(case_digits)
        except InvalidIdentifier:
            return wording.in_language(language, wording.usage)
        for follower in session.scalars(select(CaseFollower).join(Case).where(
                Case.number == number, CaseFollower.phone == inbound.phone)):
            follower.active = False
        return wording.in_language(language, lambda: wording.not_following(number))

    return wording.in_language(language, wording.usage)
