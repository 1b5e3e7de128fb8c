"""What the Reports page counts over long periods: cases by category, status, language and deadline,
and the times to first action and to closing in bins, each month of every facility together kept in
``case_months`` and ``duration_months`` by the database's triggers on ``cases`` (migration 0026).

A report over every facility reads the period's whole months from these and only the days at its
ends from the cases, as the Patterns page does with complaint_months (kiosk/core/rates.py); a report
narrowed to some facilities reads its cases, a fraction of them. Both ways count the same: a
duration is put in its bin in SQL either way, and a percentile is read from the bins.

The bins: 15 minutes under two days, 2 hours under two weeks, a day under 90 days, then one bin.
A percentile is placed evenly within its bin, so it is within one bin's width of the exact figure:
15 minutes for anything under two days, which is every deadline but the 5 days of a routine case.
The counts (cases, acted on, closed, by the due time) are exact.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Date, Integer, cast, delete, func, insert, literal, select, text
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from kiosk.core import rates
from kiosk.core.db import is_postgres
from kiosk.core.models import Case, CaseMonth, ComplaintMonth, DurationMonth
from kiosk.core.triage import PRIORITY_MEDICAL

# The bins' widths, each up to where the next begins (seconds); past the last, one open bin.
BINS = ((timedelta(days=2), timedelta(minutes=15)), (timedelta(days=14), timedelta(hours=2)),
        (timedelta(days=90), timedelta(days=1)))
LAST_BIN = int(BINS[-1][0].total_seconds())
MEASURES = {"first_action": Case.first_action_at, "closing": Case.closed_at}


def seconds(session: Session, start, end):
    """SQL for the seconds from ``start`` to ``end`` (NULL when either is)."""
    if is_postgres(session):
        return func.date_part("epoch", end - start)  # a float8, as migration 0026's triggers take it
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def deadline():
    """SQL for the deadline a case was given at filing, by what triage made of it."""
    return sql_case((Case.is_emergency, "emergency"), (Case.priority == PRIORITY_MEDICAL, "medical"),
                    else_="other").label("deadline")


def bin_of(whole_seconds):
    """SQL for the first second of a duration's bin (whole seconds; negative ones, a clock's slip, are 0)."""
    whens = [(whole_seconds < 0, 0)]
    for up_to, width in BINS:
        step = int(width.total_seconds())
        whens.append((whole_seconds < int(up_to.total_seconds()), whole_seconds - whole_seconds % step))
    return sql_case(*whens, else_=LAST_BIN)


def _case_bin(session: Session, column):
    """SQL for the bin of the time from a case's filing to ``column`` (its first action or closing)."""
    return bin_of(cast(func.round(seconds(session, Case.created_at, column)), Integer))


def width_of(first_second: int) -> int:
    """The width of the bin that starts there (0: the last, open bin)."""
    for up_to, width in BINS:
        if first_second < up_to.total_seconds():
            return int(width.total_seconds())
    return 0


@dataclass
class Durations:
    """The times of some cases in bins (first second: cases), and how many came by their due time."""

    bins: Counter = field(default_factory=Counter)
    in_time: int = 0

    @property
    def cases(self) -> int:
        return sum(self.bins.values())

    def percentile(self, fraction: float) -> float | None:
        """The time (seconds) below which ``fraction`` of them lie, interpolated between the two nearest
        as PostgreSQL's percentile_cont does, each case placed evenly within its bin."""
        total = self.cases
        if not total:
            return None
        ordered = sorted((start, n) for start, n in self.bins.items() if n)

        def nth(index: int) -> float:
            for start, n in ordered:
                if index < n:
                    return start + width_of(start) * (index + 0.5) / n
                index -= n
            raise AssertionError("index past the last case")

        position = fraction * (total - 1)
        low, high = math.floor(position), math.ceil(position)
        return nth(low) + (nth(high) - nth(low)) * (position - low)


def _stretches(scope, whole_months_too: bool) -> tuple[tuple | None, list[tuple[datetime, datetime]]]:
    """Whole months to read from the tallies (or None) and the stretches to read from the cases."""
    period = scope.period
    if not whole_months_too:
        return None, [(period.start, period.end)]
    whole, edges = rates.month_by_month(period)
    return whole, [(start, end) for start, end, _index in edges if start < end]


TALLIED = {"category": (Case.category, CaseMonth.category), "status": (Case.status, CaseMonth.status),
           "language": (Case.language, CaseMonth.language), "deadline": (deadline(), CaseMonth.deadline)}


