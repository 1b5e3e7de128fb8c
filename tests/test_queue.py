"""The triage queue a case manager works in all day: what a row says (local times, age, due, who has
it, the English in one line), taking and releasing a case, saved filters, people named in words."""
from __future__ import annotations

import re
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select, update

from kiosk.core import saved_filters
from kiosk.core.casework import queue_summary
from kiosk.core.identifiers import case_number
from kiosk.core.models import AuditEntry, Case, CaseEvent, HousingUnit, SavedFilter, Translation
from tests.helpers import (
    ROUTINE, add_case, add_cases, audit_rows, count, create_staff, file_complaint, signed_in, staff_id,
)

TST_CASE, OTH_CASE = case_number(26, 11), case_number(26, 12)


def row_of(page: str, number: str) -> str:
    """The queue's table row of one case."""
    start = page.index(f">{number}</a>")
    return page[page.rindex("<tr", 0, start):page.index("</tr>", start)]


def local(moment, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")


def case_of(database, number: str) -> Case:
    with database.sessions() as session:
        return session.scalars(select(Case).where(Case.number == number)).one()


def english(database, number: str, words: str, *, human: bool = False) -> None:
    """The complaint's English, as the worker (or a person correcting it) stores it."""
    with database.transaction() as session:
        found = session.scalars(select(Case).where(Case.number == number)).one()
        session.add(Translation(case_id=found.id, source_language=found.language, target_language="en",
                                source_text=found.description, text=words, status="done", human=human))


# --------------------------------------------------------------------------- what a row says

def test_a_row_shows_times_in_its_facilitys_own_zone(app, database, people):
    add_case(database, people["TST"], TST_CASE, "food", ROUTINE, hours_ago=36)  # America/Chicago
    add_case(database, people["OTH"], OTH_CASE, "food", ROUTINE, hours_ago=36)  # America/New_York
    page = signed_in(app, "sam").get("/staff/").get_data(as_text=True)
    for number, zone in ((TST_CASE, "America/Chicago"), (OTH_CASE, "America/New_York")):
        found, row = case_of(database, number), row_of(page, number)
        assert f"filed {local(found.created_at, zone)}" in row
        assert local(found.due_at, zone) in row and "UTC" not in row
        assert "1 day" not in row and "36 hours" in row  # its age
        assert "due in 3 days" in row  # five days for a routine case, a day and a half gone


def test_overdue_and_badly_late_are_said_in_words(app, database, people):
    add_case(database, people["TST"], case_number(26, 21), "medical", ROUTINE, hours_ago=3 * 24)  # due 2 days ago
    add_case(database, people["TST"], case_number(26, 22), "food", ROUTINE, hours_ago=16 * 24)  # due 11 days ago
    add_case(database, people["TST"], case_number(26, 23), "medical", ROUTINE, hours_ago=2)  # due in 22 hours
    page = signed_in(app, "chris").get("/staff/").get_data(as_text=True)
    overdue, late, soon = (row_of(page, case_number(26, n)) for n in (21, 22, 23))
    assert "overdue by 2 days" in overdue and "badly late" not in overdue
    # Badly late counts from the day it was filed: past 15 days, whatever its due time says.
    assert "overdue by 11 days" in late and "badly late" in late and "open more than 15 days" in late
    assert "badly-late" in late.split(">")[0] and "badly-late" not in overdue.split(">")[0]  # marked, not only said
    assert "due in 21 hours" in soon and "overdue" not in soon


def test_a_row_names_its_unit_language_assignee_and_summary(app, database, people, kiosk):
    file_complaint(kiosk, language="es", words="Tengo dolor de muelas desde hace una semana y nadie me atiende.")
    number = case_of_filed(database).number
    long_english = ("I have had a toothache for a week and nobody sees me, although I asked the officers "
                    "three times and wrote to the clinic twice.")
    english(database, number, "machine words")
    english(database, number, long_english, human=True)  # a person's correction wins, as on the case page
    with database.transaction() as session:
        session.execute(update(Case).where(Case.number == number).values(
            assigned_to_id=staff_id(database, "chris"), needs_interpreter=True))
    row = row_of(signed_in(app, "sam").get("/staff/").get_data(as_text=True), number)
    assert "TST · unit A-1" in row and "Food" in row and "Spanish" in row and '<span class="badge">interpreter' in row
    assert ">Chris" in row and "staff:" not in row
    summary = queue_summary(long_english)
    assert summary in row and long_english not in row and "machine words" not in row
    assert summary == "I have had a toothache for a week and nobody sees me, although I asked the officers three…"


def case_of_filed(database) -> Case:
    with database.sessions() as session:
        return session.scalars(select(Case).order_by(Case.id.desc())).first()


def test_an_english_complaint_is_its_own_summary_and_a_waiting_one_says_so(app, database, people):
    add_case(database, people["TST"], case_number(26, 31), "food", ROUTINE, words="x")
    with database.transaction() as session:
        session.execute(update(Case).where(Case.number == case_number(26, 31)).values(
            language="en", description="The soup is cold every evening."))
    add_case(database, people["TST"], case_number(26, 32), "food", ROUTINE, words="La sopa está fría.")
    page = signed_in(app, "chris").get("/staff/").get_data(as_text=True)
    assert "The soup is cold every evening." in row_of(page, case_number(26, 31))
    waiting = row_of(page, case_number(26, 32))
    assert "No English yet: being translated" in waiting and "La sopa" not in waiting


@pytest.mark.parametrize(("words", "summary"), [
    (None, ""), ("", ""), ("  Short  and\n\tsimple. ", "Short and simple."),
    ("word " * 30, ("word " * 18).strip() + "…"),
    ("a" * 200, "a" * 90 + "…"),  # no space to cut at
    ("Exactly ninety characters, " + "x" * 63, "Exactly ninety characters, " + "x" * 63),
    ("The medication, which the clinic stopped on Monday, was never given back; the nurse said wait.",
     "The medication, which the clinic stopped on Monday, was never given back; the nurse said…"),
])
def test_the_queue_summary_is_the_first_words_on_one_line(words, summary):
    assert queue_summary(words) == summary
    assert len(queue_summary(words)) <= 91


def statements_for(database, call) -> int:
    """How many SQL statements ``call`` sends."""
    sent = []

    def listener(_connection, _cursor, statement, *_rest):
        sent.append(statement)

    event.listen(database.engine, "before_cursor_execute", listener)
    try:
        call()
    finally:
        event.remove(database.engine, "before_cursor_execute", listener)
    return len(sent)


def test_the_queue_costs_the_same_queries_for_two_rows_or_fifty(app, database, people):
    chris = signed_in(app, "chris")

    def first_page():
        assert chris.get("/staff/").status_code == 200

    def rows(how_many: int, first_serial: int) -> None:
        numbers = add_cases(database, people["TST"], "food", how_many, first_serial=first_serial)
        for number in numbers:
            english(database, number, f"English of {number}")
        with database.transaction() as session:
            unit = session.scalar(select(func.min(HousingUnit.id)).where(HousingUnit.facility_id == people["TST"]))
            session.execute(update(Case).where(Case.number.in_(numbers)).values(
                assigned_to_id=staff_id(database, "chris"), housing_unit_id=unit))

    rows(2, 100)
    first_page()  # whatever a first visit does once (the session's first write)
    few = statements_for(database, first_page)
    rows(60, 200)
    assert statements_for(database, first_page) == few
    assert chris.text.count("English of ") == 50 and chris.text.count("unit A-1") == 50


# --------------------------------------------------------------------------- taking a case

@pytest.fixture
def cam(app, people):
    """A second case manager of TST."""
    create_staff(app, "cam", "case_manager", ["TST"], display_name="Cam Reyes")
    return signed_in(app, "cam")


def test_a_case_manager_takes_an_unassigned_case_from_the_queue_and_releases_it(app, database, people, cam):
    number = case_number(26, 41)
    add_case(database, people["TST"], number, "medical", ROUTINE)
    chris = signed_in(app, "chris")
    page = chris.get("/staff/?category=medical").get_data(as_text=True)
    assert 'aria-label="Take case ' + number + '"' in row_of(page, number)
    taken = chris.post(f"/staff/case/{number}/take", {"next": "/staff/?category=medical"})
    assert taken.status_code == 302 and taken.headers["Location"] == "/staff/?category=medical"  # back where it was
    page = chris.get("/staff/?category=medical").get_data(as_text=True)
    assert f"You have case {number} now." in page
    row = row_of(page, number)
    assert ">Chris" in row and "Release case" in row and "Take case" not in row
    assert case_of(database, number).assigned_to_id == staff_id(database, "chris")
    # Someone else's case: no button for Cam, and a take or a release by hand is refused, saying who has it.
    assert "Take case" not in row_of(cam.get("/staff/").get_data(as_text=True), number)
    cam.post(f"/staff/case/{number}/take", follow_redirects=True)
    assert "Not taken: Chris has this case already." in cam.text
    cam.post(f"/staff/case/{number}/release", follow_redirects=True)
    assert "This case is not yours to release" in cam.text
    assert case_of(database, number).assigned_to_id == staff_id(database, "chris")
    chris.get(f"/staff/case/{number}")
    chris.post(f"/staff/case/{number}/release", {"next": f"/staff/case/{number}"})  # from the case page
    assert f"Case {number} is back in the queue, unassigned." in chris.get(f"/staff/case/{number}").get_data(as_text=True)
    assert case_of(database, number).assigned_to_id is None
    with database.sessions() as session:
        timeline = session.execute(select(CaseEvent.kind, CaseEvent.body, CaseEvent.visible_to_detainee)
                                   .order_by(CaseEvent.id)).all()
    assert [tuple(e) for e in timeline] == [("assigned", "Taken by Chris", False),
                                            ("unassigned", "Released by Chris", False)]
    chris_actor = f"staff:{staff_id(database, 'chris')}"
    assert [r for r in audit_rows(database, "case.") if r[1] in ("case.taken", "case.released")] == [
        (chris_actor, "case.taken", number), (chris_actor, "case.released", number)]


def test_only_a_case_manager_of_the_facility_takes_an_open_case(app, database, people):
    open_case, closed, elsewhere = case_number(26, 51), case_number(26, 52), case_number(26, 53)
    add_case(database, people["TST"], open_case, "medical", ROUTINE)
    add_case(database, people["TST"], closed, "medical", ROUTINE)
    add_case(database, people["OTH"], elsewhere, "medical", ROUTINE)
    with database.transaction() as session:
        session.execute(update(Case).where(Case.number == closed).values(status="resolved"))
    sam = signed_in(app, "sam")
    assert "Take case" not in sam.get("/staff/").get_data(as_text=True)  # supervisors assign instead
    sam.post(f"/staff/case/{open_case}/take", follow_redirects=True)
    assert "Only a case manager takes a case; a supervisor assigns it on the case page." in sam.text
    chris = signed_in(app, "chris")
    assert chris.get(f"/staff/case/{closed}").status_code == 200 and "Take case" not in chris.text
    chris.post(f"/staff/case/{closed}/take", follow_redirects=True)
    assert "This case is closed: reopen it before taking it." in chris.text
    assert chris.post(f"/staff/case/{elsewhere}/take").status_code == 403
    assert chris.post("/staff/case/26-0000-0000/take").status_code == 404
    chris.get("/staff/")
    chris.post(f"/staff/case/{open_case}/take")
    chris.post(f"/staff/case/{open_case}/take", follow_redirects=True)  # a double click
    assert "This case is yours already." in chris.text
    assert count(database, CaseEvent, CaseEvent.kind == "assigned") == 1
    assert [a for _, a, _ in audit_rows(database, "case.")].count("case.change_refused") == 1  # the other facility's


@pytest.mark.parametrize("next_page", ["//evil.example/staff/?x", "https://evil.example/", "/staff/?a\r\nb",
                                       "/kiosk/", "\x7f", "/staff/admin/accounts"])
def test_a_take_goes_back_to_the_queue_or_the_case_and_nowhere_else(app, database, people, next_page):
    number = case_number(26, 61)
    add_case(database, people["TST"], number, "medical", ROUTINE)
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    taken = chris.post(f"/staff/case/{number}/take", {"next": next_page})
    assert taken.status_code == 302 and taken.headers["Location"] in (f"/staff/case/{number}", "/staff/")


# --------------------------------------------------------------------------- saved filters

def saved(database, username: str) -> list[tuple[str, str]]:
    with database.sessions() as session:
        return [tuple(row) for row in session.execute(
            select(SavedFilter.name, SavedFilter.query).where(SavedFilter.owner_id == staff_id(database, username))
            .order_by(SavedFilter.name))]


def test_saved_filters_are_saved_applied_replaced_and_deleted_by_their_owner(app, database, people):
    medical, food = case_number(26, 71), case_number(26, 72)
    add_case(database, people["TST"], medical, "medical", ROUTINE, hours_ago=48)
    add_case(database, people["TST"], food, "food", ROUTINE)
    chris = signed_in(app, "chris")
    page = chris.get("/staff/?category=medical&overdue=1&page=1&bogus=2").get_data(as_text=True)
    assert 'name="query" value="category=medical&amp;overdue=1"' in page  # what is kept: the filters only
    chris.post("/staff/filters", {"name": "  Medical,   overdue ", "query": "category=medical&overdue=1"})
    assert saved(database, "chris") == [("Medical, overdue", "category=medical&overdue=1")]
    page = chris.get("/staff/").get_data(as_text=True)
    assert "Filter “Medical, overdue” saved" in page
    link = unescape(re.search(r'<a href="([^"]+)">Medical, overdue</a>', page).group(1))
    applied = chris.get(link).get_data(as_text=True)
    assert medical in applied and food not in applied and 'aria-current="page">Medical, overdue' in applied
    chris.post("/staff/filters", {"name": "Medical, overdue", "query": "category=medical"})  # the same name again
    assert saved(database, "chris") == [("Medical, overdue", "category=medical")]
    assert "Medical, overdue" not in signed_in(app, "dana").get("/staff/").get_data(as_text=True)  # one's own only
    with database.sessions() as session:
        filter_id = session.scalar(select(SavedFilter.id))
    dana = signed_in(app, "dana")
    dana.get("/staff/")
    dana.post(f"/staff/filters/{filter_id}/delete", follow_redirects=True)
    assert "That saved filter does not exist (any more)." in dana.text and len(saved(database, "chris")) == 1
    chris.get("/staff/")
    chris.post(f"/staff/filters/{filter_id}/delete", {"query": "category=food"})
    assert "Filter “Medical, overdue” deleted." in chris.get("/staff/").get_data(as_text=True)
    assert saved(database, "chris") == []
    actions = [a for _, a, _ in audit_rows(database, "queue.filter")]
    assert actions == ["queue.filter_saved", "queue.filter_saved", "queue.filter_deleted"]


def test_a_person_keeps_at_most_thirty_saved_filters(app, database, people):
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    for n in range(saved_filters.LIMIT):
        chris.post("/staff/filters", {"name": f"Filter {n:02d}", "query": "overdue=1"})
    chris.post("/staff/filters", {"name": "One more", "query": "overdue=1"}, follow_redirects=True)
    assert "You keep 30 saved filters, the most there can be: delete one you no longer use." in chris.text
    assert len(saved(database, "chris")) == 30
    chris.post("/staff/filters", {"name": "Filter 07", "query": "mine=1"})  # replacing one is not one more
    assert ("Filter 07", "mine=1") in saved(database, "chris")


def test_the_database_itself_refuses_a_thirty_first_saved_filter(app, database, people):
    from sqlalchemy.exc import IntegrityError

    owner = staff_id(database, "chris")
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(SavedFilter(owner_id=owner, slot=saved_filters.LIMIT + 1, name="x", query="overdue=1"))
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add_all([SavedFilter(owner_id=owner, slot=1, name=name, query="overdue=1") for name in "ab"])


@pytest.mark.parametrize(("name", "query", "message"), [
    ("", "overdue=1", "Write the filter&#39;s name."),
    ("   \t ", "overdue=1", "Write the filter&#39;s name."),
    ("x" * 61, "overdue=1", "The filter&#39;s name has at most 60 characters."),
    ("evil\u202eright-to-left", "overdue=1", "characters that cannot be shown"),
    ("bytes \ufffd", "overdue=1", "characters that cannot be shown"),
    ("Mine", "", "Choose at least one filter to save"),
    ("Mine", "page=3", "Choose at least one filter to save"),
    ("Mine", "category=bananas", "There is no category &#39;bananas&#39; in the queue."),
    ("Mine", "facility=OTH", "You work no facility called &#39;OTH&#39;."),  # another's facility
    ("Mine", "facility=%00", "You work no facility called"),
    ("Mine", "category=%ff", "There is no category"),
    ("Mine", "overdue=yes", "The filter &#39;overdue&#39; is 1 or nothing."),
    ("Mine", "colour=red", "The queue has no filter called &#39;colour&#39;."),
    ("Mine", "overdue=1&overdue=1", "Each filter can be given once."),
    ("Mine", "&".join(["overdue=1"] * 25), "These are more filters than the queue has."),
    ("Mine", "overdue=1&" + "x" * 2000, "longer than a queue address can be"),
])
def test_a_saved_filter_with_a_bad_name_or_query_is_refused_saying_why(app, database, people, name, query, message):
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    response = chris.post("/staff/filters", {"name": name, "query": query}, follow_redirects=True)
    assert response.status_code == 200 and message in chris.text
    assert saved(database, "chris") == [] and audit_rows(database, "queue.filter") == []


def test_a_nul_in_a_saved_filter_is_refused_before_anything_runs(app, database, people):
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    assert chris.post("/staff/filters", {"name": "a\x00b", "query": "overdue=1"}).status_code == 400
    assert chris.post("/staff/filters", {"name": "ok", "query": "overdue=1\x00"}).status_code == 400
    assert saved(database, "chris") == []


# --------------------------------------------------------------------------- people and kiosks by name

def test_the_audit_log_names_people_and_kiosks_in_their_facilitys_time(app, database, people, kiosk):
    file_complaint(kiosk, words="La comida llega fría.")
    number = case_of_filed(database).number
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    chris.post(f"/staff/case/{number}/take")
    page = signed_in(app, "sam").get("/staff/audit").get_data(as_text=True)
    rows = page[page.index("<tbody>"):]
    assert "staff:" not in rows and "kiosk:" not in rows
    with database.sessions() as session:
        filed_at = session.scalar(select(AuditEntry.at).where(AuditEntry.action == "case.filed"))
        taken_at = session.scalar(select(AuditEntry.at).where(AuditEntry.action == "case.taken"))
        login_at = session.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.action == "staff.login"))
    seconds = "%Y-%m-%d %H:%M:%S %Z"
    chicago = ZoneInfo("America/Chicago")
    assert (f"<td>{filed_at.astimezone(chicago).strftime(seconds)}</td><td>the kiosk in unit A-1 (TST)</td>"
            f"<td>case.filed</td>") in rows
    assert f"<td>{taken_at.astimezone(chicago).strftime(seconds)}</td><td>Chris</td><td>case.taken</td>" in rows
    assert f"<td>{login_at.strftime(seconds)}</td><td>Sam</td><td>staff.login</td>" in rows  # no facility: UTC
    timeline = signed_in(app, "sam").get(f"/staff/case/{number}").get_data(as_text=True)
    assert "the kiosk in unit A-1 (TST)" in timeline and "Taken by Chris" in timeline
