"""Portfolio tables: use cases, the units that adopted them, votes, weekly metric
reports and the audit trail. Integrity rules live in the database (unique votes, one
report row per use case and week), not only in Python."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ForeignKey, Integer, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from spinebot.models import json_column, utc_column, utcnow


class Phase(StrEnum):
    pilot = "pilot"
    production = "production"
    platform = "platform"


class Status(StrEnum):
    active = "active"
    dropped = "dropped"


class RiskTier(StrEnum):
    minimal = "minimal"
    limited = "limited"
    high = "high"


METRIC_NAMES = ("hours_saved", "cost_saved", "revenue", "llm_cost", "users")

TITLE_MAX = 120
DESCRIPTION_MAX = 2000
UNIT_MAX = 80
REASON_MAX = 500


class UseCase(SQLModel, table=True):
    __tablename__ = "use_case"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field(default="", max_length=DESCRIPTION_MAX)
    owner_id: str = Field(max_length=32, index=True)
    processes: list[str] = Field(default_factory=list, sa_column=json_column(nullable=False))
    phase: str = Field(default=Phase.pilot.value, max_length=16, index=True)
    status: str = Field(default=Status.active.value, max_length=16, index=True)
    drop_reason: str | None = Field(default=None, max_length=REASON_MAX)
    risk_tier: str = Field(default=RiskTier.minimal.value, max_length=16)
    snoozed_until: date | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())

    @property
    def ref(self) -> str:
        return f"UC-{self.id}"


class UseCaseUnit(SQLModel, table=True):
    """A business unit that runs a use case; a use case spreads by gaining units."""

    __tablename__ = "use_case_unit"

    use_case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("use_case.id", ondelete="CASCADE"), primary_key=True)
    )
    unit: str = Field(primary_key=True, max_length=UNIT_MAX)
    adopted_by: str = Field(max_length=32)
    adopted_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class Vote(SQLModel, table=True):
    __tablename__ = "vote"
    __table_args__ = (UniqueConstraint("use_case_id", "user_id", name="uq_vote_use_case_user"),)

    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(
        sa_column=Column(Integer, ForeignKey("use_case.id", ondelete="CASCADE"), nullable=False)
    )
    user_id: str = Field(max_length=32, index=True)
    reason: str | None = Field(default=None, max_length=REASON_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
    updated_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class MetricReport(SQLModel, table=True):
    """One row per use case and ISO week; each metric is None until reported.

    Reporting a metric again for the same week replaces that metric only.
    """

    __tablename__ = "metric_report"
    __table_args__ = (UniqueConstraint("use_case_id", "week", name="uq_metric_use_case_week"),)

    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("use_case.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    week: str = Field(max_length=8, description="ISO week, 'YYYY-Www'")
    week_start: date = Field(index=True, description="Monday of the ISO week")
    hours_saved: float | None = None
    cost_saved: float | None = None
    revenue: float | None = None
    llm_cost: float | None = None
    users: int | None = None
    reported_by: str = Field(max_length=32)
    reported_at: datetime = Field(default_factory=utcnow, sa_column=utc_column())


class AuditEvent(SQLModel, table=True):
    """Who did what to which use case, with the state before and after.

    Refused attempts are recorded too (``allowed=False``).
    """

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int | None = Field(default=None, index=True)
    actor_id: str = Field(max_length=32)
    action: str = Field(max_length=32)
    allowed: bool = True
    before: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    after: dict[str, Any] | None = Field(default=None, sa_column=json_column())
    detail: str = Field(default="", max_length=REASON_MAX)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column(index=True))


class ReviewDecision(StrEnum):
    approved = "approved"
    conditions = "conditions"  # approved with conditions
    rejected = "rejected"


class Review(SQLModel, table=True):
    """A spine admin's recorded review of a use case (the gate for high-risk ones).

    The latest review counts; earlier ones stay as the record.
    """

    __tablename__ = "use_case_review"

    id: int | None = Field(default=None, primary_key=True)
    use_case_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("use_case.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    decision: str = Field(max_length=16)
    note: str = Field(default="", max_length=REASON_MAX)
    reviewer_id: str = Field(max_length=32)
    at: datetime = Field(default_factory=utcnow, sa_column=utc_column())