def tally(session: Session, scope, *by: str) -> Counter:
    """The scope's cases counted by some of category, status, language and deadline: a Counter of
    tuples in that order (a combination with none is absent)."""
    found: Counter = Counter()
    whole, stretches = _stretches(scope, scope.facility_ids is None)
    if whole is not None:
        first, after = whole
        columns = [TALLIED[name][1] for name in by]
        query = (select(*columns, func.sum(CaseMonth.cases)).where(CaseMonth.month >= first, CaseMonth.month < after)
                 .group_by(*columns))
        if scope.category is not None:
            query = query.where(CaseMonth.category == scope.category)
        found.update({tuple(row[:-1]): int(row[-1]) for row in session.execute(query)})
    columns = [TALLIED[name][0] for name in by]
    for start, end in stretches:
        query = scope.filed_between(select(*columns, func.count()).group_by(*columns), start, end)
        found.update({tuple(str(value) for value in row[:-1]): row[-1] for row in session.execute(query)})
    return +found  # a month whose cases all moved on counts 0: dropped


def durations(session: Session, scope) -> dict[tuple[str, str], Durations]:
    """The scope's times to first action and to closing, by (deadline, measure); cases not acted on or
    not closed yet are not in the measure they have not reached."""
    found: dict[tuple[str, str], Durations] = defaultdict(Durations)
    whole, stretches = _stretches(scope, scope.facility_ids is None and scope.category is None)
    if whole is not None:
        first, after = whole
        query = (select(DurationMonth.deadline, DurationMonth.measure, DurationMonth.bin,
                        func.sum(DurationMonth.cases), func.sum(DurationMonth.in_time))
                 .where(DurationMonth.month >= first, DurationMonth.month < after)
                 .group_by(DurationMonth.deadline, DurationMonth.measure, DurationMonth.bin))
        for name, measure, start, n, in_time in session.execute(query):
            found[name, measure].bins[start] += int(n)
            found[name, measure].in_time += int(in_time)
    for measure, column in MEASURES.items():
        start_bin = _case_bin(session, column).label("bin")
        the_deadline = deadline()
        for start, end in stretches:
            query = scope.filed_between(
                select(the_deadline, start_bin, func.count(), func.count().filter(column <= Case.due_at))
                .where(column.is_not(None)).group_by(the_deadline, start_bin), start, end)
            for name, first_second, n, in_time in session.execute(query):
                found[name, measure].bins[first_second] += n
                found[name, measure].in_time += in_time
    return found


# --- counting every tally again -------------------------------------------------------------------

def _first_of_month(session: Session, column):
    """SQL for the first day of a moment's calendar month (UTC), as the triggers write it."""
    if is_postgres(session):
        return cast(func.date_trunc("month", func.timezone("UTC", column)), Date)
    return func.date(column, "start of month")


def recount(session: Session) -> dict[str, int]:
    """Empties the monthly tallies (complaint_months, case_months, duration_months) and counts them
    again from the cases, in the caller's transaction; returns the rows each now holds. For what the
    triggers never see: a data-only restore with triggers disabled (pg_restore --disable-triggers),
    a TRUNCATE of the cases. Writes to the cases wait until it commits (on SQLite the write lock
    does that), so none is counted twice or lost."""
    if is_postgres(session):
        session.execute(text("LOCK TABLE cases IN SHARE MODE"))
    month, the_deadline = _first_of_month(session, Case.created_at), deadline()
    for table in (ComplaintMonth, CaseMonth, DurationMonth):
        session.execute(delete(table))
    session.execute(insert(ComplaintMonth).from_select(
        ["facility_id", "category", "month", "complaints"],
        select(Case.facility_id, Case.category, month, func.count()).group_by(Case.facility_id, Case.category, month)))
    session.execute(insert(CaseMonth).from_select(
        ["month", "category", "status", "language", "deadline", "cases"],
        select(month, Case.category, Case.status, Case.language, the_deadline, func.count())
        .group_by(month, Case.category, Case.status, Case.language, the_deadline)))
    for measure, column in MEASURES.items():
        start_bin = _case_bin(session, column)
        session.execute(insert(DurationMonth).from_select(
            ["month", "deadline", "measure", "bin", "cases", "in_time"],
            select(month, the_deadline, literal(measure), start_bin, func.count(),
                   func.count().filter(column <= Case.due_at))
            .where(column.is_not(None)).group_by(month, the_deadline, start_bin)))
    return {table.__tablename__: session.scalar(select(func.count()).select_from(table))
            for table in (ComplaintMonth, CaseMonth, DurationMonth)}
