"""The question-answering flow shared by mentions, DMs, thread follow-ups, `/ask`, the
Home tab's Ask modal and the console — one path for all of them:

1. :func:`ask_question`, in the listener before the ack returns: the question is
   recorded as pending (``bot.pending``); a delivery already recorded is not asked again.
2. :func:`start_answer`, right after the ack: the progress placeholder is posted and its
   ts recorded, then the question goes to ``deps.answers`` (threads here, or the answer
   processes of serve/socket).
3. :func:`answer_claimed`, wherever the question was claimed: thread context, the
   answer, the qa log, and the placeholder replaced by the answer — or by an apology with
   a reference id. The pending record is marked done only after Slack has the answer.

Every question is logged with its answer and sources (abstentions too: the digest
reports them as knowledge gaps).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from slack_sdk import WebClient

from bot.blocks.answer import (
    THINKING_TEXT,
    answer_fallback,
    build_answer_blocks,
    build_apology_blocks,
    build_partial_answer_blocks,
    build_thinking_blocks,
)
from bot.blocks.text import escape, truncate
from bot.deps import Deps, new_reference
from bot.models import PendingQuestion
from bot.pending import MAX_ATTEMPTS, PendingStore
from bot.threads import is_bot_thread, remember_thread

if TYPE_CHECKING:
    from knowledge.llm import ModelUsage
    from knowledge.service import Answer

log = logging.getLogger(__name__)

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
HISTORY_LIMIT = 10
APOLOGY_TEXT = "Sorry, that failed."


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
    current_ts: str | None = None  # the message that asked it
    event_id: str | None = None  # Slack's id of the delivery (None: made up here)
    response_url: str | None = None  # `/ask`: where the answer goes

    @classmethod
    def from_row(cls, row: PendingQuestion) -> Question:
        return cls(
            text=row.question,
            user_id=row.user_id,
            channel_id=row.channel_id,
            surface=row.surface,
            thread_ts=row.thread_ts,
            in_thread=row.in_thread,
            current_ts=row.current_ts,
            event_id=row.event_id,
            response_url=row.response_url,
        )


def ask_question(deps: Deps, client: WebClient, question: Question) -> int | None:
    """Record the question, then (after the ack) post the placeholder and dispatch it.

    Returns the pending id, or None when this delivery was recorded before (a retry of a
    question already being answered)."""
    event_id = question.event_id or f"{question.surface}:{uuid.uuid4().hex}"
    question_id = PendingStore().record(
        PendingQuestion(
            event_id=event_id,
            surface=question.surface,
            channel_id=question.channel_id,
            thread_ts=question.thread_ts,
            current_ts=question.current_ts,
            in_thread=question.in_thread,
            response_url=question.response_url,
            user_id=question.user_id,
            question=question.text[:4000],
        )
    )
    if question_id is None:
        log.info("question of %s already recorded; not asked again", event_id)
        return None
    deps.run(lambda: start_answer(deps, client, question_id, question), what=question.surface)
    return question_id


def start_answer(deps: Deps, client: WebClient, question_id: int, question: Question) -> None:
    """The placeholder (in a conversation), then the question goes to be answered. If
    this fails half-way the record stays pending and a sweeper answers it later."""
    if question.response_url is None:
        if question.surface == "dm" and question.thread_ts:
            show_assistant_status(client, question)
        placeholder = client.chat_postMessage(
            channel=question.channel_id,
            thread_ts=question.thread_ts,
            blocks=build_thinking_blocks(),
            text=THINKING_TEXT,
        )
        channel = placeholder["channel"]
        if question.thread_ts and not channel.startswith("D"):
            try:
                remember_thread(channel, question.thread_ts)  # follow-ups need no mention now
            except Exception:
                log.warning("could not record the bot's thread", exc_info=True)
        PendingStore().set_placeholder(question_id, channel, placeholder["ts"])
    assert deps.answers is not None, "build_app installs an answer dispatcher"
    deps.answers.dispatch(question_id)


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


class StreamedText:
    """Shows a model's reply in the placeholder as it is written: the first words at
    once, then at most one ``chat.update`` a second (Slack's limit for updates is about
    one a second per message). The finished answer replaces it with sources and buttons.

    Not ``chat.startStream``: that posts a new message, while the placeholder (recorded
    with the pending question) is what a restarted worker must find and finish."""

    def __init__(self, client: WebClient, channel: str, ts: str, interval: float = 1.0) -> None:
        self.client, self.channel, self.ts = client, channel, ts
        self.interval = interval
        self.parts: list[str] = []
        self._shown_at: float | None = None

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        now = time.monotonic()
        if self._shown_at is not None and now - self._shown_at < self.interval:
            return
        self._shown_at = now
        text = "".join(self.parts)
        try:
            self.client.chat_update(
                channel=self.channel,
                ts=self.ts,
                blocks=build_partial_answer_blocks(text),
                text=truncate(escape(text), 300),
            )
        except Exception:  # the final update still comes
            log.info("could not show the answer so far", exc_info=True)


def ask_knowledge(
    deps: Deps, question: Question, history: list[str], shown: StreamedText | None = None
) -> Answer:
    """The answer; streamed into ``shown`` when the knowledge base can stream."""
    knowledge = deps.knowledge
    stream = getattr(knowledge, "ask_stream", None)
    if shown is None or stream is None or not deps.settings.stream_answers:
        return knowledge.ask(question.text, history=history)
    answer: Answer | None = None
    for item in stream(question.text, history=history):
        if isinstance(item, str):
            shown.add(item)
        else:
            answer = item
    if answer is None:
        raise RuntimeError("the answer stream ended without an answer")
    return answer


def record_answer_metrics(outcome: str, seconds: float, usage: ModelUsage | None) -> None:
    """Count an answer (and its model tokens) in this process's Prometheus metrics."""
    from spinebot.metrics import record_answer, record_tokens

    record_answer(outcome, seconds)
    if usage is not None:
        record_tokens(usage.model, usage.input_tokens, usage.output_tokens, usage.cost)


