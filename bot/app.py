"""Builds the Bolt ``App``: middleware, listeners, error handler. Nothing runs here; the
transports (HTTP server, Socket Mode, console) take the app and serve it."""

from __future__ import annotations

import logging
import time

from slack_bolt import App, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

from bot.answer_pool import AnswerProcesses, AnswerRunner
from bot.dedupe import EventDeduper
from bot.deps import Deps
from bot.listeners import register_listeners
from bot.pending import PendingStore
from bot.slack_client import make_client
from spinebot.db import db_budget
from spinebot.metrics import SURFACES, record_request
from spinebot.settings import Settings, get_settings

log = logging.getLogger(__name__)

QUESTION_EVENTS = frozenset({"app_mention", "message"})


def build_app(
    settings: Settings | None = None,
    *,
    deps: Deps | None = None,
    client: WebClient | None = None,
    console: bool = False,
    deduper: EventDeduper | None = None,
) -> App:
    """The Slack app. ``console=True`` dispatches in-process: no signatures, and work after
    the ack runs inline, so the terminal shows replies in order."""
    settings = settings or get_settings()
    deps = deps or Deps.create(settings, inline=console)
    client = client or make_client(settings)
    # The token travels on the client; the console authorizes without calling auth.test.
    auth: dict = {"authorize": _console_authorize} if console else {}
    app = App(
        **auth,
        signing_secret=settings.slack_signing_secret or "console-only",
        client=client,
        token_verification_enabled=False,
        request_verification_enabled=not console,
        # Every listener acks, hands slow work to Deps.run and returns within milliseconds,
        # so it runs in the request's own thread: the response leaves as soon as the
        # listener returns, without the hop to Bolt's pool and its 10 ms ack polling.
        # (Bolt's own listener pool is then unused; slow work goes to Deps.work.)
        process_before_response=True,
    )
    deduper = deduper or EventDeduper()
    pending = PendingStore()
    if deps.answers is None:  # serve/socket installed answer processes already
        deps.answers = AnswerRunner(
            deps,
            client,
            executor=deps.work if console else None,  # the console shows replies in order
            sweep=not console,
        )

    if not console:

        @app.middleware
        def database_budget(req, body, next):  # type: ignore[no-untyped-def]  # noqa: A002
            """The ack path (HTTP and Socket Mode) never waits long on the database.
            Socket Mode requests are counted here (the HTTP server counts its own)."""
            started = time.perf_counter()
            with db_budget(settings.db_interactive_timeout):
                response = next()
            if req.mode == "socket_mode":
                kind = body.get("type") or ("command" if body.get("command") else "other")
                status = getattr(response, "status", 200)
                record_request(SURFACES.get(kind, kind), status, time.perf_counter() - started)
            return response

    @app.middleware
    def drop_duplicate_events(body, next, logger):  # type: ignore[no-untyped-def]  # noqa: A002
        """Answer Slack's retries and repeated deliveries once, by ``event_id``. A
        question event whose first delivery never got its question recorded (the process
        died in between) is handled again: its pending record is the real once-only."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not deduper.first_time(event_id):
            kind = (body.get("event") or {}).get("type")
            if kind not in QUESTION_EVENTS or pending.has_event(event_id):
                logger.info("duplicate delivery of %s ignored", event_id)
                return BoltResponse(status=200, body="")
            logger.info("redelivery of %s: its question was never recorded", event_id)
        return next()

    if console:

        @app.middleware
        def use_console_client(context, next):  # type: ignore[no-untyped-def]  # noqa: A002
            """Bolt builds a fresh HTTP client per request; the console renders instead."""
            context["client"] = client
            return next()

    @app.error
    def on_error(error, body, logger):  # type: ignore[no-untyped-def]
        logger.error("listener failed for a %s request", body.get("type", "?"), exc_info=error)

    register_listeners(app, deps)
    app._spinebot_deps = deps  # type: ignore[attr-defined]  # the transports shut it down
    return app


def build_served_app(settings: Settings) -> App:
    """The app as `serve` and `socket` run it: answers written in answer processes
    (ANSWER_PROCESSES; 0 answers on threads of the web process)."""
    deps = Deps.create(settings)
    if settings.answer_processes > 0:
        processes = AnswerProcesses(settings, settings.answer_processes)
        deps.answers = processes
        try:
            processes.wait_ready()
        except RuntimeError:
            processes.close(0)
            raise
    return build_app(settings, deps=deps)


def _console_authorize(**_: object) -> AuthorizeResult:
    from bot.console import BOT_USER_ID, TEAM_ID

    return AuthorizeResult(
        enterprise_id=None,
        team_id=TEAM_ID,
        bot_token="xoxb-console",
        bot_id="BSPINEBOT",
        bot_user_id=BOT_USER_ID,
    )


def app_deps(app: App) -> Deps:
    return app._spinebot_deps  # type: ignore[attr-defined, no-any-return]
