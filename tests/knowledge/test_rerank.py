"""The optional hosted reranker, through real HTTP to a fake Cohere-style /rerank server."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from knowledge.answer import NOT_SAID_TEXT
from knowledge.rerank import parse_scores
from knowledge.service import KnowledgeService
from spinebot.settings import get_settings

QUESTION = "When does a pilot move to production?"


class FakeReranker:
    """POST /v2/rerank: each document scores ``high`` when it holds ``favour`` (else
    ``low``); ``status``, ``body`` (raw reply) and ``delay`` make it fail."""

    def __init__(self) -> None:
        self.favour = "dropped"
        self.high, self.low = 0.9, 0.05
        self.status = 200
        self.body: bytes | None = None
        self.delay = 0.0
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server naming
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length))
                fake.requests.append(
                    {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
                )
                time.sleep(fake.delay)
                results = [
                    {"index": i, "relevance_score": fake.high if fake.favour in d else fake.low}
                    for i, d in enumerate(body["documents"])
                ]
                results.sort(key=lambda r: -r["relevance_score"])
                data = fake.body if fake.body is not None else json.dumps({"results": results})
                raw = data if isinstance(data, bytes) else data.encode()
                try:
                    self.send_response(fake.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout case)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v2/rerank"


@pytest.fixture
def reranker(monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> Iterator[FakeReranker]:
    fake = FakeReranker()
    monkeypatch.setenv("RERANK_URL", fake.url)
    monkeypatch.setenv("RERANK_MODEL", "rerank-v3.5")
    monkeypatch.setenv("RERANK_API_KEY", "test-key")
    monkeypatch.setenv("RERANK_TIMEOUT_SECONDS", "0.5")
    get_settings.cache_clear()
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
    get_settings.cache_clear()


def _service(corpus: Path) -> KnowledgeService:
    service = KnowledgeService(get_settings())
    service.ingest([corpus])
    return service


def test_without_a_rerank_url_no_reranker_is_built(service: KnowledgeService) -> None:
    assert service.reranker is None
    assert service.ask(QUESTION).sources[0].section == "Pilot to production"


def test_the_answer_cites_the_passages_in_the_rerankers_order(
    reranker: FakeReranker, corpus: Path
) -> None:
    service = _service(corpus)
    assert not service.ask(QUESTION).abstained
    assert len(reranker.requests) == 1  # the answer asked the reranker
    # the offline ranking puts the phase gates first; the reranker prefers dropping
    assert service.retriever.search(QUESTION).hits[0].chunk.title == "Phase gates for use cases"
    reranked = service.retriever.search(QUESTION, rerank=service.reranker)
    assert reranked.hits[0].chunk.title == "Dropping a use case"
    assert reranked.rerank_best == 0.9
    request = reranker.requests[0]
    assert request["path"] == "/v2/rerank"
    assert request["auth"] == "Bearer test-key"
    body = request["body"]
    assert body["model"] == "rerank-v3.5" and body["query"] == QUESTION
    assert body["top_n"] == len(body["documents"]) >= 2
    # each passage goes with its title and section, as it is embedded
    assert any(
        d.startswith("Phase gates for use cases > Pilot to production\n") for d in body["documents"]
    )


def test_a_question_no_passage_answers_by_the_rerankers_score_says_so(
    reranker: FakeReranker, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RERANK_MIN_SCORE", "0.3")
    get_settings.cache_clear()
    service = _service(corpus)
    reranker.favour = "no passage holds this"
    answer = service.ask(QUESTION)
    assert answer.abstained and answer.text == NOT_SAID_TEXT
    assert not answer.sources and answer.related
    reranker.favour = "four weeks"
    assert not service.ask(QUESTION).abstained  # the same gate lets an answering passage by


@pytest.mark.parametrize(
    ("fault", "why"),
    [
        ({"status": 500}, "answered HTTP 500"),
        ({"status": 401}, "answered HTTP 401"),
        ({"body": b"<html>gateway</html>"}, "sent no ranking"),
        ({"body": b'{"results": [{"index": 99, "relevance_score": 1}]}'}, "sent no ranking"),
        ({"body": b'{"results": [{"index": 0, "relevance_score": "high"}]}'}, "sent no ranking"),
        ({"delay": 1.5}, "within the timeout"),
    ],
)
def test_a_failing_reranker_costs_no_answer_and_is_rested(
    reranker: FakeReranker,
    corpus: Path,
    caplog: pytest.LogCaptureFixture,
    fault: dict[str, Any],
    why: str,
) -> None:
    service = _service(corpus)
    for name, value in fault.items():
        setattr(reranker, name, value)
    with caplog.at_level(logging.WARNING, logger="knowledge.rerank"):
        answer = service.ask(QUESTION)
    assert not answer.abstained
    assert answer.sources[0].section == "Pilot to production"  # the offline order
    [record] = [r for r in caplog.records if r.name == "knowledge.rerank"]
    assert "reranker unavailable" in record.getMessage() and why in record.getMessage()
    assert record.exc_info is None and "\n" not in record.getMessage()
    asked = len(reranker.requests)
    again = service.ask(QUESTION)  # within the cool-down: not asked, no new warning
    assert not again.abstained and len(reranker.requests) == asked
    assert len([r for r in caplog.records if r.name == "knowledge.rerank"]) == 1


def test_an_unreachable_reranker_is_one_warning_line(
    corpus: Path,
    monkeypatch: pytest.MonkeyPatch,
    isolated_env: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("RERANK_URL", "http://127.0.0.1:9/v2/rerank")  # discard port: refused
    get_settings.cache_clear()
    service = _service(corpus)
    with caplog.at_level(logging.WARNING, logger="knowledge.rerank"):
        answer = service.ask(QUESTION)
    assert not answer.abstained and answer.sources
    assert "cannot reach http://127.0.0.1:9/v2/rerank" in caplog.text


def test_rerank_replies_of_each_common_shape_give_scores_by_position() -> None:
    cohere = {
        "results": [{"index": 2, "relevance_score": 0.8}, {"index": 0, "relevance_score": 0.1}]
    }
    assert parse_scores(cohere, 3) == [0.1, 0.0, 0.8]  # left out: 0
    voyage = {"data": [{"index": 1, "relevance_score": 0.5}]}
    assert parse_scores(voyage, 2) == [0.0, 0.5]
    tei = [{"index": 0, "score": 0.25}, {"index": 1, "score": 0.75}]
    assert parse_scores(tei, 2) == [0.25, 0.75]
    for bad in ({"results": [{"index": True, "score": 1}]}, {"error": "quota"}, [1, 2]):
        with pytest.raises(ValueError):
            parse_scores(bad, 2)
