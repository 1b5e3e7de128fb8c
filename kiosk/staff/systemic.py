"""Systemic issues and referrals (/staff/issues): issues made from a rate alert, a group of similar
complaints or by hand; their cases and the facilities' responses; referrals with their states and
history; the overdue ones; and the referral packet, printable and as JSON/CSV.

A person sees the issue's cases at facilities they work and nothing of the others but their number;
every view of an issue, of its cases and every export is audited. Every change goes through
changes.save: refused with a sentence and nothing written, or saved whole.
"""
from __future__ import annotations

import json

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from kiosk.core import audit, referral_packet, staff_accounts, systemic_issues
from kiosk.core.models import (
    IssueSource,
    RateAlert,
    Referral,
    ReferralState,
    SimilarGroup,
    SystemicIssue,
    utcnow,
)
from kiosk.staff import blueprint
from kiosk.staff.changes import RACED, actor, in_one_transaction, save
from kiosk.staff.charts import sparkline
from kiosk.staff.patterns import visible_alert, visible_group
from kiosk.staff.views import download  # a packet downloads as a case's record does
from kiosk.web.db import get_session


def overdue_referrals() -> int:
    """How many referrals are open past their due date (the menu's count for supervisors)."""
    if "overdue_referrals" not in g:
        g.overdue_referrals = systemic_issues.overdue_count(get_session(), staff_accounts.facility_ids(g.staff))
    return g.overdue_referrals


blueprint.add_app_template_global(overdue_referrals)


def issues_to_join() -> list[SystemicIssue]:
    """The issues the case page offers to add its case to: those this person sees, newest first."""
    return systemic_issues.issues(get_session(), staff_accounts.facility_ids(g.staff), actor(), limit=50)


blueprint.add_app_template_global(issues_to_join)


def _zones(extra: list[str] = ()) -> list[str]:
    """The zones a due date can be given in: the viewer's facilities' first (their local day), then UTC."""
    zones = [place.timezone for place in g.staff.facilities] + list(extra) + ["UTC"]
    return list(dict.fromkeys(zones))


@blueprint.get("/issues")
def systemic_issue_list():
    db, visible = get_session(), staff_accounts.facility_ids(g.staff)
    found = systemic_issues.issues(db, visible, actor())
    late = systemic_issues.overdue(db, visible)
    audit.record(db, actor(), "systemic_issues.viewed", remote_addr=request.remote_addr, overdue=len(late))
    db.commit()
    return render_template("staff/systemic_issues.html", issues=found, overdue=late,
                           recipient_label=systemic_issues.recipient_label, token=systemic_issues.new_form_token())


@blueprint.post("/issues")
def create_systemic_issue():
    form, visible = request.form, staff_accounts.facility_ids(g.staff)

    def create(db):
        token = systemic_issues.form_token(form.get("token"))
        issue = systemic_issues.made_by_form(db, token)
        if issue is not None:  # the same form again: a double tap, or the browser retrying
            return issue
        issue = systemic_issues.create(db, title=form.get("title", ""), description=form.get("description", ""),
                                       case_ids=[], by=g.staff, visible=visible, token=token,
                                       remote_addr=request.remote_addr)
        if form.get("case", "").strip():
            systemic_issues.add_case(db, issue, form.get("case", ""), by=g.staff, visible=visible,
                                     remote_addr=request.remote_addr)
        return issue

    return _made(create, "Issue made.", url_for("staff.systemic_issue_list"),
                 again=lambda db: systemic_issues.made_by_form(db, form.get("token")))


def _made(make, done: str, back: str, again=None) -> Response:
    """Makes (or finds, on a second click from an alert or group, or a second submit of the form)
    the issue and shows it; refused, goes back saying why. ``again``: finds the issue that a
    submit at the same moment made, when the unique constraint refused this one."""
    issue, refused = in_one_transaction(make)
    if refused == RACED and again is not None:
        issue = again(get_session())
        refused = None if issue is not None else RACED
    if refused is not None:
        flash(refused, "error")
        return redirect(back)
    flash(done)
    return redirect(url_for("staff.systemic_issue", issue_id=issue.id))


@blueprint.post("/patterns/alerts/<id:alert_id>/issue")
def issue_from_alert(alert_id: int):
    alert: RateAlert = visible_alert(alert_id)
    return _made(lambda db: systemic_issues.from_alert(
        db, alert, by=g.staff, visible=staff_accounts.facility_ids(g.staff), remote_addr=request.remote_addr),
        "The alert's cases are an issue.", url_for("staff.rate_alert", alert_id=alert.id),
        again=lambda db: systemic_issues.made_from(db, IssueSource.RATE_ALERT, alert.id))


@blueprint.post("/patterns/similar/<id:group_id>/issue")
def issue_from_group(group_id: int):
    group: SimilarGroup = visible_group(group_id)[0]
    return _made(lambda db: systemic_issues.from_group(
        db, group, by=g.staff, visible=staff_accounts.facility_ids(g.staff), remote_addr=request.remote_addr),
        "The group's cases are an issue.", url_for("staff.similar_group", group_id=group.id),
        again=lambda db: systemic_issues.made_from(db, IssueSource.SIMILAR_GROUP, group.id))


# --- one issue ------------------------------------------------------------------------------

def _issue(issue_id: int) -> SystemicIssue:
    """The issue, if this person may open it: 404 for none, 403 (audited) for one of others' facilities."""
    db = get_session()
    issue = db.get(SystemicIssue, issue_id)
    if issue is None:
        abort(404)
    if not systemic_issues.may_see(db, issue, staff_accounts.facility_ids(g.staff), actor()):
        audit.record(db, actor(), "systemic_issue.view_refused", remote_addr=request.remote_addr, issue_id=issue.id)
        db.commit()
        abort(403)
    return issue


