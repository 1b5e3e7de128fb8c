"""The SMS channel: signed webhooks, commands in many languages, authorization, outbound texts."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from twilio.request_validator import RequestValidator

from kiosk.app import create_app
from kiosk.core import cases, contacts
from kiosk.core.languages import LANGUAGES
from kiosk.core.models import (
    AuditEntry, Case, Facility, Job, ShareCode, SmsConversation, SmsInbound, SmsOutbound, SmsSender, TrustedContact,
    utcnow,
)
from sms import segments
from sms.answers import LOOKUP_FAILURES
from tests.helpers import (
    FAMILY, PUBLIC, STRANGER, TWILIO_TOKEN, BrowserClient, Phone, catalog_text, enrolled_kiosk, file_complaint,
    fits_two_segments, run_worker, texted,
)

USAGE = ("Send STATUS and the complaint number (and the share code) to see its status. "
         "FOLLOW to get updates. LANG to change language. NEW to report a problem.")
NOT_FOUND = "We found no complaint you may follow with that number and code. Check them and try again."
LOCKED = "Too many tries. Please try again in one hour."
LANGUAGE_SET = "Answers will now come in %(language)s."
ASK_CATEGORY = ("What is it about? 1 health, 2 lawyer or phone, 3 danger or abuse, 4 living conditions, 5 food, "
                "6 belongings, 7 mail or visits, 8 staff, 9 religion, 10 disability, 11 other")
ASK_MAY_NAME = "May we tell the facility the person's name when we ask them to fix this? Reply 1 yes, 2 no."
ASK_FEARS = "Is the person afraid that staff will punish them for complaining? Reply 1 yes, 2 no."
ASK_DANGER = "Is the person in danger now, or do they need a doctor now? Reply 1 danger, 2 doctor, 3 no."

@pytest.fixture
def case(sms_app):
    """A case in Spanish, trusting FAMILY's number, with a share code; returns (number, code)."""
    database = sms_app.extensions["database"]
    file_complaint(enrolled_kiosk(sms_app), language="es", a_number="201234567", words="Me duele el pecho. Secreto.")
    with database.transaction() as session:
        found = session.scalars(select(Case)).one()
        contacts.add_trusted_contact(session, found, FAMILY, actor="test")
        code = contacts.create_share_code(session, found, actor="test")
    return found.number, code


def test_unsigned_wrongly_signed_and_wrong_url_requests_are_refused(sms_app, case):
    phone = Phone(sms_app, FAMILY)
    params = {"MessageSid": "SM1", "From": FAMILY, "Body": f"STATUS {case[0]}"}
    assert phone.client.post("/sms/twilio", data=params).status_code == 403
    assert phone.post("/sms/twilio", params, signature="bm90IGEgc2lnbmF0dXJl").status_code == 403
    wrong_url = RequestValidator(TWILIO_TOKEN).compute_signature("http://localhost/sms/twilio", params)
    assert phone.post("/sms/twilio", params, signature=wrong_url).status_code == 403
    with sms_app.extensions["database"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(SmsInbound)) == 0


def test_a_retried_webhook_is_processed_once_and_gets_the_same_answer(sms_app, case):
    phone = Phone(sms_app, STRANGER)
    first = phone.text(f"STATUS {case[0]} 00000000", sid="SMretried")
    second = phone.text(f"STATUS {case[0]} 00000000", sid="SMretried")
    assert first == second == texted("en", NOT_FOUND)
    with sms_app.extensions["database"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(SmsInbound)) == 1


def test_a_retry_is_audited_once_and_retried_misses_never_lock_the_number(sms_app, case):
    number, _code = case
    family, stranger = Phone(sms_app, FAMILY), Phone(sms_app, STRANGER)
    seen = family.text(f"STATUS {number}", sid="SMseen")
    assert number in seen and family.text(f"STATUS {number}", sid="SMseen") == seen
    misses = [stranger.text(f"STATUS {number} 12345678", sid="SMmissed") for _ in range(LOOKUP_FAILURES + 1)]
    assert misses == [texted("en", NOT_FOUND)] * (LOOKUP_FAILURES + 1)  # one miss, however often Twilio retries it
    with sms_app.extensions["database"].sessions() as session:
        entries = session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.case_id)
                                  .where(AuditEntry.actor.startswith("sms:"))).all()
        found = session.scalars(select(Case)).one()
        assert entries == [(f"sms:{FAMILY}", "case.status_by_sms", found.id)]
        assert session.scalar(select(func.count()).select_from(SmsInbound)) == 2
        assert session.get(SmsSender, STRANGER).locked_until is None


