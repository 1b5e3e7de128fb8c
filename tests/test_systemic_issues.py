"""Systemic issues and referrals: made from an alert, a group or by hand, of the cases the maker may open;
referral states that only move forward with every change recorded; overdue referrals; two people moving a
referral at once; the referral packet, de-identified, of the viewer's facilities; and the scrubber against
a hostile sample."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from kiosk.core import casework, deidentify, systemic_issues
from kiosk.core.identifiers import case_number
from kiosk.core.models import (
    Case,
    RateAlert,
    Referral,
    ReferralChange,
    ReferralState,
    SimilarGroup,
    SimilarGroupCase,
    SystemicIssue,
    SystemicIssueCase,
    Translation,
    TranslationStatus,
    utcnow,
)
from tests.helpers import ROUTINE, add_case, audited, count, signed_in, staff_id
from tests.test_races import all_at_once

TST_CASES = [case_number(2026, serial) for serial in (101, 102, 103)]
OTH_CASE = case_number(2026, 201)


@pytest.fixture
def world(app, database, people):
    """Three crowding cases at TST, one at OTH, a rate alert over TST's and a group of one of each."""
    for number in TST_CASES:
        add_case(database, people["TST"], number, "living_conditions", ROUTINE, hours_ago=30)
    add_case(database, people["OTH"], OTH_CASE, "living_conditions", ROUTINE, hours_ago=30)
    now = utcnow()
    with database.transaction() as session:
        alert = RateAlert(facility_id=people["TST"], category="living_conditions", first_week=now.date(),
                          last_week=now.date(), window_start=now - timedelta(days=28), window_end=now, recent=3,
                          expected=0.4, baseline=5, p_value=1e-4)
        group = SimilarGroup()
        session.add_all([alert, group])
        session.flush()
        ids = dict(session.execute(select(Case.number, Case.id)).all())
        session.add_all([SimilarGroupCase(group_id=group.id, case_id=ids[TST_CASES[0]], similarity=0.8),
                         SimilarGroupCase(group_id=group.id, case_id=ids[OTH_CASE], similarity=0.8)])
    return {"alert": alert.id, "group": group.id, **people}


def _issue_cases(database) -> set[str]:
    with database.sessions() as session:
        return set(session.scalars(select(Case.number).join(SystemicIssueCase, SystemicIssueCase.case_id == Case.id)))


def _referred(client, issue_id: int, **fields) -> None:
    client.get(f"/staff/issues/{issue_id}")
    data = {"recipient": "detention_oversight", "due": f"{utcnow() + timedelta(days=30):%Y-%m-%d}", "zone": "UTC",
            "note": "Sent by e-mail."} | fields
    client.post(f"/staff/issues/{issue_id}/referrals", data, follow_redirects=True)


def _moved(client, referral_id: int, issue_id: int, state: str, seen: str, **fields) -> str:
    client.get(f"/staff/issues/{issue_id}")
    client.post(f"/staff/referrals/{referral_id}/state", {"state": state, "seen": seen} | fields, follow_redirects=True)
    return client.text


# --- making issues --------------------------------------------------------------------------

def test_an_issue_from_an_alert_holds_its_cases_and_a_second_click_finds_the_same_issue(app, database, world):
    chris = signed_in(app, "chris")
    chris.get(f"/staff/patterns/alerts/{world['alert']}")
    response = chris.post(f"/staff/patterns/alerts/{world['alert']}/issue")
    assert response.status_code == 302 and response.headers["Location"].endswith("/staff/issues/1")
    chris.post(f"/staff/patterns/alerts/{world['alert']}/issue")
    assert count(database, SystemicIssue) == 1
    assert _issue_cases(database) == set(TST_CASES)
    page = chris.get("/staff/issues/1").get_data(as_text=True)
    assert all(number in page for number in TST_CASES) and "Living conditions at TST" in page
    assert len(audited(database, "systemic_issue.created")) == 1
    assert len(audited(database, "case.viewed_in_issue")) == 3


