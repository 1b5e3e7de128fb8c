"""Emergency alerts in the console: the banner and its poll, acknowledging, the Emergencies view, the
queue's first section, the case page. Chris works TST, Dana works OTH, Sam supervises every facility."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from kiosk.core import cases, kiosks
from kiosk.core.models import Case, CaseEvent, EmergencyAlert, EventKind, WebSession, utcnow
from tests.helpers import (
    BrowserClient, answer_protection, audit_rows, choose_pin, filed_case, signed_in, start_filing, staff_id,
)

BANNER = re.compile(r'<section id="alerts".*?</section>', re.S)
WORDS = "I have chest pain since last night."


def emergency(kiosk, category="medical", question="urgent", answer="yes") -> Case:
    """A person at the kiosk answers that it is an emergency: the case is stored and its alert raised."""
    kiosk.get("/kiosk/finish")
    start_filing(kiosk, "en", category=category)
    response = kiosk.post(f"/kiosk/file/question/{question}", {"choice": answer})
    assert response.status_code == 302 and "/kiosk/file/emergency" in response.headers["Location"]
    return filed_case(kiosk.client.application.extensions["database"])


def complete(kiosk) -> None:
    """The same person goes on from the emergency screen to Send."""
    kiosk.post("/kiosk/file/question/since", {"choice": "today"})
    kiosk.post("/kiosk/file/question/raised_with_facility", {"choice": "not_yet"})
    choose_pin(kiosk, "2468")
    kiosk.post("/kiosk/file/words", {"description": WORDS})
    answer_protection(kiosk)
    assert kiosk.post("/kiosk/file/review", {"submission": kiosk.submission_token()}).status_code == 302


def kiosk_of(app, facility_code, unit_name) -> BrowserClient:
    with app.extensions["database"].transaction() as session:
        _kiosk, token = kiosks.register(session, kiosks.find_unit(session, facility_code, unit_name), "kiosk",
                                        actor="test")
    client = BrowserClient(app.test_client())
    assert client.get(f"/kiosk/enroll/{token}").status_code == 302
    return client


def banner(client, path="/staff/") -> str:
    """The alert banner of a console page ('' when it is hidden)."""
    found = BANNER.search(client.get(path).get_data(as_text=True))
    return "" if found is None or found.group(0).split(">", 1)[0].endswith(" hidden") else found.group(0)


def alert_id(database, number) -> int:
    with database.sessions() as session:
        return session.scalar(select(EmergencyAlert.id).join(Case).where(Case.number == number))


def events(database, number, kind) -> list[CaseEvent]:
    with database.sessions() as session:
        return list(session.scalars(select(CaseEvent).join(Case).where(Case.number == number,
                                                                         CaseEvent.kind == kind)))


def test_the_banner_shows_an_emergency_to_those_who_work_its_facility(app, kiosk, people):
    case = emergency(kiosk)
    chris, dana, sam = (signed_in(app, name) for name in ("chris", "dana", "sam"))
    for reader in (chris, sam):
        shown = banner(reader)
        assert case.number in shown and "TST" in shown and "Medical emergency" in shown
        assert f'href="/staff/case/{case.number}"' in shown and "Acknowledge" in shown and "csrf_token" in shown
        assert 'raised <span data-field="age">under a minute</span> ago' in shown
    # On every page of the console, not only the queue.
    assert case.number in banner(chris, "/staff/emergencies") and case.number in banner(sam, "/staff/audit")
    assert banner(dana) == "" and case.number not in dana.get("/staff/").get_data(as_text=True)
    assert banner(BrowserClient(app.test_client()), "/staff/sign-in") == ""  # before signing in: nothing


def test_the_poll_lists_open_alerts_in_scope_and_never_the_complaints_words(app, kiosk, people, database):
    case = emergency(kiosk)
    complete(kiosk)
    with database.sessions() as session:
        assert session.get(Case, case.id).description == WORDS  # completed, words and all

    response = signed_in(app, "chris").get("/staff/alerts")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    (alert,) = response.get_json()["alerts"]
    assert alert == {"id": alert_id(database, case.number), "case_number": case.number, "facility": "TST",
                     "kind": "Medical emergency", "age": "under a minute",
                     "case_url": f"/staff/case/{case.number}",
                     "acknowledge_url": f"/staff/alerts/{alert['id']}/acknowledge"}
    assert "chest" not in response.get_data(as_text=True)
    assert signed_in(app, "dana").get("/staff/alerts").get_json() == {"alerts": [], "total": 0}
    everywhere = signed_in(app, "sam").get("/staff/alerts").get_json()
    assert len(everywhere["alerts"]) == 1 and everywhere["total"] == 1
    anonymous = app.test_client().get("/staff/alerts")
    assert anonymous.status_code == 302 and "/staff/sign-in" in anonymous.headers["Location"]


def test_the_poll_does_not_keep_an_idle_session_alive(app, people, database):
    chris = signed_in(app, "chris")
    soon = utcnow() + timedelta(minutes=5)  # 10 minutes idle already, of the 15 allowed

    def expiry_after(path):
        with database.transaction() as session:
            session.execute(update(WebSession).where(WebSession.surface == "staff").values(expires_at=soon))
        assert chris.get(path).status_code == 200
        with database.sessions() as session:
            return session.scalar(select(WebSession.expires_at).where(WebSession.surface == "staff"))

    assert expiry_after("/staff/alerts") == soon
    assert expiry_after("/staff/emergencies") > soon + timedelta(minutes=9)  # a page the person opened does

    with database.transaction() as session:
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    ended = chris.get("/staff/alerts")
    assert ended.status_code == 302 and "/staff/sign-in" in ended.headers["Location"]


def test_acknowledging_is_on_the_timeline_and_in_the_audit_log_once(app, kiosk, people, database):
    case = emergency(kiosk)
    alert = alert_id(database, case.number)
    chris = signed_in(app, "chris")
    chris.get("/staff/emergencies")
    response = chris.post(f"/staff/alerts/{alert}/acknowledge", {"next": "/staff/emergencies"})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/emergencies"
    page = chris.get("/staff/emergencies").get_data(as_text=True)
    assert f"Emergency alert of case {case.number} acknowledged" in page and "Acknowledged by Chris at" in page
    assert banner(chris) == "" and case.number not in banner(signed_in(app, "sam"))

    (event,) = events(database, case.number, EventKind.ALERT_ACKNOWLEDGED)
    assert event.actor == f"staff:{staff_id(database, 'chris')}" and not event.visible_to_detainee
    timeline = chris.get(f"/staff/case/{case.number}").get_data(as_text=True)
    assert "Alert acknowledged" in timeline and "Emergency alert acknowledged by Chris." in timeline

    # A second acknowledgement, by anyone, changes nothing and says who was first.
    sam = signed_in(app, "sam")
    sam.get("/staff/")
    again = sam.post(f"/staff/alerts/{alert}/acknowledge", {"next": f"/staff/case/{case.number}"})
    assert again.headers["Location"] == f"/staff/case/{case.number}"
    said = sam.get(again.headers["Location"]).get_data(as_text=True)
    assert f"The alert of case {case.number} was already acknowledged by Chris at " in said and "CST" in said
    assert len(events(database, case.number, EventKind.ALERT_ACKNOWLEDGED)) == 1
    acknowledged = [row for row in audit_rows(database, "case.alert_") if row[1] == "case.alert_acknowledged"]
    assert acknowledged == [(f"staff:{staff_id(database, 'chris')}", "case.alert_acknowledged", case.number)]
    with database.sessions() as session:
        stored = session.get(EmergencyAlert, alert)
        assert stored.acknowledged_by_id == staff_id(database, "chris")


def test_the_banners_script_acknowledges_with_json(app, kiosk, people, database):
    case = emergency(kiosk)
    alert = alert_id(database, case.number)
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    answer = chris.post(f"/staff/alerts/{alert}/acknowledge", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.get_json() == {"acknowledged": True,
                                 "message": f"Emergency alert of case {case.number} acknowledged: "
                                            "the case's timeline says so."}
    second = chris.post(f"/staff/alerts/{alert}/acknowledge", headers={"Accept": "application/json"}).get_json()
    assert second["acknowledged"] is False and "already acknowledged by Chris" in second["message"]
    assert chris.get("/staff/alerts").get_json() == {"alerts": [], "total": 0}


def test_another_facilitys_alert_cannot_be_acknowledged_and_the_refusal_is_audited(app, kiosk, people, database):
    case = emergency(kiosk)
    alert = alert_id(database, case.number)
    dana = signed_in(app, "dana")
    dana.get("/staff/")
    assert dana.post(f"/staff/alerts/{alert}/acknowledge").status_code == 404
    assert dana.post(f"/staff/alerts/{alert + 1000}/acknowledge").status_code == 404  # the same as none at all
    assert audit_rows(database, "case.alert_acknowledge_refused") == [
        (f"staff:{staff_id(database, 'dana')}", "case.alert_acknowledge_refused", case.number)]
    assert events(database, case.number, EventKind.ALERT_ACKNOWLEDGED) == []
    assert case.number in banner(signed_in(app, "chris"))


def test_acknowledging_needs_the_forms_csrf_token_and_goes_back_only_to_the_console(app, kiosk, people, database):
    case = emergency(kiosk)
    alert = alert_id(database, case.number)
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    assert chris.post(f"/staff/alerts/{alert}/acknowledge", csrf=False).status_code == 400
    assert case.number in banner(chris)
    away = chris.post(f"/staff/alerts/{alert}/acknowledge", {"next": "https://elsewhere.example/staff/"})
    assert away.status_code == 302 and away.headers["Location"] == "/staff/"


def test_the_emergencies_view_lists_open_emergencies_oldest_first_with_their_alerts(app, kiosk, people, database):
    first = emergency(kiosk)
    second = emergency(kiosk, category="safety", question="safety_kind", answer="sexual_abuse")
    other = emergency(kiosk_of(app, "OTH", "1"))
    closed = emergency(kiosk)
    with database.transaction() as session:
        session.execute(update(Case).where(Case.id == closed.id).values(status="resolved"))
        session.execute(update(EmergencyAlert).where(EmergencyAlert.case_id == second.id).values(escalations=2))
        session.execute(update(Case).where(Case.id == first.id).values(created_at=utcnow() - timedelta(hours=3)))
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    chris.post(f"/staff/alerts/{alert_id(database, first.number)}/acknowledge")

    page = chris.get("/staff/emergencies").get_data(as_text=True)
    listed = page.split("<tbody>", 1)[1]
    assert listed.index(first.number) < listed.index(second.number)
    assert closed.number not in listed and other.number not in page
    first_row, second_row = (re.search(rf"<tr[^>]*>\s*<td><a[^>]*>{n}</a>.*?</tr>", listed, re.S).group(0)
                             for n in (first.number, second.number))
    assert "3 hours ago" in first_row and "Acknowledged by Chris at" in first_row and "Medical emergency" in first_row
    assert "Sexual abuse" in second_row and "Not acknowledged" in second_row and "escalated 2 times" in second_row and "Acknowledge</button>" in second_row
    assert "report not completed" in first_row and "report not completed" in second_row
    assert other.number in signed_in(app, "dana").get("/staff/emergencies").get_data(as_text=True)
    assert 'href="/staff/emergencies">Emergencies</a>' in page  # in the console's navigation


def test_the_queue_lists_unacknowledged_emergencies_above_its_table(app, kiosk, people, database):
    case = emergency(kiosk)
    chris = signed_in(app, "chris")
    page = chris.get("/staff/").get_data(as_text=True)
    section = page.split("Unacknowledged emergencies first", 1)[1].split("</section>", 1)[0]
    assert case.number in section and "Medical emergency" in section and "Acknowledge" in section
    assert page.index("Unacknowledged emergencies first") < page.index('<form class="filters"')
    assert "Unacknowledged emergencies first" not in signed_in(app, "dana").get("/staff/").get_data(as_text=True)
    chris.post(f"/staff/alerts/{alert_id(database, case.number)}/acknowledge")
    assert "Unacknowledged emergencies first" not in chris.get("/staff/").get_data(as_text=True)


def test_the_case_page_shows_the_alert_and_what_the_report_still_lacks(app, kiosk, people, database):
    case = emergency(kiosk)
    chris = signed_in(app, "chris")
    page = chris.get(f"/staff/case/{case.number}").get_data(as_text=True)
    assert "EMERGENCY</span> Medical emergency" in page
    assert "Not acknowledged" in page and f'action="/staff/alerts/{alert_id(database, case.number)}/acknowledge"' in page
    assert ("Stored at the emergency screen; not completed: the remaining questions, a PIN (the person cannot "
            "open the case at a kiosk), their own words, review and send.") in page
    chris.post(f"/staff/alerts/{alert_id(database, case.number)}/acknowledge", {"next": f"/staff/case/{case.number}"})
    page = chris.get(f"/staff/case/{case.number}").get_data(as_text=True)
    assert "Acknowledged by Chris at" in page and "Acknowledge</button>" not in page.split("<main>", 1)[1]

    complete(kiosk)
    page = chris.get(f"/staff/case/{case.number}").get_data(as_text=True)
    assert "Stored at the emergency screen" not in page and "Report completed" in page


def test_a_third_party_report_says_who_reported_it(app, people, database):
    with database.transaction() as session:
        case = cases.file_for_detainee(session, phone="+15125550123", relationship="lawyer",
                                       facility_id=people["TST"], language="en", category="medical",
                                       description="My client has had no insulin for 3 days.",
                                       detainee_name="Ana Lopez")
        number = case.number
    page = signed_in(app, "chris").get(f"/staff/case/{number}").get_data(as_text=True)
    assert "Reported by a third party, not by the detainee:" in page and "lawyer texting from" in page
    assert "about Ana Lopez" in page and "In the reporter's words (lawyer)" in page
    assert "In the detainee's words" not in page
