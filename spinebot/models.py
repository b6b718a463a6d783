"""Column helpers shared by every package's SQLModel tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


def utc_column(*, nullable: bool = False, index: bool = False) -> Any:
    """A timezone-aware timestamp column (stored as UTC on SQLite and Postgres)."""
    return Column(DateTime(timezone=True), nullable=nullable, index=index)


def json_column(*, nullable: bool = True) -> Any:
    return Column(JSON, nullable=nullable)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes: they are UTC, so label them as such."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
