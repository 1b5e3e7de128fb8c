"""Alerts when a facility's complaints of one category jump above its own baseline beyond chance.

Every day (kiosk/core/patterns_job.py), for every facility and category, the complaints of the
last 4 weeks (x) are set against the 52 weeks before them (y), each weighed by the detainee-days
of its span (the facility's average daily population, kiosk/core/populations.py; a constant
population where none was given). If the facility's rate did not change, then given the n = x + y
complaints of both spans, x is Binomial(n, p0) with p0 = recent detainee-days / all detainee-days:
the exact conditional test for comparing two Poisson rates. Unlike a Poisson test against the
baseline's rate taken as known, it also counts the baseline's own noise, so its false-alarm
rate holds for a small facility with a short or quiet baseline too. The alert is raised when
P(X >= x) < 1e-4.

False alarms. Under no change, each look alerts with probability at most 1e-4 (the test is
discrete, so less). 150 facilities x 11 categories looked at daily are 602,250 looks a year: at
most 60 false alerts a year by the union bound. But looks on consecutive days share 27 of their
28 days, and a surge seen again extends its alert, so far fewer happen: simulating ten years of
unchanging rates with the bench's facilities and mix (bench/patterns.py --simulate-years) counts
6.7 false alerts a year nationally at 100,000 complaints a year (about 5 at today's 30,000): one
every seven or eight weeks, each a few minutes of a case manager's time to dismiss. At 1e-5 it
would be 0.4, at the price of missing jumps like 20 -> 40. What is caught in 4 weeks (a category's
usual 4 weeks -> these): 0 -> 4 complaints, 1 -> 8, 5 -> 17, 10 -> 26, 20 -> 41, 50 -> 81.

One alert covers a surge: seen again in the next week, the alert is extended (last_week,
window_end) rather than a second one raised; a run again the same day or week changes nothing
but its figures. A person dismisses an alert with a reason; a dismissed alert stays dismissed
while its surge lasts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from math import exp, lgamma, log, log1p

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from kiosk.core import actors, audit, populations, text
from kiosk.core.models import Case, Facility, RateAlert, StaffUser, utcnow

WINDOW = timedelta(days=28)
BASELINE = timedelta(days=364)
MIN_BASELINE = timedelta(days=56)  # a facility younger than this has no baseline yet
THRESHOLD = 1e-4  # see the docstring: about 5-7 false alerts a year nationally
MAX_REASON = 2000


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), summed in log space from k upward (exact to rounding)."""
    if k <= 0 or p >= 1:
        return 1.0
    if k > n or p <= 0:
        return 0.0
    first = lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k * log(p) + (n - k) * log1p(-p)
    odds, total, term, i = p / (1 - p), 1.0, 1.0, k
    while i < n:  # each term from the one before: term(i+1) = term(i) * (n - i) / (i + 1) * p / (1 - p)
        step = (n - i) / (i + 1) * odds
        term *= step
        total += term
        i += 1
        if step < 1 and term < total * 1e-17:  # falling, and too small to change the sum
            break
    return min(1.0, exp(first + log(total)))


@dataclass(frozen=True)
class Look:
    """One facility and category on one day: the test's inputs and its answer."""

    facility_id: int
    category: str
    recent: int
    baseline: int
    expected: float  # what the baseline's rate predicts for the recent weeks
    p_value: float

    @property
    def jumped(self) -> bool:
        return self.p_value < THRESHOLD


def look(facility_id: int, category: str, recent: int, baseline: int, recent_days: float,
         baseline_days: float) -> Look:
    """The test for one pair; *_days are detainee-days (or plain days when no population is known)."""
    n = recent + baseline
    share = recent_days / (recent_days + baseline_days)
    expected = baseline * recent_days / baseline_days
    p_value = binomial_tail(recent, n, share) if recent > n * share else 1.0  # at or below the baseline
    return Look(facility_id, category, recent, baseline, expected, p_value)


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), timezone.utc)


@dataclass(frozen=True)
class Run:
    looked: int  # facility-category pairs tested
    raised: int  # new alerts
    extended: int  # alerts seen again (in a later week, or again the same week)


