"""The case managers' view of the work: the triage queue and what one person may see."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session, aliased

from kiosk.core import actors, audit, cases, emergencies, field_offices, milestones, retaliation, text
from kiosk.core.case_translations import STAFF_LANGUAGE
from kiosk.core.categories import CATEGORIES
from kiosk.core.languages import BY_CODE
from kiosk.core.models import (
    Case, CaseEvent, CaseStatus, EmergencyAlert, EventKind, Facility, HousingUnit, StaffRole, StaffUser, Translation,
    TranslationStatus, utcnow,
)
from kiosk.core.staff_accounts import facility_ids, may_see, sees_every_facility

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

    def as_query(self) -> dict[str, str]:
        """The filters in force as the queue's query parameters (for links, exports, saved filters)."""
        return {name: value for name, value in (
            ("facility", self.facility), ("category", self.category), ("status", self.status),
            ("language", self.language), ("overdue", self.overdue and "1"),
            ("interpreter", self.needs_interpreter and "1"), ("mine", self.assigned_to_me and "1"),
            ("office", self.field_office)) if value}


# The queue's query parameters: a facility code (one of the person's facilities), a choice from each
# of these lists, and the flags (1 or nothing).
CHOICES = {"category": {c.code for c in CATEGORIES}, "status": set(OPEN), "language": set(BY_CODE),
           "office": set(field_offices.FIELD_OFFICES)}
FLAGS = ("overdue", "interpreter", "mine")
FILTER_NAMES = ("facility", *CHOICES, *FLAGS)


def filters_from(args: Mapping[str, str]) -> Filters:
    """The filters a queue address asks for; a value the queue does not know is ignored (garbage in a
    URL shows the whole queue rather than an error)."""
    known = lambda name: args.get(name) if args.get(name) in CHOICES[name] else None
    return Filters(facility=args.get("facility") or None, category=known("category"), status=known("status"),
                   language=known("language"), overdue=args.get("overdue") == "1",
                   needs_interpreter=args.get("interpreter") == "1", assigned_to_me=args.get("mine") == "1",
                   field_office=known("office"))


def filter_problem(session: Session, user: StaffUser, args: Mapping[str, str]) -> str | None:
    """What is wrong with filters that must be taken exactly as given (an export, a saved filter):
    the queue page quietly ignores a filter it does not know; these would quietly drop it."""
    allowed = facility_ids(user)
    facility = args.get("facility")
    if facility:
        codes = select(Facility.code) if allowed is None else select(Facility.code).where(Facility.id.in_(allowed))
        if facility not in set(session.scalars(codes)):
            return f"You work no facility called {facility[:40]!r}."  # unknown and another's alike
    for name, known in CHOICES.items():
        if args.get(name) and args[name] not in known:
            return f"There is no {name} {args[name][:40]!r} in the queue."
    for name in FLAGS:
        if args.get(name, "") not in ("", "0", "1"):
            return f"The filter {name!r} is 1 or nothing."
    return None


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
# How much of a text the queue's one-line summary shows (a case manager's summary, else the English:
# summary_line), and how much of the English the queue's query reads: enough to cut at a word
# boundary, never a whole complaint.
SUMMARY_CHARACTERS = 90
_SUMMARY_READ = 4 * SUMMARY_CHARACTERS
# The English of the complaint's own words as the case page shows it (a person's correction over the
# machine's, the newest), for one case of the queue's query: an index lookup by case, per row shown.
_ENGLISH = (select(func.substr(Translation.text, 1, _SUMMARY_READ))
            .where(Translation.case_id == Case.id, Translation.event_id.is_(None),
                   Translation.target_language == STAFF_LANGUAGE, Translation.status == TranslationStatus.DONE)
            .order_by(Translation.human.desc(), Translation.id.desc()).limit(1)
            .correlate(Case).scalar_subquery())
# What a queue row shows, and no more: whole Case objects cost more to build than the page to render.
# The housing unit and the assignee by name, and the English, come in the same query (no query per row).
QUEUE_COLUMNS = (Case.number, Case.facility_id, Case.priority, Case.is_emergency, Case.category, Case.language,
                 Case.needs_interpreter, Case.status, Case.due_at, Case.created_at, Case.assigned_to_id, Case.channel,
                 Case.summary, HousingUnit.name.label("unit"), StaffUser.display_name.label("assignee"),
                 sql_case((Case.language == STAFF_LANGUAGE, func.substr(Case.description, 1, _SUMMARY_READ)),
                          else_=_ENGLISH).label("english"))


def queue_summary(words: str | None, limit: int = SUMMARY_CHARACTERS) -> str:
    """The first words of a text as one line of at most ``limit`` characters, cut at a word boundary
    (with an ellipsis when cut). The queue gives it the complaint's English; a text without spaces
    (Chinese, a run of letters) is cut at the limit."""
    line = " ".join((words or "").split())
    if len(line) <= limit:
        return line
    head = line[:limit]
    space = line.rfind(" ", 0, limit + 1)  # a word ending exactly at the limit is kept whole
    if space > limit // 2:
        head = line[:space]
    return head.rstrip(" ,.;:-–—") + "…"


