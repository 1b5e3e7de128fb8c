"""Facilities' average daily population (ADP) over time: what complaint rates are per 100 detainees of.

An administrator enters a figure with the date it holds from (on the facility's page), or imports
many at once from a CSV file (the facilities page, or ``kioskctl facility import-population``).
A figure holds from its date until the next one; before a facility's first figure its first one is
assumed, after its last the last (a population changes slowly; a gap is not a zero).

An import is all or nothing: every line is checked first, each problem is reported with its line
number, and nothing is written unless every line is good.
"""
from __future__ import annotations

import csv
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kiosk.core import audit
from kiosk.core.models import Facility, FacilityPopulation, utcnow

EARLIEST = date(2000, 1, 1)
# The largest US detention facilities hold about 2,000 people; a figure above this is a typing error.
MAX_POPULATION = 20_000
MAX_IMPORT_LINES = 100_000
MAX_IMPORT_BYTES = 8 * 1024 * 1024
ERRORS_SHOWN = 20
COLUMNS = ("facility", "date", "population")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_POPULATION = re.compile(r"\d{1,9}")


def parse_date(typed: str, *, today: date | None = None) -> date:
    """A date typed as 2026-11-30, from 2000 until today, or a ValueError saying what to write."""
    typed = typed.strip()
    try:
        if not _DATE.fullmatch(typed):
            raise ValueError
        day = date.fromisoformat(typed)
    except ValueError:
        raise ValueError(f"{typed[:20]!r} is not a date: write it like 2026-11-30.") from None
    if day < EARLIEST or day > (today or utcnow().date()):
        raise ValueError(f"{typed} is not between {EARLIEST} and today.")
    return day


def parse_population(typed: str) -> int:
    typed = typed.strip()
    if not _POPULATION.fullmatch(typed):
        raise ValueError(f"{typed[:20]!r} is not a number of people: write a whole number like 640.")
    if int(typed) > MAX_POPULATION:
        raise ValueError(f"{int(typed):,} people is more than any facility holds (at most {MAX_POPULATION:,}).")
    return int(typed)


def record(session: Session, facility: Facility, *, as_of: str, population: str, actor: str,
           remote_addr: str | None = None) -> FacilityPopulation:
    """A figure from a date on; one already given for that date is replaced."""
    day, people = parse_date(as_of), parse_population(population)
    row = session.scalar(select(FacilityPopulation).where(FacilityPopulation.facility_id == facility.id,
                                                          FacilityPopulation.as_of == day))
    before = row.population if row else None
    if row is None:
        row = FacilityPopulation(facility_id=facility.id, as_of=day, population=people, entered_by=actor)
        session.add(row)
    else:
        row.population, row.entered_by, row.entered_at = people, actor, utcnow()
    session.flush()
    audit.record(session, actor, "facility.population_recorded", facility_id=facility.id, remote_addr=remote_addr,
                 as_of=day.isoformat(), population=people, before=before)
    return row


def remove(session: Session, row: FacilityPopulation, *, actor: str, remote_addr: str | None = None) -> None:
    audit.record(session, actor, "facility.population_removed", facility_id=row.facility_id, remote_addr=remote_addr,
                 as_of=row.as_of.isoformat(), population=row.population)
    session.delete(row)


def of_facility(session: Session, facility_id: int) -> list[FacilityPopulation]:
    """Its figures, newest first (as the facility's page lists them)."""
    return list(session.scalars(select(FacilityPopulation).where(FacilityPopulation.facility_id == facility_id)
                                .order_by(FacilityPopulation.as_of.desc())))


# --- importing a CSV file -------------------------------------------------------------------

class ImportRefused(ValueError):
    """Some lines of the file are wrong: ``problems`` says which and why; nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:ERRORS_SHOWN]
        more = f" … and {len(problems) - ERRORS_SHOWN:,} more." if len(problems) > ERRORS_SHOWN else ""
        super().__init__("Nothing was imported: " + " ".join(shown) + more)


@dataclass(frozen=True)
class Imported:
    added: int
    replaced: int
    facilities: int

    def __str__(self) -> str:
        return (f"Imported {self.added + self.replaced:,} figures for {self.facilities:,} facilities "
                f"({self.added:,} new, {self.replaced:,} replacing a figure of the same date).")


def _lines(data: bytes, problems: list[str]) -> list[tuple[int, str]]:
    """The file's lines as text, numbered from 1; a line that is not UTF-8 or holds a NUL is a problem."""
    if data.startswith(b"\xef\xbb\xbf"):  # a spreadsheet's byte-order mark
        data = data[3:]
    lines = []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        try:
            line = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            problems.append(f"Line {number} is not UTF-8 text.")
            continue
        if "\x00" in line:
            problems.append(f"Line {number} holds a NUL character.")
        elif line.strip():
            lines.append((number, line))
    return lines


def _header(number: int, fields: list[str]) -> dict[str, int] | None:
    names = [field.strip().lower() for field in fields]
    if sorted(names) != sorted(COLUMNS):
        return None
    return {name: names.index(name) for name in COLUMNS}


