"""Kiosks that stop working are noticed: each kiosk request is a heartbeat (written at most once a
minute), the worker marks a kiosk silent for 30 minutes of its facility's waking hours, the staff of
that facility see it on every page, and the kiosk's next request clears it.

Clocks are set, never waited for: the web process's heartbeat clock (app.extensions
["kiosk_heartbeats"].clock) and the worker's (tests.helpers.check_kiosks' ``at``)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from kiosk.config import Config, ConfigError
from kiosk.core import kiosks, silent_kiosks
from kiosk.core.models import Kiosk
from kiosk.worker import Worker
from tests.helpers import (
    audit_rows, audited, check_kiosks, create_staff, facility_morning, register_kiosk, signed_in,
)

MINUTE = timedelta(minutes=1)
CHICAGO = ZoneInfo("America/Chicago")  # the test facility's zone (conftest's place)


def heard_at(app, moment):
    """The web process's clock for heartbeats reads this moment from now on."""
    app.extensions["kiosk_heartbeats"].clock = lambda: moment


def the_kiosk(database, label="kiosk A-1") -> Kiosk:
    with database.sessions() as session:
        return session.scalars(select(Kiosk).where(Kiosk.label == label)).one()


def local(moment) -> str:
    return moment.astimezone(CHICAGO).strftime("%Y-%m-%d %H:%M %Z")


def notice(client) -> str:
    """The silent-kiosk notice of a console page ('' when it shows none)."""
    page = client.get("/staff/")
    assert page.status_code == 200
    start = page.get_data(as_text=True).find('<section id="silent-kiosks"')
    return "" if start < 0 else page.get_data(as_text=True)[start:].split("</section>")[0]


@pytest.fixture
def morning(app, kiosk):
    """10:00 at the test facility, a day when the kiosk of unit A-1 made its first request then."""
    moment = facility_morning()
    heard_at(app, moment)
    assert kiosk.get("/kiosk/").status_code == 200
    return moment


def test_each_kiosk_request_is_a_heartbeat_written_at_most_once_a_minute(app, database, kiosk, morning):
    assert the_kiosk(database).last_seen_at == morning
    heard_at(app, morning + timedelta(seconds=50))
    kiosk.get("/kiosk/home")
    kiosk.get("/kiosk/still-here")
    assert the_kiosk(database).last_seen_at == morning  # this process wrote it less than a minute ago
    heard_at(app, morning + timedelta(seconds=61))
    kiosk.get("/kiosk/still-here")
    assert the_kiosk(database).last_seen_at == morning + timedelta(seconds=61)
    # Another web process, which has not written it yet, leaves it alone within the minute too.
    with database.transaction() as session:
        assert silent_kiosks.record_heard(session, the_kiosk(database).id, morning + timedelta(seconds=90)) is False
    assert the_kiosk(database).last_seen_at == morning + timedelta(seconds=61)
    assert audit_rows(database, "kiosk.heard") == []


def test_only_an_enrolled_kiosk_has_a_heartbeat(app, database, kiosk, morning):
    assert app.test_client().get("/kiosk/").status_code == 403  # a browser never enrolled
    with database.transaction() as session:
        kiosks.revoke(session, session.get(Kiosk, the_kiosk(database).id), actor="test")
    app.extensions["kiosk_devices"].expire_all()
    heard_at(app, morning + 2 * MINUTE)
    assert kiosk.get("/kiosk/").status_code == 403  # revoked
    assert the_kiosk(database).last_seen_at == morning


def test_a_kiosk_silent_for_30_waking_minutes_is_shown_to_its_facilitys_staff(app, database, people, kiosk, morning):
    chris, dana, sam = (signed_in(app, name) for name in ("chris", "dana", "sam"))
    kiosk_id = the_kiosk(database).id
    assert check_kiosks(app, morning + 29 * MINUTE) == []
    assert notice(chris) == ""
    assert check_kiosks(app, morning + 31 * MINUTE) == [kiosk_id]
    shown = notice(chris)
    assert "A kiosk is not working" in shown and "TST, unit A-1: kiosk A-1." in shown
    assert f"Last seen {local(morning)}." in shown
    assert "30 minutes of the facility's waking hours" in shown
    assert "TST, unit A-1" in notice(sam)  # a supervisor sees every facility
    assert notice(dana) == ""  # a case manager of another facility does not
    # Marked once, however many workers look, however often.
    assert check_kiosks(app, morning + 32 * MINUTE) == []
    assert [(actor, action) for actor, action, _case in audit_rows(database, "kiosk.silent")] == [
        ("worker:test", "kiosk.silent")]
    assert audited(database, "kiosk.silent")[0].detail == {"kiosk_id": kiosk_id, "last_seen": morning.isoformat()}


