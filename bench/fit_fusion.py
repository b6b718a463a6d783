"""Check the ranking's hand-set fusion weights against weights learned from the data.

For every answerable question of the tuning folds (dev and fold 1 of the new sets, never
fold 2), the engine's candidate pool is taken with each candidate's evidence (chunk and
best-unit cosine, bm25, idf coverage, best-sentence overlap, heading cosine, focus,
named entities, late interaction) and whether it holds the answer. A linear score is then
learned (listwise softmax loss, from ``knowledge.retrieve``'s weights as the start) on one
half of the questions and its hit@1 measured on the other half, and the other way round.
The same question asked of the seeds in several formats stays in one half.

It prints, per set, the engine's own order beside the learned order, measured on the half
not fitted on. Session 14 found them level, with a document prior added to the evidence:
hit@1 engine / learned, dev 80.0 / 80.0 %, company 75.1 / 75.4 %, seeds as given 79.8 /
78.2 %. The set weights are at the linear optimum of this evidence; a better first passage
needs new evidence (a cross-encoder: ``RERANK_URL``), not new weights.

Usage: ``python -m bench.fit_fusion [--set NAME ...]`` (a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np

FEATURES = ("sim", "unit", "kw", "cov", "ulex", "head", "focus", "ent", "tok")
DEFAULT_SETS = ("dev", "company", "seeds-raw", "seeds-pdf", "company-hand")
TUNING_FOLD = 1
TEMPERATURE = 10.0  # listwise softmax sharpness on the fused score
L2 = 1e-3
STEPS = 300


def pools(names: tuple[str, ...]) -> list[dict[str, Any]]:
    """Per answerable question of the tuning folds: set, id, features (rows), labels."""
    from bench import eval_sets as E
    from knowledge.service import KnowledgeService
    from spinebot.settings import Settings

    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sets, _ = E.prepare(list(names), work)
        for n, item in enumerate(sets):
            service = KnowledgeService(
                Settings(data_dir=work / f"d{n}", llm_model="", knowledge_dirs=[])
            )
            service.ingest(item.roots)
            retriever = service.retriever
            for q in item.questions:
                if q.unanswerable or q.fold not in (0, TUNING_FOLD):
                    continue
                state, pool = retriever.candidates(q.text, vector=retriever.query_vector(q.text))
                if not pool or retriever.token_vectors is None:
                    continue
                chunks = [state.chunks[c.position] for c in pool]
                pieces = retriever.token_vectors([q.text])[0].astype(np.float32) / 127.0
                floor = min((c.similarity for c in pool if c.similarity is not None), default=0.0)
                best: defaultdict[str, float] = defaultdict(float)
                count: Counter[str] = Counter(ch.source for ch in chunks)
                for cand, chunk in zip(pool, chunks, strict=True):
                    best[chunk.source] = max(best[chunk.source], cand.unit)
                rows, labels = [], []
                for cand, chunk, matrix in zip(
                    pool, chunks, state.tokens_of(chunks, retriever.token_vectors), strict=True
                ):
                    tok = (
                        float((pieces @ matrix.T).max(axis=1).mean())
                        if len(pieces) and len(matrix)
                        else 0.0
                    )
                    sim = cand.similarity if cand.similarity is not None else floor
                    rows.append(
                        [sim, cand.unit, cand.keyword, cand.coverage, cand.unit_lex]
                        + [cand.heading, cand.focus, cand.entity, tok]
                        + [best[chunk.source], count[chunk.source] / len(pool)]  # document prior
                    )
                    labels.append(E.is_hit(q, chunk.source, chunk.text, by_stem=item.by_stem))
                out.append(
                    {
                        "set": item.name,
                        "id": q.id,
                        "X": np.array(rows),
                        "y": np.array(labels, dtype=float),
                        "engine": bool(labels[0]),
                    }
                )
    return out


def fit(groups: list[dict[str, Any]], start: np.ndarray) -> np.ndarray:
    """Weights minimising the listwise softmax loss (Adam, L2), from ``start``."""
    w = start.copy()
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    useful = [g for g in groups if g["y"].any()]
    for step in range(1, STEPS + 1):
        grad = np.zeros_like(w)
        for g in useful:
            s = TEMPERATURE * (g["X"] @ w)
            p = np.exp(s - s.max())
            p /= p.sum()
            hit = (p * g["y"]).sum()
            grad += TEMPERATURE * (g["X"].T @ (p - p * g["y"] / (hit + 1e-12)))
        grad = grad / max(len(useful), 1) + L2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= 0.02 * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return w


def main() -> None:
    from knowledge import retrieve as R

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", dest="sets", help="evaluation set (repeat)")
    args = parser.parse_args()
    groups = pools(tuple(args.sets or DEFAULT_SETS))
    weights = [R.W_DENSE, R.W_UNIT, R.W_KEYWORD, R.W_COVERAGE, R.W_UNIT_LEX]
    weights += [R.W_HEADING, R.W_FOCUS, R.W_ENTITY, 0.0, 0.0, 0.0]
    start = np.array(weights)
    half = [int(hashlib.md5(g["id"].encode()).hexdigest(), 16) % 2 for g in groups]
    learned: Counter[str] = Counter()
    engine: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for k in (0, 1):
        w = fit([g for g, h in zip(groups, half, strict=True) if h != k], start)
        for g, h in zip(groups, half, strict=True):
            if h == k:
                learned[g["set"]] += bool(g["y"][int(np.argmax(g["X"] @ w))])
                engine[g["set"]] += g["engine"]
                total[g["set"]] += 1
    print(f"{'set':14s} {'questions':>9s} {'engine hit@1':>13s} {'learned hit@1':>14s}")
    for name, n in total.items():
        print(f"{name:14s} {n:9d} {100 * engine[name] / n:12.1f}% {100 * learned[name] / n:13.1f}%")
    print("learned weights (all questions):")
    w = fit(groups, start)
    names = [*FEATURES, "doc_best_unit", "doc_share"]
    print("  " + ", ".join(f"{f}={x:.3f}" for f, x in zip(names, w, strict=True)))


if __name__ == "__main__":
    main()
