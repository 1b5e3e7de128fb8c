"""People who translate what no package can, or better than one: requests, the interpreter's work, credit.

A case manager or supervisor asks for one text of a case, or every text a person has not yet
translated, in one language, by a time, from an interpreter account (who works the case's
facility) or from a telephone interpreting service (its reference recorded; a staff member
enters what the service said). The translation that comes back is a person's Translation of
that text, shown above the machine's and credited. Whether the case still needs an interpreter
is settled in one place: case_translations.settle_interpreter_flag.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kiosk.core import actors, audit, text
from kiosk.core.case_translations import STAFF_LANGUAGE, CaseText, settle_interpreter_flag, texts_of
from kiosk.core.languages import NAMED
from kiosk.core.models import (
    Case, CaseEvent, Facility, Interpretation, InterpretationStatus, StaffRole, StaffUser, Translation,
    TranslationStatus, utcnow,
)
from kiosk.core.staff_accounts import may_see

WHOLE_CASE = "case"
MAX_AHEAD = timedelta(days=60)
DEFAULT_DUE = timedelta(days=2)  # what the request form offers
MAX_REFERENCE = 64
KIND_NAMES = {"complaint": "the complaint's words", "message": "a later message", "reply": "a staff reply"}


class Refused(ValueError):
    """The request cannot be made as asked; the message says why, to the person who asked."""


def interpreters_for(session: Session, case: Case) -> list[StaffUser]:
    """The active interpreter accounts that work the case's facility."""
    return list(session.scalars(
        select(StaffUser).where(StaffUser.role == StaffRole.INTERPRETER, StaffUser.active.is_(True),
                                StaffUser.facilities.any(Facility.id == case.facility_id))
        .order_by(StaffUser.display_name)))


def open_requests(session: Session, case: Case) -> dict[int | None, Interpretation]:
    """The case's open requests, by the text they are for (None: the complaint's words)."""
    return {row.event_id: row for row in session.scalars(select(Interpretation).where(
        Interpretation.case_id == case.id, Interpretation.status == InterpretationStatus.REQUESTED))}


def request(session: Session, case: Case, *, which: str, language: str, due_at: datetime,
            interpreter: StaffUser | None, vendor_reference: str, by: StaffUser,
            now: datetime | None = None) -> list[Interpretation]:
    """Asks for one text (``which``: "words" or a message's or reply's event id, as typed) or the whole
    case (WHOLE_CASE: every text no person has translated, that no request covers and, for a reply,
    that is not out yet). Refused, with the reason, for anything else; nothing is stored half."""
    now = now or utcnow()
    if language not in NAMED or language == STAFF_LANGUAGE:
        raise Refused("Choose the language the interpreter translates from or into (not English).")
    if not now < due_at <= now + MAX_AHEAD:
        raise Refused(f"The interpretation is due between now and {MAX_AHEAD.days} days from now.")
    reference = text.clean(vendor_reference, limit=MAX_REFERENCE, what="service's reference", one_line=True)
    if interpreter is None and not reference:
        raise Refused("Choose an interpreter, or the telephone interpreting service and its reference.")
    if interpreter is not None:
        if interpreter.role != StaffRole.INTERPRETER or not interpreter.active or not may_see(interpreter, case):
            raise Refused(f"{interpreter.display_name} is not an interpreter at this facility.")
        reference = None
    texts, already = texts_of(session, case), open_requests(session, case)
    if which == WHOLE_CASE:
        out = {event.id for event in case.events if event.visible_to_detainee}
        chosen = [t for t in texts if not t.by_person and t.event_id not in already and t.event_id not in out]
        if not chosen:
            raise Refused("Every text of this case has a person's translation or an open request already.")
    else:
        chosen = [t for t in texts if _key(t) == which]
        if not chosen:
            raise Refused("Choose a text of this case that needs translating.")
        if chosen[0].event_id in already:
            raise Refused("This text is with an interpreter already: cancel that request first to ask again.")
    made = []
    for one in chosen:
        source, target = ((STAFF_LANGUAGE, language) if one.kind == "reply" else (language, STAFF_LANGUAGE))
        made.append(Interpretation(
            case_id=case.id, event_id=one.event_id, source_language=source, target_language=target, due_at=due_at,
            interpreter_id=interpreter.id if interpreter else None, vendor_reference=reference,
            requested_by=actors.staff(by), requested_at=now))
    session.add_all(made)
    session.flush()
    audit.record(session, actors.staff(by), "interpretation.requested", case=case,
                 interpretation_ids=[row.id for row in made], language=language,
                 to=f"staff:{interpreter.id}" if interpreter else f"telephone service, ref {reference}")
    return made


def _key(one: CaseText) -> str:
    """How a form names a text: "words" for the complaint's, else the message's or reply's event id."""
    return "words" if one.event_id is None else str(one.event_id)


def choices(texts: list[CaseText]) -> list[tuple[str, CaseText]]:
    return [(_key(one), one) for one in texts]


def for_interpreter(session: Session, user: StaffUser, interpretation_id: int) -> Interpretation | None:
    """The open request, if it was sent to this interpreter and they still work its case's facility."""
    found = session.get(Interpretation, interpretation_id)
    if (found is None or found.interpreter_id != user.id or found.status != InterpretationStatus.REQUESTED
            or not may_see(user, found.case)):
        return None
    return found


