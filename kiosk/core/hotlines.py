"""Numbers to call for help right now, shown on the kiosk's emergency screen.

A number belongs to one facility, or to every facility when its facility is
NULL (a national line). Administrators add, change and remove them here.
"""
from __future__ import annotations

import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kiosk.core import audit, text
from kiosk.core.models import Facility, Hotline, HotlineKind

ORDER = list(HotlineKind)
# How the staff console names each kind (the kiosk has its own translated words).
KIND_NAMES = {
    HotlineKind.EMERGENCY: "Emergency (the facility's own line)",
    HotlineKind.MEDICAL: "Medical",
    HotlineKind.SEXUAL_ABUSE: "Sexual abuse (PREA reporting line)",
    HotlineKind.OMBUDSMAN: "Ombudsman",
}
NUMBER = re.compile(r"\+?[0-9][0-9 -]*")
NUMBER_DIGITS = (3, 15)  # a short code like 911 up to the longest international number (E.164)
MAX_NUMBER = 32          # Hotline.number
FREE_CALL_CODE = re.compile(r"[0-9*#]{1,16}")


def for_facility(session: Session, facility_id: int) -> list[Hotline]:
    """The facility's own numbers first, then the national ones, emergency lines on top."""
    rows = session.scalars(
        select(Hotline).where(or_(Hotline.facility_id == facility_id, Hotline.facility_id.is_(None)))
    )
    return sorted(rows, key=lambda h: (ORDER.index(h.kind) if h.kind in ORDER else len(ORDER), h.facility_id is None, h.id))


def _checked(kind: str, number: str, free_call_code: str) -> tuple[str, str, str | None]:
    """The fields as stored, or a ValueError saying what to fix."""
    if kind not in KIND_NAMES:
        raise ValueError("Choose what kind of line this is.")
    number = text.clean(number, limit=None, what="phone number", one_line=True, required=True)
    digits = sum(c.isdigit() for c in number)
    if len(number) > MAX_NUMBER or not NUMBER.fullmatch(number) or not NUMBER_DIGITS[0] <= digits <= NUMBER_DIGITS[1]:
        raise ValueError(f"A phone number has {NUMBER_DIGITS[0]} to {NUMBER_DIGITS[1]} digits, with spaces or "
                         "dashes between them and perhaps a + in front, like +1 512-555-0110.")
    free_call_code = text.clean(free_call_code, limit=None, one_line=True)
    if free_call_code and not FREE_CALL_CODE.fullmatch(free_call_code):
        raise ValueError("A free-call code has 1 to 16 digits (or * and #), like 7702.")
    return kind, number, free_call_code or None


def add(session: Session, facility: Facility | None, *, kind: str, number: str, free_call_code: str = "",
        actor: str, remote_addr: str | None = None) -> Hotline:
    """A number for one facility, or for every facility when ``facility`` is None."""
    kind, number, code = _checked(kind, number, free_call_code)
    hotline = Hotline(facility_id=facility.id if facility else None, kind=kind, number=number, free_call_code=code)
    session.add(hotline)
    session.flush()
    audit.record(session, actor, "hotline.added", facility_id=hotline.facility_id, remote_addr=remote_addr,
                 hotline_id=hotline.id, kind=kind, number=number, free_call_code=code)
    return hotline


def change(session: Session, hotline: Hotline, facility: Facility | None, *, kind: str, number: str,
           free_call_code: str = "", actor: str, remote_addr: str | None = None) -> None:
    kind, number, code = _checked(kind, number, free_call_code)
    before = {"facility_id": hotline.facility_id, "kind": hotline.kind, "number": hotline.number,
              "free_call_code": hotline.free_call_code}
    hotline.facility_id, hotline.kind, hotline.number, hotline.free_call_code = (
        facility.id if facility else None, kind, number, code)
    audit.record(session, actor, "hotline.changed", facility_id=hotline.facility_id, remote_addr=remote_addr,
                 hotline_id=hotline.id, before=before, kind=kind, number=number, free_call_code=code)


def remove(session: Session, hotline: Hotline, *, actor: str, remote_addr: str | None = None) -> None:
    audit.record(session, actor, "hotline.removed", facility_id=hotline.facility_id, remote_addr=remote_addr,
                 hotline_id=hotline.id, kind=hotline.kind, number=hotline.number,
                 free_call_code=hotline.free_call_code)
    session.delete(hotline)
