"""Hybrid retrieval: dense vectors and bm25 keywords, fused by reciprocal rank.

Dense search finds paraphrases; keyword search finds exact names, numbers and acronyms
that a small embedding model blurs. Reciprocal-rank fusion combines the two rankings
without having to make their scores comparable. Near-duplicate passages (overlapping
chunks, the same text ingested twice) are dropped, and the list is cut to the context
budget.

Ranks say nothing about whether the best passage actually answers the question, so a
separate *confidence* is computed from absolute evidence: the best passage's cosine
similarity to the question and how much of the question's rare-word weight it contains.
The answer writer abstains when confidence is below ``ANSWER_MIN_SCORE``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from knowledge.documents import Chunk
from knowledge.index import IndexState, KnowledgeIndex, tokenize

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("dense", "keyword", "hybrid")

POOL = 30  # candidates taken from each ranking before fusion
RRF_K = 5  # rank constant: smaller trusts the first ranks more (tuned on the eval set)
DENSE_RANK_WEIGHT = 1.0  # weight of the dense ranking in the fusion
KEYWORD_RANK_WEIGHT = 1.6  # bm25 ranks count more: exact terms are precise here
HISTORY_WEIGHT = 0.5  # a follow-up's thread context counts half as much as the question

# Confidence calibration (see bench/eval_retrieval.py): cosine similarity of MiniLM
# between a question and an answering passage is ~0.45-0.75, ~0.1-0.3 for unrelated
# text; ``coverage`` is the share of the question's idf mass found in the passage.
DENSE_FLOOR = 0.15
DENSE_CEIL = 0.65
DENSE_WEIGHT = 0.6


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused relevance in [0, 1] (1: first in every ranking)
    similarity: float | None  # cosine similarity to the question, when dense-ranked
    coverage: float  # share of the question's idf weight present in the chunk


@dataclass(frozen=True)
class Retrieval:
    query: str
    mode: Mode
    hits: list[Hit]
    confidence: float  # in [0, 1]; compare with settings.answer_min_score


def _rrf(rankings: Sequence[tuple[list[str], float]]) -> dict[str, float]:
    fused: dict[str, float] = {}
    for ids, weight in rankings:
        for rank, cid in enumerate(ids, start=1):
            fused[cid] = fused.get(cid, 0.0) + weight / (RRF_K + rank)
    return fused


def coverage(query_tokens: Sequence[str], chunk_tokens: set[str], state: IndexState) -> float:
    """Share of the question's idf mass found in a chunk: 1.0 when every term occurs.
    A term the corpus never contains weighs most, so off-topic questions score low."""
    unique = set(query_tokens)
    if not unique:
        return 0.0
    total = sum(state.idf(t) for t in unique)
    found = sum(state.idf(t) for t in unique if t in chunk_tokens)
    return found / total if total else 0.0


def dense_confidence(similarity: float) -> float:
    return float(np.clip((similarity - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR), 0.0, 1.0))


def _similar(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / len(a | b) >= 0.8


_WS = re.compile(r"\s+")


class Retriever:
    def __init__(self, index: KnowledgeIndex, embed_query) -> None:  # type: ignore[no-untyped-def]
        self.index = index
        self._embed_query = embed_query

    def search(
        self,
        query: str,
        *,
        mode: Mode = "hybrid",
        k: int = 8,
        history: Sequence[str] = (),
        budget: int | None = None,
    ) -> Retrieval:
        """The best passages for ``query`` (plus thread ``history`` as weaker context)."""
        state = self.index.state()
        if not state.chunks:
            return Retrieval(query, mode, [], 0.0)
        context = " ".join(history[-2:])[-500:] if history else ""
        q_tokens = tokenize(query)
        rankings: list[tuple[list[str], float]] = []
        similarity: dict[str, float] = {}
        if mode in ("hybrid", "dense"):
            vector = self._embed_query(query)
            dense = self.index.dense(vector, POOL)
            similarity.update(dense)
            rankings.append(([cid for cid, _ in dense], DENSE_RANK_WEIGHT))
            if context:
                dense_ctx = self.index.dense(self._embed_query(f"{context} {query}"), POOL)
                for cid, sim in dense_ctx:
                    similarity.setdefault(cid, sim)
                rankings.append(([cid for cid, _ in dense_ctx], HISTORY_WEIGHT * DENSE_RANK_WEIGHT))
        if mode in ("hybrid", "keyword"):
            keyword = self.index.keyword(q_tokens, POOL)
            rankings.append(([cid for cid, _ in keyword], KEYWORD_RANK_WEIGHT))
            if context:
                keyword_ctx = self.index.keyword(tokenize(f"{context} {query}"), POOL)
                rankings.append(
                    ([cid for cid, _ in keyword_ctx], HISTORY_WEIGHT * KEYWORD_RANK_WEIGHT)
                )
        fused = _rrf(rankings)
        best_possible = sum(weight for _, weight in rankings) / (RRF_K + 1)
        ordered = sorted(fused.items(), key=lambda item: -item[1])

        hits: list[Hit] = []
        kept_tokens: list[set[str]] = []
        used = 0
        limit = budget if budget is not None else 10**9
        for cid, raw in ordered:
            chunk = state.chunk(cid)
            if chunk is None:
                continue  # in Chroma but not yet in this process's snapshot
            tokens = set(tokenize(chunk.embed_text()))
            body = set(tokenize(chunk.text))
            if any(_similar(body, other) for other in kept_tokens):
                continue
            if hits and used + len(chunk.text) > limit:
                continue
            kept_tokens.append(body)
            used += len(chunk.text)
            hits.append(
                Hit(
                    chunk=chunk,
                    score=min(raw / best_possible, 1.0) if best_possible else 0.0,
                    similarity=similarity.get(cid),
                    coverage=coverage(q_tokens, tokens, state),
                )
            )
            if len(hits) >= k:
                break
        return Retrieval(query, mode, hits, self._confidence(mode, hits))

    @staticmethod
    def _confidence(mode: Mode, hits: Sequence[Hit]) -> float:
        """The best evidence among the top passages (not just the first)."""
        best = 0.0
        for hit in hits[:3]:
            dense = dense_confidence(hit.similarity) if hit.similarity is not None else 0.0
            if mode == "dense":
                value = dense
            elif mode == "keyword":
                value = hit.coverage
            else:
                value = DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * hit.coverage
            best = max(best, value)
        return round(best, 4)


__all__ = ["MODES", "Hit", "Mode", "Retrieval", "Retriever", "coverage", "dense_confidence"]
