"""The case managers' view of the work: the triage queue and what one person may see."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session, aliased

from kiosk.core import actors, audit, cases, emergencies, retaliation, text
from kiosk.core.models import Case, CaseEvent, CaseStatus, EmergencyAlert, EventKind, Facility, StaffUser, utcnow
from kiosk.core.staff_accounts import facility_ids

OPEN = (CaseStatus.NEW, CaseStatus.ACKNOWLEDGED, CaseStatus.IN_REVIEW, CaseStatus.FACILITY_CONTACTED,
        CaseStatus.REFERRED)


@dataclass(frozen=True)
class Filters:
    facility: str | None = None
    category: str | None = None
    status: str | None = None
    language: str | None = None
    overdue: bool = False
    needs_interpreter: bool = False
    assigned_to_me: bool = False
    field_office: str | None = None  # cases route to their facility's field office


def _visible(user: StaffUser, query):
    allowed = facility_ids(user)
    return query if allowed is None else query.where(Case.facility_id.in_(allowed))


# "The case is open", with the statuses written into the SQL rather than bound: SQLite uses the
# partial index ix_cases_open_queue only for a query that repeats the index's IN list word for word.
IS_OPEN = Case.status.in_(bindparam("open_statuses", OPEN, expanding=True, literal_execute=True))
# The queue's order, most urgent first: emergency, medical, legal access, the rest (priority), then by
# due time; the id makes the order total, so that pages neither repeat nor skip a case.
QUEUE_ORDER = (Case.priority, Case.due_at, Case.id)
PAGE_SIZE = 50
# What a queue row shows, and no more: whole Case objects cost more to build than the page to render.
QUEUE_COLUMNS = (Case.number, Case.facility_id, Case.priority, Case.is_emergency, Case.category, Case.language,
                 Case.needs_interpreter, Case.status, Case.due_at)


def _open_cases(user: StaffUser, filters: Filters, now: datetime, *columns):
    query = _visible(user, select(*columns).where(IS_OPEN))
    if filters.facility:
        # The facility's id in a subquery rather than a join: a join lets SQLite's planner start from
        # the facilities and sort every open case.
        query = query.where(Case.facility_id == select(Facility.id).where(Facility.code == filters.facility)
                            .scalar_subquery())
    if filters.field_office:
        query = query.where(Case.facility_id.in_(select(Facility.id).where(Facility.field_office == filters.field_office)))
    if filters.category:
        query = query.where(Case.category == filters.category)
    if filters.status:
        query = query.where(Case.status == filters.status)
    if filters.language:
        query = query.where(Case.language == filters.language)
    if filters.overdue:
        query = query.where(Case.due_at < now)
    if filters.needs_interpreter:
        query = query.where(Case.needs_interpreter.is_(True))
    if filters.assigned_to_me:
        query = query.where(Case.assigned_to_id == user.id)
    return query.order_by(*QUEUE_ORDER)


def queue(session: Session, user: StaffUser, filters: Filters, *, now: datetime | None = None,
          limit: int = 200) -> list[Case]:
    """Open cases, most urgent first, as whole cases (for the export)."""
    return list(session.scalars(_open_cases(user, filters, now or utcnow(), Case).limit(limit)))


@dataclass(frozen=True)
class QueuePage:
    rows: list  # of rows with the QUEUE_COLUMNS as attributes
    number: int  # 1 for the first page
    has_next: bool

    @property
    def first(self) -> int:
        """The position in the queue of the page's first row (1 for the very first)."""
        return (self.number - 1) * PAGE_SIZE + 1