def test_an_issue_from_a_group_takes_only_the_cases_its_maker_may_open(app, database, world):
    chris = signed_in(app, "chris")
    chris.get(f"/staff/patterns/similar/{world['group']}")
    chris.post(f"/staff/patterns/similar/{world['group']}/issue", follow_redirects=True)
    assert _issue_cases(database) == {TST_CASES[0]}
    assert OTH_CASE not in chris.text
    sam = signed_in(app, "sam")  # a supervisor makes it again: the same issue, not a second one
    sam.get(f"/staff/patterns/similar/{world['group']}")
    sam.post(f"/staff/patterns/similar/{world['group']}/issue")
    assert count(database, SystemicIssue) == 1


def test_an_issue_by_hand_and_cases_added_by_number_refuse_bad_input_saying_why(app, database, world):
    chris = signed_in(app, "chris")
    chris.get("/staff/issues")
    for fields, said in [({"title": ""}, "Write the title."), ({"title": "x" * 201}, "at most 200 characters"),
                         ({"title": "Phones", "case": "12-34"}, "is not a case number"),
                         ({"title": "Phones", "case": OTH_CASE}, "at a facility you work"),
                         ({"title": "Phones", "description": "d" * 5001}, "at most 5,000")]:
        chris.post("/staff/issues", fields, follow_redirects=True)
        assert said in chris.text, fields
    assert chris.post("/staff/issues", {"title": "a\x00b"}).status_code == 400  # NUL: refused at the door
    assert count(database, SystemicIssue) == 0  # nothing half-written
    chris.get("/staff/issues")
    chris.post("/staff/issues", {"title": "Phones\x07  broken ", "description": "In every unit.", "case": TST_CASES[0]},
               follow_redirects=True)
    assert "Issue made." in chris.text
    with database.sessions() as session:  # not id 1 on PostgreSQL: a refused issue took a number from its sequence
        issue_id, title = session.execute(select(SystemicIssue.id, SystemicIssue.title)).one()
    assert title == "Phones broken"
    for typed, said in [(TST_CASES[0], "already part of this issue"), ("\x07", "is not a case number"),
                        (OTH_CASE, "at a facility you work"), (TST_CASES[1], f"Case {TST_CASES[1]} added.")]:
        chris.get(f"/staff/issues/{issue_id}")
        chris.post(f"/staff/issues/{issue_id}/cases", {"case": typed}, follow_redirects=True)
        assert said in chris.text, typed
    assert _issue_cases(database) == set(TST_CASES[:2])
    assert [entry.detail["issue_id"] for entry in audited(database, "systemic_issue.case_added")] == [issue_id] * 2


def _form_token(client) -> str:
    client.get("/staff/issues")
    return re.search(r'name="token" value="([^"]+)"', client.text).group(1)


def test_a_form_submitted_twice_makes_one_issue_and_shows_it_both_times(app, database, world):
    chris = signed_in(app, "chris")
    fields = {"title": "Phones", "case": TST_CASES[0], "token": _form_token(chris)}
    first = chris.post("/staff/issues", fields)
    again = chris.post("/staff/issues", fields)  # a double tap, or the browser resending
    assert first.headers["Location"] == again.headers["Location"] and "/staff/issues/" in first.headers["Location"]
    assert count(database, SystemicIssue) == 1 and _issue_cases(database) == {TST_CASES[0]}
    chris.post("/staff/issues", fields | {"token": _form_token(chris)})  # the form shown again: a second issue
    assert count(database, SystemicIssue) == 2
    for garbage in ("x" * 31, "!" * 32, "9" * 5000, "é" * 32):
        chris.post("/staff/issues", fields | {"token": garbage}, follow_redirects=True)
        assert "This form is out of date" in chris.text, garbage
    assert count(database, SystemicIssue) == 2


