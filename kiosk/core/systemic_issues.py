"""Systemic issues and their referrals: the record of what became of a pattern.

A systemic issue is cases at one or several facilities that are one problem (crowding, telephones
broken across a facility), with a title and a description, made from a rate alert, a group of
similar complaints, or by hand. Its maker puts in only cases they may open; a person who works
some of its facilities sees those cases of it and no other.

An issue is referred to a unit that can act on it (Detention Oversight, which may inspect;
Policy and Standards; External Relations; or an ERO field office) with a due date, and the
referral moves forward through its states until it is closed with its outcome. Every move is one
conditional UPDATE (the state the person saw is still the state), a row of its history and an
audit entry: two people moving it at once, one wins and the other is told. A referral still open
past its due date is overdue, and supervisors see it on the issues page and in the console's menu.
"""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session

from kiosk.core import (
    actors,
    audit,
    field_offices,
    rate_alerts,
    similar_complaints,
    text,
)
from kiosk.core.identifiers import InvalidIdentifier, parse_case_number
from kiosk.core.models import (
    Case,
    CaseEvent,
    EventKind,
    Facility,
    IssueSource,
    RateAlert,
    Referral,
    ReferralChange,
    ReferralState,
    SimilarGroup,
    StaffUser,
    SystemicIssue,
    SystemicIssueCase,
    utcnow,
)

MAX_TITLE = 200
UNITS = {
    "detention_oversight": "Detention Oversight",
    "policy_and_standards": "Policy and Standards",
    "external_relations": "External Relations",
}
STATES = list(ReferralState)  # in the order a referral goes through them
MAX_DAYS_AHEAD = 366 * 2
NOT_YOURS = "None of these cases is at a facility you work."
FORM_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")  # what new_form_token makes


def recipients() -> list[tuple[str, str]]:
    """(code, label) of everyone an issue can be referred to: the units, then the field offices."""
    return list(UNITS.items()) + field_offices.choices()


def recipient_label(code: str) -> str:
    return UNITS.get(code) or field_offices.label(code)


def _visible_cases(visible: list[int] | None):
    return True if visible is None else Case.facility_id.in_(visible)


# --- making an issue ------------------------------------------------------------------------

def made_from(session: Session, source: IssueSource, source_id: int) -> SystemicIssue | None:
    """The issue already made from this alert or group, if any: a second click finds it."""
    return session.scalar(select(SystemicIssue).where(SystemicIssue.source == source,
                                                      SystemicIssue.source_id == source_id))


def new_form_token() -> str:
    """The token the by-hand form carries: the issue it makes is found by it on a second submit."""
    return secrets.token_urlsafe(24)


def form_token(typed: str | None) -> str | None:
    """The form's token as sent (None: a form without one, made without the double-submit guard)."""
    if not typed:
        return None
    if not FORM_TOKEN.fullmatch(typed):
        raise ValueError("This form is out of date: reload the page and make the issue again. Nothing was saved.")
    return typed


def made_by_form(session: Session, token: str | None) -> SystemicIssue | None:
    """The issue a form with this token already made, if any."""
    if token is None:
        return None
    return session.scalar(select(SystemicIssue).where(SystemicIssue.form_token == token))


def create(session: Session, *, title: str, description: str, case_ids: list[int], by: StaffUser,
           visible: list[int] | None, source: IssueSource = IssueSource.BY_HAND, source_id: int | None = None,
           token: str | None = None, remote_addr: str | None = None) -> SystemicIssue:
    """A new issue of the cases among ``case_ids`` the maker may open (``visible``: the facilities they
    work, None every one); none of them: refused. ``token``: the by-hand form's (see made_by_form)."""
    title = text.clean(title, limit=MAX_TITLE, what="title", one_line=True, required=True)
    description = text.clean(description, limit=text.MAX_STAFF_TEXT, what="description")
    allowed = list(session.scalars(select(Case.id).where(Case.id.in_(case_ids), _visible_cases(visible))
                                   .order_by(Case.id))) if case_ids else []
    if source is not IssueSource.BY_HAND and not allowed:
        raise ValueError(NOT_YOURS)
    who = actors.staff(by)
    issue = SystemicIssue(title=title, description=description, source=source, source_id=source_id,
                          form_token=token, created_by=who)
    session.add(issue)
    session.flush()
    session.add_all([SystemicIssueCase(issue_id=issue.id, case_id=case_id, added_by=who) for case_id in allowed])
    audit.record(session, who, "systemic_issue.created", remote_addr=remote_addr, issue_id=issue.id,
                 source=str(source), source_id=source_id, cases=len(allowed), left_out=len(set(case_ids)) - len(allowed))
    session.flush()
    return issue


