"""The Open311 export: de-identified cases as GeoReport v2 ``service_requests``, for anyone who
analyses civic request data with the tools made for it.

Field names and query parameters are the spec's (wiki.open311.org/GeoReport_v2): a service is a
category, a service request a case, the agency responsible its facility. What would point at a
person is never in it: no address, position or media, and the description is the English of the
person's words, de-identified (kiosk/core/deidentify.py), only for a case whose person said the
facility may know who they are (as in the referral packet); every other description is empty.

The spec's arguments, read strictly: a value that is not one the spec allows is a ``BadParameter``
(the view answers 400 in the spec's error format), never a guess. Without dates a query covers the
spec's default 90 days; results come ``PAGE_SIZE`` at a time, oldest first, with ``page``. Beside
``open`` and ``closed``, ``status`` takes our own statuses (``referred``...), as an extension.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, timezone

from sqlalchemy import case as sql_case
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kiosk.core import cases, triage
from kiosk.core.milestones import OUTCOMES  # what status_notes names as an outcome
from kiosk.core.case_translations import STAFF_LANGUAGE
from kiosk.core.categories import CATEGORIES, CATEGORY_CODES, category_label
from kiosk.core.deidentify import scrub
from kiosk.core.identifiers import InvalidIdentifier, parse_case_number
from kiosk.core.models import (
    Case,
    CaseStatus,
    Facility,
    Translation,
    TranslationStatus,
    utcnow,
)

PAGE_SIZE = 1000
DEFAULT_WINDOW = timedelta(days=90)  # the spec's default when no dates are given
MAX_IDS = PAGE_SIZE
MAX_PAGE = 1_000_000  # a billion requests: more than the ombudsman will ever hold
EARLIEST = datetime.min.replace(tzinfo=UTC)
PARAMETERS = ("service_request_id", "service_code", "start_date", "end_date", "status", "page")

# What each category is about, for the service list: (group, description, keywords).
SERVICES = {
    "medical": ("Health and safety", "Medical, dental or mental health care: access, delays, medication.",
                "doctor, nurse, medication, sick call, dental, mental health"),
    "legal_access": ("Access to the outside", "Access to a lawyer, a working telephone, legal papers or the law library.",
                     "lawyer, telephone, legal mail, law library, court"),
    "safety": ("Health and safety", "Violence or threats by detainees or staff, sexual abuse or harassment (PREA).",
               "violence, threats, sexual abuse, PREA, protection"),
    "living_conditions": ("Conditions of detention", "Crowding, sanitation, temperature, bedding, showers and toilets.",
                          "crowding, sanitation, temperature, hygiene, bedding"),
    "food": ("Conditions of detention", "Meals: quantity, quality, special and religious diets.",
             "food, meals, diet, water"),
    "property": ("Conditions of detention", "Personal property and money: lost, taken or not returned.",
                 "property, money, belongings, commissary"),
    "communication": ("Access to the outside", "Mail, visits and other contact with family and the outside.",
                      "mail, visits, family, contact"),
    "staff_conduct": ("Staff", "How staff treat detainees: disrespect, retaliation, abuse of authority.",
                      "staff, officers, retaliation, disrespect"),
    "religion": ("Conditions of detention", "Practice of religion: services, texts, diets, clergy.",
                 "religion, prayer, clergy, religious diet"),
    "disability": ("Health and safety", "Disability and accommodations: mobility, hearing, sight, interpreters.",
                   "disability, accommodation, wheelchair, hearing, sight"),
    "other": ("Other", "Anything else about the conditions of detention.", "other"),
}

# The spec knows two statuses; a case is closed once it has one of the outcomes that close it.
STATUSES = frozenset({"open", "closed", *(str(status) for status in CaseStatus)})


class BadParameter(ValueError):
    """A query argument that is not what the spec allows; its message says which and why."""


@dataclass(frozen=True)
class Query:
    """The arguments as read: ``start``/``end`` bound requested_datetime (``end`` inclusive); a
    ``numbers`` list overrides every other argument, as the spec says of service_request_id."""

    start: datetime
    end: datetime
    numbers: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    page: int = 1

    def as_audit(self) -> dict:
        """The filters, as the audit entry names them."""
        if self.numbers:
            return {"service_request_id": list(self.numbers), "page": self.page}
        return {"start_date": w3c(self.start), "end_date": w3c(self.end), "service_code": list(self.codes),
                "status": list(self.statuses), "page": self.page}


def w3c(moment: datetime | None) -> str | None:
    """A moment as the spec writes one: W3C date and time, in UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z" if moment else None


