"""Who answers the recorded questions (``bot.pending``): threads, in one or more processes.

:class:`AnswerRunner` claims questions and writes their answers on a pool of threads, so
answers never queue behind each other's model calls. It renews the lease on what it is
answering and, as a sweeper, also takes questions nobody is answering: left pending by
a restart, handed back at a shutdown, or held by a worker that died (any replica's
sweeper does this, through the row-lock claims of ``bot.pending``).

``serve`` and ``socket`` run the runner in separate answer processes
(:class:`AnswerProcesses`), at a lower scheduling priority: embedding and ranking are CPU
work that would otherwise compete for the interpreter lock with the threads that ack
Slack. The web process only records the question, posts the placeholder and writes the
question's id down a pipe. A dead answer process is replaced (its claims go back to
pending at once) and ``/healthz`` is red until its replacement is ready. The processes
are plain subprocesses (``python -m bot.answer_pool``), not multiprocessing children,
so no resource tracker outlives them. The console and tests run the runner in-process.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import itertools
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import timedelta
from typing import IO, TYPE_CHECKING, ClassVar

from slack_sdk import WebClient

from bot import qa
from bot.deps import Deps
from bot.models import PendingQuestion
from bot.pending import PendingStore
from bot.qa import answer_claimed, record_answer_metrics
from spinebot.db import describe_db_error, get_engine
from spinebot.settings import Settings

if TYPE_CHECKING:
    from knowledge.llm import ModelUsage

log = logging.getLogger(__name__)

NICENESS = 10
PRUNE_EVERY = 3600.0  # seconds between deletions of old finished questions
READY = "ready"
METRIC = "answer-metric "  # an answer process's report of one answer, for /metrics
STOP = "stop"


_stdout_lock = threading.Lock()


def _report_to_parent(outcome: str, seconds: float, usage: ModelUsage | None) -> None:
    """In an answer process: one line down stdout, counted by the web process."""
    data = {"outcome": outcome, "seconds": round(seconds, 4)}
    if usage is not None:
        data.update(usage.to_dict())
    line = METRIC + json.dumps(data) + "\n"
    with _stdout_lock:  # answer threads write whole lines, never interleaved
        sys.stdout.write(line)
        sys.stdout.flush()


def _record_reported(payload: str) -> None:
    from knowledge.llm import ModelUsage

    try:
        data = json.loads(payload)
        usage = None
        if data.get("model") is not None:
            usage = ModelUsage(
                int(data["input_tokens"]),
                int(data["output_tokens"]),
                str(data["model"]),
                float(data.get("cost") or 0.0),
            )
        record_answer_metrics(str(data["outcome"]), float(data["seconds"]), usage)
    except (ValueError, KeyError, TypeError):
        log.warning("an answer process sent a metric line that could not be read")


def worker_name(label: str = "") -> str:
    """Unique per claimer: the host and pid say where it ran, the suffix tells restarts apart."""
    return f"{socket.gethostname()}:{os.getpid()}:{label or uuid.uuid4().hex[:6]}"


class AnswerRunner:
    """Claims and answers questions on an executor; see the module docstring."""

    # Every runner not yet closed: the test suite closes the ones a test left behind.
    live: ClassVar[weakref.WeakSet[AnswerRunner]] = weakref.WeakSet()

    def __init__(
        self,
        deps: Deps,
        client: WebClient,
        *,
        executor: Executor | None = None,
        name: str | None = None,
        sweep: bool = True,
        store: PendingStore | None = None,
    ) -> None:
        settings = deps.settings
        self.deps = deps
        self.client = client
        self.name = name or worker_name()
        # Bound to the database configured now: a runner never follows a later change of
        # DATABASE_URL (tests), and its sweeper polls only the store it was made for.
        self.store = store or PendingStore(get_engine())
        self.threads = settings.answer_threads
        self._executor = executor or ThreadPoolExecutor(
            max_workers=self.threads, thread_name_prefix="spinebot-answer"
        )
        self.lease = timedelta(seconds=settings.answer_lease_seconds)
        self._interval = max(0.2, min(5.0, settings.answer_lease_seconds / 3))
        self._inflight: set[Future[None]] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._sweeper: threading.Thread | None = None
        self._store_down = False
        AnswerRunner.live.add(self)
        if sweep:
            self._sweeper = threading.Thread(
                target=self._sweep_loop, name="spinebot-sweeper", daemon=True
            )
            self._sweeper.start()

    # --- AnswerDispatcher --------------------------------------------------------------

    def dispatch(self, question_id: int) -> None:
        if self._stopping.is_set():
            return  # stays pending for whoever runs next
        self._submit(lambda: self._claim_and_answer(question_id))

    def health(self) -> tuple[bool, str]:
        if self._stopping.is_set():
            return False, "answering is shutting down"
        return True, f"answering in this process ({len(self._inflight)} in flight)"

    def close(self, grace: float) -> None:
        self._stopping.set()
        AnswerRunner.live.discard(self)
        if self._sweeper is not None:
            self._sweeper.join(timeout=self._interval + 1)
        with self._lock:
            inflight = set(self._inflight)
        if inflight:
            log.info("waiting up to %.0f s for %d answer(s) in flight", grace, len(inflight))
            _, left = wait(inflight, timeout=grace)
            if left:
                log.warning("%d answer(s) not finished in time: left pending", len(left))
        self._executor.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(Exception):
            released = self.store.release(self.name)
            if released:
                log.info("handed back %d unfinished question(s) as pending", released)

    # --- work ------------------------------------------------------------------------

    @property
    def busy(self) -> int:
        with self._lock:
            return len(self._inflight)

    def _submit(self, task: Callable[[], None]) -> None:
        try:
            future = self._executor.submit(task)
        except RuntimeError:  # shut down meanwhile
            return
        with self._lock:
            if not future.done():
                self._inflight.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future[None]) -> None:
        with self._lock:
            self._inflight.discard(future)

    def _claim_and_answer(self, question_id: int) -> None:
        row = self.store.claim(question_id, self.name)
        if row is not None:
            self._answer(row)

    def _answer(self, row: PendingQuestion) -> None:
        assert row.id is not None
        try:
            answer_claimed(self.deps, self.client, row, worker=self.name, store=self.store)
        except Exception:
            # Slack (or the database) failed after the answer was written: another attempt
            # later, until MAX_ATTEMPTS turns it into an apology.
            log.exception("could not deliver the answer to question %s; handing it back", row.id)
            with contextlib.suppress(Exception):
                self.store.release(self.name, row.id)

    def sweep_once(self) -> int:
        """Renew our leases, then claim what is waiting while threads are free."""
        taken = 0
        with contextlib.suppress(Exception):
            self.store.renew(self.name)
        while not self._stopping.is_set() and self.busy < self.threads:
            try:
                row = self.store.claim_next(self.name, lease=self.lease)
            except Exception as exc:
                if not self._store_down:  # one line per outage, not one per sweep
                    self._store_down = True
                    log.warning(
                        "could not look for pending questions: %s",
                        describe_db_error(exc, self.store.engine),
                    )
                break
            if self._store_down:
                self._store_down = False
                log.info("pending questions readable again")
            if row is None:
                break
            taken += 1
            self._submit(functools.partial(self._answer, row))
        return taken

    def _sweep_loop(self) -> None:
        pruned_at = 0.0
        while not self._stopping.is_set():
            self.sweep_once()
            if time.monotonic() - pruned_at > PRUNE_EVERY:
                pruned_at = time.monotonic()
                with contextlib.suppress(Exception):
                    self.store.prune()
            self._stopping.wait(self._interval)


# --------------------------------------------------------------------------- processes


@dataclass
class _Slot:
    process: subprocess.Popen[str]
    name: str
    ready: threading.Event
    stopped: bool = False


class AnswerProcesses:
    """``serve``/``socket``: N answer processes, supervised and replaced when they die."""

    def __init__(
        self, settings: Settings, processes: int, *, store: PendingStore | None = None
    ) -> None:
        self.settings = settings
        self.store = store or PendingStore()
        self._slots: list[_Slot] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._next = itertools.count()
        self.restarts = 0
        for _ in range(processes):
            self._slots.append(self._spawn())
        self._supervisor = threading.Thread(
            target=self._supervise, name="spinebot-supervisor", daemon=True
        )
        self._supervisor.start()

    def _spawn(self) -> _Slot:
        name = worker_name(f"answer{next(self._next)}-{uuid.uuid4().hex[:4]}")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.answer_pool", "--name", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            # SIGINT from a terminal reaches the whole group; the worker treats it like a
            # stop request, which is what the web process sends it anyway.
        )
        slot = _Slot(process, name, threading.Event())
        threading.Thread(
            target=self._read, args=(slot,), name="spinebot-answer-out", daemon=True
        ).start()
        return slot

    @staticmethod
    def _read(slot: _Slot) -> None:
        out: IO[str] | None = slot.process.stdout
        if out is None:
            return
        for line in out:
            if line.strip() == READY:
                slot.ready.set()
            elif line.startswith(METRIC):
                _record_reported(line[len(METRIC) :])

    def wait_ready(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        for slot in list(self._slots):
            while not slot.ready.wait(0.2):
                if slot.process.poll() is not None:
                    raise RuntimeError(
                        "the answer process exited during start-up "
                        f"(code {slot.process.returncode})"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError("the answer process did not become ready in time")

    def _supervise(self) -> None:
        while not self._closing.wait(0.2):
            for index, slot in enumerate(list(self._slots)):
                code = slot.process.poll()
                if code is None or self._closing.is_set() or slot.stopped:
                    continue
                if code == 0:  # it was told to stop (e.g. Ctrl-C reached the whole group)
                    log.warning("answer process %s stopped; not replacing it", slot.name)
                    slot.stopped = True
                    continue
                log.error("answer process %s died (exit %s); starting another", slot.name, code)
                with contextlib.suppress(Exception):
                    released = self.store.release(slot.name)
                    if released:
                        log.info("%d question(s) it held are pending again", released)
                with self._lock:
                    self._slots[index] = self._spawn()
                    self.restarts += 1

    def dispatch(self, question_id: int) -> None:
        """Write the id to a ready process (round robin); if none takes it, it stays
        pending and a sweeper answers it."""
        with self._lock:
            slots = [s for s in self._slots if s.ready.is_set() and s.process.poll() is None]
            if not slots:
                log.warning("no answer process ready; question %s waits", question_id)
                return
            start = question_id % len(slots)
            for slot in slots[start:] + slots[:start]:
                try:
                    assert slot.process.stdin is not None
                    slot.process.stdin.write(f"{question_id}\n")
                    slot.process.stdin.flush()
                    return
                except (OSError, ValueError):
                    continue

    def health(self) -> tuple[bool, str]:
        slots = list(self._slots)
        ready = sum(1 for s in slots if s.ready.is_set() and s.process.poll() is None)
        detail = f"{ready} of {len(slots)} answer processes ready"
        return ready == len(slots) and not self._closing.is_set(), detail

    def close(self, grace: float) -> None:
        self._closing.set()
        self._supervisor.join(timeout=2)
        with self._lock:
            slots = list(self._slots)
        for slot in slots:
            with contextlib.suppress(OSError, ValueError):
                assert slot.process.stdin is not None
                slot.process.stdin.write(STOP + "\n")
                slot.process.stdin.close()
        deadline = time.monotonic() + grace + 10
        for slot in slots:
            try:
                slot.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("answer process %s did not stop in time; killing it", slot.name)
                slot.process.kill()
                slot.process.wait(timeout=10)
            with contextlib.suppress(Exception):
                self.store.release(slot.name)
            if slot.process.stdout is not None:
                slot.process.stdout.close()

    def pids(self) -> list[int]:
        return [slot.process.pid for slot in self._slots]


# --------------------------------------------------------------------------- worker main


def main(argv: list[str] | None = None) -> None:
    """One answer process: reads question ids (one a line) on stdin; "stop" or EOF (the
    web process went away) ends it gracefully."""
    parser = argparse.ArgumentParser(prog="python -m bot.answer_pool")
    parser.add_argument("--name", default="")
    args = parser.parse_args(argv)
    with contextlib.suppress(OSError):
        os.nice(NICENESS)  # acks in the web process come first
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())

    from bot.slack_client import make_client
    from knowledge.service import get_knowledge
    from spinebot.logging import configure_logging
    from spinebot.settings import get_settings

    settings = get_settings()
    configure_logging(settings.log_level)
    service = get_knowledge(settings)
    with contextlib.suppress(Exception):  # load the model and the keyword index first
        service.ask("warm up")
    deps = Deps.create(settings, inline=True)
    deps.knowledge_factory = lambda: service
    runner = AnswerRunner(deps, make_client(settings), name=args.name or None, sweep=True)

    def read_ids() -> None:
        for line in sys.stdin:
            line = line.strip()
            if line == STOP:
                break
            if line.isdigit():
                runner.dispatch(int(line))
        stop.set()

    threading.Thread(target=read_ids, name="spinebot-ids", daemon=True).start()
    qa.report_answer = _report_to_parent
    print(READY, flush=True)
    stop.wait()
    runner.close(settings.shutdown_grace_seconds)
    logging.shutdown()
    os._exit(0)  # answers still running past the grace period are pending again


if __name__ == "__main__":
    main()
