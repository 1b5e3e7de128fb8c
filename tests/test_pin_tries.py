"""A PIN lock that cannot be used against someone: wrong PINs slow down the kiosk that typed them;
only many, from several kiosks, shut the case for everyone, and a case manager can open it again.

The core is driven with explicit moments: nothing here waits for a clock."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from babel import Locale
from sqlalchemy import select, update

from kiosk.core import kiosks, pin_tries
from kiosk.core.identifiers import case_number
from kiosk.core.models import AuditEntry, Case, PinTry, utcnow
from kiosk.core.pin_tries import FIRST_WAIT, FREE_TRIES, LOCK_FAILURES, LOCKOUT, LONGEST_WAIT
from kiosk.core.triage import triage
from kiosk.web.i18n import moment_in
from tests.helpers import audit_rows, create_staff, file_complaint, filed_case, signed_in, track, translated

PIN, WRONG = "2468", "1357"
NUMBER = case_number(26, 4242)


@pytest.fixture
def hasher(app):
    return app.extensions["secret_hasher"]


@pytest.fixture
def case_id(database, place, hasher) -> int:
    decision = triage("food", {})
    with database.transaction() as session:
        case = Case(number=NUMBER, facility_id=place["facility_id"], language="es", category="food", answers={},
                    description="", priority=decision.priority, due_at=decision.due_at(utcnow()),
                    pin_hash=hasher.hash(PIN))
        session.add(case)
        session.flush()
        return case.id


def new_kiosks(database, count: int) -> list[int]:
    with database.transaction() as session:
        unit = kiosks.find_unit(session, "TST", "A-1")
        return [kiosks.register(session, unit, f"kiosk {n}", actor="test")[0].id for n in range(count)]


class Kiosk:
    """One kiosk's tries at a number, at chosen moments."""

    def __init__(self, database, hasher, kiosk_id: int):
        self.database, self.hasher, self.id = database, hasher, kiosk_id

    def tries(self, pin: str, at, number: str = NUMBER) -> pin_tries.TrackingResult:
        with self.database.sessions() as session:
            candidates = list(session.scalars(select(Case).where(Case.number == number)))
            result = pin_tries.open_with_pin(session, candidates, pin, self.hasher, kiosk_id=self.id,
                                             typed=f"case_number:{number}", actor=f"kiosk:{self.id}", now=at)
            session.commit()
            return result


@pytest.fixture
def two_kiosks(database, hasher, place):
    return [Kiosk(database, hasher, kiosk_id) for kiosk_id in new_kiosks(database, 2)]


def the_case(database) -> Case:
    with database.sessions() as session:
        return session.scalars(select(Case).where(Case.number == NUMBER)).one()


def test_three_wrong_pins_cost_nothing_then_each_makes_the_kiosk_wait_twice_as_long(database, case_id, two_kiosks):
    kiosk, now = two_kiosks[0], utcnow()
    for _ in range(FREE_TRIES - 1):
        result = kiosk.tries(WRONG, now)
        assert result.checked and result.try_again_at is None and not result.opened
    third = kiosk.tries(WRONG, now)
    assert third.checked and third.try_again_at == now + FIRST_WAIT
    waits = []
    at = third.try_again_at
    while len(waits) < 10:
        too_soon = kiosk.tries(PIN, at - timedelta(seconds=1))  # the right PIN, a second early: not looked at
        assert not too_soon.checked and not too_soon.opened and too_soon.try_again_at == at
        result = kiosk.tries(WRONG, at)
        assert result.checked
        waits.append(result.try_again_at - at)
        at = result.try_again_at
    assert waits[:5] == [FIRST_WAIT * 2, FIRST_WAIT * 4, FIRST_WAIT * 8, FIRST_WAIT * 16, FIRST_WAIT * 32]
    assert max(waits) == LONGEST_WAIT and waits[-1] == LONGEST_WAIT
    assert kiosk.tries(PIN, at).opened  # the person who knows it gets in once the wait is over
    assert not the_case(database).pin_locked


def test_a_kiosks_wait_holds_back_no_other_kiosk(database, case_id, two_kiosks):
    guesser, owner = two_kiosks
    now = utcnow()
    for _ in range(FREE_TRIES + 1):
        guesser.tries(WRONG, now)
    assert not guesser.tries(PIN, now).checked
    opened = owner.tries(PIN, now)
    assert [c.id for c in opened.opened] == [case_id]


def test_one_kiosk_alone_never_shuts_the_case_however_many_it_types(database, case_id, two_kiosks):
    guesser, owner = two_kiosks
    at = utcnow()
    for _ in range(LOCK_FAILURES + 5):  # within a day, waiting out each wait
        result = guesser.tries(WRONG, at)
        at = result.try_again_at or at
    assert the_case(database).pin_failures == LOCK_FAILURES + 5 and not the_case(database).pin_locked
    assert owner.tries(PIN, at).opened


