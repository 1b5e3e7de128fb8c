"""An emergency nobody acknowledges: the worker texts the facility's on-call phones after 15 minutes,
then the supervisors after as long again; once per phone, never the complaint's words.

The worker's clock is set forward (tests.helpers.run_worker's ``at``): no test waits."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.app import create_app
from kiosk.core import cases, emergencies, jobs
from kiosk.core.models import (
    AlertText, AuditEntry, CaseEvent, EmergencyAlert, Facility, Job, SmsOutbound, StaffUser,
)
from tests.helpers import FAMILY, PUBLIC, TWILIO_TOKEN, Phone, create_staff, run_worker

ON_CALL = ["+15125550101", "+15125550102"]
OTHER_FACILITYS_ON_CALL = "+12125550103"
SUPERVISOR = "+15125550104"
NOT_TEXTED = {"+15125550105": ("retired", "supervisor"), "+15125550106": ("chris", "case_manager")}
SECRET = "Los guardias le pegan. Palabras secretas."
MINUTES = timedelta(minutes=1)


@pytest.fixture
def phones(app, database, people):
    """Two on-call phones at the test facility, one at the other; phones for a supervisor (texted), a
    deactivated supervisor and a case manager (neither texted)."""
    create_staff(app, "retired", "supervisor")
    with database.transaction() as session:
        test_facility, other = session.get(Facility, people["TST"]), session.get(Facility, people["OTH"])
        for phone in ON_CALL:
            emergencies.add_on_call(session, test_facility, phone=phone, name=f"Duty {phone[-1]}", actor="test")
        emergencies.add_on_call(session, other, phone=OTHER_FACILITYS_ON_CALL, name="Their duty", actor="test")
        staff = {user.username: user for user in session.scalars(select(StaffUser))}
        staff["sam"].phone = SUPERVISOR
        for phone, (username, _role) in NOT_TEXTED.items():
            staff[username].phone = phone
        staff["retired"].active = False
    return people


def file_emergency(database, facility_id) -> EmergencyAlert:
    """A family member's report of danger now, finished with words no escalation text may carry."""
    with database.transaction() as session:
        case = cases.file_emergency_for_detainee(session, phone=FAMILY, facility_id=facility_id, language="es",
                                                 category="safety", detainee_name="Maria Lopez")
        cases.complete_for_detainee(session, case, relationship="family", description=SECRET)
        alert = session.scalars(select(EmergencyAlert)).one()
        session.expunge(alert)
    return alert


def texts_to(twilio) -> list[str]:
    return [message["To"] for message in twilio.messages]


def escalations(database) -> list[tuple[str, str]]:
    """The timeline's escalation events and the audit's entries, as (actor, body or action)."""
    with database.sessions() as session:
        events = session.execute(select(CaseEvent.actor, CaseEvent.body)
                                 .where(CaseEvent.kind == "alert_escalated").order_by(CaseEvent.id)).all()
        entries = session.execute(select(AuditEntry.actor, AuditEntry.detail)
                                  .where(AuditEntry.action == "case.alert_escalated").order_by(AuditEntry.id)).all()
    return [tuple(row) for row in events], [tuple(row) for row in entries]


def test_on_call_phones_after_15_minutes_then_supervisors_after_30(sms_app, twilio, database, phones):
    alert = file_emergency(database, phones["TST"])
    raised = alert.raised_at
    for minutes in (0, 14):
        run_worker(sms_app, at=raised + minutes * MINUTES + timedelta(seconds=59))
    assert twilio.messages == []

    run_worker(sms_app, at=raised + 15 * MINUTES)
    assert sorted(texts_to(twilio)) == ON_CALL  # one each, not the other facility's
    run_worker(sms_app, at=raised + 29 * MINUTES)
    assert len(twilio.messages) == 2
    run_worker(sms_app, at=raised + 30 * MINUTES)
    assert texts_to(twilio)[2:] == [SUPERVISOR]  # not the deactivated one, nor a case manager
    for later in (31, 45, 600):
        run_worker(sms_app, at=raised + later * MINUTES)
    assert len(twilio.messages) == 3

    with database.sessions() as session:
        number = session.scalar(select(EmergencyAlert)).case.number
        assert session.scalar(select(Job.id).where(Job.status == "queued")) is None  # nothing left to do
        assert sorted(session.execute(select(AlertText.step, AlertText.phone)).all()) == [
            (1, ON_CALL[0]), (1, ON_CALL[1]), (2, SUPERVISOR)]
    expected = f"EMERGENCY not yet acknowledged: case {number} at TST, danger now. Open the ombudsman console."
    assert [message["Body"] for message in twilio.messages] == [expected] * 3
    assert not any(word in message["Body"] for message in twilio.messages
                   for word in ("guardias", "secretas", "Maria", "Lopez", FAMILY))

    events, entries = escalations(database)
    assert events == [
        ("worker:test", "Not acknowledged after 15 minutes: texted the facility's on-call phones: "
                        "(512) 555-0101, (512) 555-0102."),
        ("worker:test", "Not acknowledged after 30 minutes: texted the supervisors: (512) 555-0104."),
    ]
    assert [(actor, detail["step"], detail["phones"]) for actor, detail in entries] == [
        ("worker:test", 1, ON_CALL), ("worker:test", 2, [SUPERVISOR])]


def test_an_acknowledged_alert_texts_nobody(sms_app, twilio, database, phones):
    alert = file_emergency(database, phones["TST"])
    with database.transaction() as session:
        sam = session.scalar(select(StaffUser).where(StaffUser.username == "sam"))
        assert emergencies.acknowledge(session, session.get(EmergencyAlert, alert.id), sam,
                                       now=alert.raised_at + 10 * MINUTES)
    for minutes in (15, 30, 60):
        run_worker(sms_app, at=alert.raised_at + minutes * MINUTES)
    assert twilio.messages == []
    assert escalations(database) == ([], [])