def queue_page(session: Session, user: StaffUser, filters: Filters, page: int = 1, *,
               now: datetime | None = None) -> QueuePage:
    """One page of the queue (PAGE_SIZE rows, only the columns it shows) and whether another follows."""
    query = _open_cases(user, filters, now or utcnow(), *QUEUE_COLUMNS)
    rows = session.execute(query.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return QueuePage(rows[:PAGE_SIZE], page, has_next=len(rows) > PAGE_SIZE)


def counts(session: Session, user: StaffUser, *, now: datetime | None = None) -> dict[str, int]:
    """The figures above the queue, in one pass over the open cases this person may see."""
    now = now or utcnow()
    query = _visible(user, select(
        func.count(),
        func.count().filter(Case.is_emergency.is_(True)),
        func.count().filter(Case.due_at < now),
        func.count().filter(Case.needs_interpreter.is_(True)),
    ).select_from(Case).where(IS_OPEN))
    return dict(zip(("open", "emergency", "overdue", "needs_interpreter"), session.execute(query).one()))


@dataclass(frozen=True)
class OpenEmergency:
    """An open emergency case as the Emergencies view lists it: where its alert stands, never its words."""

    number: str
    facility_code: str
    timezone: str
    kind: str
    status: CaseStatus
    filed_at: datetime
    completed: bool  # False: stored at the emergency screen, the rest of the report never came
    alert_id: int | None  # None for an emergency filed before alerts existed
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    escalations: int


def open_emergencies(session: Session, user: StaffUser) -> list[OpenEmergency]:
    """Every open emergency case this person may see, oldest first, with its alert's state."""
    acknowledger = aliased(StaffUser)
    query = _visible(user, select(
        Case.number, Facility.code, Facility.timezone, Case.emergency_kind, Case.status, Case.created_at,
        Case.completed_at, EmergencyAlert.id.label("alert_id"), EmergencyAlert.acknowledged_at,
        acknowledger.display_name, EmergencyAlert.escalations,
    ).join(Facility, Facility.id == Case.facility_id)
        .outerjoin(EmergencyAlert, EmergencyAlert.case_id == Case.id)
        .outerjoin(acknowledger, acknowledger.id == EmergencyAlert.acknowledged_by_id)
        .where(Case.is_emergency.is_(True), IS_OPEN).order_by(Case.created_at, Case.id))
    return [OpenEmergency(row.number, row.code, row.timezone,
                          emergencies.KIND_NAMES.get(row.emergency_kind, "Emergency"), row.status, row.created_at,
                          row.completed_at is not None, row.alert_id, row.acknowledged_at, row.display_name,
                          row.escalations or 0)
            for row in session.execute(query)]


# The status workflow. An outcome needs a short reason; a closed case can be reopened.
_S = CaseStatus
TRANSITIONS = {
    _S.NEW: (_S.ACKNOWLEDGED, _S.IN_REVIEW, _S.WITHDRAWN),
    _S.ACKNOWLEDGED: (_S.IN_REVIEW, _S.FACILITY_CONTACTED, _S.WITHDRAWN),
    _S.IN_REVIEW: (_S.FACILITY_CONTACTED, _S.REFERRED, _S.RESOLVED, _S.NOT_SUBSTANTIATED, _S.WITHDRAWN),
    _S.FACILITY_CONTACTED: (_S.IN_REVIEW, _S.REFERRED, _S.RESOLVED, _S.NOT_SUBSTANTIATED, _S.WITHDRAWN),
    _S.REFERRED: (_S.IN_REVIEW, _S.RESOLVED, _S.NOT_SUBSTANTIATED, _S.WITHDRAWN),
    _S.RESOLVED: (_S.IN_REVIEW,),
    _S.NOT_SUBSTANTIATED: (_S.IN_REVIEW,),
    _S.WITHDRAWN: (_S.IN_REVIEW,),
}
OUTCOMES = cases.CLOSED  # the statuses that close a case, each needing a reason
REFERRAL_OFFICES = ("Detention Oversight", "Policy and Standards", "External Relations")
MAX_REASON = 2000


class NotAllowed(ValueError):
    """The change is not one the workflow permits, or lacks its reason."""


def move(session: Session, case: Case, status: str, *, staff: str, reason: str = "",
         referred_to: str | None = None) -> CaseEvent:
    if status not in set(CaseStatus):
        raise NotAllowed("Choose one of the statuses the form offers.")
    if status not in TRANSITIONS.get(case.status, ()):
        raise NotAllowed(f"A case that is {case.status.label.lower()} cannot become {CaseStatus(status).label.lower()}.")
    reason = text.clean(reason, limit=MAX_REASON, what="reason")
    if status in OUTCOMES and not reason:
        raise NotAllowed("An outcome needs a short reason.")
    if status == CaseStatus.REFERRED:
        if referred_to not in REFERRAL_OFFICES:
            raise NotAllowed("Say which office the case is referred to.")
        reason = f"Referred to {referred_to}. {reason}".strip()
    return cases.change_status(session, case, status, actor=staff, reason=reason or None)


def _staff_event(session: Session, case: Case, kind: EventKind, body: str, staff: str) -> CaseEvent:
    event = CaseEvent(kind=kind, actor=staff, body=body, language="en", visible_to_detainee=False)
    case.events.append(event)
    case.updated_at = utcnow()
    session.flush()
    audit.record(session, staff, f"case.{kind}_added", case=case, event_id=event.id)
    return event


def add_note(session: Session, case: Case, note: str, *, staff: str) -> CaseEvent:
    """An internal note: never shown outside the console."""
    note = text.clean(note, limit=text.MAX_STAFF_TEXT, what="note", required=True)
    return _staff_event(session, case, EventKind.NOTE, note, staff)


def log_facility_contact(session: Session, case: Case, *, whom: str, how: str, said: str, staff: str) -> CaseEvent:
    """A contact with the facility, logged with what it could be told of who complained at that moment."""
    whom = text.clean(whom, limit=200, what="name of whom you contacted", one_line=True, required=True)
    how = text.clean(how, limit=100, what="way you contacted them", one_line=True, required=True)
    said = text.clean(said, limit=text.MAX_STAFF_TEXT, what="facility's answer")
    body = f"Contacted: {whom}\nHow: {how}\nThe facility said: {said or '-'}\n{retaliation.contact_line(case)}"
    return _staff_event(session, case, EventKind.FACILITY_CONTACT, body, staff)


def assign(session: Session, case: Case, assignee: StaffUser, *, by: StaffUser) -> CaseEvent:
    """Supervisors hand out the work, to case managers who work the case's facility."""
    from kiosk.core.staff_accounts import may_see, sees_every_facility

    if not sees_every_facility(by):
        raise NotAllowed("Only a supervisor assigns cases.")
    if not assignee.active or not may_see(assignee, case):
        raise NotAllowed(f"{assignee.display_name} does not work at this facility.")
    case.assigned_to_id = assignee.id
    return _staff_event(session, case, EventKind.ASSIGNED, f"Assigned to {assignee.display_name}", actors.staff(by))


def change_due(session: Session, case: Case, due_at: datetime, reason: str, *, by: StaffUser) -> CaseEvent:
    from kiosk.core.staff_accounts import sees_every_facility

    if not sees_every_facility(by):
        raise NotAllowed("Only a supervisor changes a due time.")
    reason = text.clean(reason, limit=MAX_REASON, what="reason for the new due time", required=True)
    old, case.due_at = case.due_at, due_at
    zone = ZoneInfo(case.facility.timezone)  # as the case page shows every time: the facility's, with its zone
    old, new = (moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") for moment in (old, due_at))
    return _staff_event(session, case, EventKind.DUE_CHANGED, f"Due {old} -> {new}: {reason}", actors.staff(by))


# A summary is what a case manager would say of the case in a few lines: the queue shows its first line.
MAX_SUMMARY = 600
MAX_SUMMARY_LINES = 10
# Where no summary was written, the queue shows the start of the English translation instead.
SUMMARY_LINE_CHARACTERS = 90


def write_summary(session: Session, case: Case, words: str, *, staff: str) -> str | None:
    """The case manager's summary of the salient points, replacing the last one; empty clears it."""
    words = text.clean(words, limit=MAX_SUMMARY, what="summary")
    lines = [line.rstrip() for line in words.split("\n")]
    if len(lines) > MAX_SUMMARY_LINES:
        raise NotAllowed(f"A summary has at most {MAX_SUMMARY_LINES} lines; this one has {len(lines)}.")
    case.summary, case.summary_by, case.summary_at = "\n".join(lines) or None, staff, utcnow()
    audit.record(session, staff, "case.summary_written" if case.summary else "case.summary_cleared", case=case,
                 characters=len(case.summary or ""))
    return case.summary


def summary_line(case, english: str | None) -> str:
    """One line saying what a case is about, in English: the first line of its summary, or else the
    first words of the complaint's English translation (cut at a word, with an ellipsis). ``case``
    is a Case or a row with a ``summary``; ``english`` the translation's text, if any."""
    if case.summary:
        return next(line.strip() for line in case.summary.split("\n") if line.strip())
    words = " ".join((english or "").split())
    if len(words) <= SUMMARY_LINE_CHARACTERS:
        return words
    cut = words[:SUMMARY_LINE_CHARACTERS + 1].rsplit(" ", 1)[0] or words[:SUMMARY_LINE_CHARACTERS]
    return cut[:SUMMARY_LINE_CHARACTERS].rstrip(" ,;:.-") + "…"


RELATED_WINDOW_DAYS = 30


def related(session: Session, case: Case, *, now: datetime | None = None) -> list[tuple[str, int]]:
    """The same problem elsewhere: cases of this category at other facilities in the last 30 days,
    counted per facility (counts only, so nobody learns of cases they may not open)."""
    from datetime import timedelta

    since = (now or utcnow()) - timedelta(days=RELATED_WINDOW_DAYS)
    rows = session.execute(
        select(Facility.code, func.count(Case.id)).join(Facility, Facility.id == Case.facility_id)
        .where(Case.category == case.category, Case.facility_id != case.facility_id, Case.created_at >= since)
        .group_by(Facility.code).order_by(func.count(Case.id).desc(), Facility.code)
    )
    return [(code, count) for code, count in rows]
