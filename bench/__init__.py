"""Benchmarks: speed and quality figures, printed as tables (never pass/fail tests)."""

from pathlib import Path

# The seed texts, read from the shared folder beside the repository when it is there
# (they are never copied into the repo).
SHARED_SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
