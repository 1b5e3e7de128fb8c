"""NEW by text asks about danger early: a danger or a doctor needed now files the case at that answer,
with its alert, and tells the reporter whom to call; DONE later completes that same case."""
from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from kiosk.core import cases
from kiosk.core.languages import LANGUAGES
from kiosk.core.models import (
    Case, CaseEvent, EmergencyAlert, Hotline, Job, SmsConversation, SmsInbound, TrustedContact, utcnow,
)
from tests.helpers import STRANGER, Phone, fits_two_segments, texted

ASK_DANGER = "Is the person in danger now, or do they need a doctor now? Reply 1 danger, 2 doctor, 3 no."
FILED = ("Complaint %(number)s was sent as an emergency. Call for help now: %(phones)s. "
         "Reply 1 for the next questions.")
FILED_WITHOUT_NUMBERS = ("Complaint %(number)s was sent as an emergency. A case manager will look at it today. "
                         "Reply 1 for the next questions.")
KEPT = "Complaint %(number)s stays as it was sent. Send STATUS %(number)s to follow it."
ASK_RELATIONSHIP = "Who are you to the person? Reply 1 family, 2 lawyer, 3 friend, 4 other."
ASK_MAY_NAME = "May we tell the facility the person's name when we ask them to fix this? Reply 1 yes, 2 no."
ASK_FEARS = "Is the person afraid that staff will punish them for complaining? Reply 1 yes, 2 no."
ASK_DESCRIPTION = "Describe the problem. You can send several texts. Send DONE when you have finished."
REPORTED = ("Thank you. Complaint %(number)s was filed. Its share code is %(code)s. "
            "Send STATUS %(number)s to follow it.")
FACILITY_LINE, OMBUDSMAN_LINE = "+1 512-555-0110", "+1 800-555-0199"


@pytest.fixture
def ombudsman(sms_app):
    """A national ombudsman line besides the test facility's own emergency line (conftest's place)."""
    with sms_app.extensions["database"].transaction() as session:
        session.add(Hotline(facility_id=None, kind="ombudsman", number=OMBUDSMAN_LINE,
                            shown_for=["danger_from_detainee", "danger_from_staff", "danger", "medical",
                                       "sexual_abuse"]))


def reach_the_danger_question(phone: Phone, new_word: str, detainee: str = "A 209-876-543") -> str:
    """NEW in the sender's language, that language kept, the facility and the detainee."""
    for body in (new_word, "1", "Test Detention"):
        phone.text(body)
    return phone.text(detainee)


def the_case(database) -> Case:
    with database.sessions() as session:
        return session.scalars(select(Case)).one()


