"""Facilities in context: the field office their cases route to, who runs them, and their average
daily population over time, entered on the facility's page or imported from a CSV file (all or
nothing, every bad line named)."""
from __future__ import annotations

import io
from datetime import date, timedelta

from sqlalchemy import select

from kiosk.core import populations
from kiosk.core.identifiers import case_number
from kiosk.core.models import Facility, FacilityPopulation, OperatorType, utcnow
from tests.helpers import ROUTINE, add_case, audited, signed_in

GOOD_CSV = b"facility,date,population\nTST,2026-01-01,640\noth,2026-01-01,120\nTST,2026-03-01,700\n"


def facility(database, code) -> Facility:
    with database.sessions() as session:
        return session.scalar(select(Facility).where(Facility.code == code))


def figures(database) -> list[tuple[str, date, int]]:
    with database.sessions() as session:
        return [tuple(row) for row in session.execute(
            select(Facility.code, FacilityPopulation.as_of, FacilityPopulation.population)
            .join(Facility, Facility.id == FacilityPopulation.facility_id)
            .order_by(Facility.code, FacilityPopulation.as_of))]


def test_an_administrator_sets_the_field_office_and_operator(app, database, people, ada):
    page = f"/staff/admin/facilities/{people['TST']}"
    ada.get(page)
    ada.post(f"{page}/context", {"field_office": "nol", "operator_type": "igsa"}, follow_redirects=True)
    assert "TST: field office and operator saved." in ada.text
    assert '<option value="NOL" selected>ERO New Orleans</option>' in ada.text
    found = facility(database, "TST")
    assert (found.field_office, found.operator_type) == ("NOL", OperatorType.IGSA)
    assert audited(database, "facility.context_changed")[-1].detail["after"] == {"field_office": "NOL",
                                                                                 "operator_type": "igsa"}
    for fields, message in (({"field_office": "XYZ", "operator_type": ""}, "Choose a field office from the list."),
                            ({"field_office": "", "operator_type": "prison"}, "Choose who runs the facility from the list."),
                            ({"field_office": "N\u202eOL", "operator_type": "igsa"}, "Choose a field office from the list.")):
        ada.post(f"{page}/context", fields, follow_redirects=True)
        assert message in ada.text
    found = facility(database, "TST")
    assert (found.field_office, found.operator_type) == ("NOL", OperatorType.IGSA)  # nothing half-written
    ada.post(f"{page}/context", {"field_office": "", "operator_type": ""}, follow_redirects=True)
    assert facility(database, "TST").field_office is None and facility(database, "TST").operator_type is None


def test_population_figures_are_added_replaced_and_removed_on_the_facility_page(app, database, people, ada):
    page = f"/staff/admin/facilities/{people['TST']}"
    ada.get(page)
    ada.post(f"{page}/population", {"as_of": "2026-01-01", "population": "640"}, follow_redirects=True)
    assert "TST: 640 detainees from 2026-01-01." in ada.text
    ada.post(f"{page}/population", {"as_of": "2026-01-01", "population": "1200"}, follow_redirects=True)
    assert figures(database) == [("TST", date(2026, 1, 1), 1200)]  # the same date: replaced
    assert "1,200" in ada.text
    tomorrow = (utcnow().date() + timedelta(days=1)).isoformat()
    for fields, message in (({"as_of": "01/02/2026", "population": "5"}, "is not a date: write it like 2026-11-30."),
                            ({"as_of": tomorrow, "population": "5"}, "is not between 2000-01-01 and today."),
                            ({"as_of": "2026-02-30", "population": "5"}, "is not a date"),
                            ({"as_of": "2026-02-01", "population": "-5"}, "is not a number of people"),
                            ({"as_of": "2026-02-01", "population": "12.5"}, "is not a number of people"),
                            ({"as_of": "2026-02-01", "population": "9" * 40}, "is not a number of people"),
                            ({"as_of": "2026-02-01", "population": "25000"}, "more than any facility holds")):
        ada.post(f"{page}/population", fields, follow_redirects=True)
        assert message in ada.text, fields
    assert figures(database) == [("TST", date(2026, 1, 1), 1200)]
    with database.sessions() as session:
        row_id = session.scalar(select(FacilityPopulation.id))
    assert ada.post(f"/staff/admin/facilities/{people['OTH']}/population/{row_id}/remove").status_code == 404
    ada.get(page)
    ada.post(f"{page}/population/{row_id}/remove", follow_redirects=True)
    assert "the figure of 2026-01-01 removed" in ada.text and figures(database) == []
    assert [e.action for e in audited(database, "facility.population_recorded")] == ["facility.population_recorded"] * 2
    assert len(audited(database, "facility.population_removed")) == 1


