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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.llm import ModelUsage, describe_error
from spinebot.settings import Settings, get_settings

if TYPE_CHECKING:
    import numpy as np
    from langchain_core.language_models import BaseChatModel

    from knowledge.embeddings import TokenEmbedder
    from knowledge.index import KnowledgeIndex
    from knowledge.notes import NoteOutcome, NoteThread
    from knowledge.rerank import Reranker
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
        from knowledge.documents import safe_url

        chunk = hit.chunk
        url = safe_url(chunk.url) or safe_url(chunk.source)
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
    # Tokens (and their price) of the model calls behind this answer; None: no model
    # was called (extractive answers, abstentions before the model, a failed call).
    usage: ModelUsage | None = None
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
            "usage": self.usage.to_dict() if self.usage else None,
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
    too_large: list[tuple[str, str]] = field(default_factory=list)  # over an ingest limit

    @property
    def ok(self) -> bool:
        """Every document found was indexed (or was unchanged)."""
        return not self.failed and not self.too_large

    def summary(self) -> str:
        line = (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.skipped} unchanged; {self.chunks} chunks indexed in {self.seconds:.1f} s"
        )
        if self.failed:
            line += f"; {len(self.failed)} could not be read"
        if self.too_large:
            line += f"; {len(self.too_large)} skipped over a size limit"
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
        self._reranker: Reranker | None = None
        self._reranker_ready = False
        self._notes_lock = threading.Lock()

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
                    from knowledge.embeddings import get_embedder, token_embedder
                    from knowledge.retrieve import Retriever

                    embedder = get_embedder(self.settings.embeddings)
                    pieces = token_embedder(embedder)
                    if pieces is None:
                        self._retriever = Retriever(
                            index, lambda text: embedder.embed([text])[0], embedder.embed
                        )
                    else:
                        embed_query, question_pieces = _one_run_per_question(pieces)
                        self._retriever = Retriever(
                            index,
                            embed_query,
                            embed_many=embedder.embed,
                            token_vectors=question_pieces,
                        )
        return self._retriever

    @property
    def reranker(self) -> Reranker | None:
        """The hosted reranker of RERANK_URL (None when unset), built on first use."""
        if not self._reranker_ready:
            with self._lock:
                if not self._reranker_ready:
                    if self.settings.rerank_url:
                        from knowledge.rerank import Reranker

                        self._reranker = Reranker(
                            self.settings.rerank_url,
                            model=self.settings.rerank_model,
                            api_key=self.settings.rerank_api_key,
                            timeout=self.settings.rerank_timeout_seconds,
                            candidates=self.settings.rerank_candidates,
                        )
                    self._reranker_ready = True
        return self._reranker

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
        for item in self._answer(question, history, stream=False):
            if isinstance(item, Answer):
                return item
        raise AssertionError("_answer always ends with an Answer")  # pragma: no cover

    def ask_stream(self, question: str, *, history: Sequence[str] = ()) -> Iterator[str | Answer]:
        """Like :meth:`ask`, but a chat model's reply comes as it is written: text
        deltas (``str``) first, then the final :class:`Answer` (always last, always
        there). Abstentions and extractive answers are just the final Answer. A model
        failing before or during the reply falls back to the extractive answer."""
        yield from self._answer(question, history, stream=True)

    def _answer(
        self, question: str, history: Sequence[str], *, stream: bool
    ) -> Iterator[str | Answer]:
        """The one answer path behind :meth:`ask` and :meth:`ask_stream`."""
        from knowledge.answer import (
            ABSTAIN_TEXT,
            NOT_SAID_TEXT,
            answer_has_focus,
            build_messages,
            cite_reply,
            confidence_bar,
            extractive_answer,
            reply_text,
            supported,
        )
        from knowledge.llm import UsageRecorder, usage_callbacks

        started = time.perf_counter()
        question = " ".join(question.split())
        if not question:
            yield Answer(question, ABSTAIN_TEXT, True, [], 0.0)
            return
        retriever = self.retriever
        vector = retriever.query_vector(question)
        retrieval = retriever.search(
            question,
            history=history,
            budget=self.settings.context_budget_chars,
            vector=vector,
            rerank=self.reranker,
        )
        state = self.index.state()
        embed = retriever.embed_many

        def done(
            text: str,
            hits: Sequence[Hit],
            abstained: bool,
            usage: ModelUsage | None = None,
            related: Sequence[Hit] = (),
        ) -> Answer:
            return Answer(
                question=question,
                text=text,
                abstained=abstained,
                sources=[Source.from_hit(hit) for hit in hits],
                latency_ms=(time.perf_counter() - started) * 1000,
                confidence=retrieval.confidence,
                usage=usage,
                related=[Source.from_hit(hit) for hit in related],
            )

        def related() -> list[Hit]:
            return [
                hit
                for hit in retrieval.hits[:RELATED_PASSAGES]
                if (hit.unit_similarity or hit.similarity or 0.0) >= RELATED_MIN_SIMILARITY
            ]

        def extractive() -> tuple[str, list[Hit]]:
            return extractive_answer(question, retrieval.hits, state, vector=vector, embed=embed)

        bar = confidence_bar(question, state, self.settings.answer_min_score)
        if not retrieval.hits or retrieval.confidence < bar:
            yield done(ABSTAIN_TEXT, [], True, related=related())
            return
        if (
            retrieval.rerank_best is not None
            and retrieval.rerank_best < self.settings.rerank_min_score
        ):
            # the cross-encoder read each passage with the question: none answers it
            yield done(NOT_SAID_TEXT, [], True, related=retrieval.hits[:RELATED_PASSAGES])
            return
        if not supported(question, retrieval.hits, state, vector=vector, embed=embed):
            yield done(NOT_SAID_TEXT, [], True, related=retrieval.hits[:RELATED_PASSAGES])
            return
        try:
            model = self.chat_model()
        except Exception as exc:  # e.g. credentials gone since start-up: answer anyway
            log.warning("chat model unusable, answered extractively: %s", describe_error(exc))
            model = None
        if model is None:
            text, used = extractive()
            if not answer_has_focus(question, text, state.house_names):
                yield done(NOT_SAID_TEXT, [], True, related=retrieval.hits[:RELATED_PASSAGES])
                return
            yield done(text, used, False)
            return
        recorder = UsageRecorder()
        config = {"callbacks": usage_callbacks(recorder)}
        messages = build_messages(question, retrieval.hits, history)
        try:
            if stream:
                written: list[str] = []
                for chunk in model.stream(messages, config=config):
                    piece = reply_text(chunk)
                    if piece:
                        written.append(piece)
                        yield piece
                reply = "".join(written)
            else:
                reply = reply_text(model.invoke(messages, config=config))
            text, used, abstained = cite_reply(reply, retrieval.hits)
        except Exception as exc:  # a model outage must not cost the user an answer
            # One line, no traceback: the console shows warnings to its user.
            log.warning("chat model unavailable, answered extractively: %s", describe_error(exc))
            text, used = extractive()
            yield done(text, used, False, recorder.usage(self.settings, self.settings.llm_model))
            return
        usage = recorder.usage(self.settings, self.settings.llm_model)
        if abstained:
            yield done(ABSTAIN_TEXT, [], True, usage, related=related())
            return
        yield done(text, used, False, usage)

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
            too_large=counts.too_large,
        )
        log.info("ingest: %s", report.summary())
        from spinebot.metrics import record_ingest

        record_ingest(
            indexed=report.added + report.updated,
            unchanged=report.skipped,
            failed=len(report.failed),
            removed=report.removed,
            chunks=report.chunks,
        )
        return report

    # --- knowledge notes (Slack threads saved by spine admins; see knowledge.notes) ---

    def add_note(self, thread: NoteThread, *, added_by: str) -> NoteOutcome:
        """Index the thread as a note citing its permalink and record it (with the
        knowledge gap it closes); ``empty`` when no person has replied yet."""
        from knowledge.models import KnowledgeNote
        from knowledge.notes import NoteOutcome, gap_for, note_document, save_note

        doc = note_document(thread)
        if doc is None:
            return NoteOutcome("empty")
        self.index.put_document(doc)
        root = thread.messages[0].text if thread.messages else ""
        gap = gap_for(thread.channel_id, thread.thread_ts, root)
        replies = sum(1 for m in thread.messages[1:] if not m.bot)
        save_note(
            KnowledgeNote(
                channel_id=thread.channel_id,
                thread_ts=thread.thread_ts,
                source=doc.source,
                title=doc.title,
                permalink=doc.url or "",
                added_by=added_by,
                replies=replies,
                gap_question_id=gap[0] if gap else None,
                gap_question=gap[1] if gap else None,
            )
        )
        log.info("knowledge note %s added (%d replies)", doc.source, replies)
        return NoteOutcome(
            "added", doc.title, doc.url, replies, gap_question=gap[1] if gap else None
        )

    def remove_note(self, channel_id: str, thread_ts: str) -> NoteOutcome:
        """Take a saved thread out of the index, then out of the record."""
        from knowledge.notes import NoteOutcome, delete_note, find_note, note_source

        note = find_note(channel_id, thread_ts)
        self.index.remove_source(note_source(channel_id, thread_ts))
        delete_note(channel_id, thread_ts)
        log.info("knowledge note %s removed", note_source(channel_id, thread_ts))
        return NoteOutcome(
            "removed",
            note.title if note else "",
            note.permalink if note else None,
            note.replies if note else 0,
            note.gap_question if note else None,
        )

    def toggle_note(
        self,
        channel_id: str,
        thread_ts: str,
        *,
        added_by: str,
        fetch: Callable[[], NoteThread],
    ) -> NoteOutcome:
        """The shortcut's one path: a saved thread is removed, any other is read with
        ``fetch`` and added. Presses on one thread are taken one at a time."""
        from knowledge.notes import find_note

        with self._notes_lock:
            if find_note(channel_id, thread_ts) is not None:
                return self.remove_note(channel_id, thread_ts)
            return self.add_note(fetch(), added_by=added_by)

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


def _one_run_per_question(
    pieces: TokenEmbedder,
) -> tuple[Callable[[str], np.ndarray], Callable[[list[str]], list[np.ndarray]]]:
    """The question's vector and its word pieces from one run of the model: the
    retriever asks for the vector first, then (late interaction) for the pieces."""

    @lru_cache(maxsize=64)
    def run(text: str) -> tuple[np.ndarray, np.ndarray]:
        vectors, rows = pieces.embed_with_tokens([text])
        return vectors[0], rows[0]

    def token_vectors(texts: list[str]) -> list[np.ndarray]:
        if len(texts) == 1:
            return [run(texts[0])[1]]
        return pieces.token_vectors(texts)

    return (lambda text: run(text)[0].copy()), token_vectors  # a copy: callers may scale it


def make_chat_model(settings: Settings) -> Any:
    """``init_chat_model`` for LLM_MODEL, or None when no model is configured
    (see :mod:`knowledge.llm`)."""
    from knowledge.llm import make_chat_model as make

    return make(settings)


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
