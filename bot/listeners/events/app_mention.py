"""A mention in a channel: answer in a thread under the question."""

from __future__ import annotations

from collections.abc import Callable

from bot.deps import Deps
from bot.qa import Question, ask_question, clean_question

HELLO = (
    "Hi! Ask me about scaling AI use cases, e.g. _what must a pilot show to go to production?_ "
    "or try `/usecase help`."
)


def make(deps: Deps) -> Callable[..., None]:
    def handle_app_mention(event, client, body) -> None:  # type: ignore[no-untyped-def]
        channel = event["channel"]
        thread_ts = event.get("thread_ts") or event["ts"]
        text = clean_question(event.get("text", ""))
        if not text:
            client.chat_postMessage(channel=channel, thread_ts=thread_ts, text=HELLO)
            return
        question = Question(
            text=text,
            user_id=event.get("user", ""),
            channel_id=channel,
            surface="mention",
            thread_ts=thread_ts,
            in_thread=bool(event.get("thread_ts")),
            current_ts=event["ts"],
            event_id=body.get("event_id"),
        )
        ask_question(deps, client, question)

    return handle_app_mention
