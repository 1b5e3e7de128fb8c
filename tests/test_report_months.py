"""The Reports page's monthly tallies (case_months, duration_months), kept by triggers on the cases:
they always equal what the cases say; over every facility the reports read them for whole months
and give exactly what reading the cases gives; migration 0026 fills them from the cases already
there and keeps them after going down and up."""
from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, insert, select, update

from kiosk.core import migrate, report_months, reports
from kiosk.core.db import Database
from kiosk.core.models import Case, CaseMonth, ComplaintMonth, DurationMonth, Facility
from kiosk.core.rates import Period
from tests.test_patterns import _case_row

DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
# Durations on and beside each bin's edges (15 minutes, two days, two weeks, 90 days), a clock's
# slip backwards, and a fraction of a second.
AWKWARD = [timedelta(0), 15 * MINUTE, 15 * MINUTE - timedelta(seconds=1), timedelta(seconds=899, microseconds=600000),
           2 * DAY, 2 * DAY - timedelta(seconds=1), 14 * DAY, 90 * DAY, 400 * DAY, -5 * MINUTE, -2 * HOUR]


def bin_of(duration: timedelta) -> int:
    """The bins as migration 0026 and report_months.py define them, written again from their words."""
    s = round(duration.total_seconds())
    if s < 0:
        return 0
    for up_to, width in ((2 * 86400, 900), (14 * 86400, 7200), (90 * 86400, 86400)):
        if s < up_to:
            return s - s % width
    return 90 * 86400


def deadline_of(row) -> str:
    return "emergency" if row.is_emergency else "medical" if row.priority == 1 else "other"


def kept(database) -> tuple[Counter, Counter]:
    with database.sessions() as session:
        cases = Counter({(r.month, r.category, r.status, r.language, r.deadline): r.cases
                         for r in session.scalars(select(CaseMonth))})
        times = Counter({(r.month, r.deadline, r.measure, r.bin): (r.cases, r.in_time)
                         for r in session.scalars(select(DurationMonth))})
    return +cases, Counter({key: value for key, value in times.items() if value != (0, 0)})


def counted(database) -> tuple[Counter, Counter]:
    """The same tallies counted from the cases in Python: what the tables must always hold."""
    cases, times = Counter(), {}
    with database.sessions() as session:
        for row in session.execute(select(Case)).scalars():
            month = row.created_at.date().replace(day=1)
            cases[month, row.category, str(row.status), row.language, deadline_of(row)] += 1
            for measure, at in (("first_action", row.first_action_at), ("closing", row.closed_at)):
                if at is not None:
                    key = (month, deadline_of(row), measure, bin_of(at - row.created_at))
                    n, in_time = times.get(key, (0, 0))
                    times[key] = (n + 1, in_time + (at <= row.due_at))
    return cases, Counter(times)


def _rows(rng: random.Random, facilities: list[int], count: int, first_day: date, days: int) -> list[dict]:
    rows = []
    for _ in range(count):
        filed = datetime.combine(first_day + timedelta(days=rng.randrange(days)), datetime.min.time(), UTC) + timedelta(
            seconds=rng.randrange(86400), microseconds=rng.choice([0, 250000]))
        row = _case_row(rng.choice(facilities), rng.choice(["medical", "food", "safety"]), filed,
                        rng.choice(["es", "pa", "ht"]))
        emergency = rng.random() < 0.1
        row.update(is_emergency=emergency, priority=0 if emergency else row["priority"],
                   status=rng.choice(["new", "in_review", "resolved", "withdrawn", "referred"]))
        for column in ("first_action_at", "closed_at"):  # every row names both: one bulk insert
            took = rng.choice(AWKWARD) if rng.random() < 0.3 else timedelta(seconds=rng.randrange(20 * 86400))
            row[column] = filed + took if rng.random() < 0.8 else None
        rows.append(row)
    return rows


