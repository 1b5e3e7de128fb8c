"""Every text of a case readable on both sides: queued translation, corrections, replies.

Translations are queued in the transaction that stores the text, as durable
jobs the worker carries out. A staff reply reaches the detainee only once
translated and released by its author, who can read its back-translation first.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core import audit, contacts, jobs, milestones, text
from kiosk.core.models import Case, CaseEvent, EventKind, Translation, TranslationStatus, VoiceRecording, utcnow

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
        for case_id in {translation.case_id for translation in waiting}:
            settle_interpreter_flag(session, session.get(Case, case_id))  # the machine is on them again
    return len(waiting)


@dataclass(frozen=True)
class CaseText:
    """One text of a case that its other reader needs in their language: the complaint's own words
    and the detainee's later messages (into English), and each staff reply (into the detainee's).
    A reply's back-translation is its author's check, not a text of the case."""

    event_id: int | None  # None: the complaint's own words
    kind: str  # "complaint", "message" or "reply"
    words: str
    source_language: str
    target_language: str
    arrived_at: datetime
    translated: bool  # a finished translation exists, the machine's or a person's
    by_person: bool  # a person's is among them
    machine_at_work: bool  # queued for the worker (first try, or again after a package arrived)
    spoken: bool = False  # said aloud at the kiosk (kiosk/core/voice.py): only a person can translate it

    @property
    def needs_interpreter(self) -> bool:
        """Neither the machine nor a person has translated it, and the machine is not still trying.
        What was said aloud, only a person can translate: a machine's English of the typed words
        beside it does not say what the recording says."""
        if self.spoken:
            return not self.by_person
        return not self.translated and not self.machine_at_work


def texts_of(session: Session, case: Case) -> list[CaseText]:
    """Every text of the case and where its translation stands, oldest first (one query)."""
    rows = session.scalars(select(Translation).where(Translation.case_id == case.id)).all()
    # What was said aloud, by the text it belongs to, in the language the kiosk spoke (K'iche' on a
    # Spanish screen): the language an interpreter needs.
    spoken = {event_id: language for event_id, language in session.execute(
        select(VoiceRecording.event_id, VoiceRecording.language).where(VoiceRecording.case_id == case.id))}
    wanted = []
    typed = case.description.strip() and case.language != STAFF_LANGUAGE
    if typed or spoken.get(None, STAFF_LANGUAGE) != STAFF_LANGUAGE:
        wanted.append((None, "complaint", case.description, spoken.get(None, case.language), STAFF_LANGUAGE,
                       case.completed_at or case.created_at))
    for event in case.events:
        if event.kind == EventKind.DETAINEE_MESSAGE and spoken.get(event.id, event.language) != STAFF_LANGUAGE:
            wanted.append((event.id, "message", event.body, spoken.get(event.id, event.language), STAFF_LANGUAGE,
                           event.created_at))
        elif event.kind == EventKind.REPLY and case.language != STAFF_LANGUAGE:
            wanted.append((event.id, "reply", event.body, STAFF_LANGUAGE, case.language, event.created_at))
    texts = []
    for event_id, kind, words, source, target, arrived_at in wanted:
        # The complaint's words can be stored after an emergency was (then first translated): only
        # a translation of the words as they stand counts.
        mine = [row for row in rows if row.event_id == event_id and row.target_language == target
                and (event_id is not None or row.source_text == words)]
        done = [row for row in mine if row.status == TranslationStatus.DONE]
        texts.append(CaseText(event_id, kind, words, source, target, arrived_at, translated=bool(done),
                              by_person=any(row.human for row in done),
                              machine_at_work=any(row.status == TranslationStatus.PENDING for row in mine),
                              spoken=kind != "reply" and event_id in spoken))
    return texts


def settle_interpreter_flag(session: Session, case: Case) -> None:
    """The one place Case.needs_interpreter is set: true exactly while some text of the case has
    neither a finished machine translation nor a person's, and the machine is not still at it.
    Called whenever a translation finishes, is made by a person, or is tried again."""
    session.flush()
    case.needs_interpreter = any(text.needs_interpreter for text in texts_of(session, case))


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
    case = session.get(Case, machine.case_id)
    settle_interpreter_flag(session, case)
    audit.record(session, staff, "translation.corrected", case=case, translation_id=human.id)
    return human


def draft_reply(session: Session, case: Case, words: str, *, staff: str) -> CaseEvent:
    """A reply in English, held back from the detainee until translated and released."""
    words = text.clean(words, limit=text.MAX_STAFF_TEXT, what="reply", required=True)
    reply = CaseEvent(kind=EventKind.REPLY, actor=staff, body=words, language=STAFF_LANGUAGE,
                      visible_to_detainee=False)
    case.events.append(reply)
    milestones.acted_on(case, utcnow())
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


def release_reply(session: Session, reply: CaseEvent, *, staff: str) -> bool:
    """Shows the translated reply to the detainee at the kiosk and, for a case reported by text,
    queues its text to the reporter (sms/replies.py). False when it was released already: a
    double submit queues nothing twice."""
    case = reply.case
    if case.language != STAFF_LANGUAGE and latest(session, case.id, case.language, reply.id) is None:
        raise NotReady()
    if reply.visible_to_detainee:
        return False
    reply.visible_to_detainee = True
    reporter = contacts.reporter_by_text(case)
    if reporter is not None:
        jobs.enqueue(session, jobs.JobKind.TEXT_REPLY, {"event_id": reply.id}, max_attempts=8)
    audit.record(session, staff, "case.reply_released", case=case, event_id=reply.id, texted_to_reporter=reporter is not None)
    return True


def text_for_detainee(session: Session, case: Case, event: CaseEvent) -> str | None:
    """What the kiosk shows for a message: in the detainee's language, or nothing yet."""
    if event.language == case.language:
        return event.body
    translation = latest(session, case.id, case.language, event.id)
    return translation.text if translation else None
