"""The staff console: default-deny, throttled sign-in, facility scoping, every view audited."""
from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from kiosk.core.casework import OPEN
from kiosk.core.identifiers import case_number
from kiosk.core.models import AuditEntry, Case, StaffUser, Translation, utcnow
from tests.helpers import (
    PASSWORD, ROUTINE, BrowserClient, add_case, add_cases, audit_rows, create_staff, run_worker, signed_in,
    staff_id,
)

LOCKED = "This account is locked after too many failed sign-ins. Try again in 15 minutes."


def test_everything_but_sign_in_needs_an_account(app, people):
    client = app.test_client()
    for path in ("/staff/", "/staff/case/26-0000-0008", "/staff/nothing-here"):
        response = client.get(path)
        assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
    assert client.get("/staff/sign-in").status_code == 200


def test_the_staff_cookie_is_its_own(app, people):
    client = signed_in(app, "chris").client
    cookie = client.get_cookie("staff_session", path="/staff")
    assert cookie.http_only and cookie.same_site == "Strict"
    assert client.get_cookie("kiosk_session", path="/kiosk") is None


def test_the_queue_puts_emergencies_then_medical_then_legal_access_first(app, database, people):
    tst = people["TST"]
    add_case(database, tst, "26-0000-0008", "food", ROUTINE, hours_ago=48)
    add_case(database, tst, "26-0000-0016", "legal_access", ROUTINE)
    add_case(database, tst, "26-0000-0024", "medical", ROUTINE)
    add_case(database, tst, "26-0000-0034", "safety", {**ROUTINE, "urgent": "yes", "safety_kind": "detainee_violence"})
    add_case(database, people["OTH"], "26-0000-0042", "medical", {**ROUTINE, "urgent": "yes"})
    page = signed_in(app, "chris").get("/staff/").get_data(as_text=True)
    order = [n for n in ("26-0000-0034", "26-0000-0024", "26-0000-0016", "26-0000-0008") if n in page]
    assert order == sorted(order, key=page.index) and len(order) == 4
    assert "26-0000-0042" not in page  # another facility's case
    assert "EMERGENCY" in page and 'http-equiv="refresh" content="30"' in page
    supervisor = signed_in(app, "sam").get("/staff/").get_data(as_text=True)
    assert "26-0000-0042" in supervisor


def test_a_case_manager_cannot_see_another_facilitys_case_and_views_are_audited(app, database, people):
    add_case(database, people["OTH"], "26-0000-0042", "medical", ROUTINE)
    add_case(database, people["TST"], "26-0000-0024", "medical", ROUTINE)
    chris = signed_in(app, "chris")
    assert chris.get("/staff/case/26-0000-0042").status_code == 403
    page = chris.get("/staff/case/26-0000-0024")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    with database.sessions() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.case_id.is_not(None))).all()
    assert "case.view_refused" in actions and "case.viewed" in actions


def test_hostile_words_render_inert_and_intact(app, database, people):
    hostile = "<script>alert(1)</script>\u202eevil <b>bold</b> " + "x" * 5000
    add_case(database, people["TST"], "26-0000-0024", "medical", ROUTINE, words=hostile)
    page = signed_in(app, "chris").get("/staff/case/26-0000-0024").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "x" * 5000 in page and "\u202eevil" in page and 'class="words" dir="auto"' in page


def test_five_failed_sign_ins_lock_the_account_for_fifteen_minutes(app, database, people):
    client = BrowserClient(app.test_client())
    client.get("/staff/sign-in")
    pages = [client.post("/staff/sign-in", {"username": "chris", "password": "wrong password!"}).get_data(as_text=True)
             for _ in range(5)]
    assert ["Wrong username or password." in page for page in pages] == [True] * 4 + [False]
    assert LOCKED in pages[-1]
    refused = client.post("/staff/sign-in", {"username": "chris", "password": PASSWORD})
    assert refused.status_code == 200 and LOCKED in client.text
    with database.sessions() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.locked")) is not None
    with database.transaction() as session:
        session.execute(update(StaffUser).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert client.post("/staff/sign-in", {"username": "chris", "password": PASSWORD}).status_code == 302


def test_an_overlong_password_is_refused_without_hashing_it(app, people, monkeypatch):
    hasher, hashed = app.extensions["secret_hasher"], []

    def spy(original):
        def call(*args):
            hashed.append(args[-1])  # the secret
            return original(*args)
        return call

    monkeypatch.setattr(hasher, "hash", spy(hasher.hash))
    monkeypatch.setattr(hasher, "verify", spy(hasher.verify))
    client = BrowserClient(app.test_client())
    client.get("/staff/sign-in")
    response = client.post("/staff/sign-in", {"username": "chris", "password": "p" * 100_000})
    assert response.status_code == 200
    assert "Enter your username and password (at most 256 characters)." in client.text
    assert all(len(secret) <= 256 for secret in hashed)  # argon2 never saw it
    assert client.get("/staff/").headers["Location"].startswith("/staff/sign-in")


def test_a_deactivated_account_stops_at_its_next_request(app, database, people):
    chris = signed_in(app, "chris")
    assert chris.get("/staff/").status_code == 200
    with database.transaction() as session:
        session.execute(update(StaffUser).where(StaffUser.username == "chris").values(active=False))
    response = chris.get("/staff/")
    assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]


