"""The two network paths, against real servers on 127.0.0.1: an OpenAI-compatible chat
endpoint through langchain's real OpenAI client, and a `chroma run` server."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from knowledge.service import KnowledgeService
from spinebot.settings import Settings, get_settings

CHROMA = Path(sys.executable).parent / "chroma"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class FakeOpenAI(BaseHTTPRequestHandler):
    """Answers every chat completion with a canned, cited reply; records requests."""

    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body})
        reply = {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "gpt-4o-mini"),
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "Four weeks of measured value and a support rota [1].",
                    },
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def fake_openai() -> Iterator[str]:
    FakeOpenAI.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_the_llm_path_goes_through_the_real_openai_client(
    fake_openai: str, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LLM_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv("LLM_BASE_URL", fake_openai)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    service = KnowledgeService(get_settings())
    service.ingest([corpus])
    answer = service.ask("When does a pilot move to production?")
    assert not answer.abstained
    assert answer.text == "Four weeks of measured value and a support rota [1]."
    assert answer.sources[0].section == "Pilot to production"
    request = FakeOpenAI.requests[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["body"]["model"] == "gpt-4o-mini"
    system, user = request["body"]["messages"]
    assert system["role"] == "system" and "numbered passages" in system["content"]
    assert "[1] Phase gates for use cases > Pilot to production" in user["content"]


@pytest.fixture
def chroma_url(tmp_path: Path) -> Iterator[str]:
    if not CHROMA.exists() and shutil.which("chroma") is None:
        pytest.skip("the chroma CLI is not installed")
    binary = str(CHROMA) if CHROMA.exists() else str(shutil.which("chroma"))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "run",
            "--path",
            str(tmp_path / "chroma-server"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail("chroma run exited early")
                time.sleep(0.1)
        else:
            pytest.fail("chroma run did not start listening")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.slow
@pytest.mark.xdist_group("chroma")
def test_a_chroma_server_holds_the_index_for_every_replica(
    chroma_url: str, corpus: Path, tmp_path: Path
) -> None:
    writer = KnowledgeService(Settings(data_dir=tmp_path / "writer", chroma_url=chroma_url))
    report = writer.ingest([corpus])
    assert report.added == 4
    assert not (tmp_path / "writer" / "chroma").exists()  # nothing embedded locally

    # A replica with its own empty data dir sees the same index through the server.
    replica = KnowledgeService(Settings(data_dir=tmp_path / "replica", chroma_url=chroma_url))
    assert replica.chunk_count() == writer.chunk_count()
    answer = replica.ask("Which queue handles QZX-4471 tickets?")
    assert not answer.abstained
    assert answer.sources[0].source.endswith("codes.md")
    assert replica.health()[0] is True
