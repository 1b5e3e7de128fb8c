"""Complaints per 100 detainees, by facility and category over a period, with the national median
beside each and the trend: the figures of the Patterns page.

A rate is the period's complaints over the facility's average daily population in the period
(kiosk/core/populations.py), times 100. The national median of a category is taken over every
facility with a population, those without a complaint included (a median of only the facilities
that complained would call the quiet ones high). Days are UTC days: the period runs from the
start of its first day to the start of the day after its last.

The whole calendar months of a period are counted from ``complaint_months`` (kept by the database's
triggers on ``cases``, migration 0024) and only the days before the first and after the last whole
month from the cases themselves: ten years cost about as much as twelve weeks. The trend is weekly
up to two years and monthly beyond (522 weekly points would be a smear in a sparkline).
"""
from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Integer, bindparam, cast, func, select, tuple_
from sqlalchemy.orm import Session

from kiosk.core import populations
from kiosk.core.db import is_postgres
from kiosk.core.categories import CATEGORY_CODES
from kiosk.core.models import Case, ComplaintMonth, Facility, UTCDateTime

WEEK = timedelta(days=7)
WEEKLY_UP_TO_DAYS = 731  # two years; a longer period's trend is monthly


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_after(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(), timezone.utc)


@dataclass(frozen=True)
class Period:
    first: date  # the first day counted
    last: date   # the last day counted

    @property
    def start(self) -> datetime:
        return midnight(self.first)

    @property
    def end(self) -> datetime:
        """The moment after the period (midnight after its last day)."""
        return midnight(self.last + timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def weeks(self) -> int:
        """Weeks of the trend, counted back from the period's end (the oldest may be shorter)."""
        return -(-self.days // 7)

    @property
    def months(self) -> list[date]:
        """The calendar months the period touches (their first days), oldest first; the first and
        the last may be counted in part."""
        months = [month_of(self.first)]
        while months[-1] < month_of(self.last):
            months.append(month_after(months[-1]))
        return months

    @property
    def whole_months(self) -> tuple[date, date] | None:
        """The first day of the first calendar month wholly within the period and of the month after
        the last such month; None when no month is."""
        first = self.first if self.first.day == 1 else month_after(self.first)
        after = month_of(self.last + timedelta(days=1))
        return (first, after) if first < after else None

    @property
    def trend_step(self) -> str:
        return "week" if self.days <= WEEKLY_UP_TO_DAYS else "month"


def counts(session: Session, period: Period, *, facility_ids: list[int] | None = None,
           category: str | None = None) -> dict[tuple[int, str], int]:
    """Complaints filed in the period, by (facility id, category); a pair with none is absent."""
    whole = period.whole_months
    if whole is None:
        return _filed(session, period.start, period.end, facility_ids=facility_ids, category=category)
    first, after = whole
    query = (select(ComplaintMonth.facility_id, ComplaintMonth.category, func.sum(ComplaintMonth.complaints))
             .where(*_within(whole)).group_by(ComplaintMonth.facility_id, ComplaintMonth.category))
    query = _narrowed(query, ComplaintMonth, facility_ids=facility_ids, category=category)
    found = Counter({(facility_id, code): int(n) for facility_id, code, n in session.execute(query)})
    found.update(_filed(session, period.start, midnight(first), facility_ids=facility_ids, category=category))
    found.update(_filed(session, midnight(after), period.end, facility_ids=facility_ids, category=category))
    return {pair: n for pair, n in found.items() if n}  # a month whose cases all moved away counts 0


def per_month(session: Session, period: Period, *, facility_ids: list[int] | None = None,
              category: str | None = None) -> list[int]:
    """Complaints filed in each calendar month of the period (``period.months``), oldest first; the
    first and the last month counted from the period's first day and up to its last."""
    found = [0] * len(period.months)
    whole, edges = month_by_month(period)
    if whole is not None:
        index = {month: n for n, month in enumerate(period.months)}
        query = (select(ComplaintMonth.month, func.sum(ComplaintMonth.complaints))
                 .where(*_within(whole)).group_by(ComplaintMonth.month))
        for month, n in session.execute(_narrowed(query, ComplaintMonth, facility_ids=facility_ids, category=category)):
            found[index[month]] += int(n)
    for start, end, point in edges:
        found[point] += sum(_filed(session, start, end, facility_ids=facility_ids, category=category).values())
    return found


def month_by_month(period: Period) -> tuple[tuple[date, date] | None, list[tuple[datetime, datetime, int]]]:
    """How a period is counted month by month: its whole months (``Period.whole_months``), read from
    complaint_months, and the stretches read from the cases, each with the index in ``period.months``
    of the month it falls in."""
    months = period.months
    whole = period.whole_months
    if whole is None:  # within two calendar months: the cases themselves, split at the second's first day
        split = min(midnight(month_after(months[0])), period.end)
        return None, [(period.start, split, 0), (split, period.end, len(months) - 1)]
    first, after = whole
    return whole, [(period.start, midnight(first), 0), (midnight(after), period.end, len(months) - 1)]


def _within(whole: tuple[date, date]):
    first, after = whole
    return ComplaintMonth.month >= first, ComplaintMonth.month < after


def _filed(session: Session, start: datetime, end: datetime, **narrowed) -> dict[tuple[int, str], int]:
    """Complaints filed from start up to end, read from the cases, by (facility id, category);
    ``narrowed``: as ``_narrowed`` takes them."""
    if end <= start:
        return {}
    query = (select(Case.facility_id, Case.category, func.count())
             .where(Case.created_at >= start, Case.created_at < end)
             .group_by(Case.facility_id, Case.category))
    return {(facility_id, code): n for facility_id, code, n in session.execute(_narrowed(query, Case, **narrowed))}


def _narrowed(query, counted, *, facility_ids: list[int] | None = None, category: str | None = None,
              pairs: list[tuple[int, str]] | None = None):
    """The query kept to some facilities, one category, or some (facility id, category) pairs
    (``counted``: Case or ComplaintMonth)."""
    if facility_ids is not None:
        query = query.where(counted.facility_id.in_(facility_ids))
    if category is not None:
        query = query.where(counted.category == category)
    if pairs is not None:
        # The pairs themselves: their facilities and categories apart would take every category of
        # each facility (ten times the rows, over ten years 1.2 s against 0.1).
        query = query.where(tuple_(counted.facility_id, counted.category).in_(pairs))
    return query


def _weeks_before_end(session: Session, end: datetime):
    """SQL for the whole weeks between a case's filing and the period's end: 0 for its last 7 days."""
    end_at = bindparam("period_end", end, type_=UTCDateTime())
    if is_postgres(session):
        return cast(func.floor(func.extract("epoch", end_at - Case.created_at) / WEEK.total_seconds()), Integer)
    return cast((func.julianday(end_at) - func.julianday(Case.created_at)) / 7, Integer)


def weekly(session: Session, period: Period, pairs: list[tuple[int, str]]) -> dict[tuple[int, str], list[int]]:
    """Complaints per week of the period for each (facility id, category), oldest week first."""
    if not pairs:
        return {}
    weeks_back = _weeks_before_end(session, period.end).label("weeks_back")
    query = _narrowed(select(Case.facility_id, Case.category, weeks_back, func.count())
                      .where(Case.created_at >= period.start, Case.created_at < period.end)
                      .group_by(Case.facility_id, Case.category, weeks_back), Case, pairs=pairs)
    trend = {pair: [0] * period.weeks for pair in pairs}
    for facility_id, code, back, n in session.execute(query):
        series = trend.get((facility_id, code))
        if series is not None and 0 <= back < period.weeks:
            series[period.weeks - 1 - back] += n
    return trend


def monthly(session: Session, period: Period, pairs: list[tuple[int, str]]) -> dict[tuple[int, str], list[int]]:
    """Complaints per calendar month of the period for each (facility id, category), oldest first (the
    first and the last month counted from the period's first day and up to its last)."""
    trend = {pair: [0] * len(period.months) for pair in pairs}
    if not pairs:
        return trend
    whole, edges = month_by_month(period)
    if whole is not None:
        index = {month: n for n, month in enumerate(period.months)}
        query = select(ComplaintMonth.facility_id, ComplaintMonth.category, ComplaintMonth.month,
                       ComplaintMonth.complaints).where(*_within(whole))
        for facility_id, code, month, n in session.execute(_narrowed(query, ComplaintMonth, pairs=pairs)):
            trend[(facility_id, code)][index[month]] += n
    for start, end, point in edges:
        for pair, n in _filed(session, start, end, pairs=pairs).items():
            trend[pair][point] += n
    return trend


def trend(session: Session, period: Period, pairs: list[tuple[int, str]]) -> dict[tuple[int, str], list[int]]:
    """The Patterns page's trend: weekly (``weekly``) or, over two years, monthly (``monthly``), as
    ``period.trend_step`` says."""
    return (weekly if period.trend_step == "week" else monthly)(session, period, pairs)


@dataclass(frozen=True)
class Rate:
    facility_id: int
    facility_code: str
    facility_name: str
    field_office: str | None
    category: str
    complaints: int
    population: float | None  # average daily population over the period; None: never given
    national_median: float | None  # per 100 detainees, over every facility with a population

    @property
    def per_100(self) -> float | None:
        return 100 * self.complaints / self.population if self.population else None

    @property
    def ratio(self) -> float | None:
        """The rate over the national median (None when either is unknown or the median is 0)."""
        if self.per_100 is None or not self.national_median:
            return None
        return self.per_100 / self.national_median


def national_medians(session: Session, period: Period, found: dict[tuple[int, str], int] | None = None,
                     adp: dict[int, float] | None = None) -> dict[str, float | None]:
    """Per category, the median rate per 100 detainees over every facility with a population."""
    found = counts(session, period) if found is None else found
    adp = averages(session, period) if adp is None else adp
    medians = {}
    for code in sorted(CATEGORY_CODES):
        rates = [100 * found.get((facility_id, code), 0) / people for facility_id, people in adp.items() if people]
        medians[code] = statistics.median(rates) if rates else None
    return medians


def averages(session: Session, period: Period) -> dict[int, float]:
    """Every facility's average daily population over the period (those with a figure)."""
    after = period.last + timedelta(days=1)
    return {facility_id: population.average(period.first, after)
            for facility_id, population in populations.of_facilities(session, start=period.first, end=after).items()}


def table(session: Session, period: Period, *, visible: list[int] | None, field_office: str | None = None,
          facility_id: int | None = None, category: str | None = None) -> list[Rate]:
    """A row per facility the viewer works (``visible``; None: every one) and category, the filters
    applied, most above its national median first; rows without a rate follow, by complaints."""
    found, adp = counts(session, period), averages(session, period)
    medians = national_medians(session, period, found, adp)
    facilities = select(Facility.id, Facility.code, Facility.name, Facility.field_office).order_by(Facility.code)
    if visible is not None:
        facilities = facilities.where(Facility.id.in_(visible))
    if field_office is not None:
        facilities = facilities.where(Facility.field_office == field_office)
    if facility_id is not None:
        facilities = facilities.where(Facility.id == facility_id)
    codes = [category] if category else sorted(CATEGORY_CODES)
    rows = [Rate(place.id, place.code, place.name, place.field_office, code, found.get((place.id, code), 0),
                 adp.get(place.id), medians[code])
            for place in session.execute(facilities) for code in codes]
    rows.sort(key=lambda r: (r.per_100 is None, -(r.ratio if r.ratio is not None else _no_median(r)),
                             -r.complaints, r.facility_code, r.category))
    return rows


def _no_median(rate: Rate) -> float:
    """Where a rate whose median is 0 (or unknown) sorts: above every ratio if it is above 0."""
    return float("inf") if rate.per_100 else 0.0