def import_csv(session: Session, data: bytes, *, actor: str, remote_addr: str | None = None,
               today: date | None = None) -> Imported:
    """Reads ``facility,date,population`` lines (a header naming the three columns first, in any order)
    and stores every figure, or raises ImportRefused listing every bad line and stores none."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportRefused([f"The file is larger than {MAX_IMPORT_BYTES // 1024**2} MB: split it."])
    problems: list[str] = []
    lines = _lines(data, problems)
    if len(lines) > MAX_IMPORT_LINES + 1:
        raise ImportRefused([f"The file has more than {MAX_IMPORT_LINES:,} lines: split it."])
    if not lines:
        raise ImportRefused(problems or ["The file is empty: its first line is facility,date,population."])
    codes = dict(session.execute(select(Facility.code, Facility.id)).all())
    figures: dict[tuple[int, date], tuple[int, int]] = {}  # (facility, date) -> (people, line)
    columns = None
    for number, line in lines:
        try:
            fields = next(csv.reader([line]))
        except csv.Error:
            problems.append(f"Line {number} is not a line of CSV (a quote is not closed).")
            continue
        if columns is None:
            columns = _header(number, fields)
            if columns is None:
                raise ImportRefused([f"Line {number} must name the columns: facility,date,population."])
            continue
        if len(fields) != len(COLUMNS):
            problems.append(f"Line {number} has {len(fields)} values; it needs 3: facility, date, population.")
            continue
        code = fields[columns["facility"]].strip().upper()
        facility_id = codes.get(code)
        try:
            if facility_id is None:
                raise ValueError(f"{code[:20]!r} is no facility's code.")
            day = parse_date(fields[columns["date"]], today=today)
            people = parse_population(fields[columns["population"]])
        except ValueError as error:
            problems.append(f"Line {number}: {error}")
            continue
        if (facility_id, day) in figures:
            problems.append(f"Line {number} gives {code} on {day} again (line {figures[facility_id, day][1]}).")
            continue
        figures[facility_id, day] = (people, number)
    if problems:
        raise ImportRefused(problems)
    if not figures:
        raise ImportRefused(["The file has no figures after its header."])
    return _store(session, figures, actor, remote_addr)


def _store(session: Session, figures: dict[tuple[int, date], tuple[int, int]], actor: str,
           remote_addr: str | None) -> Imported:
    facility_ids = {facility_id for facility_id, _day in figures}
    existing = {(row.facility_id, row.as_of): row for row in session.scalars(
        select(FacilityPopulation).where(FacilityPopulation.facility_id.in_(facility_ids)))}
    now, added, replaced = utcnow(), 0, 0
    for (facility_id, day), (people, _line) in figures.items():
        row = existing.get((facility_id, day))
        if row is None:
            session.add(FacilityPopulation(facility_id=facility_id, as_of=day, population=people, entered_by=actor,
                                           entered_at=now))
            added += 1
        else:
            row.population, row.entered_by, row.entered_at = people, actor, now
            replaced += 1
    session.flush()
    result = Imported(added, replaced, len(facility_ids))
    audit.record(session, actor, "facility.population_imported", remote_addr=remote_addr, added=added,
                 replaced=replaced, facilities=len(facility_ids))
    return result


# --- detainee-days over a period ------------------------------------------------------------

class Population:
    """One facility's figures as a step in time, read by days."""

    def __init__(self, figures: Iterable[tuple[date, int]]):
        ordered = sorted(figures)
        self.days = [day for day, _people in ordered]
        self.people = [people for _day, people in ordered]

    def __bool__(self) -> bool:
        return bool(self.days)

    def detainee_days(self, start: date, end: date) -> float:
        """The sum over the days from start up to (not including) end of the population each day."""
        if not self.days or end <= start:
            return 0.0
        total, day = 0.0, start
        index = max(bisect_right(self.days, start) - 1, 0)  # the figure in force on start (or the first)
        while day < end:
            until = min(self.days[index + 1], end) if index + 1 < len(self.days) else end
            total += self.people[index] * (until - day).days
            day, index = until, index + 1
        return total

    def average(self, start: date, end: date) -> float | None:
        """The average daily population from start up to end; None when no figure was ever given."""
        if not self.days or end <= start:
            return None
        return self.detainee_days(start, end) / (end - start).days


def of_facilities(session: Session, facility_ids: Iterable[int] | None = None, *, start: date | None = None,
                  end: date | None = None) -> dict[int, Population]:
    """Every facility's figures (or those of some); with start and end, only those that count for the days
    from start up to end: the one in force on start (or, before any, the facility's first) and those after
    it, before end. One query however long the history."""
    figure = FacilityPopulation
    query = select(figure.facility_id, figure.as_of, figure.population)
    if facility_ids is not None:
        query = query.where(figure.facility_id.in_(list(facility_ids)))
    if start is not None and end is not None:
        # Per facility, the figure in force on start, or its first when it has none yet (a join, not a
        # list of (facility, date) pairs: over 150 facilities such a list cost more than the rows read).
        counted_from = (select(figure.facility_id.label("facility_id"),
                               func.coalesce(func.max(figure.as_of).filter(figure.as_of <= start),
                                             func.min(figure.as_of)).label("as_of"))
                        .group_by(figure.facility_id).subquery())
        query = query.join(counted_from, counted_from.c.facility_id == figure.facility_id).where(
            figure.as_of >= counted_from.c.as_of, or_(figure.as_of < end, figure.as_of == counted_from.c.as_of))
    figures: dict[int, list[tuple[date, int]]] = {}
    for facility_id, day, people in session.execute(query):
        figures.setdefault(facility_id, []).append((day, people))
    return {facility_id: Population(rows) for facility_id, rows in figures.items()}