def counted(database, model, *where) -> int:
    with database.sessions() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("language, new_word, answer, category, kind, done_word", [
    ("es", "NUEVO", "1", "safety", "danger", "LISTO"),
    ("ht", "NOUVO", "2", "medical", "medical", "FINI"),
    ("ar", "جديد", "1", "safety", "danger", "تم"),
])
def test_danger_now_files_the_case_at_once_and_done_completes_it(sms_app, ombudsman, language, new_word, answer,
                                                                 category, kind, done_word):
    database = sms_app.extensions["database"]
    phone = Phone(sms_app, STRANGER)
    assert reach_the_danger_question(phone, new_word) == texted(language, ASK_DANGER)
    reply = phone.text(answer)

    filed = the_case(database)  # stored by that very answer
    assert (filed.channel, filed.submitted_by, filed.submitter_phone, filed.language) == (
        "sms", "third_party", STRANGER, language)
    assert (filed.category, filed.answers, filed.is_emergency, filed.emergency_kind) == (
        category, {"urgent": "yes"}, True, kind)
    assert filed.completed_at is None and filed.submitter_relationship is None and filed.description == ""
    with database.sessions() as session:
        alert = session.scalars(select(EmergencyAlert)).one()
        assert alert.case_id == filed.id and alert.acknowledged_at is None and alert.kind == kind
        assert session.scalars(select(TrustedContact.phone)).all() == [STRANGER]
    # The facility's own line first for a danger that is not said to come from staff, then the ombudsman.
    assert reply == texted(language, FILED, number=filed.number, phones=f"{FACILITY_LINE}, {OMBUDSMAN_LINE}")
    assert fits_two_segments(reply) and not reply.endswith("...")

    assert phone.text("1") == texted(language, ASK_RELATIONSHIP)
    assert phone.text("2") == texted(language, ASK_MAY_NAME)  # the category is known: not asked
    assert phone.text("2") == texted(language, ASK_FEARS)
    assert phone.text("1") == texted(language, ASK_DESCRIPTION)
    phone.text("Le pegan los guardias.")
    phone.text("Desde ayer.")
    done = phone.text(done_word)

    [code] = re.findall(r"\b\d{8}\b", done)
    assert done == texted(language, REPORTED, number=filed.number, code=code)
    completed = the_case(database)  # the same case, the only one
    assert completed.id == filed.id and completed.completed_at is not None
    assert completed.description == "Le pegan los guardias.\nDesde ayer."
    assert (filed.may_name_to_facility, filed.fears_retaliation) == (None, None)  # not asked yet: do not name
    assert (completed.may_name_to_facility, completed.fears_retaliation) == (False, True)
    assert (completed.submitter_relationship, completed.category, completed.emergency_kind) == ("lawyer", category,
                                                                                                kind)
    assert counted(database, EmergencyAlert) == 1 and counted(database, SmsConversation) == 0
    assert counted(database, CaseEvent, CaseEvent.kind == "completed") == 1
    assert filed.number in phone.text(f"STATUS {filed.number}")
    assert filed.number in Phone(sms_app, "+15125550444").text(f"STATUS {filed.number} {code}")


def test_no_danger_goes_on_as_before_and_files_at_done(sms_app):
    database = sms_app.extensions["database"]
    phone = Phone(sms_app, STRANGER)
    reach_the_danger_question(phone, "NEW")
    assert phone.text("3") == texted("en", ASK_RELATIONSHIP)
    assert counted(database, Case) == 0
    for body in ("1", "5", "1", "2", "The food is spoiled.", "DONE"):
        phone.text(body)
    filed = the_case(database)
    assert filed.category == "food" and not filed.is_emergency and filed.completed_at is not None
    assert counted(database, EmergencyAlert) == 0


def test_an_answer_that_is_not_one_of_the_three_asks_again(sms_app):
    phone = Phone(sms_app, STRANGER)
    reach_the_danger_question(phone, "NUEVO")
    assert phone.text("sí") == phone.text("4") == texted("es", ASK_DANGER)
    assert counted(sms_app.extensions["database"], Case) == 0


def test_without_numbers_for_the_kind_the_reply_says_a_case_manager_looks_today(sms_app):
    database = sms_app.extensions["database"]
    with database.transaction() as session:
        session.execute(update(Hotline).values(shown_for=["sexual_abuse"]))
    phone = Phone(sms_app, STRANGER)
    reach_the_danger_question(phone, "NUEVO")
    assert phone.text("2") == texted("es", FILED_WITHOUT_NUMBERS, number=the_case(database).number)


def test_cancel_after_the_emergency_keeps_the_case(sms_app):
    database = sms_app.extensions["database"]
    phone = Phone(sms_app, STRANGER)
    reach_the_danger_question(phone, "NUEVO")
    phone.text("1")
    phone.text("1")
    number = the_case(database).number
    assert phone.text("CANCELAR") == texted("es", KEPT, number=number)
    kept = the_case(database)
    assert kept.number == number and kept.is_emergency and kept.completed_at is None
    assert counted(database, EmergencyAlert) == 1 and counted(database, SmsConversation) == 0
    assert number in phone.text(f"ESTADO {number}")