def from_alert(session: Session, alert: RateAlert, *, by: StaffUser, visible: list[int] | None,
               remote_addr: str | None = None) -> SystemicIssue:
    title = f"{alert.category.replace('_', ' ').capitalize()} at {alert.facility.code}: complaints above the facility's own baseline"
    description = (f"Raised by the rate alert of the week of {alert.first_week}: {alert.recent} complaints where "
                   f"{alert.expected:.1f} were expected (p = {alert.p_value:.2g}).")
    return made_from(session, IssueSource.RATE_ALERT, alert.id) or create(
        session, title=title[:MAX_TITLE], description=description, case_ids=rate_alerts.case_ids(session, alert),
        by=by, visible=visible, source=IssueSource.RATE_ALERT, source_id=alert.id, remote_addr=remote_addr)


def from_group(session: Session, group: SimilarGroup, *, by: StaffUser, visible: list[int] | None,
               remote_addr: str | None = None) -> SystemicIssue:
    found = similar_complaints.members(session, [group.id])[group.id]
    places = sorted({member.facility_code for member in found})
    title = f"Similar complaints at {', '.join(places[:5])}{' and more' if len(places) > 5 else ''}"
    description = f"Made from a group of {len(found)} similar complaints suggested on {group.suggested_at:%Y-%m-%d}."
    return made_from(session, IssueSource.SIMILAR_GROUP, group.id) or create(
        session, title=title[:MAX_TITLE], description=description, case_ids=[member.case_id for member in found],
        by=by, visible=visible, source=IssueSource.SIMILAR_GROUP, source_id=group.id, remote_addr=remote_addr)


def add_case(session: Session, issue: SystemicIssue, typed_number: str, *, by: StaffUser,
             visible: list[int] | None, remote_addr: str | None = None) -> Case:
    """Adds the case of that number, if the person may open it and it is not in the issue yet."""
    shown = " ".join((typed_number or "").split())[:20]
    try:
        number = parse_case_number(typed_number)
    except InvalidIdentifier:
        raise ValueError(f"{shown!r} is not a case number like 26-0000-0012.") from None
    case = session.scalar(select(Case).where(Case.number == number, _visible_cases(visible)))
    if case is None:
        raise ValueError(f"There is no case {number} at a facility you work.")
    if session.scalar(select(SystemicIssueCase.id).where(SystemicIssueCase.issue_id == issue.id,
                                                         SystemicIssueCase.case_id == case.id)):
        raise ValueError(f"Case {number} is already part of this issue.")
    who = actors.staff(by)
    session.add(SystemicIssueCase(issue_id=issue.id, case_id=case.id, added_by=who))
    audit.record(session, who, "systemic_issue.case_added", case=case, remote_addr=remote_addr, issue_id=issue.id)
    session.flush()
    return case


def remove_case(session: Session, issue: SystemicIssue, case_id: int, *, by: StaffUser,
                visible: list[int] | None, remote_addr: str | None = None) -> Case:
    """Takes a case the person may open out of the issue (it was not the same problem after all).
    The audit log keeps who took it out and when; the issue's referral packets no longer count it."""
    case = session.scalar(select(Case).join(SystemicIssueCase, SystemicIssueCase.case_id == Case.id)
                          .where(SystemicIssueCase.issue_id == issue.id, Case.id == case_id, _visible_cases(visible)))
    if case is None:
        raise ValueError("That case is not part of this issue. Nothing was changed.")
    taken = session.execute(delete(SystemicIssueCase).where(SystemicIssueCase.issue_id == issue.id,
                                                           SystemicIssueCase.case_id == case.id))
    if taken.rowcount != 1:  # two people took it out in the same moment: the other one did
        raise ValueError(f"Case {case.number} was taken out of this issue a moment ago. Nothing was changed.")
    audit.record(session, actors.staff(by), "systemic_issue.case_removed", case=case, remote_addr=remote_addr,
                 issue_id=issue.id)
    session.flush()
    return case


# --- what a person sees of an issue ---------------------------------------------------------

