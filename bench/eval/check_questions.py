"""Check the evaluation set against the documents it points at.

A retrieval hit is scored by looking for ``contains`` in a retrieved chunk, so a phrase
that no longer exists in its source (after an edit to a playbook), or that straddles two
paragraphs (and so may be cut in two by the chunker), would silently turn a good answer
into a miss. This script catches that before the numbers are trusted:

* every line is a JSON object with a unique id and either ``source`` + ``contains`` or
  ``abstain: true``;
* the source file exists (``knowledge/corpus/<source>``, or a seed file by name);
* ``contains`` has 3-8 words and occurs, case-insensitively, inside ONE paragraph of a
  Markdown source (blank-line separated, front matter excluded), or inside one line of a
  ``.txt`` seed (seed text is hard-wrapped, so a phrase across a line break could be
  split by the chunker);
* the optional ``also`` list (other ``{source, contains}`` pairs that count as a hit,
  e.g. the research note that summarises a seed passage) passes the same checks;
* the set is big enough: at least 48 answerable and 12 abstain questions.

Usage: ``python bench/eval/check_questions.py [--seeds DIR ...] [--questions FILE]``.
Seed questions whose seed folder is not available are reported as skipped, not failed.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = Path(__file__).resolve().parent / "questions.jsonl"
CORPUS = ROOT / "knowledge" / "corpus"
DEFAULT_SEED_DIRS = (ROOT / "seeds", ROOT.parent / "shared" / "seeds")
MIN_ANSWERABLE = 48
MIN_ABSTAIN = 12
MIN_WORDS, MAX_WORDS = 3, 8
FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.DOTALL)


@dataclass
class Report:
    """What the check found; ``ok`` when there are no errors."""

    answerable: int = 0
    abstain: int = 0
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    by_source: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return not self.errors


def normalize(text: str) -> str:
    """Lower-case and collapse whitespace, so wrapping and indentation do not matter."""
    return " ".join(text.split()).casefold()


def units(path: Path) -> list[str]:
    """The spans a phrase must fit inside: paragraphs for Markdown, lines for text."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".md":
        text = FRONT_MATTER.sub("", text, count=1)
        return [normalize(p) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return [normalize(line) for line in text.splitlines() if line.strip()]


def resolve(source: str, seed_dirs: list[Path]) -> Path | None:
    """Find a source: a corpus path first, then a seed file name in the seed folders."""
    candidate = CORPUS / source
    if candidate.is_file():
        return candidate
    for folder in seed_dirs:
        if (folder / source).is_file():
            return folder / source
    return None


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    """Parse the JSONL file; a broken line raises ValueError naming the line."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(item, dict):
            raise ValueError(f"line {number}: not a JSON object")
        items.append(item)
    return items


SKIPPED = "skipped"


def _check_target(
    source: str, phrase: str, seed_dirs: list[Path], cache: dict[Path, list[str]]
) -> str | None:
    """One (source, phrase) pair: None when fine, SKIPPED, or the problem in words."""
    words = len(phrase.split())
    if not MIN_WORDS <= words <= MAX_WORDS:
        return f"{phrase!r} has {words} words ({MIN_WORDS}-{MAX_WORDS})"
    path = resolve(source, seed_dirs)
    if path is None:
        if source.endswith(".txt") and "/" not in source:
            return SKIPPED
        return f"source {source} not found under {CORPUS}"
    if path not in cache:
        cache[path] = units(path)
    if not any(normalize(phrase) in unit for unit in cache[path]):
        span = "paragraph" if path.suffix == ".md" else "line"
        return f"{phrase!r} is not inside one {span} of {source}"
    return None


def check(items: list[dict], seed_dirs: list[Path]) -> Report:
    """Validate every question; collect all problems rather than stopping at the first."""
    report = Report()
    seen: set[str] = set()
    cache: dict[Path, list[str]] = {}
    for item in items:
        qid = str(item.get("id", "?"))
        if qid in seen:
            report.errors.append(f"{qid}: duplicate id")
        seen.add(qid)
        if not str(item.get("question", "")).strip():
            report.errors.append(f"{qid}: empty question")
        if item.get("abstain") is True:
            report.abstain += 1
            if "source" in item or "contains" in item:
                report.errors.append(f"{qid}: an abstain question has no source/contains")
            continue
        source, phrase = item.get("source"), item.get("contains")
        if not isinstance(source, str) or not isinstance(phrase, str) or not phrase.strip():
            report.errors.append(f"{qid}: needs 'source' and 'contains' (or 'abstain': true)")
            continue
        report.answerable += 1
        report.by_source[source] += 1
        targets = [(source, phrase)]
        also = item.get("also", [])
        if not isinstance(also, list) or not all(
            isinstance(a, dict)
            and isinstance(a.get("source"), str)
            and isinstance(a.get("contains"), str)
            for a in also
        ):
            report.errors.append(f"{qid}: 'also' must be a list of {{source, contains}} objects")
            also = []
        targets += [(a["source"], a["contains"]) for a in also]
        for target, text in targets:
            problem = _check_target(target, text, seed_dirs, cache)
            if problem == SKIPPED:
                report.skipped.append(f"{qid}: seed {target} not available")
            elif problem:
                report.errors.append(f"{qid}: {problem}")
    if report.answerable < MIN_ANSWERABLE:
        report.errors.append(f"only {report.answerable} answerable questions (>= {MIN_ANSWERABLE})")
    if report.abstain < MIN_ABSTAIN:
        report.errors.append(f"only {report.abstain} abstain questions (>= {MIN_ABSTAIN})")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=Path, default=QUESTIONS)
    parser.add_argument(
        "--no-minimum", action="store_true", help="skip the set-size minimums (held-out sets)"
    )
    parser.add_argument(
        "--seeds", type=Path, action="append", help="folder holding the seed .txt files"
    )
    args = parser.parse_args(argv)
    seed_dirs = args.seeds or [d for d in DEFAULT_SEED_DIRS if d.is_dir()]
    try:
        items = load_questions(args.questions)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}")
        return 1
    report = check(items, seed_dirs)
    if args.no_minimum:
        report.errors = [e for e in report.errors if not e.startswith("only ")]
    print(f"{'source':<45} {'questions':>9}")
    for source, count in sorted(report.by_source.items()):
        print(f"{source:<45} {count:>9}")
    print(f"{'answerable':<45} {report.answerable:>9}")
    print(f"{'abstain':<45} {report.abstain:>9}")
    for line in report.skipped:
        print(f"skipped: {line}")
    for line in report.errors:
        print(f"error: {line}")
    print("ok" if report.ok else f"{len(report.errors)} problem(s)")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
