"""`KnowledgeService.ask_stream` through langchain's real OpenAI client against a fake
streaming (server-sent events) model server."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.service import Answer, KnowledgeService
from spinebot.settings import get_settings
from tests.harness.model_server import StreamingModelServer


def _service(base_url: str, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> KnowledgeService:
    monkeypatch.setenv("LLM_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv("LLM_BASE_URL", base_url)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    service = KnowledgeService(get_settings())
    service.ingest([corpus])
    return service


def test_the_reply_comes_word_by_word_then_the_cited_answer(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with StreamingModelServer() as model:
        service = _service(model.base_url, corpus, monkeypatch)
        items = list(service.ask_stream("When does a pilot move to production?"))
    *pieces, answer = items
    assert len(pieces) > 5 and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == model.reply
    assert isinstance(answer, Answer) and not answer.abstained
    assert answer.text == model.reply and answer.sources[0].section == "Pilot to production"
    assert model.requests[0]["stream"] is True


def test_a_model_outage_while_streaming_still_ends_in_an_extractive_answer(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with StreamingModelServer() as model:
        model.fail = True
        service = _service(model.base_url, corpus, monkeypatch)
        service.chat_model().max_retries = 0
        items = list(service.ask_stream("When does a pilot move to production?"))
    [answer] = items
    assert isinstance(answer, Answer) and not answer.abstained and answer.sources


def test_a_question_without_evidence_is_an_abstention_without_a_model_call(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with StreamingModelServer() as model:
        service = _service(model.base_url, corpus, monkeypatch)
        [answer] = list(service.ask_stream("Where do I park my bicycle on Tuesdays?"))
    assert isinstance(answer, Answer) and answer.abstained
    assert model.requests == []
