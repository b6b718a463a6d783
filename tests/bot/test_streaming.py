"""Answers shown while the model writes them: what a half-written answer looks like,
and how often the placeholder is updated."""

from __future__ import annotations

from typing import Any

from bot.blocks.answer import build_partial_answer_blocks
from bot.qa import StreamedText


class RecordingClient:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def chat_update(self, **args: Any) -> dict[str, Any]:
        self.updates.append(args)
        return {"ok": True}


def _text(blocks: list[dict]) -> str:
    return blocks[0]["text"]["text"]


def test_the_first_words_show_at_once_and_then_at_most_one_update_a_second() -> None:
    client = RecordingClient()
    shown = StreamedText(client, "C1", "1.0", interval=60)  # type: ignore[arg-type]
    for word in ["A", " pilot", " needs", " value."]:
        shown.add(word)
    assert len(client.updates) == 1
    assert _text(client.updates[0]["blocks"]) == "A"
    shown.interval = 0
    shown.add(" More.")
    assert _text(client.updates[-1]["blocks"]) == "A pilot needs value. More."


def test_model_markdown_becomes_mrkdwn_and_nothing_it_writes_can_page_a_channel() -> None:
    text = _text(build_partial_answer_blocks("**Pilot** gates <!channel> <!here> & more"))
    assert text.startswith("*Pilot* gates")
    assert "<!" not in text and "&lt;!channel&gt;" in text and "&amp; more" in text


def test_a_link_the_model_has_not_finished_is_held_back() -> None:
    text = _text(build_partial_answer_blocks("See [the phase gates](https://wiki.example.com/ga"))
    assert text == "See"
    done = _text(build_partial_answer_blocks("See [the gates](https://wiki.example.com/g)."))
    assert done == "See the gates (<https://wiki.example.com/g>)."  # no source hosts yet


def test_a_long_answer_is_cut_outside_links_and_entities() -> None:
    markdown = "x" * 2880 + " [gate](https://wiki.example.com/" + "a" * 40 + ") & end"
    text = _text(build_partial_answer_blocks(markdown))
    assert len(text) <= 2900 and text.endswith("…")
    assert text.count("<") == text.count(">")
    assert "&am…" not in text
