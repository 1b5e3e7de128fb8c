"""An emergency on the kiosk is stored the moment the answers say so, and never twice.

Whatever the person does next (Finish, walk away, go back, tap twice, finish the
report), there is exactly one emergency case, with its alert.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from kiosk.core.models import AuditEntry, Case, EmergencyAlert, EventKind, WebSession, utcnow
from tests.helpers import (
    BrowserClient, answer_protection, choose_pin, count, draft_of, exported_json, signed_in, start_filing, track,
    translated,
)


def _one_case(database) -> Case:
    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
        case.events, case.detainee, case.housing_unit  # loaded before the session closes
        return case


def reach_the_emergency(kiosk, language="en", category="safety", answers=None, a_number=None):
    start_filing(kiosk, language, a_number=a_number, category=category)
    answers = answers or {"safety_kind": "detainee_violence", "urgent": "yes"}
    page = None
    for key, value in answers.items():
        page = kiosk.post(f"/kiosk/file/question/{key}", {"choice": value}, follow_redirects=True)
    return page


def test_the_answer_that_says_danger_stores_the_case_at_once(kiosk, database):
    page = reach_the_emergency(kiosk, a_number="201234567")
    assert page.request.path == "/kiosk/file/emergency"
    case = _one_case(database)
    assert case.is_emergency and case.emergency_kind == "danger_from_detainee" and case.priority == 0
    assert case.completed_at is None and case.pin_hash is None and case.description == ""
    assert case.answers == {"safety_kind": "detainee_violence", "urgent": "yes"}
    assert case.detainee.a_number == "201234567"
    assert case.housing_unit.name == "A-1" and case.kiosk_id is not None
    # The screen says it was sent, and gives the receipt number.
    assert "Your report was sent." in page.text and case.number in page.text
    assert "Stay close to staff." in page.text
    assert [e.kind for e in case.events] == [EventKind.FILED]
    with database.sessions() as session:
        assert session.scalar(select(EmergencyAlert.case_id).where(EmergencyAlert.acknowledged_at.is_(None))) == case.id
        assert session.scalar(select(AuditEntry.case_id).where(AuditEntry.action == "case.filed")) == case.id


def test_finish_on_the_emergency_screen_leaves_the_emergency_standing(kiosk, database):
    reach_the_emergency(kiosk)
    kiosk.get("/kiosk/finish")
    assert count(database, WebSession) == 0  # the draft is gone with the session
    case = _one_case(database)
    assert case.is_emergency and case.completed_at is None and case.detainee is None  # anonymous
    assert count(database, EmergencyAlert) == 1


def test_walking_away_leaves_the_emergency_standing(kiosk, database):
    reach_the_emergency(kiosk)
    with database.transaction() as session:
        session.execute(update(WebSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    page = kiosk.get("/kiosk/file/words", follow_redirects=True)
    assert page.request.path == "/kiosk/"  # the next person starts afresh
    assert count(database, Case) == 1 and _one_case(database).completed_at is None


def test_going_back_and_answering_again_finds_the_same_case(kiosk, database):
    reach_the_emergency(kiosk)
    kiosk.get("/kiosk/file/question/urgent")
    again = kiosk.post("/kiosk/file/question/urgent", {"choice": "yes"}, follow_redirects=True)
    assert again.request.path == "/kiosk/file/emergency"
    kiosk.post("/kiosk/file/question/safety_kind", {"choice": "sexual_abuse"})  # a different answer, still one
    assert count(database, Case) == 1 and count(database, EmergencyAlert) == 1


def test_a_double_tap_on_yes_stores_one_case(app, kiosk, database):
    start_filing(kiosk, "es", category="medical")
    twin = BrowserClient(app.test_client())
    for name in ("kiosk_device", "kiosk_session"):
        twin.client.set_cookie(name, kiosk.client.get_cookie(name, path="/kiosk").value, path="/kiosk")
    twin.csrf_token = kiosk.csrf_token
    taps = [threading.Thread(target=c.post, args=("/kiosk/file/question/urgent", {"choice": "yes"}))
            for c in (kiosk, twin)]
    for tap in taps:
        tap.start()
    for tap in taps:
        tap.join(timeout=30)
    assert count(database, Case) == 1 and count(database, EmergencyAlert) == 1
    assert _one_case(database).emergency_kind == "medical"


def test_finishing_the_report_completes_the_same_case(kiosk, database):
    reach_the_emergency(kiosk, language="es", category="medical", answers={"urgent": "yes"})
    for key, value in {"since": "today", "raised_with_facility": "told_staff"}.items():
        kiosk.post(f"/kiosk/file/question/{key}", {"choice": value})
    choose_pin(kiosk, "2468")
    kiosk.post("/kiosk/file/words", {"description": "No me dan la insulina desde hace tres días."})
    answer_protection(kiosk)
    token = kiosk.submission_token()
    receipt = kiosk.post("/kiosk/file/review", {"submission": token}, follow_redirects=True)
    assert receipt.request.path == "/kiosk/receipt"
    again = kiosk.post("/kiosk/file/review", {"submission": token}, follow_redirects=True)  # a second tap
    assert again.request.path == "/kiosk/receipt"
    case = _one_case(database)
    assert count(database, Case) == 1 and count(database, EmergencyAlert) == 1
    assert case.completed_at is not None and case.pin_hash.startswith("$argon2id$")
    assert case.description == "No me dan la insulina desde hace tres días."
    assert case.answers == {"urgent": "yes", "since": "today", "raised_with_facility": "told_staff"}
    assert [e.kind for e in case.events] == [EventKind.FILED, EventKind.COMPLETED]
    assert case.number in receipt.text
    opened = track(kiosk, case.number, "2468")
    assert opened.request.path.startswith("/kiosk/case/")


def test_a_case_stored_before_its_pin_cannot_be_opened_at_a_kiosk(kiosk, database):
    reach_the_emergency(kiosk)
    number = _one_case(database).number
    page = track(kiosk, number, "0000")
    assert not page.request.path.startswith("/kiosk/case/")


def test_an_emergency_never_becomes_routine_by_going_back(kiosk, database):
    reach_the_emergency(kiosk, category="medical", answers={"urgent": "yes"})
    kiosk.post("/kiosk/file/question/urgent", {"choice": "no"})
    for key, value in {"since": "today", "raised_with_facility": "not_yet"}.items():
        kiosk.post(f"/kiosk/file/question/{key}", {"choice": value})
    choose_pin(kiosk)
    kiosk.post("/kiosk/file/words", {"description": ""})
    answer_protection(kiosk)
    kiosk.post("/kiosk/file/review", {"submission": kiosk.submission_token()})
    case = _one_case(database)
    assert case.is_emergency and case.emergency_kind == "medical" and case.completed_at is not None


@pytest.mark.parametrize("language", ["es", "ht", "ar"])
def test_sexual_abuse_offers_the_lines_outside_the_facility_first(kiosk, language):
    page = reach_the_emergency(kiosk, language, answers={"safety_kind": "sexual_abuse"})
    outside = page.text.index("+1 202-555-0186")
    assert outside < page.text.index(translated(language, "Or tell a staff member you trust."))
    # The facility's own line is not offered for sexual abuse (by the hotline's configuration).
    assert "+1 512-555-0110" not in page.text
    assert translated(language, "Your report was sent. It is marked as an emergency. "
                                "A case manager will see it today.") in page.text


def test_danger_from_staff_starts_outside_the_facility_and_medical_asks_for_a_doctor(kiosk, database):
    page = reach_the_emergency(kiosk, answers={"safety_kind": "staff_violence", "urgent": "yes"})
    assert page.text.index("+1 202-555-0186") < page.text.index("+1 512-555-0110")
    assert "You can report this by phone to people outside this facility." in page.text
    kiosk.get("/kiosk/finish")
    page = reach_the_emergency(kiosk, category="medical", answers={"urgent": "yes"})
    assert "Say you need a doctor now." in page.text and "+1 202-555-0186" not in page.text
    assert count(database, Case) == 2


def test_the_exported_record_says_the_report_was_never_finished(app, kiosk, database, people):
    reach_the_emergency(kiosk)
    kiosk.get("/kiosk/finish")
    record = exported_json(signed_in(app, "chris"), _one_case(database).number)
    assert record["case"]["emergency"] is True and record["case"]["emergency_kind"] == "danger_from_detainee"
    assert record["case"]["completed"] is False
    assert record["timeline"][0]["text"].startswith("Stored the moment the answers said emergency")
