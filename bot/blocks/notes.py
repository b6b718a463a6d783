"""Block Kit for the "Add to Spinebot knowledge" shortcut's ephemeral confirmations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.blocks.mrkdwn import link
from bot.blocks.text import context, escape, section, truncate

if TYPE_CHECKING:
    from knowledge.notes import NoteOutcome

QUESTION_CHARS = 300

NOT_ADMIN_TEXT = (
    "Only the spine team can add threads to Spinebot's knowledge. If this thread answers "
    "a question people keep asking, ask someone on the spine team to add it."
)
NO_THREAD_TEXT = (
    "Use *Add to Spinebot knowledge* on a message in a channel or DM thread "
    "(the question or any reply)."
)
UNAVAILABLE_TEXT = "The knowledge base cannot take notes in this mode."


def build_note_blocks(outcome: NoteOutcome) -> list[dict]:
    """What the shortcut did, said plainly; the title and question are thread text."""
    thread = link(outcome.permalink, outcome.title or "this thread")
    if outcome.action == "added":
        lines = [
            f":white_check_mark: *Added to Spinebot knowledge:* {thread} "
            f"({outcome.replies} {'reply' if outcome.replies == 1 else 'replies'}). "
            "Answers to this question now cite the thread."
        ]
        if outcome.gap_question:
            question = escape(truncate(" ".join(outcome.gap_question.split()), QUESTION_CHARS))
            lines.append(f"It closes a knowledge gap: _{question}_")
        return [
            section("\n".join(lines)),
            context("Use the shortcut on this thread again to take it out."),
        ]
    if outcome.action == "removed":
        return [
            section(
                f":wastebasket: *Removed from Spinebot knowledge:* {thread}. "
                "Spinebot no longer answers from this thread."
            )
        ]
    return [
        section(
            ":information_source: Nothing to add yet: nobody has replied to this thread. "
            "Once someone answers the question here, use the shortcut again."
        )
    ]


def note_fallback(outcome: NoteOutcome) -> str:
    title = escape(truncate(outcome.title, 150)) or "the thread"
    return {
        "added": f"Added to Spinebot knowledge: {title}",
        "removed": f"Removed from Spinebot knowledge: {title}",
    }.get(outcome.action, "Nothing to add yet: nobody has replied to this thread.")