def test_every_way_of_writing_a_case_keeps_the_tallies(app, database, people):
    tst, oth = people["TST"], people["OTH"]
    rng = random.Random(5)
    with database.transaction() as session:  # a bulk insert, as an import would write
        session.execute(insert(Case), _rows(rng, [tst, oth], 40, date(2025, 1, 25), 20))
    with database.transaction() as session:  # the ORM, as every product path files a case
        session.add(Case(**_rows(rng, [oth], 1, date(2025, 2, 3), 1)[0]))
    assert kept(database) == counted(database) and kept(database)[1]
    with database.transaction() as session:  # the workflow: a status, a first action, a closing, triage again
        case = session.scalar(select(Case).where(Case.first_action_at.is_(None)).limit(1))
        case.status, case.first_action_at, case.closed_at = "resolved", case.created_at + HOUR, case.created_at + DAY
        case.is_emergency, case.priority = True, 0
        session.execute(update(Case).where(Case.language == "pa").values(status="withdrawn", language="es"))
        for moved in session.scalars(select(Case).where(Case.category == "safety")):
            moved.created_at -= 40 * DAY  # into another month
        for reopened in session.scalars(select(Case).where(Case.status == "referred")):
            reopened.closed_at, reopened.due_at = None, reopened.created_at
    assert kept(database) == counted(database)
    with database.transaction() as session:
        session.execute(delete(Case).where(Case.category == "food"))
    assert kept(database) == counted(database)
    try:  # a rolled-back change leaves nothing behind
        with database.transaction() as session:
            session.execute(update(Case).values(first_action_at=None))
            raise RuntimeError("the request failed")
    except RuntimeError:
        pass
    assert kept(database) == counted(database)


def _scopes(people, period: Period, category: str | None = None) -> tuple[reports.Scope, reports.Scope]:
    """The same cases twice: over every facility (the tallies for whole months) and named one by one
    (the cases themselves)."""
    return reports.Scope(period, None, category), reports.Scope(period, sorted(people.values()), category)


def test_over_every_facility_the_tallies_give_what_the_cases_give(app, database, people):
    """Random cases over two years, durations on the bins' edges included, and random periods (whole
    months, parts of them, one day): every figure from the tallies equals the same read from the cases."""
    rng = random.Random(11)
    people = {code: people[code] for code in ("TST", "OTH")}
    with database.transaction() as session:
        session.execute(insert(Case), _rows(rng, list(people.values()), 500, date(2024, 1, 1), 730))
    periods = [Period(date(2024, 1, 1), date(2025, 12, 31)), Period(date(2024, 2, 29), date(2024, 2, 29)),
               Period(date(2024, 1, 15), date(2024, 2, 14)), Period(date(2024, 3, 1), date(2024, 3, 31))]
    for _ in range(12):
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(730))
        periods.append(Period(start, start + timedelta(days=rng.randrange(500))))
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with database.sessions() as session:
        for period in periods:
            for category in (None, "food"):
                every, named = _scopes(people, period, category)
                for chart in ("outcomes", "timeliness", "languages"):
                    assert reports.chart(session, chart, every, now) == reports.chart(session, chart, named, now), (
                        chart, period, category)
                assert report_months.durations(session, every) == report_months.durations(session, named)
        whole = Period(date(2024, 1, 1), date(2025, 12, 31))
        acted = report_months.durations(session, _scopes(people, whole)[0])
        assert sum(d.cases for (_, measure), d in acted.items() if measure == "first_action") == sum(
            n for (_, _, measure, _), (n, _) in counted(database)[1].items() if measure == "first_action") > 300


