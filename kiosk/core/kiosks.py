"""Registering a touchscreen and enrolling the browser that runs on it.

An administrator registers a kiosk for a facility and housing unit and gets a
one-time enrollment URL; opening it on the device stores a long-lived device
token in a cookie. Every case filed there records that facility and unit.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from kiosk.core import actors, audit, text
from kiosk.core.credentials import digest, new_token
from kiosk.core.models import Facility, HousingUnit, Kiosk, utcnow

ENROLLMENT_VALID_FOR = timedelta(hours=24)
MAX_LABEL = 100  # Kiosk.label


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


def enrollment_url(public_url: str, token: str) -> str:
    """The address to open once on the device (kioskctl prints it, the administrator's page shows it)."""
    return f"{public_url.rstrip('/')}/kiosk/enroll/{token}"


def register(session: Session, unit: HousingUnit, label: str, actor: str,
             remote_addr: str | None = None) -> tuple[Kiosk, str]:
    label = text.clean(label, limit=MAX_LABEL, what="kiosk's label", one_line=True, required=True)
    kiosk = Kiosk(label=label, facility_id=unit.facility_id, housing_unit_id=unit.id)
    session.add(kiosk)
    session.flush()
    audit.record(session, actor, "kiosk.registered", facility_id=unit.facility_id, remote_addr=remote_addr,
                 kiosk_id=kiosk.id, unit_id=unit.id, label=label)
    return kiosk, issue_enrollment(session, kiosk, actor, remote_addr=remote_addr)


def issue_enrollment(session: Session, kiosk: Kiosk, actor: str, now: datetime | None = None,
                     remote_addr: str | None = None) -> str:
    """A fresh one-time enrollment token; any earlier unused one stops working."""
    if kiosk.revoked_at is not None:
        raise ValueError(f"Kiosk {kiosk.id} is revoked: register a new kiosk instead.")  # enroll() refuses it
    token = new_token()
    kiosk.enrollment_token_hash = digest(token)
    kiosk.enrollment_expires_at = (now or utcnow()) + ENROLLMENT_VALID_FOR
    audit.record(session, actor, "kiosk.enrollment_issued", facility_id=kiosk.facility_id, kiosk_id=kiosk.id,
                 remote_addr=remote_addr)
    return token


def revoke(session: Session, kiosk: Kiosk, actor: str, remote_addr: str | None = None) -> None:
    """For good: the device token and any unused enrollment URL stop working.

    Web processes remember devices for DeviceCache.ttl seconds; the caller expires its own
    process's cache, the others follow within that time.
    """
    if kiosk.revoked_at is not None:
        raise ValueError(f"Kiosk {kiosk.id} is revoked already.")
    kiosk.revoked_at = utcnow()
    kiosk.enrollment_token_hash = kiosk.enrollment_expires_at = None
    audit.record(session, actor, "kiosk.revoked", facility_id=kiosk.facility_id, kiosk_id=kiosk.id,
                 remote_addr=remote_addr)


def state(kiosk: Kiosk) -> str:
    """What the administrator's page says about a kiosk."""
    if kiosk.revoked_at is not None:
        return "revoked"
    return "enrolled" if kiosk.enrolled_at is not None else "awaiting enrollment"


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
        session, actors.kiosk(kiosk.id), "kiosk.enrolled", facility_id=kiosk.facility_id, remote_addr=remote_addr
    )
    return kiosk, device_token


@dataclass(frozen=True)
class EnrolledKiosk:
    """Where an enrolled device stands: what every request of the kiosk surface needs."""

    id: int
    facility_id: int
    housing_unit_id: int
    timezone: str


# Asked on every kiosk request, so the statement is built once.
_KIOSK_FOR_DEVICE = (
    select(Kiosk.id, Kiosk.facility_id, Kiosk.housing_unit_id, Facility.timezone)
    .join(Facility, Facility.id == Kiosk.facility_id)
    .where(Kiosk.device_token_hash == bindparam("token_hash"), Kiosk.revoked_at.is_(None))
)


def for_device(session: Session, device_token: str | None) -> EnrolledKiosk | None:
    """The kiosk this device token belongs to, unless it was revoked."""
    if not device_token:
        return None
    row = session.execute(_KIOSK_FOR_DEVICE, {"token_hash": digest(device_token)}).first()
    return EnrolledKiosk(*row) if row else None


class DeviceCache:
    """Remembers for a few seconds which kiosk a device is, per process.

    Every kiosk request asks; the answer only changes when an administrator
    revokes or re-enrolls a kiosk, which then takes effect within ``ttl``.
    """

    def __init__(self, ttl: float = 10.0, size: int = 1024):
        self.ttl, self.size = ttl, size
        self._entries: dict[str, tuple[float, EnrolledKiosk | None]] = {}

    def lookup(self, open_session, device_token: str | None) -> EnrolledKiosk | None:
        if not device_token:
            return None
        now = time.monotonic()
        hit = self._entries.get(device_token)
        if hit is not None and hit[0] > now:
            return hit[1]
        found = for_device(open_session(), device_token)
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[device_token] = (now + self.ttl, found)
        return found

    def expire_all(self) -> None:
        self._entries.clear()
