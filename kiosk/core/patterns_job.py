"""The daily pattern job: rate-jump alerts (kiosk/core/rate_alerts.py), then similar complaints
(kiosk/core/similar_complaints.py).

It runs at 03:00 UTC, when the UTC day before has ended and its translations have mostly been made,
and each run queues the next. A worker starting queues one when none waits (and looks again every
hour, so a run that failed for good does not end the chain); a unique index keeps one waiting
however many workers start. ``kioskctl patterns find`` runs it at once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

from sqlalchemy.orm import Session

from kiosk.core import actors, audit, jobs, rate_alerts, similar_complaints
from kiosk.core.jobs import JobKind

RUNS_AT = time(3, 0)  # UTC


def next_run(now: datetime) -> datetime:
    """The next 03:00 UTC after now."""
    today = datetime.combine(now.astimezone(timezone.utc).date(), RUNS_AT, timezone.utc)
    return today if today > now else today + timedelta(days=1)


def schedule(session: Session, now: datetime) -> bool:
    """Queues the next run unless one waits already; True when it queued one."""
    return jobs.schedule_once(session, JobKind.FIND_PATTERNS, next_run(now)) is not None


@dataclass(frozen=True)
class Found:
    alerts: rate_alerts.Run
    groups: similar_complaints.Suggested


def run(session: Session, now: datetime, *, actor: str) -> Found:
    """Both steps in the caller's transaction, and an audit entry saying what they found."""
    alerts = rate_alerts.find(session, now.astimezone(timezone.utc).date())
    groups = similar_complaints.suggest(session, now)
    audit.record(session, actor, "patterns.found", looked=alerts.looked, alerts_raised=alerts.raised,
                 alerts_extended=alerts.extended, cases_read=groups.read, groups_suggested=groups.new_groups,
                 cases_joined=groups.joined)
    return Found(alerts, groups)


@jobs.handles(JobKind.FIND_PATTERNS)
def find_patterns(worker: jobs.Runner, session: Session, batch: list[jobs.Claimed]) -> None:
    now = worker.now()
    run(session, now, actor=actors.worker(worker.name))  # once, however many were claimed
    for job in batch:
        jobs.finish(session, job, worker.name, now=now)
    schedule(session, now)
