"""The "Add to Spinebot knowledge" shortcut through the real app: signed requests in, the real
knowledge service (real index, real embeddings), the fake Slack Web API out, on SQLite
and Postgres. A question the bot abstained on, once a person answers it in the thread
and a spine admin saves the thread, is answered next time citing the thread's permalink;
anyone else is refused and nothing is saved; the shortcut again takes the note out; the
weekly digest lists the gap as closed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from bot.app import build_app
from bot.blocks.digest import build_digest_blocks
from bot.constants import SHORTCUT_KNOWLEDGE_NOTE
from bot.deps import Deps
from bot.server import Server
from jobs.digest import build_digest
from knowledge.models import KnowledgeNote, QuestionLog
from knowledge.service import KnowledgeService, reset_knowledge
from portfolio.weeks import current_week, shift
from spinebot.db import session_scope
from spinebot.settings import get_settings
from tests.harness import payloads
from tests.harness.fake_slack import FakeSlack
from tests.harness.fixtures import SIGNING_SECRET
from tests.harness.signing import SlackRequester

CHANNEL = "C0SPINE"
ADMIN = "UADMIN"
QUESTION = "Which badge colour do contractors need for the model lab?"
REPLY = (
    "Contractors need an orange badge for the model lab; the facilities desk issues it "
    "within two working days. <!channel> & <https://evil.example/x|see here>"
)
PLAYBOOK = """---
title: Phase gates
url: https://wiki.example.com/phase-gates
---

# Phase gates

## Pilot to production

