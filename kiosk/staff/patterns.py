"""The Patterns page (/staff/patterns): complaints per 100 detainees by facility and category over a
period, the national median beside each and the trend (weekly up to two years, monthly beyond); the rate-jump alerts with the cases
behind them; suggested groups of similar complaints across languages, to confirm or dismiss.

A person sees the facilities they work (supervisors and administrators every one); every view and
every decision is audited. Query parameters a person did not mean (not a date, a facility they do
not work, a category that does not exist) fall back to the default, and the page says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from kiosk.core import audit, field_offices, rate_alerts, rates, similar_complaints, staff_accounts
from kiosk.core.categories import CATEGORIES, CATEGORY_CODES
from kiosk.core.db import plan_for_these_values
from kiosk.core.languages import BY_CODE
from kiosk.core.models import Case, Facility, RateAlert, SimilarGroup, utcnow
from kiosk.staff import blueprint
from kiosk.staff.changes import actor, save
from kiosk.staff.charts import sparkline
from kiosk.web.db import get_session

DEFAULT_DAYS = 84  # 12 weeks
MAX_DAYS = 3653    # 10 years
EARLIEST = date(2000, 1, 1)
ROWS_SHOWN = 60    # with no facility or category chosen: the rows most above their median
CASES_SHOWN = 20   # numbers shown with an alert on the page; its own page lists them all


@dataclass
class Chosen:
    """What the page shows: the query's choices where they make sense, the defaults elsewhere, and
    a note for each choice that did not."""

    period: rates.Period
    field_office: str | None = None
    facility: Facility | None = None
    category: str | None = None
    notes: list[str] = field(default_factory=list)

    def as_query(self) -> dict[str, str]:
        chosen = {"from": self.period.first.isoformat(), "to": self.period.last.isoformat(),
                  "office": self.field_office, "facility": self.facility and self.facility.code,
                  "category": self.category}
        return {name: value for name, value in chosen.items() if value}


def _typed_day(name: str, what: str, notes: list[str]) -> date | None:
    typed = request.args.get(name, "").strip()
    if not typed:
        return None
    try:
        if len(typed) != 10:
            raise ValueError
        day = date.fromisoformat(typed)
    except ValueError:
        notes.append(f"The {what} {typed[:20]!r} is not a date like 2026-11-30.")
        return None
    if day < EARLIEST:
        notes.append(f"The {what} {typed} is before {EARLIEST}.")
        return None
    return day


def _twelve_weeks(last: date) -> date:
    return last - timedelta(days=DEFAULT_DAYS - 1)


def _period(today: date, notes: list[str], default_first, default_name: str) -> rates.Period:
    last = _typed_day("to", "end date", notes) or today
    if last > today:
        notes.append(f"The end date {last} is after today: the period ends today.")
        last = today
    first = _typed_day("from", "start date", notes) or default_first(last)
    if first > last:
        notes.append(f"The start date {first} is after the end date: showing the {default_name} before it.")
        first = default_first(last)
    if (last - first).days + 1 > MAX_DAYS:
        notes.append("A period is at most 10 years: showing the 10 years before the end date.")
        first = last - timedelta(days=MAX_DAYS - 1)
    return rates.Period(first, last)


def chosen_from_query(db, visible: list[int] | None, *, default_first=_twelve_weeks,
                      default_name: str = "12 weeks") -> Chosen:
    """The query's choices; ``default_first(last day)``: where the period starts when none is given
    (``default_name`` says how long that is). The rest of the request reads a period of any length
    from a day to ten years: each statement is planned for its own."""
    plan_for_these_values(db)
    notes: list[str] = []
    chosen = Chosen(_period(utcnow().date(), notes, default_first, default_name), notes=notes)
    args = request.args
    office = args.get("office", "")
    if office:
        chosen.field_office = field_offices.known(office)
        if chosen.field_office is None:
            notes.append(f"There is no field office {office[:20]!r}: showing every field office.")
    code = args.get("facility", "")
    if code:
        found = db.scalar(select(Facility).where(Facility.code == code[:16]))
        if found is not None and (visible is None or found.id in visible):
            chosen.facility = found
        else:
            notes.append(f"You work no facility called {code[:20]!r}: showing every facility you work.")
    category = args.get("category", "")
    if category:
        chosen.category = category if category in CATEGORY_CODES else None
        if chosen.category is None:
            notes.append(f"There is no category {category[:20]!r}: showing every category.")
    return chosen


def _matches(alert: RateAlert, chosen: Chosen) -> bool:
    return ((chosen.facility is None or alert.facility_id == chosen.facility.id)
            and (chosen.category is None or alert.category == chosen.category)
            and (chosen.field_office is None or alert.facility.field_office == chosen.field_office))


@blueprint.get("/patterns")
def patterns():
    db, visible = get_session(), staff_accounts.facility_ids(g.staff)
    chosen = chosen_from_query(db, visible)
    rows = rates.table(db, chosen.period, visible=visible, field_office=chosen.field_office,
                       facility_id=chosen.facility.id if chosen.facility else None, category=chosen.category)
    everything = chosen.facility is not None or chosen.category is not None
    shown = rows if everything else rows[:ROWS_SHOWN]
    trend = rates.trend(db, chosen.period, [(row.facility_id, row.category) for row in shown])
    alerts = [alert for alert in rate_alerts.open_alerts(db, visible) if _matches(alert, chosen)]
    groups = similar_complaints.groups(db, visible)
    audit.record(db, actor(), "patterns.viewed", remote_addr=request.remote_addr, **chosen.as_query())
    db.commit()
    facilities = db.execute(select(Facility.id, Facility.code, Facility.name).order_by(Facility.code)).all()
    return render_template(
        "staff/patterns.html", chosen=chosen, rows=shown, total_rows=len(rows), trend=trend, sparkline=sparkline,
        alerts=alerts, behind=rate_alerts.cases_behind(db, alerts, CASES_SHOWN + 1), cases_shown=CASES_SHOWN, groups=groups,
        members=similar_complaints.members(db, [group.id for group in groups]), languages=BY_CODE,
        facilities=[f for f in facilities if visible is None or f.id in visible], categories=CATEGORIES,
        field_offices=field_offices.choices(), office_label=field_offices.label)


# --- one alert ------------------------------------------------------------------------------

def visible_alert(alert_id: int) -> RateAlert:
    """The alert, if it is at a facility this person works: 404 for none, 403 (audited) for another's."""
    db = get_session()
    alert = db.get(RateAlert, alert_id)
    if alert is None:
        abort(404)
    visible = staff_accounts.facility_ids(g.staff)
    if visible is not None and alert.facility_id not in visible:
        audit.record(db, actor(), "rate_alert.view_refused", facility_id=alert.facility_id,
                     remote_addr=request.remote_addr, alert_id=alert.id)
        db.commit()
        abort(403)
    return alert


