"""Portfolio: recorded reviews (the gate a high-risk use case passes to move up).

Revision ID: p0002_reviews
Revises: p0001_portfolio
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "p0002_reviews"
down_revision: str | Sequence[str] | None = "p0001_portfolio"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "use_case_review",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "use_case_id",
            sa.Integer(),
            sa.ForeignKey("use_case.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        sa.Column("reviewer_id", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("use_case_review")
