"""The shortcut's confirmations: thread text shown inert, the link only to the permalink."""

from __future__ import annotations

import json

from bot.blocks.notes import build_note_blocks, note_fallback
from knowledge.notes import NoteOutcome

HOSTILE = "Who pays <!channel> & <https://evil.example|the bill>? " * 40


def test_an_added_note_links_its_thread_and_names_the_gap_it_closed_escaped() -> None:
    outcome = NoteOutcome(
        "added", HOSTILE[:150], "https://acme.slack.com/archives/C1/p1", 3, gap_question=HOSTILE
    )
    blocks = build_note_blocks(outcome)
    text = json.dumps(blocks)
    assert "<https://acme.slack.com/archives/C1/p1|" in text
    assert "<!channel>" not in text and "<https://evil.example" not in text
    assert "3 replies" in text and "It closes a knowledge gap" in text
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert "<" not in note_fallback(outcome)


def test_a_removed_note_and_an_empty_thread_say_what_happened() -> None:
    removed = build_note_blocks(NoteOutcome("removed", "Badges?", None, 1))
    assert "Removed from Spinebot knowledge" in json.dumps(removed)
    empty = build_note_blocks(NoteOutcome("empty"))
    assert "nobody has replied" in json.dumps(empty)
    assert note_fallback(NoteOutcome("empty")).startswith("Nothing to add yet")
