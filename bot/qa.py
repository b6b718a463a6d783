"""The question-answering flow shared by mentions, DMs, thread follow-ups, `/ask`, the
Home tab's Ask button and the console.

Progress first (a placeholder message), then the answer replaces it; a failure replaces
it with an apology carrying a reference id. Every question is logged with its answer and
sources (abstentions too: the digest reports them as knowledge gaps).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.blocks.answer import (
    THINKING_TEXT,
    answer_fallback,
    build_answer_blocks,
    build_apology_blocks,
    build_thinking_blocks,
)
from bot.deps import Deps
from bot.threads import is_bot_thread, remember_thread

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
HISTORY_LIMIT = 10


def clean_question(text: str) -> str:
    """The question without the bot mention and surrounding whitespace."""
    return _MENTION.sub("", text or "").strip()


@dataclass(frozen=True)
class Question:
    text: str
    user_id: str
    channel_id: str
    surface: str  # mention, dm, thread, ask, home, console
    thread_ts: str | None = None  # the thread to answer in (None: top level, e.g. a DM)
    in_thread: bool = False  # the question was asked inside an existing thread


def thread_history(client: WebClient, channel: str, thread_ts: str, current_ts: str) -> list[str]:
    """Earlier people's messages of a thread, oldest first, as context for a follow-up."""
    try:
        response = client.conversations_replies(channel=channel, ts=thread_ts, limit=50)
    except Exception:
        log.warning("could not read thread history", exc_info=True)
        return []
    texts: list[str] = []
    message: dict[str, Any]
    for message in response.get("messages", []):
        if message.get("ts") == current_ts or message.get("bot_id"):
            continue
        text = clean_question(message.get("text", ""))
        if text:
            texts.append(text)
    return texts[-HISTORY_LIMIT:]


def compose_answer(deps: Deps, question: Question, history: list[str]) -> tuple[list[dict], str]:
    """Ask the knowledge base, log the question, and render the answer's blocks."""
    from knowledge.qa_log import record_question

    with deps.answer_slots:
        answer = deps.knowledge.ask(question.text, history=history)
    question_id = record_question(
        answer=answer,
        user_id=question.user_id,
        channel_id=question.channel_id,
        thread_ts=question.thread_ts,
        surface=question.surface,
    )
    try:
        cards = deps.portfolio.mentioned_in(question.text)
    except Exception:
        log.warning("could not look up related use cases", exc_info=True)
        cards = []
    blocks = build_answer_blocks(answer, question_id=question_id, use_cases=cards)
    return blocks, answer_fallback(answer)


def answer_in_conversation(
    deps: Deps, client: WebClient, question: Question, *, current_ts: str | None = None
) -> None:
    """Post a placeholder at once, then have the answer replace it (or an apology).

    In an assistant thread the assistant's own status line shows the progress as well.

    With answer processes (serve/socket) everything after the placeholder runs in one of
    them, so the web process spends almost nothing per answer."""
    if question.surface == "dm" and question.thread_ts:
        show_assistant_status(client, question)
    placeholder = client.chat_postMessage(
        channel=question.channel_id,
        thread_ts=question.thread_ts,
        blocks=build_thinking_blocks(),
        text=THINKING_TEXT,
    )
    channel = placeholder["channel"]
    ts = placeholder["ts"]
    if question.thread_ts and not channel.startswith("D"):
        try:
            remember_thread(channel, question.thread_ts)  # follow-ups need no mention now
        except Exception:
            log.warning("could not record the bot's thread", exc_info=True)
    if deps.answer_pool is not None:
        try:
            deps.answer_pool.finish(question, channel, ts, current_ts)
        except Exception as exc:
            apologise(client, channel, ts, exc)
        return
    finish_answer(deps, client, question, channel, ts, current_ts)


def show_assistant_status(client: WebClient, question: Question) -> None:
    """Title the assistant thread and show a status while the answer is written."""
    assert question.thread_ts is not None
    try:
        if not is_bot_thread(question.channel_id, question.thread_ts):
            return
        client.assistant_threads_setStatus(
            channel_id=question.channel_id,
            thread_ts=question.thread_ts,
            status="is looking that up in the knowledge base…",
        )
        client.assistant_threads_setTitle(
            channel_id=question.channel_id,
            thread_ts=question.thread_ts,
            title=question.text[:80],
        )
    except Exception:  # the placeholder still shows progress
        log.info("could not set the assistant status", exc_info=True)


def finish_answer(
    deps: Deps,
    client: WebClient,
    question: Question,
    channel: str,
    ts: str,
    current_ts: str | None,
) -> None:
    """Everything after the placeholder: thread context, answer, log, the update."""
    try:
        history: list[str] = []
        if question.in_thread and question.thread_ts and current_ts:
            history = thread_history(client, channel, question.thread_ts, current_ts)
        blocks, text = compose_answer(deps, question, history)
    except Exception as exc:
        apologise(client, channel, ts, exc)
        return
    client.chat_update(channel=channel, ts=ts, blocks=blocks, text=text)


def apologise(client: WebClient, channel: str, ts: str, error: BaseException) -> None:
    """Replace the placeholder with an apology; the log gets the error and its reference."""
    from bot.deps import new_reference

    ref = new_reference()
    log.error("answering failed (ref %s)", ref, exc_info=error)
    client.chat_update(
        channel=channel, ts=ts, blocks=build_apology_blocks(ref), text="Sorry, that failed."
    )


def answer_by_response_url(deps: Deps, respond: Callable[..., Any], question: Question) -> None:
    """`/ask`: the answer goes back through the command's response_url, visible to all."""
    try:
        blocks, text = compose_answer(deps, question, [])
    except Exception:
        from bot.deps import new_reference

        ref = new_reference()
        log.exception("answering /ask failed (ref %s)", ref)
        respond(blocks=build_apology_blocks(ref), text="Sorry, that failed.", replace_original=True)
        return
    quoted = {"type": "context", "elements": [{"type": "mrkdwn", "text": _quote(question)}]}
    try:  # the ephemeral "looking that up" note goes; the answer takes its place
        respond(delete_original=True)
    except Exception:
        log.info("could not delete the /ask progress note", exc_info=True)
    respond(blocks=[quoted, *blocks], text=text, response_type="in_channel")


def _quote(question: Question) -> str:
    from bot.blocks.text import escape, truncate

    return truncate(f"<@{question.user_id}> asked: _{escape(question.text)}_", 2000)
