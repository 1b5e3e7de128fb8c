"""Long periods on the Patterns page: complaints counted by month by the database itself
(complaint_months, kept by triggers on cases), and a monthly trend over two years."""
from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import delete, insert, select, update

from kiosk.core import migrate, rates
from kiosk.core.db import make_engine
from kiosk.core.models import Case, ComplaintMonth, Facility, FacilityPopulation, utcnow
from tests.helpers import signed_in
from tests.test_patterns import _case_row, add_cases


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def months_kept(database) -> dict[tuple[int, str, date], int]:
    with database.sessions() as session:
        return {(row.facility_id, row.category, row.month): row.complaints
                for row in session.scalars(select(ComplaintMonth)) if row.complaints}


def months_of_cases(database) -> dict[tuple[int, str, date], int]:
    """The same figures counted from the cases in Python: what complaint_months must always hold."""
    found: dict[tuple[int, str, date], int] = {}
    with database.sessions() as session:
        for facility_id, category, filed in session.execute(select(Case.facility_id, Case.category, Case.created_at)):
            key = (facility_id, category, filed.date().replace(day=1))
            found[key] = found.get(key, 0) + 1
    return found


def test_every_way_of_writing_a_case_keeps_the_monthly_counts(app, database, people):
    tst, oth = people["TST"], people["OTH"]
    # A bulk insert (as an import or the bench's COPY would write), on both sides of a month's end in UTC.
    add_cases(database, [_case_row(tst, "medical", datetime(2025, 1, 31, 23, 59, 59, 999999, UTC)),
                         _case_row(tst, "medical", datetime(2025, 2, 1, 0, 0, tzinfo=UTC)),
                         _case_row(oth, "food", datetime(2025, 2, 14, 6, tzinfo=UTC))])
    # The ORM, as every product path files a case.
    with database.transaction() as session:
        session.add(Case(**_case_row(oth, "food", datetime(2025, 2, 20, tzinfo=UTC))))
    assert months_kept(database) == months_of_cases(database) == {
        (tst, "medical", date(2025, 1, 1)): 1, (tst, "medical", date(2025, 2, 1)): 1, (oth, "food", date(2025, 2, 1)): 2}
    # A case moved to another facility, category or time (the ORM and a bulk UPDATE), then one removed.
    with database.transaction() as session:
        moved = session.scalar(select(Case).where(Case.category == "food").order_by(Case.id).limit(1))
        moved.facility_id, moved.category = tst, "safety"
        session.execute(update(Case).where(Case.category == "medical").values(created_at=at(date(2024, 12, 31))))
    with database.transaction() as session:
        session.execute(delete(Case).where(Case.category == "safety"))
    assert months_kept(database) == months_of_cases(database) == {
        (tst, "medical", date(2024, 12, 1)): 2, (oth, "food", date(2025, 2, 1)): 1}
    # A rolled-back filing leaves no count behind.
    try:
        with database.transaction() as session:
            session.add(Case(**_case_row(oth, "food", datetime(2025, 2, 21, tzinfo=UTC))))
            session.flush()
            raise RuntimeError("the request failed")
    except RuntimeError:
        pass
    assert months_kept(database) == months_of_cases(database)


def test_the_counts_are_still_kept_after_the_migrations_go_down_and_up_again(database_url):
    """A migration that copied `cases` (an Alembic batch on SQLite) would leave the copy without the
    triggers that keep the counts."""
    engine = make_engine(database_url)
    try:
        migrate.downgrade(database_url, "0023")
        migrate.upgrade(database_url)
        with engine.begin() as connection:
            place = connection.execute(insert(Facility).values(code="MIG", name="Migrated", timezone="UTC")
                                       .returning(Facility.id)).scalar_one()
            connection.execute(insert(Case), [_case_row(place, "food", datetime(2025, 3, 3, tzinfo=UTC))])
        with engine.connect() as connection:
            assert connection.execute(select(ComplaintMonth.complaints).where(
                ComplaintMonth.month == date(2025, 3, 1), ComplaintMonth.category == "food")).scalar() == 1
    finally:
        engine.dispose()