def test_a_report_that_lapses_after_the_emergency_keeps_the_case(sms_app):
    database = sms_app.extensions["database"]
    phone = Phone(sms_app, STRANGER)
    reach_the_danger_question(phone, "NOUVO")
    phone.text("2")
    with database.transaction() as session:
        session.execute(update(SmsConversation).values(expires_at=utcnow() - timedelta(seconds=1)))
    number = the_case(database).number
    assert phone.text("mwen la") == texted("ht", KEPT, number=number)
    assert counted(database, Case) == 1 and counted(database, SmsConversation) == 0


def test_a_retried_webhook_and_a_second_answer_file_nothing_twice(sms_app):
    database = sms_app.extensions["database"]
    phone = Phone(sms_app, STRANGER)
    reach_the_danger_question(phone, "NUEVO")
    first = phone.text("1", sid="SMdanger")
    assert phone.text("1", sid="SMdanger") == first  # Twilio retried: the answer given, nothing done again
    assert counted(database, Case) == 1 and counted(database, EmergencyAlert) == 1
    assert counted(database, Job, Job.kind == "escalate_emergency") == 1
    assert counted(database, SmsInbound, SmsInbound.message_sid == "SMdanger") == 1
    assert phone.text("1") == texted("es", ASK_RELATIONSHIP)  # the same answer again, as a new text
    assert counted(database, Case) == 1 and counted(database, EmergencyAlert) == 1


def test_a_done_after_the_case_was_completed_adds_nothing(sms_app):
    database = sms_app.extensions["database"]
    phone = Phone(sms_app, STRANGER)
    reach_the_danger_question(phone, "NEW")
    for body in ("2", "1", "1", "1", "2", "He has chest pain."):
        phone.text(body)
    with database.transaction() as session:  # another DONE of the same report got there first
        cases.complete_for_detainee(session, session.scalars(select(Case)).one(), relationship="family",
                                    description="First words.")
    number = the_case(database).number
    assert phone.text("DONE") == texted("en", KEPT, number=number)
    assert the_case(database).description == "First words."
    assert counted(database, CaseEvent, CaseEvent.kind == "completed") == 1


@pytest.mark.postgresql_only
def test_the_same_answer_sent_twice_at_once_files_one_case(sms_app, monkeypatch):
    """Two texts of one report take turns: the second waits for the first, then finds the case filed."""
    database = sms_app.extensions["database"]
    phone = Phone(sms_app, STRANGER)
    reach_the_danger_question(phone, "NEW", "Maria Lopez")  # a name: no A-number whose uniqueness would stop a twin
    entered, other_entered = threading.Event(), threading.Event()
    file_emergency = cases.file_emergency_for_detainee

    def file_slowly(*args, **kwargs):
        if entered.is_set():
            other_entered.set()
        entered.set()
        other_entered.wait(timeout=3)  # without the turn-taking, the other text files meanwhile
        return file_emergency(*args, **kwargs)

    monkeypatch.setattr(cases, "file_emergency_for_detainee", file_slowly)
    replies = []
    texts = [threading.Thread(target=lambda: replies.append(Phone(sms_app, STRANGER).text("1"))) for _ in range(2)]
    for text in texts:
        text.start()
    for text in texts:
        text.join()
    assert counted(database, Case) == 1 and counted(database, EmergencyAlert) == 1
    number = the_case(database).number
    assert sorted(replies) == sorted([texted("en", FILED, number=number, phones=FACILITY_LINE),
                                      texted("en", ASK_RELATIONSHIP)])


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_the_danger_replies_fit_two_segments_whole_in_every_language(sms_app, ombudsman, language):
    database = sms_app.extensions["database"]
    phone = Phone(sms_app, STRANGER)
    phone.text(f"LANG {language.code}")
    asked = reach_the_danger_question(phone, "NEW")
    filed = phone.text("1")
    number = the_case(database).number
    kept = phone.text("CANCEL")
    assert asked == texted(language.code, ASK_DANGER)
    assert filed == texted(language.code, FILED, number=number, phones=f"{FACILITY_LINE}, {OMBUDSMAN_LINE}")
    assert kept == texted(language.code, KEPT, number=number)
    for reply in (asked, filed, kept):
        assert fits_two_segments(reply) and not reply.endswith("..."), reply
