"""The answer pipeline of a real `spinebot serve` process: signed requests in, the fake
Slack and a fake OpenAI-compatible model server out. Crashes are real signals."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import payloads
from tests.harness.fake_slack import FakeSlack
from tests.harness.fixtures import SIGNING_SECRET
from tests.harness.model_server import StreamingModelServer
from tests.harness.serve import ServeProcess, build_index
from tests.harness.signing import SlackRequester, http_request

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("embedding-heavy")]

QUESTION = "What must a pilot show to go to production?"


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("indexed") / "data"
    build_index(data)
    return data


@pytest.fixture
def model() -> Iterator[StreamingModelServer]:
    with StreamingModelServer(delay=1.0) as fake:
        yield fake


def _serve(
    tmp_path: Path, fake: FakeSlack, model: StreamingModelServer, index: Path, **settings: str
):  # type: ignore[no-untyped-def]
    return ServeProcess(
        tmp_path / "serve",
        fake.api_url,
        index=index,
        llm_model="openai:gpt-4o-mini",
        llm_base_url=model.base_url,
        **settings,
    )


def _mention(slack: SlackRequester, text: str = QUESTION) -> None:
    assert slack.event(payloads.app_mention_event(text)).status == 200


def _answers(fake: FakeSlack) -> list:  # type: ignore[type-arg]
    return [c for c in fake.calls_to("chat.update") if "Sources" in str(c.args)]


def _wait(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_ten_questions_are_answered_at_the_same_time(  # type: ignore[no-untyped-def]
    sqlite_db, fake_slack, model, index_dir, tmp_path
) -> None:
    serve = _serve(tmp_path, fake_slack, model, index_dir).start()
    try:
        slack = SlackRequester(serve.base, SIGNING_SECRET)
        for n in range(10):
            _mention(slack, f"{QUESTION} ({n})")
        fake_slack.wait_for("chat.postMessage", count=10, timeout=30)
        _wait(lambda: len(_answers(fake_slack)) == 10, 60, "ten answers")
        placeholders = {c.response["ts"] for c in fake_slack.calls_to("chat.postMessage")}
        assert {c.args["ts"] for c in _answers(fake_slack)} == placeholders  # each once
        assert model.max_concurrent >= 5  # the model calls overlapped
        # Answers written in the answer process are counted in the web's /metrics.
        metrics = http_request(serve.base + "/metrics", timeout=5).body
        answers = [ln for ln in metrics.splitlines() if ln.startswith("spinebot_answers_total")]
        assert answers == ['spinebot_answers_total{outcome="answered"} 10.0'], serve.log()[-3000:]
        assert "spinebot_model_tokens_total" in metrics and 'model="' in metrics
    finally:
        serve.stop()


def test_a_killed_answer_process_is_replaced_and_its_question_answered(  # type: ignore[no-untyped-def]
    sqlite_db, fake_slack, model, index_dir, tmp_path
) -> None:
    model.delay = 3.0
    serve = _serve(tmp_path, fake_slack, model, index_dir).start()
    try:
        slack = SlackRequester(serve.base, SIGNING_SECRET)
        [worker] = serve.descendants()
        _mention(slack)
        _wait(lambda: len(model.requests) == 1, 30, "the model was asked")
        model.delay = 0.2
        os.kill(worker, signal.SIGKILL)  # what the OOM killer does
        _wait(lambda: serve.health().status == 503, 10, "health goes red")
        assert serve.health_json()["components"]["answering"] == "failing"
        _wait(lambda: serve.health().status == 200, 120, "a new answer process is ready")
        assert worker not in serve.descendants()
        _wait(lambda: len(_answers(fake_slack)) == 1, 60, "the held question is answered")
        _mention(slack, "What does a pilot need before production?")
        _wait(lambda: len(_answers(fake_slack)) == 2, 60, "a later question is answered")
        assert "something went wrong" not in str(fake_slack.calls_to("chat.update"))
    finally:
        serve.stop()


def test_after_a_crash_mid_answer_the_placeholder_is_updated_once(  # type: ignore[no-untyped-def]
    db, fake_slack, model, index_dir, tmp_path
) -> None:
    model.delay = 30.0
    serve = _serve(tmp_path, fake_slack, model, index_dir, answer_lease_seconds="2").start()
    slack = SlackRequester(serve.base, SIGNING_SECRET)
    _mention(slack)
    _wait(lambda: len(model.requests) == 1, 30, "the model was asked")
    placeholder = fake_slack.calls_to("chat.postMessage")[0].response["ts"]
    serve.kill_group()  # the container dies: web and answer processes at once
    _wait(lambda: serve.session_processes() == [], 10, "everything is dead")
    model.delay = 0.2
    serve.start()
    try:
        _wait(lambda: len(_answers(fake_slack)) == 1, 60, "the question is finished")
        assert _answers(fake_slack)[0].args["ts"] == placeholder
        time.sleep(3)  # another lease: nobody answers it again
        assert len(_answers(fake_slack)) == 1
        assert len(fake_slack.calls_to("chat.postMessage")) == 1
    finally:
        serve.stop()


@pytest.mark.parametrize(
    "how",
    ["sigterm", "ctrl-c"],  # the platform's SIGTERM to serve; a terminal's SIGINT to them all
)
def test_a_stop_signal_finishes_answers_in_flight_and_leaves_no_process(  # type: ignore[no-untyped-def]
    sqlite_db, fake_slack, model, index_dir, tmp_path, how
) -> None:
    model.delay = 2.0
    serve = _serve(tmp_path, fake_slack, model, index_dir).start()
    slack = SlackRequester(serve.base, SIGNING_SECRET)
    for n in range(5):
        _mention(slack, f"{QUESTION} ({n})")
    _wait(lambda: len(model.requests) == 5, 30, "five model calls in flight")
    if how == "sigterm":
        serve.signal(signal.SIGTERM)
    else:
        os.killpg(serve.pid, signal.SIGINT)
    assert serve.wait(60) == 0
    assert len(_answers(fake_slack)) == 5
    assert serve.session_processes() == []  # no answer process, no resource tracker
    assert "Spinebot stopped." in serve.log()


def test_answers_past_the_grace_period_stay_pending_for_the_next_start(  # type: ignore[no-untyped-def]
    sqlite_db, fake_slack, model, index_dir, tmp_path
) -> None:
    model.delay = 20.0
    serve = _serve(tmp_path, fake_slack, model, index_dir, shutdown_grace_seconds="1").start()
    slack = SlackRequester(serve.base, SIGNING_SECRET)
    _mention(slack)
    _wait(lambda: len(model.requests) == 1, 30, "the model was asked")
    serve.signal(signal.SIGINT)
    assert serve.wait(30) == 0
    assert serve.session_processes() == []
    assert _answers(fake_slack) == []
    model.delay = 0.2
    serve.start()
    try:
        _wait(lambda: len(_answers(fake_slack)) == 1, 60, "answered after the restart")
        assert len(fake_slack.calls_to("chat.postMessage")) == 1  # into the same placeholder
    finally:
        serve.stop()


def test_a_model_answer_shows_in_slack_while_it_is_written(  # type: ignore[no-untyped-def]
    sqlite_db, fake_slack, model, index_dir, tmp_path
) -> None:
    model.delay, model.word_delay = 0.0, 0.25
    serve = _serve(tmp_path, fake_slack, model, index_dir).start()
    try:
        slack = SlackRequester(serve.base, SIGNING_SECRET)
        _mention(slack)
        _wait(lambda: len(_answers(fake_slack)) == 1, 60, "the answer is complete")
        updates = [str(c.args) for c in fake_slack.calls_to("chat.update")]
        partials, final = updates[:-1], updates[-1]
        assert partials and all("Writing" in p and "Sources" not in p for p in partials)
        assert any("pilot" in p for p in partials)  # words first...
        assert "Sources" in final and "Helpful" in final  # ...sources and buttons at the end
        assert len(partials) <= 1 + 14 * 0.25  # the first words, then about one a second
    finally:
        serve.stop()


def test_socket_mode_that_cannot_connect_says_so_in_one_line_and_leaves_no_process(  # type: ignore[no-untyped-def]
    sqlite_db, fake_slack, model, index_dir, tmp_path
) -> None:
    import shutil
    import subprocess

    from tests.harness.serve import SPINEBOT

    data = tmp_path / "data"
    shutil.copytree(index_dir, data, ignore=shutil.ignore_patterns("*.db*"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update(
        SPINEBOT_DATA_DIR=str(data),
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_APP_TOKEN="xapp-1-test",
        SLACK_API_URL=fake_slack.api_url,  # the fake knows no apps.connections.open
    )
    done = subprocess.run(
        [str(SPINEBOT), "socket"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Socket Mode could not connect to Slack (unknown_method)" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert _answer_processes_using(data) == []


def _answer_processes_using(data: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"bot.answer_pool" in cmdline and f"SPINEBOT_DATA_DIR={data}".encode() in environ:
            found.append(int(entry.name))
    return found