def test_the_kiosks_next_request_clears_the_alert(app, database, people, kiosk, morning):
    chris = signed_in(app, "chris")
    check_kiosks(app, morning + 40 * MINUTE)
    assert "TST, unit A-1" in notice(chris)
    heard_at(app, morning + 41 * MINUTE)
    assert kiosk.get("/kiosk/timeout").status_code == 302  # the idle countdown, on an unused kiosk
    assert notice(chris) == ""
    found = the_kiosk(database)
    assert found.silent_since is None and found.last_seen_at == morning + 41 * MINUTE
    assert [action for _actor, action, _case in audit_rows(database, "kiosk.")][-2:] == [
        "kiosk.silent", "kiosk.heard_again"]
    # Silent again only after another 30 minutes without a word.
    assert check_kiosks(app, morning + 70 * MINUTE) == []
    assert check_kiosks(app, morning + 72 * MINUTE) == [found.id]


def test_a_kiosk_heard_while_the_worker_looks_is_not_marked(app, database, people, kiosk, morning, monkeypatch):
    """The worker has read the kiosk as silent; before it marks it, the kiosk talks: nothing is marked."""
    later = morning + 31 * MINUTE
    counted = silent_kiosks.waking_time

    def kiosk_talks_meanwhile(*args):
        heard_at(app, later)
        assert kiosk.get("/kiosk/home").status_code == 200  # another process, its own connection
        return counted(*args)

    monkeypatch.setattr(silent_kiosks, "waking_time", kiosk_talks_meanwhile)
    assert check_kiosks(app, later) == []
    assert the_kiosk(database).silent_since is None and audit_rows(database, "kiosk.silent") == []


def test_silence_at_night_is_not_counted(app, database, people, kiosk, morning):
    evening = facility_morning(hour=21) + 50 * MINUTE
    heard_at(app, evening)
    kiosk.get("/kiosk/home")
    assert check_kiosks(app, evening + 2 * 60 * MINUTE) == []  # 23:50: ten waking minutes
    next_morning = evening + 9 * 60 * MINUTE + 10 * MINUTE  # 07:00
    assert check_kiosks(app, next_morning + 19 * MINUTE) == []  # 07:19: 29 waking minutes
    assert check_kiosks(app, next_morning + 21 * MINUTE) == [the_kiosk(database).id]  # 07:21: 31


def test_a_kiosk_never_seen_counts_from_its_enrollment(app, database, people):
    enrolled = facility_morning(days=0)  # within the enrollment URL's day
    with database.transaction() as session:
        kiosks.enroll(session, register_kiosk(database, "B-2"), None, now=enrolled)
    assert check_kiosks(app, enrolled + 29 * MINUTE) == []
    assert check_kiosks(app, enrolled + 31 * MINUTE) == [the_kiosk(database, "kiosk B-2").id]
    assert f"Not seen since it was enrolled, {local(enrolled)}" in notice(signed_in(app, "chris"))


def test_a_revoked_kiosk_is_neither_checked_nor_shown(app, database, people, kiosk, morning):
    chris = signed_in(app, "chris")
    check_kiosks(app, morning + 31 * MINUTE)
    with database.transaction() as session:
        kiosks.revoke(session, session.get(Kiosk, the_kiosk(database).id), actor="test")
    assert notice(chris) == ""
    register_kiosk(database, "B-2")  # registered, never enrolled: nothing to hear from yet
    assert check_kiosks(app, morning + 3 * 60 * MINUTE) == []


def test_the_kiosk_page_says_nothing_of_it(app, database, people, kiosk, morning):
    check_kiosks(app, morning + 31 * MINUTE)
    page = kiosk.get("/kiosk/")
    words = page.get_data(as_text=True).lower()
    assert page.status_code == 200 and "choose your language" in words
    for said in ("silent", "last seen", "not working", "heartbeat", "heard"):
        assert said not in words


def test_the_facility_page_shows_last_seen_in_local_time_and_marks_silent_kiosks(app, database, people, kiosk,
                                                                                  morning, ada):
    facility = f"/staff/admin/facilities/{people['TST']}"
    page = ada.get(facility).get_data(as_text=True)
    assert local(morning) in page and 'class="silent"' not in page
    check_kiosks(app, morning + 31 * MINUTE)
    page = ada.get(facility).get_data(as_text=True)
    assert 'class="silent"' in page and f"not working since {local(morning + 31 * MINUTE)}" in page
    assert "1 enrolled; <strong class=\"overdue\">1 silent</strong>" in ada.get("/staff/admin/facilities").get_data(
        as_text=True)
    # The administrator's notice links to the kiosks of the facility.
    assert f'href="{facility}">Kiosks of TST</a>' in notice(ada)