def test_a_right_pin_clears_its_kiosks_count(database, case_id, two_kiosks):
    kiosk, now = two_kiosks[0], utcnow()
    for _ in range(FREE_TRIES - 1):
        kiosk.tries(WRONG, now)
    assert kiosk.tries(PIN, now).opened
    with database.sessions() as session:
        assert session.scalars(select(PinTry)).all() == []
    for _ in range(FREE_TRIES - 1):
        assert kiosk.tries(WRONG, now).try_again_at is None  # three free tries again


def test_a_kiosks_wrong_pins_are_forgotten_a_day_after_the_last(database, case_id, two_kiosks):
    kiosk, now = two_kiosks[0], utcnow()
    for _ in range(FREE_TRIES + 2):
        last = kiosk.tries(WRONG, now)
    assert last.try_again_at is not None
    next_day = now + timedelta(days=1, seconds=1)
    assert kiosk.tries(WRONG, next_day).try_again_at is None  # counted from zero: the first of three free


def wrong_pins_from_both(two_kiosks, count: int, at):
    """``count`` wrong PINs, the two kiosks taking turns, each try once its kiosk may try again."""
    free_at = {kiosk.id: at for kiosk in two_kiosks}
    results = []
    for n in range(count):
        kiosk = two_kiosks[n % 2]
        results.append(kiosk.tries(WRONG, free_at[kiosk.id]))
        free_at[kiosk.id] = results[-1].try_again_at or free_at[kiosk.id]
    return results, max(free_at.values())


def test_twenty_wrong_pins_from_two_kiosks_shut_the_case_for_an_hour(database, case_id, two_kiosks):
    start = utcnow()
    results, last = wrong_pins_from_both(two_kiosks, LOCK_FAILURES, start)
    assert all(r.checked for r in results) and not any(r.locked for r in results[:-1])
    assert results[-1].locked
    case = the_case(database)
    assert case.pin_locked_until is not None and case.pin_locked_until - LOCKOUT <= last
    with database.sessions() as session:
        assert session.scalar(select(AuditEntry.case_id).where(AuditEntry.action == "case.pin_locked")) == case_id
    third = Kiosk(database, two_kiosks[0].hasher, new_kiosks(database, 1)[0])
    shut = third.tries(PIN, case.pin_locked_until - timedelta(seconds=1))  # even the right PIN, anywhere
    assert shut.locked and not shut.checked and not shut.opened and shut.try_again_at == case.pin_locked_until
    assert third.tries(PIN, case.pin_locked_until).opened  # the lock ends by itself too


def test_wrong_pins_count_towards_the_lock_for_a_day(database, case_id, two_kiosks):
    start = utcnow()
    _results, last = wrong_pins_from_both(two_kiosks, LOCK_FAILURES - 1, start)
    assert last - start < timedelta(days=1)
    later = start + timedelta(days=1, seconds=1)  # the day since the first has passed: counted afresh
    assert not two_kiosks[0].tries(WRONG, max(later, last + LONGEST_WAIT)).locked
    assert the_case(database).pin_failures == 1


def test_a_number_that_names_no_case_waits_like_a_case_so_waiting_tells_nothing(database, case_id, two_kiosks):
    kiosk, now = two_kiosks[0], utcnow()
    at_case, at_nothing = [], []
    for step in range(FREE_TRIES + 3):
        at = now + timedelta(minutes=10 * step)  # past each wait
        at_case.append(kiosk.tries(WRONG, at))
        at_nothing.append(kiosk.tries(WRONG, at, number=case_number(26, 9999)))
    assert [(r.checked, r.try_again_at) for r in at_case] == [(r.checked, r.try_again_at) for r in at_nothing]
    assert at_case[FREE_TRIES - 1].try_again_at is not None


def test_tries_of_an_a_number_count_against_each_of_its_cases(database, place, hasher, two_kiosks):
    kiosk = two_kiosks[0]
    decision = triage("food", {})
    file_number = case_number(26, 5151)
    with database.transaction() as session:
        from kiosk.core.models import Detainee

        detainee = Detainee(a_number="201234567")
        session.add_all([Case(number=number, facility_id=place["facility_id"], language="es", category="food",
                              answers={}, description="", priority=decision.priority, due_at=decision.due_at(utcnow()),
                              pin_hash=hasher.hash(PIN), detainee=detainee)
                         for number in (NUMBER, file_number)])
    now = utcnow()
    with database.sessions() as session:
        candidates = list(session.scalars(select(Case).join(Case.detainee)))
        for _ in range(FREE_TRIES):
            result = pin_tries.open_with_pin(session, candidates, WRONG, hasher, kiosk_id=kiosk.id,
                                             typed="a_number:201234567", actor="test", now=now)
            session.commit()
        assert result.try_again_at == now + FIRST_WAIT
        assert sorted(session.scalars(select(PinTry.failures))) == [FREE_TRIES, FREE_TRIES]


# --- what the person at the kiosk reads ---------------------------------------------------

