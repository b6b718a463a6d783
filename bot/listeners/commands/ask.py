"""`/ask <question>`: ack with a progress note at once, answer through response_url."""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.text import error_blocks
from bot.deps import Deps
from bot.qa import Question, answer_by_response_url, clean_question

USAGE = "/ask <your question>, e.g. /ask What must a pilot show to go to production?"


def make(deps: Deps) -> Callable[..., None]:
    def handle_ask(ack, command, respond) -> None:  # type: ignore[no-untyped-def]
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
        )
        deps.run(lambda: answer_by_response_url(deps, respond, question), what="/ask")

    return handle_ask
