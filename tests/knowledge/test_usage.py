"""Token usage is stored with each question and summed per ISO week, on SQLite and
Postgres; `spinebot usage` prints it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import Engine, update
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from knowledge.llm import ModelUsage
from knowledge.models import QuestionLog
from knowledge.qa_log import record_question, weekly_usage
from knowledge.service import Answer
from spinebot.db import session_scope

runner = CliRunner()


def ask(db: Engine, user: str, *, usage: ModelUsage | None, abstained: bool = False) -> int:
    answer = Answer("What is a pilot?", "A trial [1].", abstained, [], 10.0, usage=usage)
    return record_question(
        answer=answer, user_id=user, channel_id="C1", thread_ts=None, surface="dm", engine=db
    )


def move_to(db: Engine, question_id: int, when: datetime) -> None:
    with session_scope(db, write=True) as session:
        session.exec(
            update(QuestionLog).where(QuestionLog.id == question_id).values(asked_at=when)  # type: ignore[call-overload, arg-type]
        )


def test_the_model_tokens_and_cost_are_stored_with_the_question(db: Engine) -> None:
    qid = ask(db, "U1", usage=ModelUsage(1500, 200, "gpt-4o-mini-2024-07-18", 0.000345))
    with session_scope(db) as session:
        row = session.exec(select(QuestionLog).where(QuestionLog.id == qid)).one()
    assert (row.model, row.input_tokens, row.output_tokens) == ("gpt-4o-mini-2024-07-18", 1500, 200)
    assert row.llm_cost == 0.000345


def test_a_week_sums_answers_abstentions_askers_tokens_and_cost(db: Engine) -> None:
    in_week = datetime(2026, 11, 25, 12, tzinfo=UTC)  # 2026-W48
    ids = [
        ask(db, "U1", usage=ModelUsage(1000, 100, "m", 0.01)),
        ask(db, "U1", usage=ModelUsage(3000, 300, "m", 0.03)),
        ask(db, "U2", usage=None, abstained=True),
    ]
    for qid in ids:
        move_to(db, qid, in_week)
    move_to(db, ask(db, "U3", usage=ModelUsage(9, 9, "m", 9.0)), datetime(2026, 11, 20, tzinfo=UTC))
    week = weekly_usage(week="2026-W48", engine=db)
    assert (week.questions, week.answers, week.abstentions, week.askers) == (3, 2, 1, 2)
    assert (week.input_tokens, week.output_tokens, week.model_calls) == (4000, 400, 2)
    assert round(week.cost, 6) == 0.04
    # Sunday 23:30 UTC is Monday 00:30 in Berlin: W47 in UTC, W48 in Berlin.
    move_to(db, ids[0], datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
    assert weekly_usage(week="2026-W48", tz="Europe/Berlin", engine=db).questions == 3
    assert weekly_usage(week="2026-W48", engine=db).questions == 2


def test_spinebot_usage_prints_each_week_as_a_table_or_json(db: Engine) -> None:
    qid = ask(db, "U1", usage=ModelUsage(1234, 56, "m", 0.0042))
    move_to(db, qid, datetime(2026, 11, 25, 12, tzinfo=UTC))
    result = runner.invoke(app, ["usage", "--week", "2026-W48", "--json"])
    assert result.exit_code == 0, result.output
    row = json.loads(result.output.strip().splitlines()[-1])
    assert row["week"] == "2026-W48" and row["answers"] == 1 and row["abstentions"] == 0
    assert (row["input_tokens"], row["output_tokens"], row["cost"]) == (1234, 56, 0.0042)
    table = runner.invoke(app, ["usage", "--week", "2026w48"])
    assert table.exit_code == 0, table.output
    assert "2026-W48" in table.output and "1,234" in table.output and "$0.0042" in table.output
    recent = runner.invoke(app, ["usage", "--weeks", "3"])
    assert recent.exit_code == 0 and "total" in recent.output


def test_spinebot_usage_with_a_bad_week_is_one_line() -> None:
    result = runner.invoke(app, ["usage", "--week", "last week"])
    assert result.exit_code == 2
    assert "not an ISO week" in result.output
