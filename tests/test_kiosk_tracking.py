"""Following a complaint: PIN-protected tracking, lockout, and who else may follow it."""
from __future__ import annotations

import re

import pytest

from sqlalchemy import select

from kiosk.core.credentials import digest
from kiosk.core.models import AuditEntry, Case, CaseEvent, ShareCode, TrustedContact
from tests.helpers import CSRF, add_reply, enrolled_kiosk, file_complaint, filed_case, track, translated


def test_tracking_by_a_number_shows_status_and_replies_in_the_language(kiosk, database):
    file_complaint(kiosk, language="es", a_number="201234567", pin="2468")
    case = filed_case(database)
    add_reply(database, case.id, "Hablamos con el médico del centro.")
    kiosk.choose_language("es")
    page = track(kiosk, "201234567", "2468")
    assert page.request.path == f"/kiosk/case/{case.number}"
    text = page.get_data(as_text=True)
    assert translated("es", "A case manager is checking it") in text
    assert "Hablamos con el médico del centro." in text
    assert "internal note" not in text
    with database.sessions() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "case.tracked")).case_id == case.id


def test_tracking_by_case_number_works_for_an_anonymous_complaint(kiosk, database):
    file_complaint(kiosk, language="ar", a_number=None, pin="13579")
    case = filed_case(database)
    page = track(kiosk, case.number.replace("-", ""), "13579", language="ar")
    assert page.request.path == f"/kiosk/case/{case.number}"
    text = page.get_data(as_text=True)
    assert 'dir="rtl"' in text and case.number in text
    assert translated("ar", "Received") in text


def test_only_the_cases_whose_pin_matches_are_opened(kiosk, database):
    file_complaint(kiosk, a_number="201234567", pin="1357", category="food")
    first = filed_case(database)
    kiosk.get("/kiosk/finish")
    file_complaint(kiosk, a_number="201234567", pin="8642", category="property")
    page = track(kiosk, "201234567", "1357")
    assert page.request.path == f"/kiosk/case/{first.number}"
    assert kiosk.get(f"/kiosk/case/{filed_case(database).number}").status_code == 404


def test_a_wrong_pin_and_an_unknown_number_look_the_same(kiosk, database):
    file_complaint(kiosk, a_number="201234567", pin="2468")
    kiosk.choose_language("es")
    wrong_pin, unknown = track(kiosk, "201234567", "0000"), track(kiosk, "209999999", "0000")
    assert wrong_pin.request.path == unknown.request.path == "/kiosk/track/pin"
    message = translated("es", "The number or the PIN is not right. Please try again.")
    assert message in wrong_pin.get_data(as_text=True)
    # Byte for byte the same page, but for the form's CSRF token.
    assert CSRF.sub("", wrong_pin.get_data(as_text=True)) == CSRF.sub("", unknown.get_data(as_text=True))


def test_wrong_pins_typed_for_someone_elses_case_do_not_keep_them_out(app, kiosk, database):
    """Someone who read another person's case number types wrong PINs at their kiosk: that kiosk
    slows down for that case; the owner, at the kiosk of another housing unit, opens it at once."""
    file_complaint(kiosk, a_number="201234567", pin="2468")
    case = filed_case(database)
    for _ in range(10):
        page = track(kiosk, case.number, "0000")
    assert page.request.path == "/kiosk/track/pin"
    owner = enrolled_kiosk(app, "B-2")
    assert track(owner, case.number, "2468").request.path == f"/kiosk/case/{case.number}"
    with database.sessions() as session:
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "case.pin_locked")) is None
        assert session.get(Case, case.id).pin_locked_until is None


def test_a_case_not_opened_in_this_session_is_not_shown(kiosk, database):
    file_complaint(kiosk)
    case = filed_case(database)
    kiosk.get("/kiosk/finish")
    assert kiosk.get(f"/kiosk/case/{case.number}").status_code == 404
    assert kiosk.get("/kiosk/receipt", follow_redirects=True).request.path == "/kiosk/home"


def test_trusted_numbers_are_added_and_removed_from_the_receipt(kiosk, database):
    file_complaint(kiosk)
    case = filed_case(database)
    kiosk.get("/kiosk/receipt")
    page = kiosk.post(f"/kiosk/case/{case.number}/contacts", {"phone": "512 555 0199"}, follow_redirects=True)
    assert "•••• 0199" in page.get_data(as_text=True)
    kiosk.post(f"/kiosk/case/{case.number}/contacts", {"phone": "not a phone"}, follow_redirects=True)
    assert translated("es", "This phone number is not right. Please check it.") in kiosk.text
    with database.sessions() as session:
        contact = session.scalars(select(TrustedContact)).one()
        assert contact.phone == "+15125550199" and contact.revoked_at is None
    kiosk.post(f"/kiosk/case/{case.number}/contacts/{contact.id}/remove", follow_redirects=True)
    with database.sessions() as session:
        assert session.scalars(select(TrustedContact)).one().revoked_at is not None
        kinds = session.scalars(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)).all()
        assert "contact_added" in kinds and "contact_revoked" in kinds


