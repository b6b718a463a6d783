"""A fake OpenAI-compatible chat server on 127.0.0.1 for tests and benches.

It answers ``POST /v1/chat/completions`` with ``reply`` after ``delay`` seconds, either
as one JSON body or, when the request asks for ``stream``, as server-sent events (one
chunk per word, ``word_delay`` apart, then a usage chunk). Replies report ``model`` and
``prompt_tokens``/``completion_tokens`` as their usage; ``status`` other than 200 (or
``fail``, for 500) answers with that HTTP error instead: an outage. It records request
bodies and the most requests it saw at once (``max_concurrent``), so a test can assert
that answers overlap without timing anything. All of these can change while it runs.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPLY = "A pilot needs **four weeks** of measured value and a support rota [1]."


class StreamingModelServer:
    def __init__(
        self,
        *,
        delay: float = 0.0,
        reply: str = REPLY,
        word_delay: float = 0.0,
        model: str = "gpt-4o-mini-2024-07-18",
        prompt_tokens: int = 120,
        completion_tokens: int = 20,
    ) -> None:
        self.delay = delay
        self.reply = reply
        self.word_delay = word_delay
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.fail = False
        self.status = 200
        self.requests: list[dict[str, Any]] = []
        self.active = 0
        self.max_concurrent = 0
        self.first_chunk_at: list[float] = []  # time.monotonic() of each stream's first word
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def start(self) -> StreamingModelServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StreamingModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _enter(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.requests.append(body)
            self.active += 1
            self.max_concurrent = max(self.max_concurrent, self.active)

    def usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }

    def _leave(self) -> None:
        with self._lock:
            self.active -= 1


def _handler(model: StreamingModelServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            model._enter(body)
            try:
                time.sleep(model.delay)
                status = 500 if model.fail else model.status
                if status != 200:
                    error = {"message": "the fake model is down", "type": "server_error"}
                    self._send(status, {"error": error})
                elif body.get("stream"):
                    self._stream(body)
                else:
                    self._send(200, _completion(model))
            finally:
                model._leave()

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, body: dict[str, Any]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            words = model.reply.split(" ")
            for n, word in enumerate(words):
                if n == 0:
                    with model._lock:
                        model.first_chunk_at.append(time.monotonic())
                elif model.word_delay:
                    time.sleep(model.word_delay)
                piece = word if n == 0 else " " + word
                self._event(_chunk(model, {"content": piece}))
            self._event(_chunk(model, {}, finish="stop"))
            self._event({**_chunk(model, {}), "choices": [], "usage": model.usage()})
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

        def _event(self, payload: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
            self.wfile.flush()

    return Handler


def _completion(model: StreamingModelServer) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": model.reply},
                "finish_reason": "stop",
            }
        ],
        "usage": model.usage(),
    }


def _chunk(model: StreamingModelServer, delta: dict[str, Any], finish: str | None = None) -> dict:
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model.model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