def test_revoked_numbers_and_codes_and_another_cases_code_open_nothing(sms_app, case):
    number, code = case
    database = sms_app.extensions["database"]
    file_complaint(enrolled_kiosk(sms_app), language="es", a_number="209876543", words="Otra queja.")
    with database.transaction() as session:
        second = session.scalars(select(Case).where(Case.number != number)).one()
        second_code = contacts.create_share_code(session, second, actor="test")
    unknown = Phone(sms_app, "+15125550888").text("STATUS 26-0000-0026")
    assert Phone(sms_app, STRANGER).text(f"STATUS {number} {second_code}") == unknown  # another case's code
    assert second.number in Phone(sms_app, STRANGER).text(f"STATUS {second.number} {second_code}")
    assert number in Phone(sms_app, STRANGER).text(f"STATUS {number} {code}")
    with database.transaction() as session:
        first = session.scalars(select(Case).where(Case.number == number)).one()
        contacts.revoke_trusted_contact(session, first, session.scalars(select(TrustedContact.id)).one(), actor="test")
        contacts.revoke_share_code(session, first, session.scalars(select(ShareCode.id).where(
            ShareCode.case_id == first.id)).one(), actor="test")
    assert Phone(sms_app, FAMILY).text(f"STATUS {number}") == unknown
    assert Phone(sms_app, "+15125550888").text(f"STATUS {number} {code}") == unknown


def test_the_lockout_is_audited(sms_app, case):
    number, _code = case
    phone = Phone(sms_app, STRANGER)
    for n in range(LOOKUP_FAILURES):
        phone.text(f"STATUS {number} 1111111{n}")
    with sms_app.extensions["database"].sessions() as session:
        assert session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.case_id)
                               .where(AuditEntry.actor.startswith("sms:"))).all() == [
            (f"sms:{STRANGER}", "sms.locked_out", None)]


@pytest.mark.parametrize("text", [None, "", "Complaint 26-4831-0927: a < b & c > d \"x\" 'y' \u202f é 状态"])
def test_twiml_is_what_twilios_own_builder_writes(text):
    from twilio.twiml.messaging_response import MessagingResponse

    from sms.webhook import twiml

    expected = MessagingResponse()
    if text:
        expected.message(text)
    with Flask("twiml").app_context():
        assert twiml(text).get_data(as_text=True) == str(expected)


@pytest.mark.parametrize("command, language", [
    ("STATUS", "en"), ("ESTADO", "es"), ("estatí", "ht"), ("حالة", "ar"), ("状态", "zh_Hans"), ("СТАТУС", "ru"),
])
def test_status_from_a_trusted_number_answers_in_the_command_language(sms_app, case, command, language):
    reply = Phone(sms_app, FAMILY).text(f"  {command}:  {case[0]} ")
    assert case[0] in reply
    assert segments.prepare(catalog_text(language, "Received"))[0] in reply
    assert "Secreto" not in reply and "201234567" not in reply and "201-234-567" not in reply


def test_status_with_a_share_code_from_any_number(sms_app, case):
    number, code = case
    reply = Phone(sms_app, STRANGER).text(f"ESTADO {number} {code[:4]} {code[4:]}")
    assert number in reply


def test_a_wrong_code_and_an_unknown_case_get_the_same_answer(sms_app, case):
    number, _code = case
    phone = Phone(sms_app, STRANGER)
    wrong_code = phone.text(f"STATUS {number} 12345678")
    no_code = phone.text(f"STATUS {number}")
    unknown = phone.text("STATUS 26-0000-0008")
    assert wrong_code == no_code == unknown == texted("en", NOT_FOUND)


def test_five_misses_in_an_hour_lock_the_number_for_an_hour(sms_app, case):
    number, code = case
    phone = Phone(sms_app, STRANGER)
    replies = [phone.text(f"STATUS {number} 1111111{n}") for n in range(5)]
    assert replies == [texted("en", NOT_FOUND)] * 4 + [texted("en", LOCKED)]
    assert phone.text(f"STATUS {number} {code}") == texted("en", LOCKED)  # even the right code, for now
    database = sms_app.extensions["database"]
    with database.transaction() as session:
        session.execute(update(SmsSender).values(locked_until=utcnow() - timedelta(seconds=1)))
        session.execute(update(SmsInbound).values(received_at=utcnow() - timedelta(hours=2)))
    assert number in phone.text(f"STATUS {number} {code}")


