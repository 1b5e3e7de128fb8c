"""A staff reply reaches whoever can receive it: the detainee at the kiosk (with a PIN) and, for a
case reported by text, the reporter's phone, in their language, within two segments, once.
Trusted numbers and followers are told of status changes only, never what a reply says."""
from __future__ import annotations

import re
from html import unescape
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from kiosk.core import jobs
from kiosk.core.languages import LANGUAGES
from kiosk.core.models import (
    Case, CaseEvent, CaseFollower, Job, JobStatus, SmsOutbound, Translation, TrustedContact, utcnow,
)
from sms import replies, segments
from tests.helpers import (
    FAMILY, STRANGER, Phone, audited, catalog_text, file_complaint, filed_case, fits_two_segments, report_by_text,
    run_worker, signed_in, texted,
)

ANSWER = "Answer to complaint %(number)s: %(reply)s"
START = "Start of the answer to complaint %(number)s: %(reply)s..."
START_AND_KIOSK = ("Start of the answer to complaint %(number)s: %(reply)s... The whole answer is at the kiosk, "
                   "with the detainee's PIN.")
REPLY = "A dentist will see your brother on Friday morning."
SPANISH = "Un dentista verá a su hermano el viernes por la mañana."
LAWYER = "+15125550177"


def reply_translated_by_a_person(client, database, number, words=REPLY, spanish=SPANISH) -> int:
    """A reply drafted on the case page; no package translates it, so a person's translation is
    entered beside it (as an interpreter's would be). Returns the reply's event id."""
    client.get(f"/staff/case/{number}")
    client.post(f"/staff/case/{number}/reply", {"reply": words})
    run_worker(client.client.application)  # no en->es package: the text waits for a person
    with database.sessions() as session:
        pending = session.scalars(select(Translation).where(Translation.event_id.is_not(None))
                                  .order_by(Translation.id.desc())).first()
        event_id = pending.event_id
    client.get(f"/staff/case/{number}")
    client.post(f"/staff/case/{number}/translation/{pending.id}/correct", {"text": spanish})
    return event_id


def release(client, number, event_id) -> str:
    client.get(f"/staff/case/{number}")
    client.post(f"/staff/case/{number}/reply/{event_id}/release", follow_redirects=True)
    return unescape(client.text)


def texts_to(twilio, phone) -> list[str]:
    return [message["Body"] for message in twilio.messages if message["To"] == phone]


def test_a_released_reply_is_texted_to_the_reporter_in_their_language(sms_app, twilio, people, database):
    number = report_by_text(sms_app)
    run_worker(sms_app)  # the report's own translation (no package) and its acknowledgement
    before = len(twilio.messages)
    chris = signed_in(sms_app, "chris")
    event_id = reply_translated_by_a_person(chris, database, number)

    page = unescape(chris.get(f"/staff/case/{number}").get_data(as_text=True))
    preview = page.split('<div class="recipients">', 1)[1].split("<form", 1)[0]
    expected = texted("es", ANSWER, number=number, reply=SPANISH)
    assert "Whoever reported the case (family), by text, at •••• 0123, in Spanish" in preview
    assert expected in preview and FAMILY not in preview and "(512) 555-0123" not in preview
    assert "The detainee, at the kiosk" not in preview  # a case reported by text has no PIN
    assert "Trusted numbers and followers are told of status changes only" in preview

    assert "Reply released: it is being texted to •••• 0123." in release(chris, number, event_id)
    assert twilio.messages[before:] == []  # the worker sends it, never the request
    run_worker(sms_app)
    assert texts_to(twilio, FAMILY)[-1] == expected and len(twilio.messages) == before + 1
    with database.sessions() as session:
        sent = session.scalars(select(SmsOutbound).where(SmsOutbound.reply_event_id == event_id)).one()
        assert sent.status == "sent" and sent.body == expected
    assert "Texted to the reporter at •••• 0123: sent." in unescape(chris.get(f"/staff/case/{number}").get_data(as_text=True))
    [entry] = audited(database, "case.reply_released")
    assert entry.detail == {"event_id": event_id, "texted_to_reporter": True}