def issues(session: Session, visible: list[int] | None, who: str, limit: int = 200) -> list[SystemicIssue]:
    """Issues with a case at a facility the person works (every one for None), or that they made, newest first."""
    query = select(SystemicIssue)
    if visible is not None:
        query = query.where(or_(SystemicIssue.created_by == who, exists(
            select(SystemicIssueCase.id).join(Case, Case.id == SystemicIssueCase.case_id)
            .where(SystemicIssueCase.issue_id == SystemicIssue.id, Case.facility_id.in_(visible)))))
    return list(session.scalars(query.order_by(SystemicIssue.created_at.desc(), SystemicIssue.id.desc()).limit(limit)))


def may_see(session: Session, issue: SystemicIssue, visible: list[int] | None, who: str) -> bool:
    """Whether a person may open the issue: they see every facility, made it, or work a facility of one of its cases."""
    if visible is None or issue.created_by == who:
        return True
    return bool(session.scalar(select(SystemicIssueCase.id).join(Case, Case.id == SystemicIssueCase.case_id)
                               .where(SystemicIssueCase.issue_id == issue.id, Case.facility_id.in_(visible)).limit(1)))


def cases_of(session: Session, issue: SystemicIssue, visible: list[int] | None) -> list[Case]:
    """The issue's cases the person may open, oldest first."""
    return list(session.scalars(
        select(Case).join(SystemicIssueCase, SystemicIssueCase.case_id == Case.id)
        .where(SystemicIssueCase.issue_id == issue.id, _visible_cases(visible)).order_by(Case.created_at, Case.id)))


def hidden_count(session: Session, issue: SystemicIssue, visible: list[int] | None) -> int:
    """How many of its cases are at facilities the person does not work (shown as a number, nothing else)."""
    if visible is None:
        return 0
    return session.scalar(select(func.count()).select_from(SystemicIssueCase).join(Case, Case.id == SystemicIssueCase.case_id)
                          .where(SystemicIssueCase.issue_id == issue.id, Case.facility_id.not_in(visible)))


@dataclass(frozen=True)
class Response:
    case_id: int
    number: str
    facility_code: str
    at: datetime
    actor: str
    body: str


def facility_responses(session: Session, cases: list[Case]) -> list[Response]:
    """What the facilities said, from the cases' facility contact logs, oldest first."""
    if not cases:
        return []
    rows = session.execute(
        select(Case.id, Case.number, Facility.code, CaseEvent.created_at, CaseEvent.actor, CaseEvent.body)
        .join(Case, Case.id == CaseEvent.case_id).join(Facility, Facility.id == Case.facility_id)
        .where(CaseEvent.case_id.in_([case.id for case in cases]), CaseEvent.kind == EventKind.FACILITY_CONTACT)
        .order_by(CaseEvent.created_at, CaseEvent.id))
    return [Response(*row) for row in rows]


# --- referrals ------------------------------------------------------------------------------

def due_at(typed_day: str, zone_name: str, today: date) -> datetime:
    """The end of the typed day (YYYY-MM-DD) in the zone, in UTC; refused with a sentence when the day is
    not a date, is before ``today`` (in that zone) or more than two years ahead, or the zone is unknown."""
    shown = " ".join((typed_day or "").split())[:20]
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValueError(f"There is no time zone {(zone_name or '')[:40]!r}: choose one from the list.") from None
    try:
        if len(shown) != 10:
            raise ValueError
        day = date.fromisoformat(shown)
    except ValueError:
        raise ValueError(f"The due date {shown!r} is not a date like 2027-01-31.") from None
    if day < today:
        raise ValueError(f"The due date {day} has passed.")
    if day > today + timedelta(days=MAX_DAYS_AHEAD):
        raise ValueError("A due date is at most two years ahead.")
    return datetime.combine(day + timedelta(days=1), time(), zone).astimezone(UTC)


def today_in(zone_name: str, now: datetime | None = None) -> date:
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        zone = UTC
    return (now or utcnow()).astimezone(zone).date()


