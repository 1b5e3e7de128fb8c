"""The administrator's pages: facilities, housing units, kiosks, hotlines, language packages.

Only administrators reach them; every change is audited; bad input says what is wrong and
writes nothing. CSRF stays on: every POST carries the token of the last page, like a browser.
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from kiosk.core.credentials import digest
from kiosk.core.models import Facility, Hotline, HousingUnit, Job, Kiosk, WebSession
from kiosk.staff import admin
from kiosk.translation import packages
from kiosk.translation.engine import Engine
from tests.argos_package import build_package
from tests.helpers import (
    PASSWORD, BrowserClient, audited, count, is_a_working_kiosk, run_worker, signed_in, staff_id, start_filing,
)

ADMIN_PAGES = ["/staff/admin/accounts", "/staff/admin/facilities", "/staff/admin/facilities/{TST}",
               "/staff/admin/hotlines", "/staff/admin/hotlines/{hotline}", "/staff/admin/packages"]


def pages(database, people) -> list[str]:
    with database.sessions() as session:
        hotline = session.scalars(select(Hotline.id)).first()
    return [p.format(TST=people["TST"], hotline=hotline) for p in ADMIN_PAGES]


def test_only_administrators_reach_the_admin_pages(app, database, people, ada):
    for username in ("chris", "sam"):
        other = signed_in(app, username)
        for path in pages(database, people):
            response = other.get(path)
            assert response.status_code == 403, path
            assert "Only an administrator can open this page." in other.text
        other.get("/staff/")  # a page they may see, for a valid CSRF token
        refused = [
            other.post("/staff/admin/facilities", {"code": "NEW", "name": "New", "timezone": "America/Chicago"}),
            other.post(f"/staff/admin/facilities/{people['TST']}/units", {"name": "Z-9"}),
            other.post("/staff/admin/hotlines", {"kind": "medical", "number": "+1 512-555-0199"}),
            other.post("/staff/admin/packages", {"package": (io.BytesIO(b"PK"), "x.argosmodel")}),
            other.post("/staff/admin/accounts", {"username": "mallory", "role": "administrator",
                                                 "password": PASSWORD}),
        ]
        assert [r.status_code for r in refused] == [403] * 5
        assert "Facilities and kiosks" not in other.get("/staff/").get_data(as_text=True)  # no admin links
    assert count(database, Facility) == 2 and count(database, HousingUnit) == 3 and count(database, Hotline) == 2
    assert count(database, Job) == 0 and staff_id(database, "mallory") is None
    assert {e.actor for e in audited(database, "admin.refused")} == {
        f"staff:{staff_id(database, 'chris')}", f"staff:{staff_id(database, 'sam')}"}
    page = ada.get("/staff/").get_data(as_text=True)
    assert all(link in page for link in ("Facilities and kiosks", "Hotlines", "Language packages", "Accounts"))


def test_admin_pages_carry_csrf_in_every_form_and_no_inline_code(app, database, people, ada):
    for path in pages(database, people):
        response = ada.get(path)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, path
        # Scripts only from files (the alert banner's); no inline code or style.
        inline_script = re.search(r"<script(?![^>]*\ssrc=)", page)
        assert not inline_script and "style=" not in page and "<style" not in page, path
        assert page.count("<form") == page.count('name="csrf_token"'), path  # the sign-out form has one too
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    without_token = ada.post("/staff/admin/facilities", {"code": "NEW", "name": "New", "timezone": "UTC"},
                             csrf=False)
    forged = ada.post("/staff/admin/packages", {"csrf_token": "forged", "package": (io.BytesIO(b"PK"), "x.argosmodel")})
    assert without_token.status_code == 400 and forged.status_code == 400
    assert count(database, Facility) == 2 and count(database, Job) == 0 and spooled(app) == []


# --- facilities and housing units ---------------------------------------------------

def test_an_administrator_creates_and_changes_a_facility(app, database, people, ada):
    ada.get("/staff/admin/facilities")
    ada.post("/staff/admin/facilities", {"code": " rgv2 ", "name": "Rio  Grande Valley Center",
                                         "timezone": "America/Chicago"}, follow_redirects=True)
    assert "Facility RGV2 created." in ada.text and "Rio Grande Valley Center" in ada.text
    with database.sessions() as session:
        made = session.scalars(select(Facility).where(Facility.code == "RGV2")).one()
    ada.get(f"/staff/admin/facilities/{made.id}")
    ada.post(f"/staff/admin/facilities/{made.id}", {"name": "Rio Grande Processing Center",
                                                     "timezone": "America/Denver"}, follow_redirects=True)
    assert "Facility RGV2 saved." in ada.text
    with database.sessions() as session:
        changed = session.get(Facility, made.id)
        assert (changed.code, changed.name, changed.timezone) == ("RGV2", "Rio Grande Processing Center",
                                                                  "America/Denver")
    [created], [edited] = audited(database, "facility.created"), audited(database, "facility.changed")
    assert created.actor == edited.actor == f"staff:{staff_id(database, 'ada')}"
    assert created.remote_addr == edited.remote_addr == "127.0.0.1" and edited.facility_id == made.id
    assert edited.detail["before"] == {"name": "Rio Grande Valley Center", "timezone": "America/Chicago"}


@pytest.mark.parametrize("form, message", [
    ({"code": "", "name": "New", "timezone": "America/Chicago"}, "A facility code is 2 to 10 letters or digits"),
    ({"code": "R", "name": "New", "timezone": "America/Chicago"}, "A facility code is 2 to 10 letters or digits"),
    ({"code": "RB-P", "name": "New", "timezone": "America/Chicago"}, "A facility code is 2 to 10 letters or digits"),
    ({"code": "tst", "name": "New", "timezone": "America/Chicago"}, "A facility with code TST exists already."),
    ({"code": "NEW", "name": "", "timezone": "America/Chicago"}, "Write the facility&#39;s name."),
    ({"code": "NEW", "name": "N" * 10_000, "timezone": "America/Chicago"}, "has at most 200 characters"),
    ({"code": "NEW", "name": "New", "timezone": "Mars/Olympus_Mons"}, "is not a time zone"),
    ({"code": "NEW", "name": "New", "timezone": ""}, "is not a time zone"),
    ({"code": "NEW", "name": "New", "timezone": "../../etc/passwd"}, "is not a time zone"),
    ({}, "A facility code is 2 to 10 letters or digits"),
])
def test_bad_facility_input_says_why_and_writes_nothing(database, people, ada, form, message):
    ada.get("/staff/admin/facilities")
    response = ada.post("/staff/admin/facilities", form, follow_redirects=True)
    assert response.status_code == 200 and message in ada.text
    assert count(database, Facility) == 2 and audited(database, "facility.created") == []


def test_a_facility_change_is_checked_like_a_new_one(database, people, ada):
    tst = people["TST"]
    ada.get(f"/staff/admin/facilities/{tst}")
    ada.post(f"/staff/admin/facilities/{tst}", {"name": "x" * 10_000, "timezone": "UTC"}, follow_redirects=True)
    assert "has at most 200 characters" in ada.text
    ada.post(f"/staff/admin/facilities/{tst}", {"name": "Renamed", "timezone": "Nowhere/Else"},
             follow_redirects=True)
    assert "is not a time zone" in ada.text
    with database.sessions() as session:
        assert (session.get(Facility, tst).name, session.get(Facility, tst).timezone) == \
            ("Test Detention Center", "America/Chicago")
    assert audited(database, "facility.changed") == []


def test_unknown_ids_in_the_address_say_so(database, people, ada):
    for path, message in (("/staff/admin/facilities/999999", "There is no facility number 999999."),
                          ("/staff/admin/facilities/99999999999999999999",  # no id column holds it
                           "There is no such page or case."),
                          ("/staff/admin/hotlines/424242", "There is no hotline number 424242.")):
        assert ada.get(path).status_code == 404, path
        assert message in ada.text, path
    ada.get("/staff/admin/facilities")
    with database.sessions() as session:
        other_unit = session.scalar(select(HousingUnit.id).where(HousingUnit.facility_id == people["OTH"]))
    for path, message in (("/staff/admin/facilities/999999/units", "There is no facility number 999999."),
                          ("/staff/admin/kiosks/999999/revoke", "There is no kiosk number 999999."),
                          ("/staff/admin/kiosks/999999/enrollment", "There is no kiosk number 999999."),
                          ("/staff/admin/hotlines/999999/remove", "There is no hotline number 999999."),
                          (f"/staff/admin/facilities/{people['TST']}/units/{other_unit}",
                           f"TST has no housing unit number {other_unit}.")):
        response = ada.post(path, {"name": "Z-9"})
        assert response.status_code == 404 and message in ada.text, path
    assert count(database, HousingUnit) == 3


def test_housing_units_are_added_and_renamed_uniquely_per_facility(database, people, ada):
    tst = people["TST"]
    ada.get(f"/staff/admin/facilities/{tst}")
    ada.post(f"/staff/admin/facilities/{tst}/units", {"name": "C-3"}, follow_redirects=True)
    assert "Housing unit C-3 added." in ada.text
    ada.post(f"/staff/admin/facilities/{tst}/units", {"name": "A-1"}, follow_redirects=True)
    assert "TST has a housing unit called A-1 already." in ada.text
    ada.post(f"/staff/admin/facilities/{people['OTH']}/units", {"name": "A-1"}, follow_redirects=True)
    assert "Housing unit A-1 added." in ada.text  # the same name at another facility is fine
    for bad, message in (("", "Write the housing unit&#39;s name."), ("u" * 10_000, "at most 64 characters")):
        ada.post(f"/staff/admin/facilities/{tst}/units", {"name": bad}, follow_redirects=True)
        assert message in ada.text
    with database.sessions() as session:
        b2 = session.scalar(select(HousingUnit.id).where(HousingUnit.facility_id == tst, HousingUnit.name == "B-2"))
    ada.post(f"/staff/admin/facilities/{tst}/units/{b2}", {"name": "A-1"}, follow_redirects=True)
    assert "TST has a housing unit called A-1 already." in ada.text
    ada.post(f"/staff/admin/facilities/{tst}/units/{b2}", {"name": "B-20"}, follow_redirects=True)
    assert "Housing unit renamed." in ada.text
    with database.sessions() as session:
        names = session.scalars(select(HousingUnit.name).where(HousingUnit.facility_id == tst)
                                .order_by(HousingUnit.name)).all()
    assert names == ["A-1", "B-20", "C-3"]
    assert [e.detail["name"] for e in audited(database, "housing_unit.added")] == ["C-3", "A-1"]
    [renamed] = audited(database, "housing_unit.renamed")
    assert (renamed.detail["before"], renamed.detail["after"], renamed.remote_addr) == ("B-2", "B-20", "127.0.0.1")


def test_kioskctl_shares_the_facility_checks(runner, database, place):
    added = runner.invoke(args=["facility", "add", "new", "New Center", "--timezone", "America/Chicago"])
    assert added.exit_code == 0 and "added facility NEW" in added.output
    wrong = runner.invoke(args=["facility", "add", "BAD", "Bad", "--timezone", "America/Atlantis"])
    assert wrong.exit_code != 0 and "is not a time zone" in wrong.output
    unit = runner.invoke(args=["facility", "add-unit", "NEW", "A-1"])
    again = runner.invoke(args=["facility", "add-unit", "NEW", "A-1"])
    assert unit.exit_code == 0 and again.exit_code != 0 and "NEW has a housing unit called A-1 already." in again.output
    assert count(database, Facility) == 2 and [e.actor for e in audited(database, "facility.created")] == ["cli"]


# --- kiosks -------------------------------------------------------------------------

ENROLLMENT_URL = re.compile(r"http://127\.0\.0\.1:8000(/kiosk/enroll/[A-Za-z0-9_-]+)")


def register_from_the_page(ada, facility_id, unit_id, label=""):
    ada.get(f"/staff/admin/facilities/{facility_id}")
    response = ada.post(f"/staff/admin/facilities/{facility_id}/kiosks", {"unit": unit_id, "label": label})
    found = ENROLLMENT_URL.search(ada.text)
    return response, found.group(1) if found else None


def test_a_kiosk_is_registered_enrolled_once_and_revoked_at_once(app, database, people, place, ada):
    tst, (a1, _b2) = people["TST"], place["unit_ids"]
    response, path = register_from_the_page(ada, tst, a1, "Dayroom kiosk")
    assert response.status_code == 200 and path and "shown only now" in ada.text
    assert response.headers["Cache-Control"] == "no-store"  # nor kept in the browser's history cache
    token = path.rsplit("/", 1)[1]
    with database.sessions() as session:  # never kept: not in any session (flashes live there), only its digest
        rows = session.scalars(select(WebSession)).all()
        assert rows and all(token not in str(row.data) for row in rows)
        assert session.scalars(select(Kiosk.enrollment_token_hash)).one() == digest(token)
    facility_page = ada.get(f"/staff/admin/facilities/{tst}").get_data(as_text=True)
    assert token not in facility_page and "awaiting enrollment" in facility_page and "Dayroom kiosk" in facility_page

    device = BrowserClient(app.test_client())
    assert device.get(path).status_code == 302 and is_a_working_kiosk(device)
    assert app.test_client().get(path).status_code == 404  # once only
    assert "enrolled" in ada.get(f"/staff/admin/facilities/{tst}").get_data(as_text=True)

    kiosk_id = staff_kiosk_id(database)
    ada.post(f"/staff/admin/kiosks/{kiosk_id}/revoke", follow_redirects=True)
    assert "revoked: it stops working at once here" in ada.text
    assert device.get("/kiosk/").status_code == 403  # no waiting for the device cache in this process
    ada.post(f"/staff/admin/kiosks/{kiosk_id}/enrollment", follow_redirects=True)
    assert "is revoked: register a new kiosk instead." in ada.text and not ENROLLMENT_URL.search(ada.text)
    ada.post(f"/staff/admin/kiosks/{kiosk_id}/revoke", follow_redirects=True)
    assert "is revoked already" in ada.text

    actor = f"staff:{staff_id(database, 'ada')}"
    for action in ("kiosk.registered", "kiosk.enrollment_issued", "kiosk.revoked"):
        [entry] = audited(database, action)
        assert (entry.actor, entry.remote_addr, entry.facility_id, entry.detail["kiosk_id"]) == \
            (actor, "127.0.0.1", tst, kiosk_id), action


def staff_kiosk_id(database) -> int:
    with database.sessions() as session:
        return session.scalars(select(Kiosk.id)).one()


def test_a_new_enrollment_url_replaces_the_unused_one(app, database, people, place, ada):
    _response, first = register_from_the_page(ada, people["TST"], place["unit_ids"][1])
    ada.get(f"/staff/admin/facilities/{people['TST']}")
    ada.post(f"/staff/admin/kiosks/{staff_kiosk_id(database)}/enrollment")
    second = ENROLLMENT_URL.search(ada.text).group(1)
    assert first != second
    assert app.test_client().get(first).status_code == 404
    device = app.test_client()
    assert device.get(second).status_code == 302 and is_a_working_kiosk(device)
    with database.sessions() as session:
        assert session.scalars(select(Kiosk)).one().housing_unit.name == "B-2"


def test_a_kiosk_needs_a_housing_unit_of_its_facility_and_a_short_label(database, people, place, ada):
    with database.sessions() as session:
        other_unit = session.scalar(select(HousingUnit.id).where(HousingUnit.facility_id == people["OTH"]))
    for unit, label, message in ((other_unit, "", "Choose one of TST&#39;s housing units."),
                                 ("", "", "Choose one of TST&#39;s housing units."),
                                 ("99999999999999999999", "", "Choose one of TST&#39;s housing units."),
                                 (place["unit_ids"][0], "k" * 10_000, "at most 100 characters")):
        response, path = register_from_the_page(ada, people["TST"], unit, label)
        assert response.status_code == 302 and path is None
        ada.get(response.headers["Location"])
        assert message in ada.text
    assert count(database, Kiosk) == 0 and audited(database, "kiosk.registered") == []


# --- hotlines -----------------------------------------------------------------------

def test_hotlines_are_added_changed_and_removed_and_the_kiosk_shows_them(database, people, kiosk, ada):
    ada.get("/staff/admin/hotlines")
    ada.post("/staff/admin/hotlines", {"facility": str(people["TST"]), "kind": "sexual_abuse",
                                       "number": "+1 512-555-0177", "free_call_code": "*77"}, follow_redirects=True)
    assert "Number +1 512-555-0177 added." in ada.text
    ada.post("/staff/admin/hotlines", {"facility": "", "kind": "ombudsman", "number": "1 888 555 0100"},
             follow_redirects=True)
    with database.sessions() as session:
        national = session.scalars(select(Hotline).where(Hotline.kind == "sexual_abuse",
                                                         Hotline.facility_id.is_(None))).one()
        ombudsman = session.scalars(select(Hotline).where(Hotline.kind == "ombudsman")).one()
    assert ombudsman.facility_id is None and ombudsman.free_call_code is None
    ada.get(f"/staff/admin/hotlines/{national.id}")
    ada.post(f"/staff/admin/hotlines/{national.id}", {"facility": "", "kind": "sexual_abuse",
                                                      "number": "+1 202-555-0199", "free_call_code": "7702"},
             follow_redirects=True)
    assert "Number saved." in ada.text
    ada.post(f"/staff/admin/hotlines/{ombudsman.id}/remove", follow_redirects=True)
    assert "Number 1 888 555 0100 removed." in ada.text and count(database, Hotline) == 3

    start_filing(kiosk, "en", category="safety")
    page = kiosk.post("/kiosk/file/question/safety_kind", {"choice": "sexual_abuse"}, follow_redirects=True)
    assert page.request.path == "/kiosk/file/emergency"
    assert "+1 512-555-0177" in kiosk.text and "+1 202-555-0199" in kiosk.text
    assert "+1 202-555-0186" not in kiosk.text and "1 888 555 0100" not in kiosk.text

    actor = f"staff:{staff_id(database, 'ada')}"
    entries = [audited(database, a) for a in ("hotline.added", "hotline.changed", "hotline.removed")]
    assert [len(e) for e in entries] == [2, 1, 1]
    assert all(e.actor == actor and e.remote_addr == "127.0.0.1" for group in entries for e in group)
    assert entries[0][0].facility_id == people["TST"] and entries[0][1].facility_id is None
    assert entries[1][0].detail["before"]["number"] == "+1 202-555-0186"


def test_an_administrator_chooses_the_emergencies_a_number_is_shown_for(database, people, kiosk, ada):
    ada.get("/staff/admin/hotlines")
    ada.post("/staff/admin/hotlines", {"facility": str(people["TST"]), "kind": "oversight", "number": "+1 800-555-0123",
                                       "shown_for_listed": "1", "shown_for": ["danger_from_staff"]},
             follow_redirects=True)
    assert "Danger from staff" in ada.text
    with database.sessions() as session:
        added = session.scalars(select(Hotline).where(Hotline.kind == "oversight")).one()
    assert added.shown_for == ["danger_from_staff"]

    start_filing(kiosk, "en", category="safety")
    page = kiosk.post("/kiosk/file/question/safety_kind", {"choice": "staff_violence"})
    page = kiosk.post("/kiosk/file/question/urgent", {"choice": "yes"}, follow_redirects=True)
    assert page.text.index("+1 800-555-0123") < page.text.index("+1 512-555-0110")
    kiosk.get("/kiosk/finish")
    start_filing(kiosk, "en", category="medical")
    page = kiosk.post("/kiosk/file/question/urgent", {"choice": "yes"}, follow_redirects=True)
    assert "+1 512-555-0110" in page.text and "+1 800-555-0123" not in page.text


@pytest.mark.parametrize("form, message", [
    ({"kind": "medical", "number": ""}, "Write the phone number."),
    ({"kind": "medical", "number": "call the nurse"}, "A phone number has 3 to 15 digits"),
    ({"kind": "medical", "number": "12"}, "A phone number has 3 to 15 digits"),
    ({"kind": "medical", "number": "+1 (512) 555-0110"}, "A phone number has 3 to 15 digits"),
    ({"kind": "medical", "number": "1" * 20}, "A phone number has 3 to 15 digits"),
    ({"kind": "medical", "number": "5" * 10_000}, "A phone number has 3 to 15 digits"),
    ({"kind": "medical", "number": "911", "free_call_code": "dial 9"}, "A free-call code has 1 to 16 digits"),
    ({"kind": "pizza", "number": "911"}, "Choose what kind of line this is."),
    ({"kind": "medical", "number": "911", "shown_for_listed": "1"}, "Choose at least one emergency"),
    ({"kind": "medical", "number": "911", "shown_for_listed": "1", "shown_for": "pizza"},
     "Choose at least one emergency"),
    ({"number": "911"}, "Choose what kind of line this is."),
    ({"kind": "medical", "number": "911", "facility": "999999"}, "Choose a facility from the list"),
    ({"kind": "medical", "number": "911", "facility": "TST"}, "Choose a facility from the list"),
])
def test_bad_hotlines_say_why_and_write_nothing(database, people, ada, form, message):
    ada.get("/staff/admin/hotlines")
    ada.post("/staff/admin/hotlines", form, follow_redirects=True)
    assert message in ada.text
    assert count(database, Hotline) == 2 and audited(database, "hotline.added") == []


def test_an_edit_is_checked_too(database, people, ada):
    with database.sessions() as session:
        hotline = session.scalars(select(Hotline).where(Hotline.kind == "emergency")).one()
    ada.get(f"/staff/admin/hotlines/{hotline.id}")
    ada.post(f"/staff/admin/hotlines/{hotline.id}", {"kind": "emergency", "number": "not a number"},
             follow_redirects=True)
    assert "A phone number has 3 to 15 digits" in ada.text
    with database.sessions() as session:
        assert session.get(Hotline, hotline.id).number == "+1 512-555-0110"


# --- language packages --------------------------------------------------------------

@pytest.fixture(scope="session")
def package_file(tmp_path_factory) -> Path:
    """A genuine (tiny, nonsense-translating) Argos package, built offline."""
    return build_package(tmp_path_factory.mktemp("admin-argos"), "es", "en", version="1.0", seed=5)


def upload(ada, path: Path, name: str | None = None):
    ada.get("/staff/admin/packages")
    with path.open("rb") as data:
        return ada.post("/staff/admin/packages", {"package": (data, name or path.name)}, follow_redirects=True,
                        content_type="multipart/form-data")


def spooled(app) -> list[Path]:
    folder = Path(app.instance_path) / admin.UPLOADS_FOLDER
    return list(folder.iterdir()) if folder.exists() else []


def test_an_uploaded_package_is_installed_by_the_worker_and_removed(app, database, config, people, ada,
                                                                     package_file):
    assert package_file.stat().st_size > 256 * 1024  # more than the rest of the console accepts
    upload(ada, package_file)
    assert "The file translate-es_en-1_0.argosmodel was uploaded." in ada.text
    assert "pending" in ada.text and "waiting for a worker" in ada.text and 'http-equiv="refresh"' in ada.text
    assert packages.installed(config.language_packages) == [] and len(spooled(app)) == 1

    run_worker(app)
    page = ada.get("/staff/admin/packages").get_data(as_text=True)
    assert "installed" in page and "translate-es_en 1.0" in page and "es → en" in page
    assert 'http-equiv="refresh"' not in page and spooled(app) == []
    [package] = packages.installed(config.language_packages)
    assert (package.pair, package.version) == (("es", "en"), "1.0")
    assert Engine(config.language_packages, beam_size=1).translate("Hola.", "es", "en").text

    [uploaded], [installed] = audited(database, "package.uploaded"), audited(database, "package.installed")
    assert uploaded.actor == f"staff:{staff_id(database, 'ada')}" and uploaded.remote_addr == "127.0.0.1"
    assert installed.actor == "worker:test" and installed.detail["package"] == "translate-es_en 1.0"

    upload(ada, package_file)  # the same version again: the worker refuses it with the reason
    run_worker(app)
    ada.get("/staff/admin/packages")
    assert "failed" in ada.text and "translate-es_en 1.0 is installed already; this is 1.0" in ada.text

    ada.post("/staff/admin/packages/es/en/remove", follow_redirects=True)
    assert "Removed translate-es_en 1.0." in ada.text and "No language package is installed" in ada.text
    assert packages.installed(config.language_packages) == []
    [removed] = audited(database, "package.removed")
    assert removed.actor == uploaded.actor and removed.remote_addr == "127.0.0.1"
    ada.post("/staff/admin/packages/es/en/remove", follow_redirects=True)
    assert "No package is installed for es → en." in ada.text


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def test_garbage_is_refused_with_its_reason(app, database, config, people, ada, tmp_path):
    text = tmp_path / "notes.argosmodel"
    text.write_text("not a package at all")
    upload(ada, text)
    assert "The file notes.argosmodel is not a language package (not a zip archive). Nothing was saved." in ada.text
    slip = _zip(tmp_path / "slip.argosmodel", {"pkg/metadata.json": b"{}", "pkg/../../escaped": b"x"})
    upload(ada, slip)
    assert "path escapes the package folder" in ada.text
    assert count(database, Job) == 0 and spooled(app) == []

    # Shaped like a package, so only the worker can tell: it refuses it at once, with the reason.
    hollow = _zip(tmp_path / "hollow.argosmodel", {
        "translate-es_en-9_0/metadata.json": b'{"from_code": "es", "to_code": "en", "package_version": "9.0"}',
        "translate-es_en-9_0/sentencepiece.model": b"x"})
    upload(ada, hollow)
    assert "The file hollow.argosmodel was uploaded." in ada.text
    run_worker(app)
    ada.get("/staff/admin/packages")
    assert "failed" in ada.text and "model/model.bin is missing" in ada.text
    with database.sessions() as session:
        job = session.scalars(select(Job)).one()
        assert (job.status, job.attempts) == ("failed", 1)  # refused, not retried
    assert spooled(app) == [] and packages.installed(config.language_packages) == []
    [refused] = audited(database, "package.refused")
    assert refused.detail["reason"] == "model/model.bin is missing"


def test_an_empty_or_oversized_upload_is_refused(app, database, people, ada, monkeypatch, tmp_path):
    ada.get("/staff/admin/packages")
    ada.post("/staff/admin/packages", {}, follow_redirects=True)
    assert "Choose an .argosmodel file to upload." in ada.text
    monkeypatch.setattr(admin, "MAX_PACKAGE_UPLOAD", 1024)
    big = tmp_path / "big.argosmodel"
    big.write_bytes(b"\0" * 200 * 1024)
    upload(ada, big)
    assert "That file is larger than" in ada.text and "Nothing was saved" in ada.text
    assert count(database, Job) == 0 and spooled(app) == []


def test_the_web_process_never_loads_a_model_for_an_upload(tmp_path):
    """Listing, uploading and removing packages in a fresh interpreter: no model code imported."""
    script = f"""