def test_a_retried_job_a_second_job_or_a_second_release_text_the_reporter_once(sms_app, twilio, people, database):
    number = report_by_text(sms_app)
    chris = signed_in(sms_app, "chris")
    event_id = reply_translated_by_a_person(chris, database, number)
    release(chris, number, event_id)
    release(chris, number, event_id)  # a double submit: released already, nothing queued again
    with database.transaction() as session:  # and a job run twice (its worker's lease ran out)
        jobs.enqueue(session, jobs.JobKind.TEXT_REPLY, {"event_id": event_id})
    run_worker(sms_app)
    with database.transaction() as session:
        jobs.enqueue(session, jobs.JobKind.TEXT_REPLY, {"event_id": event_id})
    run_worker(sms_app)
    assert len([body for body in texts_to(twilio, FAMILY) if "dentista" in body]) == 1
    with database.sessions() as session:
        text_jobs = session.scalars(select(Job).where(Job.kind == jobs.JobKind.TEXT_REPLY)).all()
        assert len(text_jobs) == 3 and {job.status for job in text_jobs} == {JobStatus.DONE}
    with pytest.raises(IntegrityError), database.transaction() as session:  # the database says once, too
        session.add(SmsOutbound(phone=FAMILY, body="again", reply_event_id=event_id))


def test_trusted_numbers_and_followers_get_status_changes_never_what_a_reply_says(sms_app, twilio, people,
                                                                                  database):
    number = report_by_text(sms_app)
    with database.transaction() as session:  # the detainee trusted a lawyer too; a stranger with the code follows
        case = session.scalars(select(Case).where(Case.number == number)).one()
        session.add_all([TrustedContact(case_id=case.id, phone=LAWYER),
                         CaseFollower(case_id=case.id, phone=LAWYER), CaseFollower(case_id=case.id, phone=STRANGER)])
    chris = signed_in(sms_app, "chris")
    event_id = reply_translated_by_a_person(chris, database, number)
    release(chris, number, event_id)
    chris.post(f"/staff/case/{number}/status", {"status": "in_review"})
    run_worker(sms_app)
    status = texted("es", "Complaint %(number)s has a new status: %(status)s.", number=number,
                    status=catalog_text("es", "A case manager is checking it"))
    assert texts_to(twilio, LAWYER) == [status] and texts_to(twilio, STRANGER) == [status]
    assert [body for body in texts_to(twilio, FAMILY) if "dentista" in body] == [
        texted("es", ANSWER, number=number, reply=SPANISH)]
    assert not any("dentista" in m["Body"] for m in twilio.messages if m["To"] != FAMILY)


def test_a_reporter_who_sent_stop_or_is_no_longer_trusted_is_not_texted(sms_app, twilio, people, database):
    number = report_by_text(sms_app)
    Phone(sms_app, FAMILY).text("STOP")
    chris = signed_in(sms_app, "chris")
    event_id = reply_translated_by_a_person(chris, database, number)
    release(chris, number, event_id)
    run_worker(sms_app)
    assert not any("dentista" in body for body in texts_to(twilio, FAMILY))
    with database.sessions() as session:
        assert session.scalars(select(Job.status).where(Job.kind == jobs.JobKind.TEXT_REPLY)).all() == ["done"]

    with database.transaction() as session:  # the detainee withdrew the reporter's trust
        contact = session.scalars(select(TrustedContact).where(TrustedContact.phone == FAMILY)).one()
        contact.revoked_at = utcnow()
    second = reply_translated_by_a_person(chris, database, number, "Second answer.", "Segunda respuesta.")
    page = unescape(chris.get(f"/staff/case/{number}").get_data(as_text=True))
    assert "Nobody outside the console" in page and "•••• 0123" not in page
    assert "Nobody outside the console can read it yet" in release(chris, number, second)
    with database.sessions() as session:
        assert len(session.scalars(select(Job).where(Job.kind == jobs.JobKind.TEXT_REPLY)).all()) == 1