def test_counts_of_any_period_are_the_cases_filed_in_it(app, database, people):
    """Random cases over three years and random periods (whole months, parts of them, one day):
    the counts from complaint_months and the days at the edges equal counting every case."""
    rng = random.Random(3)
    first_day = date(2023, 1, 1)
    rows = [_case_row(rng.choice([people["TST"], people["OTH"]]), rng.choice(["medical", "food", "safety"]),
                      at(first_day + timedelta(days=rng.randrange(3 * 365)), rng.randrange(24)))
            for _ in range(600)]
    add_cases(database, rows)
    filed = [(row["facility_id"], row["category"], row["created_at"]) for row in rows]
    periods = [rates.Period(date(2023, 1, 1), date(2025, 12, 31)), rates.Period(date(2023, 3, 1), date(2023, 3, 31)),
               rates.Period(date(2024, 2, 29), date(2024, 2, 29)), rates.Period(date(2023, 1, 15), date(2023, 2, 14))]
    for _ in range(20):
        start = first_day + timedelta(days=rng.randrange(3 * 365))
        periods.append(rates.Period(start, start + timedelta(days=rng.randrange(900))))
    with database.sessions() as session:
        for period in periods:
            expected: dict[tuple[int, str], int] = {}
            for facility_id, category, when in filed:
                if period.start <= when < period.end:
                    expected[(facility_id, category)] = expected.get((facility_id, category), 0) + 1
            assert rates.counts(session, period) == expected, period
            assert rates.counts(session, period, facility_ids=[people["TST"]], category="food") == {
                pair: n for pair, n in expected.items() if pair == (people["TST"], "food")}


def test_over_two_years_the_trend_is_monthly_and_its_numbers_are_right(app, database, people):
    today = utcnow().date()
    first = today - timedelta(days=3 * 365)  # three years: a monthly trend
    tst = people["TST"]
    with database.transaction() as session:
        session.add(FacilityPopulation(facility_id=tst, as_of=date(2020, 1, 1), population=100, entered_by="test"))
    filed = [first, first, first + timedelta(days=40), today - timedelta(days=400), today]
    add_cases(database, [_case_row(tst, "medical", at(day, 0)) for day in filed]
              + [_case_row(tst, "medical", at(first - timedelta(days=1)))])  # the day before: not counted
    months = [date(first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1, 1)
              for n in range((today.year - first.year) * 12 + today.month - first.month + 1)]
    expected = [sum(1 for day in filed if day.replace(day=1) == month) for month in months]
    assert expected[0] == 2 and expected[-1] >= 1 and len(months) in (37, 38)

    page = signed_in(app, "sam").get(f"/staff/patterns?category=medical&from={first}").get_data(as_text=True)
    assert "Monthly trend" in page and "complaints per calendar month" in page
    assert f"TST, Medical care: {', '.join(map(str, expected))} complaints a month, oldest first" in page
    row = re.search(r"<td>TST .*?</td>\s*<td>Medical care</td>\s*<td>(\d+)</td>", page, re.DOTALL)
    assert row and int(row.group(1)) == len(filed)

    # Two years or less: weekly, as before.
    page = signed_in(app, "sam").get(f"/staff/patterns?category=medical&from={today - timedelta(days=700)}")
    assert "Weekly trend" in page.get_data(as_text=True) and "complaints a week, oldest first" in page.get_data(
        as_text=True)


def test_a_period_within_two_months_counts_its_trend_from_the_cases(app, database, people):
    tst = people["TST"]
    add_cases(database, [_case_row(tst, "food", at(day)) for day in
                         (date(2025, 1, 20), date(2025, 1, 31), date(2025, 2, 1), date(2025, 2, 10), date(2025, 2, 11))])
    with database.sessions() as session:
        assert rates.monthly(session, rates.Period(date(2025, 1, 20), date(2025, 2, 10)), [(tst, "food")]) == {
            (tst, "food"): [2, 2]}
        assert rates.monthly(session, rates.Period(date(2024, 12, 20), date(2025, 2, 10)), [(tst, "food")]) == {
            (tst, "food"): [0, 2, 2]}
