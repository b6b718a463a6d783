"""Write transactions for the portfolio: one place that knows SQLite from Postgres.

On SQLite every write transaction takes the write lock up front (``BEGIN IMMEDIATE``,
see :func:`spinebot.db.session_scope`); on Postgres a change locks the use-case row.
Transient lock, serialization or deadlock errors are retried a few times with jitter.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from spinebot.db import is_sqlite, session_scope

log = logging.getLogger(__name__)

T = TypeVar("T")
RETRIES = 6


class Refused(Exception):
    """Raised inside a transaction to roll it back before the refusal is recorded."""


class Transactions:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = is_sqlite(engine)

    def run(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one write transaction, retrying transient lock conflicts."""
        for attempt in range(RETRIES):
            try:
                with session_scope(self.engine, write=True) as session:
                    return work(session)
            except DBAPIError as exc:
                if attempt + 1 >= RETRIES or not transient(exc):
                    raise
                log.info("write conflict (%s); retrying", type(exc.orig).__name__)
                time.sleep(0.02 * 2**attempt * (1 + random.random()))  # noqa: S311
        raise AssertionError("unreachable")

    def insert(self, table: Any) -> Any:
        """An INSERT that knows ON CONFLICT in this database's dialect."""
        from sqlalchemy.dialects import postgresql, sqlite

        return sqlite.insert(table) if self.sqlite else postgresql.insert(table)


def transient(exc: DBAPIError) -> bool:
    """Lock timeouts on SQLite, serialization failures and deadlocks on Postgres."""
    text = str(exc.orig).lower()
    if "database is locked" in text or "database is busy" in text:
        return True
    return getattr(exc.orig, "sqlstate", None) in {"40001", "40P01"}
