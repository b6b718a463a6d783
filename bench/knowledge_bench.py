"""Knowledge engine speed and memory on this machine.

* ingest: chunks/s indexing the bundled corpus plus the seeds into a fresh data dir
  (load, chunk, embed with the offline model, write Chroma and the keyword index);
* re-ingest of 10,000 unchanged documents (content hashes against the manifest; the
  first ingest of those documents uses random vectors, so it takes seconds, not an hour);
* ask p50/p95, in-process, extractive, on a 5,000- and a 50,000-chunk index. Embedding
  that many chunks would take hours, so the index holds the real chunks plus synthetic
  ones: texts mixed from real sentences, chunk and unit (sentence) vectors blended from
  real embeddings with a little noise, word-piece vectors drawn from the real ones;
* resident memory (peak) of a fresh process holding the model and each index after
  answering a few questions.

Targets (issue #10): ask p95 <= 100 ms at 5,000 and at 50,000 chunks; re-ingest of
10,000 unchanged documents <= 10 s; RSS <= 1 GB at 50,000 chunks. (Issue #3: ingest
>= 20 chunks/s, ask p50 <= 100 ms.)

Usage: ``python -m bench.knowledge_bench [--sizes 5000 50000] [--skip-ingest]``.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench import SHARED_SEEDS

ROOT = Path(__file__).resolve().parents[1]
SEEDS = SHARED_SEEDS
QUESTIONS = ROOT / "bench" / "eval" / "questions.jsonl"
SIZES = (5000, 50000)
REINGEST_DOCS = 10000
FALLBACK_QUESTIONS = [
    "What must a pilot show before it moves to production?",
    "Who pays for the AI spine?",
    "What did RTL gain from using off-the-shelf models?",
    "How is net value calculated?",
    "Where can I park my car at the office?",
]


def _service(data_dir: Path):  # type: ignore[no-untyped-def]
    from knowledge.service import KnowledgeService
    from spinebot.settings import Settings

    return KnowledgeService(Settings(data_dir=data_dir))


def _questions() -> list[str]:
    if not QUESTIONS.is_file():
        return FALLBACK_QUESTIONS
    lines = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return [q["question"] for q in lines] or FALLBACK_QUESTIONS


def bench_ingest(data_dir: Path) -> tuple[int, float]:
    service = _service(data_dir)
    service.index.state()  # open Chroma outside the timing
    from knowledge.embeddings import get_embedder

    get_embedder(service.settings.embeddings).embed(["warm up"])
    started = time.perf_counter()
    chunks = service.ingest().chunks
    if SEEDS.is_dir():
        chunks += service.ingest([SEEDS]).chunks
    return chunks, time.perf_counter() - started


def synthesise(data_dir: Path, target: int) -> int:
    """Fill the index up to ``target`` chunks with plausible synthetic ones."""
    from knowledge.documents import Chunk, chunk_id, split_sentences
    from knowledge.headings import heading_of
    from knowledge.passages import units

    service = _service(data_dir)
    state = service.index.state()
    collection = service.index.collection()
    got = collection.get(include=["embeddings", "documents"])
    real_vectors = np.asarray(got["embeddings"], dtype=np.float32)
    real_units = [m for m in state.unit_vectors.values() if len(m)]
    unit_pool = np.concatenate(real_units).astype(np.float32) / 127.0
    real_pieces = [m for m in state.token_vectors.values() if len(m)]
    piece_pool = np.concatenate(real_pieces) if real_pieces else None
    sentences = [s for text in got["documents"] for s in split_sentences(text.replace("\n", " "))]
    have = len(got["ids"])
    rng = np.random.default_rng(7 + target)
    pick = random.Random(7 + target)
    batch = 12500
    for first in range(have, target, batch):
        n = min(batch, target - first)
        chunks, unit_vectors, token_vectors = [], {}, {}
        a = rng.integers(0, len(real_vectors), size=n)
        b = rng.integers(0, len(real_vectors), size=n)
        vectors = 0.6 * real_vectors[a] + 0.4 * real_vectors[b]
        vectors += rng.normal(0, 0.02, size=vectors.shape).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        for j in range(n):
            i = first + j
            text = " ".join(pick.sample(sentences, 6))[:900]
            source = f"/synthetic/team-{i // 500:03d}/doc-{i // 5:05d}.md"
            chunk = Chunk(
                id=chunk_id(source, i % 5),
                source=source,
                title=f"Team note {i // 5}",
                section=f"Part {i % 5}",
                text=text,
                ordinal=i % 5,
            )
            chunks.append(chunk)
            count = len(units(chunk.text, chunk.section))
            rows = unit_pool[rng.integers(0, len(unit_pool), size=count)]
            rows = rows + rng.normal(0, 0.02, size=rows.shape).astype(np.float32)
            unit_vectors[chunk.id] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
            if piece_pool is not None:  # real chunks: ~0.6 content word pieces a word
                pieces = int(0.7 * len(text.split()))
                token_vectors[chunk.id] = piece_pool[rng.integers(0, len(piece_pool), pieces)]
        service.index.add_embedded(chunks, vectors, unit_vectors, token_vectors)
        # their headings, as ingest would have embedded them
        heads = sorted({heading_of(c.title, c.section) for c in chunks})
        mixed = real_vectors[rng.integers(0, len(real_vectors), size=len(heads))]
        service.index.headings.put(heads, mixed + rng.normal(0, 0.02, size=mixed.shape))
    service.index.headings.save()
    return service.chunk_count()


def bench_ask(data_dir: Path, rounds: int = 200) -> tuple[float, float, int]:
    service = _service(data_dir)
    questions = _questions()
    for question in questions[:5]:
        service.ask(question)  # load model, keyword index, Chroma segments
    timings = []
    for i in range(rounds):
        started = time.perf_counter()
        service.ask(questions[i % len(questions)])
        timings.append((time.perf_counter() - started) * 1000)
    return float(np.percentile(timings, 50)), float(np.percentile(timings, 95)), rounds


class _RandomEmbedder:
    """Stands in for the model while the bench fills an index it only re-reads."""

    name = "random"

    def embed(self, texts: list[str]) -> np.ndarray:
        vectors = np.random.default_rng(len(texts)).normal(size=(len(texts), 384))
        return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def bench_reingest(base: Path, documents: int = REINGEST_DOCS) -> tuple[float, int]:
    from unittest import mock

    folder = base / "many"
    folder.mkdir()
    for i in range(documents):
        (folder / f"note-{i:05d}.md").write_text(
            f"---\ntitle: Note {i}\n---\n\nTeam {i % 37} reported {i} hours saved.\n"
        )
    service = _service(base / "data-many")
    with mock.patch("knowledge.embeddings.get_embedder", lambda spec=None: _RandomEmbedder()):
        first = service.ingest([folder])
    assert first.added == documents, first.summary()
    started = time.perf_counter()
    again = service.ingest([folder])
    seconds = time.perf_counter() - started
    assert again.skipped == documents, again.summary()
    return seconds, documents


def rss_probe(data_dir: str) -> int:
    """Run in a child process: answer a few questions, print peak RSS in MB.

    Peak is VmHWM, not ``ru_maxrss``: the latter survives exec, so a child started by a
    big parent would report the parent's size."""
    service = _service(Path(data_dir))
    for question in _questions()[:20]:
        service.ask(question)
    count = service.chunk_count()
    status = Path("/proc/self/status").read_text().splitlines()
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    print(json.dumps({"rss_mb": peak_kb / 1024, "chunks": count}))
    return 0


