"""Answers computed in separate, lower-priority processes.

Writing an answer is CPU work (embedding the question, ranking passages) and, in one
process, it competes for the interpreter lock with the threads that ack Slack requests.
``serve`` and ``socket`` therefore hand questions to a small pool of worker processes
that run at a lower scheduling priority; the web process only waits on the result in a
work thread. The console and tests answer in-process.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from spinebot.settings import Settings

log = logging.getLogger(__name__)

_service: Any = None  # the KnowledgeService of a worker process
NICENESS = 10


def _start_worker(settings_data: dict[str, Any]) -> None:
    global _service
    with contextlib.suppress(OSError):
        os.nice(NICENESS)  # acks in the web process come first
    from knowledge.service import KnowledgeService

    _service = KnowledgeService(Settings(**settings_data))


def _ask(question: str, history: tuple[str, ...]) -> Any:
    return _service.ask(question, history=history)


def _warm() -> int:
    """Load the model and the keyword index before the first real question."""
    return int(_service.ask("warm up").latency_ms >= 0)


class AnswerPool:
    """Quacks like ``KnowledgeService`` for what the bot needs: ``ask`` and ``health``."""

    def __init__(self, settings: Settings, processes: int) -> None:
        self._settings = settings
        self._pool = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(settings.model_dump(),),
        )

    def warm_up(self) -> None:
        self._pool.submit(_warm).result(timeout=300)

    def ask(self, question: str, *, history: Sequence[str] = ()) -> Any:
        return self._pool.submit(_ask, question, tuple(history)).result(timeout=120)

    def health(self) -> tuple[bool, str]:
        from knowledge.service import get_knowledge

        return get_knowledge(self._settings).health()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
