"""Messages: answer DMs, and follow-ups in threads the bot is already answering.

Everything else (channel chatter, edits, bot messages, threads the bot was never part of)
is acknowledged and left alone. A message that mentions the bot is answered by the
``app_mention`` listener, not twice.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.deps import Deps
from bot.qa import Question, ask_question, clean_question
from bot.threads import is_bot_thread


def make(deps: Deps) -> Callable[..., None]:
    def handle_message(event, client, context, body) -> None:  # type: ignore[no-untyped-def]
        if event.get("subtype") or event.get("bot_id"):
            return
        text = clean_question(event.get("text", ""))
        if not text:
            return
        channel = event["channel"]
        thread_ts = event.get("thread_ts")
        if event.get("channel_type") == "im":
            question = Question(
                text=text,
                user_id=event.get("user", ""),
                channel_id=channel,
                surface="dm",
                thread_ts=thread_ts,
                in_thread=bool(thread_ts),
                current_ts=event["ts"],
                event_id=body.get("event_id"),
            )
        else:
            bot_user = context.get("bot_user_id")
            if not thread_ts or (bot_user and f"<@{bot_user}" in event.get("text", "")):
                return
            if not is_bot_thread(channel, thread_ts):
                return
            question = Question(
                text=text,
                user_id=event.get("user", ""),
                channel_id=channel,
                surface="thread",
                thread_ts=thread_ts,
                in_thread=True,
                current_ts=event["ts"],
                event_id=body.get("event_id"),
            )
        ask_question(deps, client, question)

    return handle_message
