"""A kiosk that stops talking is shown on the case manager's console, in Debian's Chromium, and the
notice goes once the kiosk talks again. Clocks are set forward (the web process's heartbeat clock,
the worker's), never waited for."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.core.models import Kiosk
from tests.browser import kiosk_counting_down
from tests.helpers import PASSWORD, check_kiosks, facility_morning

pytestmark = pytest.mark.browser

MINUTE = timedelta(minutes=1)


def heard_at(app, moment):
    app.extensions["kiosk_heartbeats"].clock = lambda: moment


def test_a_silent_kiosk_is_shown_on_the_console_until_it_talks_again(browser, live, page, app, people):
    morning = facility_morning()
    heard_at(app, morning)
    page.reload()  # the kiosk's language screen, as its idle countdown reloads it: heard at 10:00
    console = browser.new_page()
    console.goto(f"{live.url}/staff/")
    console.fill("#username", "chris")
    console.fill("#password", PASSWORD)
    console.get_by_role("button", name="Sign in").click()
    console.wait_for_url("**/staff/")
    assert console.locator("#silent-kiosks").count() == 0

    assert check_kiosks(app, morning + 29 * MINUTE) == []  # the worker's look, a minute before
    assert len(check_kiosks(app, morning + 31 * MINUTE)) == 1  # and a minute after half an hour

    console.reload()
    notice = console.locator("#silent-kiosks")
    assert notice.get_by_role("heading").inner_text() == "A kiosk is not working"
    said = notice.inner_text()
    assert "TST, unit A-1: kiosk A-1." in said and "Last seen" in said and " 10:00 C" in said  # CST or CDT
    assert notice.is_visible()

    # Nothing of it on the kiosk, which talks again: someone chooses a language.
    heard_at(app, morning + 32 * MINUTE)
    assert "not working" not in page.content() and "silent" not in page.content().lower()
    page.get_by_role("link", name="English").tap()
    page.wait_for_url("**/kiosk/home")

    console.reload()
    assert console.locator("#silent-kiosks").count() == 0
    console.close()


def test_an_unused_kiosk_keeps_talking_by_itself(browser, config, database, place):
    """Nobody touches the language screen: its idle countdown asks the server again each time it ends,
    and that is a heartbeat. (A 6-second countdown; the silent time must be twice it.)"""
    with kiosk_counting_down(browser, config, database, seconds=6) as (app, server, tab):
        later = facility_morning()
        heard_at(app, later)
        # The countdown ends by itself: /kiosk/timeout, back to the language screen. (Waited for to
        # its end: a tab closed mid-navigation can hang Playwright's close.)
        with tab.expect_response(f"{server.url}/kiosk/timeout", timeout=15_000), \
                tab.expect_navigation(url=f"{server.url}/kiosk/", timeout=15_000):
            pass
        with database.sessions() as session:
            assert session.scalar(select(Kiosk.last_seen_at)) == later