def test_a_population_csv_is_imported_by_an_administrator(app, database, people, ada):
    ada.get("/staff/admin/facilities")
    ada.post("/staff/admin/facilities/population", {"populations": (io.BytesIO(GOOD_CSV), "adp.csv")},
             content_type="multipart/form-data", follow_redirects=True)
    assert "Imported 3 figures for 2 facilities (3 new, 0 replacing a figure of the same date)." in ada.text
    assert figures(database) == [("OTH", date(2026, 1, 1), 120), ("TST", date(2026, 1, 1), 640),
                                 ("TST", date(2026, 3, 1), 700)]
    again = b"\xef\xbb\xbfPopulation,Facility,Date\r\n800,TST,2026-03-01\r\n"  # a spreadsheet's: BOM, CRLF, other order
    ada.post("/staff/admin/facilities/population", {"populations": (io.BytesIO(again), "adp.csv")},
             content_type="multipart/form-data", follow_redirects=True)
    assert "(0 new, 1 replacing a figure of the same date)" in ada.text and figures(database)[-1][2] == 800
    ada.post("/staff/admin/facilities/population", {}, content_type="multipart/form-data", follow_redirects=True)
    assert "Choose a CSV file of facility,date,population lines to import." in ada.text
    assert len(audited(database, "facility.population_imported")) == 2
    chris = signed_in(app, "chris")
    chris.get("/staff/")
    refused = chris.post("/staff/admin/facilities/population", {"populations": (io.BytesIO(GOOD_CSV), "adp.csv")},
                         content_type="multipart/form-data")
    assert refused.status_code == 403


HOSTILE_LINES = [
    b"facility,date,population",
    b"TST,2026-01-01,640",             # 2: good
    b"NOPE,2026-01-01,10",             # 3: no such facility
    b"TST,2026-13-01,10",              # 4: no such date
    b"TST,2999-01-01,10",              # 5: in the future
    b"TST,2026-02-01,-5",              # 6: negative
    b"TST,2026-02-02,99999999",        # 7: more than any facility holds
    b"TST,2026-01-01,650",             # 8: the same facility and date as line 2
    b"TST,2026-02-03,6\x004",          # 9: a NUL
    b"TST,2026-02-04,\xff\xfe",        # 10: not UTF-8
    b'"TST,2026-02-05,10',             # 11: a quote never closed
    b"TST,2026-02-06",                 # 12: a value missing
    b"OTH,2026-02-07,10,extra",        # 13: one too many
    b"",                               # 14: blank lines are skipped
    b"OTH,2026-02-08,120",             # 15: good
]


def test_a_hostile_csv_names_every_bad_line_and_writes_nothing(app, database, people, ada):
    data = b"\n".join(HOSTILE_LINES)
    ada.get("/staff/admin/facilities")
    ada.post("/staff/admin/facilities/population", {"populations": (io.BytesIO(data), "adp.csv")},
             content_type="multipart/form-data", follow_redirects=True)
    assert "Nothing was imported:" in ada.text
    for line in range(3, 14):
        assert f"Line {line}" in ada.text, line
    assert "Line 2:" not in ada.text and "Line 2 " not in ada.text and "Line 15" not in ada.text
    assert "&#39;NOPE&#39; is no facility&#39;s code." in ada.text
    assert "Line 8 gives TST on 2026-01-01 again (line 2)." in ada.text
    assert figures(database) == [] and audited(database, "facility.population_imported") == []

    with database.sessions() as session:
        for data, problem in ((b"", "The file is empty"), (b"code,when,people\nTST,2026-01-01,5", "must name the columns"),
                              (b"facility,date,population\n", "no figures after its header"),
                              (b"x" * (populations.MAX_IMPORT_BYTES + 1), "larger than 8 MB")):
            try:
                populations.import_csv(session, data, actor="test")
            except populations.ImportRefused as refused:
                assert problem in str(refused)
            else:
                raise AssertionError(f"{data[:40]!r} was imported")