A pilot moves to production once it shows measured value for four weeks in a row and
its owner has a named support rota. The spine team reviews the numbers every Monday.
"""


@dataclass
class App:
    fake: FakeSlack
    requester: SlackRequester
    knowledge: KnowledgeService
    engine: Engine

    def mention(self, text: str) -> dict:
        """A top-level mention, seeded in the fake as Slack would hold it; answered."""
        root = self.fake.add_message(CHANNEL, f"<@UBOT> {text}", user="U1")
        event = payloads.app_mention_event(text, user="U1", channel=CHANNEL, ts=root["ts"])
        before = len(self.fake.calls_to("chat.update"))
        assert self.requester.event(event).status == 200
        self.fake.wait_for("chat.update", count=before + 1, timeout=30)
        return root

    def shortcut(self, message: dict, user: str) -> dict:
        url = self.fake.response_url()
        response = self.requester.message_shortcut(
            SHORTCUT_KNOWLEDGE_NOTE, message, CHANNEL, user, response_url=url
        )
        assert response.status == 200 and response.body == ""  # acked at once, empty
        call = self.fake.wait_for(
            "response_url", timeout=30, predicate=lambda c: url.endswith(c.args["response_id"])
        )[0]
        assert call.args.get("response_type") == "ephemeral"
        return call.args

    def ask(self, text: str) -> str:
        url = self.fake.response_url()
        assert self.requester.command("/ask", text, user_id="U3", response_url=url).status == 200
        calls = self.fake.wait_for(
            "response_url",
            timeout=30,
            predicate=lambda c: (
                url.endswith(c.args["response_id"]) and c.args.get("response_type") == "in_channel"
            ),
        )
        return json.dumps(calls[0].args.get("blocks"))


@pytest.fixture
def app(
    db: Engine, slack_env: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[App]:
    monkeypatch.setenv("SPINE_ADMINS", ADMIN)
    get_settings.cache_clear()
    reset_knowledge()
    settings = get_settings()
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "phase-gates.md").write_text(PLAYBOOK)
    service = KnowledgeService(settings)
    assert service.ingest([docs]).added == 1
    deps = Deps.create(settings)
    deps.knowledge_factory = lambda: service
    bolt = build_app(settings, deps=deps)
    with Server(bolt, threads=4, check_index=False) as server:
        requester = SlackRequester(server.url, SIGNING_SECRET, response_url=slack_env.response_url)
        yield App(slack_env, requester, service, db)
    deps.shutdown()
    reset_knowledge()


def notes(engine: Engine) -> list[KnowledgeNote]:
    with session_scope(engine) as session:
        return list(session.exec(select(KnowledgeNote)).all())


def test_a_saved_thread_answers_the_question_the_bot_abstained_on_citing_its_permalink(
    app: App,
) -> None:
    root = app.mention(QUESTION)
    with session_scope(app.engine) as session:
        logged = session.exec(select(QuestionLog)).one()
    assert logged.abstained  # the gap: nothing in the corpus says it
    reply = app.fake.add_message(CHANNEL, REPLY, user="U2", thread_ts=root["ts"])

    said = app.shortcut(reply, ADMIN)  # on a reply: the whole thread is saved
    text = json.dumps(said["blocks"])
    assert "Added to Spinebot knowledge" in text
    permalink = app.fake.calls_to("chat.getPermalink")[0].response["permalink"]  # type: ignore[index]
    assert permalink in text and "It closes a knowledge gap" in text
    replies = app.fake.calls_to("conversations.replies")
    assert replies and replies[-1].args["ts"] == root["ts"]
    [note] = notes(app.engine)
    assert (note.channel_id, note.thread_ts, note.permalink, note.added_by) == (
        CHANNEL,
        root["ts"],
        permalink,
        ADMIN,
    )
    assert note.gap_question == QUESTION and note.gap_question_id == logged.id

    answer = app.ask(QUESTION)
    assert "orange badge" in answer
    assert f"<{permalink}|" in answer  # the citation links to the thread
    assert "<!channel>" not in answer and "evil.example/x|" not in answer  # thread text is inert
    app.mention(QUESTION.lower())  # a mention asked later, in another thread
    mentioned = json.dumps(app.fake.calls_to("chat.update")[-1].args.get("blocks"))
    assert "orange badge" in mentioned and f"<{permalink}|" in mentioned

    # The weekly digest (posted next week, about this one) lists the gap as closed.
    digest = build_digest(week=shift(current_week(get_settings().tz), 1))
    assert [g.question for g in digest.gaps_closed] == [QUESTION]
    assert QUESTION not in digest.knowledge_gaps  # closed, not open
    blocks = json.dumps(build_digest_blocks(digest))
    assert "Gaps closed last week" in blocks and permalink in blocks and f"<@{ADMIN}>" in blocks


def test_someone_outside_the_spine_team_is_refused_and_nothing_is_saved(app: App) -> None:
    root = app.fake.add_message(CHANNEL, QUESTION, user="U1")
    app.fake.add_message(CHANNEL, REPLY, user="U2", thread_ts=root["ts"])
    chunks = app.knowledge.chunk_count()

    said = app.shortcut(root, "U2")
    assert "Only the spine team" in said["text"]
    assert notes(app.engine) == []
    assert app.knowledge.chunk_count() == chunks
    assert not app.fake.calls_to("conversations.replies")  # the thread was not even read


def test_the_shortcut_on_a_saved_thread_removes_it_and_it_is_no_longer_cited(app: App) -> None:
    root = app.fake.add_message(CHANNEL, QUESTION, user="U1")
    app.fake.add_message(CHANNEL, REPLY, user="U2", thread_ts=root["ts"])
    assert "Added to Spinebot knowledge" in app.shortcut(root, ADMIN)["text"]
    permalink = app.fake.calls_to("chat.getPermalink")[0].response["permalink"]  # type: ignore[index]
    assert permalink in app.ask(QUESTION)

    said = app.shortcut(root, ADMIN)
    assert "Removed from Spinebot knowledge" in said["text"]
    assert notes(app.engine) == []
    assert permalink not in app.ask(QUESTION)


def test_a_thread_nobody_answered_yet_is_not_saved_and_the_admin_is_told_why(app: App) -> None:
    root = app.fake.add_message(CHANNEL, QUESTION, user="U1")
    app.fake.add_message(
        CHANNEL, "I asked the bot, it did not know", user="UBOT", bot_id="B1", thread_ts=root["ts"]
    )
    said = app.shortcut(root, ADMIN)
    assert "nobody has replied" in said["text"]
    assert notes(app.engine) == []


def test_a_thread_the_bot_cannot_read_gets_one_line_saying_how_to_fix_it(app: App) -> None:
    root = app.fake.add_message(CHANNEL, QUESTION, user="U1")
    app.fake.fail("conversations.replies", error="not_in_channel")
    said = app.shortcut(root, ADMIN)
    assert "/invite @spinebot" in said["text"]
    assert notes(app.engine) == []


def test_a_failure_while_saving_is_reported_with_a_reference_not_a_traceback(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = app.fake.add_message(CHANNEL, QUESTION, user="U1")
    app.fake.add_message(CHANNEL, REPLY, user="U2", thread_ts=root["ts"])

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("index unavailable")

    monkeypatch.setattr(app.knowledge.index, "put_document", broken)
    said = app.shortcut(root, ADMIN)
    assert "reference `" in said["text"] and "Traceback" not in said["text"]
    assert notes(app.engine) == []  # nothing recorded that is not in the index
