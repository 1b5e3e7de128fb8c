"""Staff accounts: signing in, throttling, roles and which facilities each one sees.

Passwords are argon2id, rehashed when the parameters change, and capped in
length (argon2 would happily hash a megabyte). Five failures within 15 minutes
lock an account for 15 minutes; the count lives in the database, so every web
process sees it. A deactivated account stops at its next request.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case as sql_case
from sqlalchemy import literal, null, or_, select, update
from sqlalchemy.orm import Session

from kiosk.core import actors, audit, emergencies, text
from kiosk.core.credentials import SecretHasher
from kiosk.core.models import Case, Facility, StaffFacility, StaffRole, StaffUser, utcnow

MAX_PASSWORD = 256
MIN_PASSWORD = 12
FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)


@dataclass(frozen=True)
class SignIn:
    user: StaffUser | None
    locked_until: datetime | None = None


def create(session: Session, hasher: SecretHasher, *, username: str, display_name: str, role: str,
           password: str, facility_codes: list[str] = (), actor: str) -> StaffUser:
    username = text.clean(username, limit=64, what="username", one_line=True, required=True)
    display_name = text.clean(display_name, limit=200, what="name", one_line=True) or username
    if role not in set(StaffRole):
        raise ValueError("Choose the account's role.")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:  # a password is never cleaned: every character counts
        raise ValueError(f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise ValueError(f"The username {username} is taken already.")
    user = StaffUser(username=username, display_name=display_name, role=role, password_hash=hasher.hash(password))
    session.add(user)
    session.flush()
    for code in facility_codes:
        facility = session.scalar(select(Facility).where(Facility.code == code))
        if facility is None:
            raise ValueError(f"There is no facility {code[:16]}.")
        session.add(StaffFacility(staff_id=user.id, facility_id=facility.id))
    audit.record(session, actor, "staff.created", staff_id=user.id, role=role)
    return user


def sign_in(session: Session, hasher: SecretHasher, username: str, password: str, *,
            remote_addr: str | None, now: datetime | None = None) -> SignIn:
    """Checks a password. Five failures within 15 minutes lock the account for 15 minutes.

    Each try is counted before the password is checked, in one UPDATE committed at once, so
    that however many tries arrive together (several web processes), at most five are ever
    checked before the lock; a success sets the count back to zero.
    """
    now = now or utcnow()
    username = username[:64]
    if len(password) > MAX_PASSWORD:
        password = ""  # never hashed; fails like any wrong password
    counted = _count_try(session, username, now)
    session.commit()  # the count stands before the slow check, whatever happens next
    if counted is None:
        user = session.scalar(select(StaffUser).where(StaffUser.username == username))
        hasher.verify(None, password)  # an unknown name takes as long as a wrong password
        if user is not None:  # locked
            audit.record(session, actors.staff(user), "staff.login_refused_locked", remote_addr=remote_addr)
            return SignIn(None, user.locked_until)
        audit.record(session, actors.unknown(username), "staff.login_failed", remote_addr=remote_addr)
        return SignIn(None)
    user_id, locked_until = counted
    user = session.get(StaffUser, user_id)
    session.refresh(user)
    if not (hasher.verify(user.password_hash, password) and user.active):
        audit.record(session, actors.staff(user), "staff.login_failed", remote_addr=remote_addr)
        if locked_until is not None:  # this try was the fifth
            audit.record(session, actors.staff(user), "staff.locked", remote_addr=remote_addr)
            return SignIn(None, locked_until)
        return SignIn(None)
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.failed_logins, user.first_failed_at, user.locked_until, user.last_login_at = 0, None, None, now
    audit.record(session, actors.staff(user), "staff.login", remote_addr=remote_addr)
    return SignIn(user)


def _count_try(session: Session, username: str, now: datetime) -> tuple[int, datetime | None] | None:
    """Counts one try against an account that is not locked, locking it at the fifth within the
    window; returns its id and the lock this try set, or None for an unknown or locked account."""
    new_window = or_(StaffUser.first_failed_at.is_(None), StaffUser.first_failed_at < now - FAILURE_WINDOW)
    tries = sql_case((new_window, 1), else_=StaffUser.failed_logins + 1)
    fifth = tries >= FAILURES
    at = StaffUser.first_failed_at.type
    row = session.execute(
        update(StaffUser)
        .where(StaffUser.username == username, or_(StaffUser.locked_until.is_(None), StaffUser.locked_until <= now))
        .values(failed_logins=sql_case((fifth, 0), else_=tries),
                first_failed_at=sql_case((fifth, null()), (new_window, literal(now, at)),
                                         else_=StaffUser.first_failed_at),
                locked_until=sql_case((fifth, literal(now + LOCKOUT, at)), else_=null()))
        .returning(StaffUser.id, StaffUser.locked_until)
        .execution_options(synchronize_session=False)).first()
    return (row.id, row.locked_until) if row else None


def sees_every_facility(user: StaffUser) -> bool:
    return user.role in (StaffRole.SUPERVISOR, StaffRole.ADMINISTRATOR)


def facility_ids(user: StaffUser) -> list[int] | None:
    """The facilities this person works; None means all of them."""
    return None if sees_every_facility(user) else [f.id for f in user.facilities]


def works_at(user: StaffUser):
    """The facilities this person works as a subquery, for a query that must stay one query (the
    alert poll); None means all of them."""
    return None if sees_every_facility(user) else select(StaffFacility.facility_id).where(
        StaffFacility.staff_id == user.id)


def may_see(user: StaffUser, case: Case) -> bool:
    allowed = facility_ids(user)
    return allowed is None or case.facility_id in allowed


def set_active(session: Session, user: StaffUser, active: bool, *, actor: str) -> None:
    """Deactivation takes effect at the account's next request: every request reads it again. Either
    change also ends every session signed in before it, so reactivating an account does not bring
    an old session (on a machine the person no longer uses) back to life."""
    user.active = active
    user.session_generation = StaffUser.session_generation + 1
    audit.record(session, actor, "staff.activated" if active else "staff.deactivated", staff_id=user.id)


def set_phone(session: Session, user: StaffUser, phone: str, *, actor: str, remote_addr: str | None = None) -> None:
    """The phone texted when an emergency is not acknowledged in time (a supervisor's); empty removes it."""
    before = user.phone
    user.phone = emergencies.escalation_phone(phone) if phone.strip() else None
    audit.record(session, actor, "staff.phone_changed", remote_addr=remote_addr, staff_id=user.id,
                 before=before, phone=user.phone)
