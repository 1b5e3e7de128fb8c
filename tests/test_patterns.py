"""The Patterns page and the rate-jump alerts: complaints per 100 detainees against the national
median, the weekly trend, an alert for a planted surge and for nothing else, dismissed with a reason."""
from __future__ import annotations

import math
import random
import re
from datetime import date, datetime, time, timedelta, timezone

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from kiosk.core import jobs, patterns_job, rate_alerts
from kiosk.core.categories import CATEGORY_CODES
from kiosk.core.identifiers import case_number
from kiosk.core.models import (
    Case, Facility, FacilityPopulation, Job, JobStatus, RateAlert, utcnow,
)
from kiosk.core.triage import triage
from tests.helpers import ROUTINE, audited, count, run_worker, signed_in

UTC = timezone.utc
TODAY = date(2026, 11, 30)  # a Monday
SURGE = ("F03", "living_conditions")
_serials = iter(range(1, 10**7))


def _case_row(facility_id: int, category: str, filed: datetime, language: str = "es") -> dict:
    decision = triage(category, ROUTINE)
    return {"number": case_number(filed.year, next(_serials)), "facility_id": facility_id, "language": language,
            "category": category, "answers": ROUTINE, "description": "words", "is_emergency": False,
            "priority": decision.priority, "due_at": decision.due_at(filed), "created_at": filed,
            "updated_at": filed, "completed_at": filed}


def add_cases(database, rows: list[dict]) -> None:
    with database.transaction() as session:
        for start in range(0, len(rows), 2000):
            session.execute(insert(Case), rows[start:start + 2000])


def poisson(rng: random.Random, mean: float) -> int:
    """Knuth's: enough for the small daily means here."""
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def history(database, *, seed: int = 7, facilities: int = 6, days: int = 400, daily: float = 0.25) -> dict[str, int]:
    """Facilities F01.. with every category filed at a steady rate per detainee for `days` before TODAY, and
    two changes: F02's population triples 8 weeks before TODAY and its complaints with it (no alert: the rate
    per detainee did not move), and crowding at F03 five times as often in the last 4 weeks (the surge)."""
    rng = random.Random(seed)
    opened = datetime.combine(TODAY - timedelta(days=days + 1), time(), UTC)
    with database.transaction() as session:
        ids = {}
        for n in range(1, facilities + 1):
            place = Facility(code=f"F{n:02d}", name=f"Facility {n}", timezone="America/Chicago", created_at=opened)
            session.add(place)
            session.flush()
            ids[place.code] = place.id
            session.add(FacilityPopulation(facility_id=place.id, as_of=opened.date(), population=300, entered_by="test"))
        session.add(FacilityPopulation(facility_id=ids["F02"], as_of=TODAY - timedelta(days=56), population=900,
                                       entered_by="test"))
    rows = []
    for back in range(days, 0, -1):
        day = TODAY - timedelta(days=back)
        for code, facility_id in ids.items():
            for category in sorted(CATEGORY_CODES):
                mean = daily
                if code == "F02" and back <= 56:
                    mean *= 3
                if (code, category) == SURGE and back <= 28:
                    mean *= 5
                for _ in range(poisson(rng, mean)):
                    filed = datetime.combine(day, time(), UTC) + timedelta(seconds=rng.randrange(86400))
                    rows.append(_case_row(facility_id, category, filed))
    add_cases(database, rows)
    return ids


def alerts(database) -> list[RateAlert]:
    with database.sessions() as session:
        return session.scalars(select(RateAlert).order_by(RateAlert.id)).all()


def codes(database) -> dict[int, str]:
    with database.sessions() as session:
        return dict(session.execute(select(Facility.id, Facility.code)).all())


# --- the test itself -----------------------------------------------------------------------------

def test_the_tail_is_the_exact_binomial_sum():
    for k, n, p in [(0, 5, 0.3), (3, 3, 0.0714), (7, 10, 0.5), (20, 150, 28 / 392), (60, 1000, 0.0714),
                    (1, 1, 0.99), (500, 800, 0.6)]:
        exact = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))
        assert rate_alerts.binomial_tail(k, n, p) == pytest.approx(exact, rel=1e-9, abs=1e-300)
    assert rate_alerts.binomial_tail(11, 10, 0.5) == 0.0
    assert rate_alerts.binomial_tail(4000, 5000, 0.0714) < 1e-300  # far in the tail: no overflow, no error


