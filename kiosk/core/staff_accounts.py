"""Staff accounts: signing in, throttling, roles and which facilities each one sees.

Passwords are argon2id, rehashed when the parameters change, and capped in
length (argon2 would happily hash a megabyte). Five failures within 15 minutes
lock an account for 15 minutes; the count lives in the database, so every web
process sees it. A deactivated account stops at its next request.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core import audit
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
    if role not in {r.value for r in StaffRole}:
        raise ValueError(f"unknown role {role!r}")
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValueError(f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters")
    if session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise ValueError(f"{username!r} exists already")
    user = StaffUser(username=username, display_name=display_name, role=role, password_hash=hasher.hash(password))
    session.add(user)
    session.flush()
    for code in facility_codes:
        facility = session.scalar(select(Facility).where(Facility.code == code))
        if facility is None:
            raise ValueError(f"no facility {code!r}")
        session.add(StaffFacility(staff_id=user.id, facility_id=facility.id))
    audit.record(session, actor, "staff.created", staff_id=user.id, role=role)
    return user


def sign_in(session: Session, hasher: SecretHasher, username: str, password: str, *,
            remote_addr: str | None, now: datetime | None = None) -> SignIn:
    now = now or utcnow()
    user = session.scalar(select(StaffUser).where(StaffUser.username == username[:64]))
    if len(password) > MAX_PASSWORD:
        password = ""  # never hashed; fails like any wrong password
    if user is not None and user.locked_until and user.locked_until > now:
        audit.record(session, f"staff:{user.id}", "staff.login_refused_locked", remote_addr=remote_addr)
        return SignIn(None, user.locked_until)
    valid = hasher.verify(user.password_hash if user else None, password) and user is not None and user.active
    if not valid:
        audit.record(session, f"staff:{user.id}" if user else f"unknown:{username[:64]}", "staff.login_failed",
                     remote_addr=remote_addr)
        if user is not None:
            if user.first_failed_at is None or now - user.first_failed_at > FAILURE_WINDOW:
                user.first_failed_at, user.failed_logins = now, 0
            user.failed_logins += 1
            if user.failed_logins >= FAILURES:
                user.locked_until, user.failed_logins, user.first_failed_at = now + LOCKOUT, 0, None
                audit.record(session, f"staff:{user.id}", "staff.locked", remote_addr=remote_addr)
                return SignIn(None, user.locked_until)
        return SignIn(None)
    if hasher.needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    user.failed_logins, user.first_failed_at, user.locked_until, user.last_login_at = 0, None, None, now
    audit.record(session, f"staff:{user.id}", "staff.login", remote_addr=remote_addr)
    return SignIn(user)


def sees_every_facility(user: StaffUser) -> bool:
    return user.role in (StaffRole.SUPERVISOR.value, StaffRole.ADMINISTRATOR.value)


def facility_ids(user: StaffUser) -> list[int] | None:
    """The facilities this person works; None means all of them."""
    return None if sees_every_facility(user) else [f.id for f in user.facilities]


def may_see(user: StaffUser, case: Case) -> bool:
    allowed = facility_ids(user)
    return allowed is None or case.facility_id in allowed


def set_active(session: Session, user: StaffUser, active: bool, *, actor: str) -> None:
    """Deactivation takes effect at the account's next request: every request reads it again."""
    user.active = active
    audit.record(session, actor, "staff.activated" if active else "staff.deactivated", staff_id=user.id)
