"""Block Kit builders are pure: these check Slack's limits and safe rendering."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from bot.blocks.answer import build_answer_blocks, build_apology_blocks
from bot.blocks.home import build_home_view
from bot.blocks.text import error_blocks, escape, money
from bot.blocks.usecase import (
    build_card_blocks,
    build_duplicate_blocks,
    build_history_blocks,
    build_list_blocks,
    build_register_modal,
)
from bot.constants import ACTION_FEEDBACK_DOWN, ACTION_FEEDBACK_UP, ACTION_USECASE_VOTE


def card(i: int = 1, **over):  # type: ignore[no-untyped-def]
    base = dict(
        id=i,
        ref=f"UC-{i}",
        title=f"Use case <!channel> {i}",
        description="Triage & route",
        owner_id="U1",
        units=["Claims"],
        processes=[],
        phase="pilot",
        status="active",
        drop_reason=None,
        risk_tier="minimal",
        votes=3,
        voted=False,
        weeks=[],
        net_value_latest=1200.0,
        trend="growing",
        trend_rule="Net value up 25%",
        created_at=datetime(2026, 11, 1, tzinfo=UTC),
        review=None,
    )
    base.update(over)
    return SimpleNamespace(**base)


def all_text(blocks: list[dict]) -> str:
    import json

    return json.dumps(blocks, ensure_ascii=False)


def test_user_text_is_escaped_so_markup_cannot_ping_a_channel() -> None:
    blocks = build_list_blocks([card()], title="t") + build_card_blocks(card())
    mrkdwn = [
        b["text"]["text"] for b in blocks if b.get("text", {}).get("type") == "mrkdwn"
    ]  # plain_text (headers, buttons) is never parsed for mentions
    assert mrkdwn and not any("<!channel>" in t for t in mrkdwn)
    assert any("&lt;!channel&gt;" in t for t in mrkdwn)
    assert escape("a & b") == "a &amp; b"


def test_a_long_list_stays_within_fifty_blocks_and_says_how_many_are_left() -> None:
    blocks = build_list_blocks([card(i) for i in range(1, 120)], title="All")
    assert len(blocks) <= 50
    assert "99 more" in all_text(blocks)


def test_section_text_never_exceeds_three_thousand_characters() -> None:
    blocks = build_card_blocks(card(description="x" * 5000))
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000


def test_card_offers_unvote_to_someone_who_voted_and_vote_otherwise() -> None:
    voted = all_text(build_card_blocks(card(voted=True)))
    not_voted = build_card_blocks(card(voted=False))
    assert "usecase_unvote" in voted
    assert ACTION_USECASE_VOTE in all_text(not_voted)


def test_dropped_card_shows_the_reason_and_no_vote_button() -> None:
    blocks = build_card_blocks(card(status="dropped", drop_reason="No value after 6 weeks"))
    text = all_text(blocks)
    assert "No value after 6 weeks" in text
    assert ACTION_USECASE_VOTE not in text


def test_answer_lists_numbered_sources_and_feedback_buttons() -> None:
    source = SimpleNamespace(
        title="Phase gates",
        source="spinebot:playbooks/phase-gates.md",
        section="Pilot",
        text="...",
        score=0.8,
        url=None,
        page=None,
    )
    answer = SimpleNamespace(
        text="Four weeks of positive value [1].", abstained=False, sources=[source]
    )
    blocks = build_answer_blocks(answer, question_id=42, use_cases=[card()])
    text = all_text(blocks)
    assert "[1] Phase gates" in text and "Pilot" in text
    assert ACTION_FEEDBACK_UP in text and ACTION_FEEDBACK_DOWN in text
    assert '"value": "42"' in text
    assert "Related use case *UC-1*" in text


def test_abstained_answer_has_no_sources_block() -> None:
    answer = SimpleNamespace(
        text="The knowledge base does not cover that.", abstained=True, sources=[]
    )
    text = all_text(build_answer_blocks(answer, question_id=1))
    assert "Sources" not in text and "does not cover" in text


def test_apology_carries_the_reference_id() -> None:
    assert "abc12345" in all_text(build_apology_blocks("abc12345"))


def test_errors_state_the_problem_and_the_usage() -> None:
    text = all_text(error_blocks("Unknown id UC-9.", "/usecase show <id>"))
    assert "Unknown id UC-9." in text and "/usecase show &lt;id&gt;" in text


def test_history_is_split_into_sections_under_the_limits() -> None:
    entries = [
        SimpleNamespace(
            at=datetime(2026, 11, 1, tzinfo=UTC),
            actor_id="U1",
            action="metric",
            allowed=i % 2 == 0,
            before={"phase": "pilot"},
            after={"phase": "x" * 50},
            detail="d" * 100,
        )
        for i in range(200)
    ]
    blocks = build_history_blocks("UC-1", entries)
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert "(refused)" in all_text(blocks)


def test_duplicate_prompt_keeps_the_pending_registration_in_the_button() -> None:
    blocks = build_duplicate_blocks("Claims triage", "desc", [(card(), 0.91)])
    text = all_text(blocks)
    assert "91% similar" in text and "Register anyway" in text and "Claims triage" in text


def test_home_view_stays_within_a_hundred_blocks() -> None:
    view = build_home_view(
        user_id="U1",
        mine=[card(i) for i in range(40)],
        top=[card(i) for i in range(40)],
        digest_headline="Net value ▲ 12%",
    )
    assert view["type"] == "home" and len(view["blocks"]) <= 100
    assert "Net value ▲ 12%" in all_text(view["blocks"])


def test_register_modal_has_the_validated_inputs() -> None:
    view = build_register_modal(channel_id="C1")
    ids = [b.get("block_id") for b in view["blocks"]]
    assert ids == ["title", "description", "units", "processes", "risk_tier"]
    assert view["blocks"][0]["element"]["max_length"] == 120


def test_money_is_signed_and_grouped() -> None:
    assert money(-1234.4) == "−$1,234" and money(None) == "—"


def test_a_linked_source_shows_its_title_escaped_and_without_a_pipe() -> None:
    from bot.blocks.answer import source_line
    from knowledge.service import Source

    linked = Source("Costs | <Q3> & more", "x", "Rates", "t", 1.0, url="https://w.example.com/a")
    assert source_line(1, linked) == ("[1] <https://w.example.com/a|Costs Q3 &amp; more> — Rates")
    unsafe = Source("Costs", "x", "", "t", 1.0, url="https://w.example.com/a|b")
    assert source_line(2, unsafe) == "[2] <https://w.example.com/a%7Cb|Costs>"  # "|" encoded
