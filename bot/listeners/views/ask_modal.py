"""The Home tab's Ask modal: the answer arrives in the person's DM with the bot."""

from __future__ import annotations

from collections.abc import Callable

from bot.deps import Deps
from bot.qa import Question, ask_question, clean_question


def make(deps: Deps) -> Callable[..., None]:
    def handle_ask_submission(ack, body, view, client) -> None:  # type: ignore[no-untyped-def]
        user = body["user"]["id"]
        values = view.get("state", {}).get("values", {})
        text = clean_question(values.get("question", {}).get("value", {}).get("value") or "")
        if not text:
            ack(response_action="errors", errors={"question": "Type a question first."})
            return
        ack()
        question = Question(text=text, user_id=user, channel_id=user, surface="home")
        ask_question(deps, client, question)

    return handle_ask_submission
