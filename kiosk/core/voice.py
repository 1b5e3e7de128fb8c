"""Complaints said aloud at the kiosk.

A recording arrives with the words page (or a message added from the tracking screen), is checked
and re-encoded (kiosk/audio/opus.py) and waits under the draft's submission token; Send attaches
it to the case in the same transaction that files or completes the case, so a recording is never
half-kept. One never sent goes with its session: Finish and time-out delete it, and anything left
waiting longer than a session can last is deleted the next time a recording arrives.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, defer

from kiosk.audio import opus
from kiosk.core.case_translations import settle_interpreter_flag
from kiosk.core.models import Case, CaseEvent, VoiceRecording, utcnow

MAX_SECONDS = 300.0                 # five minutes
MAX_BYTES = 4 * 1024 * 1024         # Opus at 24 kbps is about 190 KB a minute; room for other codecs
ABANDONED_AFTER = timedelta(hours=2)


class RecordingUnusable(ValueError):
    """The recording cannot be kept; the kiosk says so in the person's language."""


def keep_pending(session: Session, token: str, kiosk_id: int, language: str, data: bytes,
                 now: datetime | None = None) -> VoiceRecording:
    """Checks a recording and keeps it for the draft, replacing one recorded before ("record again")."""
    now = now or utcnow()
    try:
        clip = opus.from_upload(data, max_seconds=MAX_SECONDS)
    except opus.AudioError:
        raise RecordingUnusable() from None
    discard_pending(session, token)
    session.execute(delete(VoiceRecording).where(VoiceRecording.case_id.is_(None),
                                                 VoiceRecording.created_at < now - ABANDONED_AFTER))
    recording = VoiceRecording(submission_token=token, kiosk_id=kiosk_id, language=language, clip=clip.data, seconds=clip.seconds,
                               created_at=now)
    session.add(recording)
    return recording


def pending(session: Session, token: str) -> VoiceRecording | None:
    if not token:
        return None
    return session.scalar(select(VoiceRecording).where(VoiceRecording.submission_token == token,
                                                       VoiceRecording.case_id.is_(None)))


def discard_pending(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(VoiceRecording).where(VoiceRecording.submission_token == token,
                                                     VoiceRecording.case_id.is_(None)))


def attach(session: Session, token: str, case: Case, event: CaseEvent | None = None) -> bool:
    """The draft's recording becomes the case's (or the message's), in the caller's transaction.
    Only a person can say in English what was said: the case needs an interpreter until one has."""
    if not token:
        return False
    attached = session.execute(
        update(VoiceRecording).where(VoiceRecording.submission_token == token, VoiceRecording.case_id.is_(None))
        .values(case_id=case.id, event_id=event.id if event is not None else None, submission_token=None)
        .execution_options(synchronize_session=False))
    if attached.rowcount:
        settle_interpreter_flag(session, case)
    return attached.rowcount > 0


def of_event(session: Session, event: CaseEvent) -> list[VoiceRecording]:
    return list(session.scalars(select(VoiceRecording.id).where(VoiceRecording.event_id == event.id)))


def of_text(session: Session, case_id: int, event_id: int | None) -> list[VoiceRecording]:
    """The recordings of one text of a case (None: the complaint itself), without their sound."""
    where = VoiceRecording.event_id.is_(None) if event_id is None else VoiceRecording.event_id == event_id
    return list(session.scalars(select(VoiceRecording).where(VoiceRecording.case_id == case_id, where)
                                .options(defer(VoiceRecording.clip)).order_by(VoiceRecording.id)))


def of_case(session: Session, case: Case) -> list[VoiceRecording]:
    """A case's recordings, oldest first, without their sound (the page plays each on request)."""
    return list(session.scalars(select(VoiceRecording).where(VoiceRecording.case_id == case.id)
                                .options(defer(VoiceRecording.clip)).order_by(VoiceRecording.id)))
