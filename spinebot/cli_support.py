"""What every ``spinebot`` subcommand needs before it runs: settings, logging, migrations,
and one way to fail with a single clear line.

Lives outside ``bot`` so the feature packages (knowledge, portfolio, jobs) can offer
subcommands without importing the Slack side.
"""

from __future__ import annotations

import typer


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear error line and return the Exit to raise."""
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def prepare(*, migrate: bool = True, model: bool = False) -> None:
    """Common start-up: settings, logging, and migrations on the embedded SQLite.

    ``model``: commands that answer questions also check LLM_MODEL (provider known,
    package installed, client buildable) and stop with one line when it is unusable."""
    from spinebot.db import DatabaseError, get_engine, is_sqlite, upgrade
    from spinebot.logging import configure_logging
    from spinebot.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level)
    if model:
        from knowledge.llm import ChatModelError, check_chat_model

        try:
            check_chat_model(settings)
        except ChatModelError as exc:
            raise fail(str(exc)) from None
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate and is_sqlite(get_engine()):
        try:
            upgrade()
        except DatabaseError as exc:
            raise fail(str(exc)) from None