def test_an_alert_acknowledged_between_the_steps_texts_no_supervisor(sms_app, twilio, database, phones):
    alert = file_emergency(database, phones["TST"])
    run_worker(sms_app, at=alert.raised_at + 15 * MINUTES)
    with database.transaction() as session:
        sam = session.scalar(select(StaffUser).where(StaffUser.username == "sam"))
        emergencies.acknowledge(session, session.get(EmergencyAlert, alert.id), sam)
    run_worker(sms_app, at=alert.raised_at + 30 * MINUTES)
    assert sorted(texts_to(twilio)) == ON_CALL


def test_a_rerun_worker_and_duplicated_jobs_send_nothing_twice(sms_app, twilio, database, phones):
    alert = file_emergency(database, phones["TST"])

    def duplicate_job():
        with database.transaction() as session:
            jobs.enqueue(session, jobs.JobKind.ESCALATE_EMERGENCY, {"alert_id": alert.id}, run_after=alert.raised_at)

    duplicate_job()
    for _ in range(2):
        run_worker(sms_app, at=alert.raised_at + 15 * MINUTES)
    assert sorted(texts_to(twilio)) == ON_CALL
    duplicate_job()
    for _ in range(2):
        run_worker(sms_app, at=alert.raised_at + 30 * MINUTES)
        duplicate_job()
    run_worker(sms_app, at=alert.raised_at + 90 * MINUTES)
    assert sorted(texts_to(twilio)) == sorted(ON_CALL + [SUPERVISOR])
    assert [len(rows) for rows in escalations(database)] == [2, 2]


def test_both_steps_due_at_once_are_both_taken(sms_app, twilio, database, phones):
    """A worker that was down for an hour catches up: on-call phones, then supervisors, in one run."""
    alert = file_emergency(database, phones["TST"])
    run_worker(sms_app, at=alert.raised_at + 60 * MINUTES)
    assert texts_to(twilio) == ON_CALL + [SUPERVISOR]
    events, _entries = escalations(database)
    assert [body.split(":")[0] for _actor, body in events] == ["Not acknowledged after 15 minutes",
                                                               "Not acknowledged after 30 minutes"]


def test_an_opted_out_phone_gets_nothing_and_the_escalation_still_records_it(sms_app, twilio, database, phones):
    assert Phone(sms_app, ON_CALL[1]).text("STOP") is None
    alert = file_emergency(database, phones["TST"])
    run_worker(sms_app, at=alert.raised_at + 15 * MINUTES)
    assert texts_to(twilio) == [ON_CALL[0]]
    with database.sessions() as session:
        recorded = dict(session.execute(select(AlertText.phone, AlertText.outbound_id)).all())
    assert set(recorded) == set(ON_CALL) and recorded[ON_CALL[1]] is None and recorded[ON_CALL[0]] is not None
    events, entries = escalations(database)
    assert events == [("worker:test", "Not acknowledged after 15 minutes: texted the facility's on-call phones: "
                                      "(512) 555-0101. Not texted, opted out: (512) 555-0102.")]
    assert [(detail["phones"], detail["opted_out"]) for _actor, detail in entries] == [([ON_CALL[0]], [ON_CALL[1]])]


def test_without_twilio_settings_the_texts_are_recorded_as_simulated(app, database, phones):
    alert = file_emergency(database, phones["TST"])
    run_worker(app, at=alert.raised_at + 15 * MINUTES)
    with database.sessions() as session:
        sent = session.execute(select(SmsOutbound.phone, SmsOutbound.status).order_by(SmsOutbound.phone)).all()
        linked = session.scalars(select(AlertText.outbound_id).order_by(AlertText.phone)).all()
        outbound_ids = session.scalars(select(SmsOutbound.id).order_by(SmsOutbound.phone)).all()
    assert [tuple(row) for row in sent] == [(phone, "simulated") for phone in ON_CALL]
    assert linked == outbound_ids


def test_without_any_phone_the_timeline_says_nobody_was_texted(sms_app, twilio, database, people):
    alert = file_emergency(database, people["TST"])
    run_worker(sms_app, at=alert.raised_at + 30 * MINUTES)
    assert twilio.messages == []
    events, _entries = escalations(database)
    assert [body for _actor, body in events] == [
        "Not acknowledged after 15 minutes: texted the facility's on-call phones: nobody (no phone configured).",
        "Not acknowledged after 30 minutes: texted the supervisors: nobody (no phone configured).",
    ]


def test_the_delay_is_the_configured_one(config, twilio, database, phones):
    """KIOSK_EMERGENCY_ESCALATE_MINUTES: here 5, so on-call phones at 5 minutes, supervisors at 10."""
    app = create_app(config.with_changes(
        emergency_escalate_after=timedelta(minutes=5), public_url=PUBLIC, twilio_account_sid="AC" + "0" * 32,
        twilio_auth_token=TWILIO_TOKEN, twilio_from_number="+15555550100", twilio_api_url=twilio.url))
    try:
        alert = file_emergency(database, phones["TST"])
        run_worker(app, at=alert.raised_at + 5 * MINUTES)
        assert sorted(texts_to(twilio)) == ON_CALL
        run_worker(app, at=alert.raised_at + 10 * MINUTES)
        assert texts_to(twilio)[2:] == [SUPERVISOR]
    finally:
        app.extensions["database"].dispose()
