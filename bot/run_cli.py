"""Commands that run the bot: `run` (what is configured), `console`, `serve`, `socket`.

``serve`` and ``socket`` stop gracefully on SIGTERM (what Docker, Kubernetes and
Heroku send) and SIGINT (Ctrl-C): no new work is taken, acks in progress go out,
answers in flight get SHUTDOWN_GRACE_SECONDS to finish and the rest stay pending for the
next start (bot.pending); the answer processes are stopped, and the exit code is 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from typing import Annotated

import typer

log = logging.getLogger(__name__)


def _ensure_index(quiet: bool = False) -> None:
    """On a fresh machine the index is empty: build it from the bundled corpus first."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from knowledge.service import get_knowledge

    service = get_knowledge()
    if service.chunk_count() > 0:
        return
    console = Console(stderr=True)
    console.print("First run: indexing the bundled knowledge corpus (offline, about a minute)…")
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
    ) as progress:
        task = progress.add_task("indexing", total=None)

        def on_progress(done: int, total: int, name: str) -> None:
            progress.update(task, completed=done, total=total, description=name[-40:])

        report = service.ingest(progress=on_progress)
    console.print(report.summary())


def on_stop_signals(stop: Callable[[], None]) -> None:
    """Call ``stop`` (once) on SIGTERM or SIGINT instead of dying at once."""
    called = threading.Event()

    def handler(signum: int, _frame: object) -> None:
        if not called.is_set():
            called.set()
            log.info("%s received: shutting down gracefully", signal.Signals(signum).name)
            stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, handler)


def console_command() -> None:
    """Talk to the bot in this terminal: questions, /ask, /usecase, buttons by number."""
    from bot.cli import prepare
    from bot.console import ConsoleSession
    from spinebot.settings import get_settings

    prepare(model=True)
    settings = get_settings()
    # The terminal is the conversation: only problems are logged there.
    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("slack_bolt").setLevel(logging.ERROR)
    _ensure_index()

    def factory(client):  # type: ignore[no-untyped-def]
        from bot.app import build_app

        return build_app(settings, client=client, console=True)

    ConsoleSession(factory).loop()


def require_token(settings) -> None:  # type: ignore[no-untyped-def]
    """At start: Slack must accept SLACK_BOT_TOKEN (``auth.test``). A refused token is one
    clear line and exit 2; an unreachable Slack is a warning (it may come back)."""
    from bot.cli import fail
    from bot.slack_health import auth_check

    check = auth_check(settings)
    if check.ok:
        return
    if check.detail.startswith("Slack refused"):
        raise fail(f"SLACK_BOT_TOKEN: {check.detail}. Reinstall the app or set a new token.")
    log.warning("could not check SLACK_BOT_TOKEN at start: %s", check.detail)


def start_health_server(component: str, settings) -> object | None:  # type: ignore[no-untyped-def]
    """`worker` and `socket`: /healthz and /metrics on HEALTH_PORT (0: none)."""
    if not settings.health_port:
        return None
    from bot.server import Server, make_health_app

    server = Server(
        None,  # type: ignore[arg-type]
        host="0.0.0.0",
        port=settings.health_port,
        threads=2,
        wsgi=make_health_app(component, settings),
    ).start()
    log.info("health of %s on http://0.0.0.0:%s/healthz", component, server.port)
    return server


def serve_command(
    port: Annotated[int | None, typer.Option(help="Port (default: $PORT or 3000).")] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",
) -> None:
    """HTTP mode: the Slack Events API endpoint at /slack/events and GET /healthz."""
    from bot.app import app_deps, build_served_app
    from bot.cli import fail, prepare
    from bot.server import Server
    from spinebot.settings import get_settings

    prepare(model=True)
    settings = get_settings()
    if not settings.has_slack_http:
        raise fail("HTTP mode needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (see .env.example).")
    require_token(settings)
    _ensure_index()
    stopped = threading.Event()  # a signal during start-up is honoured, not fatal
    servers: list[Server] = []

    def stop() -> None:
        stopped.set()
        for running in servers:
            running.request_stop()

    on_stop_signals(stop)
    try:
        app = build_served_app(settings)
    except RuntimeError as exc:
        raise fail(f"Answering could not start: {exc}") from None
    deps = app_deps(app)
    try:
        server = Server(app, host=host, port=port or settings.port, threads=settings.web_threads)
    except OSError as exc:
        deps.shutdown(grace=0)
        raise fail(f"Cannot listen on {host}:{port or settings.port}: {exc.strerror}") from None
    servers.append(server)
    if stopped.is_set():
        server.request_stop()
    log.info("serving Slack events on http://%s:%s/slack/events", host, server.port)
    typer.echo(f"Spinebot listening on http://{host}:{server.port}/slack/events")
    try:
        server.serve_forever()
    finally:
        server.drain()
        deps.shutdown()
    typer.echo("Spinebot stopped.")


def socket_command() -> None:
    """Socket Mode: no public URL needed (SLACK_APP_TOKEN and SLACK_BOT_TOKEN)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import app_deps, build_served_app
    from bot.cli import fail, prepare
    from spinebot.settings import get_settings

    prepare(model=True)
    settings = get_settings()
    if not settings.has_slack_socket:
        raise fail("Socket Mode needs SLACK_APP_TOKEN (xapp-…) and SLACK_BOT_TOKEN.")
    require_token(settings)
    start_health_server("socket", settings)
    _ensure_index()
    stopped = threading.Event()
    on_stop_signals(stopped.set)
    try:
        app = build_served_app(settings)
    except RuntimeError as exc:
        raise fail(f"Answering could not start: {exc}") from None
    deps = app_deps(app)
    handler = SocketModeHandler(app, settings.slack_app_token)
    try:
        try:
            handler.connect()
        except Exception as exc:  # SlackApiError, or the network
            detail = getattr(getattr(exc, "response", None), "get", lambda _k: None)("error")
            raise fail(
                f"Socket Mode could not connect to Slack ({detail or type(exc).__name__}): "
                "check SLACK_APP_TOKEN (xapp-…, with connections:write)."
            ) from None
        typer.echo("Spinebot connected over Socket Mode. Ctrl-C stops it.")
        while not stopped.wait(0.5):
            pass
    finally:
        handler.close()  # no new events; those being handled finish below
        deps.shutdown(grace=None if stopped.is_set() else 0)
    typer.echo("Spinebot stopped.")


def run_command() -> None:
    """Start the bot on what is configured: Socket Mode, HTTP, or the local console."""
    from spinebot.settings import get_settings

    settings = get_settings()
    if settings.has_slack_socket:
        socket_command()
    elif settings.has_slack_http:
        serve_command()
    else:
        console_command()


def register(app: typer.Typer) -> None:
    app.command("run")(run_command)
    app.command("console")(console_command)
    app.command("serve")(serve_command)
    app.command("socket")(socket_command)
