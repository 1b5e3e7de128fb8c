"""A detainee adds to a complaint later, from the kiosk, in their own words."""
from __future__ import annotations

from sqlalchemy import select, update

from kiosk.core.models import AuditEntry, Case, CaseEvent, Job, Translation
from tests.helpers import add_reply, file_complaint, filed_case, open_message_form, track, translated


def messages(database, case_id):
    with database.sessions() as session:
        return session.execute(select(CaseEvent.body, CaseEvent.language, CaseEvent.visible_to_detainee).where(
            CaseEvent.case_id == case_id, CaseEvent.kind == "detainee_message")).all()


def test_an_answer_to_a_reply_reaches_the_timeline_and_is_queued_for_english(kiosk, database):
    file_complaint(kiosk, language="es", a_number="201234567", pin="2468")
    case = filed_case(database)
    add_reply(database, case.id, "¿Desde cuándo no le dan la medicina?")
    kiosk.choose_language("es")
    page = track(kiosk, "201234567", "2468").get_data(as_text=True)
    assert translated("es", "Add to my complaint") in page
    token = open_message_form(kiosk, case.number)
    words = "Desde el lunes. <b>Nadie</b> vino."
    response = kiosk.post(f"/kiosk/case/{case.number}/message", {"words": words, "submission": token},
                          follow_redirects=True)
    assert response.request.path == f"/kiosk/case/{case.number}"
    page = response.get_data(as_text=True)
    assert translated("es", "Your message was sent. A case manager will read it.") in page
    assert translated("es", "You wrote:") in page and "Desde el lunes. &lt;b&gt;Nadie&lt;/b&gt; vino." in page
    assert messages(database, case.id) == [(words, "es", True)]
    with database.sessions() as session:
        pending = session.scalars(select(Translation).where(Translation.event_id.is_not(None))).one()
        assert (pending.source_text, pending.source_language, pending.target_language) == (words, "es", "en")
        assert session.scalars(select(Job.kind).order_by(Job.id.desc())).first() == "translate"
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "case.message_added")).case_id == case.id


def test_a_double_tap_or_a_replayed_form_adds_the_message_once(kiosk, database):
    file_complaint(kiosk, language="ar", a_number=None, pin="13579")
    case = filed_case(database)
    token = open_message_form(kiosk, case.number)
    for _ in range(3):
        kiosk.post(f"/kiosk/case/{case.number}/message", {"words": "ما زلت مريضاً.", "submission": token})
    assert messages(database, case.id) == [("ما زلت مريضاً.", "ar", True)]


def test_empty_too_long_and_forged_messages_are_refused_in_the_language(kiosk, database):
    file_complaint(kiosk, language="ht", a_number=None, pin="13579")
    case = filed_case(database)
    for words, message in (("  \n\t ", "Please write your message first."),
                           ("\x07\x1b", "Please write your message first."),
                           ("a" * 5001, "Your text is too long. Please make it shorter.")):
        token = open_message_form(kiosk, case.number)
        response = kiosk.post(f"/kiosk/case/{case.number}/message", {"words": words, "submission": token})
        assert response.status_code == 200 and translated("ht", message) in response.get_data(as_text=True)
    assert kiosk.post(f"/kiosk/case/{case.number}/message", {"words": "x", "submission": "t"},
                      csrf=False).status_code == 400  # no CSRF token: the page was too old
    assert messages(database, case.id) == []


def test_a_closed_complaint_takes_no_message_and_says_to_make_a_new_one(kiosk, database):
    file_complaint(kiosk, language="es", a_number=None, pin="13579")
    case = filed_case(database)
    token = open_message_form(kiosk, case.number)
    with database.transaction() as session:
        session.execute(update(Case).values(status="resolved"))
    page = kiosk.get(f"/kiosk/case/{case.number}").get_data(as_text=True)
    assert translated("es", "Add to my complaint") not in page
    response = kiosk.post(f"/kiosk/case/{case.number}/message", {"words": "Otra cosa", "submission": token},
                          follow_redirects=True)
    assert translated("es", "This complaint is closed. If you have a new problem, make a new complaint.") \
        in response.get_data(as_text=True)
    assert messages(database, case.id) == []


def test_another_persons_case_cannot_be_written_to(kiosk, database):
    file_complaint(kiosk, language="es", a_number=None, pin="13579")
    case = filed_case(database)
    kiosk.get("/kiosk/finish")  # the next person: the case is no longer open in this session
    kiosk.choose_language("es")
    assert kiosk.get(f"/kiosk/case/{case.number}/message").status_code == 404
    kiosk.get("/kiosk/track")  # a page with a form: this session's own CSRF token
    assert kiosk.post(f"/kiosk/case/{case.number}/message", {"words": "x", "submission": "t"}).status_code == 404
    assert messages(database, case.id) == []
