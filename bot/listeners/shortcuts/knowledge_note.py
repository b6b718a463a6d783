"""The message shortcut "Add to Spinebot knowledge" (spine admins only).

On any message of a thread it saves the thread — the question and the people's replies
— as a knowledge note citing the thread's permalink; on a thread already saved it takes
the note out again. Ack first; reading the thread, embedding and indexing run after the
ack, and the outcome comes back as an ephemeral message through the response URL.
Anyone not in SPINE_ADMINS is told politely that only the spine team can do this.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.notes import (
    NO_THREAD_TEXT,
    NOT_ADMIN_TEXT,
    UNAVAILABLE_TEXT,
    build_note_blocks,
    note_fallback,
)
from bot.blocks.text import section
from bot.deps import Deps
from knowledge.notes import MAX_REPLIES, NoteMessage, NoteThread

log = logging.getLogger(__name__)

# Messages of a thread that are people talking (others: joins, bot posts, tombstones).
HUMAN_SUBTYPES = frozenset({None, "", "thread_broadcast", "file_share", "me_message"})

UNREADABLE = {
    "not_in_channel": "I'm not in this channel, so I cannot read the thread: invite me "
    "with `/invite @spinebot` and try again.",
    "channel_not_found": "I cannot see this conversation: invite me with `/invite @spinebot` "
    "and try again.",
    "thread_not_found": "That thread no longer exists.",
    "missing_scope": "Spinebot is missing a Slack permission to read threads here "
    "(channels:history, groups:history or im:history in the app's manifest).",
}


class ThreadUnreadable(Exception):
    """Slack would not give us the thread; ``str(exc)`` is the line to show the user."""


def fetch_thread(
    client: WebClient, channel: str, thread_ts: str, bot_user_id: str | None
) -> NoteThread:
    """The thread's messages (question first) and its permalink, from the Web API."""
    messages: list[NoteMessage] = []
    cursor: str | None = None
    try:
        while len(messages) < MAX_REPLIES:
            response = client.conversations_replies(
                channel=channel, ts=thread_ts, limit=200, cursor=cursor
            )
            raw: dict[str, Any]
            for raw in response.get("messages") or []:
                if raw.get("subtype") not in HUMAN_SUBTYPES:
                    continue
                bot = bool(raw.get("bot_id")) or (
                    bot_user_id is not None and raw.get("user") == bot_user_id
                )
                messages.append(
                    NoteMessage(
                        user=str(raw.get("user") or ""),
                        text=str(raw.get("text") or ""),
                        ts=str(raw.get("ts") or ""),
                        bot=bot,
                    )
                )
            cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
            if not (response.get("has_more") and cursor):
                break
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "")
        log.warning("could not read thread %s/%s: %s", channel, thread_ts, error)
        raise ThreadUnreadable(
            UNREADABLE.get(error, f"Slack would not give me the thread ({error or 'error'}).")
        ) from None
    messages.sort(key=lambda m: _ts_key(m.ts))
    if messages and messages[0].ts != thread_ts:
        log.info("thread %s/%s: its first message is gone", channel, thread_ts)
    permalink: str | None = None
    try:
        permalink = client.chat_getPermalink(channel=channel, message_ts=thread_ts).get("permalink")
    except SlackApiError as exc:  # the note is still worth keeping, without its link
        log.warning("no permalink for %s/%s: %s", channel, thread_ts, exc.response.get("error"))
    return NoteThread(channel, thread_ts, permalink, messages)


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    try:
        return int(seconds or 0), int(micros or 0)
    except ValueError:
        return 0, 0


def make(deps: Deps) -> Callable[..., None]:
    def handle_knowledge_shortcut(ack, shortcut, respond, client, context) -> None:  # type: ignore[no-untyped-def]
        ack()
        user = (shortcut.get("user") or {}).get("id", "")
        channel = (shortcut.get("channel") or {}).get("id", "")
        message = shortcut.get("message") or {}
        thread_ts = message.get("thread_ts") or message.get("ts") or shortcut.get("message_ts")

        def tell(text: str) -> None:
            respond(
                blocks=[section(text)],
                text=text,
                response_type="ephemeral",
                replace_original=False,
            )

        if user not in deps.settings.spine_admins:
            log.info("knowledge shortcut refused for a non-admin")
            deps.run(lambda: tell(NOT_ADMIN_TEXT), what="knowledge note refusal")
            return
        if not channel or not thread_ts:
            deps.run(lambda: tell(NO_THREAD_TEXT), what="knowledge note")
            return
        bot_user_id = context.get("bot_user_id")

        def work() -> None:
            toggle = getattr(deps.knowledge, "toggle_note", None)
            if toggle is None:
                tell(UNAVAILABLE_TEXT)
                return
            try:
                outcome = toggle(
                    channel,
                    thread_ts,
                    added_by=user,
                    fetch=lambda: fetch_thread(client, channel, thread_ts, bot_user_id),
                )
            except ThreadUnreadable as exc:
                tell(str(exc))
                return
            respond(
                blocks=build_note_blocks(outcome),
                text=note_fallback(outcome),
                response_type="ephemeral",
                replace_original=False,
            )

        deps.run(
            work,
            what="knowledge note",
            on_error=lambda ref: tell(
                f"Sorry, the thread was not saved or removed (reference `{ref}`)."
            ),
        )

    return handle_knowledge_shortcut