def test_a_jump_is_judged_against_the_facilitys_own_baseline_per_detainee():
    steady = rate_alerts.look(1, "food", recent=10, baseline=130, recent_days=28, baseline_days=364)
    assert steady.expected == 10 and steady.p_value == 1.0 and not steady.jumped
    assert rate_alerts.look(1, "food", 26, 130, 28, 364).jumped
    assert not rate_alerts.look(1, "food", 24, 130, 28, 364).jumped
    # Three times the detainees in the last 4 weeks: three times the complaints is no jump.
    assert not rate_alerts.look(1, "food", 30, 130, 3 * 28, 364).jumped
    assert rate_alerts.look(1, "food", 4, 0, 28, 364).jumped and not rate_alerts.look(1, "food", 3, 0, 28, 364).jumped


# --- a planted surge -----------------------------------------------------------------------------

def test_a_planted_surge_raises_exactly_that_alert_and_no_other(database):
    ids = history(database)
    with database.transaction() as session:
        found = rate_alerts.find(session, TODAY)
    assert found.looked == 6 * len(CATEGORY_CODES) and found.raised == 1
    (alert,) = alerts(database)
    assert (codes(database)[alert.facility_id], alert.category) == SURGE
    assert alert.first_week == alert.last_week == date(2026, 11, 23)  # the week of the day before TODAY
    assert alert.window_start == datetime.combine(TODAY - timedelta(days=28), time(), UTC)
    assert alert.recent > 3 * alert.expected and alert.p_value < rate_alerts.THRESHOLD
    with database.sessions() as session:
        behind = rate_alerts.case_ids(session, alert)
        filed = session.execute(select(Case.facility_id, Case.category, Case.created_at)
                                .where(Case.id.in_(behind))).all()
    assert len(behind) == alert.recent
    assert {(f, c) for f, c, _at in filed} == {(ids["F03"], "living_conditions")}
    assert all(alert.window_start <= at < alert.window_end for _f, _c, at in filed)

    # Run again the same day, and every day of the next week (no case is filed after TODAY, so the jump
    # fades as its days leave the window): still the one alert, extended into the next week.
    for later in range(8):
        with database.transaction() as session:
            rate_alerts.find(session, TODAY + timedelta(days=later))
    (alert,) = alerts(database)
    assert (codes(database)[alert.facility_id], alert.category) == SURGE
    assert alert.first_week == date(2026, 11, 23) and alert.last_week == date(2026, 11, 30)
    assert alert.window_end > datetime.combine(TODAY + timedelta(days=1), time(), UTC)


def test_a_facility_younger_than_its_baseline_is_not_judged(database):
    history(database, facilities=3, days=40)  # 40 days of history: less than the 8 weeks a baseline needs
    with database.transaction() as session:
        assert rate_alerts.find(session, TODAY).looked == 0
    assert alerts(database) == []


# --- the daily job ---------------------------------------------------------------------------------

def test_the_worker_queues_the_daily_job_once_and_each_run_queues_the_next(app, database, people):
    from kiosk.worker import Worker

    moment = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
    worker = Worker(database, app.config["KIOSK"], name="w1", clock=lambda: moment)
    worker.keep_daily_jobs_queued()
    Worker(database, app.config["KIOSK"], name="w2", clock=lambda: moment).keep_daily_jobs_queued()
    with database.sessions() as session:
        queued = session.scalars(select(Job).where(Job.kind == jobs.JobKind.FIND_PATTERNS)).all()
        assert [(job.status, job.run_after) for job in queued] == [
            (JobStatus.QUEUED, datetime(2026, 12, 5, 3, 0, tzinfo=UTC))]
    with pytest.raises(IntegrityError), database.transaction() as session:  # the index keeps one waiting
        session.add(Job(kind=jobs.JobKind.FIND_PATTERNS, payload={}, run_after=moment))

    assert run_worker(app, at=datetime(2026, 12, 5, 3, 0, 5, tzinfo=UTC)) == 1
    with database.sessions() as session:
        done = session.execute(select(Job.status, Job.run_after).where(Job.kind == jobs.JobKind.FIND_PATTERNS)
                               .order_by(Job.id)).all()
    assert done == [(JobStatus.DONE, datetime(2026, 12, 5, 3, 0, tzinfo=UTC)),
                    (JobStatus.QUEUED, datetime(2026, 12, 6, 3, 0, tzinfo=UTC))]
    (entry,) = audited(database, "patterns.found")
    assert entry.actor == "worker:test" and entry.detail["alerts_raised"] == 0
    assert patterns_job.next_run(datetime(2026, 12, 5, 2, 59, tzinfo=UTC)) == datetime(2026, 12, 5, 3, 0, tzinfo=UTC)


