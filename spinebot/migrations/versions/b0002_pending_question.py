"""Questions recorded before they are answered, claimed by answer workers.

Revision ID: b0002_pending_question
Revises: b0001_slack
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b0002_pending_question"
down_revision: str | Sequence[str] | None = "b0001_slack"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_question",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(96), nullable=False, unique=True),
        sa.Column("surface", sa.String(16), nullable=False),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=True),
        sa.Column("current_ts", sa.String(32), nullable=True),
        sa.Column("in_thread", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("placeholder_ts", sa.String(32), nullable=True),
        sa.Column("response_url", sa.String(1000), nullable=True),
        sa.Column("user_id", sa.String(32), nullable=False, server_default=""),
        sa.Column("question", sa.String(4000), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("claimed_by", sa.String(128), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reference", sa.String(16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("pending_question")
