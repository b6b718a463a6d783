"""Retrieval quality: dense-only, keyword-only and hybrid side by side.

Indexes the bundled corpus plus the seed texts into a throw-away data dir, then runs
every question of ``bench/eval/questions.jsonl``:

* answerable questions: hit@1, hit@5 and MRR@10, where a hit is a retrieved chunk whose
  source ends with the question's ``source`` and whose text contains ``contains``
  (case-insensitive, whitespace-normalised; ``also`` pairs count too);
* abstention accuracy: the share of all questions where the abstain decision
  (confidence below ``ANSWER_MIN_SCORE``) is right, plus its two halves.

Usage: ``python -m bench.eval_retrieval [SEEDS_DIR] [--questions FILE] [--verbose]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "bench" / "eval" / "questions.jsonl"
DEFAULT_SEEDS = Path("/work/shared/seeds")


def normalize(text: str) -> str:
    """Case, whitespace and Markdown emphasis do not decide a hit."""
    return " ".join(text.replace("`", "").replace("**", "").split()).casefold()


@dataclass
class ModeResult:
    hit1: int = 0
    hit5: int = 0
    rr: float = 0.0
    answerable: int = 0
    answered: int = 0  # answerable questions that did not abstain
    abstain_total: int = 0
    abstained: int = 0  # abstain questions that abstained
    misses: list[str] = field(default_factory=list)
    conf_answerable: list[float] = field(default_factory=list)
    conf_abstain: list[float] = field(default_factory=list)

    def row(self) -> list[str]:
        n = max(self.answerable, 1)
        total = self.answerable + self.abstain_total
        accuracy = (self.answered + self.abstained) / max(total, 1)
        return [
            f"{self.hit1 / n:.3f}",
            f"{self.hit5 / n:.3f}",
            f"{self.rr / n:.3f}",
            f"{accuracy:.3f}",
            f"{self.answered}/{self.answerable}",
            f"{self.abstained}/{self.abstain_total}",
        ]


def targets(question: dict) -> list[tuple[str, str]]:
    pairs = [(question["source"], question["contains"])]
    pairs += [(extra["source"], extra["contains"]) for extra in question.get("also", [])]
    return [(source, normalize(phrase)) for source, phrase in pairs]


def is_hit(chunk, pairs: list[tuple[str, str]]) -> bool:  # type: ignore[no-untyped-def]
    text = normalize(chunk.text)
    return any(chunk.source.endswith(source) and phrase in text for source, phrase in pairs)


def load_questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evaluate(service, questions: list[dict], threshold: float) -> dict[str, ModeResult]:  # type: ignore[no-untyped-def]
    from knowledge.retrieve import MODES

    results: dict[str, ModeResult] = {mode: ModeResult() for mode in MODES}
    for question in questions:
        for mode in MODES:
            result = results[mode]
            retrieval = service.retriever.search(question["question"], mode=mode, k=10)
            abstains = not retrieval.hits or retrieval.confidence < threshold
            if question.get("abstain"):
                result.abstain_total += 1
                result.abstained += abstains
                result.conf_abstain.append(retrieval.confidence)
                continue
            result.answerable += 1
            result.answered += not abstains
            result.conf_answerable.append(retrieval.confidence)
            pairs = targets(question)
            rank = next(
                (i for i, hit in enumerate(retrieval.hits, start=1) if is_hit(hit.chunk, pairs)),
                None,
            )
            if rank == 1:
                result.hit1 += 1
            if rank is not None and rank <= 5:
                result.hit5 += 1
            if rank is not None:
                result.rr += 1.0 / rank
            else:
                result.misses.append(question["id"])
    return results


def print_table(results: dict[str, ModeResult]) -> None:
    header = ["mode", "hit@1", "hit@5", "MRR@10", "abstain acc", "answered", "abstained"]
    rows = [[mode, *result.row()] for mode, result in results.items()]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="?", type=Path, default=DEFAULT_SEEDS)
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument("--verbose", action="store_true", help="misses and confidences")
    args = parser.parse_args(argv)

    from knowledge.service import KnowledgeService
    from spinebot.settings import Settings

    if not args.questions.is_file():
        print(f"no evaluation set at {args.questions}")
        return 1
    questions = load_questions(args.questions)
    with tempfile.TemporaryDirectory(prefix="spinebot-eval-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        service = KnowledgeService(settings)
        started = time.perf_counter()
        report = service.ingest()
        chunks = report.chunks
        if args.seeds.is_dir():
            chunks += service.ingest([args.seeds]).chunks
        else:
            print(f"(no seeds at {args.seeds}: seed questions count via their research notes)")
        print(f"indexed {chunks} chunks in {time.perf_counter() - started:.1f} s; ", end="")
        print(f"{len(questions)} questions; ANSWER_MIN_SCORE={settings.answer_min_score}")
        results = evaluate(service, questions, settings.answer_min_score)
    print_table(results)
    if args.verbose:
        for mode, result in results.items():
            low = sorted(result.conf_answerable)[:5]
            high = sorted(result.conf_abstain)[-5:]
            print(f"{mode}: misses {result.misses}")
            print(f"  lowest answerable confidences {low}; highest abstain {high}")
    hybrid = results["hybrid"]
    better = all(
        hybrid.rr >= results[mode].rr and hybrid.hit5 >= results[mode].hit5
        for mode in ("dense", "keyword")
    )
    print("hybrid beats both single modes" if better else "note: hybrid does not beat both")
    return 0


if __name__ == "__main__":
    sys.exit(main())
