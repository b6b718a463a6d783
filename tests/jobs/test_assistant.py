"""Spinebot in its own portfolio: its weekly llm_cost and users come from the Q&A log,
are reported once per week however often the job runs, and the digest judges the
assistant by the same rules as every other use case (SQLite and Postgres)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, update
from sqlmodel import select

from bot.blocks.digest import build_digest_blocks
from jobs.assistant import report_assistant_usage
from jobs.digest import build_digest
from knowledge.models import QuestionLog
from portfolio.models import AuditEvent, MetricReport, UseCase
from portfolio.service import PortfolioService
from portfolio.weeks import monday_of, shift
from spinebot.db import session_scope
from tests.jobs.conftest import WEEK

REPORTED = shift(WEEK, -1)  # the week the WEEK digest reports on


def asked(
    engine: Engine, week: str, user: str, *, cost: float = 0.0, tokens: int = 0, abstained=False
) -> None:  # type: ignore[no-untyped-def]
    at = datetime.combine(monday_of(week), datetime.min.time(), UTC) + timedelta(days=2, hours=10)
    with session_scope(engine, write=True) as session:
        session.add(
            QuestionLog(
                asked_at=at,
                user_id=user,
                channel_id="C1",
                surface="mention",
                question="When does a pilot move on?",
                answer="Four weeks [1].",
                abstained=abstained,
                model="gpt-4o-mini" if tokens else None,
                input_tokens=tokens,
                output_tokens=tokens // 4,
                llm_cost=cost,
            )
        )


def metric(engine: Engine, use_case_id: int, week: str) -> MetricReport:
    with session_scope(engine) as session:
        return session.exec(
            select(MetricReport).where(
                MetricReport.use_case_id == use_case_id, MetricReport.week == week
            )
        ).one()


def test_last_weeks_cost_and_distinct_askers_are_reported_on_the_assistants_use_case(db) -> None:  # type: ignore[no-untyped-def]
    asked(db, REPORTED, "U1", cost=0.25, tokens=4000)
    asked(db, REPORTED, "U1", cost=0.5, tokens=8000)
    asked(db, REPORTED, "U2", abstained=True)
    asked(db, shift(REPORTED, -1), "U3", cost=9.0, tokens=1)  # another week
    report = report_assistant_usage(week=REPORTED)
    assert report.outcome == "reported" and report.users == 2
    row = metric(db, report.use_case_id, REPORTED)  # type: ignore[arg-type]
    assert row.llm_cost == 0.75 and row.users == 2
    with session_scope(db) as session:
        use_case = session.get(UseCase, report.use_case_id)
        assert use_case is not None and use_case.title == "Spinebot assistant"


def test_running_again_changes_nothing_and_keeps_what_people_reported(db) -> None:  # type: ignore[no-untyped-def]
    asked(db, REPORTED, "U1", cost=0.25, tokens=4000)
    first = report_assistant_usage(week=REPORTED)
    assert first.use_case_id is not None
    PortfolioService().report_metrics(
        actor="spinebot", use_case_id=first.use_case_id, values={"hours_saved": 3}, week=REPORTED
    )
    again = report_assistant_usage(week=REPORTED)
    assert again.outcome == "unchanged" and again.use_case_id == first.use_case_id
    row = metric(db, first.use_case_id, REPORTED)
    assert (row.hours_saved, row.llm_cost, row.users) == (3, 0.25, 1)
    with session_scope(db) as session:
        assert len(session.exec(select(UseCase)).all()) == 1
        actions = [e.action for e in session.exec(select(AuditEvent)).all()]
    assert actions == ["register", "metric", "metric"]  # no audit entry for the no-op


def test_a_dropped_assistant_stays_dropped(db) -> None:  # type: ignore[no-untyped-def]
    first = report_assistant_usage(week=REPORTED)
    assert first.use_case_id is not None
    PortfolioService().drop(actor="spinebot", use_case_id=first.use_case_id, reason="too dear")
    asked(db, REPORTED, "U1", cost=1.0, tokens=100)
    assert report_assistant_usage(week=REPORTED).outcome == "dropped"
    with session_scope(db) as session:
        assert len(session.exec(select(UseCase)).all()) == 1


def test_an_assistant_that_only_costs_is_a_drop_candidate_and_the_digest_shows_its_bill(db) -> None:  # type: ignore[no-untyped-def]
    for back in range(8, 0, -1):
        week = shift(WEEK, -back)
        asked(db, week, "U1", cost=2.0, tokens=50_000)
        report = report_assistant_usage(week=week)
    with session_scope(db, write=True) as session:  # registered months ago, not last week
        session.exec(
            update(UseCase).values(created_at=datetime(2026, 1, 5, tzinfo=UTC))  # type: ignore[call-overload]
        )
    digest = build_digest(week=WEEK)
    drop = [item.title for item in digest.sections["drop_candidate"]]
    assert drop == ["Spinebot assistant"], digest.to_dict()["sections"]
    assert report.use_case_id is not None
    assert digest.assistant is not None and digest.assistant.week == REPORTED
    assert digest.assistant.cost == 2.0 and digest.assistant.answers == 1
    text = json.dumps(build_digest_blocks(digest))
    assert "Spinebot itself in 2026-W39: 1 answer(s), 0 abstention(s) for 1 people" in text
    assert "62,500 model tokens, $2.00" in text
