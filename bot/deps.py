"""What every listener needs, in one object handed to ``register(app, deps)``.

Listeners ack first and hand slow work (answering, embedding, posting) to ``deps.run``,
which uses its own thread pool: Bolt's listener pool only ever runs short code, so an
ack never waits behind an answer being written.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from spinebot.settings import Settings

if TYPE_CHECKING:
    from bot.answering import AnswerDispatcher, Answerer
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
    knowledge_factory: Callable[[], Answerer] | None = None
    portfolio_factory: Callable[[], PortfolioService] | None = None
    # Where recorded questions go to be answered (bot.answering); build_app installs
    # threads in this process unless serve/socket installed answer processes first.
    answers: AnswerDispatcher | None = field(default=None, repr=False)
    # `/ask` answers go back through a response_url; the console prints them instead.
    respond_factory: Callable[[str], Callable[..., Any]] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _knowledge: Answerer | None = field(default=None, repr=False)
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)
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

    @property
    def knowledge(self) -> Answerer:
        with self._lock:
            if self._knowledge is None:
                if self.knowledge_factory is not None:
                    self._knowledge = self.knowledge_factory()
                else:
                    from knowledge.service import get_knowledge

                    self._knowledge = get_knowledge(self.settings)
            return self._knowledge

    def respond_to(self, response_url: str) -> Callable[..., Any]:
        if self.respond_factory is not None:
            return self.respond_factory(response_url)
        from slack_bolt.context.respond import Respond

        return Respond(response_url=response_url)

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

    def shutdown(self, grace: float | None = None) -> None:
        """Finish the short work after acks, then let the answers finish within
        ``grace`` seconds (SHUTDOWN_GRACE_SECONDS); what is left stays pending."""
        self.work.shutdown(wait=True)
        if self.answers is not None:
            self.answers.close(self.settings.shutdown_grace_seconds if grace is None else grace)
        for close in self._closers:
            close()
