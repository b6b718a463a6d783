"""Digest build time and memory at scale: ``python -m bench.digest_bench``.

10,000 active use cases × 52 weeks of metric reports (520,000 rows), on SQLite and on
Postgres (``SPINEBOT_TEST_POSTGRES_URL``; skipped with a note when unset). The data is
bulk-loaded, then a fresh process builds the digest and reports its wall time and peak
resident memory. Targets: ≤ 2 s and ≤ 300 MB.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

USE_CASES = 10_000
WEEKS = 52
WEEK = "2026-W48"
TARGET_S = 2.0
TARGET_MB = 300.0


def load(url: str) -> float:
    """Create the schema and bulk-insert the portfolio; returns the seconds it took."""
    from sqlalchemy import insert

    from portfolio.models import MetricReport, UseCase, UseCaseUnit, Vote
    from portfolio.weeks import monday_of, shift
    from spinebot import db

    started = time.perf_counter()
    db.upgrade(url)
    engine = db.get_engine(url)
    rng = random.Random(7)
    created = datetime.combine(monday_of(shift(WEEK, -WEEKS)), datetime.min.time(), UTC)
    phases = ("pilot", "production", "platform")
    use_cases = [
        {
            "id": i,
            "title": f"Use case {i}",
            "description": "",
            "owner_id": f"U{i % 400:04d}",
            "processes": [],
            "phase": phases[i % 3],
            "status": "active",
            "risk_tier": "minimal",
            "created_at": created,
            "updated_at": created,
        }
        for i in range(1, USE_CASES + 1)
    ]
    weeks = [shift(WEEK, -n) for n in range(WEEKS, 0, -1)]
    with engine.begin() as conn:
        conn.execute(insert(UseCase), use_cases)
        conn.execute(
            insert(UseCaseUnit),
            [
                {"use_case_id": i, "unit": "Unit A", "adopted_by": "U0", "adopted_at": created}
                for i in range(1, USE_CASES + 1)
            ],
        )
        conn.execute(
            insert(Vote),
            [
                {
                    "use_case_id": rng.randint(1, USE_CASES),
                    "user_id": f"V{n}",
                    "created_at": created,
                    "updated_at": created,
                }
                for n in range(5000)
            ],
        )
        batch = []
        for i in range(1, USE_CASES + 1):
            base, slope = rng.uniform(-200, 800), rng.uniform(-15, 25)
            for n, week in enumerate(weeks):
                if rng.random() < 0.1:
                    continue  # some weeks go unreported
                batch.append(
                    {
                        "use_case_id": i,
                        "week": week,
                        "week_start": monday_of(week),
                        "hours_saved": round(rng.uniform(0, 20), 1),
                        "cost_saved": round(max(0.0, base + slope * n), 2),
                        "revenue": None,
                        "llm_cost": round(rng.uniform(10, 200), 2),
                        "users": 10,
                        "reported_by": "U0",
                        "reported_at": created,
                    }
                )
                if len(batch) >= 50_000:
                    conn.execute(insert(MetricReport), batch)
                    batch = []
        if batch:
            conn.execute(insert(MetricReport), batch)
    # Planner statistics, as a live database has them (autovacuum / sqlite's optimize);
    # without them Postgres' first plan after a bulk load is a poor guess.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    db.dispose_engines()
    return time.perf_counter() - started


def measure(url: str) -> dict:
    """Build the digest in a fresh process (so its peak RSS is the digest's alone)."""
    code = (
        "import json, time\n"
        "from jobs.digest import build_digest\n"
        "from bot.blocks.digest import build_digest_blocks\n"
        "from spinebot import db\n"
        f"engine = db.get_engine({url!r})\n"
        "times = []\n"
        "for _ in range(3):\n"
        "    t = time.perf_counter()\n"
        f"    d = build_digest(week={WEEK!r}, engine=engine)\n"
        "    blocks = build_digest_blocks(d)\n"
        "    times.append(time.perf_counter() - t)\n"
        # VmHWM, not ru_maxrss: ru_maxrss survives exec and would report the parent's peak
        "status = open('/proc/self/status').read().splitlines()\n"
        "rss = next(int(l.split()[1]) for l in status if l.startswith('VmHWM')) / 1024\n"
        "sections = {k: len(v) for k, v in d.sections.items()}\n"
        "print(json.dumps({'first': times[0], 'best': min(times), 'rss_mb': rss,\n"
        "                  'blocks': len(blocks), 'sections': sections}))\n"
    )
    env = {**os.environ, "DATABASE_URL": url}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def postgres_url() -> str | None:
    admin = os.environ.get("SPINEBOT_TEST_POSTGRES_URL", "").strip()
    if not admin:
        return None
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"spinebot_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def main() -> int:
    print(f"digest for {USE_CASES:,} use cases x {WEEKS} weeks of metrics ({os.cpu_count()} CPUs)")
    print(f"{'backend':10} {'load s':>7} {'first s':>8} {'best s':>7} {'peak MB':>8} {'blocks':>6}")
    targets = []
    with tempfile.TemporaryDirectory() as tmp:
        targets.append(("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}"))
        pg = postgres_url()
        if pg:
            targets.append(("postgres", pg))
        ok = True
        try:
            for name, url in targets:
                loaded = load(url)
                r = measure(url)
                print(
                    f"{name:10} {loaded:7.1f} {r['first']:8.2f} {r['best']:7.2f} "
                    f"{r['rss_mb']:8.0f} {r['blocks']:6}"
                )
                print(f"{'':10} sections: {r['sections']}")
                ok = ok and r["first"] <= TARGET_S and r["rss_mb"] <= TARGET_MB
        finally:
            if pg:
                drop_postgres(pg)
    if not pg:
        print("postgres: skipped (set SPINEBOT_TEST_POSTGRES_URL, or run `make bench`)")
    print(f"targets: <= {TARGET_S} s and <= {TARGET_MB:.0f} MB: {'MET' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
