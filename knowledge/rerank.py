"""An optional hosted reranker: a cross-encoder behind a Cohere-compatible ``/rerank`` API.

Off by default (``RERANK_URL`` empty): nothing leaves the machine and answers come from the
offline hybrid ranking. Set ``RERANK_URL`` to a rerank endpoint (Cohere's ``/v2/rerank``,
Jina's ``/v1/rerank``, or a self-hosted vLLM, Infinity or LocalAI server) and the best
``RERANK_CANDIDATES`` passages of each question are put in the order of the reranker's
relevance score before the answer is written. A cross-encoder reads the question and the
passage together, which a sentence embedding cannot: it is the usual cure for an answer that
cites roughly the right document but not the passage that says the thing asked.

With ``RERANK_MIN_SCORE`` above 0, a question whose best passage scores below it is answered
with "the knowledge base does not say" (the passages as related reading): a cross-encoder's
score tells a passage that answers from one that is merely about the subject.

A reranker that fails (down, slow, an HTTP error, a body that is not a ranking) costs the
user nothing: the offline order is kept, one warning line is logged, and the reranker is not
asked again for ``COOLDOWN_SECONDS``, so an outage does not add its timeout to every answer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx

log = logging.getLogger(__name__)

COOLDOWN_SECONDS = 30.0  # after a failure, answers skip the reranker this long
MAX_DOCUMENT_CHARS = 4000  # a passage is sent up to this long (chunks are ~1,000)


class RerankError(RuntimeError):
    """The reranker gave no usable ranking (the message is one line for the log)."""


class Reranker:
    """Relevance scores for passages from a rerank endpoint; thread-safe."""

    def __init__(
        self,
        url: str,
        *,
        model: str = "",
        api_key: str = "",
        timeout: float = 3.0,
        candidates: int = 12,
        cooldown: float = COOLDOWN_SECONDS,
    ) -> None:
        self.url = url
        self.model = model
        self.candidates = candidates  # passages per question put in the reranker's order
        self.cooldown = cooldown
        headers = {"Content-Type": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self._client = httpx.Client(timeout=timeout, headers=headers)
        self._lock = threading.Lock()
        self._resume_at = 0.0

    def scores(self, query: str, documents: Sequence[str]) -> list[float] | None:
        """One relevance score per document, or None when the reranker is unusable (the
        caller keeps its own order). Never raises."""
        if not documents:
            return []
        from spinebot.metrics import record_rerank

        with self._lock:
            if time.monotonic() < self._resume_at:
                record_rerank("skipped")
                return None
        try:
            scores = self._ask(query, documents)
        except RerankError as exc:
            record_rerank("failed")
            with self._lock:
                self._resume_at = time.monotonic() + self.cooldown
            log.warning(
                "reranker unavailable, answers use the offline ranking for %.0f s: %s",
                self.cooldown,
                exc,
            )
            return None
        record_rerank("ok")
        return scores

    def _ask(self, query: str, documents: Sequence[str]) -> list[float]:
        body: dict[str, Any] = {
            "query": query,
            "documents": [d[:MAX_DOCUMENT_CHARS] for d in documents],
            "top_n": len(documents),
        }
        if self.model:
            body["model"] = self.model
        try:
            response = self._client.post(self.url, json=body)
        except httpx.TimeoutException:
            raise RerankError(f"no reply from {self.url} within the timeout") from None
        except httpx.HTTPError as exc:
            raise RerankError(f"cannot reach {self.url} ({type(exc).__name__})") from None
        if response.status_code != 200:
            raise RerankError(f"{self.url} answered HTTP {response.status_code}")
        try:
            return parse_scores(response.json(), len(documents))
        except ValueError as exc:
            raise RerankError(f"{self.url} sent no ranking ({exc})") from None


def parse_scores(payload: Any, count: int) -> list[float]:
    """Scores by document position from a rerank reply: Cohere/Jina/vLLM
    ``{"results": [{"index", "relevance_score"}]}``, Voyage's ``{"data": [...]}`` or a bare
    list of ``{"index", "score"}`` (Hugging Face TEI). A document the reply leaves out
    scores 0; an index out of range or a score that is not a number is refused."""
    items = payload
    if isinstance(payload, dict):
        items = payload.get("results", payload.get("data"))
    if not isinstance(items, list):
        raise ValueError("no results list")
    scores = [0.0] * count
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("a result is not an object")
        index = item.get("index")
        score = item.get("relevance_score", item.get("score"))
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
            raise ValueError(f"index {index!r} out of range")
        if not isinstance(score, int | float) or isinstance(score, bool) or score != score:
            raise ValueError(f"score {score!r} is not a number")
        scores[index] = float(score)
    return scores


__all__ = ["COOLDOWN_SECONDS", "RerankError", "Reranker", "parse_scores"]
