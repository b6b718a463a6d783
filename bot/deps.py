"""What every listener needs, in one object handed to ``register(app, deps)``.

Listeners ack first and hand slow work (answering, embedding, posting) to ``deps.run``,
which uses its own thread pool: Bolt's listener pool only ever runs short code, so an
ack never waits behind an answer being written.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spinebot.settings import Settings

if TYPE_CHECKING:
    from knowledge.service import KnowledgeService
    from portfolio.service import PortfolioService

log = logging.getLogger(__name__)


class InlineExecutor(Executor):
    """Runs work at once in the caller's thread (the console, and some tests)."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the future like a pool would
            future.set_exception(exc)
        return future


def new_reference() -> str:
    """A short id shown to the user in an apology and written to the log with the error."""
    return uuid.uuid4().hex[:8]


@dataclass
class Deps:
    settings: Settings
    work: Executor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=16))
    knowledge_factory: Callable[[], KnowledgeService] | None = None
    portfolio_factory: Callable[[], PortfolioService] | None = None
    # Answers are CPU-bound (embedding, ranking); letting only cores−1 of them compute
    # at once keeps a core free for the web server's acks. The rest wait their turn.
    answer_slots: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) - 1)),
        repr=False,
    )
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _knowledge: Any = field(default=None, repr=False)
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)
    answer_pool: Any = field(default=None, repr=False)  # bot.answer_pool.AnswerPool
    _portfolio: Any = field(default=None, repr=False)

    @classmethod
    def create(cls, settings: Settings, *, inline: bool = False) -> Deps:
        work: Executor = (
            InlineExecutor()
            if inline
            else ThreadPoolExecutor(
                max_workers=settings.worker_threads, thread_name_prefix="spinebot-work"
            )
        )
        return cls(settings=settings, work=work)

    def use_answer_processes(self) -> None:
        """Serve and socket: answers are written in worker processes (see answer_pool)."""
        if self.settings.answer_processes < 1 or self.knowledge_factory is not None:
            return
        from bot.answer_pool import AnswerPool

        pool = AnswerPool(self.settings, self.settings.answer_processes)
        pool.warm_up()
        self.answer_pool = pool
        self.knowledge_factory = lambda: pool  # type: ignore[assignment, return-value]
        self._closers.append(pool.shutdown)
        # The pool's processes do the CPU work; the web process needs no answer slots.
        self.answer_slots = threading.BoundedSemaphore(self.settings.worker_threads)

    @property
    def knowledge(self) -> KnowledgeService:
        with self._lock:
            if self._knowledge is None:
                if self.knowledge_factory is not None:
                    self._knowledge = self.knowledge_factory()
                else:
                    from knowledge.service import get_knowledge

                    self._knowledge = get_knowledge(self.settings)
            return self._knowledge

    @property
    def portfolio(self) -> PortfolioService:
        with self._lock:
            if self._portfolio is None:
                if self.portfolio_factory is not None:
                    self._portfolio = self.portfolio_factory()
                else:
                    from portfolio.service import PortfolioService

                    self._portfolio = PortfolioService(self.settings)
            return self._portfolio

    def run(
        self,
        task: Callable[[], None],
        *,
        what: str,
        on_error: Callable[[str], None] | None = None,
    ) -> Future[None]:
        """Run ``task`` after the ack. A failure is logged with a reference id and, when
        ``on_error`` is given, reported to the user with that id: never silent."""

        def guarded() -> None:
            try:
                task()
            except Exception:
                ref = new_reference()
                log.exception("%s failed (ref %s)", what, ref)
                if on_error is not None:
                    try:
                        on_error(ref)
                    except Exception:
                        log.exception("could not report failure ref %s to the user", ref)

        return self.work.submit(guarded)

    def shutdown(self) -> None:
        self.work.shutdown(wait=True)
        for close in self._closers:
            close()
