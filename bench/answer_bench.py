"""Answer latency over real HTTP: ``python -m bench.answer_bench``.

A real ``spinebot serve`` process (with its answer process) over the bundled corpus, its
Web API client pointed at the fake Slack and its chat model at a fake OpenAI-compatible
server that takes ``MODEL_DELAY`` seconds before it replies. Measured:

* **concurrent answers**: 10, then 50 mentions sent at once; for each, the time from
  sending it to the fake Slack receiving the finished answer (the ``chat.update`` with
  its sources). Goals: every one of 10 within 4 s, of 50 within 6 s (the model alone
  takes 2 s).
* **streaming**: questions one after another, the model sending a word every 50 ms;
  the time from the model sending its first word to that word reaching Slack (goal
  ≤ 0.5 s).
* **memory**: the largest resident set of serve plus its answer processes during the
  50-question burst (goal ≤ 800 MB).
* **acks while answers are written**: ``bench.ack_bench``'s measurement (bare Bolt app
  vs Spinebot, 20 clients) with the chat model configured, so the answers kept in
  flight are model answers (goal p99 ≤ 1.5 × bare). ``--no-acks`` skips it,
  ``--acks-only`` runs only it.

The fake Slack and the fake model run in this process; serve runs in its own.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from tests.harness import payloads
from tests.harness.fake_slack import Call, FakeSlack
from tests.harness.fixtures import SIGNING_SECRET
from tests.harness.model_server import StreamingModelServer
from tests.harness.serve import ServeProcess, build_index
from tests.harness.signing import SlackRequester

MODEL_DELAY = 2.0
BURSTS = ((10, 4.0), (50, 6.0))
STREAMED = 5
FIRST_WORDS_GOAL = 0.5
RSS_GOAL_MB = 800.0
QUESTION = "What must a pilot show to go to production?"


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def _final(fake: FakeSlack, ts: str) -> Call | None:
    for call in fake.calls_to("chat.update"):
        if call.args.get("ts") == ts and "Sources" in str(call.args):
            return call
    return None


def burst(serve: ServeProcess, fake: FakeSlack, count: int) -> tuple[list[float], float]:
    """Send ``count`` mentions at once; seconds until each answer was posted, and the
    peak memory of serve and its children meanwhile."""
    slack = SlackRequester(serve.base, SIGNING_SECRET)
    fake.reset()
    events = [payloads.app_mention_event(f"{QUESTION} ({n})") for n in range(count)]
    asked: dict[str, float] = {}
    gate = threading.Barrier(count)

    def send(event: dict) -> None:
        gate.wait()
        asked[event["ts"]] = time.monotonic()
        slack.event(event)

    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], rss_mb([serve.pid, *serve.descendants()]))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=send, args=(event,)) for event in events]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    posts = fake.wait_for("chat.postMessage", count=count, timeout=60)
    placeholder = {call.args["thread_ts"]: call.response["ts"] for call in posts if call.response}
    deadline = time.monotonic() + 120
    latencies: list[float] = []
    for event_ts, started in asked.items():
        while (final := _final(fake, placeholder[event_ts])) is None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"an answer did not arrive within 120 s:\n{serve.log()[-2000:]}")
            time.sleep(0.05)
        latencies.append(final.at - started)
    done.set()
    sampler.join()
    return sorted(latencies), peak[0]


def first_words(serve: ServeProcess, fake: FakeSlack, model: StreamingModelServer) -> list[float]:
    """Seconds from the model's first word to the first partial update, per question."""
    slack = SlackRequester(serve.base, SIGNING_SECRET)
    model.delay, model.word_delay = 0.5, 0.05
    gaps: list[float] = []
    for n in range(STREAMED):
        fake.reset()
        model.first_chunk_at.clear()
        slack.event(payloads.app_mention_event(f"{QUESTION} [{n}]"))
        partial = fake.wait_for(
            "chat.update", timeout=60, predicate=lambda c: "Writing" in str(c.args)
        )[0]
        fake.wait_for("chat.update", timeout=60, predicate=lambda c: "Sources" in str(c.args))
        gaps.append(partial.at - model.first_chunk_at[0])
    model.delay, model.word_delay = MODEL_DELAY, 0.0
    return gaps


