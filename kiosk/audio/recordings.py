"""Human recordings: an administrator's upload replaces the synthetic clip of one phrase.

Uploads are checked and re-encoded (kiosk/audio/opus.py) before a row is written; each is a new
version, so a bad recording can be withdrawn and the one before it (or the synthetic voice)
comes back. What the kiosk plays for a language is `playlist`: recordings over synthetic clips.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

from kiosk.audio import cache, opus, phrases
from kiosk.core.models import AudioRecording, utcnow


class RecordingRefused(ValueError):
    """Why a recording was not kept, in one sentence for the administrator."""


@dataclass(frozen=True)
class Coverage:
    language: str
    phrases: int
    human: int
    synthetic: int

    @property
    def missing(self) -> int:
        return self.phrases - self.human - self.synthetic


def _current(language: str):
    """The newest version, not withdrawn, of each phrase's recording in a language."""
    newest = (select(AudioRecording.phrase_key, func.max(AudioRecording.version).label("version"))
              .where(AudioRecording.language == language, AudioRecording.withdrawn_at.is_(None))
              .group_by(AudioRecording.phrase_key).subquery())
    return select(AudioRecording).join(newest, (AudioRecording.phrase_key == newest.c.phrase_key)
                                       & (AudioRecording.version == newest.c.version)) \
        .where(AudioRecording.language == language)


def current(session: Session, language: str) -> dict[str, AudioRecording]:
    """Without the sound itself: pages and lists need only who, when and how long."""
    return {r.phrase_key: r for r in session.scalars(_current(language).options(defer(AudioRecording.clip)))}


def add(session: Session, language: str, phrase_key: str, data: bytes, staff_id: int) -> AudioRecording:
    """Checks an upload and stores it as the phrase's newest version (the caller commits)."""
    known = {p.key for p in phrases.phrases(language)} if language in phrases.spoken_languages() else set()
    if phrase_key not in known:
        raise RecordingRefused("There is no such phrase in that language.")
    try:
        clip = opus.from_upload(data)
    except opus.AudioError as refused:
        raise RecordingRefused(str(refused)) from None
    version = (session.scalar(select(func.max(AudioRecording.version)).where(
        AudioRecording.language == language, AudioRecording.phrase_key == phrase_key)) or 0) + 1
    recording = AudioRecording(language=language, phrase_key=phrase_key, version=version, clip=clip.data,
                               seconds=clip.seconds, digest=hashlib.sha256(clip.data).hexdigest(),
                               uploaded_by_id=staff_id, uploaded_at=utcnow())
    session.add(recording)  # two uploads of one phrase at once: the unique version refuses the second
    return recording


def withdraw(session: Session, recording: AudioRecording) -> None:
    if recording.withdrawn_at is None:
        recording.withdrawn_at = utcnow()


def playlist(session: Session, root: Path, language: str) -> dict[str, str]:
    """Phrase key -> the address part of its clip: "r/<id>-<digest>" for a recording, the synthetic
    clip's file name otherwise. Phrases with neither are left out."""
    found = dict(cache.read_index(root, language))
    for key, recording in current(session, language).items():
        found[key] = f"r/{recording.id}-{recording.digest[:16]}"
    return found


def complete_spoken_languages(session: Session) -> set[str]:
    """The languages offered by ear whose every phrase has a recording: only these are offered.
    One query, made when the language screen is shown."""
    wanted = {code: {p.key for p in phrases.phrases(code)} for code in phrases.spoken_languages()
              if code not in phrases.kiosk_languages()}
    recorded = session.execute(
        select(AudioRecording.language, AudioRecording.phrase_key)
        .where(AudioRecording.language.in_(list(wanted)), AudioRecording.withdrawn_at.is_(None)).distinct()).all()
    have: dict[str, set[str]] = {}
    for language, key in recorded:
        have.setdefault(language, set()).add(key)
    return {code for code, keys in wanted.items() if keys <= have.get(code, set())}


def coverage(session: Session, root: Path) -> list[Coverage]:
    """Per language: how many phrases have a human recording, only a synthetic clip, or nothing."""
    rows = []
    for language in phrases.spoken_languages():
        keys = {p.key for p in phrases.phrases(language)}
        human = keys & set(current(session, language))
        synthetic = {k for k, name in cache.read_index(root, language).items()
                     if k in keys and (root / language / name).exists()} - human
        rows.append(Coverage(language, len(keys), len(human), len(synthetic)))
    return rows