def test_a_form_submitted_twice_in_the_same_moment_makes_one_issue(app, database, world):
    chris = signed_in(app, "chris")
    fields, answers = {"title": "Phones", "token": _form_token(chris)}, []
    all_at_once([lambda: answers.append(chris.post("/staff/issues", dict(fields))) for _ in range(4)])
    assert count(database, SystemicIssue) == 1
    assert {answer.status_code for answer in answers} == {302}
    assert len({answer.headers["Location"] for answer in answers}) == 1 and "/staff/issues/" in answers[0].headers["Location"]


def test_a_case_is_taken_out_of_an_issue_and_the_audit_log_says_who(app, database, world):
    chris, dana = signed_in(app, "chris"), signed_in(app, "dana")
    chris.get(f"/staff/patterns/alerts/{world['alert']}")
    chris.post(f"/staff/patterns/alerts/{world['alert']}/issue")
    with database.sessions() as session:
        ids = dict(session.execute(select(Case.number, Case.id)).all())
    page = chris.get("/staff/issues/1").get_data(as_text=True)
    assert f"Take case {TST_CASES[1]} out of this issue" in page
    chris.post(f"/staff/issues/1/cases/{ids[TST_CASES[1]]}/remove", follow_redirects=True)
    assert f"Case {TST_CASES[1]} taken out of the issue." in chris.text
    assert _issue_cases(database) == {TST_CASES[0], TST_CASES[2]}
    for case_id, said in [(ids[TST_CASES[1]], "not part of this issue"), (ids[OTH_CASE], "not part of this issue"),
                          (2**31 - 1, "not part of this issue")]:
        chris.get("/staff/issues/1")
        chris.post(f"/staff/issues/1/cases/{case_id}/remove", follow_redirects=True)
        assert said in chris.text, case_id
    assert chris.post(f"/staff/issues/1/cases/{'9' * 5000}/remove").status_code == 404
    dana.get("/staff/issues")
    assert dana.post(f"/staff/issues/1/cases/{ids[TST_CASES[0]]}/remove").status_code == 403  # not her facility
    assert _issue_cases(database) == {TST_CASES[0], TST_CASES[2]}
    [entry] = audited(database, "systemic_issue.case_removed")
    assert entry.actor == f"staff:{staff_id(database, 'chris')}" and entry.detail["issue_id"] == 1 and entry.case_id == ids[TST_CASES[1]]


def test_a_case_joins_an_issue_from_its_page(app, database, world):
    chris = signed_in(app, "chris")
    chris.get("/staff/issues")
    chris.post("/staff/issues", {"title": "Phones"})
    page = chris.get(f"/staff/case/{TST_CASES[2]}").get_data(as_text=True)
    assert "Add to the systemic issue" in page and "Phones" in page
    for typed, said in [("", "Choose an issue"), ("9" * 40, "Choose an issue"), ("x\x07", "Choose an issue"),
                        ("1", f"Case {TST_CASES[2]} added to the issue"), ("1", "already part of this issue")]:
        chris.get(f"/staff/case/{TST_CASES[2]}")
        chris.post(f"/staff/case/{TST_CASES[2]}/issue", {"issue": typed}, follow_redirects=True)
        assert said in chris.text, typed
    assert _issue_cases(database) == {TST_CASES[2]}
    chris.get("/staff/issues")
    chris.post(f"/staff/case/{OTH_CASE}/issue", {"issue": "1"})  # back to a case page they may not open: 403
    assert "at a facility you work" in chris.get("/staff/issues").get_data(as_text=True)
    assert _issue_cases(database) == {TST_CASES[2]}


