"""The Slack app served over real HTTP, with a fake Slack Web API on 127.0.0.1.

``slack`` gives a running app (real Bolt app, real waitress server, real signed requests)
whose Web API client points at the fake; the knowledge base is a scripted stand-in so
these tests exercise Slack behaviour, not retrieval (tests/knowledge covers that).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from bot.app import build_app
from bot.deps import Deps
from bot.server import Server
from knowledge.service import Answer, Source
from spinebot.settings import get_settings
from tests.harness.fake_slack import FakeSlack
from tests.harness.fixtures import SIGNING_SECRET
from tests.harness.signing import SlackRequester

SOURCE = Source(
    title="Phase gates",
    source="spinebot:playbooks/phase-gates.md",
    section="Pilot to production",
    text="A pilot needs four weeks of positive net value.",
    score=0.82,
)


@dataclass
class ScriptedKnowledge:
    """Answers every question the same way; can be slowed down or made to fail."""

    delay: float = 0.0
    fail: bool = False
    questions: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ask(self, question: str, *, history=()) -> Answer:  # type: ignore[no-untyped-def]
        with self.lock:
            self.questions.append((question, tuple(history)))
        if self.delay:
            time.sleep(self.delay)
        if self.fail:
            raise RuntimeError("index unavailable")
        if "park" in question.lower():
            return Answer(question, "The knowledge base does not cover that.", True, [], 3.0)
        return Answer(
            question, "A pilot needs four weeks of positive value [1].", False, [SOURCE], 5.0
        )

    def health(self) -> tuple[bool, str]:
        return True, "scripted"


@dataclass
class SlackApp:
    fake: FakeSlack
    requester: SlackRequester
    knowledge: ScriptedKnowledge
    server: Server
    deps: Deps


@pytest.fixture
def slack(sqlite_db, slack_env: FakeSlack, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackApp]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SPINE_ADMINS", "UADMIN")
    get_settings.cache_clear()
    settings = get_settings()
    knowledge = ScriptedKnowledge()
    deps = Deps.create(settings)
    deps.knowledge_factory = lambda: knowledge
    app = build_app(settings, deps=deps)
    with Server(app, threads=8, check_index=False) as server:
        requester = SlackRequester(server.url, SIGNING_SECRET, response_url=slack_env.response_url)
        yield SlackApp(slack_env, requester, knowledge, server, deps)
    deps.shutdown()
