"""Pytest fixtures of the Slack harness; loaded with
``pytest_plugins = ["tests.harness.fixtures"]`` in ``tests/conftest.py``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from spinebot.settings import get_settings
from tests.harness.fake_slack import FakeSlack
from tests.harness.model_server import StreamingModelServer as FakeModel

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-token"


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A running fake Slack Web API; point ``SLACK_API_URL`` at ``fake_slack.api_url``."""
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def slack_env(fake_slack: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> FakeSlack:
    """Settings for HTTP mode against the fake: ``SLACK_API_URL`` is the fake, with the
    test bot token and signing secret (``get_settings()`` re-reads them)."""
    monkeypatch.setenv("SLACK_API_URL", fake_slack.api_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    get_settings.cache_clear()
    return fake_slack


@pytest.fixture
def slack_fixture() -> Callable[[str], Any]:
    """Load a recorded Slack payload from ``tests/fixtures`` (JSON parsed, else text)."""

    def load(name: str) -> Any:
        text = (FIXTURES_DIR / name).read_text(encoding="utf-8")
        return json.loads(text) if name.endswith(".json") else text.strip()

    return load


@pytest.fixture
def fake_model() -> Iterator[FakeModel]:
    """A running fake OpenAI-compatible chat server (see tests/harness/model_server.py)."""
    with FakeModel() as server:
        yield server