def test_kioskctl_looks_for_patterns_at_once(runner, database, people):
    done = runner.invoke(["patterns", "find"])
    assert done.exit_code == 0, done.output
    assert "rate alerts: 0 facility-category pairs looked at, 0 raised" in done.output
    assert "similar complaints: 0 cases read in English" in done.output
    assert audited(database, "patterns.found")[0].actor == "cli"


# --- the page ----------------------------------------------------------------------------------------

@pytest.fixture
def period_cases(database, people):
    """TST (200 detainees) 4 medical complaints, OTH (100) 1, THR (400) none: 2.00, 1.00 and 0 per 100."""
    with database.transaction() as session:
        third = Facility(code="THR", name="Third Facility", timezone="America/Denver")
        session.add(third)
        session.flush()
        for facility_id, people_there in ((people["TST"], 200), (people["OTH"], 100), (third.id, 400)):
            session.add(FacilityPopulation(facility_id=facility_id, as_of=date(2020, 1, 1), population=people_there,
                                           entered_by="test"))
    now = utcnow()
    add_cases(database, [_case_row(people["TST"], "medical", now - timedelta(days=d)) for d in (1, 2, 9, 30)]
              + [_case_row(people["OTH"], "medical", now - timedelta(days=3))]
              + [_case_row(people["OTH"], "food", now - timedelta(days=200))])  # before the 12 weeks
    return {**people, "THR": third.id}


def row_of(page: str, facility: str, category: str) -> str:
    found = re.search(rf"<tr><td>{facility} [^<]*<br>.*?</td>\s*<td>{category}</td>(.*?)</tr>", page, re.S)
    assert found, (facility, category)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1))).strip()


def test_the_patterns_page_shows_rates_the_national_median_and_the_trend(app, database, period_cases):
    sam = signed_in(app, "sam")
    page = sam.get("/staff/patterns?category=medical").get_data(as_text=True)
    assert row_of(page, "TST", "Medical care").startswith("4 200 2.00 1.00 2.0 ×")
    assert row_of(page, "OTH", "Medical care").startswith("1 100 1.00 1.00 1.0 ×")
    assert row_of(page, "THR", "Medical care").startswith("0 400 0.00 1.00 0.0 ×")
    assert page.index("<td>TST ") < page.index("<td>OTH ") < page.index("<td>THR ")  # most above the median first
    assert page.count('<svg class="sparkline"') == 3
    # Filed 1, 2, 9 and 30 days ago: weeks 0, 0, 1 and 4 before the end of today.
    assert "TST, Medical care: 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2 complaints a week, oldest first" in page
    assert audited(database, "patterns.viewed")[0].detail["category"] == "medical"
    everything = sam.get("/staff/patterns").get_data(as_text=True)
    assert everything.count('<svg class="sparkline"') == 3 * len(CATEGORY_CODES)
    assert "OTH" in row_of(everything, "OTH", "Food") or row_of(everything, "OTH", "Food").startswith("0 100")


def test_a_case_manager_sees_only_the_facilities_they_work(app, database, period_cases):
    chris = signed_in(app, "chris")
    page = chris.get("/staff/patterns?category=medical").get_data(as_text=True)
    assert row_of(page, "TST", "Medical care").startswith("4 200 2.00 1.00")  # the national median is everyone's
    assert "<td>OTH " not in page and "<td>THR " not in page
    page = chris.get("/staff/patterns?facility=OTH").get_data(as_text=True)
    assert "You work no facility called &#39;OTH&#39;: showing every facility you work." in page
    assert "<td>OTH " not in page and "<td>TST " in page


