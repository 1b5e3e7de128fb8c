"""Exports, the translation page and the audit entries of one case: what a case manager takes
out of the console, who else may, and hostile text that must come out exactly as it went in."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select

from kiosk.core.identifiers import case_number
from kiosk.core.models import AuditEntry, Case, Translation, utcnow
from tests.helpers import (
    ROUTINE, add_case, audit_rows, exported_json, file_complaint, filed_case, signed_in, staff_id, track,
)

OURS, THEIRS, UNKNOWN = case_number(26, 1), case_number(26, 2), case_number(26, 3)
HOSTILE = ("<script>alert(1)</script>\u202eevil <b>bold</b> \u0645\u0631\u062d\u0628\u0627 \x7f"
           + "x" * 5000)
CASE_PAGES = ("", "/translation", "/export.json", "/print", "/audit")


def machine_translation(database, number, text, package="translate-es_en 1.9"):
    with database.transaction() as session:
        found = session.scalars(select(Case).where(Case.number == number)).one()
        made = Translation(case_id=found.id, source_language=found.language, target_language="en",
                           source_text=found.description, text=text, status="done", made_by=package,
                           finished_at=utcnow())
        session.add(made)
        session.flush()
        return made.id


def exported_csv(client, query="") -> list[dict]:
    response = client.get(f"/staff/export.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True).removeprefix("\ufeff"))))


def test_a_case_manager_of_another_facility_gets_403_everywhere_and_each_refusal_is_audited(app, database, people):
    add_case(database, people["OTH"], THEIRS, "medical", ROUTINE, words="Their private words")
    chris = signed_in(app, "chris")
    for page in CASE_PAGES:
        response = chris.get(f"/staff/case/{THEIRS}{page}")
        assert response.status_code == 403, page
        assert "Their private words" not in response.get_data(as_text=True)
        assert "Content-Disposition" not in response.headers
    chris_id = f"staff:{staff_id(database, 'chris')}"
    assert [(actor, action, number) for actor, action, number in audit_rows(database, "case.") if actor == chris_id] == [
        (chris_id, "case.view_refused", THEIRS), (chris_id, "case.translation_view_refused", THEIRS),
        (chris_id, "case.export_refused", THEIRS), (chris_id, "case.export_refused", THEIRS),
        (chris_id, "case.audit_view_refused", THEIRS)]
    dana = signed_in(app, "dana")  # who works that facility opens every one of them
    assert all(dana.get(f"/staff/case/{THEIRS}{page}").status_code == 200 for page in CASE_PAGES)


def test_unknown_case_numbers_are_404_and_write_nothing(app, database, people):
    chris = signed_in(app, "chris")
    for number in (UNKNOWN, "<script>", "9" * 5000, "26-0000-00%ff"):
        for page in CASE_PAGES:
            assert chris.get(f"/staff/case/{number}{page}").status_code == 404, (number, page)
    assert audit_rows(database, "case.") == []


def test_the_json_export_holds_what_a_case_manager_files_with_the_ombudsman(app, database, people):
    add_case(database, people["TST"], OURS, "medical", ROUTINE, words="Me duele el pecho desde el lunes.")
    machine_id = machine_translation(database, OURS, "My chest hurts since Monday.")
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{OURS}")
    chris.post(f"/staff/case/{OURS}/translation/{machine_id}/correct", {"text": "My chest has hurt since Monday."})
    chris.post(f"/staff/case/{OURS}/note", {"note": "Called the clinic twice."})
    chris.post(f"/staff/case/{OURS}/facility-contact", {"whom": "Nurse Diaz", "how": "phone", "said": "Seen today."})
    chris.post(f"/staff/case/{OURS}/status", {"status": "in_review"})

    response = chris.get(f"/staff/case/{OURS}/export.json")
    assert response.mimetype == "application/json" and response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == f'attachment; filename="case-{OURS}.json"'
    record = json.loads(response.get_data(as_text=True))
    chris_name = "Chris"
    assert record["case"]["number"] == OURS and record["case"]["facility"]["code"] == "TST"
    assert record["case"]["category"]["label"] == "Medical care" and record["case"]["status"] == "in_review"
    assert record["case"]["language"] == {"code": "es", "name": "Spanish"}
    assert {"question": "Urgent now", "answer": "No"} in record["answers"]
    assert record["original"]["text"] == "Me duele el pecho desde el lunes."
    assert record["english"] == {"text": "My chest has hurt since Monday.", "made_by": "human", "by": chris_name}
    assert [(t["made_by"], t["package"], t["corrected_by"], t["text"]) for t in record["translations"]] == [
        ("machine", "translate-es_en 1.9", None, "My chest hurts since Monday."),
        ("human", None, chris_name, "My chest has hurt since Monday.")]
    timeline = {e["kind"]: e for e in record["timeline"]}
    assert timeline["note"]["text"] == "Called the clinic twice." and timeline["note"]["shown_to_detainee"] is False
    assert "Nurse Diaz" in timeline["facility_contact"]["text"] and timeline["note"]["actor"] == chris_name
    assert timeline["status_changed"]["status_to"] == "in_review"
    assert record["links"] == [] and record["exported"]["by"] == chris_name
    assert "pin_hash" not in response.get_data(as_text=True)
    assert (f"staff:{staff_id(database, 'chris')}", "case.exported", OURS) in audit_rows(database, "case.exported")


def test_internal_notes_are_in_the_staff_export_and_never_on_the_kiosk(app, kiosk, database, people):
    file_complaint(kiosk, language="es", a_number="201234567", pin="2468")
    number = filed_case(database).number
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{number}")
    chris.post(f"/staff/case/{number}/note", {"note": "The officer on B shift is the problem."})
    chris.post(f"/staff/case/{number}/facility-contact", {"whom": "Lt. Moss", "how": "phone", "said": "Denied it."})
    timeline = exported_json(chris, number)["timeline"]
    contact = "Contacted: Lt. Moss\nHow: phone\nThe facility said: Denied it.\n" \
              "Identity: may be named to the facility (A 201-234-567)."
    assert {"The officer on B shift is the problem.", contact} <= {e["text"] for e in timeline}
    kiosk_page = track(kiosk, "201234567", "2468")
    assert kiosk_page.request.path == f"/kiosk/case/{number}"
    text = kiosk_page.get_data(as_text=True)
    assert number in text and "B shift" not in text and "Lt. Moss" not in text and "Denied it" not in text


def test_the_printable_record_is_the_same_record_as_a_page(app, database, people):
    add_case(database, people["TST"], OURS, "food", ROUTINE, words="La comida llega fría.")
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{OURS}")
    chris.post(f"/staff/case/{OURS}/note", {"note": "Kitchen inspection due."})
    page = chris.get(f"/staff/case/{OURS}/print")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "La comida llega fría." in text and "Kitchen inspection due." in text and "no (staff only)" in text
    assert "<script" not in text and "style=" not in text  # the CSP allows neither inline
    assert [a for a in audit_rows(database, "case.exported")] == [
        (f"staff:{staff_id(database, 'chris')}", "case.exported", OURS)]


def test_the_translation_page_shows_every_version_with_its_package_and_corrector(app, database, people):
    add_case(database, people["TST"], OURS, "medical", ROUTINE, words="Necesito mis pastillas.")
    machine_id = machine_translation(database, OURS, "I need my pills.", package="translate-es_en 1.9")
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{OURS}")
    chris.post(f"/staff/case/{OURS}/translation/{machine_id}/correct", {"text": "I need my tablets."})
    text = chris.get(f"/staff/case/{OURS}/translation").get_data(as_text=True)
    assert "machine: translate-es_en 1.9" in text and "I need my pills." in text
    assert "a person: Chris" in text and "I need my tablets." in text
    assert text.index("I need my pills.") < text.index("I need my tablets.")  # oldest first
    assert "Spanish → English" in text
    assert ("case.translation_viewed" in [a for _who, a, _n in audit_rows(database, "case.translation")])


def test_the_audit_entries_of_a_case_say_who_viewed_exported_and_was_refused(app, database, people):
    add_case(database, people["TST"], OURS, "medical", ROUTINE)
    sam = signed_in(app, "sam")
    sam.get(f"/staff/case/{OURS}/export.json")
    dana = signed_in(app, "dana")
    assert dana.get(f"/staff/case/{OURS}").status_code == 403
    chris = signed_in(app, "chris")
    text = chris.get(f"/staff/case/{OURS}/audit").get_data(as_text=True)
    rows = text[text.index("<tbody>"):]
    assert "<td>Sam</td><td>case.exported" in rows and "<td>Dana</td><td>case.view_refused" in rows
    assert "staff:" not in rows  # people by name
    assert "case.audit_viewed" in rows and "127.0.0.1" in rows
    assert "Detail" not in text and "Format: json" not in text  # details are for supervisors
    assert "<td>Format: json</td>" in signed_in(app, "sam").get(f"/staff/case/{OURS}/audit").get_data(as_text=True)


def test_the_queue_export_keeps_the_filters_and_each_persons_facilities(app, database, people):
    add_case(database, people["TST"], OURS, "medical", ROUTINE, words="Dolor")
    add_case(database, people["TST"], case_number(26, 4), "food", ROUTINE, words="Comida")
    add_case(database, people["OTH"], THEIRS, "medical", ROUTINE, words="Their words")
    machine_translation(database, OURS, "Pain")
    chris, sam = signed_in(app, "chris"), signed_in(app, "sam")
    response = chris.get("/staff/export.csv")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="queue-')
    assert response.get_data(as_text=True).startswith("\ufeffCase,Facility,")
    rows = exported_csv(chris)
    assert sorted(r["Case"] for r in rows) == sorted([OURS, case_number(26, 4)])  # not the other facility's
    ours = next(r for r in rows if r["Case"] == OURS)
    assert (ours["Facility"], ours["Category"], ours["Detainee's words"], ours["English"]) == \
        ("TST", "Medical care", "Dolor", "Pain")
    assert sorted(r["Case"] for r in exported_csv(sam)) == sorted([OURS, case_number(26, 4), THEIRS])
    assert [r["Case"] for r in exported_csv(sam, "?facility=OTH")] == [THEIRS]
    assert sorted(r["Case"] for r in exported_csv(sam, "?category=medical")) == sorted([OURS, THEIRS])
    actors = [who for who, _action, _number in audit_rows(database, "queue.exported")]
    assert actors == [f"staff:{staff_id(database, 'chris')}"] * 2 + [f"staff:{staff_id(database, 'sam')}"] * 3
    with database.sessions() as session:
        last = session.scalars(select(AuditEntry).where(AuditEntry.action == "queue.exported")
                               .order_by(AuditEntry.id.desc())).first()
        assert last.detail["rows"] == 2 and last.detail["filters"]["category"] == "medical"


def test_the_queue_offers_an_export_of_exactly_what_it_shows(app, database, people):
    add_case(database, people["TST"], OURS, "medical", ROUTINE)
    add_case(database, people["OTH"], THEIRS, "food", ROUTINE)
    sam = signed_in(app, "sam")
    page = sam.get("/staff/?category=medical").get_data(as_text=True)
    link = re.search(r'href="([^"]*export\.csv[^"]*)"', page).group(1).replace("&amp;", "&")
    assert [r["Case"] for r in exported_csv(sam, link.partition("export.csv")[2])] == [OURS]


@pytest.mark.parametrize("query, message", [
    ("?facility=OTH", "You work no facility called &#39;OTH&#39;."),  # another's: the same as unknown
    ("?facility=NOPE", "You work no facility called &#39;NOPE&#39;."),
    ("?facility=%ff%3Cscript%3E", "You work no facility called"),
    ("?category=%3Cscript%3Ealert(1)%3C/script%3E", "There is no category &#39;&lt;script&gt;"),
    ("?status=closed", "There is no status &#39;closed&#39;"),
    ("?language=klingon", "There is no language &#39;klingon&#39;"),
    ("?overdue=yes", "The filter &#39;overdue&#39; is 1 or nothing."),
    ("?mine=" + "9" * 5000, "The filter &#39;mine&#39; is 1 or nothing."),
])
def test_garbage_in_the_queue_exports_filters_says_so_and_exports_nothing(app, database, people, query, message):
    add_case(database, people["TST"], OURS, "medical", ROUTINE)
    chris = signed_in(app, "chris")
    response = chris.get(f"/staff/export.csv{query}", follow_redirects=True)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html" and response.request.path == "/staff/"
    assert message in text and "Nothing was exported." in text and "<script>alert" not in text
    assert [action for _actor, action, _case in audit_rows(database, "queue.")] == ["queue.export_refused"]


def test_spreadsheet_formulas_in_complaints_are_neutralised(app, database, people):
    words = {1: "=HYPERLINK(\"http://evil.example\",\"click\")", 4: "+1+2", 5: "-2+3", 6: "@SUM(A1:A9)",
             7: "\tcmd", 8: "\rcmd", 9: "A normal complaint = fine", 10: "Llamé -> nadie"}
    for serial, text in words.items():
        add_case(database, people["TST"], case_number(26, serial), "food", ROUTINE, words=text)
    machine_translation(database, case_number(26, 9), "=1+1")
    rows = {r["Case"]: r for r in exported_csv(signed_in(app, "sam"))}
    assert {serial: rows[case_number(26, serial)]["Detainee's words"] for serial in words} == {
        1: "'=HYPERLINK(\"http://evil.example\",\"click\")", 4: "'+1+2", 5: "'-2+3", 6: "'@SUM(A1:A9)",
        7: "'\tcmd", 8: "'\rcmd", 9: "A normal complaint = fine", 10: "Llamé -> nadie"}
    assert rows[case_number(26, 9)]["English"] == "'=1+1"


def test_hostile_text_comes_out_of_every_export_intact(app, database, people):
    add_case(database, people["TST"], OURS, "safety", {**ROUTINE, "safety_kind": "detainee_violence"}, words=HOSTILE)
    machine_translation(database, OURS, HOSTILE)
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{OURS}")
    chris.post(f"/staff/case/{OURS}/note", {"note": HOSTILE[:4999]})
    record = exported_json(chris, OURS)
    assert record["original"]["text"] == HOSTILE and record["english"]["text"] == HOSTILE
    assert record["translations"][0]["source_text"] == HOSTILE
    assert HOSTILE[:4999].replace("\x7f", "") in [e["text"] for e in record["timeline"]]  # no key types DEL
    cell = exported_csv(chris)[0]
    assert cell["Detainee's words"] == HOSTILE and cell["English"] == HOSTILE
    for page in ("/print", "/translation"):
        text = chris.get(f"/staff/case/{OURS}{page}").get_data(as_text=True)
        assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert "x" * 5000 in text and "\u202eevil" in text and 'class="words" dir="auto"' in text