def _open_cases(user: StaffUser, filters: Filters, now: datetime, query):
    query = _visible(user, query.where(IS_OPEN))
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
    return list(session.scalars(_open_cases(user, filters, now or utcnow(), select(Case)).limit(limit)))


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
    """One page of the queue (PAGE_SIZE rows, only the columns it shows) and whether another follows,
    in one query whatever the page's size."""
    # The page's cases first, by id alone (from the queue's indexes, often without reading the table),
    # then what the rows show for those PAGE_SIZE + 1 cases only: a database that sorts the open cases
    # (a case manager's several facilities) would otherwise look up units, assignees and English for
    # every one of them before sorting.
    chosen = (_open_cases(user, filters, now or utcnow(), select(Case.id))
              .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1).subquery("page"))
    query = (select(*QUEUE_COLUMNS).select_from(chosen).join(Case, Case.id == chosen.c.id)
             .outerjoin(HousingUnit, HousingUnit.id == Case.housing_unit_id)
             .outerjoin(StaffUser, StaffUser.id == Case.assigned_to_id)
             .order_by(*QUEUE_ORDER))
    rows = session.execute(query).all()
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


def _staff_event(session: Session, case: Case, kind: EventKind, body: str, staff: str,
                 action: str | None = None) -> CaseEvent:
    event = CaseEvent(kind=kind, actor=staff, body=body, language="en", visible_to_detainee=False)
    case.events.append(event)
    case.updated_at = utcnow()
    session.flush()
    audit.record(session, staff, action or f"case.{kind}_added", case=case, event_id=event.id)
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
    milestones.acted_on(case, utcnow())
    return _staff_event(session, case, EventKind.FACILITY_CONTACT, body, staff)


def assign(session: Session, case: Case, assignee: StaffUser, *, by: StaffUser) -> CaseEvent:
    """Supervisors hand out the work, to case managers who work the case's facility."""
    if not sees_every_facility(by):
        raise NotAllowed("Only a supervisor assigns cases.")
    if not assignee.active or not may_see(assignee, case):
        raise NotAllowed(f"{assignee.display_name} does not work at this facility.")
    case.assigned_to_id = assignee.id
    return _staff_event(session, case, EventKind.ASSIGNED, f"Assigned to {assignee.display_name}", actors.staff(by))


def take(session: Session, case: Case, user: StaffUser) -> CaseEvent:
    """A case manager takes an open, unassigned case of their facilities. One conditional UPDATE
    decides: of two people taking the case at the same moment, one has it and the other is told who."""
    if user.role != StaffRole.CASE_MANAGER:
        raise NotAllowed("Only a case manager takes a case; a supervisor assigns it on the case page.")
    if not may_see(user, case):
        raise NotAllowed("This case is not of a facility you work.")
    if case.status not in OPEN:
        raise NotAllowed("This case is closed: reopen it before taking it.")
    taken = session.execute(update(Case).where(Case.id == case.id, Case.assigned_to_id.is_(None))
                            .values(assigned_to_id=user.id).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        holder = session.execute(select(StaffUser.id, StaffUser.display_name)
                                 .join(Case, Case.assigned_to_id == StaffUser.id).where(Case.id == case.id)).first()
        if holder is not None and holder.id == user.id:
            raise NotAllowed("This case is yours already.")
        raise NotAllowed(f"Not taken: {holder.display_name if holder else 'someone'} has this case already.")
    session.expire(case, ["assigned_to_id", "assigned_to"])  # the UPDATE changed the row, not the object
    return _staff_event(session, case, EventKind.ASSIGNED, f"Taken by {user.display_name}", actors.staff(user),
                        action="case.taken")


def release(session: Session, case: Case, user: StaffUser) -> CaseEvent:
    """A case manager gives back a case they hold: unassigned again, for anyone to take. Conditional
    too: a case a supervisor has meanwhile given to someone else stays theirs."""
    released = session.execute(update(Case).where(Case.id == case.id, Case.assigned_to_id == user.id)
                               .values(assigned_to_id=None).execution_options(synchronize_session=False))
    if released.rowcount != 1:
        raise NotAllowed("This case is not yours to release: it is not assigned to you (any more).")
    session.expire(case, ["assigned_to_id", "assigned_to"])
    return _staff_event(session, case, EventKind.UNASSIGNED, f"Released by {user.display_name}",
                        actors.staff(user), action="case.released")


def change_due(session: Session, case: Case, due_at: datetime, reason: str, *, by: StaffUser) -> CaseEvent:
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
    first words of the complaint's English translation (both cut as queue_summary cuts). ``case``
    is a Case or a queue row with a ``summary``; ``english`` the translation's text, if any."""
    written = next((line for line in (case.summary or "").split("\n") if line.strip()), None)
    return queue_summary(written or english)


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