@pytest.mark.parametrize("query, note", [
    ("from=yesterday", "The start date &#39;yesterday&#39; is not a date like 2026-11-30."),
    ("to=2999-01-01", "The end date 2999-01-01 is after today: the period ends today."),
    ("from=2026-05-01&to=2026-01-01", "The start date 2026-05-01 is after the end date"),
    ("from=2001-01-01&to=2026-01-01", "A period is at most 10 years"),
    ("from=1900-01-01", "is before 2000-01-01"),
    ("category=%E2%80%AEmedical", "There is no category"),
    ("office=" + "9" * 5000, "There is no field office &#39;99999999999999999999&#39;"),
    ("facility=%F0%9F%92%A9" * 40, "You work no facility called"),
])
def test_garbage_in_the_query_falls_back_to_the_defaults_with_a_note(app, database, period_cases, query, note):
    sam = signed_in(app, "sam")
    response = sam.get(f"/staff/patterns?{query}")
    assert response.status_code == 200 and note in response.get_data(as_text=True)


# --- alerts on the page, dismissed --------------------------------------------------------------------

@pytest.fixture
def surge(app, database, people):
    """The planted surge's alert, and chris working F03 (its facility)."""
    from tests.helpers import create_staff

    history(database)
    with database.transaction() as session:
        rate_alerts.find(session, TODAY)
    create_staff(app, "fay", "case_manager", ["F03"])
    create_staff(app, "gus", "case_manager", ["F01"])
    return alerts(database)[0]


def test_an_alert_shows_with_its_cases_and_is_dismissed_with_a_reason(app, database, surge):
    fay = signed_in(app, "fay")
    page = fay.get("/staff/patterns").get_data(as_text=True)
    assert "F03 Facility 3" in page and "Every case behind it" in page
    with database.sessions() as session:
        first = session.scalar(select(Case.number).where(Case.id == rate_alerts.case_ids(session, surge)[0]))
    assert f'<a href="/staff/case/{first}">{first}</a>' in page
    assert fay.get(f"/staff/patterns/alerts/{surge.id}").get_data(as_text=True).count('href="/staff/case/') == surge.recent

    gus = signed_in(app, "gus")  # works another facility
    assert "F03 Facility 3" not in gus.get("/staff/patterns").get_data(as_text=True)
    assert gus.get(f"/staff/patterns/alerts/{surge.id}").status_code == 403
    assert gus.post(f"/staff/patterns/alerts/{surge.id}/dismiss", {"reason": "not mine"}).status_code == 403
    assert len(audited(database, "rate_alert.view_refused")) == 2

    fay.get("/staff/patterns")
    fay.post(f"/staff/patterns/alerts/{surge.id}/dismiss", {"reason": "  "}, follow_redirects=True)
    assert "Write the reason for dismissing the alert." in fay.text and alerts(database)[0].dismissed_at is None
    fay.post(f"/staff/patterns/alerts/{surge.id}/dismiss", {"reason": "x" * 2001}, follow_redirects=True)
    assert "at most 2,000 characters" in fay.text and alerts(database)[0].dismissed_at is None
    fay.post(f"/staff/patterns/alerts/{surge.id}/dismiss", {"reason": "A bus of new arrivals; seen to."},
             follow_redirects=True)
    assert "Alert dismissed." in fay.text and "No rate jumped beyond chance." in fay.text
    assert alerts(database)[0].dismiss_reason == "A bus of new arrivals; seen to."
    fay.get("/staff/patterns")
    fay.post(f"/staff/patterns/alerts/{surge.id}/dismiss", {"reason": "again"}, follow_redirects=True)
    assert "Someone dismissed this alert a moment ago." in fay.text
    (entry,) = audited(database, "rate_alert.dismissed")
    assert entry.detail["reason"] == "A bus of new arrivals; seen to." and entry.facility_id == surge.facility_id
    assert "A bus of new arrivals" in fay.get(f"/staff/patterns/alerts/{surge.id}").get_data(as_text=True)
    with database.transaction() as session:  # the surge goes on: the dismissed alert stays dismissed
        rate_alerts.find(session, TODAY + timedelta(days=7))
    assert len(alerts(database)) == 1 and alerts(database)[0].dismissed_at is not None
    assert count(database, RateAlert) == 1
