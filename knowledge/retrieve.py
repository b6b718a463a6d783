"""Hybrid retrieval: dense vectors, sentence vectors and bm25 keywords, fused by score.

Dense search finds paraphrases; keyword search (Snowball-stemmed, with a small map for
vocabulary gaps such as "kill criteria" / drop rules) finds exact names, numbers and
acronyms that a small embedding model blurs. The candidates of both are then scored
small-to-big: MiniLM is a sentence model, so each chunk is also scored by its best
sentence or list (unit vectors stored at ingest), and the chunk is returned. The three
scores are fused as a weighted sum after normalising bm25 by the question's best bm25
score (cosines are already on one scale). Near-duplicate passages (overlapping chunks,
the same text ingested twice) are dropped, and the list is cut to the context budget.

Ranks say nothing about whether the best passage actually answers the question, so a
separate *confidence* is computed from absolute evidence: the best passage's cosine
similarity to the question and how much of the question's rare-word weight it contains.
The answer writer abstains when confidence is below ``ANSWER_MIN_SCORE``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np

from knowledge.documents import Chunk
from knowledge.focus import focus_of
from knowledge.headings import heading_of
from knowledge.index import IndexState, KnowledgeIndex, tokenize
from knowledge.passages import cached_units
from knowledge.quantities import restate

if TYPE_CHECKING:
    from knowledge.rerank import Reranker

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("dense", "keyword", "hybrid")

POOL = 30  # candidates taken from each ranking before fusion
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
    unit_similarity: float | None = None  # cosine of the chunk's best unit (sentence)


@dataclass(frozen=True)
class Retrieval:
    query: str
    mode: Mode
    hits: list[Hit]
    confidence: float  # in [0, 1]; compare with settings.answer_min_score
    rerank_best: float | None = None  # the reranker's best score (None: not reranked)


def coverage(query_tokens: Sequence[str], chunk_tokens: set[str], state: IndexState) -> float:
    """Share of the question's idf mass found in a chunk: 1.0 when every term occurs.
    A term the corpus never contains weighs most, so off-topic questions score low."""
    unique = set(query_tokens)
    if not unique:
        return 0.0
    total = sum(state.idf(t) for t in unique)
    found = sum(state.idf(t) for t in unique if t in chunk_tokens)
    return found / total if total else 0.0


@lru_cache(maxsize=65536)
def unit_tokens(text: str) -> frozenset[str]:
    return frozenset(tokenize(text))


def dense_confidence(similarity: float) -> float:
    return float(np.clip((similarity - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR), 0.0, 1.0))


def _similar(a: set[str], b: set[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / len(a | b) >= 0.8


_WS = re.compile(r"\s+")


# Small, generic vocabulary gaps between how people ask and how playbooks are written.
# Keys and values are plain words; both sides are stemmed like the index. Expansion
# terms count EXPANSION_WEIGHT of a question term in the keyword score.
EXPANSIONS: dict[str, tuple[str, ...]] = {
    "kill": ("drop", "stop", "retire"),
    "criteria": ("rule", "condition", "threshold"),
    "fund": ("budget", "funding", "pay", "finance"),
    "pay": ("fund", "budget", "cost"),
    "budget": ("fund", "funding", "pay"),
    "finance": ("fund", "budget"),
    "cheap": ("cost",),
    "expensive": ("cost",),
    "spend": ("cost",),
    "bill": ("invoice", "charge"),
    "invoice": ("bill",),
    "kpi": ("metric", "measure"),
    "measure": ("metric",),
    "staff": ("employee", "people"),
    "employee": ("staff", "people"),
    "boss": ("manager", "management"),
    "requirement": ("gate", "criteria", "require"),
    "prerequisite": ("gate", "require"),
    "step": ("phase", "stage"),
    "stage": ("phase", "step"),
    "retire": ("drop", "stop"),
    "stop": ("drop",),
    "cancel": ("drop", "stop"),
    "scale": ("scaling", "platform"),
    "risky": ("risk",),
    "approve": ("review", "sign"),
    "approval": ("review", "sign"),
    "sign": ("approval", "approve"),  # a sign-off
    # how policies are asked about and how they are written
    "keep": ("retain", "retention", "store"),
    "kept": ("retain", "retention", "store"),
    "retain": ("keep", "store"),
    "bend": ("exception",),
    "waiver": ("exception",),
    "exemption": ("exception",),
    "roll": ("carry",),
    "unspent": ("unused", "remaining", "left"),
    "leftover": ("unused", "remaining"),
    "limit": ("threshold", "maximum", "cap"),
    "forbid": ("prohibit", "allowed"),
    "allow": ("permit", "may"),
    "contact": ("call", "email", "reach"),
    "deadline": ("within", "due"),
    "trial": ("pilot",),
    "money": ("budget", "allowance"),
    "latency": ("response",),
    "response": ("latency",),
    "consecutive": ("row", "succession", "running"),
    "aim": ("target", "goal"),
    "goal": ("target", "aim"),
    "succession": ("row", "consecutive"),
    "challenge": ("appeal", "disagree", "dispute"),
    "contest": ("appeal", "disagree", "dispute"),
    "dispute": ("appeal", "disagree", "contest"),
    "necessary": ("require", "need"),
    "mandatory": ("require", "must"),
    "reject": ("refuse", "decline", "deny"),
    "refuse": ("reject", "decline", "deny"),
}
EXPANSION_WEIGHT = 0.5

# Fusion of normalised scores (chosen on bench/eval/questions.jsonl + dev_extra.jsonl):
# the chunk's cosine, its best unit's cosine (small-to-big) and its bm25 score divided
# by the best bm25 score for the question.
# Re-chosen on questions.jsonl, dev_extra.jsonl and fold 1 of the seed and company sets
# (bench/eval/README.md), never on heldout.jsonl or fold 2.
W_DENSE = 0.6
W_UNIT = 0.8
W_KEYWORD = 0.2
W_COVERAGE = 0.2  # share of the question's idf mass in the chunk (with its headings)
W_UNIT_LEX = 0.3  # ... in its best single sentence (the words asked about, together)
W_HEADING = 0.6  # cosine of the question to the chunk's "title > section"
W_FOCUS = 0.4  # a sentence holds exactly the fact a typed question wants (knowledge.focus)
W_ENTITY = 0.3  # the chunk names what the question names ("Prosus", "Gojek")
# the chunk uses the question's adjacent word pairs ("pet claims", "output filter") as
# pairs: bm25 and the coverage count words apart. Chosen on fold 1 and dev (0.1-0.6 all
# helped the company documents' ranking by 2-5 of 398 questions, the seeds by -1 to +1)
W_PAIRS = 0.2
NAME_DF = 3  # a capitalised question word in at most this many chunks is a rare name
UNIT_POOL = 20  # candidates whose units are scored
LAZY_UNITS = 3  # per question, chunks without stored unit vectors embedded on the spot
LAZY_HEADINGS = 4  # ... and headings without a stored vector
# Late interaction (ColBERT-style, on MiniLM's own word-piece states): the best few are
# re-ordered by how well each question word finds its match somewhere in the passage
# (the mean over the question's content pieces of the best cosine to the passage's).
# The scores are standardised over those few and added with this weight. Chosen on
# fold 1 and dev (bench/eval/README.md). MiniLM's mean pooling loses which words
# matched; this gives some of it back: on fold 2 (held out), the ranking's hit@1 rose by
# 4-6 points on the seeds in every format and by 3.5 on the company documents.
TOKEN_POOL = 5
W_TOKENS = 0.1
CONFIDENCE_HITS = 3  # the confidence weighs the evidence of this many passages


@lru_cache(maxsize=1)
def _expansion_stems() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = {}
    for key, values in EXPANSIONS.items():
        stems = tokenize(key)
        if stems:
            out[stems[0]] = tuple(t for v in values for t in tokenize(v))
    return out


@lru_cache(maxsize=1)
def _expansion_words() -> dict[str, tuple[str, ...]]:
    """Stem of a key -> its expansions as words (for embedding a rewritten question)."""
    out: dict[str, tuple[str, ...]] = {}
    for key, values in EXPANSIONS.items():
        stems = tokenize(key)
        if stems:
            out[stems[0]] = values
    return out


# a capitalised word inside a question (not its first word): "GSK", "T-Mobile's"
NAME_IN_Q = re.compile(r"(?<=\s)(?!(?:AI|ML|LLM|I)\b)[A-Z][\w&-]*")


def _names(query: str, state: IndexState) -> set[str]:
    """Stems of the rare capitalised words of a question: "which areas does Prosus ..."."""
    found = {t for w in NAME_IN_Q.findall(query) for t in tokenize(w)}
    return {t for t in found if 0 < state.df.get(t, 0) <= NAME_DF}


def expand(tokens: Sequence[str], question: str = "") -> list[str]:
    """Extra keyword terms for the question's words (none already in the question); with
    the ``question`` itself, also its durations and shares in other units ("three
    months": "90 days", :func:`knowledge.quantities.restate`)."""
    table = _expansion_stems()
    have = set(tokens)
    extra: list[str] = []
    for token in tokens:
        for other in table.get(token, ()):
            if other not in have and other not in extra:
                extra.append(other)
    for phrase in restate(question) if question else ():
        for other in tokenize(phrase):
            if other not in have and other not in extra:
                extra.append(other)
    return extra


@dataclass
class Candidate:
    position: int
    similarity: float | None  # chunk cosine (None: not in the dense pool)
    keyword: float  # bm25 / best bm25, in [0, 1]
    unit: float = 0.0  # best unit cosine
    coverage: float = 0.0
    unit_lex: float = 0.0  # share of the question's idf mass in the best unit
    heading: float = 0.0  # cosine of "title > section"
    focus: float = 0.0  # 1.0 when a unit holds the fact the question's focus wants
    entity: float = 0.0  # share of the rare names the question asks about in the chunk
    tokens: float = 0.0  # late interaction: mean best word-piece cosine (top TOKEN_POOL)
    pairs: float = 0.0  # share of the question's adjacent word pairs adjacent in the chunk
    score: float = 0.0
    early: bool = False  # among the first CONFIDENCE_HITS before late interaction


class Retriever:
    def __init__(  # type: ignore[no-untyped-def]
        self, index: KnowledgeIndex, embed_query, embed_many=None, token_vectors=None
    ) -> None:
        self.index = index
        self._embed_query = embed_query
        self.embed_many = embed_many or (lambda texts: np.stack([embed_query(t) for t in texts]))
        # texts -> each text's int8 content word-piece vectors; None: no late interaction
        self.token_vectors = token_vectors

    def query_vector(self, query: str) -> np.ndarray:
        """The question's embedding; with a vocabulary gap ("kill criteria"), the mean
        of the question's and the question-with-its-expansions' embeddings."""
        vector = np.asarray(self._embed_query(query), dtype=np.float32)
        extra = expand(list(dict.fromkeys(tokenize(query))), query)
        words = [w for t in tokenize(query) for w in _expansion_words().get(t, ())]
        words += restate(query)
        if extra and words:
            other = np.asarray(self._embed_query(f"{query} ({' '.join(words)})"), np.float32)
            vector = vector + other
            vector /= max(float(np.linalg.norm(vector)), 1e-9)
        return vector

    def candidates(
        self,
        query: str,
        *,
        mode: Mode = "hybrid",
        history: Sequence[str] = (),
        vector: np.ndarray | None = None,
    ) -> tuple[IndexState, list[Candidate]]:
        """Every candidate chunk with its normalised evidence (dense, unit, keyword)."""
        state = self.index.state()
        if not state.chunks:
            return state, []
        context = " ".join(history[-2:])[-500:] if history else ""
        q_tokens = list(dict.fromkeys(tokenize(query)))
        found: dict[int, Candidate] = {}
        keyword: np.ndarray = np.zeros(len(state.chunks), dtype=np.float32)
        if mode in ("hybrid", "keyword"):
            keyword = self.index.keyword_scores(q_tokens)
            extra = expand(q_tokens, query)
            if extra:
                keyword = keyword + EXPANSION_WEIGHT * self.index.keyword_scores(extra)
            if context:
                ctx_tokens = list(dict.fromkeys(tokenize(context)))
                keyword = keyword + HISTORY_WEIGHT * self.index.keyword_scores(ctx_tokens)
            best = float(keyword.max()) if len(keyword) else 0.0
            if best > 0:
                keyword = keyword / best
                top = np.argsort(-keyword)[:POOL]
                for pos in top:
                    if keyword[pos] > 0:
                        found[int(pos)] = Candidate(int(pos), None, float(keyword[pos]))
        similarity: dict[str, float] = {}
        if mode in ("hybrid", "dense"):
            vector = self.query_vector(query) if vector is None else vector
            similarity.update(self.index.dense(vector, POOL))
            if context:
                for cid, sim in self.index.dense(self.query_vector(f"{context} {query}"), POOL):
                    similarity.setdefault(cid, HISTORY_WEIGHT * sim)
            for cid, sim in similarity.items():
                pos = state.positions.get(cid)
                if pos is None:
                    continue  # in Chroma but not yet in this process's snapshot
                if pos in found:
                    found[pos].similarity = sim
                else:
                    found[pos] = Candidate(pos, sim, float(keyword[pos]))
        if vector is not None and mode in ("hybrid", "dense"):
            missing = [state.chunks[c.position].id for c in found.values() if c.similarity is None]
            try:
                exact = self.index.similarities(vector, missing)
            except Exception:  # noqa: BLE001 - the fused score falls back to the floor
                exact = {}
            for cand in found.values():
                if cand.similarity is None:
                    cand.similarity = exact.get(state.chunks[cand.position].id)
        floor = min(similarity.values()) if similarity else 0.0
        ordered = sorted(found.values(), key=lambda c: -self._score(mode, c, floor, unit=False))
        pool = ordered[:UNIT_POOL]
        if mode in ("hybrid", "dense") and vector is not None:
            lazy = LAZY_UNITS  # chunks whose units may be embedded now (state from Chroma)
            for cand in pool:
                chunk = state.chunks[cand.position]
                if chunk.id not in state.unit_vectors:
                    if lazy <= 0:
                        cand.unit = cand.similarity if cand.similarity is not None else floor
                        continue
                    lazy -= 1
                matrix = state.units_of(chunk, self.embed_many)
                cand.unit = float((matrix @ vector).max()) if len(matrix) else 0.0
        if mode == "hybrid":
            self._sentence_evidence(query, q_tokens, state, pool, vector)
        names = _names(query, state)
        q_seq = tokenize(query)
        q_pairs = {(a, b) for a, b in zip(q_seq, q_seq[1:], strict=False) if a != b}
        pair_total = sum(state.idf(a) + state.idf(b) for a, b in q_pairs)
        for cand in pool:
            seq = tokenize(state.chunks[cand.position].embed_text())
            tokens = set(seq)
            cand.coverage = coverage(q_tokens, tokens, state)
            if pair_total:
                have = set(zip(seq, seq[1:], strict=False))
                shared = q_pairs & have
                cand.pairs = sum(state.idf(a) + state.idf(b) for a, b in shared) / pair_total
            if names:
                cand.entity = len(names & tokens) / len(names)
            cand.score = self._score(mode, cand, floor, unit=True)
        pool.sort(key=lambda c: -c.score)
        for cand in pool[:CONFIDENCE_HITS]:
            cand.early = True
        if mode == "hybrid" and self.token_vectors is not None:
            self._late_interaction(query, state, pool)
        return state, pool

    def _late_interaction(self, query: str, state: IndexState, pool: list[Candidate]) -> None:
        """Re-order the best TOKEN_POOL of ``pool`` (sorted) by word-piece matching."""
        head = pool[:TOKEN_POOL]
        if len(head) < 2:
            return
        question = self.token_vectors([query])[0].astype(np.float32) / 127.0
        if not len(question):
            return  # a question of function words only
        chunks = [state.chunks[c.position] for c in head]
        for cand, matrix in zip(head, state.tokens_of(chunks, self.token_vectors), strict=True):
            cand.tokens = float((question @ matrix.T).max(axis=1).mean()) if len(matrix) else 0.0
        values = np.array([c.tokens for c in head])
        spread = (values - values.mean()) / (values.std() + 1e-6)
        for cand, z in zip(head, spread, strict=True):
            cand.score += W_TOKENS * float(z)
        # one of the few gains or keeps its score, so the first stays among them
        pool.sort(key=lambda c: -c.score)

    def _sentence_evidence(
        self,
        query: str,
        q_tokens: Sequence[str],
        state: IndexState,
        pool: Sequence[Candidate],
        vector: np.ndarray | None,
    ) -> None:
        """Best-sentence word overlap, heading cosine and focus for the pool."""
        focus = focus_of(query)
        if focus is not None and not focus.selective:
            focus = None
        unique = set(q_tokens)
        total = sum(state.idf(t) for t in unique)
        headings: list[str] = []
        for cand in pool:
            chunk = state.chunks[cand.position]
            found = cached_units(chunk.text, chunk.section)
            if total:
                cand.unit_lex = max(
                    (
                        sum(state.idf(t) for t in unique & unit_tokens(u.scored)) / total
                        for u in found
                    ),
                    default=0.0,
                )
            if focus is not None and any(not u.items and focus.satisfied(u.text) for u in found):
                cand.focus = 1.0
            headings.append(heading_of(chunk.title, chunk.section))
        if vector is None:
            return
        sims = state.headings.similarities(headings, vector, self.embed_many, LAZY_HEADINGS)
        for cand, sim in zip(pool, sims, strict=True):
            # a heading not embedded yet (a replica's fresh state): the passage's cosine
            cand.heading = sim if sim is not None else (cand.similarity or 0.0)

    @staticmethod
    def _score(mode: Mode, cand: Candidate, floor: float, *, unit: bool) -> float:
        dense = cand.similarity if cand.similarity is not None else floor
        if mode == "keyword":
            return cand.keyword
        if mode == "dense":
            return dense + (cand.unit if unit else dense)
        unit_score = cand.unit if unit else dense
        return (
            W_DENSE * dense
            + W_UNIT * unit_score
            + W_KEYWORD * cand.keyword
            + W_COVERAGE * cand.coverage
            + W_UNIT_LEX * cand.unit_lex
            + W_HEADING * cand.heading
            + W_FOCUS * cand.focus
            + W_ENTITY * cand.entity
            + W_PAIRS * cand.pairs
        )

    def search(
        self,
        query: str,
        *,
        mode: Mode = "hybrid",
        k: int = 8,
        history: Sequence[str] = (),
        budget: int | None = None,
        vector: np.ndarray | None = None,
        rerank: Reranker | None = None,
    ) -> Retrieval:
        """The best passages for ``query`` (plus thread ``history`` as weaker context);
        ``vector`` is the question's embedding when the caller already has it; with
        ``rerank``, the best candidates are put in the reranker's order first."""
        state, pool = self.candidates(query, mode=mode, history=history, vector=vector)
        if not pool:
            return Retrieval(query, mode, [], 0.0)
        best_possible = max(max(c.score for c in pool), 1e-9)
        rerank_best = None
        if rerank is not None:
            head = pool[: rerank.candidates]
            scores = rerank.scores(query, [state.chunks[c.position].embed_text() for c in head])
            if scores is not None:
                order = sorted(range(len(head)), key=lambda i: -scores[i])
                pool = [head[i] for i in order] + pool[len(head) :]
                rerank_best = max(scores, default=None)
        hits: list[Hit] = []
        early: list[Hit] = []  # the passages whose evidence the confidence weighs
        kept_tokens: list[set[str]] = []
        used = 0
        limit = budget if budget is not None else 10**9
        for cand in pool:
            chunk = state.chunks[cand.position]
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
                    score=round(max(cand.score, 0.0) / best_possible, 4),
                    similarity=cand.similarity,
                    coverage=cand.coverage,
                    unit_similarity=cand.unit if mode != "keyword" else None,
                )
            )
            if len(hits) <= CONFIDENCE_HITS or cand.early:
                early.append(hits[-1])
            if len(hits) >= k:
                break
        return Retrieval(query, mode, hits, self._confidence(mode, early), rerank_best)

    @staticmethod
    def _confidence(mode: Mode, hits: Sequence[Hit]) -> float:
        """The best evidence among the top passages (not just the first): the first
        CONFIDENCE_HITS, and those that were among them before late interaction
        re-ordered the best few (a re-ordering is no new evidence)."""
        best = 0.0
        for hit in hits:
            # the passage's own cosine, or its best sentence's: a paraphrase is often
            # close to one sentence of a long passage and to little else in it
            closest = max(hit.similarity or 0.0, hit.unit_similarity or 0.0)
            dense = dense_confidence(closest) if closest else 0.0
            if mode == "dense":
                value = dense
            elif mode == "keyword":
                value = hit.coverage
            else:
                value = DENSE_WEIGHT * dense + (1 - DENSE_WEIGHT) * hit.coverage
            best = max(best, value)
        return round(best, 4)


__all__ = [
    "EXPANSIONS",
    "NAME_IN_Q",
    "MODES",
    "Candidate",
    "Hit",
    "expand",
    "Mode",
    "Retrieval",
    "Retriever",
    "coverage",
    "dense_confidence",
]
