"""The case page a case manager works in all day: what was said beside what staff did, a summary
they write, local times and names, errors that are sentences, and error pages of the console."""
from __future__ import annotations

import csv
import io
import re
from html import unescape
from types import SimpleNamespace

import pytest

from kiosk.core import casework
from kiosk.core.identifiers import case_number
from kiosk.core.models import Case
from tests.helpers import (
    ROUTINE, add_case, audited, exported_json, file_complaint, filed_case, signed_in, staff_id,
)

OURS, THEIRS, UNKNOWN = case_number(26, 11), case_number(26, 12), case_number(26, 13)
SUMMARY = "Toothache for a week, no dentist yet.\nClinic says the request never arrived.\nCall again Friday."
STORED_ACTOR = re.compile(r"\b(staff|kiosk|sms|worker):\S")  # an actor as stored, never as shown


def flashed(client) -> list[str]:
    """The messages a page says at its top (a change that went well, or why it was refused)."""
    return [unescape(m) for m in re.findall(r'<p class="(?:error|flash)" role="status">(.*?)</p>', client.text, re.DOTALL)]


def section(page: str, name: str) -> str:
    """One column of the case page, or its timeline."""
    if name == "timeline":
        return page.split('<table class="timeline">', 1)[1].split("</table>", 1)[0]
    return page.split(f'<section class="{name}"', 1)[1].split("</section>", 1)[0]


# --- the summary -----------------------------------------------------------------------------