def _listed(raw: list[str]) -> list[str]:
    """A comma-delimited argument, which the spec also lets be given several times."""
    return [piece.strip() for value in raw for piece in value.split(",") if piece.strip()]


def _shown(value: str) -> str:
    return repr(value[:40] + ("…" if len(value) > 40 else ""))


# W3C-DTF: a date, or a date and a time to the minute, second or fraction with its zone. A "+" that
# a client did not percent-encode arrives as a space: read as the "+" it was.
_W3C = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
                  r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,9}))?)?(Z|[+\- ][0-9]{2}:[0-9]{2}))?")


def parse_moment(name: str, raw: str, *, end_of_day: bool) -> datetime:
    """A W3C date-time with its zone; a bare date is that day in UTC (all of it, for an end date)."""
    found = _W3C.fullmatch(raw.strip())
    if found is None:
        raise BadParameter(f"{name} {_shown(raw)} is not a W3C date and time, like 2026-11-05T08:15:30Z "
                           f"or 2026-11-05T08:15:30-05:00 (or a date, like 2026-11-05).")
    year, month, day, hour, minute, second, fraction, zone = found.groups()
    try:
        if hour is None:
            moment = datetime.combine(datetime(int(year), int(month), int(day)).date(),
                                      time.max if end_of_day else time.min, UTC)
        else:
            offset = UTC
            if zone != "Z":
                sign = -1 if zone[0] == "-" else 1
                offset = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
            moment = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0),
                              int((fraction or "0")[:6].ljust(6, "0")), offset)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise BadParameter(f"{name} {_shown(raw)} is not a date and time that exists.") from None


def _page(raw: list[str]) -> int:
    if not raw:
        return 1
    if len(raw) > 1:
        raise BadParameter("page is given more than once.")
    value = raw[0].strip()
    if not (value.isascii() and value.isdigit() and len(value) <= len(str(MAX_PAGE)) and 1 <= int(value) <= MAX_PAGE):
        raise BadParameter(f"page {_shown(raw[0])} is not a whole number from 1 to {MAX_PAGE:,}.")
    return int(value)


def _numbers(raw: list[str]) -> tuple[str, ...]:
    pieces = _listed(raw)
    if len(pieces) > MAX_IDS:
        raise BadParameter(f"service_request_id names more than {MAX_IDS} requests.")
    numbers = []
    for piece in pieces:
        try:
            numbers.append(parse_case_number(piece))
        except InvalidIdentifier:
            raise BadParameter(f"service_request_id {_shown(piece)} is not a case number, like 26-0001-2345.") from None
    return tuple(dict.fromkeys(numbers))


def _chosen(name: str, raw: list[str], allowed, what: str) -> tuple[str, ...]:
    pieces = _listed(raw)
    for piece in pieces:
        if piece not in allowed:
            raise BadParameter(f"{name} {_shown(piece)} is not {what}.")
    return tuple(dict.fromkeys(pieces))


def parse(args: Mapping[str, list[str]], now: datetime | None = None) -> Query:
    """The query's arguments (each name to every value it was given), checked; raises BadParameter."""
    now = now or utcnow()

    def one(name: str) -> str | None:
        values = [value for value in args.get(name, []) if value.strip()]
        if len(values) > 1:
            raise BadParameter(f"{name} is given more than once.")
        return values[0] if values else None

    numbers = _numbers(args.get("service_request_id", []))
    codes = _chosen("service_code", args.get("service_code", []), CATEGORY_CODES,
                    "a service_code of services.json")
    statuses = _chosen("status", args.get("status", []), STATUSES, "open or closed (or one of our statuses: "
                       + ", ".join(str(status) for status in CaseStatus) + ")")
    page = _page(args.get("page", []))
    start_raw, end_raw = one("start_date"), one("end_date")
    start = parse_moment("start_date", start_raw, end_of_day=False) if start_raw else None
    end = parse_moment("end_date", end_raw, end_of_day=True) if end_raw else None
    if start and end and start > end:
        raise BadParameter("start_date is after end_date.")
    end = end or max(now, start or now)
    if start is None:
        start = end - DEFAULT_WINDOW if end - EARLIEST > DEFAULT_WINDOW else EARLIEST
    return Query(start=start, end=end, numbers=numbers, codes=codes, statuses=statuses, page=page)


# --- the service list --------------------------------------------------------------------------

def services() -> list[dict]:
    """GET services: one service per category, all answered in batch (a case manager reads each)."""
    return [{"service_code": category.code, "service_name": category.staff_label,
             "description": SERVICES[category.code][1], "metadata": False, "type": "batch",
             "keywords": SERVICES[category.code][2], "group": SERVICES[category.code][0]}
            for category in CATEGORIES]


