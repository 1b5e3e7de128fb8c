"""How the console shows what the core stores: codes as English labels, moments in the facility's
own time with its zone, people by name (phone numbers: the |phone filter of kiosk/web/i18n.py).

Registered as template filters, so no template formats a date or a code itself:

    {{ case.status|label }}              In review
    {{ case.due_at|at(zone) }}           2026-12-04 09:15 CST
    {{ event.actor|actor }}              Chris Case, the kiosk in unit A-1 (RBP), a text from ...
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import g

from kiosk.core import actors, audit
from kiosk.core.categories import category_label
from kiosk.core.identifiers import masked_phone
from kiosk.core.models import CaseStatus, Code
from kiosk.core.triage import BADLY_LATE_AFTER
from kiosk.web.db import get_session


def label(value) -> str:
    """The staff's English for a stored code: a status, role, event kind, hotline kind or category."""
    if value is None:
        return "—"
    return value.label if isinstance(value, Code) else category_label(value)


def _zone(name: str | None):
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def at(moment: datetime | str | None, zone: str | None = None, seconds: bool = False) -> str:
    """A moment in the zone of the facility it happened at, with the zone's abbreviation, to the
    minute (or second); UTC where no facility applies. Takes a datetime or an ISO string."""
    if moment is None:
        return "—"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(_zone(zone)).strftime("%Y-%m-%d %H:%M:%S %Z" if seconds else "%Y-%m-%d %H:%M %Z")


def day(moment: datetime | None, zone: str | None = None) -> str:
    return "—" if moment is None else moment.astimezone(_zone(zone)).strftime("%Y-%m-%d")


def as_typed(moment: datetime, zone: str | None = None) -> str:
    """A moment as a form field holds it, in the facility's time: 2026-12-04 09:15."""
    return moment.astimezone(_zone(zone)).strftime("%Y-%m-%d %H:%M")


def parse_typed(typed: str, zone: str | None = None) -> datetime:
    """The moment a person typed in the facility's time, or ValueError."""
    return datetime.fromisoformat(typed.strip()).replace(tzinfo=_zone(zone))


def duration(span: timedelta) -> str:
    """A span as a case manager says it: 40 minutes, 5 hours, 3 days."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} minute{'s' * (minutes != 1)}"
    if minutes < 48 * 60:
        return f"{minutes // 60} hour{'s' * (minutes // 60 != 1)}"
    return f"{minutes // (24 * 60)} days"


def due(due_at: datetime, now: datetime) -> str:
    """When an open case is due, from now: due in 3 days, overdue by 2 days."""
    return f"overdue by {duration(now - due_at)}" if due_at < now else f"due in {duration(due_at - now)}"


def badly_late(filed_at: datetime, now: datetime) -> bool:
    """Open longer than the grievance standards' outer limit (15 days since it was filed), whatever
    its due time says: a due time a supervisor moved later does not hide it."""
    return now - filed_at > BADLY_LATE_AFTER


def actor(value: str | None) -> str:
    """Who did something, by name; a page's actors are looked up together (``know_actors``)."""
    if not value:
        return "—"
    known = g.setdefault("actor_names", {})
    if value not in known:
        known.update(actors.names(get_session(), [value]))
    return known[value]


def know_actors(values) -> None:
    """Looks up every actor a page will name, in two queries rather than one per actor."""
    known = g.setdefault("actor_names", {})
    known.update(actors.names(get_session(), [v for v in values if v and v not in known]))


# What an audit entry's details say, keyed as the core records them; ids that mean nothing to a
# person (an event's, a translation's) are left out.
HIDDEN_DETAILS = {"event_id", "item_id", "link_id", "translation_id", "unit_id", "hotline_id", "alert_id"}


class AuditDetails:
    """An audit entry's details as a line a person reads: other cases by number, people by name."""

    def __init__(self, session, entries):
        self.numbers = audit.case_numbers(session, entries)

    def __call__(self, entry) -> str:
        return " · ".join(f"{key.removesuffix('_id').replace('_', ' ').capitalize()}: {self._value(key, value)}"
                          for key, value in entry.detail.items() if key not in HIDDEN_DETAILS)

    def _value(self, key: str, value) -> str:
        if key.endswith("case_id"):
            return self.numbers.get(value, "a case that no longer exists")
        if key in ("staff_id", "kiosk_id"):
            return actor(f"{key.split('_')[0]}:{value}")
        if key in ("status_from", "status_to") and value in set(CaseStatus):
            return CaseStatus(value).label
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, dict):
            return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in value.items() if v not in (None, False, ""))
        if isinstance(value, list):
            return ", ".join(str(item) for item in value)
        return str(value)


FILTERS = {"label": label, "at": at, "day": day, "as_typed": as_typed, "duration": duration, "actor": actor,
           "masked_phone": masked_phone}
