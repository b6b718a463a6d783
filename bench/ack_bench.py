"""Slash-command ack latency over real HTTP: ``python -m bench.ack_bench``.

Slack gives an app 3 seconds to acknowledge a request, and Spinebot promises far better:
an ack is never delayed by slow work, even with answers being written. This script
measures the round trip of signed slash commands (client send → full response read),
with 1 and with 20 concurrent clients, against each *target*:

* ``bare``: a Bolt app whose only listener acks, served the same way as Spinebot
  (``bot.server.Server``: waitress). It is the floor the real app is compared with.
* ``spinebot``: the real app as ``spinebot serve`` builds it (``build_served_app``: an
  answer process included) on the same server, over the bundled corpus, its Web API
  client pointed at the fake Slack, while 10 Q&A answers are kept in flight (each one
  finished is replaced by a new mention).

The fake Slack and the mention load run in a process of their own (``--slack-side``),
the app in another (``--serve``), and only the timed clients in this one, so the
measurement does not share an interpreter lock with the load it measures under.

Targets are plain functions returning a :class:`Target`; add one to ``TARGETS``.
The issue's goal: spinebot's p99 ≤ 1.5 × bare's, and no ack slower than 500 ms.
"""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tests.harness import payloads
from tests.harness.fake_slack import FakeSlack
from tests.harness.signing import SlackRequester

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"
CONCURRENCY = (1, 20)
REQUESTS_PER_CLIENT = {1: 300, 20: 50}
WARMUP = 20
IN_FLIGHT = 10
TARGET_RATIO = 1.5
TARGET_MAX_MS = 500.0


@dataclass
class Target:
    """Something to measure.

    ``serve(api_url)`` runs in its own server process (like production, where the app
    does not share an interpreter with its clients): a context manager yielding the base
    URL while the app runs, its Web API client pointed at ``api_url``. ``env(api_url,
    tmp_dir)`` adds environment variables for that process. ``load`` (optional) runs in
    a thread of the bench process during the measurement until its stop event is set
    (e.g. keeping answers in flight). ``command``/``text`` is the slash command timed.
    """

    name: str
    serve: Callable[[str], AbstractContextManager[str]]
    command: str = "/ask"
    text: str = "what is a phase gate?"
    load: Callable[[SlackRequester, FakeSlack, threading.Event], None] | None = None
    note: str = ""
    env: Callable[[str, str], dict[str, str]] | None = None


class ErrorCounter(logging.Handler):
    """Counts the errors the app logs during a run (instead of printing tracebacks)."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


@dataclass
class Result:
    target: str
    clients: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    background: int = 0  # answers finished during the measurement

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    @property
    def p99(self) -> float:
        return self.pct(99)

    @property
    def max(self) -> float:
        return max(self.latencies) * 1000 if self.latencies else float("nan")


# ---------------------------------------------------------------------- targets


def bare_target() -> Target:
    """A Bolt app that only acks, on the production server."""

    @contextmanager
    def serve(api_url: str) -> Iterator[str]:
        from slack_bolt import App
        from slack_sdk import WebClient

        from bot.server import Server

        app = App(
            signing_secret=SECRET,
            client=WebClient(token=TOKEN, base_url=api_url),
            token_verification_enabled=False,
        )

        @app.command("/ask")
        def ask(ack) -> None:  # type: ignore[no-untyped-def]
            ack(text="Looking that up…")

        with Server(app, check_index=False) as server:
            yield server.url

    return Target("bare", serve, note="Bolt app that only acks")


def spinebot_target() -> Target:
    """The real app, with ``IN_FLIGHT`` mention answers being written throughout.

    Its settings come from the environment the parent gives the server process (a
    temporary data dir and SQLite file, the fake's URL, the bench token and secret)."""

    @contextmanager
    def serve(api_url: str) -> Iterator[str]:
        from bot.app import app_deps, build_served_app
        from bot.server import Server
        from knowledge.service import get_knowledge
        from spinebot import db
        from spinebot.settings import get_settings

        settings = get_settings()
        db.upgrade(settings.sqlalchemy_url)
        get_knowledge(settings).ingest()  # real answers: retrieval over the bundled corpus
        app = build_served_app(settings)
        try:
            with Server(app, threads=settings.web_threads, check_index=False) as server:
                yield server.url
        finally:
            app_deps(app).shutdown()  # answers in flight finish; no answer process is left

    return Target(
        "spinebot",
        serve,
        command="/usecase",
        text="help",
        load=keep_answers_in_flight,
        note=f"real app, {IN_FLIGHT} answers in flight",
        env=lambda api_url, tmp: {
            "SPINEBOT_DATA_DIR": str(Path(tmp) / "data"),
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'bench.db'}",
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": api_url,
        },
    )