def test_a_percentile_is_placed_evenly_within_its_bin():
    one = report_months.Durations(Counter({3600: 1}))
    assert one.percentile(0.5) == one.percentile(0.9) == 3600 + 450  # the middle of 1:00 to 1:15
    spread = report_months.Durations(Counter({0: 2, 7200: 2}))  # 3:45, 11:15, then 2:03:45, 2:11:15 (minutes)
    assert spread.percentile(0.5) == (675 + 7425) / 2
    assert spread.percentile(0.0) == 225 and spread.percentile(1.0) == 7200 + 675
    assert report_months.Durations(Counter({7776000: 3})).percentile(0.5) == 7776000  # past 90 days: the bin's start
    assert report_months.Durations().percentile(0.5) is None


def test_the_migration_fills_the_tallies_and_they_are_kept_after_going_down_and_up(database_url):
    """0026 counts the cases already there; going down and up again (a copy of `cases` on SQLite would
    lose its triggers) leaves tallies that still move."""
    database = Database(database_url)  # kept() and counted() read through its sessions, as the fixture's
    engine = database.engine
    try:
        with engine.begin() as connection:
            place = connection.execute(insert(Facility).values(code="MIG", name="Migrated", timezone="UTC")
                                       .returning(Facility.id)).scalar_one()
            connection.execute(insert(Case), _rows(random.Random(2), [place], 60, date(2025, 1, 1), 90))
        migrate.downgrade(database_url, "0025")
        migrate.upgrade(database_url)
        assert kept(database) == counted(database) and kept(database)[0]
        with engine.begin() as connection:
            connection.execute(update(Case).values(status="withdrawn", closed_at=datetime(2025, 6, 1, tzinfo=UTC)))
        assert kept(database) == counted(database)
    finally:
        database.dispose()


def complaint_months(database) -> Counter:
    with database.sessions() as session:
        return +Counter({(r.facility_id, r.category, r.month): r.complaints for r in session.scalars(select(ComplaintMonth))})


def test_kioskctl_recount_mends_tallies_the_triggers_never_saw(app, database, people, runner):
    """A data-only restore with triggers disabled, or a TRUNCATE, leaves the tallies wrong: the
    command counts them again from the cases."""
    with database.transaction() as session:
        session.execute(insert(Case), _rows(random.Random(8), [people["TST"], people["OTH"]], 80, date(2025, 1, 1), 120))
    right = kept(database), complaint_months(database)
    with database.transaction() as session:  # as a restore that skipped the triggers would leave them
        for table in (CaseMonth, DurationMonth, ComplaintMonth):
            session.execute(delete(table).where(table.month >= date(2025, 2, 1)))
        session.execute(update(CaseMonth).values(cases=CaseMonth.cases + 7))
    assert (kept(database), complaint_months(database)) != right
    done = runner.invoke(["db", "recount"])
    assert done.exit_code == 0 and "case_months" in done.output and "duration_months" in done.output
    assert (kept(database), complaint_months(database)) == right and kept(database) == counted(database)


def test_cases_written_at_the_same_moment_are_each_counted(app, database, people):
    """Eight writers file and act on cases of the same month, category, language and deadline at once:
    every one lands in the same tally rows, and none is lost (an upsert that waits, not a read then a write)."""
    rows = _rows(random.Random(4), [people["TST"]], 40, date(2025, 5, 1), 1)
    for row in rows:
        row.update(category="food", language="es", status="new", is_emergency=False, priority=3)
    start, failures = threading.Barrier(8), []

    def write(mine: list[dict]) -> None:
        try:
            start.wait(timeout=20)
            for row in mine:
                with database.transaction() as session:
                    session.execute(insert(Case), [row])
                with database.transaction() as session:
                    session.execute(update(Case).where(Case.number == row["number"])
                                    .values(status="acknowledged", first_action_at=row["created_at"] + HOUR))
        except Exception as error:  # noqa: BLE001 (reported below, in the test's own thread)
            failures.append(error)

    writers = [threading.Thread(target=write, args=(rows[n::8],)) for n in range(8)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(timeout=60)
    assert not failures
    assert kept(database) == counted(database)
    assert kept(database)[0][date(2025, 5, 1), "food", "acknowledged", "es", "other"] == 40
