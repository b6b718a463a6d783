"""Portfolio write throughput: votes/s and metric writes/s, SQLite and Postgres; and
the import of a whole portfolio (500 use cases × 52 weeks, target ≤ 10 s).

``python -m bench.portfolio_bench`` (``--import-only`` runs just the import). Each
backend gets a fresh, migrated database; writes go through ``PortfolioService``
exactly as the bot makes them (one transaction per vote or report, with its audit
row), single-threaded and with 16 threads. Postgres comes from
``SPINEBOT_TEST_POSTGRES_URL`` (a server URL; a throw-away database is created on it
and dropped afterwards); without it only SQLite runs.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

VOTES = {1: 400, 16: 1600}
METRICS = {1: 400, 16: 1600}
USE_CASES = 8


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="spinebot-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.db'}"


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"spinebot_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        from spinebot.db import dispose_engines

        dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def timed(jobs: list[Callable[[], object]], threads: int) -> tuple[float, list[float]]:
    """(ops per second, per-op latencies in ms) for running ``jobs`` on ``threads``."""
    latencies: list[float] = []

    def run(job: Callable[[], object]) -> None:
        started = time.perf_counter()
        job()
        latencies.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    if threads == 1:
        for job in jobs:
            run(job)
    else:
        with ThreadPoolExecutor(max_workers=threads) as pool:
            list(pool.map(run, jobs))
    elapsed = time.perf_counter() - started
    return len(jobs) / elapsed, latencies


def bench_backend(url: str) -> list[tuple[int, str, float, float, float]]:
    """Rows of (threads, operation, ops/s, p50 ms, p95 ms) for one database."""
    from portfolio import weeks
    from portfolio.service import PortfolioService
    from spinebot.db import get_engine, upgrade
    from spinebot.settings import load_settings

    upgrade(url)
    svc = PortfolioService(load_settings(database_url=url), engine=get_engine(url))
    ids = [svc.register(actor="UOWNER", title=f"Bench use case {n}").id for n in range(USE_CASES)]
    current = weeks.current_week("UTC")
    rows = []
    for threads in (1, 16):
        votes = [
            lambda n=n, t=threads: svc.vote(actor=f"V{t}_{n}", use_case_id=ids[n % USE_CASES])
            for n in range(VOTES[threads])
        ]
        # Weeks repeat, so about half the reports insert a row and half update one.
        reports = [
            lambda n=n, span=METRICS[threads] // 16: svc.report_metrics(
                actor="UOWNER",
                use_case_id=ids[n % USE_CASES],
                values={"hours_saved": n % 40, "llm_cost": n % 7},
                week=weeks.shift(current, -((n // USE_CASES) % span)),
            )
            for n in range(METRICS[threads])
        ]
        for name, jobs in (("votes", votes), ("metric writes", reports)):
            rate, latencies = timed(jobs, threads)
            p95 = statistics.quantiles(latencies, n=20)[-1]
            rows.append((threads, name, rate, statistics.median(latencies), p95))
    return rows


IMPORT_USE_CASES = 500
IMPORT_WEEKS = 52
IMPORT_TARGET_S = 10.0


def import_file_bytes() -> bytes:
    """A long-format CSV: 500 use cases, each with 52 weeks of figures."""
    import csv
    import io

    from portfolio import weeks
    from portfolio.transfer import COLUMNS

    last = weeks.shift(weeks.current_week("UTC"), -1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for n in range(IMPORT_USE_CASES):
        for w in range(IMPORT_WEEKS):
            week = weeks.shift(last, w - IMPORT_WEEKS + 1)
            case = (
                [f"Imported use case {n}", f"Moved in from the old tracker ({n})"]
                if w == 0
                else [
                    f"Imported use case {n}",
                    "",
                ]
            )
            extra = (
                [
                    f"U{n % 40:04d}",
                    f"Unit {n % 12}; Unit {(n + 5) % 12}",
                    "pilot",
                    "limited",
                    "2025-01-06",
                ]
                if w == 0
                else ["", "", "", "", ""]
            )
            writer.writerow(
                [*case, *extra, week, n % 9 + w / 10, (n * w) % 700, 0, 50 + n % 30, 5 + n % 20]
            )
    return out.getvalue().encode("utf-8")


def bench_import(url: str, data: bytes) -> tuple[float, float, str]:
    """(first import s, re-import s, summary) on a fresh database."""
    from portfolio.service import PortfolioService
    from portfolio.transfer import import_file
    from spinebot.db import get_engine, upgrade
    from spinebot.settings import load_settings

    upgrade(url)
    svc = PortfolioService(load_settings(database_url=url), engine=get_engine(url))
    started = time.perf_counter()
    plan = import_file(svc, data, "bench.csv", actor="UBENCH")
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = import_file(svc, data, "bench.csv", actor="UBENCH")
    second = time.perf_counter() - started
    assert again.nothing, again.summary()
    return first, second, plan.summary()


def main_import(backends: list[tuple[str, Callable[[], object]]]) -> None:
    from spinebot.db import dispose_engines

    data = import_file_bytes()
    print(
        f"\nimport of {IMPORT_USE_CASES} use cases x {IMPORT_WEEKS} weeks "
        f"({len(data) // 1024} KiB CSV); target <= {IMPORT_TARGET_S:.0f} s"
    )
    print(f"{'backend':9} {'import s':>9} {'re-import s':>12}  result")
    for name, open_database in backends:
        with open_database() as url:  # type: ignore[attr-defined]
            try:
                first, second, summary = bench_import(url, data)
                verdict = "ok" if first <= IMPORT_TARGET_S else "MISSED"
                print(f"{name:9} {first:>9.2f} {second:>12.2f}  {verdict}: {summary}", flush=True)
            finally:
                dispose_engines()


def main() -> int:
    from spinebot.db import dispose_engines

    backends: list[tuple[str, Callable[[], object]]] = [("sqlite", sqlite_database)]
    server = os.environ.get("SPINEBOT_TEST_POSTGRES_URL", "").strip()
    if server:
        backends.append(("postgres", lambda: postgres_database(server)))
    if "--import-only" in sys.argv:
        main_import(backends)
        return 0
    print(
        f"{'backend':9} {'threads':>7}  {'operation':14} {'ops/s':>8} {'p50 ms':>7} {'p95 ms':>7}"
    )
    for name, open_database in backends:
        with open_database() as url:  # type: ignore[attr-defined]
            try:
                for threads, operation, rate, p50, p95 in bench_backend(url):
                    print(
                        f"{name:9} {threads:>7}  {operation:14} {rate:>8.0f} "
                        f"{p50:>7.2f} {p95:>7.2f}",
                        flush=True,
                    )
            finally:
                dispose_engines()
    if not server:
        print("(postgres skipped: set SPINEBOT_TEST_POSTGRES_URL to a server URL to include it)")
    print(
        f"each operation is one transaction with its audit row; {os.cpu_count()} CPU(s), "
        f"Python {sys.version.split()[0]}"
    )
    main_import(backends)
    return 0


if __name__ == "__main__":
    sys.exit(main())
