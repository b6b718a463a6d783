"""HTTP mode: the Events API endpoint, health and metrics, served by waitress.

``POST /slack/events`` carries commands, events, actions and view submissions. Before
Bolt sees a request, its signature and timestamp are checked (401 otherwise, with one
log line) and its body must be well-formed UTF-8 form data or a JSON object (400), no
larger than MAX_BODY_BYTES (413). ``GET /healthz`` says ok or failing per component,
200 when all counted ones are ok and 503 when not; ``GET /metrics`` is Prometheus. ``/healthz`` also
counts the answer processes (503 while a dead one is being replaced).
"""

from __future__ import annotations

import contextlib
import hmac
import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import create_server

from spinebot.health import Check
from spinebot.metrics import SURFACES
from spinebot.settings import Settings, get_settings

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

StartResponse = Callable[..., Any]


def health(
    check_index: bool = True,
    answering: Callable[[], tuple[bool, str]] | None = None,
    *,
    component: str = "web",
    settings: Settings | None = None,
) -> tuple[bool, dict[str, Check]]:
    """(ok, checks): the database (written and read), the index, the bot token, and the
    worker's heartbeat when a worker runs (reported, not counted in ``ok``)."""
    from bot.slack_health import check_slack
    from spinebot.db import get_engine
    from spinebot.health import check_database, check_worker, run_checks

    settings = settings or get_settings()
    engine = get_engine()
    todo: dict[str, Callable[[], Check]] = {"database": lambda: check_database(engine, component)}
    if check_index:
        todo["index"] = _index_check
    if settings.slack_bot_token:
        todo["slack"] = lambda: check_slack(settings)
    if answering is not None:
        todo["answering"] = lambda: _answering_check(answering)
    if component != "worker":
        todo["worker"] = lambda: check_worker(engine) or Check(True, "none")
    checks = run_checks(todo)
    if checks.get("worker", Check(False, "")).detail == "none":
        del checks["worker"]  # no worker ever ran against this database
    if component == "worker":
        from jobs import scheduler

        running = scheduler._scheduler is not None and scheduler._scheduler.running
        checks["scheduler"] = Check(running, "running" if running else "not running")
    ok = all(check.ok for name, check in checks.items() if name != "worker")
    return ok, checks


def _index_check() -> Check:
    from knowledge.service import get_knowledge

    try:
        ok, detail = get_knowledge().health()
    except Exception as exc:  # an index that cannot open is unhealthy, not a crash
        return Check(False, f"index unavailable: {type(exc).__name__}")
    return Check(ok, detail)


def _answering_check(answering: Callable[[], tuple[bool, str]]) -> Check:
    try:
        ok, detail = answering()
    except Exception as exc:
        return Check(False, f"answering unavailable: {type(exc).__name__}")
    return Check(ok, detail)


def _respond(
    start_response: StartResponse, status: str, body: bytes, ctype: str = "text/plain"
) -> list[bytes]:
    start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(body)))])
    return [body]


