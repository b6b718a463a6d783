"""Q&A records: every question asked (with its answer and sources) and feedback on it.

Abstained questions are the digest's knowledge gaps.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, Text, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from spinebot.models import json_column, utc_column, utcnow


class QuestionLog(SQLModel, table=True):
    __tablename__ = "question_log"

    id: int | None = Field(default=None, primary_key=True)
    asked_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    user_id: str = Field(default="", max_length=32)
    channel_id: str = Field(default="", max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    surface: str = Field(default="", max_length=16, description="mention, dm, thread, ask, console")
    question: str = Field(sa_column=Column(Text, nullable=False))
    answer: str = Field(default="", sa_column=Column(Text, nullable=False))
    abstained: bool = Field(default=False, index=True)
    sources: list[dict[str, Any]] = Field(default_factory=list, sa_column=json_column())
    latency_ms: float = 0.0
    # What the model calls behind the answer used and cost (0 / None: no model call).
    model: str | None = Field(default=None, max_length=100)
    input_tokens: int = 0
    output_tokens: int = 0
    llm_cost: float = 0.0


class Feedback(SQLModel, table=True):
    """One 👍/👎 per person per answer; pressing again changes it."""

    __tablename__ = "answer_feedback"
    __table_args__ = (UniqueConstraint("question_id", "user_id", name="uq_feedback_question_user"),)

    id: int | None = Field(default=None, primary_key=True)
    question_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("question_log.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    user_id: str = Field(max_length=32)
    helpful: bool
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class KnowledgeNote(SQLModel, table=True):
    """A Slack thread saved into the index by a spine admin ("Add to Spinebot knowledge").

    ``gap_question`` is the question the bot had abstained on in that thread (or the
    same question asked elsewhere), when there was one: the note closed that gap.
    """

    __tablename__ = "knowledge_note"
    __table_args__ = (UniqueConstraint("channel_id", "thread_ts", name="uq_note_thread"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=32)
    thread_ts: str = Field(max_length=32)
    source: str = Field(max_length=80, description="the index's source id: slack:<ch>/<ts>")
    title: str = Field(default="", sa_column=Column(Text, nullable=False))
    permalink: str = Field(default="", sa_column=Column(Text, nullable=False))
    added_by: str = Field(default="", max_length=32)
    added_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    replies: int = 0
    gap_question_id: int | None = None
    gap_question: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