def test_staff_see_only_their_facilities_issues_and_packets(app, database, world):
    chris = signed_in(app, "chris")
    chris.get(f"/staff/patterns/alerts/{world['alert']}")
    chris.post(f"/staff/patterns/alerts/{world['alert']}/issue")
    _referred(chris, 1)
    dana = signed_in(app, "dana")  # works OTH only
    assert "Living conditions at TST" not in dana.get("/staff/issues").get_data(as_text=True)
    for path in ("/staff/issues/1", "/staff/referrals/1/packet", "/staff/referrals/1/packet.json",
                 "/staff/referrals/1/packet.csv"):
        assert dana.get(path).status_code == 403, path
    assert len(audited(database, "systemic_issue.view_refused")) == 4
    assert not audited(database, "referral_packet.exported")
    # A supervisor sees the OTH case chris could not add; chris's packet still counts only TST's.
    with database.transaction() as session:
        oth = session.scalar(select(Case.id).where(Case.number == OTH_CASE))
        session.add(SystemicIssueCase(issue_id=1, case_id=oth, added_by="staff:sam"))
    packet = json.loads(chris.get("/staff/referrals/1/packet.json").get_data(as_text=True))
    assert packet["counts"]["cases"] == 3 and packet["counts"]["by_facility"] == {"TST": 3}
    assert "And 1 at facilities you do not work." in chris.get("/staff/issues/1").get_data(as_text=True)


# --- referrals ------------------------------------------------------------------------------

def test_referral_states_move_only_forward_and_every_change_is_recorded(app, database, world):
    chris = signed_in(app, "chris")
    chris.get("/staff/issues")
    chris.post("/staff/issues", {"title": "Phones", "case": TST_CASES[0]})
    for fields, said in [({"recipient": "the press"}, "Choose whom"), ({"due": "tomorrow"}, "is not a date"),
                         ({"due": "2020-01-01"}, "has passed"), ({"due": "2999-01-01"}, "at most two years"),
                         ({"zone": "Mars/Olympus"}, "There is no time zone"),
                         ({"zone": "../../etc/passwd"}, "no time zone"), ({"zone": "z" * 300}, "no time zone"),
                         ({"note": "n" * 5001}, "at most 5,000")]:
        _referred(chris, 1, **fields)
        assert said in chris.text, fields
    assert count(database, Referral) == 0
    _referred(chris, 1, recipient="NOL")
    assert "Referred to ERO New Orleans." in chris.text
    _referred(chris, 1, recipient="NOL")  # the form sent twice: one referral
    assert "already referred to ERO New Orleans" in chris.text and count(database, Referral) == 1
    assert "There is no referral state" in _moved(chris, 1, 1, "bogus", "sent")
    assert "The referral is now acknowledged." in _moved(chris, 1, 1, "acknowledged", "sent", note="They wrote back.")
    assert "only moves forward" in _moved(chris, 1, 1, "sent", "acknowledged")
    assert "Write the outcome." in _moved(chris, 1, 1, "closed", "acknowledged", outcome="  ")
    assert "now closed" in _moved(chris, 1, 1, "closed", "acknowledged", outcome="Phones repaired in every unit.")
    assert "only moves forward" in _moved(chris, 1, 1, "findings_received", "closed")
    with database.sessions() as session:
        referral = session.get(Referral, 1)
        assert (referral.state, referral.outcome) == (ReferralState.CLOSED, "Phones repaired in every unit.")
        changes = session.scalars(select(ReferralChange).order_by(ReferralChange.id)).all()
        who = f"staff:{staff_id(database, 'chris')}"
        assert [(c.state_from, c.state_to, c.actor) for c in changes] == [
            (None, "sent", who), ("sent", "acknowledged", who), ("acknowledged", "closed", who)]
        assert changes[1].note == "They wrote back." and changes[2].note.startswith("Outcome: Phones repaired")
    assert len(audited(database, "referral.sent")) == 1
    assert [(e.detail["state_from"], e.detail["state_to"]) for e in audited(database, "referral.state_changed")] == [
        ("sent", "acknowledged"), ("acknowledged", "closed")]


