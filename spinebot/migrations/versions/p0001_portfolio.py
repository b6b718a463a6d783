"""Portfolio tables: use cases, units, votes, weekly metric reports, audit trail.

Revision ID: p0001_portfolio
Revises: 0001_base
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0001_portfolio"
down_revision: str | Sequence[str] | None = "0001_base"
branch_labels: str | Sequence[str] | None = ("portfolio",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "use_case",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("description", sa.String(2000), nullable=False),
        sa.Column("owner_id", sa.String(32), nullable=False, index=True),
        sa.Column("processes", sa.JSON(), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("drop_reason", sa.String(500), nullable=True),
        sa.Column("risk_tier", sa.String(16), nullable=False),
        sa.Column("snoozed_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "use_case_unit",
        sa.Column(
            "use_case_id",
            sa.Integer(),
            sa.ForeignKey("use_case.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("unit", sa.String(80), primary_key=True),
        sa.Column("adopted_by", sa.String(32), nullable=False),
        sa.Column("adopted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "vote",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "use_case_id",
            sa.Integer(),
            sa.ForeignKey("use_case.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", sa.String(32), nullable=False, index=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("use_case_id", "user_id", name="uq_vote_use_case_user"),
    )
    op.create_table(
        "metric_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "use_case_id",
            sa.Integer(),
            sa.ForeignKey("use_case.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False, index=True),
        sa.Column("hours_saved", sa.Float(), nullable=True),
        sa.Column("cost_saved", sa.Float(), nullable=True),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("llm_cost", sa.Float(), nullable=True),
        sa.Column("users", sa.Integer(), nullable=True),
        sa.Column("reported_by", sa.String(32), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("use_case_id", "week", name="uq_metric_use_case_week"),
    )
    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("use_case_id", sa.Integer(), nullable=True, index=True),
        sa.Column("actor_id", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    for table in ("audit_event", "metric_report", "vote", "use_case_unit", "use_case"):
        op.drop_table(table)
