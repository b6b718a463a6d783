"""Batching and reuse in embedding: the same vectors, in the order given, computed once."""

from __future__ import annotations

import numpy as np

from knowledge.documents import Chunk
from knowledge.embeddings import MAX_TOKENS, MiniLMInt8, get_embedder, plan_batches
from knowledge.index import embed_units, quantize, stored_units
from knowledge.passages import units

SENTENCES = [
    "A pilot moves to production once it shows measured value for four weeks in a row.",
    "Net value is hours saved times the hourly rate minus the model cost.",
    "Yes.",
    " ".join(["The platform team hosts shared services for every business unit."] * 40),
    "",
    "Who pays for the spine?",
    "A pilot moves to production once it shows measured value for four weeks in a row.",
]


def test_plan_batches_groups_similar_lengths_within_the_budget_and_covers_each_once() -> None:
    lengths = [30, 5, 256, 12, 256, 7, 200, 5, 31]
    batches = plan_batches(lengths, budget=64, max_rows=3)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 3
        assert len(batch) == 1 or max(lengths[i] for i in batch) * len(batch) <= 64
    # Shortest first, so a batch is never padded to a length from a later one.
    widths = [[lengths[i] for i in batch] for batch in batches]
    assert [w for batch in widths for w in batch] == sorted(lengths)
    assert widths[0] == [5, 5, 7]


def test_batched_vectors_are_in_the_given_order_and_equal_to_one_at_a_time() -> None:
    embedder = get_embedder()
    together = embedder.embed(SENTENCES)
    alone = np.concatenate([embedder.embed([text]) for text in SENTENCES])
    assert together.shape == (len(SENTENCES), 384)
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(together[0], together[-1])  # the repeated sentence
    assert float(together[0] @ together[1]) < 0.99  # and distinct ones stay distinct
    # One text per batch, the batches spread over two workers: still the same rows.
    spread = MiniLMInt8(max_batch=1, threads=2).embed(SENTENCES)
    np.testing.assert_allclose(spread, together, atol=1e-5)


def test_texts_are_cut_at_the_models_256_word_pieces() -> None:
    embedder = get_embedder()
    long_text = "measured value " * 400
    ids = embedder.token_ids([long_text, "short"])  # type: ignore[attr-defined]
    assert len(ids[0]) == MAX_TOKENS
    assert len(ids[1]) < 10
    # Words past the cut change nothing.
    a, b = embedder.embed([long_text, long_text + " a wholly different ending"])
    np.testing.assert_array_equal(a, b)


def _chunk(text: str, ordinal: int, section: str = "Pilot to production") -> Chunk:
    return Chunk(
        id=f"doc-{ordinal}",
        source="/docs/pilot.md",
        title="Phase gates",
        section=section,
        text=text,
        ordinal=ordinal,
    )


class CountingEmbedder:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        return get_embedder().embed(texts)


def test_overlapping_chunks_embed_each_unit_once_and_questions_not_at_all() -> None:
    shared = "The spine team reviews the numbers every Monday."
    chunks = [
        _chunk(f"A pilot needs four weeks of measured value. {shared}", 0),
        _chunk(f"{shared} What must a pilot show? Its owner names a support rota.", 1),
    ]
    embed = CountingEmbedder()
    matrices = embed_units(chunks, embed)

    scored = [[unit.scored for unit in units(c.text, c.section)] for c in chunks]
    assert sorted(embed.seen) == sorted(set(embed.seen))  # nothing twice
    assert not any(text.endswith("?") for text in embed.seen)
    assert len(embed.seen) == len({s for group in scored for s in group}) - 1
    # Same rows as embedding every unit on its own, questions zeroed.
    for chunk, group, matrix in zip(chunks, scored, matrices, strict=True):
        expected = quantize(get_embedder().embed(group))
        for row, unit in enumerate(units(chunk.text, chunk.section)):
            if unit.is_question:
                expected[row] = 0
        assert matrix.dtype == np.int8 and matrix.shape == (len(group), 384)
        assert np.abs(matrix.astype(int) - expected.astype(int)).max() <= 1


def test_an_edited_chunk_embeds_only_its_new_units() -> None:
    before = _chunk("A pilot needs four weeks of measured value. The team meets on Monday.", 0)
    (old,) = embed_units([before], get_embedder().embed)
    after = _chunk("A pilot needs four weeks of measured value. The team meets on Friday.", 0)
    embed = CountingEmbedder()
    (new,) = embed_units([after], embed, stored_units(before, old))
    assert embed.seen == ["Pilot to production: The team meets on Friday."]
    np.testing.assert_array_equal(new[0], old[0])
    (fresh,) = embed_units([after], get_embedder().embed)
    np.testing.assert_array_equal(new, fresh)
    # Vectors that do not line up with the chunk's units are not reused.
    assert stored_units(before, old[:1]) == {}
