"""Numbers to call for help right now, shown on the kiosk's emergency screen.

A number belongs to one facility, or to every facility when its facility is
NULL (a national line), and is shown for the kinds of emergency an administrator
chose. Lines outside the facility (PREA reporting, the ombudsman, oversight) come
first where the danger may be from staff: the first advice must never be only
"tell a staff member". Administrators add, change and remove them here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from kiosk.core import audit, emergencies, text
from kiosk.core.models import EmergencyKind, Facility, Hotline, HotlineKind

ORDER = list(HotlineKind)
# How the staff console names each kind (the kiosk has its own translated words).
KIND_NAMES = {
    HotlineKind.EMERGENCY: "Emergency (the facility's own line)",
    HotlineKind.MEDICAL: "Medical",
    HotlineKind.SEXUAL_ABUSE: "Sexual abuse (PREA reporting line)",
    HotlineKind.OMBUDSMAN: "Ombudsman",
    HotlineKind.OVERSIGHT: "Oversight (inspector general, civil rights office)",
}
# Lines answered outside the facility: nobody the report may be about hears it.
OUTSIDE_THE_FACILITY = frozenset({HotlineKind.SEXUAL_ABUSE, HotlineKind.OMBUDSMAN, HotlineKind.OVERSIGHT})
# Where the danger may come from staff, these lines are offered before "tell a staff member you trust".
OUTSIDE_FIRST = frozenset({EmergencyKind.SEXUAL_ABUSE, EmergencyKind.DANGER_FROM_STAFF})
# What a new line of each kind is shown for until an administrator chooses otherwise.
SHOWN_FOR_BY_DEFAULT = {
    HotlineKind.EMERGENCY: [EmergencyKind.DANGER_FROM_DETAINEE, EmergencyKind.DANGER_FROM_STAFF,
                            EmergencyKind.DANGER, EmergencyKind.MEDICAL],
    HotlineKind.MEDICAL: [EmergencyKind.MEDICAL],
    HotlineKind.SEXUAL_ABUSE: [EmergencyKind.SEXUAL_ABUSE, EmergencyKind.DANGER_FROM_STAFF],
    HotlineKind.OMBUDSMAN: list(EmergencyKind),
    HotlineKind.OVERSIGHT: [EmergencyKind.SEXUAL_ABUSE, EmergencyKind.DANGER_FROM_STAFF],
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


@dataclass(frozen=True)
class EmergencyHelp:
    """The numbers for one kind of emergency: ``outside`` first when the danger may be from staff."""

    outside_first: bool
    outside: list[Hotline]
    inside: list[Hotline]

    @property
    def in_order(self) -> list[Hotline]:
        return self.outside + self.inside if self.outside_first else self.inside + self.outside


def for_emergency(session: Session, facility_id: int, kind: EmergencyKind | None) -> EmergencyHelp:
    """The facility's and the national numbers an administrator chose for this kind of emergency."""
    shown = [h for h in for_facility(session, facility_id) if kind is None or kind in (h.shown_for or [])]
    return EmergencyHelp(
        outside_first=kind in OUTSIDE_FIRST,
        outside=[h for h in shown if h.kind in OUTSIDE_THE_FACILITY],
        inside=[h for h in shown if h.kind not in OUTSIDE_THE_FACILITY])


def _checked(kind: str, number: str, free_call_code: str,
             shown_for: list[str] | None) -> tuple[str, str, str | None, list[str]]:
    """The fields as stored, or a ValueError saying what to fix."""
    if kind not in KIND_NAMES:
        raise ValueError("Choose what kind of line this is.")
    if shown_for is None:
        shown_for = list(SHOWN_FOR_BY_DEFAULT[HotlineKind(kind)])
    if not shown_for or any(k not in emergencies.KIND_NAMES for k in shown_for):
        raise ValueError("Choose at least one emergency this number is shown for.")
    shown_for = [str(k) for k in EmergencyKind if k in shown_for]
    number = text.clean(number, limit=None, what="phone number", one_line=True, required=True)
    digits = sum(c.isdigit() for c in number)
    if len(number) > MAX_NUMBER or not NUMBER.fullmatch(number) or not NUMBER_DIGITS[0] <= digits <= NUMBER_DIGITS[1]:
        raise ValueError(f"A phone number has {NUMBER_DIGITS[0]} to {NUMBER_DIGITS[1]} digits, with spaces or "
                         "dashes between them and perhaps a + in front, like +1 512-555-0110.")
    free_call_code = text.clean(free_call_code, limit=None, one_line=True)
    if free_call_code and not FREE_CALL_CODE.fullmatch(free_call_code):
        raise ValueError("A free-call code has 1 to 16 digits (or * and #), like 7702.")
    return kind, number, free_call_code or None, shown_for


def add(session: Session, facility: Facility | None, *, kind: str, number: str, free_call_code: str = "",
        shown_for: list[str] | None = None, actor: str, remote_addr: str | None = None) -> Hotline:
    """A number for one facility, or for every facility when ``facility`` is None; ``shown_for`` None:
    the emergencies a line of its kind is shown for by default."""
    kind, number, code, shown_for = _checked(kind, number, free_call_code, shown_for)
    hotline = Hotline(facility_id=facility.id if facility else None, kind=kind, number=number, free_call_code=code,
                      shown_for=shown_for)
    session.add(hotline)
    session.flush()
    audit.record(session, actor, "hotline.added", facility_id=hotline.facility_id, remote_addr=remote_addr,
                 hotline_id=hotline.id, kind=kind, number=number, free_call_code=code, shown_for=shown_for)
    return hotline


def change(session: Session, hotline: Hotline, facility: Facility | None, *, kind: str, number: str,
           free_call_code: str = "", shown_for: list[str] | None = None, actor: str,
           remote_addr: str | None = None) -> None:
    kind, number, code, shown_for = _checked(kind, number, free_call_code, shown_for)
    before = {"facility_id": hotline.facility_id, "kind": hotline.kind, "number": hotline.number,
              "free_call_code": hotline.free_call_code, "shown_for": hotline.shown_for}
    hotline.facility_id, hotline.kind, hotline.number, hotline.free_call_code, hotline.shown_for = (
        facility.id if facility else None, kind, number, code, shown_for)
    audit.record(session, actor, "hotline.changed", facility_id=hotline.facility_id, remote_addr=remote_addr,
                 hotline_id=hotline.id, before=before, kind=kind, number=number, free_call_code=code,
                 shown_for=shown_for)


def remove(session: Session, hotline: Hotline, *, actor: str, remote_addr: str | None = None) -> None:
    audit.record(session, actor, "hotline.removed", facility_id=hotline.facility_id, remote_addr=remote_addr,
                 hotline_id=hotline.id, kind=hotline.kind, number=hotline.number,
                 free_call_code=hotline.free_call_code)
    session.delete(hotline)
