"""Who besides the detainee may follow a case: trusted numbers and share codes.

Both are the detainee's decision, both can be revoked at any time, and every
change is a timeline event and an audit entry.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core import audit
from kiosk.core.credentials import digest
from kiosk.core.identifiers import new_share_code
from kiosk.core.models import Case, CaseEvent, EventKind, ShareCode, Submitter, TrustedContact, utcnow

MAX_TRUSTED_CONTACTS = 5
MAX_SHARE_CODES = 5


class TooMany(Exception):
    pass


def _record(session: Session, case: Case, kind: EventKind, actor: str, now: datetime, **detail) -> None:
    """A timeline event and an audit entry for one change of who may follow the case.

    The event is kept off the detainee's own timeline: it is their own action,
    shown in its own list.
    """
    case.events.append(CaseEvent(kind=kind, actor=actor, visible_to_detainee=False, created_at=now))
    audit.record(session, actor, f"case.{kind}", case=case, **detail)


def _revoke(session: Session, case: Case, active: list, item_id: int, kind: EventKind, actor: str) -> bool:
    item = next((i for i in active if i.id == item_id), None)
    if item is None:
        return False
    item.revoked_at = utcnow()
    _record(session, case, kind, actor, item.revoked_at, item_id=item.id)
    return True


def active_contacts(case: Case) -> list[TrustedContact]:
    return [c for c in case.trusted_contacts if c.revoked_at is None]


def active_share_codes(case: Case) -> list[ShareCode]:
    return [c for c in case.share_codes if c.revoked_at is None]


def reporter_by_text(case: Case) -> str | None:
    """The number of whoever reported the case by text on the detainee's behalf, while it is still a
    trusted number of the case: a staff reply, once released, is texted to it (sms/replies.py). Other
    trusted numbers and followers are told of status changes only, never what a reply says."""
    if case.submitted_by != Submitter.THIRD_PARTY or not case.submitter_phone:
        return None
    trusted = any(contact.phone == case.submitter_phone for contact in active_contacts(case))
    return case.submitter_phone if trusted else None


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
    session.flush()
    _record(session, case, EventKind.CONTACT_ADDED, actor, now, item_id=contact.id)
    return contact


def revoke_trusted_contact(session: Session, case: Case, contact_id: int, *, actor: str) -> bool:
    return _revoke(session, case, active_contacts(case), contact_id, EventKind.CONTACT_REVOKED, actor)


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
    session.flush()
    _record(session, case, EventKind.SHARE_CODE_CREATED, actor, now, item_id=share.id)
    return code


def revoke_share_code(session: Session, case: Case, share_id: int, *, actor: str) -> bool:
    return _revoke(session, case, active_share_codes(case), share_id, EventKind.SHARE_CODE_REVOKED, actor)
