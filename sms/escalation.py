"""The worker's side of an emergency nobody acknowledged: texts to on-call phones, then supervisors.

The decisions (who, when, recorded once) are kiosk.core.emergencies'; this module
runs them on schedule and hands the texts to the outbound queue, which honours STOP
and records a text as simulated when Twilio is not configured.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from kiosk.core import actors, emergencies, jobs
from kiosk.core.jobs import JobKind
from kiosk.core.models import EmergencyAlert
from sms import outbound


def _send(session: Session, phone: str, body: str) -> int | None:
    message = outbound.queue_text(session, phone, body)
    return message.id if message is not None else None


@jobs.handles(JobKind.ESCALATE_EMERGENCY)
def escalate(worker: jobs.Runner, session: Session, batch: list[jobs.Claimed]) -> None:
    now = worker.now()
    for job in batch:
        alert = session.get(EmergencyAlert, job.payload.get("alert_id"), with_for_update=True)
        if alert is not None:
            due = emergencies.escalate(session, alert, now=now, escalate_after=worker.config.emergency_escalate_after,
                                       send=_send, actor=actors.worker(worker.name))
            if due is not None:  # the next step's own job, due when it is; this one is done
                jobs.enqueue(session, JobKind.ESCALATE_EMERGENCY, {"alert_id": alert.id}, run_after=due)
        jobs.finish(session, job, worker.name, now=now)