def test_two_people_moving_a_referral_at_once_one_wins_the_other_is_told(app, database, world):
    chris, sam = signed_in(app, "chris"), signed_in(app, "sam")
    chris.get("/staff/issues")
    chris.post("/staff/issues", {"title": "Phones", "case": TST_CASES[0]})
    _referred(chris, 1)
    for client in (chris, sam):
        client.get("/staff/issues/1")  # both see it sent
    chris.post("/staff/referrals/1/state", {"state": "acknowledged", "seen": "sent"}, follow_redirects=True)
    sam.post("/staff/referrals/1/state", {"state": "inspection_scheduled", "seen": "sent"}, follow_redirects=True)
    assert "Someone changed this referral a moment ago: it is now acknowledged. Nothing was saved." in sam.text
    assert count(database, ReferralChange) == 2
    with database.sessions() as session:
        assert session.get(Referral, 1).state == ReferralState.ACKNOWLEDGED


def test_two_people_moving_a_referral_in_the_same_moment_change_it_once(app, database, world):
    """As above, but the two requests run together in threads: the conditional UPDATE lets one through."""
    chris, sam = signed_in(app, "chris"), signed_in(app, "sam")
    chris.get("/staff/issues")
    chris.post("/staff/issues", {"title": "Phones", "case": TST_CASES[0]})
    _referred(chris, 1)
    for client in (chris, sam):
        client.get("/staff/issues/1")
    moves = {"chris": "acknowledged", "sam": "inspection_scheduled"}
    all_at_once([lambda c=client, to=moves[name]: c.post("/staff/referrals/1/state", {"state": to, "seen": "sent"})
                 for name, client in (("chris", chris), ("sam", sam))])
    assert count(database, ReferralChange) == 2  # "sent", then exactly one of the two moves
    with database.sessions() as session:
        assert session.get(Referral, 1).state in {ReferralState.ACKNOWLEDGED, ReferralState.INSPECTION_SCHEDULED}
    told = [client.get("/staff/issues/1").get_data(as_text=True) for client in (chris, sam)]
    assert sum("Someone changed this referral a moment ago" in page for page in told) == 1


def test_overdue_referrals_show_to_supervisors_with_a_fake_clock(app, database, world):
    sam = signed_in(app, "sam")
    sam.get("/staff/issues")
    sam.post("/staff/issues", {"title": "Phones", "case": TST_CASES[0]})
    _referred(sam, 1, due=f"{utcnow():%Y-%m-%d}", zone="America/Chicago")
    _referred(sam, 1, recipient="policy_and_standards", due=f"{utcnow() + timedelta(days=3):%Y-%m-%d}")
    now = utcnow()
    with database.sessions() as session:
        assert systemic_issues.overdue_count(session, None, now=now) == 0
        assert [r.recipient for r in systemic_issues.overdue(session, None, now=now + timedelta(days=2))] == [
            "detention_oversight"]
        assert systemic_issues.overdue_count(session, None, now=now + timedelta(days=5)) == 2
        tst = [world["TST"]]
        assert systemic_issues.overdue_count(session, tst, now=now + timedelta(days=5)) == 2
        assert systemic_issues.overdue_count(session, [world["OTH"]], now=now + timedelta(days=5)) == 0
    with database.transaction() as session:  # a week passes
        for referral in session.scalars(select(Referral)):
            referral.due_at -= timedelta(days=7)
    page = sam.get("/staff/issues").get_data(as_text=True)
    assert "2 overdue" in page and "No referral is overdue." not in page
    _moved(sam, 2, 1, "closed", "sent", outcome="Standards updated.")
    assert "1 overdue" in sam.get("/staff/issues").get_data(as_text=True)
    assert "overdue" not in signed_in(app, "dana").get("/staff/issues").get_data(as_text=True).split("<main")[0]


# --- the packet -----------------------------------------------------------------------------

HOSTILE_WORDS = ("MARIA lopez told us (A# 201-234-567, a201234567, A 201 234 567) call her sister at "
                 "+1 (512) 555-0110 or 512.555.0110 or maria.lopez@example.org; her PIN is 2468 and case {number}. "
                 "Lopez says the phones in unit B have not worked for weeks.")


