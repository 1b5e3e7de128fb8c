"""Garbage in any field, parameter or address of the kiosk and the console: never a 5xx.

NUL bytes, numbers no column can hold, invalid UTF-8, line breaks where a redirect is
built: each has a defined answer, the same on SQLite and PostgreSQL.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kiosk.app import create_app
from kiosk.config import Config
from kiosk.core import casework
from kiosk.core.identifiers import case_number
from kiosk.core.models import (
    AuditEntry, Case, FacilityPopulation, RateAlert, Referral, SavedFilter, SimilarGroup, SimilarGroupCase,
    SystemicIssue, SystemicIssueCase, utcnow,
)
from kiosk.core.triage import triage
from tests.helpers import PASSWORD, BrowserClient, create_staff, signed_in

NUMBER = case_number(26, 777)

# Every name a form or a query of the kiosk or the console reads, with a value it would accept: each
# request sends every one, either so or hostile, so that a hostile value also meets the code behind
# the checks of the other fields.
PLAUSIBLE = {
    "a_number": "201234567", "pin": "2468", "choice": "food", "description": "Hola.", "words": "Hola.",
    "submission": "", "phone": "+15125550123", "identifier": NUMBER, "username": "chris", "password": PASSWORD,
    "status": "in_review", "reason": "Same clinic.", "referred_to": "Detention Oversight", "note": "Called.",
    "whom": "Nurse Diaz", "how": "phone", "said": "ok", "reply": "We called the clinic.", "text": "Pain.",
    "staff_id": "2", "due_at": "2027-01-05 17:00", "other": NUMBER, "link": "1", "display_name": "Dee",
    "role": "case_manager", "facility": "1", "code": "NEW", "name": "Unit 9", "timezone": "America/Chicago",
    "unit": "1", "label": "Kiosk", "kind": "emergency", "number": "+1 512-555-0110", "free_call_code": "7",
    "category": "medical", "language": "es", "overdue": "1", "interpreter": "1", "mine": "1", "page": "2",
    "actor": "staff:1", "action": "case.viewed", "case": NUMBER, "next": "/staff/", "after": "urgent",
    "summary": "Cold food since Monday.",
    "from": "2026-01-01", "to": "2026-02-01", "office": "NOL", "field_office": "NOL", "operator_type": "igsa",
    "as_of": "2026-01-01", "population": "640",
    "query": "category=medical&overdue=1",  # a saved filter's (its name is "name")
    "title": "Telephones broken", "recipient": "detention_oversight", "due": "2027-01-05", "zone": "America/Chicago",
    "state": "acknowledged", "seen": "sent", "outcome": "Inspected; phones repaired.",
    # The Open311 export's (its "status" and "page" are above: "in_review" is one of our statuses)
    "service_request_id": NUMBER, "service_code": "medical", "start_date": "2026-01-01T00:00:00Z",
    "end_date": "2026-12-31T23:59:59-06:00",
}

# Views that end the session or the kiosk the rest of the run needs (each has tests of its own).
SKIPPED = {"kiosk.finish", "kiosk.timeout", "staff.sign_out", "kiosk.static", "staff.static", "kiosk.enroll",
           "staff.revoke_kiosk", "staff.enroll_kiosk_again"}

KNOWN_TROUBLE = st.sampled_from([b"\x00", b"a\x00b", b"2147483648", b"-1", b"9" * 5000, b"\r\nLocation: //evil.example",
                                 b"/staff/\r\nX", b"//evil.example", b"\xff\xfe", b"\xed\xa0\x80", b"%00"])
HOSTILE = st.one_of(
    st.sampled_from([b"\x00", b"a\x00b"]), KNOWN_TROUBLE,
    st.text(max_size=40).map(lambda text: text.encode("utf-8", "surrogatepass")),  # NUL, controls, lone surrogates
    st.binary(max_size=24),  # not UTF-8 at all
    st.integers(min_value=-10**40, max_value=10**40).map(lambda n: str(n).encode()),
)
PATH_VALUE = st.one_of(st.sampled_from([NUMBER.encode(), b"1", b"2", b"es", b"en", b"may_name", b"fears_retaliation",
                                        b"months", b"timeliness"]),  # two charts of the Reports page
                       HOSTILE)


@pytest.fixture
def world(app, database, kiosk, place):
    """A filed case the kiosk has open, and an administrator signed in to the console."""
    decision = triage("medical", {})
    with database.transaction() as session:
        session.add(Case(number=NUMBER, facility_id=place["facility_id"], language="es", category="medical",
                         answers={}, description="Me duele.", is_emergency=False, priority=decision.priority,
                         due_at=decision.due_at(utcnow()), pin_hash=app.extensions["secret_hasher"].hash("2468")))
    create_staff(app, "ada", "administrator")
    create_staff(app, "chris", "case_manager", ["TST"])
    with database.transaction() as session:  # an alert, a group of similar complaints, a population figure
        case_id, now, group = session.scalar(select(Case.id)), utcnow(), SimilarGroup()
        session.add_all([RateAlert(facility_id=place["facility_id"], category="medical", first_week=now.date(),
                                   last_week=now.date(), window_start=now, window_end=now, recent=5, expected=0.5,
                                   baseline=3, p_value=1e-5),
                         FacilityPopulation(facility_id=place["facility_id"], as_of=now.date(), population=10,
                                            entered_by="test"), group])
        issue = SystemicIssue(title="Pain untreated", created_by="test")  # an issue, referred
        session.add(issue)
        session.flush()
        session.add_all([SimilarGroupCase(group_id=group.id, case_id=case_id, similarity=0.9),
                         SystemicIssueCase(issue_id=issue.id, case_id=case_id, added_by="test"),
                         Referral(issue_id=issue.id, recipient="NOL", due_at=now, due_zone="UTC", sent_by="test")])
    kiosk.choose_language("es")
    kiosk.get("/kiosk/track")
    kiosk.post("/kiosk/track", {"identifier": NUMBER})
    kiosk.get("/kiosk/track/pin")
    kiosk.post("/kiosk/track/pin", {"pin": "2468"})
    admin = signed_in(app, "ada")
    admin.get("/staff/")
    kiosk.get(f"/kiosk/case/{NUMBER}")
    return {"/kiosk": kiosk, "/staff": admin}


def _endpoints() -> list[str]:
    """Every view of the kiosk and the console (an app is built only to read its routes)."""
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(Config(secret_key="x" * 40, database_url="sqlite://", instance_path=Path(folder)))
        return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                       if rule.endpoint.split(".")[0] in ("kiosk", "staff") and rule.endpoint not in SKIPPED})


def _request(world, rule, method: str, path_values: list[bytes], fields: dict[str, bytes]):
    path = rule.rule
    for argument, value in zip(sorted(rule.arguments), path_values):
        start = path.index("<")
        path = path[:start] + quote(value, safe="") + path[path.index(">", start) + 1:]
    path = path.replace("<any(activate, deactivate):change>", "deactivate")
    client = world["/staff" if rule.rule.startswith("/staff") else "/kiosk"]
    if method == "POST":
        body = urlencode({**fields, "csrf_token": client.csrf_token or ""})
        return client.client.post(path, data=body, content_type="application/x-www-form-urlencoded")
    return client.client.get(f"{path}?{urlencode(fields)}")


@pytest.mark.parametrize("endpoint", _endpoints())
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(data=st.data())
def test_no_form_field_query_or_address_gives_a_5xx(app, world, endpoint, data):
    rule = data.draw(st.sampled_from([r for r in app.url_map.iter_rules() if r.endpoint == endpoint]), label="rule")
    method = data.draw(st.sampled_from(sorted(rule.methods & {"GET", "POST"})), label="method")
    path_values = [data.draw(PATH_VALUE, label=f"path {name}") for name in sorted(rule.arguments)]
    fields = data.draw(st.fixed_dictionaries({name: st.one_of(st.just(value.encode()), HOSTILE)
                                              for name, value in PLAUSIBLE.items()}), label="fields")
    response = _request(world, rule, method, path_values, fields)
    assert response.status_code < 500, (rule.rule, method, path_values, fields)


# The examples the fuzzing found, kept as plain regression tests.

def test_ids_too_large_for_their_column_are_not_found(app, world, database):
    admin = world["/staff"]
    admin.get(f"/staff/case/{NUMBER}")
    too_large = 2**31
    assert admin.post(f"/staff/case/{NUMBER}/translation/{too_large}/correct", {"text": "x"}).status_code == 404
    admin.get(f"/staff/case/{NUMBER}")
    admin.post(f"/staff/case/{NUMBER}/links/remove", {"link": str(too_large)}, follow_redirects=True)
    assert "That link does not exist (any more)." in admin.text
    admin.post(f"/staff/case/{NUMBER}/assign", {"staff_id": "9" * 30}, follow_redirects=True)
    assert "choose a case manager" in admin.text.lower()
    assert admin.get(f"/staff/admin/facilities/{too_large}").status_code == 404
    assert admin.get(f"/staff/admin/facilities/{'9' * 5000}").status_code == 404  # past Python's int() limit
    assert world["/kiosk"].post(f"/kiosk/case/{NUMBER}/contacts/{'9' * 5000}/remove").status_code == 404


@pytest.mark.parametrize("next_page", ["/staff/%0d%0aX", "/staff/\\\\evil.example", "//evil.example/staff/",
                                       "https://evil.example/staff/", "/staff/%09"])
def test_a_next_address_that_is_not_a_plain_console_page_leads_to_the_queue(app, world, next_page):
    client = BrowserClient(app.test_client())
    client.get(f"/staff/sign-in?next={next_page}")
    response = client.post(f"/staff/sign-in?next={next_page}", {"username": "chris", "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/"


def test_refusals_are_audited(app, world, database):
    chris = signed_in(app, "chris")
    assert chris.get("/staff/audit").status_code == 403
    chris.get("/staff/export.csv?facility=NOPE", follow_redirects=True)
    assert "Nothing was exported." in chris.text
    with database.sessions() as session:
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"audit.view_refused", "queue.export_refused"} <= actions


NAMES = st.one_of(st.sampled_from([b"Medical, overdue", b"\xe2\x80\xae evil", b"x" * 61, b" ", b"\xef\xbf\xbd"]),
                  HOSTILE, st.text(max_size=70).map(lambda text: text.encode("utf-8", "surrogatepass")))
QUERIES = st.one_of(st.sampled_from([b"category=medical&overdue=1", b"facility=TST", b"facility=NOPE", b"page=2",
                                     b"overdue=1&overdue=1", b"category=%ff", b"facility=%00", b"&" * 3000]),
                    HOSTILE, st.text(max_size=60).map(lambda text: text.encode("utf-8", "surrogatepass")))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(name=NAMES, query=QUERIES)
def test_a_saved_filter_is_kept_clean_or_refused_whole(world, database, name, query):
    """Whatever its name and query, a saved filter is kept as a printable one-line name and a query
    the queue writes itself, or not at all; never a 5xx."""
    admin = world["/staff"]
    body = urlencode({"name": name, "query": query, "csrf_token": admin.csrf_token or ""})
    response = admin.client.post("/staff/filters", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (302, 400), (name, query)
    with database.sessions() as session:
        kept = session.execute(select(SavedFilter.name, SavedFilter.query)).all()
    for kept_name, kept_query in kept:
        assert kept_name == " ".join(kept_name.split()) and kept_name.isprintable() and 0 < len(kept_name) <= 60
        assert kept_query and kept_query == urlencode(casework.filters_from(dict(parse_qsl(kept_query))).as_query())


OPEN311 = ("service_request_id", "service_code", "start_date", "end_date", "status", "page")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(fields=st.fixed_dictionaries({name: st.one_of(st.just(PLAUSIBLE[name].encode()), HOSTILE) for name in OPEN311}))
def test_the_open311_export_answers_garbage_with_the_spec_error_list(world, fields):
    """Only the export's own arguments, so that a plausible set reaches the query: a page of requests,
    or one error in the spec's format saying which argument is wrong; never a console page or a 5xx."""
    response = world["/staff"].client.get(f"/staff/open311/requests.json?{urlencode(fields)}")
    body = json.loads(response.get_data(as_text=True))
    assert response.status_code in (200, 400), fields
    if response.status_code == 400:
        assert len(body) == 1 and body[0]["code"] == 400 and body[0]["description"], body
    else:
        assert isinstance(body, list) and all(request["service_code"] == "medical" for request in body), fields
