"""The metric helpers other packages call, as Prometheus scrapes them."""

from __future__ import annotations

from prometheus_client import REGISTRY

from spinebot import metrics


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_answers_tokens_and_cost_are_counted_by_label() -> None:
    before = value("spinebot_answers_total", outcome="answered")
    metrics.record_answer("answered", 1.5)
    metrics.record_tokens("openai:gpt-4o-mini", 1200, 300, cost=0.0042)
    assert value("spinebot_answers_total", outcome="answered") == before + 1
    assert value("spinebot_model_tokens_total", model="openai:gpt-4o-mini", kind="input") >= 1200
    assert value("spinebot_model_cost_usd_total", model="openai:gpt-4o-mini") >= 0.0042


def test_ingest_counts_documents_chunks_and_failures() -> None:
    chunks = value("spinebot_ingest_chunks_total")
    failures = value("spinebot_ingest_failures_total")
    metrics.record_ingest(indexed=3, unchanged=1, failed=2, removed=0, chunks=40)
    assert value("spinebot_ingest_chunks_total") == chunks + 40
    assert value("spinebot_ingest_failures_total") == failures + 2
    body, ctype = metrics.exposition()
    assert (
        ctype.startswith("text/plain")
        and b'spinebot_ingest_documents_total{result="indexed"}' in body
    )


def test_a_real_ingest_is_counted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from knowledge.service import KnowledgeService, reset_knowledge
    from spinebot.settings import get_settings

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "gates.md").write_text("# Gates\n\nA pilot needs four weeks of value.\n")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    indexed = value("spinebot_ingest_documents_total", result="indexed")
    failures = value("spinebot_ingest_failures_total")
    reset_knowledge()
    report = KnowledgeService(get_settings()).ingest([docs])
    assert value("spinebot_ingest_documents_total", result="indexed") == indexed + report.added
    assert report.added == 1 and value("spinebot_ingest_failures_total") == failures + 1