def serve_health(
    environ: dict[str, Any],
    start_response: StartResponse,
    *,
    component: str,
    check_index: bool,
    settings: Settings | None = None,
    answering: Callable[[], tuple[bool, str]] | None = None,
) -> list[bytes] | None:
    """GET /healthz and GET /metrics, or None for any other path.

    /healthz is public: ok or failing per component, nothing else. The reasons come
    with ``Authorization: Bearer <HEALTH_TOKEN>`` (never when HEALTH_TOKEN is empty)."""
    path = environ.get("PATH_INFO", "")
    if environ.get("REQUEST_METHOD") != "GET" or path not in ("/healthz", "/metrics"):
        return None
    if path == "/metrics":
        from spinebot.metrics import exposition

        body, ctype = exposition()
        return _respond(start_response, "200 OK", body, ctype)
    settings = settings or get_settings()
    ok, checks = health(check_index, answering, component=component, settings=settings)
    report: dict[str, Any] = {
        "ok": ok,
        "components": {name: "ok" if c.ok else "failing" for name, c in checks.items()},
    }
    token = settings.health_token
    given = environ.get("HTTP_AUTHORIZATION", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        report["details"] = {name: c.detail for name, c in checks.items()}
    status = "200 OK" if ok else "503 Service Unavailable"
    return _respond(start_response, status, json.dumps(report).encode(), JSON)


def check_request(body: bytes, headers: dict[str, str], secret: str) -> tuple[int, str, str]:
    """(status, reason, surface) for a POST to /slack/events before Bolt sees it: 401
    when it is not signed by Slack, 400 when it is signed but malformed, 0 when fine."""
    from slack_sdk.signature import SignatureVerifier

    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not secret or not timestamp.isdigit() or not signature:
        return 401, "no valid Slack signature headers", "rejected"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return 400, "body is not UTF-8", "rejected"
    if not SignatureVerifier(secret).is_valid(text, timestamp, signature):
        return 401, "bad or expired Slack signature", "rejected"
    ctype = headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if ctype == JSON:
            parsed = json.loads(text)
            if not isinstance(parsed, dict):
                return 400, "JSON body is not an object", "rejected"
            return 0, "", SURFACES.get(str(parsed.get("type")), "other")
        if ctype == FORM:
            form = dict(parse_qsl(text, keep_blank_values=True))
            if "payload" in form:
                payload = json.loads(form["payload"])
                if not isinstance(payload, dict):
                    return 400, "payload is not a JSON object", "rejected"
                return 0, "", SURFACES.get(str(payload.get("type")), "other")
            return 0, "", "command" if "command" in form else "other"
    except ValueError:
        return 400, "malformed JSON", "rejected"
    return 400, f"unsupported content type {ctype[:40] or '(none)'}", "rejected"


def make_wsgi_app(
    app: App,
    *,
    check_index: bool = True,
    settings: Settings | None = None,
    component: str = "web",
) -> Callable[..., Iterable[bytes]]:
    from spinebot.metrics import record_request

    settings = settings or get_settings()
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    limit = settings.max_body_bytes
    # The app's own secret: Bolt verifies with it too, and it may not come from settings.
    secret = getattr(app, "_signing_secret", None) or settings.slack_signing_secret
    deps = getattr(app, "_spinebot_deps", None)
    answers = getattr(deps, "answers", None)
    answering = answers.health if answers is not None else None

    def events(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()

        def reject(status: int, reason: str) -> list[bytes]:
            phrase = {400: "Bad Request", 401: "Unauthorized", 405: "Method Not Allowed"}
            log.warning("rejected a request to %s: %s (HTTP %d)", EVENTS_PATH, reason, status)
            record_request("rejected", status, time.perf_counter() - started)
            line = f"{status} {phrase.get(status, 'Payload Too Large')}"
            return _respond(start_response, line, reason.encode())

        if environ.get("REQUEST_METHOD") != "POST":
            return reject(405, "only POST")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return reject(400, "bad Content-Length")
        if length > limit:
            return reject(413, f"body over {limit} bytes")
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            key[5:].replace("_", "-").lower(): str(value)
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        status, reason, surface = check_request(body, headers, secret)
        if status:
            return reject(status, reason)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        seen: list[int] = []

        def recording_start(line: str, response_headers: Any, *exc: Any) -> Any:
            seen.append(int(line.split(" ", 1)[0]))
            return start_response(line, response_headers, *exc)

        try:
            return slack(environ, recording_start)
        finally:
            record_request(surface, seen[0] if seen else 500, time.perf_counter() - started)

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        answered = serve_health(
            environ,
            start_response,
            component=component,
            answering=answering,
            check_index=check_index,
            settings=settings,
        )
        if answered is not None:
            return answered
        if path == EVENTS_PATH:
            return events(environ, start_response)
        return _respond(start_response, "404 Not Found", b"not found")

    return wsgi


def make_health_app(component: str, settings: Settings | None = None) -> Callable[..., Any]:
    """/healthz and /metrics only: what `worker` and `socket` serve on HEALTH_PORT."""

    def wsgi(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        answered = serve_health(
            environ, start_response, component=component, check_index=False, settings=settings
        )
        if answered is not None:
            return answered
        return _respond(start_response, "404 Not Found", b"not found")

    return wsgi


class Server:
    """waitress serving the app, in the foreground (`spinebot serve`) or in a background
    thread (tests, benchmarks). waitress's own ``run()`` never returns, so the loop here
    polls a stop flag between network events; ``stop()`` closes every connection."""

    def __init__(
        self,
        app: App,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 32,
        check_index: bool = True,
        wsgi: Callable[..., Any] | None = None,
    ) -> None:
        settings = get_settings()
        self._server = create_server(
            wsgi or make_wsgi_app(app, check_index=check_index, settings=settings),
            host=host,
            port=port,
            threads=threads,
            ident="spinebot",
            channel_timeout=30,
            connection_limit=1000,
            max_request_body_size=settings.max_body_bytes,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.effective_port)  # type: ignore[union-attr]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve_forever(self) -> None:
        socket_map = self._server._map  # type: ignore[union-attr]
        while not self._stop.is_set():
            wasyncore.loop(timeout=0.05, map=socket_map, count=1)

    def request_stop(self) -> None:
        """Make ``serve_forever`` return (safe from a signal handler)."""
        self._stop.set()

    def drain(self, timeout: float = 10) -> None:
        """After ``serve_forever`` returned: stop listening, let requests in progress
        finish (their acks go out), then close the connections."""
        with contextlib.suppress(Exception):
            self._server.close()  # type: ignore[union-attr]  # the listening socket
        self._server.task_dispatcher.shutdown(timeout=timeout)  # type: ignore[union-attr]
        socket_map = self._server._map  # type: ignore[union-attr]
        deadline = time.monotonic() + 1.0  # flush responses already written
        while time.monotonic() < deadline and any(
            getattr(channel, "total_outbufs_len", 0) for channel in socket_map.values()
        ):
            wasyncore.loop(timeout=0.05, map=socket_map, count=1)
        for channel in list(socket_map.values()):
            channel.close()

    def start(self) -> Server:
        self._thread = threading.Thread(target=self.serve_forever, name="waitress", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for channel in list(self._server._map.values()):  # type: ignore[union-attr]
            channel.close()
        self._server.task_dispatcher.shutdown(timeout=5)  # type: ignore[union-attr]

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