def test_a_share_code_is_shown_once_stored_hashed_and_can_be_stopped(kiosk, database):
    file_complaint(kiosk)
    case = filed_case(database)
    page = kiosk.post(f"/kiosk/case/{case.number}/share-codes", follow_redirects=True).get_data(as_text=True)
    shown = page.split('<p class="case-number" dir="ltr">')[2].split("</p>")[0]
    code = shown.replace(" ", "")
    assert len(code) == 8 and code.isdigit()
    with database.sessions() as session:
        share = session.scalars(select(ShareCode)).one()
        assert share.code_hash == digest(code) and code not in str(share.__dict__.values())
    again = kiosk.get("/kiosk/receipt").get_data(as_text=True)
    assert shown not in again  # shown once only
    kiosk.post(f"/kiosk/case/{case.number}/share-codes/{share.id}/remove", follow_redirects=True)
    with database.sessions() as session:
        assert session.scalars(select(ShareCode)).one().revoked_at is not None


def test_contacts_of_a_case_cannot_be_changed_from_another_session(kiosk, app, database):
    file_complaint(kiosk)
    case = filed_case(database)
    kiosk.get("/kiosk/finish")
    kiosk.get("/kiosk/track")  # a fresh, valid form token of the new session
    page = kiosk.post(f"/kiosk/case/{case.number}/contacts", {"phone": "512 555 0199"})
    assert page.status_code == 404
    with database.sessions() as session:
        assert session.scalars(select(TrustedContact)).all() == []


# --- what family texts, and the person's own words ---------------------------------------

@pytest.mark.parametrize("language, word", [("es", "ESTADO"), ("fr", "STATUT"), ("ar", "حالة"), ("zh_Hans", "状态")])
def test_the_receipt_tells_family_the_word_of_the_detainees_language_and_the_number_left_to_right(
        kiosk, database, language, word):
    receipt = file_complaint(kiosk, language=language, a_number=None, pin="13579").get_data(as_text=True)
    number = filed_case(database).number
    assert f'<bdi class="command">{word} <bdi dir="ltr">{number}</bdi></bdi>' in receipt
    assert "STATUS" not in receipt  # the English word, which a Spanish or Arabic speaker would not know


def test_a_new_share_code_comes_with_the_whole_text_to_send_in_the_detainees_language(kiosk, database):
    file_complaint(kiosk, language="ar", a_number=None, pin="13579")
    number = filed_case(database).number
    page = kiosk.post(f"/kiosk/case/{number}/share-codes", follow_redirects=True).get_data(as_text=True)
    code = page.split('<p class="case-number" dir="ltr">')[2].split("</p>")[0].replace(" ", "")
    assert f'<bdi class="command">حالة <bdi dir="ltr">{number} {code}</bdi></bdi>' in page


def test_the_text_the_receipt_shows_gets_the_status_when_family_sends_it(sms_app):
    from kiosk.core import contacts
    from tests.helpers import FAMILY, Phone, enrolled_kiosk

    receipt = file_complaint(enrolled_kiosk(sms_app), language="ar", a_number=None, pin="13579").get_data(as_text=True)
    database = sms_app.extensions["database"]
    with database.transaction() as session:
        contacts.add_trusted_contact(session, session.scalars(select(Case)).one(), FAMILY, actor="test")
    shown = re.search(r'<bdi class="command">(.*?)</bdi></bdi>', receipt).group(1)
    typed = re.sub(r"<[^>]+>", "", shown)  # what the person reads off the screen and types
    reply = Phone(sms_app, FAMILY).text(typed)
    assert reply.startswith("الشكوى " + filed_case(database).number)


def test_the_tracking_screen_shows_the_persons_own_words_isolated_and_escaped(kiosk, database):
    words = "<b>El médico</b> no vino.\nالطبيب لم يأت."
    file_complaint(kiosk, language="es", a_number=None, pin="13579", words=words)
    page = track(kiosk, filed_case(database).number, "13579").get_data(as_text=True)
    assert ('<p class="words" dir="auto">&lt;b&gt;El médico&lt;/b&gt; no vino.\nالطبيب لم يأت.</p>') in page
    assert "<b>El médico" not in page
