"""Prometheus metrics: one module defines them all; callers use the ``record_*`` helpers.

The web process (``serve``) and the worker export the default registry at ``/metrics``.
Answers are finished in child processes (``ANSWER_PROCESSES``); their ``record_*`` calls
land in the child's own registry and are not exported (no multiprocess mode): answer
metrics are complete when ANSWER_PROCESSES=0 or when the parent records them.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

# Slack payload types → the surface label of the request metrics.
SURFACES = {
    "command": "command",
    "block_actions": "action",
    "view_submission": "view",
    "view_closed": "view",
    "shortcut": "shortcut",
    "message_action": "shortcut",
    "block_suggestion": "options",
    "event_callback": "event",
    "url_verification": "url_verification",
}

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
ANSWER_BUCKETS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0)

REQUESTS = Counter(
    "spinebot_requests_total",
    "Slack requests received, by surface (command, event, action, view, …) and HTTP status.",
    ["surface", "status"],
)
ACK_SECONDS = Histogram(
    "spinebot_ack_seconds",
    "Time from receiving a Slack request to sending its response (the ack).",
    ["surface"],
    buckets=ACK_BUCKETS,
)
ANSWERS = Counter(
    "spinebot_answers_total",
    "Questions answered, by outcome (answered, no_answer, error, …).",
    ["outcome"],
)
ANSWER_SECONDS = Histogram(
    "spinebot_answer_seconds",
    "Time to write an answer, by outcome.",
    ["outcome"],
    buckets=ANSWER_BUCKETS,
)
MODEL_TOKENS = Counter(
    "spinebot_model_tokens_total", "Model tokens used, by model and direction.", ["model", "kind"]
)
MODEL_COST = Counter("spinebot_model_cost_usd_total", "Model cost in US dollars.", ["model"])
RERANKS = Counter(
    "spinebot_rerank_total", "Questions put to the hosted reranker, by outcome.", ["outcome"]
)
DIGEST_RUNS = Counter(
    "spinebot_digest_runs_total",
    "Digest delivery attempts, by outcome (posted, reconciled, failed, unknown, …).",
    ["outcome"],
)
INGEST_DOCUMENTS = Counter(
    "spinebot_ingest_documents_total",
    "Documents seen by ingest, by result (indexed, unchanged, failed, removed).",
    ["result"],
)
INGEST_CHUNKS = Counter("spinebot_ingest_chunks_total", "Chunks written to the index.")
INGEST_FAILURES = Counter("spinebot_ingest_failures_total", "Documents that could not be read.")


def record_request(surface: str, status: int, seconds: float) -> None:
    REQUESTS.labels(surface=surface, status=str(status)).inc()
    ACK_SECONDS.labels(surface=surface).observe(seconds)


def record_answer(outcome: str, seconds: float) -> None:
    """One answered question: ``outcome`` such as answered, no_answer, refused, error."""
    ANSWERS.labels(outcome=outcome).inc()
    ANSWER_SECONDS.labels(outcome=outcome).observe(seconds)


def record_tokens(model: str, input_tokens: int, output_tokens: int, cost: float = 0.0) -> None:
    """Tokens and cost (USD) of one model call."""
    MODEL_TOKENS.labels(model=model, kind="input").inc(max(0, input_tokens))
    MODEL_TOKENS.labels(model=model, kind="output").inc(max(0, output_tokens))
    if cost > 0:
        MODEL_COST.labels(model=model).inc(cost)


def record_rerank(outcome: str) -> None:
    """One question put to the hosted reranker: ``ok``, ``failed`` or ``skipped`` (cooling
    down after a failure)."""
    RERANKS.labels(outcome=outcome).inc()


def record_digest_run(outcome: str) -> None:
    DIGEST_RUNS.labels(outcome=outcome).inc()


def record_ingest(*, indexed: int, unchanged: int, failed: int, removed: int, chunks: int) -> None:
    for result, count in (
        ("indexed", indexed),
        ("unchanged", unchanged),
        ("failed", failed),
        ("removed", removed),
    ):
        if count:
            INGEST_DOCUMENTS.labels(result=result).inc(count)
    if chunks:
        INGEST_CHUNKS.inc(chunks)
    if failed:
        INGEST_FAILURES.inc(failed)


def exposition() -> tuple[bytes, str]:
    """The body and content type of ``GET /metrics``."""
    return generate_latest(), CONTENT_TYPE_LATEST
