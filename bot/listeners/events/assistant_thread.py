"""Slack's assistant container: offer a few starter questions when a thread opens.

The questions themselves arrive as DMs (``message.im``) and are answered there.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.deps import Deps

PROMPTS = [
    {"title": "Phase gates", "message": "What must a pilot show to move to production?"},
    {
        "title": "Measuring value",
        "message": "How do I report the value and LLM cost of a use case?",
    },
    {"title": "When to drop", "message": "When should we drop a use case?"},
    {"title": "The AI spine", "message": "What does an AI spine team do?"},
]


def make(deps: Deps) -> Callable[..., None]:
    def handle_assistant_thread_started(event, client) -> None:  # type: ignore[no-untyped-def]
        thread = event.get("assistant_thread", {})
        channel, thread_ts = thread.get("channel_id"), thread.get("thread_ts")
        if not channel or not thread_ts:
            return
        deps.run(
            lambda: client.assistant_threads_setSuggestedPrompts(
                channel_id=channel, thread_ts=thread_ts, prompts=PROMPTS
            ),
            what="assistant prompts",
        )

    return handle_assistant_thread_started
