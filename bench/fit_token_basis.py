"""Fit the word-piece basis of late interaction (``knowledge/assets/token_basis.npz``).

The MiniLM model's last hidden state of each content word piece of the bundled corpus's
chunks (as ingest embeds them) is centred, and the principal axes are kept: projected on
the first ``TOKEN_DIM`` of them (about 80 % of the variance), a passage's word pieces
take a quarter of the room of the full vectors, and the best-match scores hardly change
(measured on fold 1 of the evaluation sets: see bench/eval/README.md).

The basis is fitted on the bundled corpus alone, never on an evaluation set's documents.
Usage: ``python -m bench.fit_token_basis`` (rewrites the file; a changed basis means the
stored word-piece vectors of an index no longer match: re-ingest).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

AXES_KEPT = 128  # more than TOKEN_DIM, so the width can be changed without refitting


def fit(out: Path) -> tuple[int, float]:
    from knowledge.documents import CORPUS_DIR, chunk_document, discover, load_document
    from knowledge.embeddings import TOKEN_DIM, MiniLMInt8
    from knowledge.passages import uncited

    embedder = MiniLMInt8()
    texts = []
    for path in sorted(discover([CORPUS_DIR])):
        doc = load_document(path, source=path.name)
        texts.extend(uncited(chunk.embed_text()) for chunk in chunk_document(doc))
    states = np.concatenate(embedder.raw_token_states(texts))
    mean = states.mean(axis=0)
    _, singular, axes = np.linalg.svd(states - mean, full_matrices=False)
    share = float((singular[:TOKEN_DIM] ** 2).sum() / (singular**2).sum())
    np.savez(out, mean=mean.astype(np.float32), axes=axes[:AXES_KEPT].astype(np.float32))
    return len(states), share


def main(argv: list[str] | None = None) -> int:
    from knowledge.embeddings import TOKEN_BASIS_PATH, TOKEN_DIM

    count, share = fit(TOKEN_BASIS_PATH)
    print(f"{count} word pieces; the first {TOKEN_DIM} axes keep {share:.1%} of the variance")
    print(f"wrote {TOKEN_BASIS_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
