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
    status: Annotated[
        bool, typer.Option("--status", help="List recent digest and nudge runs.")
    ] = False,
    week: Annotated[str | None, typer.Option(help="ISO week, e.g. 2026-W48.")] = None,
) -> None:
    """The weekly digest: --preview prints it (the default), --post posts it now."""
    from portfolio.weeks import WeekError, normalize
    from spinebot.cli_support import fail, prepare
    from spinebot.settings import get_settings

    prepare()
    settings = get_settings()
    if week:
        try:
            week = normalize(week)
        except WeekError as exc:
            raise fail(f"--week: {exc}") from None
    if sum((post, preview, status)) > 1:
        raise fail("Choose one of --preview, --post and --status.")
    if status:
        print_runs()
        return
    if post:
        if not settings.digest_channel:
            raise fail("--post needs DIGEST_CHANNEL (a channel id) to be set.")
        if not settings.slack_bot_token:
            raise fail("--post needs SLACK_BOT_TOKEN to be set.")
        from bot.slack_client import make_client
        from jobs.delivery import DeliveryError, post_digest

        try:
            outcome = post_digest(
                client=make_client(settings, retries=False),
                channel=settings.digest_channel,
                week=week,
            )
        except DeliveryError as exc:
            hint = " Invite the bot to the channel first." if exc.code == "not_in_channel" else ""
            maybe = " It may be out: run --post again to check." if exc.maybe_posted else ""
            raise fail(f"Not posted: {exc.reason}.{hint}{maybe}", code=1) from None
        typer.echo(OUTCOMES.get(outcome, outcome))
        return
    from jobs.digest import build_digest

    digest = build_digest(week=week, settings=settings)
    if as_json:
        typer.echo(json.dumps(digest.to_dict(), ensure_ascii=False, indent=2))
        return
    print_digest(digest)


OUTCOMES = {
    "posted": "Posted.",
    "reconciled": "It was already in the channel (an earlier try had posted it): marked posted.",
    "already_posted": "Already posted for that week: nothing sent.",
    "in_progress": "Another run is posting it right now: nothing sent.",
}


def print_runs() -> None:
    """`digest --status`: the recent runs with their outcome."""
    from jobs.delivery import list_runs

    runs = list_runs()
    if not runs:
        typer.echo("No digest runs yet.")
        return
    typer.echo(f"{'week':9} {'kind':7} {'channel':12} {'status':9} {'tries':>5}  when / error")
    for run in runs:
        when = run.posted_at or run.claimed_at
        detail = f"{when:%Y-%m-%d %H:%M} UTC" if when else ""
        if run.error and run.status != "posted":
            detail += f"  {run.error}"
        typer.echo(
            f"{run.week:9} {run.kind:7} {run.channel_id:12} {run.status:9} "
            f"{run.attempts:>5}  {detail}"
        )


def print_digest(digest) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console
    from rich.markup import escape

    from portfolio.read_model import SECTION_BY_KEY
    from spinebot.format import money

    console = Console()
    console.print(f"[bold]Weekly AI portfolio digest · {digest.week}[/bold]")
    console.print(f"[dim]Values for {digest.reported_week}, timezone {digest.timezone}[/dim]")
    console.print(escape(digest.headline))
    if digest.quiet:
        console.print("A quiet week: nothing to grow, scale, chase or drop.")
    for key, items in digest.sections.items():
        if not items:
            continue
        console.print(f"\n[bold]{SECTION_BY_KEY[key].title}[/bold] ({len(items)})")
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
    if digest.gaps_closed:
        console.print("\n[bold]Gaps closed by saved Slack threads[/bold]")
        for gap in digest.gaps_closed:
            console.print(f"  • {escape(gap.question)} — {escape(gap.permalink or '')}")
    from bot.blocks.digest import assistant_cost_line

    line = assistant_cost_line(digest)
    if line:
        console.print("\n" + escape(line.replace(":robot_face: ", "")))


def worker_command() -> None:
    """Run the one scheduler: weekly digest, owner nudges, nightly re-index (Ctrl-C stops)."""
    import threading

    from apscheduler.schedulers.background import BackgroundScheduler

    from bot.run_cli import on_stop_signals, require_token, start_health_server
    from jobs.scheduler import build_scheduler, catch_up
    from spinebot.cli_support import prepare
    from spinebot.db import get_engine
    from spinebot.health import start_worker_heartbeat
    from spinebot.settings import get_settings

    prepare()
    settings = get_settings()
    if settings.slack_bot_token:
        require_token(settings)
        check_digest_channel(settings)
    stopped = threading.Event()
    on_stop_signals(stopped.set)
    scheduler = build_scheduler(scheduler_class=BackgroundScheduler)
    start_worker_heartbeat(get_engine(), stopped, alive=lambda: scheduler.running)
    start_health_server("worker", settings)
    try:
        catch_up()
    except Exception:
        log.exception("catching up a missed digest failed; the scheduler starts anyway")
    from datetime import datetime

    now = datetime.now(settings.tz)
    typer.echo("Spinebot worker: the scheduler runs these jobs (Ctrl-C stops it):")
    for job in scheduler.get_jobs():
        next_run = job.trigger.get_next_fire_time(None, now)
        typer.echo(f"  {job.id:16} next {next_run:%Y-%m-%d %H:%M %Z}")
    run_until_stopped(scheduler, stopped, get_settings().shutdown_grace_seconds)


def check_digest_channel(settings) -> bool:  # type: ignore[no-untyped-def]
    """At worker start: can the bot post to DIGEST_CHANNEL? Logs one clear line if not."""
    from bot.slack_client import make_client

    channel = settings.digest_channel
    if not channel:
        log.warning("DIGEST_CHANNEL is not set: the weekly digest will not be posted")
        return False
    try:
        info = make_client(settings).conversations_info(channel=channel)["channel"]
    except Exception as exc:  # noqa: BLE001 - one line, the worker still starts
        error = getattr(getattr(exc, "response", None), "get", lambda _k: None)("error")
        log.warning(
            "DIGEST_CHANNEL %s cannot be checked (%s): is it a channel id the bot can see?",
            channel,
            error or type(exc).__name__,
        )
        return False
    if not info.get("is_member"):
        log.warning(
            "Spinebot is not a member of DIGEST_CHANNEL %s: invite it there "
            "(/invite @spinebot); without chat:write.public the digest fails with "
            "not_in_channel",
            channel,
        )
        return False
    return True


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