def test_the_packet_counts_quotes_only_with_consent_in_english_and_leaves_out_every_identifier(app, database, world):
    with database.transaction() as session:
        cases = {case.number: case for case in session.scalars(select(Case))}
        named, unnamed = cases[TST_CASES[0]], cases[TST_CASES[1]]
        named.detainee_name, named.may_name_to_facility = "María Lopez", True
        unnamed.detainee_name, unnamed.may_name_to_facility = "Jean Baptiste", False
        for case, words in ((named, HOSTILE_WORDS.format(number=named.number)),
                            (unnamed, "Jean Baptiste: the phones are broken.")):
            session.add(Translation(case_id=case.id, source_language="es", target_language="en", source_text="x",
                                    text=words, status=TranslationStatus.DONE))
        casework.log_facility_contact(session, named, whom="Officer Diaz", how="phone",
                                      said="We will fix the phones. Ask maria lopez to call 512-555-0199.",
                                      staff="staff:chris")
    chris = signed_in(app, "chris")
    chris.get(f"/staff/patterns/alerts/{world['alert']}")
    chris.post(f"/staff/patterns/alerts/{world['alert']}/issue")
    _referred(chris, 1)
    _moved(chris, 1, 1, "acknowledged", "sent", note="Called María at +1 512 555 0110")
    packet = json.loads(chris.get("/staff/referrals/1/packet.json").get_data(as_text=True))
    assert packet["counts"] == {"cases": 3, "by_facility": {"TST": 3}, "by_category": {"living_conditions": 3},
                                "by_status": {"new": 3}}
    assert [line["facility"] for line in packet["trend"]] == ["TST"] and sum(packet["trend"][0]["weekly"]) == 3
    assert packet["rates"][0]["complaints"] == 3
    assert [step["to"] for step in packet["timeline"]] == ["sent", "acknowledged"]
    assert packet["facility_responses"][0]["said"] == "We will fix the phones. Ask [name] to call [number]."
    assert len(packet["excerpts"]) == 1 and packet["excerpts_withheld"] == 2
    assert "the phones in unit B have not worked" in packet["excerpts"][0]["english"]
    csv_text = chris.get("/staff/referrals/1/packet.csv").get_data(as_text=True)
    page = chris.get("/staff/referrals/1/packet").get_data(as_text=True)
    assert "<svg" in page and "the phones in unit B" in page
    for exported in (json.dumps(packet, ensure_ascii=False), csv_text, page.split("<main>")[1].split("<svg")[0]):
        lowered = re.sub(r"\d{4}-\d\d-\d\d(?:[t ][\d:.+]+)?", "", exported.lower())  # the packet's own times
        for identifier in ("maria", "maría", "lopez", "jean", "baptiste", "diaz", "@", "201", "2468", "555",
                           *TST_CASES):
            assert identifier not in lowered, identifier
    rows = list(csv.reader(io.StringIO(csv_text)))
    assert rows[0] == ["section", "facility", "category", "when", "figure", "text"]
    assert [row[4] for row in rows if row[0] == "excerpts withheld"] == ["2"]
    assert [e.detail["format"] for e in audited(database, "referral_packet.exported")] == ["json", "csv", "print"]


# --- the scrubber ---------------------------------------------------------------------------

def test_the_scrubber_removes_identifiers_in_every_common_format():
    names = ["María José Lopez-Díaz"]
    sample = ("maría josé LOPEZ-DÍAZ, a.k.a. Lopez, díaz; A#201234567 A-201-234-567 a 201 234 567 201234567 "
              "(512) 555-0110 +52 55 1234 5678 00 52 55 1234 5678 512.555.0110 x@y.mx PIN 2468 ١٢٣٤٥٦٧٨٩ "
              "２０１２３４５６７")
    scrubbed = deidentify.scrub(sample, names)
    assert not re.search(r"\d", scrubbed), scrubbed
    for part in ("maría", "josé", "lopez", "díaz", "@"):
        assert part not in scrubbed.lower(), scrubbed
    assert deidentify.scrub("The phones broke on Monday; 12 people waited.", names) == \
        "The phones broke on Monday; 12 people waited."


