"""Knowledge notes: Slack threads saved into the index, and the gap each one closed.

Revision ID: k0003_knowledge_notes
Revises: k0002_qa_usage
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "k0003_knowledge_notes"
down_revision: str | Sequence[str] | None = "k0002_qa_usage"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "knowledge_note",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("channel_id", sa.String(32), nullable=False),
        sa.Column("thread_ts", sa.String(32), nullable=False),
        sa.Column("source", sa.String(80), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("permalink", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(32), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("gap_question_id", sa.Integer(), nullable=True),
        sa.Column("gap_question", sa.Text(), nullable=True),
        sa.UniqueConstraint("channel_id", "thread_ts", name="uq_note_thread"),
    )


def downgrade() -> None:
    op.drop_table("knowledge_note")
