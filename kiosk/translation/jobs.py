"""The worker's translation jobs: translating queued texts, and installing uploaded packages."""
from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core import actors, audit, case_translations, jobs
from kiosk.core.jobs import JobKind
from kiosk.core.models import Case, CaseEvent, EventKind, Job, JobStatus, Translation, TranslationStatus, utcnow
from kiosk.translation import packages, routes

log = logging.getLogger(__name__)


@jobs.handles(JobKind.TRANSLATE)
def translate(worker: jobs.Runner, session: Session, batch: list[jobs.Claimed]) -> None:
    from kiosk.translation.engine import Request

    ids = [job.payload.get("translation_id") for job in batch]
    rows = {t.id: t for t in session.scalars(select(Translation).where(Translation.id.in_(ids)))}
    todo = [(job, rows[job.payload.get("translation_id")]) for job in batch if job.payload.get("translation_id") in rows]
    results = worker.engine.translate_many(
        [Request(t.source_text, t.source_language, t.target_language) for _job, t in todo])
    for (job, translation), result in zip(todo, results):
        translation.finished_at = utcnow()
        if result.text is None:
            translation.status = TranslationStatus.UNAVAILABLE
        else:
            # made_by holds 200 characters: plenty for two packages' names, versions and licences
            translation.text, translation.made_by = result.text, result.made_by and result.made_by[:200]
            translation.status = TranslationStatus.DONE
            _check_reply(session, translation)
    for case_id in {translation.case_id for _job, translation in todo}:
        case_translations.settle_interpreter_flag(session, session.get(Case, case_id))
    for job in batch:
        jobs.finish(session, job, worker.name)


def _check_reply(session: Session, translation: Translation) -> None:
    """A reply, once in the detainee's language, is put back into English for its author to read."""
    if translation.event_id is None or translation.target_language == case_translations.STAFF_LANGUAGE:
        return
    reply = session.get(CaseEvent, translation.event_id)
    if reply is not None and reply.kind == EventKind.REPLY:
        case_translations.queue(session, reply.case, translation.text, translation.target_language,
                                case_translations.STAFF_LANGUAGE, reply)


@jobs.handles(JobKind.INSTALL_PACKAGE)
def install_package(worker: jobs.Runner, session: Session, batch: list[jobs.Claimed]) -> None:
    """A package an administrator uploaded: checked (its model loaded) and installed here, never in
    a web process. A refused package fails at once with the one-line reason the console shows."""
    actor = actors.worker(worker.name)
    for job in batch:
        upload, filename = Path(job.payload.get("upload", "")), job.payload.get("filename")
        try:
            package = packages.install_upload(upload, worker.config.language_packages)
        except packages.PackageError as refused:
            jobs.fail(session, job, worker.name, str(refused), permanent=True)
            audit.record(session, actor, "package.refused", job_id=job.id, filename=filename, reason=str(refused))
        except Exception as error:  # each job on its own: one upload's trouble must not undo another's install
            log.exception("installing %s failed", filename)
            if jobs.fail(session, job, worker.name, f"{error.__class__.__name__}: {error}") == JobStatus.FAILED:
                upload.unlink(missing_ok=True)  # no attempt left
        else:
            session.get(Job, job.id).payload = {**job.payload, "installed": package.label}
            jobs.finish(session, job, worker.name)
            audit.record(session, actor, "package.installed", job_id=job.id, filename=filename,
                         package=package.credit, covers=package.covers)
            case_translations.retry_unavailable(session, routes.product_codes(package), actor=actor)