def bench_rss(data_dir: Path) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.knowledge_bench", "--rss-probe", str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return float(result["rss_mb"]), int(result["chunks"])


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--rss-probe"]:
        return rss_probe(argv[1])
    sizes = list(SIZES)
    if "--sizes" in argv:
        at = argv.index("--sizes") + 1
        sizes = []
        while at < len(argv) and argv[at].isdigit():
            sizes.append(int(argv[at]))
            at += 1
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory(prefix="spinebot-kbench-") as tmp:
        base = Path(tmp)
        data_dir = base / "data"
        chunks, seconds = bench_ingest(data_dir)
        if "--skip-ingest" not in argv:
            rows.append(
                (
                    "ingest (corpus + seeds)",
                    f"{chunks / seconds:.1f} chunks/s ({chunks} in {seconds:.1f} s)",
                    ">= 20 chunks/s",
                )
            )
        reingest, documents = bench_reingest(base)
        rows.append((f"re-ingest {documents} unchanged docs", f"{reingest:.2f} s", "<= 10 s"))
        for size in sizes:
            started = time.perf_counter()
            total = synthesise(data_dir, size)
            built = time.perf_counter() - started
            p50, p95, rounds = bench_ask(data_dir)
            rows.append((f"ask p50 ({total} chunks, {rounds} asks)", f"{p50:.1f} ms", "-"))
            rows.append((f"ask p95 ({total} chunks)", f"{p95:.1f} ms", "<= 100 ms"))
            rss, probe_chunks = bench_rss(data_dir)
            rows.append(
                (f"peak RSS, model + {probe_chunks}-chunk index", f"{rss:.0f} MB", "<= 1024 MB")
            )
            print(f"(filled to {total} chunks in {built:.0f} s)", flush=True)
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    print(
        "  ".join(h.ljust(w) for h, w in zip(("measure", "value", "target"), widths, strict=True))
    )
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
