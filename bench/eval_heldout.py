"""Retrieval on the held-out questions: ``python -m bench.eval_heldout``.

``bench/eval/heldout.jsonl`` was written after the fusion weights were tuned on
``questions.jsonl`` and never used for tuning, so it shows how the tuned figures carry
over. (Its questions were written while reading the passages, so they lean towards the
passages' own words: keyword search is favoured.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench import eval_retrieval

HELDOUT = Path(__file__).resolve().parent / "eval" / "heldout.jsonl"


def main() -> int:
    return eval_retrieval.main(["--questions", str(HELDOUT)])


if __name__ == "__main__":
    sys.exit(main())
