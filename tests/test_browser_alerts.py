"""An emergency at the kiosk reaches the console pages that are open, in Debian's Chromium."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from kiosk.core.emergencies import BANNER_LIMIT
from kiosk.core.models import Case, EmergencyAlert, utcnow
from tests.helpers import PASSWORD, filed_case, staff_id
from tests.test_staff_alert_banner import old_alerts

pytestmark = pytest.mark.browser


def console_page(browser, live, path):
    """A tab of the console at path, marked so that a reload would show (the mark would be gone)."""
    tab = browser.new_page()
    tab.errors = []  # a script refused by the CSP or failing, a request refused
    tab.on("console", lambda message: message.type == "error" and "Failed to load resource" not in message.text
           and tab.errors.append(message.text))
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.on("response", lambda response: response.status >= 400 and tab.errors.append(response.url))
    tab.goto(f"{live.url}{path}")
    if "/staff/sign-in" in tab.url:
        tab.fill("#username", "chris")
        tab.fill("#password", PASSWORD)
        tab.get_by_role("button", name="Sign in").click()
        tab.goto(f"{live.url}{path}")
    tab.evaluate("window.notReloaded = true")
    return tab


def test_an_emergency_at_the_kiosk_shows_on_open_console_pages_until_acknowledged(
        browser, live, page, people, database):
    first = console_page(browser, live, "/staff/emergencies")
    second = console_page(browser, live, "/staff/emergencies")
    assert first.locator("#alerts").is_hidden() and second.locator("#alerts").is_hidden()

    # A detainee at the kiosk of unit A-1 says it is a medical emergency.
    page.get_by_role("link", name="English").tap()
    page.get_by_role("link", name="Make a complaint").tap()
    page.get_by_role("button", name="Without my name").tap()
    page.wait_for_url("**/file/category")
    page.locator("button.choice[value=medical]").tap()
    page.locator("button.choice[value=yes]").tap()
    page.wait_for_url("**/file/emergency**")
    number = filed_case(database).number

    for tab in (first, second):
        tab.wait_for_selector(f"#alerts li:has-text('{number}')")  # by the poll: nobody reloads
        row = tab.locator("#alerts li")
        assert row.count() == 1 and "TST" in row.inner_text() and "Medical emergency" in row.inner_text()
        assert tab.locator("#alerts li a").get_attribute("href") == f"/staff/case/{number}"

    first.locator("#alerts").get_by_role("button", name="Acknowledge").click()
    first.wait_for_selector("#alerts", state="hidden")
    assert f"Emergency alert of case {number} acknowledged" in first.locator("#alerts-status").inner_text()
    second.wait_for_selector("#alerts", state="hidden")
    assert first.evaluate("window.notReloaded") is True and second.evaluate("window.notReloaded") is True
    assert first.errors == [] and second.errors == []
    with database.sessions() as session:
        alert = session.scalars(select(EmergencyAlert)).one()
        assert alert.acknowledged_by_id == staff_id(database, "chris") and alert.acknowledged_at is not None
    first.close()
    second.close()


def test_the_line_about_older_alerts_follows_the_poll(browser, live, people, database):
    """The banner shows the newest BANNER_LIMIT alerts; the poll redraws the line about the rest."""
    browser.clear_cookies()
    numbers = old_alerts(database, people["TST"], BANNER_LIMIT, 1000)
    tab = console_page(browser, live, "/staff/emergencies")
    more = tab.locator("#alerts-more")
    assert tab.locator("#alerts li").count() == BANNER_LIMIT and more.is_hidden()

    numbers += old_alerts(database, people["TST"], 2, 2000)  # two more, nobody reloads
    more.wait_for(state="visible")
    assert more.inner_text() == "And 2 older alerts not yet acknowledged: see Emergencies."
    assert more.locator("a").get_attribute("href") == "/staff/emergencies"
    assert tab.locator("#alerts li a").all_inner_texts() == numbers[-BANNER_LIMIT:]

    with database.transaction() as session:  # someone acknowledges the oldest one elsewhere
        session.execute(update(EmergencyAlert).where(EmergencyAlert.case_id == select(Case.id).where(
            Case.number == numbers[0]).scalar_subquery()).values(acknowledged_at=utcnow()))
    tab.wait_for_selector("#alerts-older:text-is('1 older alert')")
    assert more.inner_text() == "And 1 older alert not yet acknowledged: see Emergencies."

    with database.transaction() as session:
        session.execute(update(EmergencyAlert).where(EmergencyAlert.case_id == select(Case.id).where(
            Case.number == numbers[1]).scalar_subquery()).values(acknowledged_at=utcnow()))
    more.wait_for(state="hidden")
    assert tab.locator("#alerts li").count() == BANNER_LIMIT
    assert tab.evaluate("window.notReloaded") is True and tab.errors == []
    tab.close()
