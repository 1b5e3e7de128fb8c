"""The figures of the Reports page: complaints by month, category and facility; outcomes by category;
time to first action and to resolution against the deadlines; overdue open cases by age; emergencies
acknowledged within 15 minutes; languages.

Long periods are read from monthly tallies the database keeps by triggers on the cases, and only
the days at the period's ends from the cases themselves: complaints by month, category and facility
from complaint_months, as the Patterns page does (kiosk/core/rates.py); outcomes, languages and
timeliness, over every facility, from case_months and duration_months (kiosk/core/report_months.py,
whose bins the percentiles are read from; a report narrowed to some facilities reads their cases).
The overdue cases (open ones, few) and the emergencies are one aggregate query each, read from an
index that holds every column they need (ix_cases_reports, ix_emergency_alerts_raised). Ten years
of a million cases cost about as much as twelve months (bench/reports.py).

What "first action" and "closed" mean is kiosk/core/milestones.py's to say: the case keeps both.
A chart's data is a ``Table``: the page draws it and prints it, its CSV holds exactly the same.
Months and days are UTC, like the Patterns page's (kiosk/core/rates.py).
"""
from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case as sql_case
from sqlalchemy import ARRAY, Integer, bindparam, cast, func, select
from sqlalchemy.orm import Session

from kiosk.core.casework import IS_OPEN
from kiosk.core.categories import CATEGORIES
from kiosk.core.db import is_postgres
from kiosk.core.exports import spreadsheet_cell
from kiosk.core.languages import BY_CODE, SPOKEN_BY_CODE
from kiosk.core.milestones import OUTCOMES
from kiosk.core.models import Case, CaseStatus, EmergencyAlert, Facility, UTCDateTime
from kiosk.core import rates, report_months
from kiosk.core.rates import Period
from kiosk.core.triage import DUE_WITHIN

TOP_FACILITIES = 15  # the facilities with the most complaints, each a bar; the rest summed in one
ACKNOWLEDGED_WITHIN = timedelta(minutes=15)
# How long an overdue open case has been waiting since it was filed (15 days: badly late, triage.py).
AGES = ((timedelta(days=5), "under 5 days"), (timedelta(days=15), "5 to 15 days"),
        (timedelta(days=30), "15 to 30 days"), (timedelta(days=90), "30 to 90 days"), (None, "90 days or more"))
# The deadline a case was given at filing, by what triage made of it (kiosk/core/triage.py).
DEADLINES = (("emergency", "Emergency", DUE_WITHIN["emergency"]), ("medical", "Medical", DUE_WITHIN["medical"]),
             ("other", "Other (24 h when urgent)", DUE_WITHIN["routine"]))


@dataclass(frozen=True)
class Scope:
    """Which cases a report counts: filed in the period, at these facilities (None: every one), of this
    category (None: every one)."""

    period: Period
    facility_ids: list[int] | None = None
    category: str | None = None

    def filed(self, query):
        return self.filed_between(query, self.period.start, self.period.end)

    def filed_between(self, query, start: datetime, end: datetime):
        """The query kept to these facilities and category, and to cases filed from start up to end."""
        query = query.where(Case.created_at >= start, Case.created_at < end)
        if self.facility_ids is not None:
            query = query.where(Case.facility_id.in_(self.facility_ids))
        if self.category is not None:
            query = query.where(Case.category == self.category)
        return query


@dataclass(frozen=True)
class Table:
    """A chart's data: the page draws and prints it, its CSV is exactly these rows."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple]

    def csv(self) -> str:
        """The rows as CSV; a cell a spreadsheet would read as a formula (a facility's name typed
        by an administrator) is neutralised."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(self.columns)
        writer.writerows([spreadsheet_cell(cell) for cell in row] for row in self.rows)
        return out.getvalue()


