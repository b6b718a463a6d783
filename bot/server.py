"""HTTP mode: the Events API endpoint and a health check, served by waitress.

``POST /slack/events`` carries commands, events, actions and view submissions (Bolt
verifies the signature and timestamp, answering 401 otherwise); ``GET /healthz`` reports
the database, the index and the answer processes, 200 when all are usable and 503 when
not (e.g. while a dead answer process is being replaced).
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress import wasyncore
from waitress.server import create_server

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"


def health(
    check_index: bool = True, answering: Callable[[], tuple[bool, str]] | None = None
) -> tuple[bool, dict[str, str]]:
    from spinebot.db import check_health

    db_ok, db_detail = check_health()
    report = {"database": db_detail}
    ok = db_ok
    if check_index:
        try:
            from knowledge.service import get_knowledge

            index_ok, index_detail = get_knowledge().health()
        except Exception as exc:  # an index that cannot open is unhealthy, not a crash
            index_ok, index_detail = False, f"index unavailable: {type(exc).__name__}"
        report["index"] = index_detail
        ok = ok and index_ok
    if answering is not None:
        try:
            answers_ok, answers_detail = answering()
        except Exception as exc:
            answers_ok, answers_detail = False, f"answering unavailable: {type(exc).__name__}"
        report["answering"] = answers_detail
        ok = ok and answers_ok
    return ok, report


def make_wsgi_app(app: App, *, check_index: bool = True) -> Callable[..., Iterable[bytes]]:
    slack = SlackRequestHandler(app, path=EVENTS_PATH)
    deps = getattr(app, "_spinebot_deps", None)
    answers = getattr(deps, "answers", None)
    answering = answers.health if answers is not None else None

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz" and environ.get("REQUEST_METHOD") == "GET":
            ok, report = health(check_index, answering)
            body = json.dumps({"ok": ok, **report}).encode()
            status = "200 OK" if ok else "503 Service Unavailable"
            start_response(status, [("Content-Type", "application/json")])
            return [body]
        if path == EVENTS_PATH:
            return slack(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

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
    ) -> None:
        self._server = create_server(
            make_wsgi_app(app, check_index=check_index),
            host=host,
            port=port,
            threads=threads,
            ident="spinebot",
            channel_timeout=30,
            connection_limit=1000,
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