def words_of(session: Session, interpretation: Interpretation) -> str:
    """The text to translate, as it stands now."""
    if interpretation.event_id is None:
        return interpretation.case.description
    return session.get(CaseEvent, interpretation.event_id).body


def complete(session: Session, interpretation: Interpretation, words: str, *, by: StaffUser,
             now: datetime | None = None) -> Translation:
    """The person's translation: stored as the text's human translation, credited, the request done.
    One UPDATE claims the request, so a double submit stores one translation."""
    words = text.clean(words, limit=text.MAX_STAFF_TEXT, what="translation", required=True)
    now = now or utcnow()
    claimed = session.execute(
        update(Interpretation).where(Interpretation.id == interpretation.id,
                                     Interpretation.status == InterpretationStatus.REQUESTED)
        .values(status=InterpretationStatus.DONE, finished_by=actors.staff(by), finished_at=now)
        .returning(Interpretation.id).execution_options(synchronize_session=False)).first()
    if claimed is None:
        raise Refused("This request is no longer open: its translation was entered already, or it was cancelled.")
    session.refresh(interpretation)
    translation = Translation(
        case_id=interpretation.case_id, event_id=interpretation.event_id,
        source_language=interpretation.source_language, target_language=interpretation.target_language,
        source_text=words_of(session, interpretation), text=words, status=TranslationStatus.DONE, human=True,
        made_by=actors.staff(by), finished_at=now)
    session.add(translation)
    session.flush()
    interpretation.translation_id = translation.id
    settle_interpreter_flag(session, interpretation.case)
    audit.record(session, actors.staff(by), "interpretation.done", case=interpretation.case,
                 interpretation_id=interpretation.id, translation_id=translation.id)
    return translation


def cancel(session: Session, interpretation: Interpretation, *, by: StaffUser, now: datetime | None = None) -> None:
    if interpretation.status != InterpretationStatus.REQUESTED:
        raise Refused("This request is no longer open.")
    interpretation.status = InterpretationStatus.CANCELLED
    interpretation.finished_by, interpretation.finished_at = actors.staff(by), now or utcnow()
    audit.record(session, actors.staff(by), "interpretation.cancelled", case=interpretation.case,
                 interpretation_id=interpretation.id)


def of_case(session: Session, case: Case) -> list[Interpretation]:
    return list(session.scalars(select(Interpretation).where(Interpretation.case_id == case.id)
                                .order_by(Interpretation.id)))


def credits(session: Session, done: list[Interpretation]) -> dict[int, str]:
    """"Translated by <name>" for each person's translation a request brought, by translation id."""
    names = actors.names(session, [row.finished_by for row in done])
    return {row.translation_id: (f"Translated by {names[row.finished_by]}" if row.interpreter_id else
                                 f"Telephone interpreting service, ref {row.vendor_reference}, entered by "
                                 f"{names[row.finished_by]}")
            for row in done if row.status == InterpretationStatus.DONE and row.translation_id}


@dataclass(frozen=True)
class Waiting:
    """A text waiting for a person: untranslated by any machine, or asked of an interpreter."""

    case_number: str
    facility_code: str
    timezone: str
    language: str  # the side that is not English
    kind: str
    since: datetime  # when the text arrived (nothing translates it) or was asked for (a person should)
    request: Interpretation | None


def waiting(session: Session, facility_ids: list[int] | None = None, *,
            interpreter: StaffUser | None = None) -> list[Waiting]:
    """What waits for a person, oldest first: every text of a case marked "needs interpreter" and every
    open request, in these facilities (None: all); for an interpreter, only the requests sent to them."""
    requests = select(Interpretation).join(Case, Case.id == Interpretation.case_id).where(
        Interpretation.status == InterpretationStatus.REQUESTED)
    if interpreter is not None:
        requests = requests.where(Interpretation.interpreter_id == interpreter.id)
    if facility_ids is not None:
        requests = requests.where(Case.facility_id.in_(facility_ids))
    asked: dict[int, dict[int | None, Interpretation]] = {}
    for row in session.scalars(requests):
        asked.setdefault(row.case_id, {})[row.event_id] = row
    ids = set(asked)
    if interpreter is None:
        flagged = select(Case.id).where(Case.needs_interpreter.is_(True))
        if facility_ids is not None:
            flagged = flagged.where(Case.facility_id.in_(facility_ids))
        ids |= set(session.scalars(flagged))
    rows = []
    for case in session.scalars(select(Case).where(Case.id.in_(ids))) if ids else ():
        for one in texts_of(session, case):
            found = asked.get(case.id, {}).get(one.event_id)
            if found is None and (interpreter is not None or not one.needs_interpreter):
                continue
            source, target = (found.source_language, found.target_language) if found else (
                one.source_language, one.target_language)
            rows.append(Waiting(case.number, case.facility.code, case.facility.timezone,
                                source if target == STAFF_LANGUAGE else target, one.kind,
                                one.arrived_at if one.needs_interpreter or found is None else found.requested_at,
                                found))
    return sorted(rows, key=lambda row: (row.since, row.case_number))


def by_language(rows: list[Waiting]) -> list[tuple[str, list[Waiting]]]:
    """The rows per language, the language whose text has waited longest first."""
    groups: dict[str, list[Waiting]] = {}
    for row in rows:  # already oldest first
        groups.setdefault(row.language, []).append(row)
    return list(groups.items())
