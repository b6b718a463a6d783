"""Digest runs count their attempts (retries with backoff, admins told on the last).

Revision ID: j0002_digest_delivery
Revises: j0001_digest_runs
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "j0002_digest_delivery"
down_revision: str | Sequence[str] | None = "j0001_digest_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("digest_run") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("digest_run") as batch:
        batch.drop_column("attempts")
