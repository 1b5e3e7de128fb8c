"""Requests that overlap, guesses that arrive together, workers that die: what a race may not break."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.core import jobs, pin_tries, saved_filters, staff_accounts
from kiosk.core.identifiers import case_number
from kiosk.core.jobs import HANDLERS
from kiosk.core.models import AuditEntry, Case, Job, PinTry, SavedFilter, StaffUser, utcnow
from kiosk.core.triage import triage
from kiosk.worker import Worker
from tests.helpers import (
    BrowserClient, answer_protection, choose_pin, create_staff, enrolled_kiosk, signed_in, staff_id, start_filing,
)

# --- a kiosk session's overlapping requests ------------------------------------------------

class Paused:
    """Holds chosen requests right after their session was read, until released: the window in
    which another request of the same session can write."""

    def __init__(self, app, path: str):
        self.interface, self.path = app.session_interface, path
        self.opened, self.release = threading.Event(), threading.Event()
        self._open = self.interface.open_session

        def open_then_wait(app, request):
            session = self._open(app, request)
            if request.path == self.path:
                self.opened.set()
                assert self.release.wait(timeout=20)
            return session

        self.interface.open_session = open_then_wait

    def run(self, client, path: str) -> threading.Thread:
        thread = threading.Thread(target=client.get, args=(path,))
        thread.start()
        assert self.opened.wait(timeout=20)
        return thread

    def finish(self, thread: threading.Thread) -> None:
        self.release.set()
        thread.join(timeout=20)
        self.interface.open_session = self._open


def twin(app, kiosk: BrowserClient) -> BrowserClient:
    """Another connection of the same browser: the same kiosk and the same session cookie."""
    other = BrowserClient(app.test_client())
    for name in ("kiosk_device", "kiosk_session"):
        if cookie := kiosk.client.get_cookie(name, path="/kiosk"):
            other.client.set_cookie(name, cookie.value, path="/kiosk")
    return other


def reach_the_words(kiosk: BrowserClient) -> None:
    start_filing(kiosk, "es", category="food")
    for key, value in {"urgent": "no", "since": "today", "raised_with_facility": "not_yet"}.items():
        kiosk.post(f"/kiosk/file/question/{key}", {"choice": value})
    choose_pin(kiosk)
    kiosk.get("/kiosk/file/words")


def test_the_idle_timers_keep_alive_never_undoes_the_words_just_sent(app, kiosk):
    reach_the_words(kiosk)
    paused = Paused(app, "/kiosk/still-here")
    timer = paused.run(twin(app, kiosk), "/kiosk/still-here")  # read the session before the words
    kiosk.post("/kiosk/file/words", {"description": "La comida llega fría."})
    paused.finish(timer)  # ... and saves after them
    page = answer_protection(kiosk)
    assert page.status_code == 200 and "La comida llega fría." in page.text


def test_a_filed_complaints_receipt_survives_a_request_that_overlapped_the_send(app, kiosk, database):
    reach_the_words(kiosk)
    kiosk.post("/kiosk/file/words", {"description": "La comida llega fría."})
    answer_protection(kiosk)
    paused = Paused(app, "/kiosk/still-here")
    timer = paused.run(twin(app, kiosk), "/kiosk/still-here")
    sent = kiosk.post("/kiosk/file/review", {"submission": kiosk.submission_token()})
    paused.finish(timer)
    with database.sessions() as session:
        number = session.scalars(select(Case.number)).one()
    assert sent.headers["Location"].endswith("/kiosk/receipt")
    receipt = kiosk.get("/kiosk/receipt")
    assert receipt.status_code == 200 and number in receipt.text


# --- guesses that arrive together ----------------------------------------------------------

class CountingChecks:
    """Counts the checks of a guess against a real hash; each check waits (up to a few seconds)
    for the others, so that guesses not held back by the lock all overlap."""

    def __init__(self, app, monkeypatch, expected: int):
        hasher = app.extensions["secret_hasher"]
        self.checked, self._lock = 0, threading.Lock()
        self._together = threading.Barrier(expected, timeout=3)
        verify = hasher.verify

        def counting(hashed, secret):
            if hashed is not None:
                with self._lock:
                    self.checked += 1
                try:
                    self._together.wait()
                except threading.BrokenBarrierError:
                    pass  # fewer arrived: the lock held the rest back
            return verify(hashed, secret)

        monkeypatch.setattr(hasher, "verify", counting)


def all_at_once(calls) -> None:
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def a_case_with_a_pin(app, database, place) -> str:
    decision = triage("food", {})
    with database.transaction() as session:
        session.add(Case(number=case_number(26, 4242), facility_id=place["facility_id"], language="es",
                         category="food", answers={}, description="", is_emergency=False,
                         priority=decision.priority, due_at=decision.due_at(utcnow()),
                         pin_hash=app.extensions["secret_hasher"].hash("2468")))
    return case_number(26, 4242)


def at_the_pin_screen(guesser: BrowserClient, number: str) -> BrowserClient:
    guesser.get("/kiosk/track")
    guesser.post("/kiosk/track", {"identifier": number})
    guesser.get("/kiosk/track/pin")
    return guesser


def test_twenty_wrong_pins_at_once_from_one_kiosk_are_checked_at_most_three_times(app, kiosk, database, place,
                                                                                   monkeypatch):
    number = a_case_with_a_pin(app, database, place)
    guessers = [at_the_pin_screen(twin(app, kiosk), number) for _ in range(20)]  # the same kiosk, sessions of their own
    checks = CountingChecks(app, monkeypatch, expected=20)
    all_at_once([lambda g=g: g.post("/kiosk/track/pin", {"pin": "1111"}) for g in guessers])
    assert checks.checked <= pin_tries.FREE_TRIES
    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.pin_locked_until is None  # one kiosk slows down; the case stays open to its owner
        wait = session.scalars(select(PinTry.wait_until)).one()
        assert wait is not None and wait > utcnow()


def test_wrong_pins_at_once_from_eight_kiosks_are_checked_at_most_twenty_times_then_the_case_locks(
        app, database, place, monkeypatch):
    number = a_case_with_a_pin(app, database, place)
    kiosks = [enrolled_kiosk(app) for _ in range(8)]
    guessers = [at_the_pin_screen(twin(app, k), number) for k in kiosks for _ in range(4)]  # 4 a kiosk: 3 counted
    checks = CountingChecks(app, monkeypatch, expected=len(guessers))
    all_at_once([lambda g=g: g.post("/kiosk/track/pin", {"pin": "1111"}) for g in guessers])
    assert checks.checked <= pin_tries.LOCK_FAILURES
    with database.sessions() as session:
        case = session.scalars(select(Case)).one()
        assert case.pin_locked_until is not None and case.pin_locked_until > utcnow() + timedelta(minutes=59)
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "case.pin_locked")) is not None


def test_thirty_six_wrong_passwords_at_once_are_checked_at_most_five_times(app, database, place, monkeypatch):
    create_staff(app, "chris", "case_manager", ["TST"])
    guessers = []
    for _ in range(36):
        guesser = BrowserClient(app.test_client())
        guesser.get("/staff/sign-in")
        guessers.append(guesser)
    checks = CountingChecks(app, monkeypatch, expected=36)
    all_at_once([lambda g=g: g.post("/staff/sign-in", {"username": "chris", "password": "wrong password!"})
                 for g in guessers])
    assert checks.checked <= 5
    with database.sessions() as session:
        chris = session.scalars(select(StaffUser)).one()
        assert chris.locked_until is not None and chris.locked_until > utcnow() + timedelta(minutes=14)


def test_a_session_from_before_a_deactivation_stays_ended_after_reactivation(app, database, people):
    create_staff(app, "ada", "administrator")
    chris, admin = signed_in(app, "chris"), signed_in(app, "ada")
    assert chris.get("/staff/").status_code == 200
    chris_id = staff_id(database, "chris")
    admin.get("/staff/admin/accounts")
    admin.post(f"/staff/admin/accounts/{chris_id}/deactivate")
    admin.get("/staff/admin/accounts")
    admin.post(f"/staff/admin/accounts/{chris_id}/activate")
    stale = chris.get("/staff/")  # the first request since the deactivation
    assert stale.status_code == 302 and "/staff/sign-in" in stale.headers["Location"]


# --- workers that die --------------------------------------------------------------------

def queue_jobs(database, payloads: list[dict], kind: str = "record", max_attempts: int = 5) -> None:
    with database.transaction() as session:
        for payload in payloads:
            jobs.enqueue(session, kind, payload, max_attempts=max_attempts)


def test_a_job_whose_worker_died_is_retried_alone_and_ends_failed_after_its_last_attempt(database):
    queue_jobs(database, [{"n": n} for n in range(3)], max_attempts=2)
    now = utcnow()
    with database.sessions() as session:
        assert len(jobs.claim(session, "dies", now=now)) == 3  # a worker takes three, then dies
        later = now + jobs.LEASE + timedelta(seconds=1)
        retried = jobs.claim(session, "next", now=later)
        assert [job.attempts for job in retried] == [2]  # alone: it may be what killed the worker
        much_later = later + jobs.LEASE + timedelta(seconds=1)  # the second worker dies too
        again = jobs.claim(session, "third", now=much_later)
        assert len(again) == 1 and again[0].id != retried[0].id and again[0].attempts == 2
        failed = session.get(Job, retried[0].id)
        session.refresh(failed)
        assert failed.status == "failed" and failed.attempts == 2 and "lease ran out" in failed.last_error
        assert jobs.claim(session, "fourth", now=much_later + jobs.LEASE * 3) != []  # the third job's turn


@pytest.fixture
def picky_handler():
    """Finishes its jobs, unless one of them is marked bad: then the whole batch raises."""
    def handler(worker, session, batch):
        if any(job.payload.get("bad") for job in batch):
            raise ValueError("a bad job")
        for job in batch:
            jobs.finish(session, job, worker.name)

    HANDLERS["picky"] = handler
    yield
    del HANDLERS["picky"]


def test_one_bad_job_does_not_hold_back_the_jobs_claimed_with_it(database, config, picky_handler):
    queue_jobs(database, [{"n": 1}, {"n": 2, "bad": True}, {"n": 3}], kind="picky")
    assert Worker(database, config, engine_factory=lambda: None, name="w").run_once() == 3
    with database.sessions() as session:
        states = {job.payload["n"]: (job.status, job.last_error) for job in session.scalars(select(Job))}
    assert states[1] == ("done", None) and states[3] == ("done", None)
    assert states[2] == ("queued", "ValueError: a bad job")  # retried later, with its own error


# --- two case managers take the same case at the same moment ----------------------------------

def test_two_case_managers_taking_one_case_at_once_one_has_it_and_the_other_is_told_who(app, database, people,
                                                                                         monkeypatch):
    create_staff(app, "cam", "case_manager", ["TST"], display_name="Cam Reyes")
    number = case_number(26, 4343)
    decision = triage("food", {})
    with database.transaction() as session:
        session.add(Case(number=number, facility_id=people["TST"], language="es", category="food", answers={},
                         description="", is_emergency=False, priority=decision.priority,
                         due_at=decision.due_at(utcnow())))
    takers = {name: signed_in(app, name) for name in ("chris", "cam")}
    for client in takers.values():
        client.get("/staff/")
    # Each request has read the case, unassigned, before either writes.
    both_read, may_see = threading.Barrier(2, timeout=10), staff_accounts.may_see

    def reading_together(user, case):
        if case.number == number and case.assigned_to_id is None:
            both_read.wait()
        return may_see(user, case)

    monkeypatch.setattr(staff_accounts, "may_see", reading_together)
    all_at_once([lambda c=c: c.post(f"/staff/case/{number}/take") for c in takers.values()])
    monkeypatch.undo()
    said = {name: client.get("/staff/").get_data(as_text=True) for name, client in takers.items()}
    with database.sessions() as session:
        found = session.scalars(select(Case).where(Case.number == number)).one()
        winner = session.get(StaffUser, found.assigned_to_id)
        taken = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "case.taken")).all()
        assert [e.kind for e in found.events] == ["assigned"]
    loser = next(name for name in takers if name != winner.username)
    assert f"You have case {number} now." in said[winner.username]
    assert f"Not taken: {winner.display_name} has this case already." in said[loser]
    assert len(taken) == 1


def test_two_saves_at_once_of_a_person_with_twenty_nine_filters_keep_thirty(app, database, people, monkeypatch):
    owner = staff_id(database, "chris")
    with database.transaction() as session:
        session.add_all([SavedFilter(owner_id=owner, slot=n, name=f"Filter {n}", query="overdue=1")
                         for n in range(1, saved_filters.LIMIT)])
    tabs = [signed_in(app, "chris") for _ in range(2)]
    for tab in tabs:
        tab.get("/staff/")
    # Each save has seen the one free slot before either takes it.
    both_looked, free_slot = threading.Barrier(2, timeout=10), saved_filters._free_slot

    def looking_together(session, owner):
        slot = free_slot(session, owner)
        both_looked.wait()
        return slot

    monkeypatch.setattr(saved_filters, "_free_slot", looking_together)
    all_at_once([lambda tab=tab, n=n: tab.post("/staff/filters", {"name": f"New {n}", "query": "mine=1"})
                 for n, tab in enumerate(tabs)])
    monkeypatch.undo()
    said = [tab.get("/staff/").get_data(as_text=True) for tab in tabs]
    with database.sessions() as session:
        names = session.scalars(select(SavedFilter.name).where(SavedFilter.owner_id == owner)).all()
    assert len(names) == saved_filters.LIMIT and len([n for n in names if n.startswith("New")]) == 1
    assert sum("saved: it is in the bar" in page for page in said) == 1
    assert sum("Another of your saves arrived at the same moment" in page for page in said) == 1