def test_a_heartbeat_that_cannot_be_written_does_not_stop_the_kiosk(app, database, kiosk, morning, monkeypatch,
                                                                    caplog):
    def locked(*_args):
        raise OperationalError("UPDATE kiosks", {}, Exception("database is locked"))

    monkeypatch.setattr(silent_kiosks, "record_heard", locked)
    heard_at(app, morning + 5 * MINUTE)
    with caplog.at_level(logging.WARNING, logger="kiosk.core.silent_kiosks"):
        assert kiosk.get("/kiosk/home").status_code == 200
    assert "could not record the heartbeat" in caplog.text
    monkeypatch.undo()
    kiosk.get("/kiosk/home")  # the next request tries again
    assert the_kiosk(database).last_seen_at == morning + 5 * MINUTE


def test_the_worker_looks_once_a_minute_not_once_a_job(app, database, monkeypatch):
    worker = Worker(database, app.config["KIOSK"], name="test")
    looks = []
    monkeypatch.setattr(worker, "check_kiosks", lambda: looks.append(1))
    worker._check_kiosks_when_due()
    worker._check_kiosks_when_due()
    assert looks == [1]


def test_waking_time_follows_the_facilitys_clock_across_a_change_of_time():
    def at(*parts):
        return datetime(*parts, tzinfo=CHICAGO).astimezone(timezone.utc)

    ever = timedelta(days=30)
    # 2026-03-08, clocks go forward at 02:00: 07:00 to 22:00 is still 15 hours of waking time.
    assert silent_kiosks.waking_time(at(2026, 3, 7, 22, 0), at(2026, 3, 8, 23, 0), CHICAGO, ever) == timedelta(hours=15)
    assert silent_kiosks.waking_time(at(2026, 3, 10, 21, 50), at(2026, 3, 11, 7, 20), CHICAGO, ever) == 30 * MINUTE
    # Counted back only as far as asked: a kiosk enrolled a year ago costs a few steps.
    assert silent_kiosks.waking_time(at(2025, 3, 1, 12), at(2026, 3, 1, 12), CHICAGO, 30 * MINUTE) == 5 * 60 * MINUTE


@pytest.mark.parametrize("raw, message", [
    ("soon", "must be a whole number"), ("2.5", "must be a whole number"), ("\x00", "must be a whole number"),
    ("1", "must be at least 2"), ("-30", "must be at least 2"),
    ("9" * 40, "must be at most 10080"), ("2", "less than twice KIOSK_IDLE_TIMEOUT"),
])
def test_a_silent_kiosk_time_that_makes_no_sense_stops_start_up(tmp_path, raw, message):
    with pytest.raises(ConfigError, match=message):
        Config.from_env({"KIOSK_SECRET_KEY": "k" * 40, "KIOSK_INSTANCE_PATH": str(tmp_path),
                         "KIOSK_SILENT_KIOSK_MINUTES": raw})


def test_the_silent_kiosk_time_is_30_minutes_and_at_least_twice_the_idle_timeout(tmp_path):
    environ = {"KIOSK_SECRET_KEY": "k" * 40, "KIOSK_INSTANCE_PATH": str(tmp_path)}
    assert Config.from_env(environ).kiosk_silent_after == timedelta(minutes=30)
    assert Config.from_env({**environ, "KIOSK_SILENT_KIOSK_MINUTES": "3"}).kiosk_silent_after == 3 * MINUTE
    with pytest.raises(ConfigError, match="set it to 40 or more"):
        Config.from_env({**environ, "KIOSK_IDLE_TIMEOUT": "1200"})  # the default 30 minutes is too short for it
    assert Config.from_env({**environ, "KIOSK_IDLE_TIMEOUT": "1200", "KIOSK_SILENT_KIOSK_MINUTES": "40"})


def test_a_second_facilitys_kiosk_is_shown_only_to_its_own_staff(app, database, people, morning):
    create_staff(app, "erin", "case_manager", ["TST", "OTH"])
    with database.transaction() as session:
        unit = kiosks.find_unit(session, "OTH", "1")
        _kiosk, token = kiosks.register(session, unit, "OTH kiosk", actor="test")
    with database.transaction() as session:
        kiosks.enroll(session, token, None)  # and never seen since
    assert len(check_kiosks(app, morning + 31 * MINUTE)) == 2
    assert "OTH, unit 1: OTH kiosk" in notice(signed_in(app, "dana"))
    assert "OTH, unit 1" not in notice(signed_in(app, "chris"))
    both = notice(signed_in(app, "erin"))
    assert "2 kiosks are not working" in both and both.index("OTH, unit 1") < both.index("TST, unit A-1")
