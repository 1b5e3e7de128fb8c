"""The worker: takes durable jobs from the database and carries them out.

Run any number of them (``kioskctl worker``), on any machine that reaches the
database. Each job kind has one handler, given every claimed job of its kind
at once, so translations of several queued texts share one batched model call.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
from collections import defaultdict
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk import audit, case_translations, jobs
from kiosk.db import Database
from kiosk.models import Case, CaseEvent, EventKind, Job, JobStatus, Translation, TranslationStatus, utcnow
from kiosk.translation import packages

log = logging.getLogger(__name__)

Handler = Callable[["Worker", Session, list[jobs.Claimed]], None]
HANDLERS: dict[str, Handler] = {}


def handles(kind: str):
    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register


class Worker:
    def __init__(self, database: Database, engine_factory: Callable[[], object], *, name: str | None = None,
                 batch: int = 16, poll_seconds: float = 1.0):
        self.database = database
        self._engine_factory = engine_factory
        self._engine = None
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.poll_seconds = poll_seconds
        import sms.outbound  # noqa: F401  (the SMS gateway's job handlers register themselves)

    @property
    def engine(self):
        """The translation engine, created on first use (a worker carrying only SMS never loads it)."""
        if self._engine is None:
            self._engine = self._engine_factory()
        return self._engine

    def run_once(self) -> int:
        """Claims and carries out one batch of jobs; returns how many were claimed."""
        with self.database.sessions() as session:
            claimed = jobs.claim(session, self.name, limit=self.batch)
            by_kind = defaultdict(list)
            for job in claimed:
                by_kind[job.kind].append(job)
            for kind, batch in by_kind.items():
                handler = HANDLERS.get(kind)
                try:
                    if handler is None:
                        raise LookupError(f"no handler for job kind {kind!r}")
                    handler(self, session, batch)
                    session.commit()
                except Exception as error:  # the jobs are retried with backoff; the error is kept on them
                    session.rollback()
                    log.exception("%d %s job(s) failed", len(batch), kind)
                    for job in batch:
                        jobs.fail(session, job, self.name, f"{error.__class__.__name__}: {error}",
                                  permanent=handler is None)
                    session.commit()
        return len(claimed)

    def run(self, stop: threading.Event) -> None:
        log.info("worker %s started", self.name)
        while not stop.is_set():
            if self.run_once() == 0:
                if self._engine is not None:
                    self._engine.unload_idle()
                stop.wait(self.poll_seconds)
        log.info("worker %s stopped", self.name)


@handles(case_translations.TRANSLATE_JOB)
def translate(worker: Worker, session: Session, batch: list[jobs.Claimed]) -> None:
    from kiosk.translation.engine import Request

    ids = [job.payload.get("translation_id") for job in batch]
    rows = {t.id: t for t in session.scalars(select(Translation).where(Translation.id.in_(ids)))}
    todo = [(job, rows[job.payload.get("translation_id")]) for job in batch if job.payload.get("translation_id") in rows]
    results = worker.engine.translate_many(
        [Request(t.source_text, t.source_language, t.target_language) for _job, t in todo])
    for (job, translation), result in zip(todo, results):
        translation.finished_at = utcnow()
        if result.text is None:
            translation.status = TranslationStatus.UNAVAILABLE.value
            session.get(Case, translation.case_id).needs_interpreter = True
        else:
            translation.text, translation.made_by = result.text, result.made_by
            translation.status = TranslationStatus.DONE.value
            _check_reply(session, translation)
            case = session.get(Case, translation.case_id)
            if case.needs_interpreter:  # translated after a package arrived
                session.flush()
                case_translations.settle_interpreter_flag(session, case)
    for job in batch:
        jobs.finish(session, job, worker.name)


def _check_reply(session: Session, translation: Translation) -> None:
    """A reply, once in the detainee's language, is put back into English for its author to read."""
    if translation.event_id is None or translation.target_language == case_translations.STAFF_LANGUAGE:
        return
    reply = session.get(CaseEvent, translation.event_id)
    if reply is not None and reply.kind == EventKind.REPLY.value:
        case_translations.queue(session, reply.case, translation.text, translation.target_language,
                                case_translations.STAFF_LANGUAGE, reply)


@handles(packages.INSTALL_JOB)
def install_package(worker: Worker, session: Session, batch: list[jobs.Claimed]) -> None:
    """A package an administrator uploaded: checked (its model loaded) and installed here, never in
    a web process. A refused package fails at once with the one-line reason the console shows."""
    actor = f"worker:{worker.name}"
    for job in batch:
        upload, filename = Path(job.payload.get("upload", "")), job.payload.get("filename")
        try:
            package = packages.install_upload(upload, worker.engine.packages_dir)
        except packages.PackageError as refused:
            jobs.fail(session, job, worker.name, str(refused), permanent=True)
            audit.record(session, actor, "package.refused", job_id=job.id, filename=filename, reason=str(refused))
        except Exception as error:  # each job on its own: one upload's trouble must not undo another's install
            log.exception("installing %s failed", filename)
            if jobs.fail(session, job, worker.name, f"{error.__class__.__name__}: {error}") == JobStatus.FAILED.value:
                upload.unlink(missing_ok=True)  # no attempt left
        else:
            session.get(Job, job.id).payload = {**job.payload, "installed": package.label}
            jobs.finish(session, job, worker.name)
            audit.record(session, actor, "package.installed", job_id=job.id, filename=filename,
                         package=package.label, pair=f"{package.from_code}-{package.to_code}")
            case_translations.retry_unavailable(session, {package.from_code, package.to_code}, actor=actor)
