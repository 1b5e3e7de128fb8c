"""The case managers' view of the work: the triage queue and what one person may see."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.models import Case, CaseStatus, Facility, StaffUser, utcnow
from kiosk.staff_accounts import facility_ids

OPEN = tuple(s.value for s in (CaseStatus.NEW, CaseStatus.ACKNOWLEDGED, CaseStatus.IN_REVIEW,
                               CaseStatus.FACILITY_CONTACTED, CaseStatus.REFERRED))


@dataclass(frozen=True)
class Filters:
    facility: str | None = None
    category: str | None = None
    status: str | None = None
    language: str | None = None
    overdue: bool = False
    needs_interpreter: bool = False


def _visible(user: StaffUser, query):
    allowed = facility_ids(user)
    return query if allowed is None else query.where(Case.facility_id.in_(allowed))


def queue(session: Session, user: StaffUser, filters: Filters, *, now: datetime | None = None,
          limit: int = 200) -> list[Case]:
    """Open cases, most urgent first (emergency, medical, legal access, the rest), then by due time."""
    now = now or utcnow()
    query = _visible(user, select(Case).where(Case.status.in_(OPEN)))
    if filters.facility:
        query = query.join(Facility).where(Facility.code == filters.facility)
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
    return list(session.scalars(query.order_by(Case.priority, Case.due_at, Case.id).limit(limit)))


def counts(session: Session, user: StaffUser, *, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    base = _visible(user, select(func.count()).select_from(Case).where(Case.status.in_(OPEN)))
    return {
        "open": session.scalar(base),
        "emergency": session.scalar(base.where(Case.is_emergency.is_(True))),
        "overdue": session.scalar(base.where(Case.due_at < now)),
        "needs_interpreter": session.scalar(base.where(Case.needs_interpreter.is_(True))),
    }