# Where compose_answer reports each answer: here, or (in an answer process) down the pipe
# to the web process, whose /metrics is the one scraped (see bot.answer_pool).
report_answer: Callable[[str, float, ModelUsage | None], None] = record_answer_metrics


def compose_answer(
    deps: Deps, question: Question, history: list[str], shown: StreamedText | None = None
) -> tuple[list[dict], str]:
    """Ask the knowledge base, log the question, and render the answer's blocks."""
    from knowledge.qa_log import record_question

    started = time.perf_counter()
    try:
        answer = ask_knowledge(deps, question, history, shown)
    except Exception:
        report_answer("error", time.perf_counter() - started, None)
        raise
    outcome = "abstained" if answer.abstained else "answered"
    report_answer(outcome, time.perf_counter() - started, answer.usage)
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


def answer_claimed(
    deps: Deps, client: WebClient, row: PendingQuestion, *, worker: str, store: PendingStore
) -> None:
    """Answer a claimed question and mark it done; an apology (with a reference id) when
    answering fails or the question already failed :data:`MAX_ATTEMPTS` times. A failure
    to reach Slack is raised: the caller hands the question back for another attempt."""
    assert row.id is not None
    question = Question.from_row(row)
    if row.attempts > MAX_ATTEMPTS:
        ref = new_reference()
        log.error("question %s failed %s times; apologising (ref %s)", row.id, MAX_ATTEMPTS, ref)
        _deliver(deps, client, row, build_apology_blocks(ref), APOLOGY_TEXT, apology=True)
        store.finish(row.id, worker, failed=True, reference=ref)
        return
    try:
        history: list[str] = []
        if question.in_thread and question.thread_ts and question.current_ts:
            history = thread_history(
                client, question.channel_id, question.thread_ts, question.current_ts
            )
        shown = None
        if row.placeholder_ts and not row.response_url:
            shown = StreamedText(client, row.channel_id, row.placeholder_ts)
        blocks, text = compose_answer(deps, question, history, shown)
    except Exception as exc:
        ref = new_reference()
        log.error("answering failed (ref %s)", ref, exc_info=exc)
        _deliver(deps, client, row, build_apology_blocks(ref), APOLOGY_TEXT, apology=True)
        store.finish(row.id, worker, failed=True, reference=ref)
        return
    _deliver(deps, client, row, blocks, text)
    store.finish(row.id, worker)


def _deliver(
    deps: Deps,
    client: WebClient,
    row: PendingQuestion,
    blocks: list[dict],
    text: str,
    *,
    apology: bool = False,
) -> None:
    """Into the placeholder; through the response_url for `/ask`; as a new message in
    the thread when the placeholder was never posted."""
    if row.response_url:
        respond = deps.respond_to(row.response_url)
        if apology:
            respond(blocks=blocks, text=text, replace_original=True)
            return
        quoted = {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": _quote(Question.from_row(row))}],
        }
        try:  # the ephemeral "looking that up" note goes; the answer takes its place
            respond(delete_original=True)
        except Exception:
            log.info("could not delete the /ask progress note", exc_info=True)
        respond(blocks=[quoted, *blocks], text=text, response_type="in_channel")
    elif row.placeholder_ts:
        client.chat_update(channel=row.channel_id, ts=row.placeholder_ts, blocks=blocks, text=text)
    else:
        client.chat_postMessage(
            channel=row.channel_id, thread_ts=row.thread_ts, blocks=blocks, text=text
        )


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


def _quote(question: Question) -> str:
    return truncate(f"<@{question.user_id}> asked: _{escape(question.text)}_", 2000)
