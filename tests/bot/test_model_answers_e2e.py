"""Model-written answers through the real app: signed requests in, the real knowledge
service (real index, real OpenAI client against a fake model server), the fake Slack
out. Hostile documents and a hostile model reply: nothing posted may page a channel,
mention a group or show a masked link to somewhere the documents did not name. The
model's token usage is stored with the question, priced."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import build_app
from bot.blocks.answer import WRITING_TEXT
from bot.deps import Deps
from bot.server import Server
from knowledge.models import QuestionLog
from knowledge.service import KnowledgeService
from spinebot.db import session_scope
from spinebot.settings import get_settings
from tests.harness import payloads
from tests.harness.fake_slack import Call, FakeSlack
from tests.harness.fixtures import SIGNING_SECRET
from tests.harness.model_server import StreamingModelServer as FakeModelServer
from tests.harness.signing import SlackRequester

HOSTILE_DOC = """---
title: "Phase gates <!channel> | <http://evil.example/login|Wiki login> >"
url: "https://wiki.example.com/gates|<!channel>><!here>"
---

# Pilot to production <!subteam^S0SPINE|@spine>

A pilot moves to production after four weeks of measured value <!here> and a named
support rota <@U0BOSS>; see <http://evil.example/login|the wiki login> for details.
"""

HOSTILE_REPLY = (
    "**Four weeks** of value [1]. <!channel> <!here> <!subteam^S0SPINE> <@U0BOSS> "
    "<http://evil.example/login|Sign in again> [Sign in](http://evil.example/a|b>c) "
    "[x](javascript:alert(1))"
)

_SEQUENCE = re.compile(r"<([^<>]*)>")


def posted_text(call: Call) -> str:
    """Every mrkdwn string of a chat call: the blocks' texts and the text fallback."""
    texts = [str(call.args.get("text") or "")]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                texts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    blocks = call.args.get("blocks")
    walk(json.loads(blocks) if isinstance(blocks, str) else blocks)
    return "\n".join(texts)


def final(call: Call) -> bool:
    """The finished answer, not a streamed "Writing…" update."""
    blocks = call.args.get("blocks") or ""
    return WRITING_TEXT not in (
        blocks if isinstance(blocks, str) else json.dumps(blocks, ensure_ascii=False)
    )


def assert_nothing_live(text: str) -> None:
    for sequence in _SEQUENCE.findall(text):
        if "|" in sequence:  # a masked link: only to where the documents point
            assert sequence.startswith("https://wiki.example.com/"), sequence
            assert sequence.count("|") == 1, sequence
        else:  # a link that shows its own address
            assert sequence.startswith(("https://", "http://")), sequence
    for literal in ("<!channel>", "<!here>", "<!subteam^", "<@U0BOSS>", "|Sign in>"):
        assert literal not in text


@pytest.fixture
def hostile_app(
    sqlite_db, slack_env: FakeSlack, fake_model: FakeModelServer, tmp_path: Path, monkeypatch
) -> Iterator[tuple[FakeSlack, SlackRequester, FakeModelServer]]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("LLM_MODEL", "openai:gpt-4o-mini")
    monkeypatch.setenv("LLM_BASE_URL", fake_model.base_url)
    monkeypatch.setenv("LLM_PRICES", "gpt-4o-mini=0.15/0.60")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    get_settings.cache_clear()
    settings = get_settings()
    docs = tmp_path / "hostile"
    docs.mkdir()
    (docs / "gates.md").write_text(HOSTILE_DOC)
    service = KnowledgeService(settings)
    assert service.ingest([docs]).added == 1
    deps = Deps.create(settings)
    deps.knowledge_factory = lambda: service
    app = build_app(settings, deps=deps)
    with Server(app, threads=4, check_index=False) as server:
        yield slack_env, SlackRequester(server.url, SIGNING_SECRET), fake_model
    deps.shutdown()


def test_a_hostile_document_and_model_reply_cannot_page_or_phish_through_a_mention(
    hostile_app,  # type: ignore[no-untyped-def]
) -> None:
    slack, requester, model = hostile_app
    model.reply = HOSTILE_REPLY
    requester.event(payloads.app_mention_event("When does a pilot move to production?"))
    updated = slack.wait_for("chat.update", timeout=20, predicate=final)[0]
    text = posted_text(updated)
    assert "*Four weeks*" in text  # the model's Markdown, as mrkdwn
    assert "Phase gates" in text  # the source is shown (its invalid url dropped at ingest)
    assert_nothing_live(text)


def test_the_extractive_answer_quoting_a_hostile_document_is_inert_when_the_model_is_down(
    hostile_app,  # type: ignore[no-untyped-def]
) -> None:
    slack, requester, model = hostile_app
    model.status = 503
    requester.event(payloads.app_mention_event("When does a pilot move to production?"))
    updated = slack.wait_for("chat.update", timeout=30, predicate=final)[0]
    text = posted_text(updated)
    assert "four weeks of measured value" in text
    assert_nothing_live(text)


def test_the_tokens_of_a_model_answer_are_stored_with_the_question_and_priced(
    hostile_app,  # type: ignore[no-untyped-def]
) -> None:
    slack, requester, model = hostile_app
    model.prompt_tokens, model.completion_tokens = 2000, 400
    event = payloads.app_mention_event("When does a pilot move to production?")
    requester.event(event)
    slack.wait_for("chat.update", timeout=20, predicate=final)
    with session_scope() as session:
        row = session.exec(select(QuestionLog)).one()
    assert (row.input_tokens, row.output_tokens) == (2000, 400)
    assert row.model == "gpt-4o-mini-2024-07-18" and row.surface == "mention"
    assert row.llm_cost == pytest.approx((2000 * 0.15 + 400 * 0.60) / 1e6)


@pytest.mark.slow
def test_the_console_answers_through_a_model_outage_with_one_line_and_no_traceback(
    tmp_path: Path,
) -> None:
    """`spinebot console` with LLM_MODEL pointing at a port where nothing listens."""
    import os
    import socket
    import subprocess
    import sys

    from tests.knowledge.conftest import write_corpus

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
    exe = Path(sys.executable).with_name("spinebot")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LLM_"))}
    env.update(
        SPINEBOT_DATA_DIR=str(tmp_path / "data"),
        LLM_MODEL="openai:gpt-4o-mini",
        LLM_BASE_URL=f"http://127.0.0.1:{dead}/v1",
        LLM_MAX_RETRIES="0",
    )
    env.pop("DATABASE_URL", None)
    corpus = write_corpus(tmp_path / "docs")
    run = {"capture_output": True, "text": True, "timeout": 180, "env": env, "cwd": tmp_path}
    ingest = subprocess.run([str(exe), "ingest", str(corpus)], **run)  # type: ignore[call-overload]
    assert ingest.returncode == 0, ingest.stderr
    done = subprocess.run(
        [str(exe), "console"],
        input="When does a pilot move to production?\n/quit\n",
        **run,  # type: ignore[arg-type]
    )
    assert done.returncode == 0, done.stderr
    screen = done.stdout + done.stderr
    assert "Traceback" not in screen
    assert "four weeks" in done.stdout and "Phase gates" in done.stdout
    warnings = [line for line in screen.splitlines() if "answered extractively" in line]
    assert len(warnings) == 1, screen
