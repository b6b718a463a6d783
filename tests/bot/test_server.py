"""The HTTP server's own behaviour over real HTTP: bad requests are refused in one log
line, /healthz says ok or failing per component without internals, /metrics counts."""

from __future__ import annotations

import logging
import os
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from bot import slack_health
from bot.cli import app as cli
from spinebot import health as healthmod
from spinebot.db import get_engine
from spinebot.models import utcnow
from spinebot.settings import get_settings
from tests.bot.conftest import SlackApp
from tests.harness.fixtures import SIGNING_SECRET
from tests.harness.signing import http_request, sign

TOKEN = "health-token-for-tests"
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def health_token(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("HEALTH_TOKEN", TOKEN)
    get_settings.cache_clear()
    return TOKEN


BAD_REQUESTS = {
    "a non-numeric timestamp": (
        b"command=%2Fusecase",
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": "soon",
            "X-Slack-Signature": "v0=00",
        },
        401,
    ),
    "unsigned malformed JSON": (b'{"type": ', {"Content-Type": "application/json"}, 401),
    "unsigned JSON array": (b"[1, 2]", {"Content-Type": "application/json"}, 401),
    "signed malformed JSON": (b'{"type": ', {"Content-Type": "application/json"}, 400),
    "signed JSON array": (b"[1, 2]", {"Content-Type": "application/json"}, 400),
    "signed non-UTF-8": (b"text=\xff\xfe", {"Content-Type": FORM}, 400),
    "signed wrong content type": (b"hello", {"Content-Type": "text/plain"}, 400),
    "signed payload that is a list": (
        b"payload=%5B1%5D",
        {"Content-Type": "application/x-www-form-urlencoded"},
        400,
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_malformed_or_unsigned_requests_are_refused_in_one_line(
    case: str, slack: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    body, headers, expected = BAD_REQUESTS[case]
    if case.startswith("signed"):
        headers = {**headers, **sign(body, SIGNING_SECRET)}
    with caplog.at_level(logging.INFO):
        response = slack.requester.raw(body, headers)
    assert response.status == expected
    assert "Traceback" not in response.body
    problems = [
        r for r in caplog.records if r.levelno >= logging.WARNING and r.name != "waitress.queue"
    ]
    assert len(problems) == 1 and problems[0].exc_info is None
    assert problems[0].name == "bot.server"


@pytest.fixture
def small_bodies(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("MAX_BODY_BYTES", "2048")
    get_settings.cache_clear()
    return 2048


def test_a_body_over_the_limit_gets_413(small_bodies: int, slack: SlackApp) -> None:
    assert get_settings().max_body_bytes == small_bodies
    body = b"text=" + b"x" * (small_bodies + 1)
    response = slack.requester.signed(body, "application/x-www-form-urlencoded")
    assert response.status == 413


def test_public_health_names_components_and_hides_the_reasons(slack: SlackApp) -> None:
    response = slack.requester.get("/healthz")
    assert response.status == 200
    components = {"database": "ok", "slack": "ok", "answering": "ok"}
    assert response.json() == {"ok": True, "components": components}
    assert "sqlite" not in response.body and "details" not in response.json()


def test_the_health_token_shows_the_reasons(health_token: str, slack: SlackApp) -> None:
    url = slack.server.url + "/healthz"
    wrong = http_request(url, headers={"Authorization": "Bearer nope"})
    assert "details" not in wrong.json()
    right = http_request(url, headers={"Authorization": f"Bearer {health_token}"})
    assert right.json()["details"]["database"] == "sqlite"


def test_a_removed_sqlite_file_makes_health_fail(slack: SlackApp) -> None:
    path = get_engine().url.database
    assert path
    os.remove(path)
    response = slack.requester.get("/healthz")
    assert response.status == 503
    assert response.json()["components"]["database"] == "failing"
    assert path not in response.body  # the reason is for admins


def test_a_read_only_sqlite_file_makes_health_fail(health_token: str, slack: SlackApp) -> None:
    path = get_engine().url.database
    assert path
    os.chmod(path, 0o444)
    try:
        response = http_request(
            slack.server.url + "/healthz", headers={"Authorization": f"Bearer {health_token}"}
        )
    finally:
        os.chmod(path, 0o644)
    assert response.status == 503
    assert "read-only" in response.json()["details"]["database"]


def test_a_revoked_bot_token_makes_health_fail(slack: SlackApp) -> None:
    slack_health.clear_cache()
    slack.fake.fail("auth.test", error="token_revoked", times=None)
    response = slack.requester.get("/healthz")
    assert response.status == 503 and response.json()["components"]["slack"] == "failing"
    slack_health.clear_cache()


def test_a_stale_worker_shows_in_the_web_health(slack: SlackApp) -> None:
    engine = get_engine()
    healthmod.beat("worker", engine)
    assert slack.requester.get("/healthz").json()["components"]["worker"] == "ok"
    with engine.begin() as conn:
        conn.execute(healthmod.HEARTBEAT.update().values(beat_at=utcnow() - timedelta(minutes=10)))
    response = slack.requester.get("/healthz")
    assert response.json()["components"]["worker"] == "failing"
    assert response.status == 200  # the web process itself is fine


def test_metrics_count_requests_by_surface(slack: SlackApp) -> None:
    assert slack.requester.command("/usecase", "help").status == 200
    text = slack.requester.get("/metrics").body
    assert 'spinebot_requests_total{status="200",surface="command"}' in text
    assert "spinebot_ack_seconds_bucket" in text and "spinebot_digest_runs_total" in text


def test_serve_with_a_revoked_token_exits_with_one_line(slack_env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    slack_env.fail("auth.test", error="invalid_auth", times=None)
    result = CliRunner().invoke(cli, ["serve", "--port", "0"])
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN" in result.output and "invalid_auth" in result.output
    assert "Traceback" not in result.output


def test_socket_mode_serves_health_and_metrics_on_the_health_port(
    sqlite_db, slack_env, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import socket

    from bot.run_cli import start_health_server

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HEALTH_PORT", str(port))
    get_settings.cache_clear()
    server = start_health_server("socket", get_settings())
    assert server is not None
    try:
        health = http_request(f"http://127.0.0.1:{port}/healthz")
        assert health.status == 200 and health.json()["components"]["database"] == "ok"
        assert "spinebot_requests_total" in http_request(f"http://127.0.0.1:{port}/metrics").body
        assert http_request(f"http://127.0.0.1:{port}/slack/events", b"x").status == 404
    finally:
        server.stop()  # type: ignore[attr-defined]
