"""Opening cases with a PIN, and what wrong PINs cost: a wait at the kiosk that typed them.

A lock that anyone could set by typing wrong PINs for someone else's case number would keep
that person out of their own case. So wrong PINs slow down only the kiosk they came from, for
that case: the first three cost nothing, then each makes the kiosk wait before the next is
looked at, twice as long as the last (30 seconds, 1 minute, 2 ... up to an hour), forgotten a
day after the last. Only many wrong PINs from several kiosks (a guesser moving between housing
units, or several guessers) lock the case for everyone, for an hour, and a case manager can
unlock it at once (audited).

Every count is counted and checked in one statement, before the slow PIN check and committed
at once: however many tries arrive together (several web processes), no more are looked at
than the limits allow. A number that names no case is slowed down exactly like a case (by its
digest), so waiting says nothing about which cases exist.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, literal, null, or_, select, update
from sqlalchemy import case as sql_case
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kiosk.core import audit
from kiosk.core.credentials import SecretHasher, digest
from kiosk.core.db import is_postgres
from kiosk.core.models import Case, PinTry, utcnow

FREE_TRIES = 3  # wrong PINs at one kiosk for one case before it must wait
FIRST_WAIT = timedelta(seconds=30)  # after the third; each one after waits twice as long ...
LONGEST_WAIT = timedelta(hours=1)  # ... up to this
FORGOTTEN_AFTER = timedelta(days=1)  # a kiosk's wrong PINs for a case count from zero a day after the last
LOCK_FAILURES = 20  # wrong PINs for a case, from every kiosk together ...
LOCK_WINDOW = timedelta(days=1)  # ... within this, from at least two kiosks, lock it
LOCKOUT = timedelta(hours=1)


@dataclass
class TrackingResult:
    opened: list[Case] = field(default_factory=list)
    checked: bool = True  # False: the PIN was not looked at (the kiosk must wait, or the cases are locked)
    locked: bool = False  # every matching case is locked for everyone until ``try_again_at``
    try_again_at: datetime | None = None  # when this kiosk's next try will be looked at; None: at once


def wait_after(failures: int) -> timedelta | None:
    """How long a kiosk waits after its ``failures``-th wrong PIN for a case (None: not at all)."""
    if failures < FREE_TRIES:
        return None
    return min(FIRST_WAIT * 2 ** (failures - FREE_TRIES), LONGEST_WAIT)


def open_with_pin(
    session: Session, candidates: list[Case], pin: str, hasher: SecretHasher, *, kiosk_id: int, typed: str,
    actor: str, remote_addr: str | None = None, now: datetime | None = None,
) -> TrackingResult:
    """Opens the cases whose PIN matches, of those a number (``typed``, as its kind and value) named at
    a kiosk. Each try is counted as wrong before the PIN is looked at; a right PIN takes it back."""
    now = now or utcnow()
    ids = sorted(c.id for c in candidates)
    at_kiosk = _count_at_kiosk(session, kiosk_id, now, case_ids=ids, typed_digest=None if ids else digest(typed))
    free_here = [case_id for case_id in ids if case_id in at_kiosk]
    counted = _count_for_case(session, free_here, kiosk_id, now) if free_here else {}
    session.commit()  # the counts stand before the slow check, whatever happens next
    opened = [c for c in candidates if c.id in counted and hasher.verify(c.pin_hash, pin)]
    if not counted:
        hasher.verify(None, pin)  # the time of a check, when nothing was checked
    if opened:
        opened_ids = [c.id for c in opened]
        session.execute(update(Case).where(Case.id.in_(opened_ids))
                        .values(pin_failures=0, pin_failures_since=None, pin_failures_kiosk_id=None,
                                pin_failures_from_several_kiosks=False)
                        .execution_options(synchronize_session=False))
        session.execute(delete(PinTry).where(PinTry.kiosk_id == kiosk_id, PinTry.case_id.in_(opened_ids)))
        for case in opened:
            audit.record(session, actor, "case.tracked", case=case, remote_addr=remote_addr)
        return TrackingResult(opened=opened)
    for case in candidates:
        if counted.get(case.id) is not None:  # this try locked it
            audit.record(session, actor, "case.pin_locked", case=case, remote_addr=remote_addr)
    _forget_old_tries(session, now)
    return _what_next(session, ids, kiosk_id, digest(typed), now, checked=bool(counted if ids else at_kiosk))


def _what_next(session: Session, ids: list[int], kiosk_id: int, typed_digest: str, now: datetime, *,
               checked: bool) -> TrackingResult:
    """After a wrong or unchecked try: whether the cases are locked, and when this kiosk may try next."""
    subject = PinTry.case_id.in_(ids) if ids else PinTry.typed_digest == typed_digest
    waits = session.scalars(select(PinTry.wait_until).where(PinTry.kiosk_id == kiosk_id, subject)).all()
    locks = session.scalars(select(Case.pin_locked_until).where(Case.id.in_(ids))).all() if ids else []
    if locks and all(until is not None and until > now for until in locks):
        return TrackingResult(checked=checked, locked=True, try_again_at=min(locks))
    # A case is tried again once it is free at this kiosk: the earliest of them, if none is free now.
    free_at = [until if until is not None and until > now else now for until in waits] or [now]
    soonest = min(free_at)
    return TrackingResult(checked=checked, try_again_at=soonest if soonest > now else None)


def _count_at_kiosk(session: Session, kiosk_id: int, now: datetime, *, case_ids: list[int],
                    typed_digest: str | None) -> set[int | str]:
    """Counts one wrong PIN at this kiosk against each case (or the number that named none) unless
    the kiosk must still wait for it, setting the next wait; returns what was counted."""
    if case_ids:
        subject, keys = PinTry.case_id, case_ids
    else:
        subject, keys = PinTry.typed_digest, [typed_digest]
    dialect_insert = postgresql_insert if is_postgres(session) else sqlite_insert
    failures = sql_case((PinTry.last_failure_at <= now - FORGOTTEN_AFTER, 1), else_=PinTry.failures + 1)
    first = {"kiosk_id": kiosk_id, "failures": 1, "last_failure_at": now, "wait_until": _wait_until(1, now)}
    statement = dialect_insert(PinTry).values([{**first, subject.key: key} for key in keys])
    rows = session.execute(
        statement.on_conflict_do_update(
            index_elements=[subject.key, "kiosk_id"],
            set_={"failures": failures, "last_failure_at": now, "wait_until": _wait_until_sql(failures, now)},
            where=or_(PinTry.wait_until.is_(None), PinTry.wait_until <= now),
        ).returning(subject),
        execution_options={"synchronize_session": False},
    )
    return {row[0] for row in rows}


def _wait_until(failures: int, now: datetime) -> datetime | None:
    wait = wait_after(failures)
    return now + wait if wait else None


def _wait_until_sql(failures, now: datetime):
    """``_wait_until`` as SQL, for a count known only to the statement that makes it."""
    steps, n = [], FREE_TRIES
    while wait_after(n) < LONGEST_WAIT:
        steps.append((failures == n, literal(now + wait_after(n), PinTry.wait_until.type)))
        n += 1
    return sql_case((failures < FREE_TRIES, null()), *steps,
                    else_=literal(now + LONGEST_WAIT, PinTry.wait_until.type))


def _count_for_case(session: Session, case_ids: list[int], kiosk_id: int, now: datetime) -> dict[int, datetime | None]:
    """Counts one wrong PIN against each case that is not locked, across every kiosk, locking those it
    takes to LOCK_FAILURES within LOCK_WINDOW when more than one kiosk typed them; returns the cases
    counted, each with the lock this try set (None: not locked)."""
    new_window = or_(Case.pin_failures_since.is_(None), Case.pin_failures_since <= now - LOCK_WINDOW)
    failures = sql_case((new_window, 1), else_=Case.pin_failures + 1)
    several = and_(~new_window, or_(Case.pin_failures_from_several_kiosks,
                                    Case.pin_failures_kiosk_id.is_distinct_from(kiosk_id)))
    locks = and_(failures >= LOCK_FAILURES, several)
    rows = session.execute(
        update(Case)
        .where(Case.id.in_(case_ids), or_(Case.pin_locked_until.is_(None), Case.pin_locked_until <= now))
        .values(
            pin_failures=sql_case((locks, 0), else_=failures),
            pin_failures_since=sql_case((locks, null()), (new_window, literal(now, Case.pin_failures_since.type)),
                                        else_=Case.pin_failures_since),
            pin_failures_kiosk_id=sql_case((locks, null()), (new_window, kiosk_id), else_=Case.pin_failures_kiosk_id),
            pin_failures_from_several_kiosks=sql_case((locks, False), else_=several),
            pin_locked_until=sql_case((locks, literal(now + LOCKOUT, Case.pin_locked_until.type)), else_=null()),
        )
        .returning(Case.id, Case.pin_locked_until)
        .execution_options(synchronize_session=False))
    return {row.id: row.pin_locked_until for row in rows}


def _forget_old_tries(session: Session, now: datetime) -> None:
    session.execute(delete(PinTry).where(PinTry.last_failure_at <= now - FORGOTTEN_AFTER))


class NotLocked(ValueError):
    """The case is not locked: there is nothing to unlock."""


def unlock(session: Session, case: Case, *, actor: str, remote_addr: str | None = None,
           now: datetime | None = None) -> None:
    """A case manager opens a locked case to PINs again, at every kiosk, and the count starts afresh."""
    now = now or utcnow()
    unlocked = session.execute(
        update(Case).where(Case.id == case.id, Case.pin_locked_until > now)
        .values(pin_locked_until=None, pin_failures=0, pin_failures_since=None, pin_failures_kiosk_id=None,
                pin_failures_from_several_kiosks=False)
        .execution_options(synchronize_session=False)).rowcount
    if not unlocked:
        raise NotLocked("This case is not locked.")
    session.execute(delete(PinTry).where(PinTry.case_id == case.id))
    session.expire(case)
    audit.record(session, actor, "case.pin_unlocked", case=case, remote_addr=remote_addr)