def message_start(message: str) -> str:
    """A message's words before its time."""
    return translated("es", message, time="@").split("@")[0]


def shown_time(database, case) -> str:
    with database.sessions() as session:
        wait = session.scalar(select(PinTry.wait_until).where(PinTry.case_id == case.id))
    rounded = (wait + timedelta(minutes=1)).replace(second=0, microsecond=0) if wait.second or wait.microsecond else wait
    from zoneinfo import ZoneInfo
    return moment_in(Locale.parse("es"), rounded, ZoneInfo("America/Chicago"))


def test_the_kiosk_says_when_to_try_again_in_the_persons_language(kiosk, database):
    file_complaint(kiosk, a_number=None, pin=PIN)
    case = filed_case(database)
    for _ in range(FREE_TRIES - 1):
        page = track(kiosk, case.number, WRONG).get_data(as_text=True)
        assert translated("es", "The number or the PIN is not right. Please try again.") in page
    page = track(kiosk, case.number, WRONG).get_data(as_text=True)
    assert message_start("The number or the PIN is not right. You can try again at %(time)s.") in page
    assert shown_time(database, case) in page
    page = track(kiosk, case.number, PIN).get_data(as_text=True)  # right, but too soon: not looked at
    assert message_start("Too many wrong PINs on this kiosk. You can try again at %(time)s.") in page
    assert shown_time(database, case) in page
    with database.transaction() as session:  # the wait is over
        session.execute(update(PinTry).values(wait_until=utcnow() - timedelta(seconds=1)))
    assert track(kiosk, case.number, PIN).request.path == f"/kiosk/case/{case.number}"


def test_a_shut_case_says_until_when_and_that_a_case_manager_can_open_it(kiosk, database):
    file_complaint(kiosk, a_number=None, pin=PIN)
    case = filed_case(database)
    until = utcnow() + timedelta(minutes=40)
    with database.transaction() as session:
        session.execute(update(Case).values(pin_locked_until=until))
    page = track(kiosk, case.number, PIN).get_data(as_text=True)
    message = "Too many wrong PINs were typed for this complaint. It is locked until %(time)s. A case manager can unlock it sooner."
    assert message_start(message) in page
    assert translated("es", message, time="@").split("@")[1] in page
    assert re.search(r"\b\d{1,2}:\d\d \(hora central\)", page)  # Spanish writes 0:20, not 00:20


# --- a case manager opens it again ------------------------------------------------------------

def lock(database, case_id):
    with database.transaction() as session:
        session.execute(update(Case).where(Case.id == case_id).values(
            pin_locked_until=utcnow() + LOCKOUT, pin_failures=0))


def test_a_case_manager_unlocks_a_shut_case_and_it_is_audited(app, database, people, case_id, two_kiosks):
    lock(database, case_id)
    with database.transaction() as session:
        session.add(PinTry(kiosk_id=two_kiosks[0].id, case_id=case_id, failures=9, last_failure_at=utcnow(),
                           wait_until=utcnow() + LONGEST_WAIT))
    chris = signed_in(app, "chris")
    page = chris.get(f"/staff/case/{NUMBER}").get_data(as_text=True)
    assert "Locked at every kiosk until" in page
    done = chris.post(f"/staff/case/{NUMBER}/unlock-pin", follow_redirects=True).get_data(as_text=True)
    assert "Unlocked: the detainee can open the case with their PIN again, at any kiosk." in done
    assert "Locked at every kiosk until" not in done
    assert not the_case(database).pin_locked
    assert two_kiosks[0].tries(PIN, utcnow()).opened  # the kiosk's wait went with the lock
    assert ("case.pin_unlocked", NUMBER) in [(action, number) for _actor, action, number in audit_rows(database, "case.pin")]


def test_unlocking_a_case_that_is_not_shut_changes_nothing(app, database, people, case_id):
    chris = signed_in(app, "chris")
    chris.get(f"/staff/case/{NUMBER}")
    page = chris.post(f"/staff/case/{NUMBER}/unlock-pin", follow_redirects=True).get_data(as_text=True)
    assert "This case is not locked." in page
    assert audit_rows(database, "case.pin_unlocked") == []


def test_a_case_manager_of_another_facility_cannot_unlock_it(app, database, people, case_id):
    lock(database, case_id)
    dana = signed_in(app, "dana")
    dana.get("/staff/")
    assert dana.post(f"/staff/case/{NUMBER}/unlock-pin").status_code == 403
    assert the_case(database).pin_locked
    assert audit_rows(database, "case.pin_unlocked") == []


def test_the_unlock_form_needs_its_csrf_token(app, database, people, case_id):
    lock(database, case_id)
    create_staff(app, "erin", "supervisor")
    erin = signed_in(app, "erin")
    assert erin.post(f"/staff/case/{NUMBER}/unlock-pin", csrf=False).status_code == 400
    assert the_case(database).pin_locked
