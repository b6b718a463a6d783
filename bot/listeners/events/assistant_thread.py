"""Slack's assistant container: offer a few starter questions when a thread opens.

The questions themselves arrive as DMs (``message.im``) in that thread and are answered
there; the thread is remembered so the answer can also show Slack's assistant status.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.deps import Deps
from bot.threads import remember_thread

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

        def work() -> None:
            remember_thread(channel, thread_ts)  # its questions get assistant status updates
            client.assistant_threads_setSuggestedPrompts(
                channel_id=channel, thread_ts=thread_ts, prompts=PROMPTS
            )

        deps.run(work, what="assistant prompts")

    return handle_assistant_thread_started
