"""`spinebot digest` (preview or post now) and `spinebot worker` (the scheduler)."""

from __future__ import annotations

import json
import logging
import threading
from typing import Annotated, Any

import typer

log = logging.getLogger(__name__)


def digest_command(
    preview: Annotated[bool, typer.Option("--preview", help="Print it; post nothing.")] = False,
    post: Annotated[bool, typer.Option("--post", help="Post it to DIGEST_CHANNEL now.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (with --preview).")] = False,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W48.")] = None,
) -> None:
    """The weekly digest: --preview prints it (the default), --post posts it now."""
    from bot.cli import fail, prepare
    from portfolio.weeks import WeekError, normalize
    from spinebot.settings import get_settings

    prepare()
    settings = get_settings()
    if week:
        try:
            week = normalize(week)
        except WeekError as exc:
            raise fail(f"--week: {exc}") from None
    if post and preview:
        raise fail("Choose one of --preview and --post.")
    if post:
        if not settings.digest_channel:
            raise fail("--post needs DIGEST_CHANNEL (a channel id) to be set.")
        if not settings.slack_bot_token:
            raise fail("--post needs SLACK_BOT_TOKEN to be set.")
        from bot.slack_client import make_client
        from jobs.digest import post_digest

        outcome = post_digest(
            client=make_client(settings), channel=settings.digest_channel, week=week
        )
        typer.echo(
            "Posted." if outcome == "posted" else "Already posted for that week: nothing sent."
        )
        return
    from jobs.digest import build_digest

    digest = build_digest(week=week, settings=settings)
    if as_json:
        typer.echo(json.dumps(digest.to_dict(), ensure_ascii=False, indent=2))
        return
    print_digest(digest)


def print_digest(digest) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.markup import escape

    from bot.blocks.text import money
    from jobs.digest import SECTION_TITLES

    console = Console()
    console.print(f"[bold]Weekly AI portfolio digest · {digest.week}[/bold]")
    console.print(f"[dim]Values for {digest.reported_week}, timezone {digest.timezone}[/dim]")
    console.print(escape(digest.headline))
    if digest.quiet:
        console.print("A quiet week: nothing to grow, scale, chase or drop.")
    for key, items in digest.sections.items():
        if not items:
            continue
        console.print(f"\n[bold]{SECTION_TITLES[key]}[/bold] ({len(items)})")
        for item in items:
            value = (
                f"no report for {digest.reported_week}"
                if item.net_last_week is None
                else money(item.net_last_week)
            )
            console.print(
                f"  {item.ref} {escape(item.title)} · {item.phase} · {value} · "
                f"owner {item.owner_id}\n    [dim]{escape(item.rule)}[/dim]"
            )
    if digest.most_voted:
        console.print("\n[bold]Most voted[/bold]")
        for item in digest.most_voted:
            console.print(f"  {item.ref} {escape(item.title)} · {item.votes} vote(s)")
    if digest.knowledge_gaps:
        console.print("\n[bold]Knowledge gaps[/bold]")
        for question in digest.knowledge_gaps:
            console.print(f"  • {escape(question)}")


def worker_command() -> None:
    """Run the one scheduler: weekly digest, owner nudges, nightly re-index (Ctrl-C stops)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.cli import prepare
    from bot.run_cli import on_stop_signals
    from jobs.scheduler import build_scheduler, catch_up

    prepare()
    stopped = threading.Event()
    on_stop_signals(stopped.set)
    scheduler = build_scheduler(scheduler_class=BackgroundScheduler)
    try:
        catch_up()
    except Exception:
        log.exception("catching up a missed digest failed; the scheduler starts anyway")
    from datetime import datetime

    from spinebot.settings import get_settings

    now = datetime.now(get_settings().tz)
    typer.echo("Spinebot worker: the scheduler runs these jobs (Ctrl-C stops it):")
    for job in scheduler.get_jobs():
        next_run = job.trigger.get_next_fire_time(None, now)
        typer.echo(f"  {job.id:16} next {next_run:%Y-%m-%d %H:%M %Z}")
    run_until_stopped(scheduler, stopped, get_settings().shutdown_grace_seconds)


def run_until_stopped(scheduler: Any, stopped: threading.Event, grace: float) -> None:
    """Run until ``stopped`` (SIGTERM/SIGINT); then start no new job, give a running one
    ``grace`` seconds (a digest cut off later is taken over by the next start), exit 0."""
    import os

    scheduler.start()
    while not stopped.wait(1):
        pass
    closer = threading.Thread(target=scheduler.shutdown, kwargs={"wait": True}, daemon=True)
    closer.start()
    closer.join(grace)
    typer.echo("Spinebot worker stopped.")
    if closer.is_alive():
        log.warning("a job was still running after %.0f s; stopping anyway", grace)
        logging.shutdown()
        os._exit(0)


def register(app: typer.Typer) -> None:
    app.command("digest")(digest_command)
    app.command("worker")(worker_command)
