"""The database: one engine per URL, sessions, migrations and a health check.

SQLite (the embedded default) and Postgres behave the same to callers. On SQLite the
engine uses WAL, a busy timeout (DB_BUSY_TIMEOUT) and, for sessions that write under
contention, ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing.

Timeouts: Postgres connections carry ``connect_timeout`` (DB_CONNECT_TIMEOUT) and
``statement_timeout``/``lock_timeout`` (DB_STATEMENT_TIMEOUT, DB_LOCK_TIMEOUT), which the
server enforces. A server that does not answer at all (frozen, or a dead network path)
enforces nothing, so work that a person is waiting for runs inside :func:`db_budget`: a
watchdog shuts the socket of any connection held longer than the budget, and the
caller gets :class:`DatabaseBusy` instead of hanging.
"""

from __future__ import annotations

import heapq
import logging
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlmodel import Session

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class DatabaseError(RuntimeError):
    """The database cannot be reached or migrated; the message says why in one line."""


class DatabaseBusy(OperationalError):
    """The database did not answer within the caller's budget (see :func:`db_budget`)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no answer from the database within {seconds:g} s", None, TimeoutError())


# ------------------------------------------------------------------ budgets and watchdog

_budget = threading.local()


@contextmanager
def db_budget(seconds: float) -> Iterator[None]:
    """Connections this thread checks out inside the block may be held for ``seconds``;
    past that the watchdog cuts them and the statement fails (DatabaseBusy)."""
    previous = getattr(_budget, "seconds", None)
    _budget.seconds = seconds
    try:
        yield
    finally:
        _budget.seconds = previous


class _Watchdog:
    """One thread that shuts the sockets of connections held past their deadline."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int]] = []
        self._armed: dict[int, tuple[float, Any]] = {}
        self._thread: threading.Thread | None = None

    def arm(self, dbapi_connection: Any, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with self._cond:
            self._armed[id(dbapi_connection)] = (deadline, dbapi_connection)
            heapq.heappush(self._heap, (deadline, id(dbapi_connection)))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="spinebot-db-watchdog", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def disarm(self, dbapi_connection: Any) -> None:
        with self._cond:
            self._armed.pop(id(dbapi_connection), None)

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._heap:
                    self._cond.wait()
                deadline, key = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                heapq.heappop(self._heap)
                armed = self._armed.get(key)
                if armed is None or armed[0] != deadline:
                    continue
                del self._armed[key]
                connection = armed[1]
            _cut(connection)


def _cut(dbapi_connection: Any) -> None:
    try:
        fd = dbapi_connection.pgconn.socket
        dbapi_connection._spinebot_cut = True
        with socket.socket(fileno=os.dup(fd)) as sock:
            sock.shutdown(socket.SHUT_RDWR)
        log.warning("a database connection held past its budget was cut")
    except Exception:  # noqa: BLE001 - already closed, or not a socket
        log.debug("could not cut a database connection", exc_info=True)


_watchdog = _Watchdog()


def _pg_checkout(dbapi_connection, record, proxy) -> None:  # type: ignore[no-untyped-def]
    """Arm the watchdog for a budgeted thread, then ping (in place of pool_pre_ping, whose
    ping would run before this hook and so without a budget)."""
    seconds = getattr(_budget, "seconds", None)
    if seconds:
        _watchdog.arm(dbapi_connection, seconds)
    started = time.monotonic()
    try:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        dbapi_connection.rollback()
    except Exception as exc:
        if seconds:
            _watchdog.disarm(dbapi_connection)
            if time.monotonic() - started >= seconds * 0.9:
                raise DatabaseBusy(seconds) from exc
        raise DisconnectionError(str(exc)) from exc


def _pg_checkin(dbapi_connection, record) -> None:  # type: ignore[no-untyped-def]
    if dbapi_connection is not None:
        _watchdog.disarm(dbapi_connection)


def _pg_connect(dialect, conn_rec, cargs, cparams) -> None:  # type: ignore[no-untyped-def]
    """A budgeted thread does not wait longer than its budget for a new connection
    (libpq's minimum is 2 s)."""
    seconds = getattr(_budget, "seconds", None)
    if seconds:
        cparams["connect_timeout"] = max(
            2, min(int(cparams.get("connect_timeout", 5)), math.ceil(seconds))
        )


def _pg_error(context) -> None:  # type: ignore[no-untyped-def]
    """An error on a connection the watchdog cut is a disconnect: the pool drops it."""
    dbapi = getattr(context.connection, "connection", None)
    raw = getattr(dbapi, "dbapi_connection", None) if dbapi is not None else None
    if raw is not None and getattr(raw, "_spinebot_cut", False):
        context.is_disconnect = True


def _timeouts() -> tuple[int, float, float, float]:
    """(connect, statement, lock, busy) timeouts in seconds, from the settings."""
    from spinebot.settings import get_settings

    s = get_settings()
    return s.db_connect_timeout, s.db_statement_timeout, s.db_lock_timeout, s.db_busy_timeout


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # The driver must not open transactions on its own: the "begin" hook below does.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(_timeouts()[3] * 1000)}")
    cursor.close()


def _sqlite_begin(conn) -> None:  # type: ignore[no-untyped-def]
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def make_engine(url: str) -> Engine:
    """A new engine for ``url`` with the per-backend settings Spinebot relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": _timeouts()[3]},
            pool_size=20,
            max_overflow=20,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    connect, statement, lock, _busy = _timeouts()
    options = " ".join(
        f"-c {name}={int(seconds * 1000)}"
        for name, seconds in (("statement_timeout", statement), ("lock_timeout", lock))
    )
    existing = parsed.query.get("options")
    if isinstance(existing, str):
        options = f"{existing} {options}"
    engine = create_engine(
        url,
        connect_args={
            "connect_timeout": connect,
            "options": options,
            # A silent peer is noticed by the kernel after about a minute, not hours.
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
        },
        pool_size=10,
        max_overflow=30,
        pool_timeout=connect,
    )
    event.listen(engine, "checkout", _pg_checkout)
    event.listen(engine, "checkin", _pg_checkin)
    event.listen(engine, "do_connect", _pg_connect)
    event.listen(engine, "handle_error", _pg_error)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The shared engine for ``url`` (default: the configured database)."""
    if url is None:
        from spinebot.settings import get_settings

        url = get_settings().sqlalchemy_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before a process forks)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def session_scope(engine: Engine | None = None, *, write: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    ``write=True`` takes SQLite's write lock at the start of the transaction, so a
    read-then-write sequence cannot fail half-way with "database is locked".
    """
    engine = engine or get_engine()
    bind = engine.execution_options(sqlite_immediate=True) if write else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _alembic_config(url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    """Apply every pending migration (all branches) to the database at ``url``."""
    from alembic import command
    from sqlalchemy.exc import SQLAlchemyError

    engine = get_engine(url)
    config = _alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise DatabaseError(describe_db_error(exc, engine)) from exc


def current_revisions(url: str | None = None) -> list[str]:
    from alembic.runtime.migration import MigrationContext

    engine = get_engine(url)
    with engine.connect() as connection:
        return sorted(MigrationContext.configure(connection).get_current_heads())


def head_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config("sqlite://"))
    return sorted(script.get_heads())


def check_health(engine: Engine | None = None) -> tuple[bool, str]:
    """(ok, detail) after a trivial query, for /healthz and start-up checks."""
    engine = engine or get_engine()
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return False, describe_db_error(exc, engine)
    return True, engine.dialect.name


def describe_db_error(exc: BaseException, engine: Engine) -> str:
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = detail[0] if detail else type(exc).__name__
    where = engine.url.render_as_string(hide_password=True)
    return f"database {where} is not usable: {first}"
