"""Model Markdown becomes Slack mrkdwn with nothing in it that can page, mention or
disguise a link; cut text never ends inside a link or an entity."""

from __future__ import annotations

import re

import pytest

from bot.blocks.answer import answer_fallback, build_answer_blocks, source_line
from bot.blocks.mrkdwn import link, safe_url, to_mrkdwn, truncate_mrkdwn
from knowledge.service import Answer, Source

HOSTILE = (
    "**Pilot** <!channel> <!here> <!subteam^S0123|@spine> <@U0BOSS> "
    "<http://evil.example/login|wiki login> [the gates](https://wiki.example.com/gates?a=1&b=2)"
)

_CONTROL = re.compile(r"<([^>]*)>")


def live_sequences(text: str) -> list[str]:
    """Every Slack control sequence (<…>) in mrkdwn text."""
    return _CONTROL.findall(text)


def test_broadcasts_mentions_and_raw_masked_links_from_a_model_stay_plain_text() -> None:
    out = to_mrkdwn(HOSTILE, trusted_hosts={"wiki.example.com"})
    assert live_sequences(out) == ["https://wiki.example.com/gates?a=1&amp;b=2|the gates"]
    assert "&lt;!channel&gt;" in out and "&lt;!subteam^S0123|@spine&gt;" in out
    assert "*Pilot*" in out


def test_a_model_link_to_a_host_no_source_named_shows_its_address() -> None:
    out = to_mrkdwn(
        "[Sign in again](https://evil.example/login)", trusted_hosts={"wiki.example.com"}
    )
    assert out == "Sign in again (<https://evil.example/login>)"


def test_markdown_becomes_mrkdwn() -> None:
    out = to_mrkdwn("# Phase gates\n\n**Pilot** needs *four* weeks\n- one\n- two\n~~old~~")
    assert out.splitlines()[0] == "*Phase gates*"
    assert "*Pilot* needs _four_ weeks" in out
    assert "• one\n• two" in out and "~old~" in out


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "slack://channel?id=C1",
        "mailto:a@example.com",
        "http://wiki.example.com@evil.example/",
        "https://",
        "http://exa mple.com/\n",
    ],
)
def test_only_plain_http_links_are_links(url: str) -> None:
    assert safe_url(url) is None
    assert link(url, "label") == "label"
    assert "<" not in to_mrkdwn(f"[label]({url})")


def test_pipes_and_angle_brackets_cannot_end_a_link_early() -> None:
    made = link("https://wiki.example.com/x|<!channel>>", "Gates | <!here> > login")
    assert made == "<https://wiki.example.com/x%7C%3C!channel%3E%3E|Gates !here login>"
    assert live_sequences(made) == [made[1:-1]]


def test_truncation_never_cuts_inside_a_link_or_an_entity() -> None:
    text = "Read " + link("https://wiki.example.com/a-long-page", "the gates") + " &amp; more"
    for limit in range(1, len(text) + 1):
        cut = truncate_mrkdwn(text, limit)
        assert len(cut) <= limit
        assert cut.count("<") == cut.count(">")
        assert not re.search(r"&[a-z]*…$", cut), cut
    assert truncate_mrkdwn(text, len(text)) == text


def test_a_code_block_cut_in_the_middle_is_closed() -> None:
    cut = truncate_mrkdwn("Run this:\n```\nspinebot ingest docs/ --and --many --flags\n```", 30)
    assert cut.endswith("…\n```") and len(cut) <= 30


def test_answer_blocks_and_fallback_carry_no_live_sequence_from_model_or_documents() -> None:
    source = Source(
        title="Gates <!channel> | <http://evil.example|login>",
        source="gates.md",
        section="Pilot <!here>",
        text="",
        score=0.9,
        url="https://wiki.example.com/g|<!channel>",
    )
    answer = Answer("q", HOSTILE + " [1]", False, [source], 1.0)
    blocks = build_answer_blocks(answer, question_id=None)
    rendered = " ".join(
        str(e.get("text", "")) if isinstance(e, dict) else ""
        for block in blocks
        for e in [block.get("text") or {}, *block.get("elements", [])]
    )
    sequences = live_sequences(rendered) + live_sequences(answer_fallback(answer))
    assert all(s.startswith("https://wiki.example.com/") for s in sequences), sequences
    assert source_line(1, source).startswith("[1] <https://wiki.example.com/g%7C%3C!channel%3E|")


def test_no_mix_of_markup_characters_makes_a_live_sequence() -> None:
    import random

    pieces = ["<", ">", "&", "|", "!", "@", "#", "[", "]", "(", ")", "*", "_", "~", "`",
              "\n", " ", "channel", "here", "subteam^S1", "U0BOSS", "http://", "https://",
              "evil.example", "/", "&amp;", "&lt;", "javascript:", "`" * 3, "> "]  # fmt: skip
    rng = random.Random(11)
    for _ in range(400):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 120)))
        out = to_mrkdwn(text, 500, trusted_hosts={"evil.example"})
        for sequence in live_sequences(out):
            assert sequence.startswith(("http://", "https://")), (text, out)
            assert sequence.count("|") <= 1 and "<" not in sequence, (text, out)
    assert to_mrkdwn("[" * 20000).startswith("[[[")  # (the converter alone takes ~9 s)
