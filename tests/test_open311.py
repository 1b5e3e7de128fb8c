"""The Open311 export: GeoReport v2 services and service requests of de-identified cases, of the
viewer's facilities only, every argument of the spec, pages of 1,000, garbage answered with the
spec's 400 error list, every export audited."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event

from kiosk.core.categories import CATEGORY_CODES
from kiosk.core.identifiers import case_number
from kiosk.core.models import Case, Translation, TranslationStatus, utcnow
from kiosk.core.triage import triage
from tests.helpers import ROUTINE, add_cases, audited, create_staff, signed_in, staff_id

NOW = utcnow().replace(microsecond=0)
KNOWN = case_number(2026, 301)     # TST, crowding, resolved, may be named: quoted
UNNAMED = case_number(2026, 302)   # TST, food, open, may not be named: never quoted
ENGLISH = case_number(2026, 303)   # TST, medical, written in English, may be named
OLD = case_number(2026, 304)       # TST, filed 100 days ago: outside the default 90 days
OTHER = case_number(2026, 401)     # OTH, crowding: never shown to a person of TST

HOSTILE_WORDS = ("MARIA lopez told us (A# 201-234-567, a201234567, A 201 234 567, A-201234567) call her sister "
                 "at +1 (512) 555-0110 or 512.555.0110 or maria.lopez@example.org; her PIN is 2468. "
                 "Lopez says the cells of unit B hold twice the beds they were built for.")


def _case(session, facility_id: int, number: str, category: str, filed: datetime, **fields) -> Case:
    decision = triage(category, ROUTINE)
    case = Case(number=number, facility_id=facility_id, language=fields.pop("language", "es"), category=category,
                answers=ROUTINE, description=fields.pop("description", "words"), is_emergency=False,
                priority=decision.priority, due_at=decision.due_at(filed), created_at=filed, updated_at=filed,
                completed_at=filed, **fields)
    session.add(case)
    session.flush()
    return case


def _english(session, case: Case, words: str, human: bool = False) -> None:
    session.add(Translation(case_id=case.id, source_language=case.language, target_language="en", source_text="x",
                            text=words, status=TranslationStatus.DONE, human=human))


@pytest.fixture
def world(app, database, people):
    with database.transaction() as session:
        known = _case(session, people["TST"], KNOWN, "living_conditions", NOW - timedelta(days=3),
                      detainee_name="María Lopez", may_name_to_facility=True, status="resolved")
        known.updated_at = NOW - timedelta(days=1)
        _english(session, known, "A machine's first try.")
        _english(session, known, HOSTILE_WORDS, human=True)  # a person's translation wins over the machine's
        unnamed = _case(session, people["TST"], UNNAMED, "food", NOW - timedelta(days=2),
                        detainee_name="Jean Baptiste", may_name_to_facility=False)
        _english(session, unnamed, "Jean Baptiste: the food is cold, call 512-555-0199.")
        _case(session, people["TST"], ENGLISH, "medical", NOW - timedelta(days=1), language="en",
              may_name_to_facility=True, description="No insulin since Monday; write to me at j@example.org today.")
        _case(session, people["TST"], OLD, "living_conditions", NOW - timedelta(days=100), may_name_to_facility=True)
        other = _case(session, people["OTH"], OTHER, "living_conditions", NOW - timedelta(days=2),
                      may_name_to_facility=True, status="referred")
        _english(session, other, "The cells at the other facility are crowded.")
    return people


def _get(client, query: str = "", status: int = 200):
    response = client.get(f"/staff/open311/requests.json{query}")
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json" and response.headers["Cache-Control"] == "no-store"
    return json.loads(response.get_data(as_text=True)), response


def _numbers(client, query: str = "") -> list[str]:
    return [request["service_request_id"] for request in _get(client, query)[0]]


def test_the_service_list_is_the_categories(app, world):
    services = json.loads(signed_in(app, "chris").get("/staff/open311/services.json").get_data(as_text=True))
    assert [service["service_code"] for service in services] == [
        "medical", "legal_access", "safety", "living_conditions", "food", "property", "communication",
        "staff_conduct", "religion", "disability", "other"]
    crowding = services[3]
    assert crowding == {"service_code": "living_conditions",
                        "service_name": "Living conditions (crowding, sanitation, temperature)",
                        "description": crowding["description"], "metadata": False, "type": "batch",
                        "keywords": crowding["keywords"], "group": "Conditions of detention"}
    assert "Crowding" in crowding["description"] and "crowding" in crowding["keywords"]


def test_a_known_case_has_the_spec_fields_and_values(app, world):
    found = {request["service_request_id"]: request for request in _get(signed_in(app, "chris"))[0]}
    due = NOW - timedelta(days=3) + timedelta(days=5)
    known = found[KNOWN]
    description = known.pop("description")
    assert known == {
        "service_request_id": KNOWN, "status": "closed", "status_notes": "Outcome: resolved.",
        "service_name": "Living conditions (crowding, sanitation, temperature)", "service_code": "living_conditions",
        "agency_responsible": "Test Detention Center (TST)", "service_notice": "Decided within 5 days, within 24 hours when urgent.",
        "requested_datetime": (NOW - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated_datetime": (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "expected_datetime": due.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }  # and nothing of where a person is: no address, zipcode, lat, long or media_url
    assert description.endswith("says the cells of unit B hold twice the beds they were built for.")
    assert found[UNNAMED]["status"] == "open" and found[UNNAMED]["status_notes"] == "Status: new."
    assert found[ENGLISH]["service_notice"] == "Medical: handled within 24 hours."
    assert list(found) == [KNOWN, UNNAMED, ENGLISH]  # oldest first; OLD is past the default 90 days


def test_descriptions_are_english_de_identified_and_only_with_consent(app, world):
    found = {request["service_request_id"]: request["description"] for request in _get(signed_in(app, "sam"))[0]}
    known = found[KNOWN]
    assert "A machine's first try" not in known  # a person's translation is the one quoted
    rest = known.replace("[name]", " ").replace("[number]", " ").replace("[e-mail]", " ")
    assert not re.search(r"\d", rest) and "@" not in rest, known
    assert not {"maria", "lopez", "maría"} & set(re.split(r"\W+", rest.lower())), known
    assert known.count("[name]") == 2 and known.count("[e-mail]") == 1
    assert found[UNNAMED] == ""  # the person did not say the facility may know who they are
    assert found[ENGLISH] == "No insulin since Monday; write to me at [e-mail] today."
    assert found[OTHER] == "The cells at the other facility are crowded."


def test_a_person_sees_only_the_facilities_they_work(app, world):
    chris = signed_in(app, "chris")  # TST
    assert OTHER not in _numbers(chris)
    assert _numbers(chris, f"?service_request_id={OTHER}") == []
    assert _numbers(chris, f"?service_request_id={OTHER},{KNOWN}") == [KNOWN]
    assert _numbers(signed_in(app, "dana"), f"?service_request_id={OTHER},{KNOWN}") == [OTHER]
    assert _numbers(signed_in(app, "sam")) == [KNOWN, UNNAMED, OTHER, ENGLISH]  # a supervisor: every facility
    create_staff(app, "ines", "interpreter", ["TST"])
    refused, _ = _get(signed_in(app, "ines"), status=403)  # an interpreter opens no export
    assert refused[0]["code"] == 403


def test_every_argument_of_the_spec(app, world):
    sam = signed_in(app, "sam")
    assert _numbers(sam, "?service_code=food,medical") == [UNNAMED, ENGLISH]
    assert _numbers(sam, "?service_code=food&service_code=medical") == [UNNAMED, ENGLISH]  # declared twice
    assert _numbers(sam, "?status=closed") == [KNOWN]
    assert _numbers(sam, "?status=open") == [UNNAMED, OTHER, ENGLISH]
    assert _numbers(sam, "?status=open,closed") == [KNOWN, UNNAMED, OTHER, ENGLISH]
    assert _numbers(sam, "?status=referred") == [OTHER]  # our own status, beside the spec's two
    assert _numbers(sam, "?status=open&service_code=living_conditions") == [OTHER]
    # Dates: W3C, in any zone; a bare end date takes in all of its day.
    day = lambda days: (NOW - timedelta(days=days)).date().isoformat()
    assert _numbers(sam, f"?start_date={day(101)}") == [OLD, KNOWN, UNNAMED, OTHER, ENGLISH]
    assert _numbers(sam, f"?start_date={day(101)}&end_date={day(3)}") == [OLD, KNOWN]
    assert _numbers(sam, f"?end_date={day(50)}") == [OLD]  # the 90 days before the end date
    moment = (NOW - timedelta(days=2, seconds=1)).astimezone(timezone(timedelta(hours=-5)))
    assert _numbers(sam, "?start_date=" + moment.isoformat().replace("+", "%2B")) == [UNNAMED, OTHER, ENGLISH]
    assert _numbers(sam, "?start_date=" + moment.strftime("%Y-%m-%dT%H:%M:%S-05:00")) == [UNNAMED, OTHER, ENGLISH]
    utc = (NOW - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _numbers(sam, f"?start_date={day(101)}&end_date={utc}") == [OLD, KNOWN, UNNAMED, OTHER]  # inclusive
    plus = (NOW - timedelta(days=2)).astimezone(timezone(timedelta(hours=2))).strftime("%Y-%m-%dT%H:%M:%S+02:00")
    assert _numbers(sam, f"?end_date={plus}") == [KNOWN, UNNAMED, OTHER]  # a "+" sent unencoded arrives as a space
    # service_request_id overrides every other argument, as the spec says; numbers written loosely count.
    loose = OLD.replace("-", "")
    assert _numbers(sam, f"?service_request_id={KNOWN},{loose}&status=open&service_code=food") == [OLD, KNOWN]


def test_pages_of_a_thousand_oldest_first(app, database, world):
    numbers = add_cases(database, world["TST"], "food", 1001, first_serial=5000)
    chris = signed_in(app, "chris")
    first, response = _get(chris, "?service_code=food")
    assert len(first) == 1000 and first[0]["service_request_id"] == numbers[0]
    assert response.headers["Link"] == "</staff/open311/requests.json?service_code=food&page=2>; rel=\"next\""
    assert _get(chris, "?page=1&service_code=food")[1].headers["Link"].endswith("?service_code=food&page=2>; rel=\"next\"")
    second, response = _get(chris, "?service_code=food&page=2")
    assert [r["service_request_id"] for r in second] == [numbers[1000], UNNAMED] and "Link" not in response.headers
    assert _get(chris, "?service_code=food&page=3")[0] == []
    assert {r["service_request_id"] for r in first + second} == set(numbers) | {UNNAMED}


GARBAGE = [
    ("service_request_id", KNOWN[:-1] + str((int(KNOWN[-1]) + 1) % 10), "is not a case number"),  # check digit
    ("service_request_id", "x" * 5000, "is not a case number"),
    ("service_request_id", ",".join([KNOWN] * 1001), "more than 1000"),
    ("service_code", "potholes", "is not a service_code"),
    ("service_code", "medical,%00", "NUL"),
    ("status", "pending", "is not open or closed"),
    ("status", "open,%ff", "is not open or closed"),
    ("start_date", "yesterday", "is not a W3C date"),
    ("start_date", "2026-13-01", "is not a date and time that exists"),
    ("start_date", "2026-11-05T08:15:30", "is not a W3C date"),  # a time without its zone
    ("start_date", "0001-01-01T00:00:00%2B01:00", "is not a date and time that exists"),
    ("end_date", "9999-12-31T23:00:00-05:00", "is not a date and time that exists"),
    ("end_date", "2026-11-05T25:00:00Z", "is not a date and time that exists"),
    ("end_date", "%ed%a0%80", "is not a W3C date"),
    ("start_date", "٢٠٢٦-١١-٠٥", "is not a W3C date"),
    ("page", "0", "is not a whole number"),
    ("page", "-1", "is not a whole number"),
    ("page", "2147483648", "is not a whole number"),
    ("page", "9" * 5000, "is not a whole number"),
    ("page", "1&page=2", "more than once"),
]


@pytest.mark.parametrize(("name", "value", "said"), GARBAGE)
def test_a_bad_argument_is_a_400_in_the_spec_error_format(app, database, world, name, value, said):
    errors, _ = _get(signed_in(app, "chris"), f"?{name}={value}", status=400)
    assert len(errors) == 1 and errors[0]["code"] == 400 and said in errors[0]["description"], errors
    assert not audited(database, "open311.exported")


def test_dates_in_the_wrong_order_are_refused(app, world):
    errors, _ = _get(signed_in(app, "chris"), "?start_date=2026-11-05&end_date=2026-11-01", status=400)
    assert errors == [{"code": 400, "description": "start_date is after end_date."}]


def test_every_export_is_audited_with_its_filters_and_count(app, database, world):
    chris = signed_in(app, "chris")
    _get(chris, "?service_code=living_conditions,food&status=open,closed&start_date=2026-01-01")
    _get(chris, f"?service_request_id={OTHER},{KNOWN}")
    entries = audited(database, "open311.exported")
    assert [entry.actor for entry in entries] == [f"staff:{staff_id(database, 'chris')}"] * 2
    first, second = (entry.detail for entry in entries)
    assert first["service_code"] == ["living_conditions", "food"] and first["status"] == ["open", "closed"]
    assert first["start_date"] == "2026-01-01T00:00:00Z" and first["count"] == 3 and first["page"] == 1
    assert second == {"service_request_id": [OTHER, KNOWN], "page": 1, "count": 1}


def test_the_patterns_page_links_the_export(app, world):
    page = signed_in(app, "chris").get("/staff/patterns?category=food").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)">Open311 export</a>', page).group(1).replace("&amp;", "&")
    assert link.startswith("/staff/open311/requests.json?") and "service_code=food" in link
    assert _numbers(signed_in(app, "chris"), link.split("requests.json")[1]) == [UNNAMED]


def test_the_records_are_read_in_one_query_per_page(app, database, world):
    """No lazy load per case: the statements a page runs do not grow with the cases on it."""
    engine = database.engine
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if "FROM cases" in statement:
            seen.append(statement)

    chris = signed_in(app, "chris")
    event.listen(engine, "before_cursor_execute", count)
    try:
        _get(chris)
        few = len(seen)
        add_cases(database, world["TST"], "property", 50, first_serial=7000)
        seen.clear()
        _get(chris)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == few == 1, seen


def test_every_category_is_a_service(app, world):
    services = json.loads(signed_in(app, "chris").get("/staff/open311/services.json").get_data(as_text=True))
    assert {service["service_code"] for service in services} == CATEGORY_CODES


def test_an_unknown_address_under_the_export_answers_in_json(app, world):
    response = signed_in(app, "chris").get("/staff/open311/requests.xml")  # JSON is the one format served
    assert response.status_code == 404 and json.loads(response.get_data(as_text=True))[0]["code"] == 404