def refer(session: Session, issue: SystemicIssue, *, recipient: str, due_day: str, zone: str, note: str,
          by: StaffUser, remote_addr: str | None = None, now: datetime | None = None) -> Referral:
    """Sends the issue to ``recipient`` (a unit or a field office code), due by the end of ``due_day`` in ``zone``."""
    if recipient not in UNITS and field_offices.known(recipient) is None:
        raise ValueError("Choose whom the issue is referred to from the list.")
    note = text.clean(note, limit=text.MAX_STAFF_TEXT, what="note")
    due = due_at(due_day, zone, today_in(zone, now))
    if session.scalar(select(Referral.id).where(Referral.issue_id == issue.id, Referral.recipient == recipient,
                                                Referral.state != ReferralState.CLOSED)):
        raise ValueError(f"This issue is already referred to {recipient_label(recipient)}, and that referral is "
                         "not closed. Nothing was saved.")
    who = actors.staff(by)
    referral = Referral(issue_id=issue.id, recipient=recipient, due_at=due, due_zone=zone, state=ReferralState.SENT,
                        sent_by=who)
    session.add(referral)
    session.flush()
    session.add(ReferralChange(referral_id=referral.id, state_from=None, state_to=ReferralState.SENT, note=note, actor=who))
    audit.record(session, who, "referral.sent", remote_addr=remote_addr, issue_id=issue.id, referral_id=referral.id,
                 recipient=recipient, due_at=due.isoformat())
    session.flush()
    return referral


def state_named(typed: str | None) -> ReferralState:
    try:
        return ReferralState(typed)
    except ValueError:
        raise ValueError(f"There is no referral state {(typed or '')[:30]!r}.") from None


def advance(session: Session, referral: Referral, *, to: str, seen: str, note: str, outcome: str, by: StaffUser,
            remote_addr: str | None = None) -> ReferralChange:
    """Moves the referral forward from the state the person saw (``seen``) to ``to``, skipping any step it
    did not need; closing needs the outcome. One conditional UPDATE: if someone moved it in between,
    nothing is saved and the person is told where it is now."""
    target, before = state_named(to), state_named(seen)
    if STATES.index(target) <= STATES.index(before):
        raise ValueError(f"A referral only moves forward: it cannot go from {before.label.lower()} "
                         f"to {target.label.lower()}.")
    note = text.clean(note, limit=text.MAX_STAFF_TEXT, what="note")
    outcome = text.clean(outcome, limit=text.MAX_STAFF_TEXT, what="outcome", required=target is ReferralState.CLOSED)
    values = {"state": target, "updated_at": utcnow()}
    if target is ReferralState.CLOSED:
        values["outcome"] = outcome
    done = session.execute(update(Referral).where(Referral.id == referral.id, Referral.state == before)
                           .values(**values).execution_options(synchronize_session=False))
    if done.rowcount != 1:
        now = session.scalar(select(Referral.state).where(Referral.id == referral.id))
        raise ValueError(f"Someone changed this referral a moment ago: it is now {ReferralState(now).label.lower()}. "
                         "Nothing was saved.")
    who = actors.staff(by)
    if target is ReferralState.CLOSED:
        note = f"Outcome: {outcome}" + (f"\n{note}" if note else "")
    change = ReferralChange(referral_id=referral.id, state_from=before, state_to=target, note=note, actor=who)
    session.add(change)
    audit.record(session, who, "referral.state_changed", remote_addr=remote_addr, issue_id=referral.issue_id,
                 referral_id=referral.id, state_from=str(before), state_to=str(target))
    session.flush()
    return change


def referrals_of(session: Session, issue: SystemicIssue) -> list[Referral]:
    return list(session.scalars(select(Referral).where(Referral.issue_id == issue.id).order_by(Referral.id)))


def history(session: Session, referral_ids: list[int]) -> dict[int, list[ReferralChange]]:
    found: dict[int, list[ReferralChange]] = {referral_id: [] for referral_id in referral_ids}
    if referral_ids:
        for change in session.scalars(select(ReferralChange).where(ReferralChange.referral_id.in_(referral_ids))
                                      .order_by(ReferralChange.at, ReferralChange.id)):
            found[change.referral_id].append(change)
    return found


def _overdue(visible: list[int] | None, now: datetime):
    conditions = [Referral.state != ReferralState.CLOSED, Referral.due_at < now]
    if visible is not None:
        conditions.append(exists(select(SystemicIssueCase.id).join(Case, Case.id == SystemicIssueCase.case_id)
                                 .where(SystemicIssueCase.issue_id == Referral.issue_id, Case.facility_id.in_(visible))))
    return and_(*conditions)


def overdue(session: Session, visible: list[int] | None, now: datetime | None = None, limit: int = 200) -> list[Referral]:
    """Referrals still open past their due date, the longest overdue first."""
    return list(session.scalars(select(Referral).where(_overdue(visible, now or utcnow()))
                                .order_by(Referral.due_at, Referral.id).limit(limit)))


def overdue_count(session: Session, visible: list[int] | None, now: datetime | None = None) -> int:
    return session.scalar(select(func.count()).select_from(Referral).where(_overdue(visible, now or utcnow())))
