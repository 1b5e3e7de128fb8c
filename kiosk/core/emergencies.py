"""Emergencies reach a person: an alert raised with the case, acknowledged by a person, escalated when nobody does.

An alert is raised in the transaction that stores an emergency case, so an
emergency on record always has one. Every open console page of the staff who
work the facility shows it until someone acknowledges it (the newest
BANNER_LIMIT in full, older ones as a count). If nobody has after
``escalate_after`` (15 minutes unless configured), the worker texts the
facility's on-call phones; after as long again, the supervisors. Each text is
recorded once per alert and phone, so a retried job sends nothing twice, and it
never carries the complaint's words: only the case number, the facility and the
kind of emergency.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.core import actors, audit, jobs, text
from kiosk.core.identifiers import InvalidIdentifier, format_phone, parse_phone
from kiosk.core.models import (
    AlertText,
    Case,
    CaseEvent,
    EmergencyAlert,
    EmergencyKind,
    EventKind,
    Facility,
    OnCallNumber,
    StaffRole,
    StaffUser,
    utcnow,
)

ESCALATE_AFTER = timedelta(minutes=15)
ON_CALL, SUPERVISORS = 1, 2  # the escalation steps, in order
STEP_NAMES = {ON_CALL: "the facility's on-call phones", SUPERVISORS: "the supervisors"}

# The staff's English for each kind, in alerts, texts to on-call phones and the hotline admin (the kiosk
# and the texts to reporters have their own words).
KIND_NAMES = {
    EmergencyKind.SEXUAL_ABUSE: "Sexual abuse or harassment",
    EmergencyKind.DANGER_FROM_DETAINEE: "Danger from another detainee",
    EmergencyKind.DANGER_FROM_STAFF: "Danger from staff",
    EmergencyKind.DANGER: "Danger now",
    EmergencyKind.MEDICAL: "Medical emergency",
}


def raise_alert(session: Session, case: Case, now: datetime) -> EmergencyAlert:
    """The case's alert, with the job that will escalate it if nobody acknowledges it."""
    alert = EmergencyAlert(case_id=case.id, facility_id=case.facility_id, kind=case.emergency_kind,
                           raised_at=now, escalations=0)
    session.add(alert)
    session.flush()
    # Due at once: the worker reschedules it by its own configured delay (escalate, below).
    jobs.enqueue(session, jobs.JobKind.ESCALATE_EMERGENCY, {"alert_id": alert.id}, run_after=now)
    return alert


# --- what the console shows ----------------------------------------------------------

@dataclass(frozen=True)
class OpenAlert:
    id: int
    case_number: str
    facility_code: str
    kind: str
    raised_at: datetime


# The console's banner (and its 2-second poll) shows at most this many alerts, the newest, with the count
# of all: 1,000 left unacknowledged made every console page 601 KB and ~100 ms to draw, on every page a
# case manager opened. The newest, so that a new emergency always shows (and chimes) however many old
# ones are left. The queue lists them all, and the Emergencies page every open emergency case.
BANNER_LIMIT = 10


def open_alerts(session: Session, facility_ids: list[int] | Select | None, *, newest: int | None = None,
                ) -> list[OpenAlert]:
    """Alerts nobody has acknowledged, oldest first, of these facilities (a list, a subquery as
    staff_accounts.works_at gives, or None: every facility). ``newest``: only that many, the most
    recent (still oldest first among them)."""
    query = (select(EmergencyAlert.id, Case.number, Facility.code, EmergencyAlert.kind, EmergencyAlert.raised_at)
             .join(Case, Case.id == EmergencyAlert.case_id).join(Facility, Facility.id == EmergencyAlert.facility_id)
             .order_by(EmergencyAlert.id))
    if newest is None:
        query = query.where(*_open_in(facility_ids))
    else:  # the cases and facilities of those few alerts only
        query = query.where(EmergencyAlert.id.in_(_newest_open(facility_ids, newest)))
    return [OpenAlert(row.id, row.number, row.code, KIND_NAMES.get(row.kind, str(row.kind)), row.raised_at)
            for row in session.execute(query)]


def _newest_open(facility_ids: list[int] | Select | None, limit: int) -> Select:
    """The ids of the newest open alerts, from ix_emergency_alerts_open. Ordered by the bare id,
    PostgreSQL walks the primary key backwards past every acknowledged alert (49,000 in a test
    history: 5 ms, and more as the history grows) instead of sorting the index's few open ones: id + 0."""
    return (select(EmergencyAlert.id).where(*_open_in(facility_ids))
            .order_by((EmergencyAlert.id + 0).desc()).limit(limit))


def open_alert_count(session: Session, facility_ids: list[int] | Select | None) -> int:
    """How many alerts open_alerts would list in full: a count on ix_emergency_alerts_open."""
    return session.scalar(select(func.count()).select_from(EmergencyAlert).where(*_open_in(facility_ids)))


def _open_in(facility_ids: list[int] | Select | None) -> list:
    """The conditions of an open alert of these facilities, as ix_emergency_alerts_open is made for."""
    conditions = [EmergencyAlert.acknowledged_at.is_(None)]
    if facility_ids is not None:
        conditions.append(EmergencyAlert.facility_id.in_(facility_ids))
    return conditions


def alert_of(session: Session, case: Case) -> EmergencyAlert | None:
    return session.scalar(select(EmergencyAlert).where(EmergencyAlert.case_id == case.id))


