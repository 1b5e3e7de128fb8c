"""The database: one SQLAlchemy engine per app, sessions, and transactions that commit whole or not at all."""
from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager

from sqlalchemy import Select, create_engine, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import sessionmaker


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


def is_postgres(session) -> bool:
    """Whether the session's database is PostgreSQL (else SQLite), for SQL the two spell differently."""
    return session.get_bind().dialect.name == "postgresql"


def plan_for_these_values(session) -> None:
    """For the rest of the session's transaction, PostgreSQL plans each statement for the values it is
    given. psycopg prepares a statement once a connection has run it five times, and PostgreSQL may then
    keep one plan for any value: right for a lookup by id, wrong for a report whose period runs from a
    day to ten years (on a million cases the 10-year overdue chart took 12 ms on a fresh connection and
    235 - 350 ms from its eleventh run). Planning each time costs about 0.1 ms a statement, which only
    such reports should pay, not every kiosk page."""
    if is_postgres(session):
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


class Database:
    def __init__(self, url: str):
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._hot_reads: list[HotRead] = []

    def hot_read(self, statement: Select) -> HotRead:
        """A SELECT that nearly every request runs (see HotRead)."""
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
    """One SELECT that nearly every request runs first (reading its session), compiled once and run on
    a connection each thread keeps, straight through its driver.

    Checked out of the pool and run through Connection.execute, the session read cost about 150 us of
    a kiosk page's 600 in process; here 10. The connection is kept in AUTOCOMMIT, so between requests
    it holds no transaction, snapshot or lock, and detached from the pool, so it takes none of the
    pool's places. Rows are typed by the columns' own result processors, as the ORM types them. A
    connection the server closed (a PostgreSQL restart) is replaced and the read tried once more:
    reading twice is harmless. A thread's connection is closed when the thread is gone (the
    development server runs each request in a thread of its own), and all of them by close(). The
    app is built in each gunicorn worker, after fork, so no connection crosses a fork.

    SQLAlchemy's public API only: ClauseElement.compile and the compiled statement's positiontup,
    TypeEngine.dialect_impl and result_processor, Engine.connect, Connection.execution_options and
    detach, PoolProxiedConnection.dbapi_connection, Dialect.loaded_dbapi and is_disconnect.
    """

    def __init__(self, engine: Engine, statement: Select):
        self.engine = engine
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positions = compiled.positiontup if dialect.positional else None
        self.processors = [column.type.dialect_impl(dialect).result_processor(dialect, None)
                           for column in statement.selected_columns]
        self._mine = threading.local()
        self._open: set[Connection] = set()
        self._lock = threading.Lock()

    def first(self, **params) -> tuple | None:
        """The first row, or None."""
        values = tuple(params[name] for name in self.positions) if self.positions is not None else params
        connection = self._connection()
        try:
            row = self._fetch(connection, values)
        except self.engine.dialect.loaded_dbapi.Error as error:
            if not self.engine.dialect.is_disconnect(error, connection.connection.dbapi_connection, None):
                raise
            self._forget(connection)
            row = self._fetch(self._connection(), values)
        if row is None:
            return None
        return tuple(value if process is None else process(value) for process, value in zip(self.processors, row))

    def _fetch(self, connection: Connection, values):
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(self.sql, values)
            return cursor.fetchone()
        finally:
            cursor.close()

    def _connection(self) -> Connection:
        connection = getattr(self._mine, "connection", None)
        if connection is None or connection.closed:
            connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            connection.detach()  # its own from now on, not one of the pool's
            self._mine.connection = connection
            with self._lock:
                self._open.add(connection)
            weakref.finalize(threading.current_thread(), self._forget, connection)
        return connection

    def _forget(self, connection: Connection) -> None:
        with self._lock:
            self._open.discard(connection)
        connection.close()

    def close(self) -> None:
        """Closes every thread's connection; each opens a new one at its next read."""
        with self._lock:
            kept, self._open = self._open, set()
        for connection in kept:
            connection.close()
