"""Fear of retaliation: asked at filing (kiosk and NEW by text), kept on the case, shown to staff at
the top of the case page and beside the facility contact form, written into each facility contact,
carried by every export. No answer, or no, means the facility is never told who complained."""
from __future__ import annotations

import csv
import io
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kiosk.core import retaliation
from kiosk.core.identifiers import case_number
from kiosk.core.languages import LANGUAGES
from kiosk.core.models import Case, SmsConversation
from sms.commands import YES_NO_WORDS, yes_or_no
from tests.helpers import (
    ROUTINE, STRANGER, Phone, add_case, answer_protection, choose_pin, draft_of, exported_json, file_complaint,
    filed_case, fits_two_segments, signed_in, start_filing, texted, translated,
)

MAY_NAME = "/kiosk/file/protection/may_name"
FEARS = "/kiosk/file/protection/fears_retaliation"
ASK_MAY_NAME = "May we tell the facility the person's name when we ask them to fix this? Reply 1 yes, 2 no."
ASK_FEARS = "Is the person afraid that staff will punish them for complaining? Reply 1 yes, 2 no."
ASK_DESCRIPTION = "Describe the problem. You can send several texts. Send DONE when you have finished."
OURS = case_number(26, 41)


def up_to_the_words(kiosk, a_number="201234567", language="es"):
    start_filing(kiosk, language, a_number, "food")
    for key, value in ROUTINE.items():
        kiosk.post(f"/kiosk/file/question/{key}", {"choice": value})
    choose_pin(kiosk)
    return kiosk.post("/kiosk/file/words", {"description": "La comida llega fría."}, follow_redirects=True)


def back_link(page) -> str:
    text = page.get_data(as_text=True)
    return text.split('class="bar-button back" href="', 1)[1].split('"', 1)[0]


# --- at the kiosk -----------------------------------------------------------------------------

def test_the_answers_are_kept_shown_on_the_review_and_stored_with_the_case(kiosk, database):
    page = up_to_the_words(kiosk)
    assert page.request.path == MAY_NAME and back_link(page) == "/kiosk/file/words"
    page = kiosk.post(MAY_NAME, {"choice": "yes"}, follow_redirects=True)
    assert page.request.path == FEARS and back_link(page) == MAY_NAME
    assert translated("es", "Your answer helps us keep you safe.") in page.text
    review = kiosk.post(FEARS, {"choice": "no"}, follow_redirects=True)
    assert review.request.path == "/kiosk/file/review" and back_link(review) == FEARS
    assert draft_of(database)["protection"] == {"may_name": "yes", "fears_retaliation": "no"}
    assert translated("es", "Tell the facility my name") in review.text
    assert translated("es", "Afraid of punishment") in review.text

    again = kiosk.get(MAY_NAME)  # Back: the answer is shown chosen, and can be changed
    assert 'value="yes" class="choice chosen"' in again.text
    kiosk.post(MAY_NAME, {"choice": "no"})
    kiosk.get("/kiosk/file/review")
    receipt = kiosk.post("/kiosk/file/review", {"submission": kiosk.submission_token()}, follow_redirects=True)
    assert receipt.request.path == "/kiosk/receipt"
    case = filed_case(database)
    assert (case.may_name_to_facility, case.fears_retaliation) == (False, False)
    assert translated("es", "Tell the facility my name") not in receipt.text  # the receipt is as it was


def test_filed_without_a_name_only_the_fear_is_asked_and_nobody_is_named(kiosk, database):
    page = up_to_the_words(kiosk, a_number=None, language="ar")
    assert page.request.path == FEARS and back_link(page) == "/kiosk/file/words"
    assert translated("ar", "Are you afraid that staff will punish you for complaining?") in page.text
    assert kiosk.get(MAY_NAME).status_code == 404  # not a screen of this person's flow
    kiosk.post(FEARS, {"choice": "yes"})
    kiosk.get("/kiosk/file/review")
    kiosk.post("/kiosk/file/review", {"submission": kiosk.submission_token()})
    case = filed_case(database)
    assert (case.may_name_to_facility, case.fears_retaliation) == (False, True)


def test_the_questions_cannot_be_skipped(kiosk, database):
    up_to_the_words(kiosk)
    assert kiosk.get(FEARS).headers["Location"].endswith(MAY_NAME)
    assert kiosk.get("/kiosk/file/review").headers["Location"].endswith(MAY_NAME)
    kiosk.post("/kiosk/file/review", {"submission": draft_of(database)["submission_token"]})
    assert filed_case(database) is None


@pytest.mark.parametrize("choice", ["maybe", "", "sí", "1", "y" * 5000, "yes\r\nLocation: //evil", "\u202eyes"])
def test_an_answer_that_is_not_a_button_is_refused_with_a_sentence_and_changes_nothing(kiosk, database, choice):
    up_to_the_words(kiosk)
    page = kiosk.post(MAY_NAME, {"choice": choice})
    assert page.status_code == 200 and translated("es", "Please tap one of the pictures.") in page.text
    assert "protection" not in draft_of(database)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(choice=st.one_of(st.sampled_from([b"yes", b"no", b"\x00", b"\xff\xfe", b"9" * 5000]), st.binary(max_size=30),
                        st.text(max_size=60).map(lambda t: t.encode("utf-8", "surrogatepass"))))
