"""The record of questions asked, their answers, and people's 👍/👎 on them.

The log is what the weekly digest mines for knowledge gaps: questions the bot had to
abstain on, and answers people marked as not helpful, most frequent first.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import col, select

from knowledge.models import Feedback, QuestionLog
from spinebot.db import session_scope
from spinebot.models import as_utc, utcnow

if TYPE_CHECKING:
    from knowledge.service import Answer

log = logging.getLogger(__name__)

MAX_ID_CHARS = 32


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


__all__ = ["knowledge_gaps", "record_feedback", "record_question"]