def find(session: Session, today: date) -> Run:
    """The day's looks at every facility and category, and the alerts they raise. ``today``: the day
    the job runs for (UTC); its window ends at the start of it, so a day is only looked at whole."""
    window_start, window_end = today - WINDOW, today
    baseline_start = window_start - BASELINE
    recent_count = func.count().filter(Case.created_at >= _midnight(window_start))
    rows = session.execute(
        select(Case.facility_id, Case.category, recent_count, func.count() - recent_count)
        .where(Case.created_at >= _midnight(baseline_start), Case.created_at < _midnight(window_end))
        .group_by(Case.facility_id, Case.category))
    opened = {facility_id: created.date() for facility_id, created in session.execute(
        select(Facility.id, Facility.created_at))}
    people = populations.of_facilities(session, start=baseline_start, end=window_end)
    looks = []
    for facility_id, category, recent, baseline in rows:
        first_day = max(baseline_start, opened.get(facility_id, baseline_start))
        if not recent or window_start - first_day < MIN_BASELINE:
            continue
        population = people.get(facility_id)
        if population:
            recent_days = population.detainee_days(window_start, window_end)
            baseline_days = population.detainee_days(first_day, window_start)
        else:
            recent_days, baseline_days = float((window_end - window_start).days), float((window_start - first_day).days)
        if recent_days > 0 and baseline_days > 0:
            looks.append(look(facility_id, category, recent, baseline, recent_days, baseline_days))
    raised, extended = _raise(session, [one for one in looks if one.jumped], monday(today - timedelta(days=1)),
                              _midnight(window_start), _midnight(window_end))
    return Run(len(looks), raised, extended)


def _raise(session: Session, jumps: list[Look], week: date, window_start: datetime,
           window_end: datetime) -> tuple[int, int]:
    """New alerts for new jumps; an alert seen this week or the last is brought up to date instead."""
    latest: dict[tuple[int, str], RateAlert] = {}
    for alert in session.scalars(select(RateAlert).where(RateAlert.last_week >= week - timedelta(days=7))
                                 .order_by(RateAlert.last_week)):
        latest[alert.facility_id, alert.category] = alert
    raised = extended = 0
    now = utcnow()
    for jump in jumps:
        figures = {"recent": jump.recent, "expected": jump.expected, "baseline": jump.baseline,
                   "p_value": jump.p_value, "updated_at": now}
        alert = latest.get((jump.facility_id, jump.category))
        if alert is None:
            session.add(RateAlert(facility_id=jump.facility_id, category=jump.category, first_week=week,
                                  last_week=week, window_start=window_start, window_end=window_end, raised_at=now,
                                  **figures))
            raised += 1
            continue
        for name, value in figures.items():
            setattr(alert, name, value)
        alert.last_week = max(alert.last_week, week)
        alert.window_end = max(alert.window_end, window_end)
        extended += 1
    session.flush()
    return raised, extended


# --- what staff see and do ------------------------------------------------------------------

def open_alerts(session: Session, visible: list[int] | None, limit: int = 100) -> list[RateAlert]:
    """Alerts nobody dismissed at the facilities the viewer works (None: every one), newest first."""
    query = select(RateAlert).where(RateAlert.dismissed_at.is_(None))
    if visible is not None:
        query = query.where(RateAlert.facility_id.in_(visible))
    return list(session.scalars(query.order_by(RateAlert.last_week.desc(), RateAlert.id.desc()).limit(limit)))


def behind(alert: RateAlert):
    """The query of the cases behind an alert: its facility's, of its category, filed in its window."""
    return (Case.facility_id == alert.facility_id, Case.category == alert.category,
            Case.created_at >= alert.window_start, Case.created_at < alert.window_end)


def case_ids(session: Session, alert: RateAlert) -> list[int]:
    """The ids of the cases behind the alert, oldest first: what a systemic issue is made of."""
    return list(session.scalars(select(Case.id).where(*behind(alert)).order_by(Case.created_at, Case.id)))


def cases_behind(session: Session, alerts: list[RateAlert], limit: int = 200) -> dict[int, list]:
    """Per alert, its cases' numbers, filing times, languages and statuses (no words), oldest first."""
    found = {}
    for alert in alerts:
        found[alert.id] = session.execute(
            select(Case.number, Case.created_at, Case.language, Case.status).where(*behind(alert))
            .order_by(Case.created_at, Case.id).limit(limit)).all()
    return found


def dismiss(session: Session, alert: RateAlert, reason: str, *, by: StaffUser, remote_addr: str | None = None) -> None:
    """Not a concern, and why: in one UPDATE, so two people dismissing at once dismiss it once."""
    reason = text.clean(reason, limit=MAX_REASON, what="reason for dismissing the alert", required=True)
    done = session.execute(update(RateAlert).where(RateAlert.id == alert.id, RateAlert.dismissed_at.is_(None))
                           .values(dismissed_at=utcnow(), dismissed_by_id=by.id, dismiss_reason=reason)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        raise ValueError("Someone dismissed this alert a moment ago.")
    audit.record(session, actors.staff(by), "rate_alert.dismissed", facility_id=alert.facility_id,
                 remote_addr=remote_addr, alert_id=alert.id, category=alert.category, reason=reason)
