"""Health checks shared by `serve`, `socket` and `worker`.

Each check returns a :class:`Check` (ok, and a reason for admins). The public report
says only ok or failing per component; the reasons (driver errors, paths) are for the
details view. Every check runs under a deadline, so a frozen database makes /healthz
answer "failing" within seconds instead of hanging.

* database: writes this process's heartbeat row and reads it back; on SQLite the file
  must still exist and be writable (a deleted or read-only file is failing, even though
  an open connection could still write into it).
* worker: the scheduler writes a heartbeat every WORKER_BEAT seconds; older than
  WORKER_STALE is failing (reported, not counted in the web's own status).
* slack: ``auth.test`` with the bot token (bot/slack_health.py: only bot/ talks to Slack).
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, select, update
from sqlalchemy.engine import make_url

from spinebot.models import as_utc, utcnow

log = logging.getLogger(__name__)

HEARTBEAT = Table(
    "heartbeat",
    MetaData(),
    Column("component", String(32), primary_key=True),
    Column("beat_at", DateTime(timezone=True), nullable=False),
)
WORKER_BEAT = 30  # seconds between the worker's heartbeats
WORKER_STALE = timedelta(seconds=120)
CHECK_DEADLINE = 2.0  # seconds /healthz waits for its checks (run side by side)

_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="spinebot-health")


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def run_checks(checks: dict[str, Any], seconds: float = CHECK_DEADLINE) -> dict[str, Check]:
    """Run the checks side by side; each is failing if it has no answer within
    ``seconds`` of the start (so /healthz takes at most ``seconds``, not their sum)."""
    from spinebot.db import db_budget

    def budgeted(check: Any) -> Check:
        with db_budget(seconds):
            result: Check = check()
            return result

    futures = {name: _pool.submit(budgeted, check) for name, check in checks.items()}
    deadline = time.monotonic() + seconds
    results: dict[str, Check] = {}
    for name, future in futures.items():
        try:
            results[name] = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            results[name] = Check(False, f"no answer within {seconds:g} s")
        except Exception as exc:  # noqa: BLE001 - a check that raises is failing
            results[name] = Check(False, f"{type(exc).__name__}")
    return results


def beat(component: str, engine: Engine) -> datetime:
    """Record ``component``'s heartbeat now (insert or update)."""
    now = utcnow()
    with engine.begin() as conn:
        done = conn.execute(
            update(HEARTBEAT).where(HEARTBEAT.c.component == component).values(beat_at=now)
        )
        if not done.rowcount:
            conn.execute(HEARTBEAT.insert().values(component=component, beat_at=now))
    return now


def last_beat(component: str, engine: Engine) -> datetime | None:
    with engine.connect() as conn:
        value = conn.execute(
            select(HEARTBEAT.c.beat_at).where(HEARTBEAT.c.component == component)
        ).scalar()
    return as_utc(value)


def check_database(engine: Engine, component: str) -> Check:
    """Write and read back a heartbeat: the database takes writes and keeps them."""
    from spinebot.db import describe_db_error

    if engine.dialect.name == "sqlite":
        database = make_url(str(engine.url)).database
        if database and database != ":memory:":
            path = Path(database)
            if not path.exists():
                return Check(False, f"the SQLite file {path} was removed")
            # Mode bits as well as access(): root may write a file marked read-only.
            if not os.access(path, os.W_OK) or not path.stat().st_mode & stat.S_IWUSR:
                return Check(False, f"the SQLite file {path} is read-only")
    try:
        written = beat(f"health:{component}", engine)
        read = last_beat(f"health:{component}", engine)
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        return Check(False, describe_db_error(exc, engine))
    if read is None or abs((read - written).total_seconds()) > 1:
        return Check(False, "the heartbeat written was not read back")
    return Check(True, engine.dialect.name)


def check_worker(engine: Engine) -> Check | None:
    """The worker's heartbeat; None when no worker ever ran against this database."""
    when = last_beat("worker", engine)
    if when is None:
        return None
    age = utcnow() - when
    if age > WORKER_STALE:
        return Check(False, f"last heartbeat {int(age.total_seconds())} s ago")
    return Check(True, f"last heartbeat {int(age.total_seconds())} s ago")


def start_worker_heartbeat(
    engine: Engine, stop: threading.Event, alive: Any = lambda: True
) -> threading.Thread:
    """A daemon thread writing the worker's heartbeat every WORKER_BEAT seconds, while
    ``alive()`` (the scheduler is running)."""

    def loop() -> None:
        while not stop.is_set():
            if not alive():
                stop.wait(0.5)
                continue
            try:
                beat("worker", engine)
            except Exception as exc:  # noqa: BLE001 - health shows it; keep beating
                log.warning("worker heartbeat not written: %s", type(exc).__name__)
            stop.wait(WORKER_BEAT)

    thread = threading.Thread(target=loop, name="spinebot-heartbeat", daemon=True)
    thread.start()
    return thread
