"""The record of questions asked, their answers, and people's 👍/👎 on them.

The log is what the weekly digest mines for knowledge gaps: questions the bot had to
abstain on, and answers people marked as not helpful, most frequent first. It also
holds the tokens and cost of the model calls behind each answer, summed per ISO week
by :func:`weekly_usage` (`spinebot usage`, the digest, the assistant's own portfolio
metrics).
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Table, case, distinct, func
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from knowledge.models import Feedback, QuestionLog
from spinebot.db import session_scope
from spinebot.models import as_utc, utcnow

if TYPE_CHECKING:
    from knowledge.service import Answer

log = logging.getLogger(__name__)

MAX_ID_CHARS = 32
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


def record_question(
    *,
    answer: Answer,
    user_id: str,
    channel_id: str,
    thread_ts: str | None,
    surface: str,
    engine: Engine | None = None,
) -> int:
    """Store one question with its answer and sources; returns the QuestionLog id."""
    row = QuestionLog(
        user_id=(user_id or "")[:MAX_ID_CHARS],
        channel_id=(channel_id or "")[:MAX_ID_CHARS],
        thread_ts=thread_ts[:MAX_ID_CHARS] if thread_ts else None,
        surface=(surface or "")[:16],
        question=answer.question,
        answer=answer.text,
        abstained=answer.abstained,
        sources=[
            {k: v for k, v in source.to_dict().items() if k != "text"} for source in answer.sources
        ],
        latency_ms=round(answer.latency_ms, 1),
    )
    usage = getattr(answer, "usage", None)
    if usage is not None:
        row.model = (usage.model or "")[:100] or None
        row.input_tokens = usage.input_tokens
        row.output_tokens = usage.output_tokens
        row.llm_cost = usage.cost
    with session_scope(engine, write=True) as session:
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def record_feedback(
    *, question_id: int, user_id: str, helpful: bool, engine: Engine | None = None
) -> None:
    """One vote per person per answer: pressing the other button changes it."""
    with session_scope(engine, write=True) as session:
        existing = session.exec(
            select(Feedback).where(Feedback.question_id == question_id, Feedback.user_id == user_id)
        ).first()
        if existing is None:
            session.add(Feedback(question_id=question_id, user_id=user_id, helpful=helpful))
        else:
            existing.helpful = helpful
            existing.updated_at = utcnow()
            session.add(existing)


def knowledge_gaps(
    *, since: datetime, until: datetime, limit: int = 10, engine: Engine | None = None
) -> list[str]:
    """Questions the knowledge base did not serve in [since, until): abstentions and
    answers marked not helpful (more 👎 than 👍), grouped case-insensitively, most often
    asked first (then most recent); each shown as first asked."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(QuestionLog).where(QuestionLog.asked_at >= since, QuestionLog.asked_at < until)
        ).all()
        ids = [row.id for row in rows if not row.abstained]
        votes: Counter[int] = Counter()
        if ids:
            for fb in session.exec(
                select(Feedback).where(col(Feedback.question_id).in_(ids))
            ).all():
                votes[fb.question_id] += -1 if fb.helpful else 1
    counts: Counter[str] = Counter()
    latest: dict[str, datetime] = {}
    first_text: dict[str, str] = {}
    for row in sorted(rows, key=lambda r: as_utc(r.asked_at) or since):
        if not (row.abstained or votes.get(row.id or 0, 0) > 0):
            continue
        key = " ".join(row.question.lower().split()).rstrip("?!. ")
        if not key:
            continue
        counts[key] += 1
        latest[key] = as_utc(row.asked_at) or since
        first_text.setdefault(key, row.question.strip())
    ranked = sorted(counts, key=lambda key: (-counts[key], -latest[key].timestamp()))
    return [first_text[key] for key in ranked[:limit]]


@dataclass(frozen=True)
class WeekUsage:
    """What answering cost in one ISO week."""

    week: str
    questions: int
    answers: int
    abstentions: int
    askers: int  # distinct people who asked
    model_calls: int  # answers with token usage
    input_tokens: int
    output_tokens: int
    cost: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost"] = round(self.cost, 6)
        return data


def week_bounds(week: str, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) of ``week`` ('2026-W48') in ``tz``, as UTC
    datetimes; ValueError when ``week`` is not an ISO week."""
    match = _WEEK.match(week.strip())
    try:
        if not match:
            raise ValueError
        monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    except ValueError:
        raise ValueError(f"'{week}' is not an ISO week like 2026-W48") from None
    start = datetime.combine(monday, datetime.min.time(), tz)
    return start.astimezone(UTC), (start + timedelta(days=7)).astimezone(UTC)


def weekly_usage(
    *, week: str, tz: ZoneInfo | str = "UTC", engine: Engine | None = None
) -> WeekUsage:
    """Questions, answers, abstentions, askers, tokens and cost of one ISO week."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    since, until = week_bounds(week, zone)
    q = cast(Table, QuestionLog.__table__).c  # type: ignore[attr-defined]
    stmt = sa_select(
        func.count(),
        func.coalesce(func.sum(case((q.abstained, 1), else_=0)), 0),
        func.count(distinct(case((q.user_id != "", q.user_id), else_=None))),
        func.coalesce(func.sum(case((q.input_tokens + q.output_tokens > 0, 1), else_=0)), 0),
        func.coalesce(func.sum(q.input_tokens), 0),
        func.coalesce(func.sum(q.output_tokens), 0),
        func.coalesce(func.sum(q.llm_cost), 0.0),
    ).where(q.asked_at >= since, q.asked_at < until)
    with session_scope(engine) as session:
        row = session.connection().execute(stmt).one()
    total, abstained, askers, calls, tokens_in, tokens_out, cost = row
    return WeekUsage(
        week=week,
        questions=int(total),
        answers=int(total) - int(abstained),
        abstentions=int(abstained),
        askers=int(askers),
        model_calls=int(calls),
        input_tokens=int(tokens_in),
        output_tokens=int(tokens_out),
        cost=float(cost),
    )


__all__ = [
    "WeekUsage",
    "knowledge_gaps",
    "record_feedback",
    "record_question",
    "week_bounds",
    "weekly_usage",
]