@blueprint.get("/patterns/alerts/<id:alert_id>")
def rate_alert(alert_id: int):
    db = get_session()
    alert = visible_alert(alert_id)
    audit.record(db, actor(), "rate_alert.viewed", facility_id=alert.facility_id, remote_addr=request.remote_addr,
                 alert_id=alert.id)
    db.commit()
    return render_template("staff/rate_alert.html", alert=alert, cases=rate_alerts.cases_behind(db, [alert], None)[alert.id],
                           languages=BY_CODE, office_label=field_offices.label)


@blueprint.post("/patterns/alerts/<id:alert_id>/dismiss")
def dismiss_rate_alert(alert_id: int):
    alert = visible_alert(alert_id)
    return save(lambda db: rate_alerts.dismiss(db, alert, request.form.get("reason", ""), by=g.staff,
                                               remote_addr=request.remote_addr),
                "Alert dismissed.", url_for("staff.patterns"))


# --- one group of similar complaints ----------------------------------------------------------

def visible_group(group_id: int) -> tuple[SimilarGroup, list[similar_complaints.Member]]:
    """The group and its cases, if this person works a facility of one of them (403, audited, if not)."""
    db = get_session()
    group = db.get(SimilarGroup, group_id)
    if group is None:
        abort(404)
    found = similar_complaints.members(db, [group.id])[group.id]
    visible = staff_accounts.facility_ids(g.staff)
    if visible is not None and not any(member.facility_id in visible for member in found):
        audit.record(db, actor(), "similar_group.view_refused", remote_addr=request.remote_addr, group_id=group.id)
        db.commit()
        abort(403)
    return group, found


@blueprint.get("/patterns/similar/<id:group_id>")
def similar_group(group_id: int):
    """The group's cases side by side in English: each one this person may open is a view of that
    case, audited as such; a case at a facility they do not work shows its facility and language only."""
    db = get_session()
    group, found = visible_group(group_id)
    visible = staff_accounts.facility_ids(g.staff)
    readable = [member for member in found if visible is None or member.facility_id in visible]
    for case in db.scalars(select(Case).where(Case.id.in_([member.case_id for member in readable]))):
        audit.record(db, actor(), "case.viewed_in_group", case=case, remote_addr=request.remote_addr,
                     group_id=group.id)
    audit.record(db, actor(), "similar_group.viewed", remote_addr=request.remote_addr, group_id=group.id)
    db.commit()
    return render_template(
        "staff/similar_group.html", group=group, members=found, languages=BY_CODE,
        english=similar_complaints.english_of(db, [member.case_id for member in readable]),
        readable={member.case_id for member in readable}, may_decide=similar_complaints.may_decide(visible, found))


def _decide(group_id: int, decide, done: str):
    group, found = visible_group(group_id)
    back = url_for("staff.similar_group", group_id=group.id)
    if not similar_complaints.may_decide(staff_accounts.facility_ids(g.staff), found):
        db = get_session()
        audit.record(db, actor(), "similar_group.decision_refused", remote_addr=request.remote_addr,
                     group_id=group.id)
        db.commit()
        flash(similar_complaints.NOT_YOURS, "error")
        return redirect(back)
    return save(lambda db: decide(db, group), done, back)


@blueprint.post("/patterns/similar/<id:group_id>/confirm")
def confirm_similar_group(group_id: int):
    return _decide(group_id, lambda db, group: similar_complaints.confirm(
        db, group, by=g.staff, remote_addr=request.remote_addr), "Group confirmed: these cases are one problem.")


@blueprint.post("/patterns/similar/<id:group_id>/dismiss")
def dismiss_similar_group(group_id: int):
    return _decide(group_id, lambda db, group: similar_complaints.dismiss(
        db, group, request.form.get("reason", ""), by=g.staff, remote_addr=request.remote_addr),
        "Group dismissed: its cases will not be suggested together again.")