def test_sign_out_ends_the_session(app, database, people):
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    chris.post("/staff/sign-out")
    response = chris.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/sign-in")
    assert audit_rows(database, "staff.logout") == [(f"staff:{staff_id(database, 'chris')}", "staff.logout", None)]


def test_kioskctl_creates_staff(app, runner, database, place):
    result = runner.invoke(args=["staff", "create", "alex", "--name", "Alex Doe", "--role", "case_manager",
                                 "--facility", "TST", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert signed_in(app, "alex").get("/staff/").status_code == 200  # the account works
    short = runner.invoke(args=["staff", "create", "bo", "--name", "Bo", "--role", "supervisor", "--password", "short"])
    assert short.exit_code != 0 and "12 to 256" in short.output
    assert staff_id(database, "bo") is None


def case_row(database, number):
    with database.sessions() as session:
        found = session.scalars(select(Case).where(Case.number == number)).one()
        return found, [(e.kind, e.status_to, e.body, e.visible_to_detainee) for e in found.events]


def test_the_status_workflow_refuses_skips_and_wants_reasons(app, database, people):
    add_case(database, people["TST"], "26-0000-0024", "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get("/staff/case/26-0000-0024")
    chris.post("/staff/case/26-0000-0024/status", {"status": "resolved", "reason": "done"}, follow_redirects=True)
    assert "cannot become resolved" in chris.text and case_row(database, "26-0000-0024")[0].status == "new"
    chris.post("/staff/case/26-0000-0024/status", {"status": "in_review"})
    chris.post("/staff/case/26-0000-0024/status", {"status": "not_substantiated", "reason": ""}, follow_redirects=True)
    assert "needs a short reason" in chris.text
    chris.post("/staff/case/26-0000-0024/status", {"status": "referred"}, follow_redirects=True)
    assert "which office" in chris.text
    chris.post("/staff/case/26-0000-0024/status", {"status": "referred", "referred_to": "Detention Oversight"})
    chris.post("/staff/case/26-0000-0024/status", {"status": "resolved", "reason": "Medicine given on Monday."})
    found, events = case_row(database, "26-0000-0024")
    assert found.status == "resolved"
    assert [e[1] for e in events if e[0] == "status_changed"] == ["in_review", "referred", "resolved"]
    assert events[-1][2] == "Medicine given on Monday."
    chris.post("/staff/case/26-0000-0024/status", {"status": "in_review"})  # reopened
    assert case_row(database, "26-0000-0024")[0].status == "in_review"


def test_notes_and_facility_contacts_stay_in_the_console(app, database, people):
    add_case(database, people["TST"], "26-0000-0024", "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get("/staff/case/26-0000-0024")
    chris.post("/staff/case/26-0000-0024/note", {"note": "Called the clinic twice."})
    chris.post("/staff/case/26-0000-0024/facility-contact",
               {"whom": "Nurse Diaz", "how": "phone", "said": "The medical file had not arrived."})
    page = chris.get("/staff/case/26-0000-0024").get_data(as_text=True)
    assert "Called the clinic twice." in page and "The medical file had not arrived." in page
    _found, events = case_row(database, "26-0000-0024")
    assert [(e[0], e[3]) for e in events if e[0] in ("note", "facility_contact")] == \
        [("note", False), ("facility_contact", False)]


def test_a_nul_character_anywhere_is_refused_with_the_consoles_page_and_writes_nothing(app, database, people):
    # PostgreSQL cannot store U+0000: refused before any view runs, the same on SQLite.
    add_case(database, people["TST"], "26-0000-0206", "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get("/staff/case/26-0000-0206")
    for path, form in (("note", {"note": "Clinic\x00 called"}),
                       ("facility-contact", {"whom": "Nurse\x00 Diaz", "how": "phone", "said": "ok\x00"})):
        response = chris.post(f"/staff/case/26-0000-0206/{path}", form)
        assert response.status_code == 400 and "Nothing was saved" in chris.text, path
    for address in ("/staff/?facility=%00", "/staff/audit?actor=%00", "/staff/case/%00"):
        assert chris.get(address).status_code == 400 and "Nothing was saved" in chris.text
    stranger = BrowserClient(app.test_client())
    stranger.get("/staff/sign-in")
    assert stranger.post("/staff/sign-in", {"username": "a\x00b", "password": "x" * 12}).status_code == 400
    page = chris.get("/staff/case/26-0000-0206").get_data(as_text=True)
    assert "Clinic" not in page and "Nurse" not in page


def test_a_case_manager_cannot_change_another_facilitys_case(app, database, people):
    add_case(database, people["OTH"], "26-0000-0042", "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    assert chris.post("/staff/case/26-0000-0042/status", {"status": "in_review"}).status_code == 403
    assert chris.post("/staff/case/26-0000-0042/note", {"note": "x"}).status_code == 403
    assert case_row(database, "26-0000-0042")[0].status == "new"


def test_a_reply_with_no_language_package_goes_out_through_an_interpreter(app, database, people):
    from kiosk.core import case_translations

    add_case(database, people["TST"], "26-0000-0024", "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get("/staff/case/26-0000-0024")
    chris.post("/staff/case/26-0000-0024/reply", {"reply": "A doctor will see you today."})
    run_worker(app)  # no package installed: the worker marks the reply for an interpreter
    page = chris.get("/staff/case/26-0000-0024").get_data(as_text=True)
    assert "an interpreter must translate it" in page and "Release the reply" not in page
    with database.sessions() as session:
        pending = session.scalars(select(Translation).where(Translation.event_id.is_not(None))).one()
    chris.post(f"/staff/case/26-0000-0024/translation/{pending.id}/correct", {"text": "Un médico la verá hoy."})
    reply_id = next(e.id for e in case_row(database, "26-0000-0024")[0].events if e.kind == "reply")
    chris.post(f"/staff/case/26-0000-0024/reply/{reply_id}/release")
    with database.sessions() as session:
        found = session.scalars(select(Case)).one()
        reply = next(e for e in found.events if e.kind == "reply")
        assert reply.visible_to_detainee
        assert case_translations.text_for_detainee(session, found, reply) == "Un médico la verá hoy."


def test_supervisors_assign_to_case_managers_of_the_facility(app, database, people):
    add_case(database, people["TST"], "26-0000-0024", "medical", ROUTINE)
    add_case(database, people["TST"], "26-0000-0016", "legal_access", ROUTINE)
    sam = signed_in(app, "sam")
    sam.get("/staff/case/26-0000-0024")
    sam.post("/staff/case/26-0000-0024/assign", {"staff_id": staff_id(database, "dana")}, follow_redirects=True)
    assert "does not work at this facility." in sam.text
    sam.post("/staff/case/26-0000-0024/assign", {"staff_id": staff_id(database, "chris")})
    assert case_row(database, "26-0000-0024")[0].assigned_to_id == staff_id(database, "chris")
    mine = signed_in(app, "chris").get("/staff/?mine=1").get_data(as_text=True)
    assert "26-0000-0024" in mine and "26-0000-0016" not in mine
    chris = signed_in(app, "chris")
    chris.get("/staff/case/26-0000-0016")
    chris.post("/staff/case/26-0000-0016/assign", {"staff_id": staff_id(database, "chris")}, follow_redirects=True)
    assert "Only a supervisor assigns cases." in chris.text and case_row(database, "26-0000-0016")[0].assigned_to_id is None


def test_a_supervisor_changes_a_due_time_with_a_reason(app, database, people):
    add_case(database, people["TST"], "26-0000-0024", "medical", ROUTINE)
    sam = signed_in(app, "sam")
    sam.get("/staff/case/26-0000-0024")
    sam.post("/staff/case/26-0000-0024/due", {"due_at": "2026-12-01 17:00", "reason": ""}, follow_redirects=True)
    assert "Write the reason for the new due time." in sam.text
    sam.post("/staff/case/26-0000-0024/due", {"due_at": "not a date", "reason": "x"}, follow_redirects=True)
    assert "Write the due time like 2026-11-30 17:00." in sam.text
    # Typed in the facility's time (TST: America/Chicago, UTC-6 in December), shown with its zone.
    sam.post("/staff/case/26-0000-0024/due", {"due_at": "2026-12-01 17:00", "reason": "Facility asked for time."})
    found, events = case_row(database, "26-0000-0024")
    assert found.due_at.strftime("%Y-%m-%d %H:%M") == "2026-12-01 23:00"
    assert "<th>Due</th><td>2026-12-01 17:00 CST</td>" in sam.get("/staff/case/26-0000-0024").get_data(as_text=True)
    assert "Facility asked for time." in events[-1][2]


def test_only_supervisors_read_the_audit_log(app, database, people):
    add_case(database, people["TST"], "26-0000-0024", "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get("/staff/case/26-0000-0024")
    assert chris.get("/staff/audit").status_code == 403
    page = signed_in(app, "sam").get("/staff/audit?action=case.viewed").get_data(as_text=True)
    rows = page[page.index("<tbody>"):]
    assert "<td>Chris</td><td>case.viewed</td>" in rows  # people by name, cases by number
    assert '<a href="/staff/case/26-0000-0024">26-0000-0024</a>' in rows and "staff:" not in rows
    assert "staff.login" not in rows  # filtered


def test_the_audit_logs_details_name_cases_and_people_in_words(app, database, people):
    add_case(database, people["TST"], "26-0000-0024", "medical", ROUTINE)
    add_case(database, people["TST"], "26-0000-0034", "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get("/staff/case/26-0000-0024")
    chris.post("/staff/case/26-0000-0024/links", {"other": "26-0000-0034", "reason": "Same clinic."})
    rows = signed_in(app, "sam").get("/staff/audit?action=case.linked").get_data(as_text=True)
    assert "Linked case: 26-0000-0034 · Reason: Same clinic." in rows and "{" not in rows.split("<tbody>")[1]


def test_cases_past_fifteen_days_are_marked_badly_late_in_the_queue(app, database, people):
    add_case(database, people["TST"], "26-0000-0042", "medical", ROUTINE, hours_ago=17 * 24)  # due 16 days ago
    add_case(database, people["TST"], "26-0000-0059", "medical", ROUTINE, hours_ago=3 * 24)  # due 2 days ago
    page = signed_in(app, "chris").get("/staff/").get_data(as_text=True)
    late, recent = (page[page.index(f">{n}</a>"):][:600] for n in ("26-0000-0042", "26-0000-0059"))
    assert "overdue by 16 days" in late and "badly late" in late
    assert "overdue by 2 days" in recent and "badly late" not in recent


def test_the_same_problem_at_other_facilities_is_counted(app, database, people):
    add_case(database, people["TST"], "26-0000-0024", "living_conditions", ROUTINE)
    add_case(database, people["OTH"], "26-0000-0042", "living_conditions", ROUTINE)
    add_case(database, people["OTH"], "26-0000-0059", "living_conditions", ROUTINE, hours_ago=24 * 40)  # too old
    add_case(database, people["OTH"], "26-0000-0065", "food", ROUTINE)
    page = signed_in(app, "chris").get("/staff/case/26-0000-0024").get_data(as_text=True)
    assert "OTH: 1" in page and "26-0000-0042" not in page  # a count, not the other facility's case


def test_an_administrator_creates_and_deactivates_accounts(app, database, people):
    create_staff(app, "ada", "administrator", display_name="Ada")
    assert signed_in(app, "chris").get("/staff/admin/accounts").status_code == 403
    ada = signed_in(app, "ada")
    ada.get("/staff/admin/accounts")
    ada.post("/staff/admin/accounts", {"username": "eve", "display_name": "Eve", "role": "case_manager",
                                       "facility": "TST", "password": "short"}, follow_redirects=True)
    assert "12 to 256" in ada.text
    ada.post("/staff/admin/accounts", {"username": "eve", "display_name": "Eve", "role": "case_manager",
                                       "facility": "TST", "password": PASSWORD}, follow_redirects=True)
    assert "Account created." in ada.text
    eve = signed_in(app, "eve")
    assert eve.get("/staff/").status_code == 200
    ada.post(f"/staff/admin/accounts/{staff_id(database, 'eve')}/deactivate", follow_redirects=True)
    assert eve.get("/staff/").status_code == 302  # her open session ends at once
    with database.sessions() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("staff.%"))).all()
    assert "staff.created" in actions and "staff.deactivated" in actions


# --------------------------------------------------------------------------- queue pages

PAGE_LINK = re.compile(r'<a rel="(prev|next)" href="([^"]+)"')


def page_links(page: str) -> dict[str, dict[str, list[str]]]:
    """rel -> the query of its link, as parse_qs reads it."""
    links = {}
    for rel, href in PAGE_LINK.findall(page):
        parts = urlsplit(unescape(href))
        assert parts.path == "/staff/"
        links[rel] = parse_qs(parts.query)
    return links


def test_the_queue_shows_fifty_cases_a_page_and_the_next_page_keeps_the_filters(app, database, people):
    food = add_cases(database, people["TST"], "food", 55, first_serial=100)
    medical = add_cases(database, people["TST"], "medical", 3, first_serial=200)
    chris = signed_in(app, "chris")
    first = chris.get("/staff/?category=food&interpreter=&bogus=1").get_data(as_text=True)
    assert [n for n in food if n in first] == food[:50] and not any(n in first for n in medical)
    assert "Cases 1–50" in first and "Open: 58" in first  # the counts are of every open case
    links = page_links(first)
    assert "prev" not in links and links["next"] == {"category": ["food"], "page": ["2"]}
    second = chris.get("/staff/?category=food&page=2").get_data(as_text=True)
    assert [n for n in food if n in second] == food[50:] and "Cases 51–55" in second
    assert page_links(second) == {"prev": {"category": ["food"]}}
    overdue_mine = chris.get("/staff/?overdue=1&mine=1&interpreter=1&language=es&status=new").get_data(as_text=True)
    assert "No open case matches." in overdue_mine and page_links(overdue_mine) == {}


@pytest.mark.parametrize("page", ["abc", "-1", "0", "", "1e3", "2.5", "%ff", "99999999999999999999999999"])
def test_a_page_number_that_is_not_one_never_breaks_the_queue(app, database, people, page):
    numbers = add_cases(database, people["TST"], "food", 53, first_serial=300)
    response = signed_in(app, "chris").get(f"/staff/?page={page}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    if page == "99999999999999999999999999":  # past the end: the last page
        assert "Cases 51–53" in text and numbers[-1] in text and numbers[0] not in text
    else:  # not a page number: the first page
        assert "Cases 1–50" in text and numbers[0] in text and numbers[-1] not in text


def test_the_open_queue_index_lists_the_open_statuses_as_the_queries_do():
    """SQLite uses the partial index only for a query repeating its IN list, in the same order."""
    index = next(i for i in Case.__table__.indexes if i.name == "ix_cases_open_queue")
    spelled = "status IN (" + ", ".join(f"'{status}'" for status in OPEN) + ")"
    assert all(str(index.dialect_options[d]["where"]) == spelled for d in ("postgresql", "sqlite"))


def test_the_same_problem_elsewhere_is_counted_per_facility_and_opens_that_queue(app, database, people):
    mine = case_number(26, 301)
    add_case(database, people["TST"], mine, "medical", ROUTINE)
    for n in (302, 303):
        add_case(database, people["OTH"], case_number(26, n), "medical", ROUTINE, hours_ago=24 * (n - 300))
    add_case(database, people["OTH"], case_number(26, 304), "medical", ROUTINE, hours_ago=24 * 31)  # too old
    add_case(database, people["OTH"], case_number(26, 305), "food", ROUTINE)  # another problem
    sam = signed_in(app, "sam")
    page = sam.get(f"/staff/case/{mine}").get_data(as_text=True)
    assert re.search(r">OTH</a>: 2\b", page)
    link = unescape(re.search(r'href="([^"]+)">OTH</a>', page).group(1))
    assert parse_qs(urlsplit(link).query) == {"facility": ["OTH"], "category": ["medical"]}
    queue = sam.get(link).get_data(as_text=True)
    assert case_number(26, 302) in queue and case_number(26, 303) in queue and mine not in queue
    assert case_number(26, 305) not in queue
    chris = signed_in(app, "chris")  # a case manager of TST learns the count, not the cases
    page = chris.get(f"/staff/case/{mine}").get_data(as_text=True)
    assert "OTH: 2" in page and 'href="/staff/?' not in page.split("other facilities in the last 30 days")[1][:300]
