"""Answers written in separate, lower-priority processes.

Writing an answer is CPU work (embedding the question, ranking passages, logging it,
rendering and posting the update) and, in one process, it competes for the interpreter
lock with the threads that ack Slack requests. ``serve`` and ``socket`` therefore post
the progress placeholder themselves and hand the rest to a small pool of worker
processes running at a lower scheduling priority, each with its own database engine
and Slack client. The console and tests answer in-process.
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
_deps: Any = None  # its Deps (in-process knowledge, inline work)
_client: Any = None  # its Slack Web API client
NICENESS = 10


def _start_worker(settings_data: dict[str, Any]) -> None:
    global _service, _deps, _client
    with contextlib.suppress(OSError):
        os.nice(NICENESS)  # acks in the web process come first
    from bot.deps import Deps
    from bot.slack_client import make_client
    from knowledge.service import KnowledgeService

    settings = Settings(**settings_data)
    _service = KnowledgeService(settings)
    _deps = Deps.create(settings, inline=True)
    _deps.knowledge_factory = lambda: _service
    _client = make_client(settings)


def _ask(question: str, history: tuple[str, ...]) -> Any:
    return _service.ask(question, history=history)


def _finish(question: Any, channel: str, ts: str, current_ts: str | None) -> None:
    from bot.qa import finish_answer

    finish_answer(_deps, _client, question, channel, ts, current_ts)


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

    def finish(self, question: Any, channel: str, ts: str, current_ts: str | None) -> None:
        """Answer, log and update the placeholder, all in a worker process."""
        self._pool.submit(_finish, question, channel, ts, current_ts).result(timeout=180)

    def health(self) -> tuple[bool, str]:
        from knowledge.service import get_knowledge

        return get_knowledge(self._settings).health()

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
