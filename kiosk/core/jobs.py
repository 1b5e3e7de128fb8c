"""Durable jobs: slow work stored in the same transaction as the change that needs it.

A job is queued with ``enqueue`` inside the caller's transaction, so nothing
acknowledged is ever lost. Workers ``claim`` jobs: one atomic UPDATE that, on
PostgreSQL, skips rows another worker has locked (``FOR UPDATE SKIP LOCKED``),
so two workers never take the same job. A claimed job holds a lease; a worker
that dies lets it expire and another takes the job over. Failures are retried
with exponential backoff and end, after the last attempt, as a visible failed job.

Every kind of job is named here, and each kind's handler registers itself with
``handles``; the worker imports the modules that hold the handlers.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.config import Config
from kiosk.core.models import Job, JobStatus, utcnow


class JobKind(StrEnum):
    TRANSLATE = "translate"                  # kiosk/translation/jobs.py
    INSTALL_PACKAGE = "install_package"      # kiosk/translation/jobs.py
    NOTIFY_FOLLOWERS = "notify_followers"    # sms/outbound.py
    SEND_SMS = "sms"                         # sms/outbound.py
    ESCALATE_EMERGENCY = "escalate_emergency"  # sms/escalation.py
    TEXT_REPLY = "text_reply"                # sms/replies.py: a released reply, to whoever reported by text
    FIND_PATTERNS = "find_patterns"          # kiosk/core/patterns_job.py, daily


LEASE = timedelta(minutes=5)
BACKOFF_BASE = timedelta(seconds=10)
BACKOFF_MAX = timedelta(hours=1)


def enqueue(session: Session, kind: JobKind, payload: dict, *, max_attempts: int = 5,
            run_after: datetime | None = None) -> Job:
    job = Job(kind=kind, payload=payload, max_attempts=max_attempts, run_after=run_after or utcnow())
    session.add(job)
    return job


def schedule_once(session: Session, kind: JobKind, run_after: datetime) -> Job | None:
    """Queues a job of a daily kind unless one already waits; None when one does. Two workers trying
    at once keep one: the unique index ix_jobs_one_queued_daily refuses the second."""
    if session.scalar(select(Job.id).where(Job.kind == kind, Job.status == JobStatus.QUEUED).limit(1)) is not None:
        return None
    try:
        with session.begin_nested():
            job = enqueue(session, kind, {}, run_after=run_after)
            session.flush()
    except IntegrityError:
        return None
    return job


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    payload: dict
    attempts: int
    max_attempts: int


def claim(session: Session, worker: str, *, kinds: tuple[str, ...] | None = None, limit: int = 16,
          lease: timedelta = LEASE, now: datetime | None = None) -> list[Claimed]:
    """Takes due jobs and commits the claim.

    A job whose lease ran out was running when its worker died, perhaps because of that very
    job: it is taken alone, so that a job that kills its worker takes no other job down with it,
    and after its last attempt it ends failed. Otherwise up to ``limit`` queued jobs are taken."""
    now = now or utcnow()
    abandoned = and_(Job.status == JobStatus.RUNNING, Job.lease_until < now)
    session.execute(
        update(Job).where(abandoned, Job.attempts >= Job.max_attempts)
        .values(status=JobStatus.FAILED, finished_at=now, lease_until=None, last_error=ABANDONED)
        .execution_options(synchronize_session=False))
    claimed = (_take(session, worker, abandoned, kinds, 1, now + lease)
               or _take(session, worker, and_(Job.status == JobStatus.QUEUED, Job.run_after <= now), kinds,
                        limit, now + lease))
    session.commit()
    return sorted(claimed, key=lambda job: job.id)


ABANDONED = "its worker stopped during the last attempt (the lease ran out): see the worker's log"


def _take(session: Session, worker: str, due, kinds, limit: int, lease_until: datetime) -> list[Claimed]:
    """One UPDATE marking up to ``limit`` jobs running for this worker; on PostgreSQL it skips rows
    another worker is taking (FOR UPDATE SKIP LOCKED), on SQLite writers take turns anyway."""
    candidates = select(Job.id).where(due)
    if kinds:
        candidates = candidates.where(Job.kind.in_(kinds))
    # A CTE holding FOR UPDATE is evaluated once; a plain IN (subquery) may be re-run by the planner.
    picked = candidates.order_by(Job.run_after, Job.id).limit(limit).with_for_update(skip_locked=True).cte("picked")
    rows = session.execute(
        update(Job)
        .add_cte(picked)
        .where(Job.id.in_(select(picked.c.id)), due)
        .values(status=JobStatus.RUNNING, worker=worker, lease_until=lease_until, attempts=Job.attempts + 1)
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
        .execution_options(synchronize_session=False)
    ).all()
    return [Claimed(*row) for row in rows]


def _still_ours(job: Claimed, worker: str):
    # A worker whose lease expired must not overwrite the work of the one that took over.
    return and_(Job.id == job.id, Job.worker == worker, Job.status == JobStatus.RUNNING)


def finish(session: Session, job: Claimed, worker: str, now: datetime | None = None) -> bool:
    result = session.execute(
        update(Job).where(_still_ours(job, worker))
        .values(status=JobStatus.DONE, finished_at=now or utcnow(), lease_until=None, last_error=None)
    )
    return result.rowcount == 1


def backoff(attempts: int) -> timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def fail(session: Session, job: Claimed, worker: str, error: str, *, permanent: bool = False,
         now: datetime | None = None) -> str:
    """Records a failure: retried later, or failed for good after the last attempt."""
    now = now or utcnow()
    last = permanent or job.attempts >= job.max_attempts
    values = {"last_error": error[:2000], "lease_until": None}
    if last:
        values.update(status=JobStatus.FAILED, finished_at=now)
    else:
        values.update(status=JobStatus.QUEUED, run_after=now + backoff(job.attempts))
    session.execute(update(Job).where(_still_ours(job, worker)).values(**values))
    return values.get("status", JobStatus.QUEUED)


def counts(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.status, func.count()).group_by(Job.status))
    return {status: count for status, count in rows}


def failed(session: Session, limit: int = 100) -> list[Job]:
    return list(session.scalars(
        select(Job).where(Job.status == JobStatus.FAILED).order_by(Job.finished_at.desc()).limit(limit)))


def retry(session: Session, job_id: int) -> bool:
    """Gives a failed job a fresh set of attempts."""
    result = session.execute(
        update(Job).where(Job.id == job_id, Job.status == JobStatus.FAILED)
        .values(status=JobStatus.QUEUED, attempts=0, run_after=utcnow(), finished_at=None)
    )
    return result.rowcount == 1


class Runner(Protocol):
    """What a handler is given besides its session and jobs: the worker that runs them."""

    name: str
    config: Config  # the deployment's configuration: handlers never read a Flask app's

    def now(self) -> datetime:
        """The worker's clock (a test's may be set forward)."""

    @property
    def engine(self):
        """The translation engine, loaded on first use."""


Handler = Callable[[Runner, Session, list[Claimed]], None]
HANDLERS: dict[str, Handler] = {}


def handles(kind: JobKind) -> Callable[[Handler], Handler]:
    """Registers the function that carries out every claimed job of one kind, given all at once."""

    def register(function: Handler) -> Handler:
        HANDLERS[kind] = function
        return function

    return register