def test_whatever_is_posted_is_a_step_a_sentence_or_a_400_and_only_yes_or_no_is_kept(kiosk, database, choice):
    if kiosk.get(MAY_NAME).status_code != 200:  # the first example walks to the question; the others stay
        up_to_the_words(kiosk)
    body = urlencode({"choice": choice, "csrf_token": kiosk.csrf_token})
    response = kiosk.client.post(MAY_NAME, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code in (200, 302, 400)
    assert draft_of(database).get("protection", {}).get("may_name") in (None, "yes", "no")


def test_nul_bytes_bad_utf8_and_unknown_questions_get_their_usual_answers(kiosk, database):
    up_to_the_words(kiosk)
    assert kiosk.post(MAY_NAME, {"choice": "ye\x00s"}).status_code == 400
    assert kiosk.client.post(MAY_NAME, data=b"choice=%ff%fe&csrf_token=" + kiosk.csrf_token.encode(),
                             content_type="application/x-www-form-urlencoded").status_code == 200
    for key in ("nope", "9" * 5000, "may_name%00"):
        assert kiosk.get(f"/kiosk/file/protection/{key}").status_code in (400, 404)
    assert "protection" not in draft_of(database)


def test_an_emergency_stored_early_is_not_named_until_the_person_answers(app, kiosk, database, people):
    start_filing(kiosk, "es", "201234567", category="medical")
    kiosk.post("/kiosk/file/question/urgent", {"choice": "yes"})
    early = filed_case(database)
    assert (early.may_name_to_facility, early.fears_retaliation) == (None, None)
    assert not retaliation.may_name(early)
    chris = signed_in(app, "chris")
    assert retaliation.NOT_ASKED in chris.get(f"/staff/case/{early.number}").text
    for key, value in {"since": "today", "raised_with_facility": "told_staff"}.items():
        kiosk.post(f"/kiosk/file/question/{key}", {"choice": value})
    choose_pin(kiosk)
    kiosk.post("/kiosk/file/words", {"description": ""})
    answer_protection(kiosk, may_name=True, fears=True)
    kiosk.post("/kiosk/file/review", {"submission": kiosk.submission_token()})
    done = filed_case(database)
    assert done.id == early.id and (done.may_name_to_facility, done.fears_retaliation) == (True, True)


# --- by text ----------------------------------------------------------------------------------

def reach_the_questions(phone, new_word="NEW"):
    for body in (new_word, "1", "Test Detention", "A 209-876-543", "3", "1"):
        phone.text(body)
    return phone.text("5")  # food


def test_new_by_text_asks_both_questions_and_garbage_asks_again(sms_app):
    phone = Phone(sms_app, STRANGER)
    assert reach_the_questions(phone) == texted("en", ASK_MAY_NAME)
    for garbage in ("maybe", "3", "yes please", "", "\U0001f44d"):
        assert phone.text(garbage) == texted("en", ASK_MAY_NAME), garbage
    assert phone.text("YES") == texted("en", ASK_FEARS)  # an opt-in word elsewhere: here, an answer
    assert phone.text("perhaps") == texted("en", ASK_FEARS)
    assert phone.text("2") == texted("en", ASK_DESCRIPTION)
    with sms_app.extensions["database"].sessions() as session:
        talk = session.get(SmsConversation, STRANGER)
        assert (talk.data["may_name_to_facility"], talk.data["fears_retaliation"]) == (True, False)
    phone.text("The food is spoiled.")
    phone.text("DONE")
    case = filed_case(sms_app.extensions["database"])
    assert (case.may_name_to_facility, case.fears_retaliation) == (True, False)


def test_yes_no_words_of_every_language_answer_and_only_alone():
    for answer, by_language in YES_NO_WORDS.items():
        for language, words in by_language.items():
            for word in words:
                assert yes_or_no(word) is answer and yes_or_no(f" {word.lower()}! ") is answer, (language, word)
    assert yes_or_no("1") is True and yes_or_no("2") is False
    assert {yes_or_no(body) for body in ("no sé", "3", "", None, "\x00", "yes no", "12")} == {None}


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda language: language.code)
def test_the_questions_fit_two_segments_whole_in_every_language(sms_app, language):
    phone = Phone(sms_app, STRANGER)
    phone.text(f"LANG {language.code}")
    asked = [reach_the_questions(phone), phone.text("x"), phone.text("2"), phone.text("1")]
    assert asked == [texted(language.code, ASK_MAY_NAME)] * 2 + [texted(language.code, ASK_FEARS),
                                                                texted(language.code, ASK_DESCRIPTION)]
    for reply in asked:
        assert fits_two_segments(reply) and not reply.endswith("..."), reply


