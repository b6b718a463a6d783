"""Votes and metric reports under real concurrency, on SQLite and on Postgres.

Threads start together behind a barrier so the writes really collide; the database's
unique constraints, not Python checks, must keep the counts right, and SQLite's lock
waits must never surface as "database is locked".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from portfolio.models import MetricReport, Vote
from portfolio.service import PortfolioService
from spinebot.settings import load_settings

T = TypeVar("T")
WORKERS = 32


def run_together(jobs: list[Callable[[], T]], workers: int = WORKERS) -> list[T]:
    """Run every job on a pool; the first ``workers`` jobs start at the same instant."""
    barrier = threading.Barrier(min(workers, len(jobs)))

    def start(job: Callable[[], T], index: int) -> T:
        if index < barrier.parties:
            barrier.wait(timeout=30)
        return job()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(start, job, i) for i, job in enumerate(jobs)]
        return [f.result(timeout=120) for f in futures]


@pytest.fixture
def svc(db: Engine) -> PortfolioService:
    return PortfolioService(load_settings(spine_admins=["UADMIN"]), engine=db)


def stored_votes(engine: Engine, use_case_id: int) -> int:
    with Session(engine) as session:
        return session.execute(
            select(func.count()).select_from(Vote).where(Vote.use_case_id == use_case_id)
        ).scalar_one()


@pytest.mark.xdist_group("portfolio_concurrency")
def test_two_hundred_people_voting_at_once_store_two_hundred_votes(
    svc: PortfolioService, db: Engine
) -> None:
    uc = svc.register(actor="UOWNER", title="Invoice triage").id
    voters = [f"U{n:05d}" for n in range(200)]
    results = run_together(
        [lambda user=user: svc.vote(actor=user, use_case_id=uc) for user in voters]
    )
    assert all(new for new, _ in results)
    # Each total is the count its transaction saw; on Postgres others may be in flight.
    assert all(1 <= total <= 200 for _, total in results)
    assert stored_votes(db, uc) == 200
    assert svc.get(uc).votes == 200


@pytest.mark.xdist_group("portfolio_concurrency")
def test_one_person_voting_twenty_times_at_once_stores_one_vote(
    svc: PortfolioService, db: Engine
) -> None:
    uc = svc.register(actor="UOWNER", title="Invoice triage").id
    results = run_together(
        [
            lambda n=n: svc.vote(actor="UVOTER", use_case_id=uc, reason=f"reason {n}")
            for n in range(20)
        ],
        workers=20,
    )
    assert sum(new for new, _ in results) == 1
    assert {total for _, total in results} == {1}
    assert stored_votes(db, uc) == 1
    with Session(db) as session:
        reason = session.execute(select(Vote.reason).where(Vote.use_case_id == uc)).scalar_one()
    assert reason in {f"reason {n}" for n in range(20)}


@pytest.mark.xdist_group("portfolio_concurrency")
def test_concurrent_reports_for_one_week_merge_into_one_row(
    svc: PortfolioService, db: Engine
) -> None:
    """Different metrics reported at once for the same week all survive, in one row."""
    uc = svc.register(actor="UOWNER", title="Invoice triage").id
    metrics = ["hours_saved", "cost_saved", "revenue", "llm_cost", "users"]
    jobs = [
        lambda name=name, n=n: svc.report_metrics(
            actor="UOWNER" if n % 2 else "UADMIN",
            use_case_id=uc,
            values={name: n + 1},
            week="2026-W10",
        )
        for n in range(20)
        for name in [metrics[n % len(metrics)]]
    ]
    run_together(jobs, workers=20)
    with Session(db) as session:
        rows = (
            session.execute(select(MetricReport).where(MetricReport.use_case_id == uc))
            .scalars()
            .all()
        )
    assert len(rows) == 1
    row = rows[0]
    # Each metric holds the value of one of the reports that named it.
    for index, name in enumerate(metrics):
        assert getattr(row, name) in {n + 1 for n in range(index, 20, len(metrics))}
    history = svc.history(uc, limit=100)
    assert sum(e.action == "metric" for e in history) == 20


@pytest.mark.xdist_group("portfolio_concurrency")
def test_concurrent_phase_moves_apply_once_and_the_rest_are_told_why(
    svc: PortfolioService,
) -> None:
    from portfolio.errors import InvalidInput

    uc = svc.register(actor="UOWNER", title="Invoice triage").id

    def move() -> str:
        try:
            svc.set_phase(actor="UADMIN", use_case_id=uc, phase="production", override="test")
        except InvalidInput as exc:
            return exc.message
        return "moved"

    outcomes = run_together([move for _ in range(10)], workers=10)
    assert outcomes.count("moved") == 1
    assert all("already in production" in o for o in outcomes if o != "moved")
    assert sum(e.action == "phase" for e in svc.history(uc)) == 1
