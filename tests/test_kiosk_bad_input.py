"""Garbage in any field gets a clear message in the chosen language and changes nothing."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.core.models import Case
from tests.helpers import (
    answer_protection, choose_pin, count, draft_of, file_complaint, start_filing, track, translated,
)


def up_to_the_pin(kiosk, language="es"):
    start_filing(kiosk, language, category="food")
    for key, value in {"urgent": "no", "since": "today", "raised_with_facility": "not_yet"}.items():
        kiosk.post(f"/kiosk/file/question/{key}", {"choice": value})


def up_to_words(kiosk, language="es"):
    up_to_the_pin(kiosk, language)
    choose_pin(kiosk)


@pytest.mark.parametrize("typed", ["1234567", "1234567890", "12345678x", "", "١٢٣٤٥٦٧٨", "<b>12345678</b>", "9" * 5000])
def test_a_malformed_a_number_is_refused_in_spanish(kiosk, database, typed):
    kiosk.choose_language("es")
    kiosk.get("/kiosk/file", follow_redirects=True)
    page = kiosk.post("/kiosk/file/who", {"a_number": typed})
    assert page.status_code == 200 and page.request.path == "/kiosk/file/who"  # the same screen, again
    assert translated("es", "An A-number has 8 or 9 digits. Please try again.") in kiosk.text
    assert draft_of(database) == {}


@pytest.mark.parametrize("typed", ["123", "1234567", "12a4", "", "１２３４"])
def test_a_malformed_pin_is_refused_in_arabic(kiosk, database, typed):
    up_to_the_pin(kiosk, "ar")
    kiosk.post("/kiosk/file/pin", {"pin": typed})
    assert translated("ar", "A PIN has 4, 5 or 6 digits. Please try again.") in kiosk.text
    assert "pin_hash" not in draft_of(database)


@pytest.mark.parametrize("typed", ["0000", "8888", "1111", "1234", "4321", "98765", "012345", "7890", "3210"])
def test_a_pin_anyone_would_guess_is_refused_with_a_reason_in_arabic(kiosk, database, typed):
    up_to_the_pin(kiosk, "ar")
    page = kiosk.post("/kiosk/file/pin", {"pin": typed})
    assert page.status_code == 200 and page.request.path == "/kiosk/file/pin"  # the same screen, again
    assert translated("ar", "Anyone could guess this PIN. Choose numbers that are not all the same and not in a "
                            "row like 1234.") in kiosk.text
    assert "pin_hash" not in draft_of(database)


@pytest.mark.parametrize("typed", ["2468", "1357", "13579", "1235", "0852", "5170"])
def test_a_pin_that_is_not_a_first_guess_is_taken(kiosk, database, typed):
    up_to_the_pin(kiosk)
    page = kiosk.post("/kiosk/file/pin", {"pin": typed})
    assert page.status_code == 302 and page.headers["Location"].endswith("/kiosk/file/pin-again")
    assert "pin_hash" in draft_of(database)


def test_a_pin_chosen_before_the_rule_still_opens_its_case(kiosk, database, app, place):
    from kiosk.core.identifiers import case_number
    from kiosk.core.models import Case, utcnow
    from kiosk.core.triage import triage

    decision = triage("food", {})
    with database.transaction() as session:
        session.add(Case(number=case_number(26, 1234), facility_id=place["facility_id"], language="es",
                         category="food", answers={}, description="", priority=decision.priority,
                         due_at=decision.due_at(utcnow()), pin_hash=app.extensions["secret_hasher"].hash("1234")))
    assert track(kiosk, case_number(26, 1234), "1234").request.path == f"/kiosk/case/{case_number(26, 1234)}"


def test_two_different_pins_send_the_person_back_to_choose_again(kiosk, database):
    up_to_the_pin(kiosk)
    kiosk.post("/kiosk/file/pin", {"pin": "3719"})
    page = kiosk.post("/kiosk/file/pin-again", {"pin": "9173"}, follow_redirects=True)
    assert page.request.path == "/kiosk/file/pin"
    assert translated("es", "The two PINs were not the same. Please choose your PIN again.") in kiosk.text
    assert "pin_hash" not in draft_of(database)


def test_a_choice_that_was_not_offered_is_refused(kiosk, database):
    up_to_words(kiosk)
    kiosk.post("/kiosk/file/category", {"choice": "<script>"})
    assert translated("es", "Please tap one of the pictures.") in kiosk.text
    assert draft_of(database)["category"] == "food"
    kiosk.post("/kiosk/file/question/urgent", {"choice": "maybe"})
    assert translated("es", "Please tap one of the pictures.") in kiosk.text
    assert draft_of(database)["answers"]["urgent"] == "no"


def test_an_unknown_question_is_a_page_that_does_not_exist(kiosk):
    up_to_words(kiosk)
    page = kiosk.get("/kiosk/file/question/../../etc/passwd")
    assert page.status_code == 404
    page = kiosk.get("/kiosk/file/question/nonsense")
    assert page.status_code == 404
    assert translated("es", "This page does not exist.") in kiosk.text


def test_a_complaint_over_5000_characters_is_refused_and_5000_is_kept(kiosk, database):
    up_to_words(kiosk)
    kiosk.post("/kiosk/file/words", {"description": "ñ" * 5001})
    assert translated("es", "Your text is too long. Please make it shorter.") in kiosk.text
    assert "description" not in draft_of(database)
    kiosk.post("/kiosk/file/words", {"description": "ñ" * 5000})
    assert draft_of(database)["description"] == "ñ" * 5000


def test_a_body_far_too_large_is_refused_cleanly(kiosk, database):
    up_to_words(kiosk)
    page = kiosk.post("/kiosk/file/words", {"description": "x" * 400_000})
    assert page.status_code == 413
    assert translated("es", "Your text is too long. Please make it shorter.") in kiosk.text
    assert "description" not in draft_of(database)


def test_an_unknown_language_code_falls_back_to_the_default(kiosk, database):
    page = kiosk.get("/kiosk/language/xx-evil<script>", follow_redirects=True)
    assert page.request.path == "/kiosk/"
    assert '<html lang="en" dir="ltr">' in kiosk.text
    assert "This language is not available. Please choose from the list." in kiosk.text
    assert "<script>" not in kiosk.text.split("<main>")[1]


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_a_form_without_a_valid_csrf_token_changes_nothing(kiosk, database, token):
    kiosk.choose_language("es")
    kiosk.get("/kiosk/file", follow_redirects=True)
    data = {"a_number": "201234567"}
    if token is not None:
        data["csrf_token"] = token
    page = kiosk.post("/kiosk/file/who", data, csrf=False)
    assert page.status_code == 400
    assert translated("es", "This page was too old. Nothing was saved. Please start again.") in kiosk.text
    assert draft_of(database) == {}


def test_a_form_replayed_from_a_finished_session_changes_nothing(kiosk, database):
    up_to_words(kiosk)
    kiosk.get("/kiosk/file/words")
    old_token = kiosk.csrf_token
    kiosk.get("/kiosk/finish")
    kiosk.choose_language("ar")  # the next person
    page = kiosk.post("/kiosk/file/words", {"description": "replayed", "csrf_token": old_token}, csrf=False)
    assert page.status_code == 400
    assert translated("ar", "This page was too old. Nothing was saved. Please start again.") in kiosk.text
    assert draft_of(database) == {}  # the next person's session holds nothing of the replay


def test_a_send_with_a_made_up_submission_token_files_nothing(kiosk, database):
    up_to_words(kiosk)
    kiosk.post("/kiosk/file/words", {"description": "hola"})
    answer_protection(kiosk)
    kiosk.post("/kiosk/file/review", {"submission": "guessed"})
    assert count(database, Case) == 0
    assert draft_of(database)["description"] == "hola"


HOSTILE = (
    "<script>alert('x')</script><img src=x onerror=alert(1)> "
    "\u202eevil\u202c \u2066isolate\u2069 \x07 control "
    + "A" * 3000
)


def test_hostile_text_is_stored_exactly_and_shown_inert(kiosk, database):
    file_complaint(kiosk, words=HOSTILE)
    with database.sessions() as session:
        stored = session.scalars(select(Case.description)).one()
    # Stored exactly as typed, but for control characters no keyboard types.
    assert stored == HOSTILE.replace("\x07", "")
    assert "\u202eevil\u202c" in stored


def test_a_nul_anywhere_is_refused_in_the_language_and_changes_nothing(kiosk, database):
    """PostgreSQL text cannot hold a NUL: refused at the edge, the same on both databases."""
    up_to_words(kiosk)
    kiosk.post("/kiosk/file/words", {"description": "hola"})
    page = kiosk.post("/kiosk/file/words", {"description": "ho\x00la"})
    assert page.status_code == 400 and translated("es", "Nothing was saved. Please try again.") in kiosk.text
    assert draft_of(database)["description"] == "hola"
    assert kiosk.get("/kiosk/case/%00").status_code == 400
    assert kiosk.get("/kiosk/file/review?x=%00").status_code == 400


def test_hostile_text_is_escaped_on_the_review_screen(kiosk, database):
    up_to_words(kiosk)
    kiosk.post("/kiosk/file/words", {"description": HOSTILE})
    page = answer_protection(kiosk).get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    # The words sit in an isolated, plaintext-direction block: an override cannot reorder the page.
    assert 'class="words" dir="auto"' in page