def keep_answers_in_flight(slack: SlackRequester, fake: FakeSlack, stop: threading.Event) -> None:
    """Mention the bot so that ``IN_FLIGHT`` answers are always being written: an answer
    is finished when its placeholder message has been updated (answer or apology)."""
    sent = [0]

    def room() -> bool:
        return sent[0] - len(fake.calls_to("chat.update")) < IN_FLIGHT

    while not stop.is_set():
        if room():
            slack.event(payloads.app_mention_event(f"question {sent[0]}: how do gates work?"))
            sent[0] += 1
            continue
        with suppress(AssertionError):  # no answer finished within the wait: look again
            fake.wait_until(lambda: stop.is_set() or room(), 0.5)


TARGETS: tuple[Callable[[], Target], ...] = (bare_target, spinebot_target)


# ---------------------------------------------------------------------- measurement


def measure(slack: SlackRequester, target: Target, clients: int, per_client: int) -> Result:
    result = Result(target.name, clients)
    lock = threading.Lock()
    start = threading.Barrier(clients)

    def client() -> None:
        start.wait()
        for _ in range(per_client):
            try:
                response = slack.command(target.command, target.text)
                ok = response.status == 200
            except OSError:
                ok, response = False, None
            with lock:
                if ok and response is not None:
                    result.latencies.append(response.latency)
                else:
                    result.errors += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


@contextmanager
def server_process(target: Target, api_url: str) -> Iterator[tuple[str, list[int]]]:
    """Start ``target`` in a child process; yield its URL and, once it has stopped, the
    number of errors it logged (in the one-item list)."""
    logged_errors: list[int] = []
    with tempfile.TemporaryDirectory(prefix="spinebot-ackbench-") as tmp:
        env = dict(os.environ)
        env.update(target.env(api_url, tmp) if target.env else {})
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.ack_bench", "--serve", target.name, api_url],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdin is not None and child.stdout is not None
        try:
            line = child.stdout.readline().strip()
            if not line.startswith("READY "):
                raise RuntimeError(f"{target.name} server did not start: {line!r}")
            yield line.split(" ", 1)[1], logged_errors
        finally:
            child.stdin.close()  # the child stops when its stdin closes
            rest = child.stdout.read()
            child.wait(timeout=30)
            for out in rest.splitlines():
                if out.startswith("ERRORS "):
                    logged_errors.append(int(out.split()[1]))


def serve_child(name: str, api_url: str) -> int:
    """The server process: run the target until stdin closes, then report its errors."""
    counter = ErrorCounter()
    logging.getLogger().addHandler(counter)
    target = {t.name: t for t in (make() for make in TARGETS)}[name]
    with target.serve(api_url) as url:
        print(f"READY {url}", flush=True)
        sys.stdin.read()
    print(f"ERRORS {counter.count}", flush=True)
    return 0


