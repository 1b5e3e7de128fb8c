"""NEW: reporting a problem on a detainee's behalf, one short question per text.

language -> facility (by name or code; a short numbered list when several
match) -> the detainee's A-number, or their name -> danger now? -> the sender's
relationship -> category (numbered) -> may the facility be told the person's
name? -> is the person afraid that staff will punish them? (kiosk/core/retaliation.py)
-> the description, over several texts until DONE. Then a case, a share code,
and the sender as a trusted number. The answers are kept in the database
between texts; CANCEL ends it, 24 hours lapse it.

Danger now, or a doctor needed now, files the case at that very answer (its
alert goes out at once) and replies with the numbers to call; the rest of the
questions follow, the category excepted, and DONE completes that same case.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kiosk.core import actors, cases, contacts, hotlines, text
from kiosk.core.categories import CATEGORIES
from kiosk.core.identifiers import InvalidIdentifier, format_share_code, parse_a_number
from kiosk.core.languages import BY_CODE
from kiosk.core.models import Case, Facility, SmsConversation
from sms import commands, wording

LIFETIME = timedelta(hours=24)
MAX_FACILITY_CHOICES = 5
MAX_NAME = 200  # Case.detainee_name
# The danger question's answers: 1 danger now, 2 a doctor needed now (the category each files), 3 no.
EMERGENCY_CATEGORIES = ("safety", "medical")
NO_DANGER = len(EMERGENCY_CATEGORIES) + 1


# step -> (its question, the case's field the answer goes to, the next step, the next question)
PROTECTION_QUESTIONS = {
    "may_name": (wording.ask_may_name, "may_name_to_facility", "fears_retaliation", wording.ask_fears_retaliation),
    "fears_retaliation": (wording.ask_fears_retaliation, "fears_retaliation", "description", wording.ask_description),
}


def _protection(data: dict) -> dict:
    """The reporter's answers to the questions about retaliation (None for one never answered)."""
    return {field: data.get(field) for _asked, field, _following, _next in PROTECTION_QUESTIONS.values()}


def start(session: Session, phone: str, language: str, now: datetime) -> str:
    session.merge(SmsConversation(phone=phone, step="language", language=language, data={},
                                  expires_at=now + LIFETIME))
    return wording.in_language(language, lambda: wording.ask_language(BY_CODE[language].native_name))


def end(session: Session, conversation: SmsConversation, words) -> str:
    """Ends a report unfinished (CANCEL, 24 hours): an emergency it filed stays, and the reply says so."""
    session.delete(conversation)
    filed = conversation.data.get("case_number")
    return wording.in_language(conversation.language, (lambda: wording.emergency_kept(filed)) if filed else words)


def _number(answer: str, count: int) -> int | None:
    """A choice from a numbered list, 1-based; None unless it is one of them."""
    digits = "".join(ch for ch in commands.normalize(answer) if ch.isascii() and ch.isdigit())
    return int(digits) if digits and len(digits) <= 3 and 1 <= int(digits) <= count else None


def _facilities(session: Session, answer: str) -> list[Facility]:
    wanted = answer.strip()
    if not wanted:
        return []
    exact = session.scalars(select(Facility).where(Facility.code == wanted.upper())).all()
    if exact:
        return list(exact)
    words = [w for w in wanted.split() if len(w) > 2] or [wanted]
    query = select(Facility).where(or_(*(Facility.name.ilike(f"%{w}%") for w in words))).order_by(Facility.name)
    return list(session.scalars(query.limit(MAX_FACILITY_CHOICES)))


