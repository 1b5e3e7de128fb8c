"""Emergency alerts in the console: the banner on every page, its poll, acknowledging, the Emergencies view.

Every console page shows the open alerts of the facilities its reader works, rendered with the page
(so it is there without JavaScript); kiosk/static/alerts.js asks GET /staff/alerts every 2 seconds and
redraws the banner. Both carry the newest emergencies.BANNER_LIMIT alerts and the count of all, and
the banner says how many older ones wait (the queue and the Emergencies page list them). The poll is
a query on ix_emergency_alerts_open (and a count there once the limit is reached); it is not the person's
activity: the 15-minute idle timeout runs on, so a console left alone signs itself out (the page
then says it no longer shows alerts) and the escalation texts take over. The banner and the poll
name the case, facility, kind and age: never the complaint's words.

Below the banner, every page also names the kiosks of the reader's facilities that the worker found
silent (kiosk/core/silent_kiosks.py): one query on ix_kiosks_silent, rendered with the page only (a
kiosk silent for half an hour is not an emergency), gone once the kiosk is heard again.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, flash, g, jsonify, redirect, render_template, request, session, url_for

from kiosk.core import audit, casework, emergencies, silent_kiosks, staff_accounts
from kiosk.core.models import EmergencyAlert, utcnow
from kiosk.staff import blueprint, display
from kiosk.staff.changes import actor
from kiosk.staff.views import safe_next
from kiosk.web.db import get_session


def age(raised_at: datetime, now: datetime) -> str:
    span = now - raised_at
    return "under a minute" if span < timedelta(minutes=1) else display.duration(span)


def _row(alert: emergencies.OpenAlert, now: datetime) -> dict:
    return {"id": alert.id, "case_number": alert.case_number, "facility": alert.facility_code, "kind": alert.kind,
            "age": age(alert.raised_at, now), "case_url": url_for("staff.case", number=alert.case_number),
            "acknowledge_url": url_for("staff.acknowledge_alert", alert_id=alert.id)}


def open_alerts() -> list[dict]:
    """Every open alert of the signed-in person's facilities, for the queue's first section."""
    now = utcnow()
    return [_row(alert, now) for alert in emergencies.open_alerts(get_session(), staff_accounts.works_at(g.staff))]


def banner_alerts() -> dict:
    """The banner's rows for the signed-in person, the newest emergencies.BANNER_LIMIT, and how many
    alerts are open in all: read once per request, for the page and for the poll alike."""
    if "banner_alerts" not in g:
        db, now, facilities = get_session(), utcnow(), staff_accounts.works_at(g.staff)
        alerts = [_row(alert, now) for alert in
                  emergencies.open_alerts(db, facilities, newest=emergencies.BANNER_LIMIT)]
        # A short banner has them all: the count would only say again what the rows say.
        total = len(alerts) if len(alerts) < emergencies.BANNER_LIMIT else emergencies.open_alert_count(db, facilities)
        g.banner_alerts = {"alerts": alerts, "total": total}
    return g.banner_alerts


blueprint.add_app_template_global(open_alerts)
blueprint.add_app_template_global(banner_alerts)


@blueprint.app_template_global()
def silent_kiosks_here() -> list[silent_kiosks.SilentKiosk]:
    """The kiosks shown as not working to the signed-in person: those of their facilities."""
    return silent_kiosks.silent(get_session(), staff_accounts.works_at(g.staff))


@blueprint.get("/alerts")
def alerts():
    session.passive = True  # a page asking by itself, not the person: it keeps no idle session alive
    response = jsonify(banner_alerts())
    response.headers["Cache-Control"] = "no-store"
    return response


def _wants_json() -> bool:
    """The banner's script asks for JSON; a plain form post (no script) for the next page."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


@blueprint.post("/alerts/<id:alert_id>/acknowledge")
def acknowledge_alert(alert_id: int):
    db = get_session()
    alert = db.get(EmergencyAlert, alert_id)
    if alert is None:
        abort(404)
    if not staff_accounts.may_see(g.staff, alert.case):
        audit.record(db, actor(), "case.alert_acknowledge_refused", case=alert.case, alert_id=alert.id,
                     remote_addr=request.remote_addr)
        db.commit()
        abort(404)  # as for no such alert: another facility's alerts are not this person's to learn of
    number = alert.case.number
    acknowledged = emergencies.acknowledge(db, alert, g.staff, remote_addr=request.remote_addr)
    db.commit()
    if acknowledged:
        message = f"Emergency alert of case {number} acknowledged: the case's timeline says so."
    else:
        db.refresh(alert)  # another person's acknowledgement may have come after this request read the alert
        message = (f"The alert of case {number} was already acknowledged by {alert.acknowledged_by.display_name} "
                   f"at {display.at(alert.acknowledged_at, alert.case.facility.timezone)}. Nothing changed.")
    if _wants_json():
        return jsonify(acknowledged=acknowledged, message=message)
    flash(message)
    return redirect(safe_next(request.form.get("next")))


@blueprint.get("/emergencies")
def emergency_list():
    return render_template("staff/emergencies.html", emergencies=casework.open_emergencies(get_session(), g.staff),
                           now=utcnow(), age=age)