class SlackSide:
    """The fake Slack Web API and the answer load, in a process of their own, so their
    work does not share an interpreter lock with the clients being timed."""

    def __init__(self) -> None:
        self.child = subprocess.Popen(
            [sys.executable, "-m", "bench.ack_bench", "--slack-side"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.api_url, self.url = self._ask("")[1:]

    def _ask(self, line: str) -> list[str]:
        assert self.child.stdin is not None and self.child.stdout is not None
        if line:
            self.child.stdin.write(line + "\n")
            self.child.stdin.flush()
        return self.child.stdout.readline().split()

    def start_load(self, app_url: str) -> None:
        self._ask(f"LOAD {app_url}")

    def stop_load(self) -> None:
        self._ask("STOP")

    def count(self, method: str) -> int:
        return int(self._ask(f"COUNT {method}")[1])

    def close(self) -> None:
        assert self.child.stdin is not None
        self.child.stdin.close()
        self.child.wait(timeout=30)


def slack_side_child() -> int:
    """``--slack-side``: run the fake and, when told, keep answers in flight."""
    stop = threading.Event()
    loader: threading.Thread | None = None
    with FakeSlack() as fake:
        print(f"FAKE {fake.api_url} {fake.url}", flush=True)
        for line in sys.stdin:
            command, _, arg = line.strip().partition(" ")
            if command == "LOAD":
                slack = SlackRequester(arg, SECRET, response_url=fake.response_url)
                loader = threading.Thread(
                    target=keep_answers_in_flight, args=(slack, fake, stop), daemon=True
                )
                loader.start()
                fake.wait_for("chat.postMessage", count=IN_FLIGHT, timeout=30)
                print("LOADED", flush=True)
            elif command == "STOP":
                stop.set()
                if loader is not None:
                    loader.join(timeout=10)
                print("STOPPED", flush=True)
            elif command == "COUNT":
                print(f"COUNT {len(fake.calls_to(arg))}", flush=True)
        stop.set()
    return 0


def run_target(target: Target) -> tuple[list[Result], int]:
    """Measure every concurrency level; also return how many errors the app logged."""
    results: list[Result] = []
    side = SlackSide()
    try:
        with server_process(target, side.api_url) as (url, logged_errors):
            ids = iter(range(10**9))
            slack = SlackRequester(
                url, SECRET, response_url=lambda: f"{side.url}/response/B{next(ids)}"
            )
            for _ in range(WARMUP):
                slack.command(target.command, target.text)
            if target.load is not None:
                side.start_load(url)
            for clients in CONCURRENCY:
                before = side.count("chat.update")
                result = measure(slack, target, clients, REQUESTS_PER_CLIENT[clients])
                result.background = side.count("chat.update") - before
                results.append(result)
            side.stop_load()  # before the app stops, so no answer is cut off
    finally:
        side.close()
    return results, sum(logged_errors)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve"]:
        return serve_child(argv[1], argv[2])
    if argv[:1] == ["--slack-side"]:
        return slack_side_child()
    print(f"slash-command ack latency over HTTP on 127.0.0.1 ({os.cpu_count()} CPUs)")
    header = (
        f"{'target':<10} {'clients':>7} {'requests':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'errors':>6} {'answers':>7}"
    )
    print(header)
    print("-" * len(header))
    all_results: dict[tuple[str, int], Result] = {}
    failed = False
    for make_target in TARGETS:
        target = make_target()
        started = time.perf_counter()
        try:
            results, logged_errors = run_target(target)
        except RuntimeError as exc:
            print(f"{target.name:<10} (could not run: {exc})")
            failed = True
            continue
        for r in results:
            all_results[(r.target, r.clients)] = r
            failed = failed or r.errors > 0
            answers = str(r.background) if target.load else "-"
            print(
                f"{r.target:<10} {r.clients:>7} {len(r.latencies) + r.errors:>8} "
                f"{r.p50:>8.1f} {r.p99:>8.1f} {r.max:>8.1f} {r.errors:>6} {answers:>7}"
            )
        print(
            f"{'':<10} ({target.note}; {logged_errors} errors logged by the app; "
            f"{time.perf_counter() - started:.1f} s)"
        )
    for clients in CONCURRENCY:
        bare, real = all_results.get(("bare", clients)), all_results.get(("spinebot", clients))
        if bare and real:
            ratio = real.p99 / bare.p99
            verdict = "met" if ratio <= TARGET_RATIO and real.max <= TARGET_MAX_MS else "MISSED"
            print(
                f"{clients} client(s): spinebot p99 = {ratio:.2f} x bare "
                f"(goal <= {TARGET_RATIO}), max {real.max:.0f} ms (goal <= "
                f"{TARGET_MAX_MS:.0f}): {verdict}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
