"""The append-only audit log: who did what, to which case, from where.

Everything goes through ``record`` but the SMS webhook, which writes its one
entry per text with a prebuilt INSERT of the same columns beside the message
itself (sms/answers.py, its hot path): change both together.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core.models import AuditEntry, Case


def record(
    session: Session,
    actor: str,
    action: str,
    *,
    case: Case | None = None,
    facility_id: int | None = None,
    remote_addr: str | None = None,
    **detail,
) -> AuditEntry:
    """Adds an entry to the caller's transaction, so it lands with the change it describes."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        case_id=case.id if case is not None else None,
        facility_id=facility_id if facility_id is not None else (case.facility_id if case else None),
        remote_addr=remote_addr,
        detail=detail,
    )
    session.add(entry)
    return entry


@dataclass(frozen=True)
class Entry:
    """An entry as it is shown: the case by its number, never its internal id."""

    at: datetime
    actor: str
    action: str
    case_number: str | None
    facility_id: int | None
    remote_addr: str | None
    detail: dict


def entries(session: Session, *, actor: str = "", action: str = "", case_number: str = "",
            limit: int = 200) -> list[Entry]:
    """The newest entries first, filtered by who, what and which case."""
    query = (select(AuditEntry.at, AuditEntry.actor, AuditEntry.action, Case.number, AuditEntry.facility_id,
                    AuditEntry.remote_addr, AuditEntry.detail)
             .outerjoin(Case, Case.id == AuditEntry.case_id).order_by(AuditEntry.id.desc()).limit(limit))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action == action)
    if case_number:
        query = query.where(Case.number == case_number)
    return [Entry(*row) for row in session.execute(query)]


def case_numbers(session: Session, found: list[Entry]) -> dict[int, str]:
    """The numbers of the cases the entries' details name by id (a link's other case ...)."""
    ids = {value for entry in found for key, value in entry.detail.items()
           if key.endswith("case_id") and isinstance(value, int)}
    if not ids:
        return {}
    return {case_id: number for case_id, number in session.execute(select(Case.id, Case.number).where(Case.id.in_(ids)))}
