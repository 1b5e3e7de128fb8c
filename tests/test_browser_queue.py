"""The triage queue in Debian's Chromium: a case manager takes a case in one click, the filter bar works
in a phone-sized window, and the page's reload never throws away filters being chosen."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from kiosk.core.identifiers import case_number
from kiosk.core.models import Case, SavedFilter
from tests.helpers import PASSWORD, ROUTINE, add_case, create_staff, staff_id

pytestmark = pytest.mark.browser

# What sticks out of the window sideways: the page itself, or any element of it.
OVERFLOW = """() => {
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && (r.right > innerWidth + 1 || r.left < -1);
  }).map((el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : ''));
  return {scroll: document.documentElement.scrollWidth, width: innerWidth, wide: wide.slice(0, 10)};
}"""


@pytest.fixture
def console(browser, live, app, place):
    """A tab signed in to the console as Chris, a case manager of TST."""
    create_staff(app, "chris", "case_manager", ["TST"], display_name="Chris Case")
    browser.clear_cookies()
    tab = browser.new_page()
    tab.goto(f"{live.url}/staff/")
    tab.fill("#username", "chris")
    tab.fill("#password", PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    yield tab
    tab.close()


def test_a_case_manager_takes_a_case_from_the_queue(console, database, place):
    number, other = case_number(26, 81), case_number(26, 82)
    add_case(database, place["facility_id"], number, "medical", ROUTINE)
    add_case(database, place["facility_id"], other, "food", ROUTINE)
    console.reload()
    row = console.locator("table.queue tr", has=console.get_by_role("link", name=number))
    assert "nobody" in row.inner_text()
    row.get_by_role("button", name=f"Take case {number}").click()
    assert console.get_by_text(f"You have case {number} now.").is_visible()
    row = console.locator("table.queue tr", has=console.get_by_role("link", name=number))
    assert "Chris Case" in row.inner_text() and row.get_by_role("button", name=f"Release case {number}").is_visible()
    assert console.get_by_role("button", name=f"Take case {other}").is_visible()  # the other one is still free
    with database.sessions() as session:
        assert session.scalar(select(Case.assigned_to_id).where(Case.number == number)) == staff_id(database, "chris")
    console.get_by_role("link", name=number).click()  # the case page says so, and can give it back
    console.get_by_role("button", name=f"Release case {number}").click()
    assert console.get_by_text(f"Case {number} is back in the queue, unassigned.").is_visible()
    with database.sessions() as session:
        assert session.scalar(select(Case.assigned_to_id).where(Case.number == number)) is None


def test_the_queue_and_its_filter_bar_work_in_a_phone_sized_window(console, database, place):
    for n, category in ((91, "medical"), (92, "food"), (93, "medical")):
        add_case(database, place["facility_id"], case_number(26, n), category, ROUTINE, hours_ago=30,
                 words="Una queja larga " * 20)
    console.set_viewport_size({"width": 390, "height": 844})
    console.reload()
    fits = console.evaluate(OVERFLOW)
    assert fits["scroll"] <= fits["width"] and fits["wide"] == [], fits
    console.select_option("select[name=category]", "medical")
    console.get_by_label("overdue").check()
    console.get_by_label("overdue").uncheck()
    console.get_by_role("button", name="Filter").click()
    assert "category=medical" in console.url
    assert console.locator("table.queue tbody tr").count() == 2
    console.get_by_label("Save these filters as").fill("Medical at TST")
    console.get_by_role("button", name="Save", exact=True).click()
    assert console.get_by_text("Filter “Medical at TST” saved").is_visible()
    console.get_by_role("link", name="Clear filters").click()
    assert console.locator("table.queue tbody tr").count() == 3
    console.get_by_role("link", name="Medical at TST").click()
    assert console.locator("table.queue tbody tr").count() == 2
    fits = console.evaluate(OVERFLOW)
    assert fits["scroll"] <= fits["width"] and fits["wide"] == [], fits
    # Every control of the filter bar is in the window and large enough to touch.
    for control in console.locator(".filters select, .filters button, .save-filter input[name=name], .save-filter button").all():
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 24, box
    with database.sessions() as session:
        assert session.scalars(select(SavedFilter.query)).all() == ["category=medical"]


def test_the_queue_reloads_itself_but_not_under_someone_choosing_filters(console, database, place):
    console.clock.install()
    console.goto(console.url.split("?")[0] + "?category=medical")  # a filter in force: the save form shows
    console.get_by_label("Save these filters as").fill("Half typed")
    console.clock.run_for(95_000)  # three reloads' worth
    assert console.get_by_label("Save these filters as").input_value() == "Half typed"
    # Left alone, it reloads: a case filed meanwhile appears.
    console.goto(console.url)
    number = case_number(26, 99)
    add_case(database, place["facility_id"], number, "medical", ROUTINE)
    assert console.get_by_role("link", name=number).count() == 0
    console.clock.run_for(31_000)
    expect(console.get_by_role("link", name=number)).to_be_visible()