def test_kioskctl_sets_the_context_and_imports_populations(runner, database, people, tmp_path):
    done = runner.invoke(["facility", "context", "tst", "--field-office", "atl", "--operator-type", "spc"])
    assert done.exit_code == 0, done.output
    assert (facility(database, "TST").field_office, facility(database, "TST").operator_type) == ("ATL", "spc")
    assert runner.invoke(["facility", "context", "TST", "--field-office", "XXX"]).exit_code == 1
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(GOOD_CSV)
    bad.write_bytes(b"\n".join(HOSTILE_LINES))
    refused = runner.invoke(["facility", "import-population", str(bad)])
    assert refused.exit_code == 1 and "nothing was imported:" in refused.stderr
    assert "Line 3: 'NOPE' is no facility's code." in refused.stderr.splitlines()
    assert figures(database) == []
    imported = runner.invoke(["facility", "import-population", str(good)])
    assert imported.exit_code == 0 and "Imported 3 figures for 2 facilities" in imported.output
    assert len(figures(database)) == 3


def test_a_population_holds_from_its_date_until_the_next():
    population = populations.Population([(date(2026, 1, 11), 200), (date(2026, 1, 1), 100)])
    assert population.detainee_days(date(2026, 1, 1), date(2026, 1, 21)) == 10 * 100 + 10 * 200
    assert population.detainee_days(date(2025, 12, 22), date(2026, 1, 1)) == 10 * 100  # the first, backwards
    assert population.average(date(2026, 2, 1), date(2026, 3, 1)) == 200  # the last, forwards
    assert population.average(date(2026, 1, 6), date(2026, 1, 16)) == 150
    assert populations.Population([]).average(date(2026, 1, 1), date(2026, 2, 1)) is None


def test_the_queue_filters_by_field_office(app, database, people, ada):
    with database.transaction() as session:
        session.get(Facility, people["TST"]).field_office = "NOL"
        session.get(Facility, people["OTH"]).field_office = "ATL"
    add_case(database, people["TST"], case_number(26, 1), "food", ROUTINE)
    add_case(database, people["OTH"], case_number(26, 2), "food", ROUTINE)
    sam = signed_in(app, "sam")
    page = sam.get("/staff/?office=NOL").get_data(as_text=True)
    assert case_number(26, 1) in page and case_number(26, 2) not in page
    assert '<option value="NOL" selected>ERO New Orleans</option>' in page
    assert "office=NOL" in page  # kept in the export link
    page = sam.get("/staff/?office=%E2%80%AEX").get_data(as_text=True)  # garbage is ignored, as other filters are
    assert case_number(26, 1) in page and case_number(26, 2) in page
    exported = sam.get("/staff/export.csv?office=ATL").get_data(as_text=True)
    assert case_number(26, 2) in exported and case_number(26, 1) not in exported
    sam.get("/staff/export.csv?office=XYZ", follow_redirects=True)
    assert "There is no office &#39;XYZ&#39; in the queue. Nothing was exported." in sam.text


def test_a_period_reads_only_the_figures_that_count_for_it(database, people):
    with database.transaction() as session:
        session.add_all(FacilityPopulation(facility_id=people["TST"], as_of=day, population=people_there,
                                           entered_by="test")
                        for day, people_there in ((date(2025, 1, 1), 100), (date(2026, 1, 1), 200),
                                                  (date(2026, 6, 1), 300)))
    with database.sessions() as session:
        for start, end, average in ((date(2026, 2, 1), date(2026, 3, 1), 200),   # the one in force on start
                                    (date(2024, 1, 1), date(2024, 2, 1), 100),   # before the first: the first
                                    (date(2026, 5, 22), date(2026, 6, 11), 250)):  # one in force, one within
            found = populations.of_facilities(session, start=start, end=end)
            assert set(found) == {people["TST"]} and found[people["TST"]].average(start, end) == average
        # Only the one in force on start: the first (2025) and the later one (June) do not count for February.
        assert populations.of_facilities(session, start=date(2026, 2, 1), end=date(2026, 3, 1))[people["TST"]].days == [
            date(2026, 1, 1)]
