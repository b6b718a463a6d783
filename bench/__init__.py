"""Benchmarks: speed and quality figures, printed as tables (never pass/fail tests)."""
