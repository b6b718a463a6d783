"""Slack bookkeeping: Events API deliveries already handled, and threads the bot is in."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from spinebot.models import utc_column, utcnow


class SlackEvent(SQLModel, table=True):
    """An ``event_id`` seen once; a retry with the same id is answered but not handled."""

    __tablename__ = "slack_event"

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))


class BotThread(SQLModel, table=True):
    """A thread the bot answered in, so follow-ups there need no mention."""

    __tablename__ = "bot_thread"

    channel_id: str = Field(primary_key=True, max_length=32)
    thread_ts: str = Field(primary_key=True, max_length=32)
    started_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class PendingQuestion(SQLModel, table=True):
    """A question Slack delivered, recorded before any work on it starts (bot.pending).

    ``status`` goes pending → claimed → done (or failed, after an apology). A claim
    carries who holds it and since when (``claimed_at``, renewed while the answer is
    written), so a claim whose worker died is taken over once its lease runs out.
    """

    __tablename__ = "pending_question"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=96, unique=True)
    surface: str = Field(max_length=16)
    channel_id: str = Field(max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    current_ts: str | None = Field(default=None, max_length=32)  # the asking message
    in_thread: bool = False
    placeholder_ts: str | None = Field(default=None, max_length=32)
    response_url: str | None = Field(default=None, max_length=1000)  # /ask
    user_id: str = Field(default="", max_length=32)
    question: str = Field(max_length=4000)
    status: str = Field(default="pending", max_length=16, index=True)
    claimed_by: str | None = Field(default=None, max_length=128)
    claimed_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    attempts: int = 0
    reference: str | None = Field(default=None, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    finished_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
