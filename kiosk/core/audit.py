"""The append-only audit log: who did what, to which case, from where.

Everything goes through ``record`` but the SMS webhook, which writes its one
entry per text with a prebuilt INSERT of the same columns beside the message
itself (sms/answers.py, its hot path): change both together.
"""
from __future__ import annotations

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
