"""Retrieval quality: plain BM25, dense-only, keyword-only and hybrid side by side.

Indexes the bundled corpus plus the seed texts into a throw-away data dir, then runs
every question of ``bench/eval/questions.jsonl`` (or the ``--questions`` files, each
reported as its own set):

* ``bm25`` is the baseline to beat: bm25s without stemming over the same ~1,000-char
  chunk texts (no headings, no expansion), as a plain keyword search would be;

* answerable questions: hit@1, hit@5 and MRR@10, where a hit is a retrieved chunk whose
  source ends with the question's ``source`` and whose text contains ``contains``
  (case-insensitive, whitespace-normalised; ``also`` pairs count too);
* abstention accuracy: the share of all questions where the abstain decision
  (confidence below ``ANSWER_MIN_SCORE``) is right, plus its two halves.

* the answers, through ``KnowledgeService.ask`` (extractive): the key fact in the answer
  text (``fact``, a string or a list of alternatives; ``contains`` when there is none),
  false abstentions on answerable questions and false answers on abstain questions.

Usage: ``python -m bench.eval_retrieval [SEEDS_DIR] [--questions FILE ...] [--verbose]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import SHARED_SEEDS

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "bench" / "eval" / "questions.jsonl"
DEFAULT_SEEDS = SHARED_SEEDS


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


class PlainBM25:
    """The baseline: bm25s, its own tokenizer (no stemming), chunk texts only."""

    def __init__(self, chunks) -> None:  # type: ignore[no-untyped-def]
        import bm25s

        self.chunks = list(chunks)
        self.model = bm25s.BM25()
        corpus = bm25s.tokenize([c.text for c in self.chunks], show_progress=False)
        self.model.index(corpus, show_progress=False)

    def search(self, question: str, k: int = 10) -> list:  # type: ignore[type-arg]
        import bm25s

        tokens = bm25s.tokenize([question], show_progress=False)
        k = min(k, len(self.chunks))
        docs, scores = self.model.retrieve(tokens, k=k, show_progress=False)
        return [self.chunks[int(i)] for i, s in zip(docs[0], scores[0], strict=True) if s > 0]


def load_questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _score_rank(result: ModeResult, question: dict, chunks: list) -> None:  # type: ignore[type-arg]
    pairs = targets(question)
    rank = next((i for i, c in enumerate(chunks[:10], start=1) if is_hit(c, pairs)), None)
    if rank == 1:
        result.hit1 += 1
    if rank is not None and rank <= 5:
        result.hit5 += 1
    if rank is not None:
        result.rr += 1.0 / rank
    else:
        result.misses.append(question["id"])


def evaluate(service, questions: list[dict], threshold: float) -> dict[str, ModeResult]:  # type: ignore[no-untyped-def]
    from knowledge.retrieve import MODES

    plain = PlainBM25(service.index.state().chunks)
    results: dict[str, ModeResult] = {"bm25": ModeResult()}
    results.update({mode: ModeResult() for mode in MODES})
    for question in questions:
        if not question.get("abstain"):
            results["bm25"].answerable += 1
            _score_rank(results["bm25"], question, plain.search(question["question"]))
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
            _score_rank(result, question, [hit.chunk for hit in retrieval.hits])
    return results


@dataclass
class AnswerResult:
    answerable: int = 0
    fact: int = 0
    cited: int = 0  # the answering passage among the answer's sources
    false_abstain: int = 0
    unanswerable: int = 0
    false_answer: int = 0
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)


def evaluate_answers(service, questions: list[dict]) -> AnswerResult:  # type: ignore[no-untyped-def]
    """The whole ask path: is the key fact in the answer, and does it abstain right?"""
    result = AnswerResult()
    for question in questions:
        answer = service.ask(question["question"])
        if question.get("abstain"):
            result.unanswerable += 1
            if not answer.abstained:
                result.false_answer += 1
                result.wrong.append(question["id"])
            continue
        result.answerable += 1
        result.false_abstain += answer.abstained
        fact = question.get("fact") or question["contains"]
        facts = fact if isinstance(fact, list) else [fact]
        text = normalize(answer.text)
        if any(normalize(f) in text for f in facts):
            result.fact += 1
        else:
            result.misses.append(question["id"])
        pairs = targets(question)
        cited = any(
            source.source.endswith(s) and phrase in normalize(source.text)
            for source in answer.sources
            for s, phrase in pairs
        )
        result.cited += cited
    return result


def print_table(results: dict[str, ModeResult]) -> None:
    header = ["mode", "hit@1", "hit@5", "MRR@10", "abstain acc", "answered", "abstained"]
    rows = [
        [mode, *(result.row()[:3] + ["-", "-", "-"] if mode == "bm25" else result.row())]
        for mode, result in results.items()
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="?", type=Path, default=DEFAULT_SEEDS)
    parser.add_argument("--questions", type=Path, nargs="+", default=[QUESTIONS])
    parser.add_argument("--verbose", action="store_true", help="misses and confidences")
    args = parser.parse_args(argv)

    from knowledge.service import KnowledgeService
    from spinebot.settings import Settings

    missing = [str(path) for path in args.questions if not path.is_file()]
    if missing:
        print(f"no evaluation set at {', '.join(missing)}")
        return 1
    sets = {path.name: load_questions(path) for path in args.questions}
    report: dict[str, tuple[dict[str, ModeResult], AnswerResult]] = {}
    with tempfile.TemporaryDirectory(prefix="spinebot-eval-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        service = KnowledgeService(settings)
        started = time.perf_counter()
        chunks = service.ingest().chunks
        if args.seeds.is_dir():
            chunks += service.ingest([args.seeds]).chunks
        else:
            print(f"(no seeds at {args.seeds}: seed questions count via their research notes)")
        print(f"indexed {chunks} chunks in {time.perf_counter() - started:.1f} s; ", end="")
        print(f"ANSWER_MIN_SCORE={settings.answer_min_score}")
        for name, questions in sets.items():
            report[name] = (
                evaluate(service, questions, settings.answer_min_score),
                evaluate_answers(service, questions),
            )
    for name, (results, answers) in report.items():
        print(f"\n== {name}: {len(sets[name])} questions")
        print_table(results)
        n = max(answers.answerable, 1)
        print(
            f"answers: key fact in answer {answers.fact}/{answers.answerable} "
            f"({answers.fact / n:.0%}), answering passage cited {answers.cited}/"
            f"{answers.answerable}, false abstentions {answers.false_abstain}/"
            f"{answers.answerable}, false answers {answers.false_answer}/{answers.unanswerable}"
        )
        if args.verbose:
            for mode, result in results.items():
                low = sorted(result.conf_answerable)[:5]
                high = sorted(result.conf_abstain)[-5:]
                print(f"{mode}: misses {result.misses}")
                if mode != "bm25":
                    print(f"  lowest answerable confidences {low}; highest abstain {high}")
            print(f"answer misses {answers.misses}; false answers {answers.wrong}")
        hybrid = results["hybrid"]
        better = all(
            hybrid.rr > results[mode].rr and hybrid.hit1 > results[mode].hit1 for mode in ("bm25",)
        )
        print("hybrid beats plain BM25 on hit@1 and MRR" if better else "note: hybrid ≤ BM25")
    return 0


if __name__ == "__main__":
    sys.exit(main())