def test_lang_sets_the_language_of_every_later_answer(sms_app, case):
    phone = Phone(sms_app, FAMILY)
    assert phone.text("LANG arabic") == texted("ar", LANGUAGE_SET, language="العربية")
    reply = phone.text(f"STATUS {case[0]}")
    assert case[0] in reply and catalog_text("ar", "Received") in reply
    assert phone.text(f"FOLLOW {case[0]}") == texted("ar", "You will get a text when complaint %(number)s changes. "
                                                         "Send UNFOLLOW %(number)s to stop.", number=case[0])
    # By the language's own name, from a Spanish command word, and by its code.
    assert phone.text("idioma kreyol ayisyen") == texted("ht", LANGUAGE_SET, language="Kreyòl ayisyen")
    assert phone.text("HELP") == texted("ht", USAGE)
    assert phone.text("LANG zh") == texted("zh_Hans", LANGUAGE_SET, language="中文")


def test_help_and_garbage_get_usage_in_the_language(sms_app):
    phone = Phone(sms_app, STRANGER)
    assert phone.text("HELP") == texted("en", USAGE)
    assert phone.text("¿qué?") == texted("en", USAGE)  # no command word: the default language
    assert phone.text("AYUDA") == texted("es", USAGE)


def test_followers_are_told_once_per_status_change(sms_app, case, twilio):
    number, _code = case
    assert number in Phone(sms_app, FAMILY).text(f"SEGUIR {number}")
    database = sms_app.extensions["database"]
    with database.transaction() as session:
        found = session.scalars(select(Case)).one()
        cases.change_status(session, found, "in_review", actor="staff:1")
    run_worker(sms_app)
    assert run_worker(sms_app) == 0
    assert [m["To"] for m in twilio.messages] == [FAMILY]
    in_review = catalog_text("es", "A case manager is checking it")
    assert twilio.messages[0]["Body"] == texted("es", "Complaint %(number)s has a new status: %(status)s.",
                                                number=number, status=in_review)
    assert twilio.messages[0]["StatusCallback"] == f"{PUBLIC}/sms/twilio/status"
    assert Phone(sms_app, FAMILY).text(f"DEJAR DE SEGUIR {number}") == \
        texted("es", "You will no longer get texts about complaint %(number)s.", number=number)
    with database.transaction() as session:
        cases.change_status(session, session.scalars(select(Case)).one(), "resolved", actor="staff:1")
    run_worker(sms_app)
    assert len(twilio.messages) == 1


def test_stop_silences_every_outbound_text_and_start_resumes(sms_app, case, twilio):
    number, _code = case
    phone = Phone(sms_app, FAMILY)
    phone.text(f"FOLLOW {number}")
    assert phone.text("STOP") is None
    assert phone.text(f"STATUS {number}") is None
    database = sms_app.extensions["database"]
    with database.transaction() as session:
        cases.change_status(session, session.scalars(select(Case)).one(), "in_review", actor="staff:1")
    run_worker(sms_app)
    assert twilio.messages == []
    assert phone.text("START") == texted("en", "You will get texts from us again. Send HELP for help.")
    assert number in phone.text(f"STATUS {number}")


def test_outbound_retries_on_429_and_5xx_but_not_on_an_opted_out_recipient(sms_app, case, twilio):
    number, _code = case
    Phone(sms_app, FAMILY).text(f"FOLLOW {number}")
    database = sms_app.extensions["database"]
    twilio.answer_next(429)
    twilio.answer_next(503)
    with database.transaction() as session:
        cases.change_status(session, session.scalars(select(Case)).one(), "in_review", actor="staff:1")
    for _ in range(3):
        run_worker(sms_app)
        with database.transaction() as session:  # let the backoff pass
            session.execute(update(Job).where(Job.status == "queued").values(run_after=utcnow()))
    assert len(twilio.messages) == 1
    with database.sessions() as session:
        assert session.scalars(select(SmsOutbound.status)).all() == ["sent"]

    twilio.answer_next(400, code=21610)
    with database.transaction() as session:
        cases.change_status(session, session.scalars(select(Case)).one(), "resolved", actor="staff:1")
    run_worker(sms_app)
    with database.transaction() as session:
        session.execute(update(Job).where(Job.status == "queued").values(run_after=utcnow()))
    run_worker(sms_app)
    assert len(twilio.messages) == 1
    with database.sessions() as session:
        assert session.get(SmsSender, FAMILY).opted_out
        failed = session.scalars(select(Job).where(Job.status == "failed")).one()
        assert failed.kind == "sms"
        assert "21610" in failed.last_error and failed.attempts == 1


