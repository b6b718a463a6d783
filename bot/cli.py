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

from spinebot.cli_support import fail, prepare
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
# ``fail`` and ``prepare`` (spinebot.cli_support) are re-exported here for old callers.
FEATURE_CLIS = ("knowledge.cli", "portfolio.cli", "jobs.cli", "bot.run_cli")
__all__ = ["app", "fail", "main", "prepare"]


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


SECRET_WORDS = ("token", "secret", "key", "password")


def mask_url(url: str) -> str:
    """``url`` without its credentials: user and password, and secret-looking query values."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(set, not shown: not a URL)"
    netloc = ("***@" if parts.username or parts.password else "") + host
    if port:
        netloc += f":{port}"
    query = urlencode(
        [
            (k, "***" if any(w in k.lower() for w in SECRET_WORDS + ("sig", "auth")) else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def shown(name: str, value: object) -> object:
    """A setting as `spinebot config` prints it: no secret, nor any part of one."""
    if any(word in name for word in SECRET_WORDS):
        return "(set)" if value else "(not set)"
    if isinstance(value, str) and value and name.endswith("_url"):
        return mask_url(value)
    return value


@app.command("config")
def show_config() -> None:
    """Print the effective settings (secrets masked)."""
    settings = get_settings()
    for name in type(settings).model_fields:
        typer.echo(f"{name.upper():32} {shown(name, getattr(settings, name))}")


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