def _month(session: Session, column, period: Period):
    """SQL for the month of the period a moment falls in, counted from 0 (the period's first month):
    on PostgreSQL a binary search of the months' first moments, twice as fast over a million cases as
    formatting each one's date."""
    if is_postgres(session):
        starts = [rates.midnight(month) for month in period.months]
        return func.width_bucket(column, bindparam("month_starts", starts, type_=ARRAY(UTCDateTime()))) - 1
    number = cast(func.strftime("%Y", column), Integer) * 12 + cast(func.strftime("%m", column), Integer)
    return number - (period.first.year * 12 + period.first.month)


def months_of(period: Period) -> list[str]:
    """Every month the period touches, oldest first, as 2026-11."""
    return [f"{month:%Y-%m}" for month in period.months]


def share(part: int, whole: int) -> float | None:
    """Per cent, to one decimal; None (an empty cell) for a share of nothing."""
    return round(100 * part / whole, 1) if whole else None


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


# --- 1. complaints by month, category and facility -------------------------------------------------

def by_month(session: Session, scope: Scope, now: datetime) -> Table:
    found = rates.per_month(session, scope.period, facility_ids=scope.facility_ids, category=scope.category)
    return Table("Complaints by month", ("Month", "Complaints"), list(zip(months_of(scope.period), found, strict=True)))


def _filed(session: Session, scope: Scope) -> dict[tuple[int, str], int]:
    """The period's complaints by (facility id, category): whole months from complaint_months."""
    return rates.counts(session, scope.period, facility_ids=scope.facility_ids, category=scope.category)


def by_category(session: Session, scope: Scope, now: datetime) -> Table:
    found = Counter()
    for (_facility_id, code), n in _filed(session, scope).items():
        found[code] += n
    shown = [c for c in CATEGORIES if scope.category in (None, c.code)]
    return Table("Complaints by category", ("Category", "Complaints"),
                 [(c.staff_label, found.get(c.code, 0)) for c in shown])


def by_facility(session: Session, scope: Scope, now: datetime) -> Table:
    totals = Counter()
    for (facility_id, _code), n in _filed(session, scope).items():
        totals[facility_id] += n
    found = sorted(totals.items(), key=lambda row: (-row[1], row[0]))
    names = {row.id: row for row in session.execute(
        select(Facility.id, Facility.code, Facility.name).where(Facility.id.in_([f for f, _ in found[:TOP_FACILITIES]])))}
    rows = [(names[f].code, names[f].name, n) for f, n in found[:TOP_FACILITIES]]
    rest = found[TOP_FACILITIES:]
    if rest:
        rows.append(("", f"The other {len(rest)} facilities", sum(n for _, n in rest)))
    return Table(f"Complaints by facility (the {TOP_FACILITIES} with the most)", ("Facility", "Name", "Complaints"),
                 rows)


# --- 2. outcomes ---------------------------------------------------------------------------------

def outcomes(session: Session, scope: Scope, now: datetime) -> Table:
    """Where the period's cases stand now, by category: each outcome's count and its share of the
    category's cases (those without one are still open)."""
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for (category, status), n in report_months.tally(session, scope, "category", "status").items():
        found[category][status] = n
    labels = [CaseStatus(status).label for status in OUTCOMES]
    rows = []
    for c in CATEGORIES:
        if scope.category not in (None, c.code):
            continue
        counts = found.get(c.code, {})
        filed = sum(counts.values())
        done = [counts.get(status, 0) for status in OUTCOMES]
        rows.append((c.staff_label, filed, *done, filed - sum(done), *(share(n, filed) for n in done)))
    return Table("Outcomes by category", ("Category", "Cases", *labels, "Still open", *(f"{x} %" for x in labels)), rows)


# --- 3. time to first action and to resolution ----------------------------------------------------