NAME_WORD_ANY = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=1, max_size=10).filter(
    lambda word: word[0].upper() != word[0].lower() and word[0].upper()[:1].isupper() and len(word[0].upper()) == 1)
def test_the_scrubber_removes_a_name_the_case_does_not_hold_after_a_title_or_a_role():
    """The people a complaint is most often about (an officer, a nurse, another detainee) are named
    nowhere in the case: the words after their title go, the title stays."""
    said = ("Officer Ramírez pushed me and Sgt. Bell laughed. Nurse Ann Lee gave me nothing; a guard named "
            "Cole took my papers. CO Smith and c.o. Brown saw it. My cellmate Jean-Pierre is sick. Mr. O'Brien, "
            "Ms. Zoë Ôzil-Ng and Dr. Patel know.")
    assert deidentify.scrub(said) == (
        "Officer [name] pushed me and Sgt. [name] laughed. Nurse [name] gave me nothing; a guard named "
        "[name] took my papers. CO [name] and c.o. [name] saw it. My cellmate [name] is sick. Mr. [name], "
        "Ms. [name] and Dr. [name] know.")
    assert deidentify.scrub("Officer María López", ["María"]) == "Officer [name]"  # not "[name] López"
    for kept in ("The officer said no, the nurse. She said wait.", "the guard told the detainee to wait",
                 "Officer", "Dr. appointment never came"):
        assert deidentify.scrub(kept) == kept


@given(title=st.sampled_from(["Officer", "officer", "Sgt.", "Nurse", "guard named", "CO", "Ms.", "cellmate"]),
       name=st.lists(NAME_WORD_ANY, min_size=1, max_size=2), after=st.sampled_from(["", " said", ".", ", then"]))
@settings(max_examples=200, deadline=None)
def test_no_capitalised_name_after_a_title_survives(title, name, after):
    written = " ".join(word[0].upper() + word[1:] for word in name)
    scrubbed = deidentify.scrub(f"Then {title} {written}{after}")
    assert scrubbed == f"Then {title} [name]{after}", scrubbed


NAME_WORD = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=2, max_size=10).filter(
    lambda word: word.lower().upper().lower() == word.lower() and word.lower() not in ("name", "number", "mail"))
DIGIT = st.characters(whitelist_categories=("Nd",))
SEPARATOR = st.sampled_from(["", " ", "-", ".", "  ", " - ", "(", ")"])


@st.composite
def identifiers(draw) -> str:
    """An A-number, phone number or PIN as a hostile person might write it."""
    digits = draw(st.lists(DIGIT, min_size=4, max_size=14))
    written = digits[0] + "".join(draw(SEPARATOR) + digit for digit in digits[1:])
    return draw(st.sampled_from(["", "A", "A#", "a-", "+", "A# "])) + written


@given(name=st.lists(NAME_WORD, min_size=1, max_size=3), pieces=st.lists(st.one_of(
    st.sampled_from(["said", "the", "phone", "is", "broken", ",", ".", "\n", "—", "«", "»"]),
    identifiers(), st.just("NAME"), st.emails()), min_size=1, max_size=12))
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_no_identifier_survives_the_scrubber(name, pieces):
    full = " ".join(name)
    variants = [full, full.upper(), full.lower(), full.title(), *name]
    text = " ".join(variants[index % len(variants)] if piece == "NAME" else piece for index, piece in enumerate(pieces))
    scrubbed = deidentify.scrub(text, [full])
    rest = scrubbed.replace(deidentify.NAME, " ").replace(deidentify.NUMBER, " ").replace(deidentify.EMAIL, " ")
    assert not re.search(r"\d(?:\D{0,3}\d){3,}", rest), scrubbed
    assert "@" not in rest, scrubbed
    words = {word.lower() for word in re.split(r"[^\w]+", rest)}
    assert not words & {part.lower() for part in name}, scrubbed

