"""What a person sees and touches, in Debian's Chromium driven by Playwright."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kiosk.core import staff_accounts
from kiosk.core.models import Case, utcnow
from kiosk.core.triage import triage
from tests.browser import kiosk_counting_down
from tests.helpers import tap_protection_answers, translated

pytestmark = pytest.mark.browser

def tap_digits(page, digits):
    for digit in digits:
        page.locator(f".keypad:visible [data-key='{digit}']").tap()


def next_screen(page):
    page.locator("form.keypad-form button[type=submit], main form button.primary").first.tap()


def test_filing_a_complaint_in_spanish_by_touch(page, live, database):
    page.get_by_role("link", name="Español").tap()
    page.get_by_role("link", name=translated("es", "Make a complaint")).tap()

    tap_digits(page, "201234567")
    assert page.locator("#a_number").input_value() == "201234567"
    next_screen(page)
    page.wait_for_url("**/file/category")

    page.locator("button.choice[value=food]").tap()
    page.locator("button.choice[value=no]").tap()          # urgent now?
    page.locator("button.choice[value=this_week]").tap()   # since when?
    page.locator("button.choice[value=told_staff]").tap()  # told staff?
    page.wait_for_url("**/file/pin")
    tap_digits(page, "2468")
    next_screen(page)
    page.wait_for_url("**/file/pin-again")
    tap_digits(page, "2468")
    next_screen(page)
    page.wait_for_url("**/file/words")

    # Type "comida fría" on the on-screen keyboard: Spanish has í on its first layer.
    for letter in "comida":
        page.locator(f"#keyboard [data-k='{letter}']").tap()
    page.locator("#keyboard [data-a='sp']").tap()
    for letter in "fría":
        page.locator(f"#keyboard [data-k='{letter}']").tap()
    assert page.locator("#words").input_value() == "comida fría"
    assert page.locator("#words-count").inner_text().startswith("11")
    page.locator("form.words-form button[type=submit]").tap()

    page.wait_for_url("**/file/protection/may_name")
    assert translated("es", "If you say no, we will not tell them who you are.") in page.locator("main").inner_text()
    page.locator("button.choice[value=no]").tap()
    page.wait_for_url("**/file/protection/fears_retaliation")
    page.locator("button.choice[value=yes]").tap()
    page.wait_for_url("**/file/review")
    assert "comida fría" in page.locator(".review").inner_text()
    # Back from the review reaches the last question with its answer shown as chosen.
    page.locator(".bar .back").tap()
    page.wait_for_url("**/file/protection/fears_retaliation")
    assert page.locator("button.choice.chosen").get_attribute("value") == "yes"
    page.locator("button.choice[value=yes]").tap()
    page.wait_for_url("**/file/review")
    page.locator("form.send button").tap()
    page.wait_for_url("**/receipt")
    number = page.locator(".case-number").first.inner_text()

    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
    assert case.number == number
    assert case.description == "comida fría" and case.language == "es"
    assert case.answers == {"urgent": "no", "since": "this_week", "raised_with_facility": "told_staff"}
    assert (case.may_name_to_facility, case.fears_retaliation) == (False, True)

    # "Finish" leaves nothing: the browser's back button shows no previous screen.
    page.get_by_role("link", name=translated("es", "Finish")).first.tap()
    page.wait_for_url(f"{live.url}/kiosk/")
    assert page.evaluate("document.documentElement.lang") == "en"  # not even the language is left
    page.go_back()
    assert number not in page.content()


def test_arabic_renders_right_to_left(page):
    page.get_by_role("link", name="العربية").tap()
    page.wait_for_url("**/kiosk/home")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('main')).direction") == "rtl"
    # The layout mirrors: "back" sits on the right, "finish" on the left.
    back = page.locator(".bar .back").bounding_box()
    finish = page.locator(".bar .finish").bounding_box()
    assert back["x"] > finish["x"]
    assert translated("ar", "Make a complaint") in page.locator("main").inner_text()


def test_touch_targets_are_at_least_64_pixels(page):
    page.get_by_role("link", name="English").tap()
    page.get_by_role("link", name="Make a complaint").tap()
    page.wait_for_url("**/file/who")
    for locator in (page.locator(".keypad .key"), page.locator("main .button"), page.locator(".bar-button")):
        boxes = [locator.nth(i).bounding_box() for i in range(locator.count())]
        assert boxes, locator  # the screen has them: none measured would prove nothing
        for box in boxes:
            assert box["height"] >= 64 and box["width"] >= 64


def test_a_double_tap_on_send_files_one_case(page, database):
    page.get_by_role("link", name="English").tap()
    page.get_by_role("link", name="Make a complaint").tap()
    page.locator("form.or button").tap()  # without my name
    page.locator("button.choice[value=property]").tap()
    for value in ("no", "today", "not_yet"):
        page.locator(f"button.choice[value={value}]").tap()
    for _ in range(2):
        tap_digits(page, "3719")
        next_screen(page)
    page.locator("form.words-form button[type=submit]").tap()
    tap_protection_answers(page)
    page.locator("form.send button").dblclick()
    page.wait_for_url("**/receipt")
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_an_idle_kiosk_counts_down_and_clears_itself(browser, config, database, place):
    with kiosk_counting_down(browser, config, database, seconds=6) as (_app, server, tab):
        tab.get_by_role("link", name="Español").tap()
        tab.get_by_role("link", name=translated("es", "Make a complaint")).tap()
        tap_digits(tab, "201234567")
        tab.locator("[data-still-there]").wait_for(state="visible", timeout=10_000)
        tab.wait_for_url(f"{server.url}/kiosk/", timeout=10_000)
        # The language picker for the next person, with no trace of this one's language.
        assert tab.evaluate("document.documentElement.lang") == "en"
        assert translated("es", "Finish") not in tab.content()
        assert tab.get_by_role("link", name="Español").is_visible()


def test_a_case_manager_works_an_emergency_case_in_the_console(browser, live, database, app, place):
    answers = {"urgent": "yes", "since": "today", "raised_with_facility": "told_staff"}
    decision = triage("medical", answers)
    with database.transaction() as session:
        staff_accounts.create(session, app.extensions["secret_hasher"], username="chris", display_name="Chris",
                              role="case_manager", password="correct horse battery", facility_codes=["TST"],
                              actor="test")
        session.add(Case(number="26-0000-0024", facility_id=place["facility_id"], language="en",
                            category="medical", answers=answers, description="I have chest pain since last night.",
                            is_emergency=True, priority=decision.priority, due_at=decision.due_at(utcnow())))
    browser.clear_cookies()
    tab = browser.new_page()
    tab.goto(f"{live.url}/staff/")
    tab.fill("#username", "chris")
    tab.fill("#password", "correct horse battery")
    tab.get_by_role("button", name="Sign in").click()
    assert tab.locator("tr.emergency").count() == 1
    tab.get_by_role("link", name="26-0000-0024").click()
    assert "I have chest pain since last night." in tab.content()
    tab.fill("input[name=whom]", "Nurse Diaz")
    tab.fill("input[name=how]", "phone")
    tab.fill("textarea[name=said]", "A doctor will see her at noon.")
    tab.get_by_role("button", name="Record contact").click()
    tab.fill("textarea[name=reply]", "A doctor will see you at noon today.")
    tab.get_by_role("button", name="Save reply for translation").click()
    tab.get_by_role("button", name="Release the reply").click()  # written in English: nothing to translate
    for status, reason in (("in_review", ""), ("resolved", "Seen by the doctor at noon.")):
        tab.select_option("select[name=status]", status)
        tab.fill("input[name=reason]", reason)
        tab.get_by_role("button", name="Change status").click()
    assert "Status changed." in tab.content()
    with database.sessions() as session:
        found = session.scalars(select(Case)).one()
        kinds = [e.kind for e in found.events]
        assert found.status == "resolved" and "facility_contact" in kinds
        assert any(e.kind == "reply" and e.visible_to_detainee for e in found.events)
    tab.close()
