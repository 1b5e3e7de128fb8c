"""Kiosks that stop working are noticed: every request of an enrolled kiosk is its heartbeat; the worker
shows staff a kiosk silent too long in its facility's waking hours; the kiosk's next request clears it.

An idle kiosk keeps talking by itself: its idle countdown sends every screen, the start screen too,
to /kiosk/timeout once per KIOSK_IDLE_TIMEOUT, and a person typing pings /kiosk/still-here. A kiosk
silent for KIOSK_SILENT_KIOSK_MINUTES (30 unless configured, at least twice the idle timeout) is
switched off, frozen or cut off. The heartbeat carries the kiosk's id and the moment, nobody's
data, and the kiosk's pages say nothing of it. ``last_seen_at`` is written at most once a minute per
kiosk, so on nearly every request the heartbeat is a dictionary lookup (``Heartbeats``).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from kiosk.core import actors, audit
from kiosk.core.models import Facility, HousingUnit, Kiosk, utcnow

log = logging.getLogger(__name__)

WRITE_EVERY = timedelta(minutes=1)
# Housing units sleep at night: a kiosk switched off or unused from lights-out to wake-up is not
# broken, so only its silence between these hours, in the facility's own time, counts.
WAKING_HOURS = (time(7), time(22))
CHECK_EVERY = 60.0  # seconds between the worker's checks


# --- the heartbeat, on every kiosk request ---------------------------------------------------

def record_heard(session: Session, kiosk_id: int, now: datetime) -> bool:
    """The kiosk made a request: its last seen moment, unless written less than a minute ago. The
    conditional UPDATEs decide, not what this process read, so web processes on several machines
    write it once a minute between them, and one alone clears (and audits) a silent alert. True
    when this one did."""
    cleared = session.execute(
        update(Kiosk).where(Kiosk.id == kiosk_id, Kiosk.silent_since.is_not(None))
        .values(last_seen_at=now, silent_since=None).returning(Kiosk.facility_id)
        .execution_options(synchronize_session=False)).first()
    if cleared is not None:
        audit.record(session, actors.kiosk(kiosk_id), "kiosk.heard_again", facility_id=cleared.facility_id)
        return True
    session.execute(
        update(Kiosk).where(Kiosk.id == kiosk_id,
                            or_(Kiosk.last_seen_at.is_(None), Kiosk.last_seen_at < now - WRITE_EVERY))
        .values(last_seen_at=now).execution_options(synchronize_session=False))
    return False


class Heartbeats:
    """Per web process: when it last wrote each kiosk's heartbeat, so that it writes at most once a
    minute per kiosk. ``clock`` is the moment a request is heard at (a test sets it forward)."""

    def __init__(self, clock: Callable[[], datetime] = utcnow):
        self.clock = clock
        self._written: dict[int, datetime] = {}

    def heard(self, open_session: Callable[[], Session], kiosk_id: int) -> None:
        now = self.clock()
        last = self._written.get(kiosk_id)
        if last is not None and last <= now < last + WRITE_EVERY:
            return
        self._written[kiosk_id] = now
        session = open_session()
        try:
            record_heard(session, kiosk_id, now)
            session.commit()
        except SQLAlchemyError:
            # A heartbeat never stands in a detainee's way: the kiosk's next request tries again.
            session.rollback()
            self._written.pop(kiosk_id, None)
            log.warning("could not record the heartbeat of kiosk %d", kiosk_id, exc_info=True)


# --- the worker's check, once a minute ----------------------------------------------------

def waking_time(since: datetime, until: datetime, zone: ZoneInfo, enough: timedelta) -> timedelta:
    """How much of [since, until] falls in the facility's waking hours, counted back from ``until``
    and no further than ``enough``."""
    counted = timedelta(0)
    day = until.astimezone(zone).date()
    while counted < enough:
        # In UTC: between two moments of one zone Python ignores a change of clocks (DST) in between.
        wake, sleep = (datetime.combine(day, hour, zone).astimezone(timezone.utc) for hour in WAKING_HOURS)
        if sleep <= since:
            break  # this day's waking hours ended before the silence began, and every earlier day's
        counted += max(timedelta(0), min(until, sleep) - max(since, wake))
        day -= timedelta(days=1)
    return counted


def raise_alerts(session: Session, *, now: datetime, silent_after: timedelta, actor: str) -> list[int]:
    """Marks every enrolled kiosk silent for ``silent_after`` of waking time since it was last seen (or
    enrolled, never seen since); returns their ids. Several workers may check at once: a kiosk is
    marked, and audited, once."""
    cutoff = now - silent_after  # waking time is never more than the time that passed
    candidates = session.execute(
        select(Kiosk.id, Kiosk.facility_id, Kiosk.enrolled_at, Kiosk.last_seen_at, Facility.timezone)
        .join(Facility, Facility.id == Kiosk.facility_id)
        .where(Kiosk.enrolled_at < cutoff, Kiosk.revoked_at.is_(None), Kiosk.silent_since.is_(None),
               or_(Kiosk.last_seen_at.is_(None), Kiosk.last_seen_at < cutoff))
        .order_by(Kiosk.id)).all()
    raised = []
    for row in candidates:
        since = max(row.enrolled_at, row.last_seen_at or row.enrolled_at)  # a re-enrolled device starts afresh
        if waking_time(since, now, ZoneInfo(row.timezone), silent_after) < silent_after:
            continue
        seen = Kiosk.last_seen_at.is_(None) if row.last_seen_at is None else Kiosk.last_seen_at == row.last_seen_at
        marked = session.execute(
            update(Kiosk).where(Kiosk.id == row.id, Kiosk.silent_since.is_(None), seen)  # not heard meanwhile
            .values(silent_since=now).returning(Kiosk.id).execution_options(synchronize_session=False)).first()
        if marked is not None:
            audit.record(session, actor, "kiosk.silent", facility_id=row.facility_id, kiosk_id=row.id,
                         last_seen=row.last_seen_at.isoformat() if row.last_seen_at else None)
            raised.append(row.id)
    return raised


# --- what the console shows ---------------------------------------------------------------

@dataclass(frozen=True)
class SilentKiosk:
    id: int
    label: str
    unit: str
    facility_id: int
    facility_code: str
    timezone: str
    last_seen_at: datetime | None
    enrolled_at: datetime
    silent_since: datetime


def silent(session: Session, facility_ids: list[int] | Select | None) -> list[SilentKiosk]:
    """The kiosks shown as silent, of these facilities (a list, a subquery as staff_accounts.works_at
    gives, or None: every facility): one query on ix_kiosks_silent."""
    query = (select(Kiosk.id, Kiosk.label, HousingUnit.name, Facility.id, Facility.code, Facility.timezone,
                    Kiosk.last_seen_at, Kiosk.enrolled_at, Kiosk.silent_since)
             .join(HousingUnit, HousingUnit.id == Kiosk.housing_unit_id)
             .join(Facility, Facility.id == Kiosk.facility_id)
             .where(Kiosk.silent_since.is_not(None), Kiosk.revoked_at.is_(None))
             .order_by(Facility.code, HousingUnit.name, Kiosk.id))
    if facility_ids is not None:
        query = query.where(Kiosk.facility_id.in_(facility_ids))
    return [SilentKiosk(*row) for row in session.execute(query)]
