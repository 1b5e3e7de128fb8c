"""The Reports page (/staff/reports): charts of the period's complaints (by month, category and
facility), their outcomes, the time to first action and to resolution against the deadlines, the
overdue open cases, the emergencies acknowledged within 15 minutes and the languages; each chart's
figures as CSV (/staff/reports/<chart>.csv, the same filters).

Facility-scoped like the Patterns page, with its filters and its answer to a choice that makes no
sense (the default, and a note). Every view and every CSV download is audited.
"""
from __future__ import annotations

from datetime import date

from flask import abort, g, render_template, request
from sqlalchemy import select

from kiosk.core import audit, field_offices, reports, staff_accounts
from kiosk.core.categories import CATEGORIES
from kiosk.core.models import Facility, utcnow
from kiosk.staff import blueprint
from kiosk.staff.changes import actor
from kiosk.staff.charts import bars, grouped_bars, lines
from kiosk.staff.patterns import Chosen, chosen_from_query
from kiosk.staff.views import download  # a chart's CSV downloads as a case's record does
from kiosk.web.db import get_session


def _twelve_months(last: date) -> date:
    """The first day of the month eleven months before the last one: twelve whole months but the last."""
    month = last.year * 12 + last.month - 1 - 11
    return date(month // 12, month % 12 + 1, 1)


def _scope() -> tuple[Chosen, reports.Scope, list[tuple]]:
    """What the viewer chose, as the reports count it: only the facilities they work, narrowed by field
    office and facility; and the facilities they may choose from."""
    db, visible = get_session(), staff_accounts.facility_ids(g.staff)
    chosen = chosen_from_query(db, visible, default_first=_twelve_months, default_name="12 months")
    facilities = db.execute(select(Facility.id, Facility.code, Facility.name, Facility.field_office)
                            .order_by(Facility.code)).all()
    mine = [f for f in facilities if visible is None or f.id in visible]
    ids = None
    if chosen.facility is not None:
        ids = [chosen.facility.id]
    elif chosen.field_office is not None:
        ids = [f.id for f in mine if f.field_office == chosen.field_office]
    elif visible is not None:
        ids = [f.id for f in mine]
    return chosen, reports.Scope(chosen.period, ids, chosen.category), mine


def _draw(name: str, table: reports.Table):
    """The chart of a table: what it is drawn as, the same figures as its rows."""
    rows = table.rows
    if name == "months":
        return lines([r[0] for r in rows], [("Complaints", [r[1] for r in rows])], table.title)
    if name in ("categories", "overdue"):
        return bars([r[0] for r in rows], [r[1] for r in rows], table.title)
    if name == "facilities":
        return bars([f"{r[0]} {r[1]}".strip() for r in rows], [r[2] for r in rows], table.title)
    if name == "outcomes":
        rows = [r for r in rows if r[1]]  # a category without a case has no shares to draw
        shares = [(table.columns[index + 7][:-2], [r[index + 7] for r in rows]) for index in range(len(reports.OUTCOMES))]
        return grouped_bars([r[0] for r in rows], shares, table.title + ", per cent of the category's cases")
    if name == "timeliness":
        series = [(table.columns[column], [r[column] for r in rows]) for column in (4, 5, 8, 9)]
        return grouped_bars([r[0] for r in rows], series, table.title, marks=[r[1] for r in rows],
                            mark_name="deadline")
    if name == "emergencies":
        return lines([r[0] for r in rows], [("Share acknowledged within 15 minutes", [r[3] for r in rows])],
                     table.title + ", per cent", top=100, unit=" %")
    return bars([r[0] for r in rows], [r[2] for r in rows], table.title)  # languages


@blueprint.get("/reports")
def reports_page():
    db = get_session()
    chosen, scope, mine = _scope()
    now = utcnow()
    tables = {name: reports.chart(db, name, scope, now) for name in reports.CHARTS}
    audit.record(db, actor(), "reports.viewed", remote_addr=request.remote_addr, **chosen.as_query())
    db.commit()
    return render_template("staff/reports.html", chosen=chosen, tables=tables,
                           drawn={name: _draw(name, table) for name, table in tables.items()},
                           query=chosen.as_query(), facilities=mine, categories=CATEGORIES,
                           field_offices=field_offices.choices(), top=reports.TOP_FACILITIES)


@blueprint.get("/reports/<name>.csv")
def report_csv(name: str):
    if name not in reports.CHARTS:
        abort(404)
    db = get_session()
    chosen, scope, _ = _scope()
    table = reports.chart(db, name, scope, utcnow())
    audit.record(db, actor(), "report.exported", remote_addr=request.remote_addr, chart=name, rows=len(table.rows),
                 notes=len(chosen.notes), **chosen.as_query())
    db.commit()
    return download(table.csv(), "text/csv", f"{name}-{scope.period.first}-{scope.period.last}.csv")
