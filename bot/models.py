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
