"""Base revision: records the install; every package branches off here.

Revision ID: 0001_base
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_base"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "spinebot_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(255), nullable=False),
    )
    op.bulk_insert(
        sa.table("spinebot_meta", sa.column("key", sa.String), sa.column("value", sa.String)),
        [{"key": "schema", "value": "spinebot"}],
    )


def downgrade() -> None:
    op.drop_table("spinebot_meta")
