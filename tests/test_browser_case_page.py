"""The case page in Debian's Chromium: a case manager summarises a case a relative reported by text,
answers it, sees who will receive what, releases it, and the relative's phone receives the
translated answer (at the local fake Twilio). Two columns on a desktop, one on a narrow window,
and nothing spills sideways, not even a reply without a single space."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from kiosk.core import case_translations
from kiosk.core.models import Case, CaseEvent, SmsOutbound
from sms import replies
from tests.argos_package import build_package
from tests.browser import serve
from tests.helpers import FAMILY, PASSWORD, Kioskctl, report_by_text, run_worker

pytestmark = pytest.mark.browser

REPLY = "A dentist will see your brother on Friday. His file: https://example.org/records/" + "a" * 400
SUMMARY = "Toothache for a week; no dentist yet.\nClinic says it never got the request."


@pytest.fixture(scope="module")
def english_to_spanish(tmp_path_factory):
    """A tiny but genuine en->es package: what it writes is nonsense, but it is a machine's translation."""
    return build_package(tmp_path_factory.mktemp("argos"), "en", "es", version="1.0", seed=3)


@pytest.fixture
def console(sms_app, people):
    """The app with Twilio pointed at the fake, served on loopback, with the test's staff accounts."""
    server = serve(sms_app)
    yield server
    server.stop()


def boxes(tab):
    said = tab.locator("section.case-said").bounding_box()
    done = tab.locator("section.case-done").bounding_box()
    return said, done


NOTHING_SPILLS = """() => document.documentElement.scrollWidth <= window.innerWidth &&
    [...document.querySelectorAll('table.timeline td, .words')].every(cell => cell.scrollWidth <= cell.clientWidth + 1)"""


def test_a_case_manager_summarises_and_answers_a_relative_who_reported_by_text(
        browser, console, sms_app, twilio, database, english_to_spanish):
    assert Kioskctl(sms_app.test_cli_runner()).invoke(["translate", "install", str(english_to_spanish)]).exit_code == 0
    number = report_by_text(sms_app)
    run_worker(sms_app)  # the report's English: no es->en package, it waits for an interpreter
    texted_before = len(twilio.messages)

    browser.clear_cookies()
    tab = browser.new_page()
    tab.errors = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.on("console", lambda message: message.type == "error" and "Failed to load resource" not in message.text
           and tab.errors.append(message.text))
    tab.on("response", lambda response: response.status >= 400 and not response.url.endswith("/favicon.ico")
           and tab.errors.append(response.url))
    tab.set_viewport_size({"width": 1280, "height": 900})
    tab.goto(f"{console.url}/staff/case/{number}")
    tab.fill("#username", "chris")
    tab.fill("#password", PASSWORD)
    tab.get_by_role("button", name="Sign in").click()
    tab.wait_for_url(f"**/staff/case/{number}")

    said, done = boxes(tab)  # side by side on a desktop screen, tops aligned
    assert said["x"] + said["width"] <= done["x"] and abs(said["y"] - done["y"]) < 2
    assert "Mi hermano necesita un médico desde el lunes." in tab.locator("section.case-said").inner_text()

    tab.fill("#summary-text", SUMMARY)
    tab.get_by_role("button", name="Save summary").click()
    assert "Summary saved." in tab.locator("main").inner_text()
    assert tab.locator(".summary .words").inner_text() == SUMMARY

    tab.fill("#reply-text", REPLY)
    tab.get_by_role("button", name="Save reply for translation").click()
    assert "Being translated…" in tab.locator("section.case-done").inner_text()
    run_worker(sms_app)  # the package puts it into Spanish
    tab.reload()
    preview = tab.locator(".recipients")
    assert "Whoever reported the case (family), by text, at •••• 0123, in Spanish" in preview.inner_text()
    shown = preview.locator(".texted").inner_text()
    with database.sessions() as session, sms_app.app_context():
        case = session.scalars(select(Case).where(Case.number == number)).one()
        reply = session.scalars(select(CaseEvent).where(CaseEvent.kind == "reply")).one()
        spanish = case_translations.latest(session, case.id, "es", reply.id)
        assert spanish is not None and not spanish.human  # the machine's, made by the package
        assert shown == replies.text_for_reporter(case, spanish.text)
    assert tab.evaluate(NOTHING_SPILLS)

    tab.get_by_role("button", name="Release the reply").click()
    assert "Reply released: it is being texted to •••• 0123." in tab.locator("main").inner_text()
    run_worker(sms_app)
    arrived = twilio.messages[texted_before:]
    assert [(m["To"], m["Body"]) for m in arrived] == [(FAMILY, shown)]
    with database.sessions() as session:
        assert session.scalars(select(SmsOutbound.status).where(SmsOutbound.reply_event_id == reply.id)).one() \
            == "sent"

    tab.reload()
    assert tab.evaluate(NOTHING_SPILLS)  # the long reply, in the timeline and beside its translation
    tab.set_viewport_size({"width": 800, "height": 900})
    said, done = boxes(tab)  # one column: what staff did comes under what was said
    assert done["y"] >= said["y"] + said["height"] and done["x"] == said["x"]
    assert tab.evaluate(NOTHING_SPILLS)
    assert tab.errors == []
    tab.close()
