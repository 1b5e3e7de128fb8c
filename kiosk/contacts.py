"""Who besides the detainee may follow a case: trusted numbers and share codes.

Both are the detainee's decision, both can be revoked at any time, and every
change is a timeline event and an audit entry.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk import audit
from kiosk.credentials import digest
from kiosk.identifiers import new_share_code
from kiosk.models import Case, CaseEvent, EventKind, ShareCode, TrustedContact, utcnow

MAX_TRUSTED_CONTACTS = 5
MAX_SHARE_CODES = 5


class TooMany(Exception):
    pass


def _event(case: Case, kind: EventKind, actor: str, now: datetime) -> None:
    # Kept off the detainee's own timeline: it is their own action, shown in its own list.
    case.events.append(CaseEvent(kind=kind.value, actor=actor, visible_to_detainee=False, created_at=now))


def active_contacts(case: Case) -> list[TrustedContact]:
    return [c for c in case.trusted_contacts if c.revoked_at is None]


def active_share_codes(case: Case) -> list[ShareCode]:
    return [c for c in case.share_codes if c.revoked_at is None]


def add_trusted_contact(session: Session, case: Case, phone: str, *, actor: str) -> TrustedContact:
    now = utcnow()
    existing = next((c for c in case.trusted_contacts if c.phone == phone), None)
    if existing is not None and existing.revoked_at is None:
        return existing
    if len(active_contacts(case)) >= MAX_TRUSTED_CONTACTS:
        raise TooMany()
    if existing is not None:
        existing.revoked_at = None
        existing.added_at = now
        contact = existing
    else:
        contact = TrustedContact(phone=phone, added_at=now)
        case.trusted_contacts.append(contact)
    _event(case, EventKind.CONTACT_ADDED, actor, now)
    session.flush()
    audit.record(session, actor, "case.contact_added", case=case, contact_id=contact.id)
    return contact


def revoke_trusted_contact(session: Session, case: Case, contact_id: int, *, actor: str) -> bool:
    contact = next((c for c in active_contacts(case) if c.id == contact_id), None)
    if contact is None:
        return False
    now = utcnow()
    contact.revoked_at = now
    _event(case, EventKind.CONTACT_REVOKED, actor, now)
    audit.record(session, actor, "case.contact_revoked", case=case, contact_id=contact.id)
    return True


def create_share_code(session: Session, case: Case, *, actor: str) -> str:
    """Returns the new code in clear, once; only its digest is kept."""
    if len(active_share_codes(case)) >= MAX_SHARE_CODES:
        raise TooMany()
    now = utcnow()
    while True:
        code = new_share_code()
        if session.scalar(select(ShareCode.id).where(ShareCode.code_hash == digest(code))) is None:
            break
    share = ShareCode(code_hash=digest(code), hint=code[-2:], created_at=now)
    case.share_codes.append(share)
    _event(case, EventKind.SHARE_CODE_CREATED, actor, now)
    session.flush()
    audit.record(session, actor, "case.share_code_created", case=case, share_code_id=share.id)
    return code


def revoke_share_code(session: Session, case: Case, share_id: int, *, actor: str) -> bool:
    share = next((s for s in active_share_codes(case) if s.id == share_id), None)
    if share is None:
        return False
    now = utcnow()
    share.revoked_at = now
    _event(case, EventKind.SHARE_CODE_REVOKED, actor, now)
    audit.record(session, actor, "case.share_code_revoked", case=case, share_code_id=share.id)
    return True
