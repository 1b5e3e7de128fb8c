"""The database: one SQLAlchemy engine per app, sessions, and transactions that commit whole or not at all."""
from __future__ import annotations

import os
import threading
import weakref
from contextlib import contextmanager

from sqlalchemy import Select, create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def normalized_url(url: str) -> str:
    """postgresql:// means psycopg 3 here (SQLAlchemy would otherwise look for psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, **kwargs) -> Engine:
    url = normalized_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            # WAL lets the kiosk read while another process writes; foreign keys are off by default.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class Database:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._hot_reads: list[HotRead] = []

    def hot_read(self, statement: Select) -> HotRead:
        """A SELECT that runs on nearly every request, on connections of its own (see HotRead)."""
        read = HotRead(self.engine, statement)
        self._hot_reads.append(read)
        return read

    def dispose(self) -> None:
        """Closes every connection: the pool's and the hot reads' own."""
        for read in self._hot_reads:
            read.close()
        self.engine.dispose()

    @contextmanager
    def transaction(self):
        """A session committed on success and rolled back on any error: nothing half-written."""
        with self.sessions() as session, session.begin():
            yield session

    def is_reachable(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:
            return False


class HotRead:
    """One read-only SELECT run on a DBAPI connection of each thread's own, without SQLAlchemy's
    Connection and pool around it.

    The session read runs on nearly every request, and the machinery around it cost several times
    the query (SQLite: 90 us against 12; PostgreSQL: 330 against 80 of CPU, the pool's liveness
    ping and reset included). Here the statement is compiled once, rows are typed by the columns'
    own result processors, and the connection autocommits, so between requests it holds no
    snapshot and no lock. A connection the server dropped (a PostgreSQL restart) is replaced and
    the read tried once more: reading twice is harmless.
    """

    def __init__(self, engine: Engine, statement: Select):
        self.engine = engine
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positions = compiled.positiontup if dialect.positional else None
        self.processors = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                           for column in statement.selected_columns]
        self.Error = dialect.loaded_dbapi.Error
        self._mine = threading.local()
        self._everyone: weakref.WeakSet[_OwnConnection] = weakref.WeakSet()

    def first(self, **params) -> tuple | None:
        """The first row, typed as the ORM would type it, or None."""
        if self.positions is not None:
            params = tuple(params[name] for name in self.positions)
        try:
            row = self._fetch(self._connection(), params)
        except self.Error as error:
            if not self._dropped(error):
                raise
            row = self._fetch(self._connection(), params)
        if row is None:
            return None
        return tuple(value if process is None else process(value) for process, value in zip(self.processors, row))

    def _fetch(self, connection, params):
        cursor = connection.cursor()
        try:
            cursor.execute(self.sql, params)
            return cursor.fetchone()
        finally:
            cursor.close()

    def _connection(self):
        mine = getattr(self._mine, "own", None)
        if mine is not None:
            if mine.pid == os.getpid():
                return mine.dbapi
            mine.close.detach()  # a forked child leaves its parent's connection alone
        fairy = self.engine.raw_connection()  # made by the pool, so the engine's connect hooks run
        fairy.detach()  # from now on ours alone: the pool neither counts nor resets it
        self.engine.dialect.set_isolation_level(fairy.dbapi_connection, "AUTOCOMMIT")
        mine = self._mine.own = _OwnConnection(fairy.dbapi_connection, self.Error)
        self._everyone.add(mine)
        return mine.dbapi

    def _dropped(self, error) -> bool:
        """Whether the error means the server closed the connection; if so, it is let go."""
        mine = self._mine.own
        if not self.engine.dialect.is_disconnect(error, mine.dbapi, None):
            return False
        self._mine.own = None
        mine.close()
        return True

    def close(self) -> None:
        """Closes every thread's connection; each thread opens a new one on its next read."""
        for own in list(self._everyone):
            own.close()
        self._mine = threading.local()


class _OwnConnection:
    """A thread's own connection. It lives in the thread's local storage, so when the thread ends
    (a development server makes one per request) this object goes and its finalizer closes the
    connection; HotRead.close() calls the same finalizer early."""

    def __init__(self, dbapi_connection, errors):
        self.pid = os.getpid()
        self.dbapi = dbapi_connection
        self.close = weakref.finalize(self, _close_quietly, dbapi_connection, errors)


def _close_quietly(dbapi_connection, errors) -> None:
    try:
        dbapi_connection.close()
    except errors:
        pass  # already gone
