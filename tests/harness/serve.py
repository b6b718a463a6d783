"""Serve a WSGI app on a free 127.0.0.1 port in a background thread, with waitress.

``bot.server`` serves the Bolt app with waitress in production; tests and the ack bench
use the same server so what they measure and exercise is what runs. Waitress's own
``run()`` blocks forever, so the loop here polls a stop flag between network events:
leaving the ``with`` block closes the listening socket and every open connection and
stops the worker threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from threading import Event, Thread
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

WSGIApp = Callable[..., Any]


@contextmanager
def serve_wsgi(app: WSGIApp, *, threads: int = 8, **adjustments: Any) -> Iterator[str]:
    """Yield ``http://127.0.0.1:<port>`` while ``app`` is served with ``threads`` workers."""
    server = create_server(
        app,
        host="127.0.0.1",
        port=0,
        threads=threads,
        ident="spinebot-test",
        **adjustments,
    )
    port = server.effective_port  # type: ignore[union-attr]
    stop = Event()
    socket_map = server._map  # type: ignore[union-attr]

    def loop() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=socket_map, count=1)

    thread = Thread(target=loop, name=f"waitress-{port}", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop.set()
        thread.join(timeout=5)
        for channel in list(socket_map.values()):
            channel.close()
        server.task_dispatcher.shutdown(timeout=5)  # type: ignore[union-attr]


def bolt_wsgi(app: Any) -> WSGIApp:
    """The WSGI callable for a ``slack_bolt.App`` (Bolt's own adapter)."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    return SlackRequestHandler(app)
