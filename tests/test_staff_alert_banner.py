"""The banner's limit: with many alerts left unacknowledged, every console page and its 2-second poll
carry the newest emergencies.BANNER_LIMIT and the count of the rest, never all of them (1,000 made
every page 601 KB). Chris works TST, Dana works OTH, Sam supervises every facility."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from kiosk.core import emergencies
from kiosk.core.models import Case, EmergencyAlert, EmergencyKind, Facility, utcnow
from tests.helpers import add_cases, signed_in, staff_id
from tests.test_staff_alerts import banner, emergency

LIMIT = emergencies.BANNER_LIMIT
ROW = re.compile(r'<li data-alert="(\d+)"><a data-field="case_number" href="[^"]*">([^<]+)</a>')
MORE = re.compile(r'<p id="alerts-more"( hidden)?>(.*?)</p>', re.S)


def old_alerts(database, facility_id, count, first_serial) -> list[str]:
    """Emergencies nobody acknowledged, raised a minute apart and long ago: their case numbers, oldest first."""
    numbers = add_cases(database, facility_id, "medical", count, first_serial)
    start = utcnow() - timedelta(days=30)
    with database.transaction() as session:
        found = session.execute(select(Case.number, Case.id).where(Case.number.in_(numbers)))
        cases = {row.number: row.id for row in found}
        session.execute(update(Case).where(Case.id.in_(cases.values())).values(is_emergency=True))
        for i, number in enumerate(numbers):  # one by one: the ids in the order raised
            session.add(EmergencyAlert(case_id=cases[number], facility_id=facility_id, kind=EmergencyKind.MEDICAL,
                                       raised_at=start + timedelta(minutes=i), escalations=0))
            session.flush()
    return numbers


def rows(page: str) -> list[str]:
    """The case numbers of the banner's rows, in the order shown."""
    return [number for _id, number in ROW.findall(page)]


def more_line(page: str) -> str:
    """The banner's line about older alerts, its tags stripped ('' when it is hidden)."""
    found = MORE.search(page)
    return "" if found is None or found.group(1) else " ".join(re.sub(r"<[^>]+>", "", found.group(2)).split())


def test_many_open_alerts_show_the_newest_and_a_line_for_the_rest(app, people, database):
    numbers = old_alerts(database, people["TST"], LIMIT + 25, 1000)
    shown = banner(signed_in(app, "chris"))
    assert rows(shown) == numbers[-LIMIT:]  # the newest, oldest first among them
    assert more_line(shown) == "And 25 older alerts not yet acknowledged: see Emergencies."
    assert '<a href="/staff/emergencies">Emergencies</a>' in MORE.search(shown).group(2)
    assert numbers[0] not in shown

    with database.transaction() as session:  # acknowledged, an alert leaves the count
        session.execute(update(EmergencyAlert).where(EmergencyAlert.case_id.in_(
            select(Case.id).where(Case.number.in_(numbers[:24])))).values(
            acknowledged_at=utcnow(), acknowledged_by_id=staff_id(database, "sam")))
    assert more_line(banner(signed_in(app, "chris"))) == "And 1 older alert not yet acknowledged: see Emergencies."


def test_the_poll_carries_the_newest_and_the_total(app, people, database):
    numbers = old_alerts(database, people["TST"], LIMIT + 25, 1000)
    answer = signed_in(app, "chris").get("/staff/alerts").get_json()
    assert answer["total"] == LIMIT + 25
    assert [alert["case_number"] for alert in answer["alerts"]] == numbers[-LIMIT:]


def test_a_new_emergency_after_many_old_ones_shows_and_is_polled(app, kiosk, people, database):
    old = old_alerts(database, people["TST"], 3 * LIMIT, 1000)
    case = emergency(kiosk)
    chris = signed_in(app, "chris")
    shown = banner(chris)
    assert rows(shown) == old[-LIMIT + 1:] + [case.number]
    assert more_line(shown) == f"And {2 * LIMIT + 1} older alerts not yet acknowledged: see Emergencies."
    answer = chris.get("/staff/alerts").get_json()
    assert answer["alerts"][-1]["case_number"] == case.number and answer["total"] == 3 * LIMIT + 1


def test_up_to_the_limit_there_is_no_line_about_older_alerts(app, people, database):
    numbers = old_alerts(database, people["TST"], 3, 1000)
    chris = signed_in(app, "chris")
    shown = banner(chris)
    assert rows(shown) == numbers and more_line(shown) == "" and MORE.search(shown).group(1) == " hidden"
    assert chris.get("/staff/alerts").get_json()["total"] == 3

    numbers += old_alerts(database, people["TST"], LIMIT - 3, 2000)
    shown = banner(chris)
    assert rows(shown) == numbers and more_line(shown) == ""


def test_each_person_sees_and_counts_only_their_facilities_alerts(app, people, database):
    here = old_alerts(database, people["TST"], LIMIT + 5, 1000)
    there = old_alerts(database, people["OTH"], LIMIT + 2, 2000)  # raised after every one at TST
    for name, numbers, older in (("chris", here, 5), ("dana", there, 2), ("sam", here + there, 17)):
        reader = signed_in(app, name)
        shown = banner(reader)
        assert rows(shown) == numbers[-LIMIT:], name
        assert more_line(shown) == f"And {older} older alerts not yet acknowledged: see Emergencies.", name
        answer = reader.get("/staff/alerts").get_json()
        assert answer["total"] == len(numbers) and [a["case_number"] for a in answer["alerts"]] == numbers[-LIMIT:]
    assert not set(there) & set(rows(banner(signed_in(app, "chris"))))


def test_the_newest_open_alerts_of_any_scope_and_their_count(app, people, database):
    """emergencies.open_alerts(newest=) and open_alert_count take the facilities as open_alerts does: a list,
    a subquery or None (every facility); acknowledged alerts are in neither."""
    here = old_alerts(database, people["TST"], 7, 1000)
    there = old_alerts(database, people["OTH"], 4, 2000)
    with database.transaction() as session:
        session.execute(update(EmergencyAlert).where(EmergencyAlert.case_id == select(Case.id).where(
            Case.number == here[-1]).scalar_subquery()).values(acknowledged_at=utcnow()))
    open_here = here[:-1]
    tst = select(Facility.id).where(Facility.code == "TST")
    with database.sessions() as session:
        for scope, numbers in (([people["TST"]], open_here), (tst, open_here), (None, open_here + there),
                               ([people["TST"], people["OTH"]], open_here + there), ([], [])):
            full = emergencies.open_alerts(session, scope)
            assert [alert.case_number for alert in full] == numbers
            assert [alert.case_number for alert in emergencies.open_alerts(session, scope, newest=3)] == numbers[-3:]
            assert emergencies.open_alert_count(session, scope) == len(numbers)
