"""`/ask <question>`: ack with a progress note at once, answer through response_url
(recorded and answered like every other question: bot.qa)."""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.text import error_blocks
from bot.deps import Deps
from bot.qa import Question, ask_question, clean_question

USAGE = "/ask <your question>, e.g. /ask What must a pilot show to go to production?"


def make(deps: Deps) -> Callable[..., None]:
    def handle_ask(ack, command, client) -> None:  # type: ignore[no-untyped-def]
        text = clean_question(command.get("text", ""))
        if not text:
            ack(blocks=error_blocks("Ask me a question after the command.", USAGE))
            return
        ack(text=":hourglass_flowing_sand: Looking that up…")
        question = Question(
            text=text,
            user_id=command.get("user_id", ""),
            channel_id=command.get("channel_id", ""),
            surface="ask",
            response_url=command.get("response_url") or None,
        )
        if question.response_url is None:
            return  # nowhere to answer (Slack always sends one)
        ask_question(deps, client, question)

    return handle_ask