def acks(model_url: str) -> list[str]:
    """ack_bench's bare vs spinebot comparison, with model answers in flight."""
    from bench import ack_bench

    base = ack_bench.spinebot_target()
    plain_env = base.env
    assert plain_env is not None

    def env(api_url: str, tmp: str) -> dict[str, str]:
        return {
            **plain_env(api_url, tmp),
            "LLM_MODEL": "openai:gpt-4o-mini",
            "LLM_BASE_URL": model_url,
        }

    base.env = env
    base.note = f"real app, {ack_bench.IN_FLIGHT} model answers ({MODEL_DELAY:g} s) in flight"
    lines = []
    p99: dict[str, float] = {}
    for target in (ack_bench.bare_target(), base):
        results, errors = ack_bench.run_target(target)
        for r in results:
            if r.clients == 20:
                p99[target.name] = r.p99
            lines.append(
                f"  {target.name:<9} {r.clients:>2} client(s): p50 {r.p50:.1f} ms, p99 "
                f"{r.p99:.1f} ms, max {r.max:.1f} ms, {r.errors} errors, "
                f"{r.background} answer updates meanwhile"
            )
        lines.append(f"  ({target.note}; {errors} errors logged by the app)")
    ratio = p99["spinebot"] / p99["bare"]
    verdict = "met" if ratio <= ack_bench.TARGET_RATIO else "MISSED"
    lines.append(
        f"  20 clients: ack p99 = {ratio:.2f} x bare (goal <= {ack_bench.TARGET_RATIO}): {verdict}"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    missed = False
    if "--acks-only" in argv:
        with StreamingModelServer(delay=MODEL_DELAY) as model:
            lines = acks(model.base_url)
        print("\n".join(lines))
        return 1 if "MISSED" in lines[-1] else 0
    print(f"answers over HTTP: spinebot serve, fake Slack, fake model ({MODEL_DELAY:g} s a reply)")
    with tempfile.TemporaryDirectory(prefix="spinebot-answerbench-") as tmp:
        index = Path(tmp) / "index" / "data"
        build_index(index)
        with FakeSlack() as fake, StreamingModelServer(delay=MODEL_DELAY) as model:
            serve = ServeProcess(
                Path(tmp) / "serve",
                fake.api_url,
                index=index,
                llm_model="openai:gpt-4o-mini",
                llm_base_url=model.base_url,
                log_level="WARNING",
                database_url=f"sqlite:///{Path(tmp) / 'bench.db'}",
            )
            serve.start()
            try:
                burst(serve, fake, 3)  # warm: the model client, the index, the database
                peak_rss = 0.0
                for count, goal in BURSTS:
                    latencies, peak = burst(serve, fake, count)
                    peak_rss = max(peak_rss, peak)
                    ok = latencies[-1] <= goal
                    missed = missed or not ok
                    print(
                        f"  {count:>3} at once: first {latencies[0]:.2f} s, median "
                        f"{statistics.median(latencies):.2f} s, last {latencies[-1]:.2f} s "
                        f"(goal: all <= {goal:g} s): {'met' if ok else 'MISSED'}"
                    )
                gaps = first_words(serve, fake, model)
                ok = max(gaps) <= FIRST_WORDS_GOAL
                missed = missed or not ok
                print(
                    f"  streaming: first words in Slack {statistics.median(gaps) * 1000:.0f} ms "
                    f"(median), {max(gaps) * 1000:.0f} ms (worst) after the model sent them "
                    f"(goal <= {FIRST_WORDS_GOAL * 1000:.0f} ms): {'met' if ok else 'MISSED'}"
                )
                ok = peak_rss <= RSS_GOAL_MB
                missed = missed or not ok
                print(
                    f"  memory: serve + answer process peak {peak_rss:.0f} MB "
                    f"(goal <= {RSS_GOAL_MB:.0f} MB): {'met' if ok else 'MISSED'}"
                )
            finally:
                serve.stop()
            if "--no-acks" not in argv:
                print("acks while model answers are written (bench.ack_bench, 20 clients):")
                lines = acks(model.base_url)
                print("\n".join(lines))
                missed = missed or "MISSED" in lines[-1]
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
