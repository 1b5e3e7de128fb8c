"""Manual links between cases: a case manager's judgement that two complaints belong together.

A link is one row per pair (smaller case id first) and needs a short reason. Only
someone who may open both cases links or unlinks them; a case they may not open is
refused exactly like a number that does not exist, so nobody probes other
facilities' case numbers. Each link and unlink is a staff-only event on both
timelines and an audit entry on both cases.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kiosk.core import actors, audit, text
from kiosk.core.casework import NotAllowed
from kiosk.core.identifiers import InvalidIdentifier, parse_case_number
from kiosk.core.models import Case, CaseEvent, CaseLink, EventKind, StaffUser, utcnow
from kiosk.core.staff_accounts import may_see

MAX_REASON = 500  # the column's size
HIDDEN = "a linked case at another facility"


class LinkRefused(NotAllowed):
    """The link cannot be made or removed as asked; the message says why."""


class NoSuchCase(LookupError):
    """No case with that number that this person may open (which of the two is never said)."""

    def __init__(self, number: str):
        super().__init__(f"There is no case {number} among the cases you may open. Nothing was linked.")
        self.number = number


@dataclass(frozen=True)
class LinkedCase:
    link_id: int
    number: str | None  # None: the viewer may not open it, so its number is not shown
    facility_code: str | None
    status: str | None
    category: str | None
    reason: str | None
    created_by: str
    created_at: datetime

    @property
    def visible(self) -> bool:
        return self.number is not None


def _clean_reason(raw: str) -> str:
    try:
        return text.clean(raw, limit=MAX_REASON, what="reason", required=True)
    except text.TextRefused as refused:
        if refused.reason == "empty":
            raise LinkRefused("Say in a few words why the cases belong together.") from None
        raise LinkRefused(str(refused)) from None


def _pair(a: Case, b: Case) -> tuple[int, int]:
    return (a.id, b.id) if a.id < b.id else (b.id, a.id)


def _event(case: Case, other: Case, kind: EventKind, reason: str, staff: str) -> None:
    # The timeline names the other case (and gives the reason) only when both are at one facility:
    # then everyone who can read this timeline may open that case too. Otherwise they stay in the
    # link row, shown to those who may open both, and in the audit log.
    verb = "Linked with" if kind == EventKind.LINKED else "No longer linked with"
    if other.facility_id == case.facility_id:
        body = f"{verb} case {other.number}: {reason}"
    else:
        body = f"{verb} a case at another facility"
    case.events.append(CaseEvent(kind=kind, actor=staff, body=body, language="en", visible_to_detainee=False))
    case.updated_at = utcnow()


def find_other(session: Session, case: Case, raw_number: str, by: StaffUser, *,
               remote_addr: str | None = None) -> Case:
    """The case a link should point to. A malformed number says so; an unknown one and one the
    person may not open raise the same NoSuchCase (the latter audited as a refusal)."""
    try:
        number = parse_case_number(raw_number)
    except InvalidIdentifier:
        raise LinkRefused("Write the other case number like 26-4831-0927.") from None
    other = session.scalar(select(Case).where(Case.number == number))
    if other is None:
        raise NoSuchCase(number)
    if not may_see(by, other):
        audit.record(session, actors.staff(by), "case.link_refused", case=other, remote_addr=remote_addr,
                     from_case_id=case.id)
        raise NoSuchCase(number)
    return other


def link(session: Session, case: Case, other: Case, reason: str, *, by: StaffUser,
         remote_addr: str | None = None) -> CaseLink:
    if not (may_see(by, case) and may_see(by, other)):
        raise NoSuchCase(other.number)
    if other.id == case.id:
        raise LinkRefused("A case cannot be linked to itself.")
    reason = _clean_reason(reason)
    first, second = _pair(case, other)
    if session.scalar(select(CaseLink.id).where(CaseLink.case_id == first, CaseLink.linked_case_id == second)):
        raise LinkRefused(f"Case {case.number} and case {other.number} are linked already.")
    staff = actors.staff(by)
    made = CaseLink(case_id=first, linked_case_id=second, reason=reason, created_by=staff)
    session.add(made)
    session.flush()
    for this, that in ((case, other), (other, case)):
        _event(this, that, EventKind.LINKED, reason, staff)
        audit.record(session, staff, "case.linked", case=this, remote_addr=remote_addr, link_id=made.id,
                     linked_case_id=that.id, reason=reason)
    return made


def unlink(session: Session, case: Case, link_id: int | None, *, by: StaffUser,
           remote_addr: str | None = None) -> Case:
    """Removes one of this case's links; returns the case it pointed to."""
    found = session.get(CaseLink, link_id) if link_id is not None else None
    if found is None or case.id not in (found.case_id, found.linked_case_id):
        raise LinkRefused("That link does not exist (any more).")
    other = session.get(Case, found.linked_case_id if found.case_id == case.id else found.case_id)
    if not (may_see(by, case) and may_see(by, other)):
        raise LinkRefused("Only someone who may open both cases removes their link.")
    staff = actors.staff(by)
    session.delete(found)
    for this, that in ((case, other), (other, case)):
        _event(this, that, EventKind.UNLINKED, found.reason, staff)
        audit.record(session, staff, "case.unlinked", case=this, remote_addr=remote_addr, link_id=link_id,
                     linked_case_id=that.id, reason=found.reason)
    session.flush()
    return other


def links_of(session: Session, case: Case, viewer: StaffUser) -> list[LinkedCase]:
    """This case's links as the viewer may know them, oldest first."""
    rows = session.scalars(select(CaseLink).where(or_(CaseLink.case_id == case.id, CaseLink.linked_case_id == case.id))
                           .order_by(CaseLink.created_at, CaseLink.id)).all()
    linked = []
    for row in rows:
        other = session.get(Case, row.linked_case_id if row.case_id == case.id else row.case_id)
        if may_see(viewer, other):
            linked.append(LinkedCase(row.id, other.number, other.facility.code, other.status, other.category,
                                     row.reason, row.created_by, row.created_at))
        else:  # not even its facility or the reason: the reason may describe that case
            linked.append(LinkedCase(row.id, None, None, None, None, None, row.created_by, row.created_at))
    return linked