def test_a_case_filed_at_the_kiosk_is_released_to_the_kiosk_and_texted_to_nobody(sms_app, twilio, people,
                                                                                 database, kiosk):
    file_complaint(kiosk, language="en", words="The food is cold.")  # in English: nothing to translate
    number = filed_case(database).number
    chris = signed_in(sms_app, "chris")
    chris.get(f"/staff/case/{number}")
    chris.post(f"/staff/case/{number}/reply", {"reply": "We asked the kitchen to fix the warmer."})
    page = unescape(chris.get(f"/staff/case/{number}").get_data(as_text=True))
    assert "The detainee, at the kiosk, after opening the case with their PIN, in English:" in page
    assert "by text" not in page.split('<div class="recipients">', 1)[1]
    with database.sessions() as session:
        event_id = session.scalars(select(CaseEvent.id).where(CaseEvent.kind == "reply")).one()
    assert "Reply released: the detainee sees it on the kiosk." in release(chris, number, event_id)
    run_worker(sms_app)
    with database.sessions() as session:
        assert session.scalars(select(Job).where(Job.kind == jobs.JobKind.TEXT_REPLY)).all() == []
    assert not any("warmer" in m["Body"] for m in twilio.messages)


@pytest.mark.parametrize("language", [language.code for language in LANGUAGES])
def test_a_long_reply_is_shortened_to_two_segments_and_says_where_to_read_it_all(sms_app, language):
    words = {"zh_Hans": "我们给诊所打了电话", "ar": "اتصلنا بالعيادة ", "ru": "Мы позвонили в клинику "}.get(
        language, "We called the clinic and the dentist again ")
    reply = (words * 60).strip()
    with sms_app.app_context():
        for pin_hash, tail in ((None, START), ("hash", START_AND_KIOSK)):
            case = SimpleNamespace(number="26-4831-0927", language=language, pin_hash=pin_hash)
            text = replies.text_for_reporter(case, reply)
            assert fits_two_segments(text), (language, text)
            head, after = catalog_text(language, tail).split("%(reply)s")
            head = segments.fit(head % {"number": case.number})
            assert text.startswith(head) and text.endswith(segments.fit(after.replace("...", "", 1)) or "...")
            assert len(text) - len(head) - len(after) >= 10, (language, text)  # some of the reply itself
        short = replies.text_for_reporter(case, "Yes.")
        assert short == texted(language, ANSWER, number=case.number, reply="Yes.")


def test_the_recipients_are_listed_before_release_and_the_preview_is_what_is_sent(sms_app, people, database):
    number = report_by_text(sms_app, words="Mi hermano no recibe su insulina.")
    with database.transaction() as session:
        case = session.scalars(select(Case).where(Case.number == number)).one()
        case.pin_hash = "a PIN's hash"  # as if the detainee could open it at a kiosk
    chris = signed_in(sms_app, "chris")
    long_reply = "We called the clinic. " * 30
    event_id = reply_translated_by_a_person(chris, database, number, long_reply, "Llamamos a la clínica. " * 30)
    with database.sessions() as session, sms_app.app_context():
        case = session.scalars(select(Case).where(Case.number == number)).one()
        kiosk_side, by_text = replies.recipients(session, case, session.get(CaseEvent, event_id))
        assert kiosk_side.address is None and by_text.address == "•••• 0123"
        assert by_text.text == replies.text_for_reporter(case, "Llamamos a la clínica. " * 30)
    assert by_text.text.endswith(segments.fit(" La respuesta completa está en el quiosco, con el PIN de la "
                                              "persona detenida."))
    assert re.search(r"The detainee, at the kiosk, after opening the case with their PIN, in Spanish:\s+the whole "
                     r"reply, as translated above\.", chris.get(f"/staff/case/{number}").get_data(as_text=True))
