"""A fake OpenAI-compatible chat server on 127.0.0.1 for tests that go through the real
langchain OpenAI client.

Every ``POST …/chat/completions`` gets ``reply`` as the assistant's message and ``usage``
as the token counts (both changeable while running); ``status`` other than 200 answers
with that HTTP error instead (an outage), ``delay`` holds each reply back. A request with
``"stream": true`` is answered as server-sent events, a few words per chunk, with the
usage in a last chunk when ``stream_options.include_usage`` asks for it (as OpenAI
does). Requests are recorded.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_REPLY = "A pilot needs four weeks of measured value and a support rota [1]."


class FakeModelServer:
    def __init__(
        self,
        reply: str = DEFAULT_REPLY,
        *,
        prompt_tokens: int = 120,
        completion_tokens: int = 30,
        model: str = "gpt-4o-mini-2024-07-18",
    ) -> None:
        self.reply = reply
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens
        self.model = model
        self.status = 200
        self.delay = 0.0  # seconds before each reply (a slow or hanging model)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> FakeModelServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"] or 0)))
                with fake._lock:
                    fake.requests.append({"path": self.path, "body": body})
                if fake.delay:
                    time.sleep(fake.delay)
                if body.get("stream") and fake.status == 200:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for chunk in fake._chunks(body):
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                        self.wfile.flush()
                    self.wfile.write(b"data: [DONE]\n\n")
                    self.wfile.flush()
                    self.close_connection = True
                    return
                status, payload = fake._answer(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeModelServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake model first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # --- replies ---------------------------------------------------------------------

    def _usage(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }

    def _chunks(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        words = self.reply.split(" ")
        pieces = [" ".join(words[i : i + 3]) + " " for i in range(0, len(words), 3)]
        pieces[-1] = pieces[-1].rstrip()
        base = {"id": "chatcmpl-s", "object": "chat.completion.chunk", "model": self.model}
        chunks = [
            {**base, "choices": [{"index": 0, "delta": {"content": p}, "finish_reason": None}]}
            for p in pieces
        ]
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            chunks.append({**base, "choices": [], "usage": self._usage()})
        return chunks

    def _answer(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.status != 200:
            error = {"message": "the fake model is down", "type": "server_error"}
            return self.status, {"error": error}
        usage = self._usage()
        return 200, {
            "id": f"chatcmpl-{len(self.requests)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": self.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": self.reply},
                    "finish_reason": "stop",
                }
            ],
            "usage": usage,
        }
