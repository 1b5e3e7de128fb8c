"""Manual links between cases: made and removed by someone who may open both, never a way to
learn another facility's case numbers."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from kiosk.core.identifiers import case_number
from kiosk.core.models import AuditEntry, Case, CaseEvent, CaseLink
from tests.helpers import ROUTINE, add_case, audit_rows, exported_json, signed_in, staff_id

FIRST, SECOND, THEIRS, UNKNOWN = (case_number(26, n) for n in (1, 2, 3, 4))


@pytest.fixture
def cases(database, people):
    add_case(database, people["TST"], FIRST, "medical", ROUTINE, words="First words")
    add_case(database, people["TST"], SECOND, "medical", ROUTINE, words="Second words")
    add_case(database, people["OTH"], THEIRS, "medical", ROUTINE, words="Their words")


def link_rows(database) -> list[tuple[str, str, str]]:
    with database.sessions() as session:
        rows = session.scalars(select(CaseLink).order_by(CaseLink.id)).all()
        return [(session.get(Case, r.case_id).number, session.get(Case, r.linked_case_id).number, r.reason)
                for r in rows]


def link_events(database, number) -> list[tuple[str, str, bool]]:
    with database.sessions() as session:
        found = session.scalars(select(Case).where(Case.number == number)).one()
        return [(e.kind, e.body, e.visible_to_detainee) for e in found.events if e.kind in ("linked", "unlinked")]


def link_id(database) -> int:
    with database.sessions() as session:
        return session.scalar(select(CaseLink.id))


def test_a_case_manager_links_two_cases_and_removes_the_link(app, database, cases):
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{SECOND}")
    chris.post(f"/staff/case/{SECOND}/links", {"other": FIRST.replace("-", " "), "reason": "Same clinic, same week."},
               follow_redirects=True)
    assert f"Linked with case {FIRST}." in chris.text
    assert link_rows(database) == [(FIRST, SECOND, "Same clinic, same week.")]  # smaller id first, once
    first_page = chris.get(f"/staff/case/{FIRST}").get_data(as_text=True)
    assert f'href="/staff/case/{SECOND}">Case {SECOND}</a> (TST, New), linked ' in first_page
    assert "Same clinic, same week." in first_page
    assert link_events(database, FIRST) == [("linked", f"Linked with case {SECOND}: Same clinic, same week.", False)]
    assert link_events(database, SECOND) == [("linked", f"Linked with case {FIRST}: Same clinic, same week.", False)]
    assert exported_json(chris, FIRST)["links"][0]["case"] == SECOND

    chris.post(f"/staff/case/{FIRST}/links", {"other": SECOND, "reason": "Again"}, follow_redirects=True)
    assert f"Case {FIRST} and case {SECOND} are linked already." in chris.text and len(link_rows(database)) == 1

    chris.post(f"/staff/case/{FIRST}/links/remove", {"link": link_id(database)}, follow_redirects=True)
    assert "Link removed." in chris.text and "No linked case." in chris.text and link_rows(database) == []
    assert link_events(database, SECOND)[-1] == ("unlinked", f"No longer linked with case {FIRST}: Same clinic, same week.",
                                                 False)
    chris_id = f"staff:{staff_id(database, 'chris')}"
    assert sorted(audit_rows(database, "case.linked") + audit_rows(database, "case.unlinked")) == sorted([
        (chris_id, "case.linked", FIRST), (chris_id, "case.linked", SECOND),
        (chris_id, "case.unlinked", FIRST), (chris_id, "case.unlinked", SECOND)])


def test_linking_to_another_facilitys_case_is_refused_like_an_unknown_number(app, database, cases):
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{FIRST}")
    theirs = chris.post(f"/staff/case/{FIRST}/links", {"other": THEIRS, "reason": "Same nurse?"})
    unknown = chris.post(f"/staff/case/{FIRST}/links", {"other": UNKNOWN, "reason": "Same nurse?"})
    assert theirs.status_code == unknown.status_code == 403
    assert theirs.get_data(as_text=True).replace(THEIRS, "N") == unknown.get_data(as_text=True).replace(UNKNOWN, "N")
    assert f"There is no case {THEIRS} among the cases you may open. Nothing was linked." in theirs.get_data(as_text=True)
    # From their case's own page, as for any change to it.
    assert chris.post(f"/staff/case/{THEIRS}/links", {"other": FIRST, "reason": "Same nurse?"}).status_code == 403
    chris_id = f"staff:{staff_id(database, 'chris')}"
    assert audit_rows(database, "case.link_refused") == [(chris_id, "case.link_refused", THEIRS)]
    assert (chris_id, "case.change_refused", THEIRS) in audit_rows(database, "case.change_refused")
    assert link_rows(database) == [] and link_events(database, THEIRS) == [] and link_events(database, FIRST) == []


def test_a_link_across_facilities_hides_the_other_case_from_whoever_may_not_open_it(app, database, cases):
    sam = signed_in(app, "sam")
    sam.get(f"/staff/case/{FIRST}")
    sam.post(f"/staff/case/{FIRST}/links", {"other": THEIRS, "reason": "Same transport officer."})
    assert THEIRS in sam.get(f"/staff/case/{FIRST}").get_data(as_text=True)
    chris = signed_in(app, "chris")
    page = chris.get(f"/staff/case/{FIRST}").get_data(as_text=True)
    assert "A linked case at another facility" in page
    assert THEIRS not in page and "Same transport officer." not in page and 'name="link"' not in page
    assert "Linked with a case at another facility" in page  # the timeline names no number either
    record = exported_json(chris, FIRST)
    assert record["links"][0]["case"] is None and record["links"][0]["note"] == "a linked case at another facility"
    assert THEIRS not in json.dumps(record) and "Same transport officer." not in json.dumps(record)
    dana_page = signed_in(app, "dana").get(f"/staff/case/{THEIRS}").get_data(as_text=True)
    assert "A linked case at another facility" in dana_page and FIRST not in dana_page
    # A hand-made request to remove it changes nothing.
    chris.post(f"/staff/case/{FIRST}/links/remove", {"link": link_id(database)}, follow_redirects=True)
    assert "Only someone who may open both cases removes their link." in chris.text
    assert link_rows(database) == [(FIRST, THEIRS, "Same transport officer.")]


@pytest.mark.parametrize("form, message", [
    ({"other": FIRST, "reason": "x"}, "A case cannot be linked to itself."),
    ({"other": "", "reason": "x"}, "Write the other case number like 26-4831-0927."),
    ({"other": "26-0000-0019", "reason": "x"}, "Write the other case number like"),  # wrong check digit
    ({"other": "<script>alert(1)</script>", "reason": "x"}, "Write the other case number like"),
    ({"other": "\x7f" * 10, "reason": "x"}, "Write the other case number like"),
    ({"other": "٢٦٠٠٠٠٠٠٢٦", "reason": "x"}, "Write the other case number like"),  # Arabic-Indic digits
    ({"other": "9" * 100_000, "reason": "x"}, "Write the other case number like"),
    ({"other": SECOND}, "Say in a few words why the cases belong together."),
    ({"other": SECOND, "reason": " \n\t "}, "Say in a few words why the cases belong together."),
    ({"other": SECOND, "reason": "y" * 501}, "The reason has at most 500 characters."),
    ({"other": SECOND, "reason": "\x1b\x07 \x7f"}, "Say in a few words why the cases belong together."),
])
def test_garbage_in_the_link_form_says_why_and_writes_nothing(app, database, cases, form, message):
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{FIRST}")
    response = chris.post(f"/staff/case/{FIRST}/links", form, follow_redirects=True)
    assert response.status_code == 200 and message in chris.text and "<script>alert" not in chris.text
    assert link_rows(database) == [] and link_events(database, FIRST) == [] and link_events(database, SECOND) == []
    assert audit_rows(database, "case.link") == []


@pytest.mark.parametrize("value", ["", "abc", "-1", "1e9", "99999", "2147483648", "９", "9" * 5000])
def test_garbage_in_the_unlink_form_says_why_and_writes_nothing(app, database, cases, value):
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{FIRST}")
    chris.post(f"/staff/case/{FIRST}/links", {"other": SECOND, "reason": "Same clinic."})
    chris.post(f"/staff/case/{FIRST}/links/remove", {"link": value}, follow_redirects=True)
    assert "That link does not exist (any more)." in chris.text
    assert link_rows(database) == [(FIRST, SECOND, "Same clinic.")] and audit_rows(database, "case.unlinked") == []


def test_a_link_of_two_other_cases_cannot_be_removed_from_a_third(app, database, people, cases):
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{FIRST}")
    chris.post(f"/staff/case/{FIRST}/links", {"other": SECOND, "reason": "Same clinic."})
    add_case(database, people["TST"], UNKNOWN, "food", ROUTINE)
    chris.get(f"/staff/case/{UNKNOWN}")
    chris.post(f"/staff/case/{UNKNOWN}/links/remove", {"link": link_id(database)}, follow_redirects=True)
    assert "That link does not exist (any more)." in chris.text and len(link_rows(database)) == 1


def test_the_link_forms_need_their_csrf_token(app, database, cases):
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{FIRST}")
    assert chris.post(f"/staff/case/{FIRST}/links", {"other": SECOND, "reason": "x"}, csrf=False).status_code == 400
    chris.post(f"/staff/case/{FIRST}/links", {"other": SECOND, "reason": "Same clinic."})
    assert chris.post(f"/staff/case/{FIRST}/links/remove", {"link": link_id(database)}, csrf=False).status_code == 400
    assert len(link_rows(database)) == 1
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "linked")) == 2
        assert session.scalar(select(func.count()).select_from(AuditEntry)
                              .where(AuditEntry.action == "case.linked")) == 2
