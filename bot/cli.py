"""The `spinebot` command line.

Each feature package contributes its subcommands through a ``register(app)`` function
in its own ``cli`` module; those modules import nothing heavy at import time, so
``spinebot --help`` stays fast.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated

import typer

from spinebot.settings import SettingsError, get_settings

app = typer.Typer(
    name="spinebot",
    help="Spinebot: cited Q&A, a use-case portfolio and a weekly digest for the AI spine.",
    no_args_is_help=False,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

db_app = typer.Typer(help="Database migrations and status.", no_args_is_help=True)
app.add_typer(db_app, name="db")

# Feature packages that add subcommands; a missing module simply adds none.
FEATURE_CLIS = ("knowledge.cli", "portfolio.cli", "jobs.cli", "bot.run_cli")


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


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    """Run with no command to start the bot on what is configured (see `run`)."""
    if version:
        from spinebot import __version__

        typer.echo(f"spinebot {__version__}")
        raise typer.Exit()
    if ctx.invoked_subcommand is None:
        run_default = ctx.command.get_command(ctx, "run")  # type: ignore[attr-defined]
        if run_default is None:
            typer.echo(ctx.get_help())
            raise typer.Exit()
        ctx.invoke(run_default.callback)  # type: ignore[union-attr]


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all pending migrations to DATABASE_URL (SQLite or Postgres)."""
    from spinebot.db import DatabaseError, current_revisions, upgrade

    prepare(migrate=False)
    try:
        upgrade()
        revisions = current_revisions()
    except DatabaseError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"Database is at {', '.join(revisions)}.")


@db_app.command("status")
def db_status() -> None:
    """Show the applied and the latest migrations; exits 1 when some are pending."""
    from spinebot.db import check_health, current_revisions, head_revisions

    prepare(migrate=False)
    ok, detail = check_health()
    if not ok:
        raise fail(detail)
    current, heads = current_revisions(), head_revisions()
    typer.echo(f"applied: {', '.join(current) or '(none)'}")
    typer.echo(f"latest:  {', '.join(heads)}")
    if set(current) != set(heads):
        typer.echo("Pending migrations: run `spinebot db upgrade`.")
        raise typer.Exit(1)
    typer.echo("Up to date.")


@app.command("config")
def show_config() -> None:
    """Print the effective settings (secrets masked)."""
    settings = get_settings()
    secret = {"slack_bot_token", "slack_signing_secret", "slack_app_token", "llm_api_key"}
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if name in secret and value:
            value = value[:4] + "…"
        if name == "database_url" and value:
            from sqlalchemy.engine import make_url

            value = make_url(value).render_as_string(hide_password=True)
        typer.echo(f"{name.upper():32} {value}")


def _register_features() -> None:
    for module_name in FEATURE_CLIS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        module.register(app)


_register_features()


def main() -> None:
    """Console-script entry point: turns settings errors into one line, exit code 2."""
    try:
        app()
    except SettingsError as exc:
        typer.secho(str(exc), fg=typer.colors.RED, err=True)
        sys.exit(2)