def test_delivery_status_only_moves_forward(sms_app, case, twilio):
    number, _code = case
    phone = Phone(sms_app, FAMILY)
    phone.text(f"FOLLOW {number}")
    database = sms_app.extensions["database"]
    with database.transaction() as session:
        cases.change_status(session, session.scalars(select(Case)).one(), "in_review", actor="staff:1")
    run_worker(sms_app)
    with database.sessions() as session:
        sid = session.scalar(select(SmsOutbound.twilio_sid))
    for status in ("delivered", "sent"):
        response = phone.post("/sms/twilio/status", {"MessageSid": sid, "MessageStatus": status})
        assert response.status_code == 204
    assert phone.client.post("/sms/twilio/status", data={"MessageSid": sid, "MessageStatus": "failed"}).status_code == 403
    with database.sessions() as session:
        assert session.scalar(select(SmsOutbound.status)) == "delivered"


@pytest.mark.parametrize("text, sent, encoding, parts", [
    ("Estado: “Recibido” — próxima respuesta…", 'Estado: "Recibido" - proxima respuesta...', "gsm7", 1),
    ("Çà et là: {ñ} € ~", "Çà et là: {ñ} € ~", "gsm7", 1),  # GSM-7 has these, some as two septets
    ("a" * 160, "a" * 160, "gsm7", 1), ("a" * 161, "a" * 161, "gsm7", 2),
    ("€" * 80, "€" * 80, "gsm7", 1), ("€" * 81, "€" * 81, "gsm7", 2),  # two septets each
    ("حالة الشكوى", "حالة الشكوى", "ucs2", 1), ("状" * 70, "状" * 70, "ucs2", 1), ("状" * 71, "状" * 71, "ucs2", 2),
    ("😀" * 35, "😀" * 35, "ucs2", 1), ("😀" * 36, "😀" * 36, "ucs2", 2),  # two UTF-16 code units each
], ids=["accents-and-quotes", "gsm-extension", "160", "161", "80-euros", "81-euros", "arabic", "70-hanzi",
        "71-hanzi", "35-emoji", "36-emoji"])
def test_segments(text, sent, encoding, parts):
    prepared, found = segments.prepare(text)
    assert (prepared, found) == (sent, encoding) and segments.segments(prepared, found) == parts


def test_long_replies_are_cut_to_two_segments():
    for text in ("palabra " * 100, "كلمة " * 100):
        prepared, encoding = segments.prepare(segments.fit(text))
        assert segments.segments(prepared, encoding) <= 2 and prepared.endswith("...")


NON_LATIN = {"ar", "bn", "hi", "pa", "ru", "zh_Hans"}  # written in a script GSM-7 lacks: sent as UCS-2


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_every_reply_in_every_language_fits_two_segments_whole(sms_app, case, language):
    """Two segments are 2 x 153 GSM-7 characters, but only 2 x 67 UTF-16 code units in UCS-2."""
    number, code = case
    phone = Phone(sms_app, STRANGER)
    replies = [phone.text(body) for body in (
        f"LANG {language.code}", "HELP", f"STATUS {number} {code}", f"FOLLOW {number} {code}",
        f"UNFOLLOW {number}", "STATUS 26-0000-0008", "NEW", "1", "Nowhere at all", "CANCEL")]
    for reply in replies:
        assert fits_two_segments(reply), reply
        assert not reply.endswith("..."), reply  # said whole, not cut to fit
        gsm7 = all(ch in segments.GSM7_BASIC or ch in segments.GSM7_EXTENDED for ch in reply)
        assert gsm7 == (language.code not in NON_LATIN), reply
    assert number in replies[2] and number in replies[3]