# --- the service requests ----------------------------------------------------------------------

def _english():
    """The English of the person's words, in the query: a person's translation over the machine's,
    the newest of each, else the words themselves when they were written in English."""
    translated = (select(Translation.text)
                  .where(Translation.case_id == Case.id, Translation.event_id.is_(None),
                         Translation.target_language == STAFF_LANGUAGE, Translation.status == TranslationStatus.DONE,
                         Translation.text.is_not(None))
                  .order_by(Translation.human.desc(), Translation.id.desc()).limit(1)
                  .correlate(Case).scalar_subquery())
    written = sql_case((Case.language == STAFF_LANGUAGE, Case.description), else_=None)
    # Only a case whose person said the facility may know who they are is quoted at all.
    return sql_case((Case.may_name_to_facility.is_(True), func.coalesce(translated, written)), else_=None)


def _status_filter(statuses: tuple[str, ...]):
    closed = [str(status) for status in cases.CLOSED]
    return or_(*(Case.status.not_in(closed) if status == "open" else Case.status.in_(closed) if status == "closed"
                 else Case.status == status for status in statuses))


@dataclass(frozen=True)
class Page:
    requests: list[dict]
    more: bool  # a next page exists


def page_of(query: Query, visible: list[int] | None):
    """The ids of the page's cases (and one more, to tell whether a next page exists), as a subquery."""
    chosen = select(Case.id)
    if visible is not None:
        chosen = chosen.where(Case.facility_id.in_(visible))
    if query.numbers:
        chosen = chosen.where(Case.number.in_(query.numbers))
    else:
        chosen = chosen.where(Case.created_at >= query.start, Case.created_at <= query.end)
        if query.codes:
            chosen = chosen.where(Case.category.in_(query.codes))
        if query.statuses:
            chosen = chosen.where(_status_filter(query.statuses))
    return (chosen.order_by(Case.created_at, Case.id).offset((query.page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
            .subquery("page"))


def service_requests(session: Session, query: Query, visible: list[int] | None) -> Page:
    """One page of the cases the query matches at the facilities ``visible`` (None: every one), in one
    query: the page's cases are found first by their ids alone, so that a deep page skips bare rows,
    and only the page's are joined to their facility and English."""
    page = page_of(query, visible)
    rows = session.execute(
        select(Case.number, Case.status, Case.category, Case.priority, Case.created_at, Case.updated_at, Case.due_at,
               Case.detainee_name, Facility.code, Facility.name, _english().label("english"))
        .join(page, page.c.id == Case.id).join(Facility, Facility.id == Case.facility_id)
        .order_by(Case.created_at, Case.id)).all()
    return Page([service_request(row) for row in rows[:PAGE_SIZE]], len(rows) > PAGE_SIZE)


def _status_label(status) -> str:
    return str(status).replace("_", " ")


def _within(due_in: timedelta) -> str:
    return f"{due_in.days} days" if due_in >= timedelta(days=2) else f"{int(due_in.total_seconds() // 3600)} hours"


# What the ombudsman's deadline for such a case is (kiosk/core/triage.py), by the case's priority.
NOTICES = {
    triage.PRIORITY_EMERGENCY: "Emergency: handled the same day.",
    triage.PRIORITY_MEDICAL: f"Medical: handled within {_within(triage.DUE_WITHIN['medical'])}.",
}
ROUTINE_NOTICE = (f"Decided within {_within(triage.DUE_WITHIN['routine'])}, "
                  f"within {_within(triage.DUE_WITHIN['urgent'])} when urgent.")


def service_request(row) -> dict:
    """One case as a GeoReport v2 service request (the fields of a person's location left out)."""
    closed = row.status in cases.CLOSED
    notes = (f"Outcome: {_status_label(row.status)}." if row.status in OUTCOMES
             else f"Status: {_status_label(row.status)}.")
    return {
        "service_request_id": row.number,
        "status": "closed" if closed else "open",
        "status_notes": notes,
        "service_name": category_label(row.category),
        "service_code": row.category,
        "description": scrub(row.english, [row.detainee_name]) if row.english else "",
        "agency_responsible": f"{row.name} ({row.code})",
        "service_notice": NOTICES.get(row.priority, ROUTINE_NOTICE),
        "requested_datetime": w3c(row.created_at),
        "updated_datetime": w3c(row.updated_at),
        "expected_datetime": w3c(row.due_at),
    }