import io, sys, zipfile
from pathlib import Path
from tests import network_guard
network_guard.install()
from kiosk.app import create_app
from kiosk.core import migrate, staff_accounts
from kiosk.config import Config
from tests.helpers import BrowserClient
url = "sqlite:///{tmp_path}/web.sqlite3"
migrate.upgrade(url)
app = create_app(Config(secret_key="k" * 40, database_url=url, instance_path=Path("{tmp_path}"),
                        cookie_secure=False, argon2_time_cost=1, argon2_memory_cost=1024))
with app.extensions["database"].transaction() as session:
    staff_accounts.create(session, app.extensions["secret_hasher"], username="ada", display_name="Ada",
                          role="administrator", password="p" * 12, actor="test")
client = BrowserClient(app.test_client())
client.get("/staff/sign-in")
client.post("/staff/sign-in", {{"username": "ada", "password": "p" * 12}})
archive = io.BytesIO()
with zipfile.ZipFile(archive, "w") as bundle:
    bundle.writestr("translate-es_en-1_0/metadata.json", "{{}}")
archive.seek(0)
client.get("/staff/admin/packages")
client.post("/staff/admin/packages", {{"package": (archive, "p.argosmodel")}}, follow_redirects=True)
assert "The file p.argosmodel was uploaded." in client.text, client.text
client.post("/staff/admin/packages/es/en/remove", follow_redirects=True)
assert "ctranslate2" not in sys.modules and "sentencepiece" not in sys.modules, "model code in a web process"
print("clean")
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    assert result.returncode == 0 and "clean" in result.stdout, result.stderr


