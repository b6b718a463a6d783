"""Digest runs: the row is written before posting, so a (channel, week) posts once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from spinebot.models import utc_column, utcnow


class DigestRun(SQLModel, table=True):
    __tablename__ = "digest_run"
    __table_args__ = (
        UniqueConstraint("kind", "channel_id", "week", name="uq_digest_kind_channel_week"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: str = Field(max_length=32)
    week: str = Field(max_length=8)
    kind: str = Field(default="digest", max_length=16, description="digest or nudge")
    status: str = Field(
        default="claimed",
        max_length=16,
        description="claimed, sending, posted, failed (not posted) or unknown (maybe posted)",
    )
    attempts: int = Field(default=0, description="tries: each claim that went to Slack")
    message_ts: str | None = Field(default=None, max_length=32)
    headline: str = Field(default="", max_length=500)
    error: str | None = Field(default=None, max_length=500)
    claimed_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    posted_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
