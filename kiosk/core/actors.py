"""Who did something: as the audit log and the timelines store it, and as a person reads it.

An actor is stored as a short text: ``staff:3``, ``kiosk:1``, ``sms:+15125550123``,
``worker:host:pid``, ``unknown:<a username nobody has>``, ``cli`` or ``demo``. Stored
like this, an entry never changes when a person is renamed; shown, it names them.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core.identifiers import format_phone
from kiosk.core.models import Facility, HousingUnit, Kiosk, StaffUser


def staff(user: StaffUser) -> str:
    return f"staff:{user.id}"


def kiosk(kiosk_id: int) -> str:
    return f"kiosk:{kiosk_id}"


def phone(number: str) -> str:
    return f"sms:{number}"


def worker(name: str) -> str:
    return f"worker:{name}"


def unknown(username: str) -> str:
    """Someone who tried to sign in with a username no account has."""
    return f"unknown:{username}"


def _ids(actors: set[str], kind: str) -> set[int]:
    return {int(a[len(kind) + 1:]) for a in actors if a.startswith(kind + ":") and a[len(kind) + 1:].isdigit()}


def names(session: Session, actors: Iterable[str | None]) -> dict[str, str]:
    """Each actor as a person reads it: at most two queries whatever their number, none for actors
    that are not accounts or kiosks."""
    wanted = {a for a in actors if a}
    people, kiosks = {}, {}
    if staff_ids := _ids(wanted, "staff"):
        people = {f"staff:{user_id}": name for user_id, name in session.execute(
            select(StaffUser.id, StaffUser.display_name).where(StaffUser.id.in_(staff_ids)))}
    if kiosk_ids := _ids(wanted, "kiosk"):
        # A kiosk by where it stands, as the people who work there say it: the kiosk in unit B-2 (TST).
        kiosks = {f"kiosk:{kiosk_id}": f"the kiosk in unit {unit} ({code})" for kiosk_id, unit, code in session.execute(
            select(Kiosk.id, HousingUnit.name, Facility.code).join(Facility, Facility.id == Kiosk.facility_id)
            .join(HousingUnit, HousingUnit.id == Kiosk.housing_unit_id).where(Kiosk.id.in_(kiosk_ids)))}
    return {actor: people.get(actor) or kiosks.get(actor) or _described(actor) for actor in wanted}


def _described(actor: str) -> str:
    kind, _, rest = actor.partition(":")
    if kind == "sms":
        return f"a text from {format_phone(rest)}"
    if kind == "worker":
        return f"the worker on {rest.rsplit(':', 1)[0]}"
    if kind == "unknown":
        return f"someone signing in as “{rest}”, a name no account has"
    if kind == "staff":
        return "a staff account that no longer exists"
    if kind == "kiosk":
        return "a kiosk that is no longer registered"
    return {"cli": "kioskctl, on the server", "demo": "the demo data"}.get(actor, actor)
