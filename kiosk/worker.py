"""The worker: takes durable jobs from the database and carries them out.

Run any number of them (``kioskctl worker``), on any machine that reaches the
database. Each job kind has one handler (registered with kiosk.core.jobs),
given every claimed job of its kind at once, so translations of several queued
texts share one batched model call. The worker is the one place that imports
the modules holding the handlers. Between jobs, each worker also looks for
silent kiosks once a minute.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Callable

import kiosk.translation.jobs  # noqa: F401  (registers the translation handlers)
import sms.escalation  # noqa: F401  (registers the emergency escalation handler)
import sms.outbound  # noqa: F401  (registers the SMS gateway's handlers)
import sms.replies  # noqa: F401  (registers the handler that texts a released reply to its reporter)
from kiosk.config import Config
from kiosk.core import actors, jobs, patterns_job, silent_kiosks  # patterns_job: the daily pattern job's handler
from kiosk.core.db import Database
from kiosk.core.models import utcnow

log = logging.getLogger(__name__)
DAILY_CHECK = timedelta(hours=1)


class Worker:
    def __init__(self, database: Database, config: Config, *, engine_factory: Callable[[], object] | None = None,
                 name: str | None = None, batch: int = 16, poll_seconds: float = 1.0,
                 clock: Callable[[], datetime] = utcnow):
        self.database = database
        self.config = config
        self._engine_factory = engine_factory or (lambda: _translation_engine(config))
        self._engine = None
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.poll_seconds = poll_seconds
        self.now = clock
        self._next_kiosk_check = 0.0  # time.monotonic(): the first look is at start

    @property
    def engine(self):
        """The translation engine, created on first use (a worker carrying only SMS never loads it)."""
        if self._engine is None:
            self._engine = self._engine_factory()
        return self._engine

    def run_once(self) -> int:
        """Claims and carries out one batch of jobs; returns how many were claimed."""
        with self.database.sessions() as session:
            claimed = jobs.claim(session, self.name, limit=self.batch, now=self.now())
            by_kind = defaultdict(list)
            for job in claimed:
                by_kind[job.kind].append(job)
            for batch in by_kind.values():
                if not self._carry_out(session, batch):
                    for job in batch:  # one bad job must not hold back the others claimed with it
                        self._carry_out(session, [job])
        return len(claimed)

    def _carry_out(self, session, batch: list[jobs.Claimed]) -> bool:
        """Runs the kind's handler over the batch and commits; False when a batch of several failed
        (nothing of it is kept: each job is then tried alone). A job failing alone is retried with
        backoff, its error kept on it."""
        kind = batch[0].kind
        handler = jobs.HANDLERS.get(kind)
        try:
            if handler is None:
                raise LookupError(f"no handler for job kind {kind!r}")
            handler(self, session, batch)
            session.commit()
            return True
        except Exception as error:
            session.rollback()
            if len(batch) > 1:
                log.warning("a batch of %d %s jobs failed (%s); trying each alone", len(batch), kind, error)
                return False
            log.exception("%s job %d failed", kind, batch[0].id)
            jobs.fail(session, batch[0], self.name, f"{error.__class__.__name__}: {error}", permanent=handler is None)
            session.commit()
            return True

    def keep_daily_jobs_queued(self) -> None:
        """The daily pattern job waits in the queue: queued now if no run did (a first start, or a
        run that failed for good)."""
        with self.database.sessions() as session:
            if patterns_job.schedule(session, self.now()):
                log.info("queued the daily pattern job")
            session.commit()
    def check_kiosks(self) -> list[int]:
        """Shows staff every kiosk that has gone silent (kiosk/core/silent_kiosks.py); returns their ids.
        Not a job: each worker looks once a minute, and a kiosk is marked once whoever looks."""
        with self.database.transaction() as session:
            raised = silent_kiosks.raise_alerts(session, now=self.now(), silent_after=self.config.kiosk_silent_after,
                                                actor=actors.worker(self.name))
        if raised:
            log.warning("kiosk(s) %s silent for %d minutes of waking hours", ", ".join(map(str, raised)),
                        self.config.kiosk_silent_after.total_seconds() // 60)
        return raised

    def _check_kiosks_when_due(self) -> None:
        if time.monotonic() < self._next_kiosk_check:
            return
        self._next_kiosk_check = time.monotonic() + silent_kiosks.CHECK_EVERY
        try:
            self.check_kiosks()
        except Exception:
            log.exception("the check for silent kiosks failed; trying again in a minute")

    def run(self, stop: threading.Event) -> None:
        log.info("worker %s started", self.name)
        checked_daily = None
        while not stop.is_set():
            if checked_daily is None or self.now() - checked_daily >= DAILY_CHECK:
                self.keep_daily_jobs_queued()
                checked_daily = self.now()
            self._check_kiosks_when_due()
            if self.run_once() == 0:
                if self._engine is not None:
                    self._engine.unload_idle()
                stop.wait(self.poll_seconds)
        log.info("worker %s stopped", self.name)


def _translation_engine(config: Config):
    from kiosk.translation.engine import Engine  # CTranslate2 loads only in a worker that translates

    return Engine.from_config(config)