# --- nothing breaks -----------------------------------------------------------------

def test_garbage_everywhere_never_gives_a_server_error(database, people, place, ada):
    tst, unit = people["TST"], place["unit_ids"][0]
    with database.sessions() as session:
        hotline = session.scalars(select(Hotline.id)).first()
    posts = ["/staff/admin/facilities", f"/staff/admin/facilities/{tst}", f"/staff/admin/facilities/{tst}/units",
             f"/staff/admin/facilities/{tst}/units/{unit}", f"/staff/admin/facilities/{tst}/kiosks",
             "/staff/admin/hotlines", f"/staff/admin/hotlines/{hotline}", "/staff/admin/packages",
             "/staff/admin/accounts", "/staff/admin/packages/../..%2f/remove", "/staff/admin/packages/e%00s/en/remove"]
    junk = [{}, {"code": "\0", "name": "\u202e" * 300, "timezone": "\U0001f600" * 3, "unit": "-1", "facility": "-5",
             "kind": ["a", "b"], "number": "+" * 40, "free_call_code": "#" * 17, "label": "\n" * 50},
            {"name": " ", "timezone": " ", "unit": "1e9", "facility": "0", "number": "0", "role": "x"},
            # valid but for a NUL, which PostgreSQL would refuse to store
            {"code": "NUL1", "name": "Ward\x00 7", "timezone": "UTC", "unit": str(unit), "label": "kiosk\x00",
             "kind": "medical", "number": "911", "free_call_code": "1\x00"}]
    for path in posts:
        for form in junk:
            ada.get("/staff/admin/facilities")
            response = ada.post(path, form)
            assert response.status_code < 500, (path, form, response.status_code)
    for path in ("/staff/admin/facilities/-1", "/staff/admin/facilities/abc", "/staff/admin/hotlines/0",
                 "/staff/admin/nothing"):
        assert ada.get(path).status_code == 404, path
    assert ada.get("/staff/admin/kiosks/1/revoke").status_code == 405  # a change is a POST, never a link
    assert count(database, Facility) == 2 and count(database, HousingUnit) == 3 and count(database, Kiosk) == 0
    assert count(database, Hotline) == 2