# --- in the console ---------------------------------------------------------------------------

def set_answers(database, number, may_name, fears):
    with database.transaction() as session:
        found = session.scalars(select(Case).where(Case.number == number)).one()
        found.may_name_to_facility, found.fears_retaliation = may_name, fears


@pytest.mark.parametrize("may_name, fears, banner, named", [
    (None, None, f"{retaliation.NOT_ASKED} {retaliation.DO_NOT_NAME}", False),
    (False, True, "Fears retaliation. Do not tell the facility the person's name.", False),
    (False, False, "Do not tell the facility the person's name.", False),
    (True, False, "May be named to the facility.", True),
    (True, True, "Fears retaliation. May be named to the facility.", True),
])
def test_the_case_page_says_it_at_the_top_and_beside_the_facility_contact(app, database, people, may_name, fears,
                                                                          banner, named):
    add_case(database, people["TST"], OURS, "food", ROUTINE)
    set_answers(database, OURS, may_name, fears)
    chris = signed_in(app, "chris")
    text = chris.get(f"/staff/case/{OURS}").text
    kind = "named" if named else "withhold"
    shown = f'<p class="protection {kind}" role="note">{banner.replace(chr(39), "&#39;")}</p>'
    assert text.count(shown) == 2
    assert text.index(shown) < text.index("<h3>Answers</h3>")  # at the top
    assert text.index("<h3>Facility contacts</h3>") < text.rindex(shown) < text.index('name="whom"')


def test_each_facility_contact_says_what_the_facility_could_be_told(app, kiosk, database, people):
    file_complaint(kiosk, a_number="201234567", may_name=False, fears=True)
    number = filed_case(database).number
    chris = signed_in(app, "chris")
    page = chris.get(f"/staff/case/{number}").text
    assert "Do not give the facility the person's name, A-number" in page and "You may tell" not in page
    chris.post(f"/staff/case/{number}/facility-contact", {"whom": "Lt. Moss", "how": "phone", "said": "Noted."})
    [contact] = [e["text"] for e in exported_json(chris, number)["timeline"] if e["kind"] == "facility_contact"]
    assert contact.endswith("\nIdentity: withheld from the facility, the person fears retaliation.")
    assert "201" not in contact

    set_answers(database, number, True, False)
    assert "You may tell the facility who complained: A 201-234-567." in chris.get(f"/staff/case/{number}").text
    chris.post(f"/staff/case/{number}/facility-contact", {"whom": "Lt. Moss", "how": "visit", "said": ""})
    contacts = [e["text"] for e in exported_json(chris, number)["timeline"] if e["kind"] == "facility_contact"]
    assert contacts[1].endswith("\nIdentity: may be named to the facility (A 201-234-567).")


def test_a_reporters_answers_are_marked_as_theirs(sms_app):
    phone = Phone(sms_app, STRANGER)
    reach_the_questions(phone)
    for body in ("2", "1", "The food is spoiled.", "DONE"):
        phone.text(body)
    case = filed_case(sms_app.extensions["database"])
    assert retaliation.protection(case).banner == ("Fears retaliation. Do not tell the facility the person's name. "
                                                   "(The reporter answered for the person.)")
    assert retaliation.protection(case).answered_by == "reporter"


def test_every_export_carries_the_answers(app, database, people):
    add_case(database, people["TST"], OURS, "food", ROUTINE)
    other, never_asked = case_number(26, 42), case_number(26, 43)
    add_case(database, people["TST"], other, "food", ROUTINE)
    add_case(database, people["TST"], never_asked, "food", ROUTINE)
    set_answers(database, OURS, False, True)
    set_answers(database, other, True, False)
    chris = signed_in(app, "chris")
    assert exported_json(chris, OURS)["protection"] == {
        "may_name_to_facility": False, "fears_retaliation": True, "facility_may_be_told_identity": False,
        "answered_by": "detainee", "rule": "Fears retaliation. Do not tell the facility the person's name."}
    assert exported_json(chris, never_asked)["protection"]["facility_may_be_told_identity"] is False
    assert exported_json(chris, never_asked)["protection"]["answered_by"] is None
    printed = chris.get(f"/staff/case/{OURS}/print").text
    assert 'class="protection withhold">Fears retaliation. Do not tell the facility the person&#39;s name.' in printed
    exported = chris.get("/staff/export.csv").get_data(as_text=True).removeprefix("\ufeff")
    header, *rows = csv.reader(io.StringIO(exported))
    by_case = {row[0]: row for row in rows}
    named, fears = header.index("May be named to facility"), header.index("Fears retaliation")
    assert (by_case[OURS][named], by_case[OURS][fears]) == ("no", "yes")
    assert (by_case[other][named], by_case[other][fears]) == ("yes", "no")
    assert (by_case[never_asked][named], by_case[never_asked][fears]) == ("no (not asked)", "not asked")
