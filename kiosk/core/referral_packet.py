"""The referral packet: what a unit receives about a systemic issue, as a page to print and as JSON/CSV.

It holds the counts, the rates per 100 detainees against the national median and the weekly trend
of the issue's facilities and categories, the referral's timeline, what the facilities said, and
excerpts of the complaints, all de-identified (kiosk/core/deidentify.py): no names, A-numbers,
phone numbers, PINs or case numbers. A person's words appear only in English and only for a case
whose person said the facility may know who they are (retaliation.may_name); every other case is
counted as withheld. The packet is of the cases the viewer may open, never another's.
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from kiosk.core import rates, retaliation, similar_complaints, systemic_issues
from kiosk.core.deidentify import names_on, scrub
from kiosk.core.exports import spreadsheet_cell
from kiosk.core.models import Case, Referral, utcnow

MIN_DAYS = 28      # a rate over fewer days says little
MAX_DAYS = 3653


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def period_of(cases: list[Case], now: datetime) -> rates.Period:
    """From the first case's day to the last's, at least four weeks and at most ten years, ending by today."""
    if not cases:
        last = now.date()
        return rates.Period(last - timedelta(days=MIN_DAYS - 1), last)
    last = min(max(case.created_at for case in cases).date(), now.date())
    first = min(case.created_at for case in cases).date()
    first = min(first, last - timedelta(days=MIN_DAYS - 1))
    return rates.Period(max(first, last - timedelta(days=MAX_DAYS - 1)), last)


def facility_said(body: str | None) -> str:
    """The facility's answer from a contact log entry (not whom was contacted, nor the identity line)."""
    body = body or ""
    marker = "The facility said: "
    if marker not in body:
        return body
    said = body.split(marker, 1)[1]
    return said.split("\nIdentity:", 1)[0].strip()


def build(session: Session, referral: Referral, visible: list[int] | None, *, now: datetime | None = None) -> dict:
    now = now or utcnow()
    issue = referral.issue
    cases = systemic_issues.cases_of(session, issue, visible)
    names = [name for case in cases for name in names_on(case)]
    period = period_of(cases, now)
    pairs = sorted({(case.facility_id, case.category) for case in cases})
    facility_ids = sorted({facility_id for facility_id, _ in pairs})
    rows = [row for row in rates.table(session, period, visible=facility_ids or [-1])
            if (row.facility_id, row.category) in pairs]
    trend = rates.weekly(session, period, pairs)
    codes = {case.facility_id: case.facility.code for case in cases}
    english = similar_complaints.english_of(session, [case.id for case in cases if retaliation.may_name(case)])
    excerpts = [{"facility": case.facility.code, "category": case.category, "filed": case.created_at.strftime("%Y-%m"),
                 "english": scrub(english[case.id], names)} for case in cases if case.id in english]
    changes = systemic_issues.history(session, [referral.id])[referral.id]
    return {
        "issue": {"title": scrub(issue.title, names), "description": scrub(issue.description, names),
                  "created_at": _when(issue.created_at)},
        "referral": {"to": referral.recipient, "to_label": systemic_issues.recipient_label(referral.recipient),
                     "state": str(referral.state), "due_at": _when(referral.due_at), "due_zone": referral.due_zone,
                     "sent_at": _when(referral.sent_at), "overdue": referral.state != "closed" and referral.due_at < now,
                     "outcome": scrub(referral.outcome, names) if referral.outcome else None},
        "period": {"first": period.first.isoformat(), "last": period.last.isoformat()},
        "counts": {"cases": len(cases),
                   "by_facility": dict(sorted(Counter(case.facility.code for case in cases).items())),
                   "by_category": dict(sorted(Counter(case.category for case in cases).items())),
                   "by_status": dict(sorted(Counter(str(case.status) for case in cases).items()))},
        "rates": [{"facility": row.facility_code, "category": row.category, "complaints": row.complaints,
                   "average_daily_population": row.population,
                   "per_100": round(row.per_100, 2) if row.per_100 is not None else None,
                   "national_median_per_100": round(row.national_median, 2) if row.national_median is not None else None}
                  for row in rows],
        "trend": [{"facility": codes[facility_id], "category": category, "weekly": trend[(facility_id, category)]}
                  for facility_id, category in pairs],
        "timeline": [{"at": _when(change.at), "from": change.state_from and str(change.state_from),
                      "to": str(change.state_to), "note": scrub(change.note, names)} for change in changes],
        "facility_responses": [{"facility": response.facility_code, "at": _when(response.at),
                                "said": scrub(facility_said(response.body), names)}
                               for response in systemic_issues.facility_responses(session, cases)],
        "excerpts": excerpts,
        "excerpts_withheld": len(cases) - len(excerpts),
    }


CSV_COLUMNS = ("section", "facility", "category", "when", "figure", "text")


def as_csv(packet: dict) -> str:
    """The packet as one table, a row per figure or text, each row saying which part it is of."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    referral, issue = packet["referral"], packet["issue"]
    rows = [("issue", "", "", issue["created_at"], "", issue["title"]),
            ("issue description", "", "", "", "", issue["description"]),
            ("referral", "", "", referral["sent_at"], referral["state"], referral["to_label"]),
            ("due", "", "", referral["due_at"], "overdue" if referral["overdue"] else "", referral["due_zone"]),
            ("outcome", "", "", "", "", referral["outcome"] or ""),
            ("cases", "", "", "", packet["counts"]["cases"], "")]
    rows += [("cases by facility", code, "", "", n, "") for code, n in packet["counts"]["by_facility"].items()]
    rows += [("cases by category", "", code, "", n, "") for code, n in packet["counts"]["by_category"].items()]
    rows += [("rate per 100", rate["facility"], rate["category"], packet["period"]["first"] + "/" + packet["period"]["last"],
              rate["per_100"], f"national median {rate['national_median_per_100']}") for rate in packet["rates"]]
    rows += [("weekly trend", line["facility"], line["category"], "", " ".join(map(str, line["weekly"])), "")
             for line in packet["trend"]]
    rows += [("timeline", "", "", step["at"], step["to"], step["note"]) for step in packet["timeline"]]
    rows += [("facility response", said["facility"], "", said["at"], "", said["said"]) for said in packet["facility_responses"]]
    rows += [("excerpt", excerpt["facility"], excerpt["category"], excerpt["filed"], "", excerpt["english"])
             for excerpt in packet["excerpts"]]
    rows.append(("excerpts withheld", "", "", "", packet["excerpts_withheld"], ""))
    for row in rows:
        writer.writerow([spreadsheet_cell(cell) for cell in row])
    return out.getvalue()