def test_new_walks_a_reporter_through_a_report_in_spanish(sms_app, case):
    phone = Phone(sms_app, STRANGER)
    conversation = [
        ("NUEVO", texted("es", "Report a problem for a detained person. Reply 1 to write in %(language)s, or the name "
                               "of another language.", language="Español")),
        ("1", texted("es", "Which detention facility is the person in? Reply with its name or code.")),  # Spanish
        ("Test Detention", texted("es", "Reply with the person's A-number. If you do not know it, reply with the "
                                        "person's full name.")),  # the facility, by name
        ("A 209-876-543", texted("es", ASK_DANGER)),
        ("3", texted("es", "Who are you to the person? Reply 1 family, 2 lawyer, 3 friend, 4 other.")),  # no danger
        ("2", texted("es", ASK_CATEGORY)),  # a lawyer
        ("1", texted("es", ASK_MAY_NAME)),  # health
        ("no", texted("es", ASK_FEARS)),
        ("Sí", texted("es", "Describe the problem. You can send several texts. Send DONE when you have finished.")),
        ("No le dan su medicina.", texted("es", "Received. Send more, or DONE.")),
        ("Desde el lunes.", texted("es", "Received. Send more, or DONE.")),
    ]
    for body, question in conversation:
        assert phone.text(body) == question, body
    reply = phone.text("LISTO")
    database = sms_app.extensions["database"]
    with database.sessions() as session:
        filed = session.scalars(select(Case).where(Case.channel == "sms")).one()
        [code] = re.findall(r"\b\d{8}\b", reply)
        assert reply == texted("es", "Thank you. Complaint %(number)s was filed. Its share code is %(code)s. "
                                     "Send STATUS %(number)s to follow it.", number=filed.number, code=code)
        assert (filed.submitted_by, filed.submitter_phone, filed.submitter_relationship) == \
            ("third_party", STRANGER, "lawyer")
        assert filed.category == "medical" and filed.language == "es" and filed.facility.code == "TST"
        assert filed.detainee.a_number == "209876543"
        assert (filed.may_name_to_facility, filed.fears_retaliation) == (False, True)
        assert filed.description == "No le dan su medicina.\nDesde el lunes."
        assert session.scalar(select(func.count()).select_from(SmsConversation)) == 0
    assert filed.number in phone.text(f"ESTADO {filed.number}")  # the reporter may follow it
    assert filed.number in Phone(sms_app, "+15125550444").text(f"ESTADO {filed.number} {code}")  # and share it


def test_a_description_longer_than_a_report_holds_is_refused_not_cut(sms_app, case):
    phone = Phone(sms_app, STRANGER)
    for body in ("NUEVO", "1", "Test Detention", "A 209-876-543", "3", "2", "1", "1", "2",
                 "a" * 1500, "b" * 1500, "c" * 1500):
        phone.text(body)
    refused = phone.text("d" * 1500)  # 6,003 characters in all: more than a case's 5,000
    assert refused == texted("es", "That is more than a report can hold; this last text was not added. Send DONE to "
                                   "send what you wrote, or CANCEL.")
    phone.text("LISTO")
    with sms_app.extensions["database"].sessions() as session:
        filed = session.scalars(select(Case).where(Case.channel == "sms")).one()
    assert filed.description == "\n".join(("a" * 1500, "b" * 1500, "c" * 1500))  # whole, without the last


def test_new_offers_a_numbered_list_when_several_facilities_match(sms_app):
    database = sms_app.extensions["database"]
    with database.transaction() as session:
        session.add(Facility(code="TS2", name="Test Processing Center", timezone="America/Chicago"))
    phone = Phone(sms_app, STRANGER)
    phone.text("NEW")
    phone.text("1")
    assert phone.text("test") == texted("en", "Reply with the number of the facility: %(choices)s",
                                        choices="1 Test Detention Center (TST), 2 Test Processing Center (TS2)")
    assert "A-number" in phone.text("2")
    phone.text("Maria Lopez")
    phone.text("3")
    phone.text("1")
    phone.text("5")
    phone.text("1")
    phone.text("2")
    phone.text("The food is spoiled.")
    phone.text("DONE")
    with database.sessions() as session:
        filed = session.scalars(select(Case).where(Case.channel == "sms")).one()
        assert filed.facility.code == "TS2" and filed.detainee_name == "Maria Lopez" and filed.detainee_id is None


