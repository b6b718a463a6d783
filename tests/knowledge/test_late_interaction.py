"""Late interaction: word-piece vectors from the model's own run, stored with the index,
and used to re-order only the best few passages."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge import retrieve
from knowledge.embeddings import TOKEN_DIM, MiniLMInt8, get_embedder, token_embedder
from knowledge.index import KnowledgeIndex
from knowledge.service import KnowledgeService
from spinebot.settings import Settings

TEXTS = [
    "A pilot moves to production once it shows measured value for four weeks in a row.",
    "The platform team hosts shared services for every business unit.",
    "of the and to in",
    "A pilot moves to production once it shows measured value for four weeks in a row.",
]


def test_word_pieces_come_from_the_same_run_as_the_sentence_vector() -> None:
    embedder = get_embedder("")
    assert token_embedder(embedder) is embedder
    vectors, pieces = embedder.embed_with_tokens(TEXTS)  # type: ignore[attr-defined]
    assert np.allclose(vectors, embedder.embed(TEXTS), atol=1e-5)
    assert all(p.dtype == np.int8 and p.shape[1] == TOKEN_DIM for p in pieces)
    assert len(pieces[2]) == 0  # function words only: nothing to match
    assert 8 <= len(pieces[0]) <= 16  # "pilot", "moves", "production", "shows", ...
    assert np.array_equal(pieces[0], pieces[3])  # a text given twice: the same rows
    # one at a time or in a batch: the same rows (padding is masked out)
    alone = embedder.token_vectors([TEXTS[1]])  # type: ignore[attr-defined]
    assert np.abs(alone[0].astype(int) - pieces[1].astype(int)).max() <= 2
    norms = np.linalg.norm(pieces[0].astype(np.float32) / 127.0, axis=1)
    assert np.allclose(norms, 1.0, atol=0.02)


def test_a_question_word_finds_its_match_in_the_passage_that_has_it() -> None:
    embedder = MiniLMInt8()
    question, near, far = embedder.token_vectors(
        [
            "How many weeks of measured value does a pilot need?",
            TEXTS[0],
            "Handling time per email fell by a third after the launch.",
        ]
    )

    def best_match(passage: np.ndarray) -> float:
        q = question.astype(np.float32) / 127.0
        return float((q @ (passage.astype(np.float32) / 127.0).T).max(axis=1).mean())

    assert best_match(near) > best_match(far) + 0.15


def test_word_pieces_are_stored_with_the_index_and_read_back_mapped(
    service: KnowledgeService, settings: Settings, corpus: object
) -> None:
    state = service.index.state()
    assert set(state.token_vectors) == {c.id for c in state.chunks}
    # the ingesting process too reads them back from the file, rather than keep them all
    assert all(isinstance(rows, np.memmap) for rows in state.token_vectors.values())
    other = KnowledgeIndex(settings).state()  # another process: the saved snapshot
    assert other.version == state.version
    assert set(other.token_vectors) == set(state.token_vectors)
    for cid, rows in other.token_vectors.items():
        assert isinstance(rows, np.memmap)
        assert np.array_equal(np.asarray(rows), state.token_vectors[cid])


def test_a_snapshot_without_word_pieces_embeds_them_when_a_question_needs_them(
    service: KnowledgeService,
) -> None:
    state = service.index.state()
    kept = dict(state.token_vectors)
    state.token_vectors.clear()  # e.g. a replica's state rebuilt from a Chroma server
    service.ask("What must a pilot show before it moves to production?")
    assert state.token_vectors  # the best few passages' pieces, embedded on the spot
    for cid, rows in state.token_vectors.items():
        assert np.abs(rows.astype(int) - kept[cid].astype(int)).max() <= 2


def test_only_the_best_few_are_re_ordered_and_the_confidence_keeps_their_evidence(
    service: KnowledgeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    question = "What must a pilot show before it moves to production?"
    retriever = service.retriever
    real = retriever.token_vectors
    retriever.token_vectors = None
    plain = retriever.search(question)
    assert "four weeks" in plain.hits[0].chunk.text
    wanted = plain.hits[1].chunk.text  # the runner-up: late interaction will prefer it

    def pieces(texts: list[str]) -> list[np.ndarray]:
        out = []
        for text in texts:
            row = np.zeros((1, TOKEN_DIM), dtype=np.int8)
            row[0, 0 if text == question or text.endswith(wanted) else 1] = 127
            out.append(row)
        return out

    monkeypatch.setattr(retrieve, "W_TOKENS", 10.0)  # decisive, to see the mechanism
    service.index.state().token_vectors.clear()
    retriever.token_vectors = pieces
    try:
        moved = retriever.search(question)
    finally:
        retriever.token_vectors = real
    assert moved.hits[0].chunk.text == wanted
    # the evidence of the passages first before the re-ordering still counts
    assert moved.confidence >= plain.confidence


def test_a_question_is_run_through_the_model_once_for_its_vector_and_its_pieces(
    service: KnowledgeService, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = get_embedder(settings.embeddings)
    question = "What must a pilot show before it moves to production?"
    runs: list[list[str]] = []
    for name in ("embed", "embed_with_tokens", "token_vectors"):
        original = getattr(embedder, name)

        def counting(texts: list[str], _original=original):  # type: ignore[no-untyped-def]
            runs.append(list(texts))
            return _original(texts)

        monkeypatch.setattr(embedder, name, counting)
    answer = service.ask(question)
    assert not answer.abstained
    assert runs.count([question]) == 1
