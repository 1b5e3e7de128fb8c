"""The durable job queue: exactly once, leases that expire, retries that end visibly."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from kiosk.core import jobs
from kiosk.core.jobs import HANDLERS
from kiosk.core.models import Job, utcnow
from kiosk.worker import Worker


def queue_jobs(database, count, kind="test"):
    with database.transaction() as session:
        for n in range(count):
            jobs.enqueue(session, kind, {"n": n}, max_attempts=3)


def test_a_claimed_job_is_not_claimed_again_until_its_lease_expires(database):
    queue_jobs(database, 1)
    now = utcnow()
    with database.sessions() as session:
        first = jobs.claim(session, "one", now=now)
        assert [j.payload for j in first] == [{"n": 0}] and first[0].attempts == 1
        assert jobs.claim(session, "two", now=now + timedelta(minutes=1)) == []
        # The first worker died: after the lease, another takes the job over.
        taken = jobs.claim(session, "two", now=now + jobs.LEASE + timedelta(seconds=1))
        assert [j.id for j in taken] == [first[0].id] and taken[0].attempts == 2
        # The dead worker's late report changes nothing; the new owner's does.
        assert jobs.finish(session, first[0], "one") is False
        assert jobs.finish(session, taken[0], "two") is True
        session.commit()
        assert session.scalar(select(Job.status)) == "done"


def test_failures_back_off_then_end_as_a_visible_failed_job(database):
    queue_jobs(database, 1)
    now = utcnow()
    with database.sessions() as session:
        for attempt in range(1, 4):
            [job] = jobs.claim(session, "w", now=now)
            assert job.attempts == attempt
            outcome = jobs.fail(session, job, "w", "boom", now=now)
            session.commit()
            row = session.scalars(select(Job)).one()
            if attempt < 3:
                assert outcome == "queued" and row.run_after == now + jobs.backoff(attempt)
                assert jobs.claim(session, "w", now=now) == []  # not before its backoff
                now = row.run_after
            else:
                assert outcome == "failed" and row.status == "failed" and row.last_error == "boom"
            session.expire_all()
        assert jobs.claim(session, "w", now=now + timedelta(days=1)) == []
    assert jobs.backoff(1) < jobs.backoff(2) < jobs.backoff(3) <= jobs.BACKOFF_MAX


def test_a_worker_fails_jobs_of_an_unknown_kind_at_once(database, config):
    queue_jobs(database, 1, kind="no-such-kind")
    assert Worker(database, config, engine_factory=lambda: None, name="w").run_once() == 1
    with database.sessions() as session:
        job = session.scalars(select(Job)).one()
        assert job.status == "failed" and "no handler" in job.last_error


@pytest.fixture
def recording_handler():
    seen = []
    lock = threading.Lock()
    # Each worker's first batch waits for the other's: both hold claimed jobs at the same moment.
    both_claimed = threading.Barrier(2, timeout=20)
    first_batch = set()

    def handler(worker, session, batch):
        if worker.name not in first_batch:
            first_batch.add(worker.name)
            both_claimed.wait()
        with lock:
            seen.extend((job.payload["n"], worker.name) for job in batch)
        for job in batch:
            jobs.finish(session, job, worker.name)

    HANDLERS["record"] = handler
    yield seen
    del HANDLERS["record"]


def test_two_workers_over_one_queue_process_every_job_exactly_once(database, config, recording_handler):
    # PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer at a time, the claim is one UPDATE.
    queue_jobs(database, 200, kind="record")
    workers = [Worker(database, config, engine_factory=lambda: None, name=f"w{i}", batch=5) for i in range(2)]

    def drain(worker):
        while worker.run_once():
            pass

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    numbers = sorted(n for n, _name in recording_handler)
    assert numbers == list(range(200))
    assert {name for _n, name in recording_handler} == {"w0", "w1"}
    with database.sessions() as session:
        assert set(session.scalars(select(Job.status))) == {"done"}


def test_failed_jobs_are_listed_and_can_be_retried(database, config, runner):
    queue_jobs(database, 1, kind="no-such-kind")
    Worker(database, config, engine_factory=lambda: None, name="w").run_once()
    listed = runner.invoke(args=["jobs", "failed"])
    assert "no-such-kind" in listed.output and "no handler" in listed.output
    assert "failed: 1" in runner.invoke(args=["jobs", "status"]).output
    with database.sessions() as session:
        job_id = session.scalar(select(Job.id))
    assert runner.invoke(args=["jobs", "retry", str(job_id)]).exit_code == 0
    assert "queued: 1" in runner.invoke(args=["jobs", "status"]).output
    assert runner.invoke(args=["jobs", "retry", str(job_id)]).exit_code != 0
