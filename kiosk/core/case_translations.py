"""Every text of a case readable on both sides: queued translation, corrections, replies.

Translations are queued in the transaction that stores the text, as durable
jobs the worker carries out. A staff reply reaches the detainee only once
translated and released by its author, who can read its back-translation first.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core import audit, jobs, text
from kiosk.core.models import Case, CaseEvent, EventKind, Translation, TranslationStatus, utcnow

STAFF_LANGUAGE = "en"


def queue(session: Session, case: Case, words: str, source: str, target: str,
          event: CaseEvent | None = None) -> Translation | None:
    """Queues a machine translation of ``words``; nothing when there is nothing to translate."""
    if source == target or not words.strip():
        return None
    translation = Translation(case_id=case.id, event_id=event.id if event else None, source_language=source,
                              target_language=target, source_text=words)
    session.add(translation)
    session.flush()
    jobs.enqueue(session, jobs.JobKind.TRANSLATE, {"translation_id": translation.id})
    return translation


def queue_for_new_case(session: Session, case: Case) -> None:
    queue(session, case, case.description, case.language, STAFF_LANGUAGE)


def retry_unavailable(session: Session, languages: set[str], *, actor: str) -> int:
    """A package for these languages arrived: texts no package could translate are tried again.

    The worker translates them or marks them unavailable once more; a case whose
    texts all translate no longer waits for an interpreter (kiosk/translation/jobs.py).
    """
    waiting = session.scalars(select(Translation).where(
        Translation.status == TranslationStatus.UNAVAILABLE,
        (Translation.source_language.in_(languages)) | (Translation.target_language.in_(languages)))).all()
    for translation in waiting:
        translation.status = TranslationStatus.PENDING
        translation.finished_at = None
        jobs.enqueue(session, jobs.JobKind.TRANSLATE, {"translation_id": translation.id})
    if waiting:
        audit.record(session, actor, "translation.retried", count=len(waiting), languages=sorted(languages))
    return len(waiting)


def settle_interpreter_flag(session: Session, case: Case) -> None:
    """A case needs an interpreter while any of its texts could not be machine-translated."""
    case.needs_interpreter = session.scalar(select(Translation.id).where(
        Translation.case_id == case.id, Translation.status == TranslationStatus.UNAVAILABLE).limit(1)) is not None


def latest(session: Session, case_id: int, target: str, event_id: int | None = None) -> Translation | None:
    """The translation to show: a person's correction over the machine's, newest first."""
    query = select(Translation).where(
        Translation.case_id == case_id, Translation.target_language == target,
        Translation.event_id.is_(None) if event_id is None else Translation.event_id == event_id,
        Translation.status == TranslationStatus.DONE,
    ).order_by(Translation.human.desc(), Translation.id.desc())
    return session.scalars(query).first()


def messages_in_english(session: Session, case: Case) -> dict[int, Translation]:
    """The English of each later message from the detainee, by event id (one query for all)."""
    ids = [event.id for event in case.events if event.kind == EventKind.DETAINEE_MESSAGE]
    if not ids:
        return {}
    rows = session.scalars(select(Translation).where(
        Translation.event_id.in_(ids), Translation.target_language == STAFF_LANGUAGE,
        Translation.status == TranslationStatus.DONE,
    ).order_by(Translation.human, Translation.id))
    return {row.event_id: row for row in rows}  # the last one wins: a person's, else the newest


def correct(session: Session, machine: Translation, words: str, *, staff: str) -> Translation:
    """A person's translation, stored beside the machine's (which is kept)."""
    words = text.clean(words, limit=text.MAX_STAFF_TEXT, what="translation", required=True)
    human = Translation(
        case_id=machine.case_id, event_id=machine.event_id, source_language=machine.source_language,
        target_language=machine.target_language, source_text=machine.source_text, text=words,
        status=TranslationStatus.DONE, human=True, made_by=staff, finished_at=utcnow(),
    )
    session.add(human)
    session.flush()
    audit.record(session, staff, "translation.corrected", case=session.get(Case, machine.case_id),
                 translation_id=human.id)
    return human


def draft_reply(session: Session, case: Case, words: str, *, staff: str) -> CaseEvent:
    """A reply in English, held back from the detainee until translated and released."""
    words = text.clean(words, limit=text.MAX_STAFF_TEXT, what="reply", required=True)
    reply = CaseEvent(kind=EventKind.REPLY, actor=staff, body=words, language=STAFF_LANGUAGE,
                      visible_to_detainee=False)
    case.events.append(reply)
    session.flush()
    queue(session, case, words, STAFF_LANGUAGE, case.language, reply)  # nothing queued for an English reader
    audit.record(session, staff, "case.reply_drafted", case=case, event_id=reply.id)
    return reply


def back_translation(session: Session, reply: CaseEvent) -> Translation | None:
    """The reply's translation put back into English, so its author can check it."""
    forward = latest(session, reply.case_id, reply.case.language, reply.id)
    if forward is None:
        return None
    return session.scalar(
        select(Translation).where(
            Translation.event_id == reply.id, Translation.target_language == STAFF_LANGUAGE,
            Translation.status == TranslationStatus.DONE,
        ).order_by(Translation.id.desc())
    )


class NotReady(ValueError):
    """The reply has no translation in the detainee's language yet."""

    def __init__(self):
        super().__init__("The reply has no translation yet: release it once it has one.")


def release_reply(session: Session, reply: CaseEvent, *, staff: str) -> None:
    case = reply.case
    if case.language != STAFF_LANGUAGE and latest(session, case.id, case.language, reply.id) is None:
        raise NotReady()
    reply.visible_to_detainee = True
    audit.record(session, staff, "case.reply_released", case=case, event_id=reply.id)


def text_for_detainee(session: Session, case: Case, event: CaseEvent) -> str | None:
    """What the kiosk shows for a message: in the detainee's language, or nothing yet."""
    if event.language == case.language:
        return event.body
    translation = latest(session, case.id, case.language, event.id)
    return translation.text if translation else None


def needing_interpreter(session: Session, facility_ids: list[int] | None = None) -> list[Case]:
    """Cases no installed package could translate: a person must read them."""
    query = select(Case).where(Case.needs_interpreter.is_(True)).order_by(Case.priority, Case.due_at)
    if facility_ids is not None:
        query = query.where(Case.facility_id.in_(facility_ids))
    return list(session.scalars(query))
