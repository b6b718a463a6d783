"""Run every benchmark script in turn: ``python -m bench`` (``make bench``)."""

from __future__ import annotations

import importlib
import sys
import time

SCRIPTS = (
    "bench.eval_retrieval",
    "bench.eval_heldout",
    "bench.eval_sets",
    "bench.knowledge_bench",
    "bench.documents_bench",
    "bench.portfolio_bench",
    "bench.digest_bench",
    "bench.ack_bench",
    "bench.answer_bench",
)


def main() -> int:
    failed = []
    for name in SCRIPTS:
        print(f"\n== {name} ==", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                print("(not present)")
                continue
            raise
        code = module.main()
        print(f"({time.perf_counter() - started:.1f} s)", flush=True)
        if code:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