def step(session: Session, conversation: SmsConversation, command: commands.Command, body: str,
         language_named) -> str:
    """Takes the answer to the current question and asks the next one."""
    data = dict(conversation.data)
    say = lambda make: wording.in_language(conversation.language, make)  # noqa: E731
    words = (body or "").strip()

    if conversation.step == "language":
        chosen = None if _number(words, 1) else language_named(words)
        if chosen is None and not _number(words, 1):
            return say(lambda: wording.ask_language(BY_CODE[conversation.language].native_name))
        conversation.language = chosen or conversation.language
        conversation.step = "facility"
        return say(wording.ask_facility)

    if conversation.step in ("facility", "facility_choice"):
        offered = data.get("offered", [])
        picked = _number(words, len(offered)) if conversation.step == "facility_choice" else None
        if picked:
            data["facility_id"] = offered[picked - 1]
        else:
            found = _facilities(session, words)
            if not found:
                return say(wording.no_facility)
            if len(found) > 1:
                data["offered"] = [f.id for f in found]
                conversation.data, conversation.step = data, "facility_choice"
                listed = ", ".join(f"{n} {f.name} ({f.code})" for n, f in enumerate(found, 1))
                return say(lambda: wording.choose_facility(listed))
            data["facility_id"] = found[0].id
        conversation.data, conversation.step = data, "detainee"
        return say(wording.ask_detainee)

    if conversation.step == "detainee":
        if any(ch.isdigit() for ch in words):
            try:
                data["a_number"] = parse_a_number(words)
            except InvalidIdentifier:
                return say(wording.bad_a_number)
        elif sum(ch.isalpha() for ch in words) >= 2 and len(words) <= MAX_NAME:
            data["detainee_name"] = text.clean(words, limit=MAX_NAME, one_line=True)
        else:
            return say(wording.ask_detainee)
        conversation.data, conversation.step = data, "danger"
        return say(wording.ask_danger)

    if conversation.step == "danger":
        picked = _number(words, NO_DANGER)
        if not picked:
            return say(wording.ask_danger)
        if picked == NO_DANGER:
            conversation.step = "relationship"
            return say(wording.ask_relationship)
        return _file_emergency(session, conversation, data, EMERGENCY_CATEGORIES[picked - 1])

    if conversation.step == "emergency_filed":  # whatever the reply to "Reply 1 for the next questions"
        conversation.step = "relationship"
        return say(wording.ask_relationship)

    if conversation.step == "relationship":
        picked = _number(words, len(cases.RELATIONSHIPS))
        if not picked:
            return say(wording.ask_relationship)
        data["relationship"] = cases.RELATIONSHIPS[picked - 1]
        known = "category" in data  # an emergency's answer said it
        conversation.data, conversation.step = data, "may_name" if known else "category"
        return say(wording.ask_may_name if known else wording.ask_category)

    if conversation.step == "category":
        picked = _number(words, len(CATEGORIES))
        if not picked:
            return say(wording.ask_category)
        data["category"] = CATEGORIES[picked - 1].code
        conversation.data, conversation.step = data, "may_name"
        return say(wording.ask_may_name)

    # The two questions about retaliation: 1 or 2 (or yes, no in the sender's language); else asked again.
    if conversation.step in PROTECTION_QUESTIONS:
        asked, field, following, ask_next = PROTECTION_QUESTIONS[conversation.step]
        answer = commands.yes_or_no(words)
        if answer is None:
            return say(asked)
        data[field] = answer
        conversation.data, conversation.step = data, following
        return say(ask_next)

    # The description, over as many texts as it takes.
    if command.name == "DONE" and not command.arguments:
        if not data.get("description", "").strip():
            return say(wording.ask_description)
        return _complete(session, conversation, data) if "case_id" in data else _file(session, conversation, data)
    described = (data.get("description", "") + "\n" + words).strip()
    if len(described) > cases.MAX_DESCRIPTION:  # refused, not cut: what was sent before stays
        return say(wording.description_too_long)
    data["description"] = described
    conversation.data = data
    return say(wording.more_description)


def _file(session: Session, conversation: SmsConversation, data: dict) -> str:
    case = cases.file_for_detainee(
        session, phone=conversation.phone, relationship=data["relationship"], facility_id=data["facility_id"],
        language=conversation.language, category=data["category"], description=data["description"],
        a_number=data.get("a_number"), detainee_name=data.get("detainee_name"), **_protection(data),
    )
    contacts.add_trusted_contact(session, case, conversation.phone, actor=actors.phone(conversation.phone))
    return _reported(session, conversation, case)


def _reported(session: Session, conversation: SmsConversation, case: Case) -> str:
    """The end of a report: its share code in the reply, the conversation gone."""
    code = contacts.create_share_code(session, case, actor=actors.phone(conversation.phone))
    session.delete(conversation)
    return wording.in_language(conversation.language,
                               lambda: wording.reported(case.number, format_share_code(code).replace(" ", "")))


def _file_emergency(session: Session, conversation: SmsConversation, data: dict, category: str) -> str:
    """The case, stored now with its alert; the sender trusted at once, so STATUS works from this text on."""
    case = cases.file_emergency_for_detainee(
        session, phone=conversation.phone, facility_id=data["facility_id"], language=conversation.language,
        category=category, a_number=data.get("a_number"), detainee_name=data.get("detainee_name"),
    )
    contacts.add_trusted_contact(session, case, conversation.phone, actor=actors.phone(conversation.phone))
    data.update(case_id=case.id, case_number=case.number, category=category)
    conversation.data, conversation.step = data, "emergency_filed"
    phones = emergency_phones(session, case)
    return wording.in_language(conversation.language, lambda: wording.emergency_filed(case.number, phones))


def emergency_phones(session: Session, case: Case) -> list[str]:
    """The numbers for the case's kind of emergency, in the order hotlines decides (outside lines
    first where the danger may come from staff); a free-call code is for the unit's phones, not these."""
    help_now = hotlines.for_emergency(session, case.facility_id, case.emergency_kind)
    return list(dict.fromkeys(hotline.number for hotline in help_now.in_order))


def _complete(session: Session, conversation: SmsConversation, data: dict) -> str:
    case = session.get(Case, data["case_id"])
    if not cases.complete_for_detainee(session, case, relationship=data["relationship"],
                                       description=data["description"], **_protection(data)):
        session.delete(conversation)  # completed already: this DONE adds nothing
        return wording.in_language(conversation.language, lambda: wording.emergency_kept(case.number))
    return _reported(session, conversation, case)