def timeliness(session: Session, scope: Scope, now: datetime) -> Table:
    """Hours from filing to the first action and to closing (median, 90th percentile, read from bins:
    kiosk/core/report_months.py) by the deadline the case was given at filing, and the share that
    came before the case's own due time. Cases not acted on or not closed yet are left out of each
    figure they have not reached."""
    filed = report_months.tally(session, scope, "deadline")
    times = report_months.durations(session, scope)
    rows = []
    for code, label, due_in in DEADLINES:
        acted, closed = times.get((code, "first_action")), times.get((code, "closing"))
        row = [label, hours(due_in.total_seconds()), filed.get((code,), 0)]
        for measured in (acted, closed):
            measured = measured or report_months.Durations()
            row += [measured.cases, hours(measured.percentile(0.5)), hours(measured.percentile(0.9)),
                    share(measured.in_time, measured.cases)]
        rows.append(tuple(row))
    return Table("Time to first action and to resolution, in hours", (
        "Deadline", "Deadline (hours)", "Cases", "Acted on", "First action: median", "First action: 90th percentile",
        "First action by the due time %", "Closed", "Resolution: median", "Resolution: 90th percentile",
        "Closed by the due time %"), rows)


# --- 4. overdue open cases ------------------------------------------------------------------------

def overdue(session: Session, scope: Scope, now: datetime) -> Table:
    """The period's cases still open and past their due time now, by how long since they were filed."""
    age = sql_case(*((Case.created_at > now - limit, index) for index, (limit, _) in enumerate(AGES) if limit),
                   else_=len(AGES) - 1).label("age")
    query = scope.filed(select(age, func.count())).where(IS_OPEN, Case.due_at < now).group_by(age)
    found = dict(session.execute(query).all())
    return Table("Overdue open cases, by time since filing", ("Filed", "Overdue open cases"),
                 [(label, found.get(index, 0)) for index, (_, label) in enumerate(AGES)])


# --- 5. emergencies acknowledged within 15 minutes ---------------------------------------------------

def emergencies(session: Session, scope: Scope, now: datetime) -> Table:
    """Emergency alerts raised in the period by month, and how many a person acknowledged within 15
    minutes (one never acknowledged was not)."""
    month = _month(session, EmergencyAlert.raised_at, scope.period).label("month")
    # To the second: SQLite's day fractions would put 15 minutes exactly a hair either side.
    quick = func.count().filter(func.round(report_months.seconds(session, EmergencyAlert.raised_at, EmergencyAlert.acknowledged_at))
                                <= ACKNOWLEDGED_WITHIN.total_seconds())
    query = (select(month, func.count(), quick)
             .where(EmergencyAlert.raised_at >= scope.period.start, EmergencyAlert.raised_at < scope.period.end)
             .group_by(month))
    if scope.facility_ids is not None:
        query = query.where(EmergencyAlert.facility_id.in_(scope.facility_ids))
    if scope.category is not None:
        query = query.join(Case, Case.id == EmergencyAlert.case_id).where(Case.category == scope.category)
    found = {name: (raised, acknowledged) for name, raised, acknowledged in session.execute(query)}
    rows = []
    for index, name in enumerate(months_of(scope.period)):
        raised, acknowledged = found.get(index, (0, 0))
        rows.append((name, raised, acknowledged, share(acknowledged, raised)))
    return Table("Emergencies acknowledged within 15 minutes, by month",
                 ("Month", "Emergencies", "Acknowledged within 15 minutes", "Share %"), rows)


# --- 6. languages -----------------------------------------------------------------------------------

def language_name(code: str) -> str:
    found = BY_CODE.get(code) or SPOKEN_BY_CODE.get(code)
    return found.english_name if found else code


def languages(session: Session, scope: Scope, now: datetime) -> Table:
    found = [(code, n) for (code,), n in report_months.tally(session, scope, "language").items()]
    total = sum(n for _, n in found)
    return Table("Complaints by language", ("Language", "Code", "Complaints", "Share %"),
                 [(language_name(code), code, n, share(n, total)) for code, n in sorted(found, key=lambda r: (-r[1], r[0]))])


# The charts by the name their CSV is downloaded under (/staff/reports/<name>.csv), in the page's order.
CHARTS = {"months": by_month, "categories": by_category, "facilities": by_facility, "outcomes": outcomes,
          "timeliness": timeliness, "overdue": overdue, "emergencies": emergencies, "languages": languages}


def chart(session: Session, name: str, scope: Scope, now: datetime) -> Table:
    return CHARTS[name](session, scope, now)