def test_cancel_ends_a_report_and_files_nothing(sms_app):
    phone = Phone(sms_app, STRANGER)
    phone.text("NEW")
    phone.text("1")
    phone.text("Test Detention")
    assert phone.text("CANCEL") == texted("en", "Your report was cancelled. Nothing was sent.")
    with sms_app.extensions["database"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(SmsConversation)) == 0
        assert session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_report_lapses_after_24_hours(sms_app):
    phone = Phone(sms_app, STRANGER)
    phone.text("NEW")
    phone.text("1")
    database = sms_app.extensions["database"]
    with database.transaction() as session:
        session.execute(update(SmsConversation).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert phone.text("Test Detention") == texted(
        "en", "Your report was not finished within 24 hours and was deleted. Send NEW to start again.")
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(SmsConversation)) == 0


def test_the_simulator_exists_in_development_only(config, place):
    assert create_app(config).test_client().get("/dev/sms").status_code == 404
    dev = BrowserClient(create_app(config.with_changes(env="development")).test_client())
    assert dev.get("/dev/sms").status_code == 200
    page = dev.post("/dev/sms", {"phone": "512 555 0123", "body": "HELP"}, follow_redirects=True)
    assert "STATUS" in page.get_data(as_text=True) and "+15125550123" in page.get_data(as_text=True)
    assert dev.post("/dev/sms", {"phone": "512 555 0123", "body": "HELP"}, csrf=False).status_code == 400


@pytest.mark.parametrize("body, name, language", [
    ("status 26-1234-5678", "STATUS", "en"), ("«Estado» 26-1234-5678", "STATUS", "es"),
    ("Statut : 26-1234-5678", "STATUS", "fr"), ("ESTATI 26-1234-5678", "STATUS", "ht"),
    ("“स्थिति” 26-1234-5678", "STATUS", "hi"), ("অবস্থা 26-1234-5678", "STATUS", "bn"),
    ('"ਸਥਿਤੀ" 26-1234-5678', "STATUS", "pa"), ("حالة: 26-1234-5678", "STATUS", "ar"),
    ("状态26-1234-5678", "STATUS", "zh_Hans"), ("Trạng thái 26-1234-5678", "STATUS", "vi"),
    ("durum 26-1234-5678", "STATUS", "tr"), ("Stare 26-1234-5678", "STATUS", "ro"),
    ("取消关注 26-1234-5678", "UNFOLLOW", "zh_Hans"), ("“नया”", "NEW", "hi"), ("listo", "DONE", "es"),
    ("stop", "STOP", None), ("bonjour", "UNKNOWN", None), ("", "UNKNOWN", None),
])
def test_command_words_in_every_script(body, name, language):
    from sms.commands import case_and_code, parse

    command = parse(body)
    assert (command.name, command.language) == (name, language)
    if "26-1234-5678" in body:
        assert case_and_code(command.arguments)[0] == "2612345678"


def test_first_texts_from_one_new_number_arriving_at_once_are_all_answered(sms_app, case):
    import threading

    number, code = case
    results = []

    def text(n):
        phone = Phone(sms_app, "+15125550777")
        params = {"MessageSid": f"SMrace{n:030d}", "From": phone.number, "Body": f"STATUS {number} {code}"}
        results.append(phone.post("/sms/twilio", params).status_code)

    threads = [threading.Thread(target=text, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 12
    with sms_app.extensions["database"].sessions() as session:
        assert session.scalar(select(func.count()).select_from(SmsInbound)) == 12
        assert session.scalar(select(func.count()).select_from(SmsSender)) == 1


def test_status_dates_are_the_facilitys_local_time_and_name_its_zone(sms_app, case):
    database = sms_app.extensions["database"]
    updated_at = datetime(2026, 11, 23, 3, 30, tzinfo=timezone.utc)  # still the 22nd in Chicago
    with database.transaction() as session:  # the test facility is in America/Chicago (UTC-6 in November)
        session.execute(update(Case).values(updated_at=updated_at, due_at=datetime(2026, 11, 25, 23, 0, tzinfo=timezone.utc)))
    phone = Phone(sms_app, FAMILY)
    open_case = phone.text(f"ESTADO {case[0]}")  # an open case: when the answer is due, to the minute
    assert "25 nov 2026, 17:00 (hora de Chicago)" in open_case and "23:00" not in open_case
    with database.transaction() as session:
        session.execute(update(Case).values(status="resolved", updated_at=updated_at))
    closed = phone.text(f"ESTADO {case[0]}")  # a closed one: the day it was last updated, there
    assert "22 nov 2026" in closed and "23 nov" not in closed
