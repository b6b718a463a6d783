"""`spinebot serve` as the Procfile's web process runs it: a real process on a port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.harness import payloads
from tests.harness.fixtures import BOT_TOKEN, SIGNING_SECRET
from tests.harness.signing import SlackRequester, http_request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.xdist_group("embedding-heavy")
def test_serve_builds_the_index_reports_health_and_answers_commands(fake_slack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(
        SPINEBOT_DATA_DIR=str(tmp_path / "data"),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake_slack.api_url,
    )
    exe = Path(sys.executable).with_name("spinebot")
    proc = subprocess.Popen(
        [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                health = http_request(base + "/healthz", timeout=2)
                break
            except OSError:
                assert proc.poll() is None, proc.stdout.read()  # type: ignore[union-attr]
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert health.status == 200 and health.json()["ok"] is True
        assert health.json()["components"]["index"] == "ok"
        slack = SlackRequester(base, SIGNING_SECRET, response_url=fake_slack.response_url)
        url = fake_slack.response_url()
        assert slack.command("/ask", "What must a pilot show?", response_url=url).status == 200
        fake_slack.wait_for("response_url", count=2, timeout=30)
        assert "Sources" in str(fake_slack.responses(url))
        # A mention: the placeholder comes from the web process, the answer that replaces
        # it from an answer process with its own Slack client and database connection.
        slack.event(payloads.app_mention_event("What must a pilot show to go to production?"))
        update = fake_slack.wait_for("chat.update", timeout=30)[0]
        assert "Sources" in str(update.args) and "Phase gates" in str(update.args)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
