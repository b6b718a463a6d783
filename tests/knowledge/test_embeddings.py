"""Batching in embedding: the same vectors, in the order given."""

from __future__ import annotations

import numpy as np

from knowledge.embeddings import MAX_TOKENS, get_embedder, plan_batches

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


def test_texts_are_cut_at_the_models_256_word_pieces() -> None:
    embedder = get_embedder()
    long_text = "measured value " * 400
    ids = embedder.token_ids([long_text, "short"])  # type: ignore[attr-defined]
    assert len(ids[0]) == MAX_TOKENS
    assert len(ids[1]) < 10
    # Words past the cut change nothing.
    a, b = embedder.embed([long_text, long_text + " a wholly different ending"])
    np.testing.assert_array_equal(a, b)
