"""Registering a touchscreen and enrolling the browser that runs on it.

An administrator registers a kiosk for a facility and housing unit and gets a
one-time enrollment URL; opening it on the device stores a long-lived device
token in a cookie. Every case filed there records that facility and unit.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk import audit
from kiosk.credentials import digest, new_token
from kiosk.models import Facility, HousingUnit, Kiosk, utcnow

ENROLLMENT_VALID_FOR = timedelta(hours=24)


class UnknownPlace(LookupError):
    pass


def find_unit(session: Session, facility_code: str, unit_name: str) -> HousingUnit:
    unit = session.scalar(
        select(HousingUnit)
        .join(Facility)
        .where(Facility.code == facility_code, HousingUnit.name == unit_name)
    )
    if unit is None:
        raise UnknownPlace(f"no housing unit {unit_name!r} at facility {facility_code!r}")
    return unit


def register(session: Session, unit: HousingUnit, label: str, actor: str) -> tuple[Kiosk, str]:
    kiosk = Kiosk(label=label, facility_id=unit.facility_id, housing_unit_id=unit.id)
    session.add(kiosk)
    session.flush()
    audit.record(session, actor, "kiosk.registered", facility_id=unit.facility_id, kiosk_id=kiosk.id)
    return kiosk, issue_enrollment(session, kiosk, actor)


def issue_enrollment(session: Session, kiosk: Kiosk, actor: str, now: datetime | None = None) -> str:
    """A fresh one-time enrollment token; any earlier unused one stops working."""
    token = new_token()
    kiosk.enrollment_token_hash = digest(token)
    kiosk.enrollment_expires_at = (now or utcnow()) + ENROLLMENT_VALID_FOR
    audit.record(session, actor, "kiosk.enrollment_issued", facility_id=kiosk.facility_id, kiosk_id=kiosk.id)
    return token


def enroll(session: Session, token: str, remote_addr: str | None, now: datetime | None = None) -> tuple[Kiosk, str] | None:
    """Spends the enrollment token; returns the kiosk and its new device token."""
    now = now or utcnow()
    kiosk = session.scalar(select(Kiosk).where(Kiosk.enrollment_token_hash == digest(token)))
    if kiosk is None or kiosk.revoked_at is not None or kiosk.enrollment_expires_at < now:
        return None
    device_token = new_token()
    kiosk.enrollment_token_hash = None
    kiosk.enrollment_expires_at = None
    kiosk.device_token_hash = digest(device_token)  # a re-enrolled kiosk's old browser stops working
    kiosk.enrolled_at = now
    audit.record(
        session, f"kiosk:{kiosk.id}", "kiosk.enrolled", facility_id=kiosk.facility_id, remote_addr=remote_addr
    )
    return kiosk, device_token


def for_device(session: Session, device_token: str | None) -> Kiosk | None:
    if not device_token:
        return None
    return session.scalar(
        select(Kiosk).where(Kiosk.device_token_hash == digest(device_token), Kiosk.revoked_at.is_(None))
    )