def acknowledge(session: Session, alert: EmergencyAlert, staff: StaffUser, *, now: datetime | None = None,
                remote_addr: str | None = None) -> bool:
    """A person saw it. One UPDATE decides who acknowledged first; False when someone already had."""
    now = now or utcnow()
    taken = session.execute(
        update(EmergencyAlert).where(EmergencyAlert.id == alert.id, EmergencyAlert.acknowledged_at.is_(None))
        .values(acknowledged_at=now, acknowledged_by_id=staff.id).returning(EmergencyAlert.id)
        .execution_options(synchronize_session=False)).first()
    if taken is None:
        return False
    session.refresh(alert)
    actor = actors.staff(staff)
    alert.case.events.append(CaseEvent(kind=EventKind.ALERT_ACKNOWLEDGED, actor=actor, visible_to_detainee=False,
                                       body=f"Emergency alert acknowledged by {staff.display_name}.",
                                       created_at=now))
    audit.record(session, actor, "case.alert_acknowledged", case=alert.case, alert_id=alert.id,
                 remote_addr=remote_addr)
    return True


# --- escalation, run by the worker ---------------------------------------------------------

def escalation_text(alert: EmergencyAlert) -> str:
    """What an on-call phone is told: never the complaint's words."""
    case = alert.case
    return (f"EMERGENCY not yet acknowledged: case {case.number} at {case.facility.code}, "
            f"{KIND_NAMES.get(alert.kind, str(alert.kind)).lower()}. Open the ombudsman console.")


def recipients(session: Session, alert: EmergencyAlert, step: int) -> list[str]:
    if step == ON_CALL:
        return list(session.scalars(select(OnCallNumber.phone).where(OnCallNumber.facility_id == alert.facility_id)
                                    .order_by(OnCallNumber.id)))
    return list(session.scalars(select(StaffUser.phone).where(
        StaffUser.role == StaffRole.SUPERVISOR, StaffUser.active.is_(True), StaffUser.phone.is_not(None))
        .order_by(StaffUser.id)))


def escalate(session: Session, alert: EmergencyAlert, *, now: datetime, escalate_after: timedelta,
             send: Callable[[Session, str, str], int | None], actor: str) -> datetime | None:
    """Takes every escalation step that is due; returns when the next one is due (None: nothing left).

    ``send(session, phone, body)`` queues a text and returns its outbound id (None: the phone opted
    out). Each (alert, phone) is recorded in the same transaction as its text, so a step retried
    after a crash sends only what it had not sent."""
    while alert.acknowledged_at is None and alert.escalations < SUPERVISORS:
        step = alert.escalations + 1
        due = alert.raised_at + step * escalate_after
        if now < due:
            return due
        already = set(session.scalars(select(AlertText.phone).where(AlertText.alert_id == alert.id)))
        texted, opted_out = [], []
        for phone in dict.fromkeys(recipients(session, alert, step)):
            if phone in already:
                continue
            outbound_id = send(session, phone, escalation_text(alert))
            session.add(AlertText(alert_id=alert.id, step=step, phone=phone, outbound_id=outbound_id, created_at=now))
            (texted if outbound_id is not None else opted_out).append(phone)
        alert.escalations = step
        # Staff reading the timeline must not believe a phone that sent STOP was reached.
        who = ", ".join(format_phone(p) for p in texted) or ("nobody" if opted_out else "nobody (no phone configured)")
        if opted_out:
            who += ". Not texted, opted out: " + ", ".join(format_phone(p) for p in opted_out)
        alert.case.events.append(CaseEvent(
            kind=EventKind.ALERT_ESCALATED, actor=actor, visible_to_detainee=False, created_at=now,
            body=f"Not acknowledged after {_minutes(step * escalate_after)}: texted {STEP_NAMES[step]}: {who}."))
        audit.record(session, actor, "case.alert_escalated", case=alert.case, alert_id=alert.id,
                     step=step, phones=texted, opted_out=opted_out)
    return None


def _minutes(delay: timedelta) -> str:
    minutes = int(delay.total_seconds() // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


# --- who is texted: administrators keep the on-call phones -------------------------------

MAX_NAME = 100


def escalation_phone(raw: str) -> str:
    """A phone an escalation may text (an on-call phone, a supervisor's), in E.164, or a ValueError
    saying how to type it."""
    try:
        return parse_phone(raw)
    except InvalidIdentifier:
        raise ValueError("Type the phone number with its country code, like +1 512 555 0110.") from None


def add_on_call(session: Session, facility: Facility, *, phone: str, name: str, actor: str,
                remote_addr: str | None = None) -> OnCallNumber:
    """An on-call phone for the facility, or a ValueError saying what to fix."""
    phone = escalation_phone(phone)
    name = text.clean(name, limit=MAX_NAME, what="name", one_line=True, required=True)
    number = OnCallNumber(facility_id=facility.id, phone=phone, name=name)
    try:
        with session.begin_nested():
            session.add(number)
            session.flush()
    except IntegrityError:
        raise ValueError("That phone is already on call for this facility.") from None
    audit.record(session, actor, "on_call.added", facility_id=facility.id, remote_addr=remote_addr,
                 on_call_id=number.id, phone=phone, name=name)
    return number


def remove_on_call(session: Session, number: OnCallNumber, *, actor: str, remote_addr: str | None = None) -> None:
    audit.record(session, actor, "on_call.removed", facility_id=number.facility_id, remote_addr=remote_addr,
                 on_call_id=number.id, phone=number.phone, name=number.name)
    session.delete(number)