def test_a_summary_is_saved_audited_and_shown_on_the_case_page_and_in_every_export(app, database, people):
    add_case(database, people["TST"], OURS, "medical", ROUTINE, words="Me duele la muela.")
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{OURS}")
    chris.post(f"/staff/case/{OURS}/summary", {"summary": "  " + SUMMARY.replace("\n", "\r\n") + "\n\n"},
               follow_redirects=True)
    assert flashed(chris) == ["Summary saved."]
    with database.sessions() as session:
        stored = session.query(Case).filter_by(number=OURS).one()
        assert (stored.summary, stored.summary_by) == (SUMMARY, f"staff:{staff_id(database, 'chris')}")
    [entry] = audited(database, "case.summary_written")
    assert entry.detail == {"characters": len(SUMMARY)}

    page = chris.text
    assert "Toothache for a week, no dentist yet." in page.split('<div class="case-columns">')[0]  # at the top
    assert re.search(r"Last written by Chris, \d{4}-\d\d-\d\d \d\d:\d\d C[SD]T\.", section(page, "case-done"))

    record = exported_json(chris, OURS)
    assert record["summary"]["text"] == SUMMARY and record["summary"]["by"] == "Chris"
    printed = chris.get(f"/staff/case/{OURS}/print").get_data(as_text=True)
    assert "<h2>Summary</h2>" in printed and "Clinic says the request never arrived." in printed
    rows = list(csv.DictReader(io.StringIO(chris.get("/staff/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert [row["Summary"] for row in rows if row["Case"] == OURS] == [SUMMARY]
    queue = chris.get("/staff/").get_data(as_text=True)  # its first line is the queue's summary of the case
    assert '<td data-label="Summary" class="summary">Toothache for a week, no dentist yet.</td>' in queue

    chris.get(f"/staff/case/{OURS}")
    chris.post(f"/staff/case/{OURS}/summary", {"summary": " \n "}, follow_redirects=True)
    assert flashed(chris) == ["Summary cleared."] and exported_json(chris, OURS)["summary"] is None
    assert len(audited(database, "case.summary_cleared")) == 1


@pytest.mark.parametrize("typed, said", [
    ("x" * 601, "The summary has at most 600 characters."),
    ("\n".join(["line"] * 11), "A summary has at most 10 lines; this one has 11."),
    ("=HYPERLINK(\"http://evil.example\")\n" + "y" * 600, "The summary has at most 600 characters."),
])
def test_a_summary_too_long_or_of_too_many_lines_is_refused_with_a_sentence_and_the_old_one_kept(
        app, database, people, typed, said):
    add_case(database, people["TST"], OURS, "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{OURS}")
    chris.post(f"/staff/case/{OURS}/summary", {"summary": "First."}, follow_redirects=True)
    chris.post(f"/staff/case/{OURS}/summary", {"summary": typed}, follow_redirects=True)
    assert flashed(chris) == [said]
    assert exported_json(chris, OURS)["summary"]["text"] == "First."
    assert len(audited(database, "case.summary_written")) == 1


def test_a_summary_with_a_nul_is_refused_before_the_view_and_controls_are_dropped(app, database, people):
    add_case(database, people["TST"], OURS, "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{OURS}")
    assert chris.post(f"/staff/case/{OURS}/summary", {"summary": "a\x00b"}).status_code == 400
    chris.get(f"/staff/case/{OURS}")
    chris.post(f"/staff/case/{OURS}/summary", {"summary": "Bell\x07 and\x1b escape."})
    assert exported_json(chris, OURS)["summary"]["text"] == "Bell and escape."


def test_another_facilitys_case_manager_cannot_write_a_summary(app, database, people):
    add_case(database, people["OTH"], THEIRS, "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    assert chris.post(f"/staff/case/{THEIRS}/summary", {"summary": "Mine now."}).status_code == 403
    assert exported_json(signed_in(app, "dana"), THEIRS)["summary"] is None


def test_the_summary_line_is_the_summarys_first_line_or_the_first_words_of_the_english():
    line = casework.summary_line
    assert line(SimpleNamespace(summary="\n  First line.  \nSecond."), "Whatever the translation says.") == \
        "First line."
    assert line(SimpleNamespace(summary=None), "I have had toothache for a week.") == \
        "I have had toothache for a week."
    long = "The nurse said the dentist comes on Fridays but nobody came for two weeks and the pain is worse."
    cut = line(SimpleNamespace(summary=None), long)
    assert cut == "The nurse said the dentist comes on Fridays but nobody came for two weeks and the pain is…"
    assert len(cut) <= casework.SUMMARY_CHARACTERS + 1 and long.startswith(cut[:-1])
    assert line(SimpleNamespace(summary=None), "x" * 500) == "x" * casework.SUMMARY_CHARACTERS + "…"
    assert line(SimpleNamespace(summary=None), None) == "" == line(SimpleNamespace(summary=""), "  ")


# --- the page --------------------------------------------------------------------------------

def test_the_case_page_puts_what_was_said_beside_what_staff_did_and_the_timeline_under_them(
        app, kiosk, database, people):
    file_complaint(kiosk, words="La comida llega fría desde el lunes.")
    number = filed_case(database).number
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{number}")
    chris.post(f"/staff/case/{number}/note", {"note": "Asked the kitchen."})
    chris.post(f"/staff/case/{number}/facility-contact", {"whom": "Officer Ruiz", "how": "phone",
                                                          "said": "The warmer is broken."})
    page = chris.get(f"/staff/case/{number}").get_data(as_text=True)
    said, done, timeline = section(page, "case-said"), section(page, "case-done"), section(page, "timeline")
    assert "La comida llega fría desde el lunes." in said and "Answers" in said
    assert "Asked the kitchen." not in said and "Officer Ruiz" not in said
    assert 'name="status"' in done and "Asked the kitchen." in done and "The warmer is broken." in done
    assert 'name="summary"' in done and 'name="reply"' in done
    assert "Asked the kitchen." in timeline and page.index("case-columns") < page.index('class="timeline"')


def test_the_case_page_shows_local_times_with_their_zone_and_people_by_name(app, kiosk, database, people):
    file_complaint(kiosk, words="La comida llega fría.")
    number = filed_case(database).number
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{number}")
    chris.post(f"/staff/case/{number}/status", {"status": "in_review"})
    chris.post(f"/staff/case/{number}/summary", {"summary": "Cold food."})
    sam = signed_in(app, "sam")
    sam.get(f"/staff/case/{number}")
    sam.post(f"/staff/case/{number}/assign", {"staff_id": staff_id(database, "chris")})
    sam.post(f"/staff/case/{number}/due", {"due_at": "2026-12-01 17:00", "reason": "Waiting for the kitchen."})
    page = chris.get(f"/staff/case/{number}").get_data(as_text=True)

    assert not STORED_ACTOR.search(page), STORED_ACTOR.search(page)
    assert " UTC" not in page
    timeline = section(page, "timeline")
    assert "the kiosk in unit A-1 (TST)" in timeline  # who filed it: the kiosk, by where it stands
    assert "<td>Chris</td>" in timeline and "<td>Sam</td>" in timeline
    times = re.findall(r"<td>(\d{4}-\d\d-\d\d \d\d:\d\d [A-Z]{3})</td>", timeline)
    assert times and all(t.endswith(("CST", "CDT")) for t in times)
    assert "-&gt; 2026-12-01 17:00 CST: Waiting for the kitchen." in timeline  # the new due time, as typed
    assert "<th>Due</th><td>2026-12-01 17:00 CST</td>" in page
    assert "<th>Assigned to</th><td>Chris" in page and "Release case" in page  # and hers to release


def test_a_long_unbroken_reply_is_kept_whole_in_a_timeline_that_wraps_it(app, database, people):
    add_case(database, people["TST"], OURS, "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{OURS}")
    unbroken = "https://example.org/" + "a" * 3000
    chris.post(f"/staff/case/{OURS}/reply", {"reply": unbroken})
    timeline = section(chris.get(f"/staff/case/{OURS}").get_data(as_text=True), "timeline")
    assert unbroken in timeline and '<span class="said" dir="auto">' in timeline
    css = app.test_client().get("/staff/static/staff.css").get_data(as_text=True)
    assert "table.timeline td { overflow-wrap: anywhere; }" in css and "table.timeline { table-layout: fixed; }" in css


# --- errors ----------------------------------------------------------------------------------

def test_every_refusal_on_the_case_page_is_a_sentence(app, database, people):
    add_case(database, people["TST"], OURS, "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{OURS}")
    tries = [
        ("status", {"status": "resolved", "reason": "done"}),
        ("status", {"status": "in_review"}),
        ("status", {"status": "not_substantiated", "reason": ""}),
        ("status", {"status": "referred"}),
        ("status", {"status": "nonsense"}),
        ("note", {"note": ""}),
        ("note", {"note": "n" * 5001}),
        ("facility-contact", {"whom": "", "how": "phone"}),
        ("facility-contact", {"whom": "Nurse", "how": ""}),
        ("reply", {"reply": "   "}),
        ("summary", {"summary": "s" * 601}),
        ("summary", {"summary": "\n".join("s" * 12)}),
        ("assign", {"staff_id": staff_id(database, "chris")}),
        ("due", {"due_at": "tomorrow", "reason": "x"}),
        ("links", {"other": "not a number", "reason": "x"}),
        ("links", {"other": OURS, "reason": "x"}),
        ("reply/999/release", {}),
        ("translation/999/correct", {"text": "x"}),
        ("interpretation", {"text": "case", "language": "es", "due_at": "soon", "to": "phone"}),
        ("interpretation", {"text": "case", "language": "en", "due_at": "2030-01-01 10:00", "to": "phone"}),
        ("unlock-pin", {}),
    ]
    said = []
    for path, form in tries:
        chris.post(f"/staff/case/{OURS}/{path}", form, follow_redirects=True)
        said.extend((path, message) for message in flashed(chris))
    assert len(said) >= len(tries) - 1  # the one good change (in review) says so too
    for path, message in said:
        assert re.fullmatch(r"[A-Z“'\"].*[.!?]", message, re.DOTALL), (path, message)


def console_layout(page: str) -> bool:
    return ("Detention Ombudsman · case work" in page and 'href="/staff/static/staff.css"' in page
            and "Sign out" in page and '<a href="/staff/">Back to the triage queue</a>' in page)


def test_a_refused_case_an_unknown_case_and_a_failure_are_pages_of_the_console(app, database, people,
                                                                                 monkeypatch):
    add_case(database, people["TST"], OURS, "medical", ROUTINE)
    add_case(database, people["OTH"], THEIRS, "medical", ROUTINE, words="Their private words")
    chris = signed_in(app, "chris")

    refused = chris.get(f"/staff/case/{THEIRS}")
    assert refused.status_code == 403 and console_layout(chris.text)
    assert "This case is at a facility you do not work." in chris.text and "Their private words" not in chris.text
    assert "ask a supervisor" in chris.text

    unknown = chris.get(f"/staff/case/{UNKNOWN}")
    assert unknown.status_code == 404 and console_layout(chris.text)
    assert "There is no case with that number. Check the number, or find the case from the triage queue." in chris.text
    assert chris.get("/staff/no-such-page").status_code == 404 and console_layout(chris.text)

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setattr(casework, "related", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the exception becomes the 500 page
    failed = chris.get(f"/staff/case/{OURS}")
    assert failed.status_code == 500 and console_layout(chris.text)
    assert "Something went wrong" in chris.text and "Nothing was saved. Try again" in chris.text
    assert "Traceback" not in chris.text and "secret detail" not in chris.text and "RuntimeError" not in chris.text
    assert 'id="alerts"' not in chris.text  # a failed request asks the database nothing more
