"""Facilities and their housing units, as an administrator sets them up.

The staff console's administrator pages and kioskctl both go through here, so
they refuse the same bad input with the same sentence (a ValueError whose text
is meant for the person who typed it) and every change lands in the audit log.
"""
from __future__ import annotations

import re
import zoneinfo
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core import audit, field_offices, text
from kiosk.core.models import Facility, HousingUnit, OperatorType

CODE = re.compile(r"[A-Z0-9]{2,10}")
MAX_NAME = 200       # Facility.name
MAX_UNIT_NAME = 64   # HousingUnit.name


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    """Every IANA time zone this machine knows, sorted (read once: it scans the tz database)."""
    return tuple(sorted(zoneinfo.available_timezones()))


def _code(code: str) -> str:
    code = code.strip().upper()
    if not CODE.fullmatch(code):
        raise ValueError("A facility code is 2 to 10 letters or digits, like RBP.")
    return code


def _name(value: str, what: str, limit: int) -> str:
    """A name shown everywhere: one line, single spaces."""
    return text.clean(value, limit=limit, what=what, one_line=True, required=True)


def _timezone(name: str) -> str:
    name = name.strip()
    if name not in timezones():
        raise ValueError(f"{name[:64]!r} is not a time zone: write one like America/Chicago.")
    return name


def create(session: Session, *, code: str, name: str, timezone: str, actor: str,
           remote_addr: str | None = None) -> Facility:
    code, name, timezone = _code(code), _name(name, "facility's name", MAX_NAME), _timezone(timezone)
    if session.scalar(select(Facility.id).where(Facility.code == code)) is not None:
        raise ValueError(f"A facility with code {code} exists already.")
    facility = Facility(code=code, name=name, timezone=timezone)
    session.add(facility)
    session.flush()
    audit.record(session, actor, "facility.created", facility_id=facility.id, remote_addr=remote_addr,
                 code=code, name=name, timezone=timezone)
    return facility


def change(session: Session, facility: Facility, *, name: str, timezone: str, actor: str,
           remote_addr: str | None = None) -> None:
    """Renames a facility or moves its time zone; its code never changes (cases are filed under it)."""
    name, timezone = _name(name, "facility's name", MAX_NAME), _timezone(timezone)
    before = {"name": facility.name, "timezone": facility.timezone}
    facility.name, facility.timezone = name, timezone
    audit.record(session, actor, "facility.changed", facility_id=facility.id, remote_addr=remote_addr,
                 before=before, after={"name": name, "timezone": timezone})


def set_context(session: Session, facility: Facility, *, field_office: str, operator_type: str, actor: str,
                remote_addr: str | None = None) -> None:
    """The field office its cases route to and who runs it; an empty choice clears either."""
    field_office, operator_type = field_office.strip().upper(), operator_type.strip()
    if field_office and field_office not in field_offices.FIELD_OFFICES:
        raise ValueError("Choose a field office from the list.")
    if operator_type and operator_type not in set(OperatorType):
        raise ValueError("Choose who runs the facility from the list.")
    before = {"field_office": facility.field_office, "operator_type": facility.operator_type}
    facility.field_office = field_office or None
    facility.operator_type = OperatorType(operator_type) if operator_type else None
    after = {"field_office": facility.field_office, "operator_type": facility.operator_type}
    if after != before:
        audit.record(session, actor, "facility.context_changed", facility_id=facility.id, remote_addr=remote_addr,
                     before=before, after=after)


def _free_unit_name(session: Session, facility: Facility, name: str) -> str:
    name = _name(name, "housing unit's name", MAX_UNIT_NAME)
    taken = session.scalar(select(HousingUnit.id).where(HousingUnit.facility_id == facility.id,
                                                        HousingUnit.name == name))
    if taken is not None:
        raise ValueError(f"{facility.code} has a housing unit called {name} already.")
    return name


def add_unit(session: Session, facility: Facility, name: str, *, actor: str,
             remote_addr: str | None = None) -> HousingUnit:
    unit = HousingUnit(facility_id=facility.id, name=_free_unit_name(session, facility, name))
    session.add(unit)
    session.flush()
    audit.record(session, actor, "housing_unit.added", facility_id=facility.id, remote_addr=remote_addr,
                 unit_id=unit.id, name=unit.name)
    return unit


def rename_unit(session: Session, unit: HousingUnit, name: str, *, actor: str,
                remote_addr: str | None = None) -> None:
    if text.clean(name, limit=None, one_line=True) == unit.name:
        return
    new_name = _free_unit_name(session, unit.facility, name)
    audit.record(session, actor, "housing_unit.renamed", facility_id=unit.facility_id, remote_addr=remote_addr,
                 unit_id=unit.id, before=unit.name, after=new_name)
    unit.name = new_name