@blueprint.get("/issues/<id:issue_id>")
def systemic_issue(issue_id: int):
    db, visible = get_session(), staff_accounts.facility_ids(g.staff)
    issue = _issue(issue_id)
    cases = systemic_issues.cases_of(db, issue, visible)
    for case in cases:
        audit.record(db, actor(), "case.viewed_in_issue", case=case, remote_addr=request.remote_addr, issue_id=issue.id)
    audit.record(db, actor(), "systemic_issue.viewed", remote_addr=request.remote_addr, issue_id=issue.id)
    db.commit()
    referrals = systemic_issues.referrals_of(db, issue)
    return render_template(
        "staff/systemic_issue.html", issue=issue, cases=cases, hidden=systemic_issues.hidden_count(db, issue, visible),
        responses=systemic_issues.facility_responses(db, cases), referrals=referrals,
        history=systemic_issues.history(db, [referral.id for referral in referrals]), states=systemic_issues.STATES,
        recipients=systemic_issues.recipients(), recipient_label=systemic_issues.recipient_label,
        zones=_zones([case.facility.timezone for case in cases]), closed=ReferralState.CLOSED, now=utcnow(),
        from_alert=IssueSource.RATE_ALERT, from_group=IssueSource.SIMILAR_GROUP)


@blueprint.post("/issues/<id:issue_id>/cases")
def add_issue_case(issue_id: int):
    issue = _issue(issue_id)
    return save(lambda db: systemic_issues.add_case(db, issue, request.form.get("case", ""), by=g.staff,
                                                    visible=staff_accounts.facility_ids(g.staff),
                                                    remote_addr=request.remote_addr),
                lambda case: f"Case {case.number} added.", url_for("staff.systemic_issue", issue_id=issue.id))


@blueprint.post("/issues/<id:issue_id>/cases/<id:case_id>/remove")
def remove_issue_case(issue_id: int, case_id: int):
    issue = _issue(issue_id)
    return save(lambda db: systemic_issues.remove_case(db, issue, case_id, by=g.staff,
                                                       visible=staff_accounts.facility_ids(g.staff),
                                                       remote_addr=request.remote_addr),
                lambda case: f"Case {case.number} taken out of the issue.",
                url_for("staff.systemic_issue", issue_id=issue.id))


@blueprint.post("/case/<number>/issue")
def add_case_to_issue(number: str):
    """From the case page: the case into an issue the person chose from its list."""
    typed = request.form.get("issue", "")
    issue = get_session().get(SystemicIssue, int(typed)) if typed.isascii() and typed.isdigit() and len(typed) < 10 else None
    if issue is None:
        flash("Choose an issue from the list.", "error")
        return redirect(url_for("staff.case", number=number))
    issue = _issue(issue.id)
    return save(lambda db: systemic_issues.add_case(db, issue, number, by=g.staff,
                                                    visible=staff_accounts.facility_ids(g.staff),
                                                    remote_addr=request.remote_addr),
                lambda case: f"Case {case.number} added to the issue “{issue.title}”.",
                url_for("staff.case", number=number))


@blueprint.post("/issues/<id:issue_id>/referrals")
def refer_issue(issue_id: int):
    issue, form = _issue(issue_id), request.form
    return save(lambda db: systemic_issues.refer(db, issue, recipient=form.get("recipient", ""), due_day=form.get("due", ""),
                                                 zone=form.get("zone", ""), note=form.get("note", ""), by=g.staff,
                                                 remote_addr=request.remote_addr),
                lambda referral: f"Referred to {systemic_issues.recipient_label(referral.recipient)}.",
                url_for("staff.systemic_issue", issue_id=issue.id))


def _referral(referral_id: int) -> Referral:
    referral = get_session().get(Referral, referral_id)
    if referral is None:
        abort(404)
    _issue(referral.issue_id)
    return referral


@blueprint.post("/referrals/<id:referral_id>/state")
def move_referral(referral_id: int):
    referral, form = _referral(referral_id), request.form
    return save(lambda db: systemic_issues.advance(db, referral, to=form.get("state", ""), seen=form.get("seen", ""),
                                                   note=form.get("note", ""), outcome=form.get("outcome", ""),
                                                   by=g.staff, remote_addr=request.remote_addr),
                lambda change: f"The referral is now {change.state_to.label.lower()}.",
                url_for("staff.systemic_issue", issue_id=referral.issue_id))


# --- the packet -----------------------------------------------------------------------------

def _packet(referral_id: int, format: str) -> tuple[Referral, dict]:
    db = get_session()
    referral = _referral(referral_id)
    packet = referral_packet.build(db, referral, staff_accounts.facility_ids(g.staff))
    audit.record(db, actor(), "referral_packet.exported", remote_addr=request.remote_addr, issue_id=referral.issue_id,
                 referral_id=referral.id, format=format, cases=packet["counts"]["cases"])
    db.commit()
    return referral, packet


@blueprint.get("/referrals/<id:referral_id>/packet")
def referral_packet_page(referral_id: int):
    referral, packet = _packet(referral_id, "print")
    return render_template("staff/referral_packet.html", referral=referral, packet=packet, sparkline=sparkline)


@blueprint.get("/referrals/<id:referral_id>/packet.json")
def referral_packet_json(referral_id: int):
    referral, packet = _packet(referral_id, "json")
    return download(json.dumps(packet, ensure_ascii=False, indent=1), "application/json",
                     f"referral-{referral.id}.json")


@blueprint.get("/referrals/<id:referral_id>/packet.csv")
def referral_packet_csv(referral_id: int):
    referral, packet = _packet(referral_id, "csv")
    return download(referral_packet.as_csv(packet), "text/csv", f"referral-{referral.id}.csv")

