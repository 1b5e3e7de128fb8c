"""Administrators choose who is texted about an emergency nobody acknowledged: each facility's on-call
phones, and a supervisor's own phone on the accounts page. Audited; bad input says why, writes nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.core import cases
from kiosk.core.models import EmergencyAlert, OnCallNumber, SmsOutbound, StaffUser
from tests.helpers import FAMILY, audited, count, run_worker, signed_in, staff_id


def on_call(database) -> list[tuple[int, str, str]]:
    with database.sessions() as session:
        return [tuple(row) for row in session.execute(
            select(OnCallNumber.facility_id, OnCallNumber.phone, OnCallNumber.name).order_by(OnCallNumber.id))]


def phone_of(database, username: str) -> str | None:
    with database.sessions() as session:
        return session.scalar(select(StaffUser.phone).where(StaffUser.username == username))


# --- on-call phones ---------------------------------------------------------------

def test_an_administrator_adds_and_removes_on_call_phones(database, people, ada):
    tst = people["TST"]
    page = f"/staff/admin/facilities/{tst}"
    ada.get(page)
    assert "No on-call phone yet" in ada.text and "15 minutes" in ada.text and "30 minutes" in ada.text
    ada.post(f"{page}/on-call", {"name": "Duty officer", "phone": "512 555 0101"}, follow_redirects=True)
    assert "(512) 555-0101 (Duty officer) is on call for TST." in ada.text
    ada.post(f"{page}/on-call", {"name": "Nurse Diaz", "phone": "+52 55 1234 5678"}, follow_redirects=True)
    assert on_call(database) == [(tst, "+15125550101", "Duty officer"), (tst, "+525512345678", "Nurse Diaz")]
    assert "+52 55 1234 5678" in ada.text and "No on-call phone yet" not in ada.text

    ada.post(f"{page}/on-call", {"name": "Again", "phone": "(512) 555-0101"}, follow_redirects=True)
    assert "That phone is already on call for this facility." in ada.text
    assert len(on_call(database)) == 2

    with database.sessions() as session:
        first = session.scalars(select(OnCallNumber.id).order_by(OnCallNumber.id)).first()
    assert ada.post(f"/staff/admin/facilities/{people['OTH']}/on-call/{first}/remove").status_code == 404
    ada.get(page)
    ada.post(f"{page}/on-call/{first}/remove", follow_redirects=True)
    assert "(512) 555-0101 (Duty officer) is no longer on call for TST." in ada.text
    assert on_call(database) == [(tst, "+525512345678", "Nurse Diaz")]

    ada_id = f"staff:{staff_id(database, 'ada')}"
    added, removed = audited(database, "on_call.added"), audited(database, "on_call.removed")
    assert [(e.actor, e.facility_id, e.remote_addr, e.detail["phone"]) for e in added] == [
        (ada_id, tst, "127.0.0.1", "+15125550101"), (ada_id, tst, "127.0.0.1", "+525512345678")]
    assert [(e.actor, e.detail["phone"], e.detail["name"]) for e in removed] == [
        (ada_id, "+15125550101", "Duty officer")]


@pytest.mark.parametrize("form, message", [
    ({"name": "Duty", "phone": ""}, "Type the phone number with its country code"),
    ({"name": "Duty", "phone": "911"}, "Type the phone number with its country code"),
    ({"name": "Duty", "phone": "+999 123 456 789"}, "Type the phone number with its country code"),
    ({"name": "Duty", "phone": "call the duty desk"}, "Type the phone number with its country code"),
    ({"name": "Duty", "phone": "5" * 100_000}, "Type the phone number with its country code"),
    ({"name": "", "phone": "512 555 0101"}, "Write the name."),
    ({"name": "D" * 100_000, "phone": "512 555 0101"}, "The name has at most 100 characters."),
    ({}, "Type the phone number with its country code"),
])
def test_a_bad_on_call_phone_says_why_and_writes_nothing(database, people, ada, form, message):
    page = f"/staff/admin/facilities/{people['TST']}"
    ada.get(page)
    response = ada.post(f"{page}/on-call", form, follow_redirects=True)
    assert response.status_code == 200 and message in ada.text
    assert on_call(database) == [] and audited(database, "on_call.added") == []


@pytest.mark.parametrize("form", [{"name": "Duty\x00", "phone": "512 555 0101"},
                                  {"name": "Duty", "phone": "512\x00555 0101"}])
def test_a_nul_in_an_on_call_form_is_refused_whole(database, people, ada, form):
    page = f"/staff/admin/facilities/{people['TST']}"
    ada.get(page)
    assert ada.post(f"{page}/on-call", form).status_code == 400
    assert "Nothing was saved" in ada.text and on_call(database) == []


def test_only_administrators_change_on_call_phones(app, database, people, ada):
    page = f"/staff/admin/facilities/{people['TST']}"
    ada.get(page)
    ada.post(f"{page}/on-call", {"name": "Duty officer", "phone": "512 555 0101"})
    number = on_call(database)
    sam = signed_in(app, "sam")
    sam.get("/staff/")
    with database.sessions() as session:
        number_id = session.scalar(select(OnCallNumber.id))
    assert sam.post(f"{page}/on-call", {"name": "Mine", "phone": "512 555 0199"}).status_code == 403
    assert sam.post(f"{page}/on-call/{number_id}/remove").status_code == 403
    assert sam.post(f"/staff/admin/accounts/{staff_id(database, 'sam')}/phone",
                    {"phone": "512 555 0199"}).status_code == 403
    assert on_call(database) == number and phone_of(database, "sam") is None


# --- a staff member's phone -------------------------------------------------------

def test_an_administrator_sets_and_removes_a_supervisors_phone(database, people, ada):
    sam = staff_id(database, "sam")
    ada.get("/staff/admin/accounts")
    ada.post(f"/staff/admin/accounts/{sam}/phone", {"phone": "512-555-0104"}, follow_redirects=True)
    assert "Phone saved for sam." in ada.text and 'value="(512) 555-0104"' in ada.text
    assert phone_of(database, "sam") == "+15125550104"
    ada.post(f"/staff/admin/accounts/{sam}/phone", {"phone": "  "}, follow_redirects=True)
    assert "Phone removed for sam." in ada.text and phone_of(database, "sam") is None
    entries = audited(database, "staff.phone_changed")
    assert [(e.actor, e.remote_addr, e.detail) for e in entries] == [
        (f"staff:{staff_id(database, 'ada')}", "127.0.0.1", {"staff_id": sam, "before": None, "phone": "+15125550104"}),
        (f"staff:{staff_id(database, 'ada')}", "127.0.0.1", {"staff_id": sam, "before": "+15125550104", "phone": None}),
    ]


@pytest.mark.parametrize("phone", ["911", "+999 123 456 789", "not a phone", "5" * 100_000, "+1 512 555 01"])
def test_a_bad_staff_phone_says_why_and_changes_nothing(database, people, ada, phone):
    sam = staff_id(database, "sam")
    ada.get("/staff/admin/accounts")
    ada.post(f"/staff/admin/accounts/{sam}/phone", {"phone": "512-555-0104"})
    ada.get("/staff/admin/accounts")
    response = ada.post(f"/staff/admin/accounts/{sam}/phone", {"phone": phone}, follow_redirects=True)
    assert response.status_code == 200 and "Type the phone number with its country code" in ada.text
    assert phone_of(database, "sam") == "+15125550104" and len(audited(database, "staff.phone_changed")) == 1


def test_a_nul_in_a_staff_phone_is_refused_whole(database, people, ada):
    ada.get("/staff/admin/accounts")
    assert ada.post(f"/staff/admin/accounts/{staff_id(database, 'sam')}/phone",
                    {"phone": "512\x00555 0104"}).status_code == 400
    assert phone_of(database, "sam") is None and audited(database, "staff.phone_changed") == []
    assert ada.post("/staff/admin/accounts/999999/phone", {"phone": "512 555 0104"}).status_code == 404


def test_the_phones_set_here_are_the_ones_an_escalation_texts(app, database, people, ada):
    tst = people["TST"]
    ada.get(f"/staff/admin/facilities/{tst}")
    ada.post(f"/staff/admin/facilities/{tst}/on-call", {"name": "Duty officer", "phone": "512 555 0101"})
    ada.get("/staff/admin/accounts")
    ada.post(f"/staff/admin/accounts/{staff_id(database, 'sam')}/phone", {"phone": "512 555 0104"})
    with database.transaction() as session:
        cases.file_emergency_for_detainee(session, phone=FAMILY, facility_id=tst, language="es", category="medical",
                                          detainee_name="Maria Lopez")
        raised = session.scalar(select(EmergencyAlert.raised_at))
    run_worker(app, at=raised + timedelta(minutes=30))
    with database.sessions() as session:
        assert session.scalars(select(SmsOutbound.phone).order_by(SmsOutbound.id)).all() == [
            "+15125550101", "+15125550104"]
    assert count(database, OnCallNumber) == 1
