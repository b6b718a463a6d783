"""Alembic environment. Run through ``spinebot db upgrade`` (or start-up on SQLite).

Each package owns a branch of migrations off the base revision (labels ``portfolio``,
``knowledge``, ``bot``, ``jobs``); ``upgrade heads`` applies them all.
"""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import create_engine
from sqlmodel import SQLModel

# Import every package's models so autogenerate sees the whole schema.
for _module in ("portfolio.models", "knowledge.models", "bot.models", "jobs.models"):
    try:
        importlib.import_module(_module)
    except ModuleNotFoundError as exc:
        if exc.name != _module:
            raise

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as connection:
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
