"""The knowledge service: what the Slack app, the console, jobs and the CLI call.

``ask`` retrieves, decides whether the evidence is strong enough, and writes a cited
answer (extractive, or with the configured chat model). ``ingest`` brings the index in
line with the documents on disk. The service is created once per process
(:func:`get_knowledge`) and is safe to call from many threads: heavy parts (Chroma
client, embedding model, keyword index, chat model) load lazily under a lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spinebot.settings import Settings, get_settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from knowledge.index import KnowledgeIndex
    from knowledge.retrieve import Hit, Retriever

log = logging.getLogger(__name__)

RELATED_PASSAGES = 3  # closest passages listed as related reading with an abstention
RELATED_MIN_SIMILARITY = 0.25  # below this a passage is not related, just nearest


@dataclass(frozen=True)
class Source:
    title: str
    source: str
    section: str
    text: str
    score: float
    url: str | None = None
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "source": self.source,
            "section": self.section,
            "text": self.text,
            "score": self.score,
            "url": self.url,
            "page": self.page,
        }

    @classmethod
    def from_hit(cls, hit: Hit) -> Source:
        chunk = hit.chunk
        is_link = chunk.source.startswith(("http://", "https://"))
        url = chunk.url or (chunk.source if is_link else None)
        return cls(
            title=chunk.title,
            source=chunk.source,
            section=chunk.section,
            text=chunk.text,
            score=round(hit.score, 4),
            url=url,
            page=chunk.page,
        )


@dataclass
class Answer:
    question: str
    text: str
    abstained: bool
    sources: list[Source]
    latency_ms: float
    confidence: float = 0.0
    # With an abstention: the closest passages, as related reading (not sources).
    related: list[Source] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "sources": [source.to_dict() for source in self.sources],
            "related": [source.to_dict() for source in self.related],
            "latency_ms": round(self.latency_ms, 1),
        }


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    skipped: int = 0
    chunks: int = 0
    seconds: float = 0.0
    failed: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        line = (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.skipped} unchanged; {self.chunks} chunks indexed in {self.seconds:.1f} s"
        )
        if self.failed:
            line += f"; {len(self.failed)} could not be read"
        return line


class KnowledgeService:
    def __init__(
        self,
        settings: Settings | None = None,
        *,
        chat_model: BaseChatModel | None = None,
        corpus_dir: Path | None = None,
    ) -> None:
        self.settings = settings or get_settings()
        self._corpus_dir = corpus_dir
        self._chat_model = chat_model
        self._lock = threading.Lock()
        self._index: KnowledgeIndex | None = None
        self._retriever: Retriever | None = None
        self._chat_ready = chat_model is not None

    # --- lazy parts ------------------------------------------------------------------

    @property
    def index(self) -> KnowledgeIndex:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    from knowledge.documents import CORPUS_DIR
                    from knowledge.index import KnowledgeIndex

                    self._index = KnowledgeIndex(
                        self.settings, corpus_dir=self._corpus_dir or CORPUS_DIR
                    )
        return self._index

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            index = self.index
            with self._lock:
                if self._retriever is None:
                    from knowledge.embeddings import get_embedder
                    from knowledge.retrieve import Retriever

                    embedder = get_embedder(self.settings.embeddings)
                    self._retriever = Retriever(
                        index, lambda text: embedder.embed([text])[0], embedder.embed
                    )
        return self._retriever

    def chat_model(self) -> Any:
        """The configured chat model (None: extractive answers), built on first use."""
        if not self._chat_ready:
            with self._lock:
                if not self._chat_ready:
                    self._chat_model = make_chat_model(self.settings)
                    self._chat_ready = True
        return self._chat_model

    # --- API -------------------------------------------------------------------------

    def ask(self, question: str, *, history: Sequence[str] = ()) -> Answer:
        """A cited answer, or an abstention when the index has no good evidence."""
        from knowledge.answer import (
            ABSTAIN_TEXT,
            NOT_SAID_TEXT,
            extractive_answer,
            llm_answer,
            supported,
        )

        started = time.perf_counter()
        question = " ".join(question.split())
        if not question:
            return Answer(question, ABSTAIN_TEXT, True, [], 0.0)
        retriever = self.retriever
        vector = retriever.query_vector(question)
        retrieval = retriever.search(
            question, history=history, budget=self.settings.context_budget_chars, vector=vector
        )
        state = self.index.state()
        embed = retriever.embed_many

        def done(
            text: str, hits: Sequence[Hit], abstained: bool, related: Sequence[Hit] = ()
        ) -> Answer:
            return Answer(
                question=question,
                text=text,
                abstained=abstained,
                sources=[Source.from_hit(hit) for hit in hits],
                latency_ms=(time.perf_counter() - started) * 1000,
                confidence=retrieval.confidence,
                related=[Source.from_hit(hit) for hit in related],
            )

        def related() -> list[Hit]:
            return [
                hit
                for hit in retrieval.hits[:RELATED_PASSAGES]
                if (hit.unit_similarity or hit.similarity or 0.0) >= RELATED_MIN_SIMILARITY
            ]

        if not retrieval.hits or retrieval.confidence < self.settings.answer_min_score:
            return done(ABSTAIN_TEXT, [], True, related())
        if not supported(question, retrieval.hits, state, vector=vector, embed=embed):
            return done(NOT_SAID_TEXT, [], True, retrieval.hits[:RELATED_PASSAGES])
        model = self.chat_model()
        if model is None:
            text, used = extractive_answer(
                question, retrieval.hits, state, vector=vector, embed=embed
            )
            return done(text, used, False)
        try:
            text, used, abstained = llm_answer(question, retrieval.hits, model, history)
        except Exception:  # a model outage must not cost the user an answer
            log.warning("chat model failed; answering extractively", exc_info=True)
            text, used = extractive_answer(
                question, retrieval.hits, state, vector=vector, embed=embed
            )
            return done(text, used, False)
        if abstained:
            return done(ABSTAIN_TEXT, [], True, related())
        return done(text, used, False)

    def ingest(
        self,
        paths: Sequence[Path] | None = None,
        *,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> IngestReport:
        """Index ``paths`` (default: the bundled corpus plus KNOWLEDGE_DIRS)."""
        started = time.perf_counter()
        roots = (
            [Path(p) for p in paths]
            if paths
            else [self.index.corpus_dir, *(Path(p) for p in self.settings.knowledge_dirs)]
        )
        counts = self.index.ingest(roots, progress)
        report = IngestReport(
            added=counts.added,
            updated=counts.updated,
            removed=counts.removed,
            skipped=counts.skipped,
            chunks=counts.chunks,
            seconds=time.perf_counter() - started,
            failed=counts.failed,
        )
        log.info("ingest: %s", report.summary())
        return report

    def chunk_count(self) -> int:
        return self.index.count()

    def health(self) -> tuple[bool, str]:
        try:
            count = self.chunk_count()
        except Exception as exc:  # reported by /healthz, not raised
            return False, f"index unavailable: {type(exc).__name__}"
        if count == 0:
            return False, "index is empty: run `spinebot ingest`"
        return True, f"{count} chunks indexed"


def make_chat_model(settings: Settings) -> Any:
    """``init_chat_model`` for LLM_MODEL, or None when no model is configured.

    An OpenAI-compatible server on LLM_BASE_URL often needs no key; the OpenAI client
    still insists on one, so a placeholder is passed when none is configured.
    """
    if not settings.llm_model:
        return None
    from langchain.chat_models import init_chat_model

    kwargs: dict[str, Any] = {"temperature": 0}
    if settings.llm_base_url:
        kwargs["base_url"] = settings.llm_base_url
    if settings.llm_api_key:
        kwargs["api_key"] = settings.llm_api_key
    try:
        return init_chat_model(settings.llm_model, **kwargs)
    except Exception as exc:
        if not settings.llm_base_url or "api_key" not in str(exc).lower():
            raise
        return init_chat_model(settings.llm_model, api_key="unused", **kwargs)


_service: KnowledgeService | None = None
_service_lock = threading.Lock()


def get_knowledge(settings: Settings | None = None) -> KnowledgeService:
    """The process-wide service (its index and model are loaded on first use)."""
    global _service
    with _service_lock:
        if _service is None:
            _service = KnowledgeService(settings)
        return _service


def reset_knowledge() -> None:
    global _service
    with _service_lock:
        _service = None


__all__ = [
    "Answer",
    "IngestReport",
    "KnowledgeService",
    "Source",
    "get_knowledge",
    "make_chat_model",
    "reset_knowledge",
]
