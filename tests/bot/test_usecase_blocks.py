"""Use-case Block Kit stays within Slack's limits and shows values as people read them."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.blocks.text import join_limited
from bot.blocks.usecase import build_card_blocks, build_history_blocks
from portfolio.read_model import AuditEntry
from tests.bot.test_blocks import card


def test_a_card_with_thirty_long_units_keeps_its_units_field_under_2000_characters() -> None:
    units = [f"Business unit {n:02d} " + "x" * 62 for n in range(30)]
    blocks = build_card_blocks(card(units=units))
    fields = next(b["fields"] for b in blocks if "fields" in b)
    units_field = next(f["text"] for f in fields if f["text"].startswith("*Units*"))
    assert len(units_field) <= 2000 and "…and " in units_field and "more" in units_field
    assert all(len(f["text"]) <= 2000 for f in fields)


def test_join_limited_counts_what_it_leaves_out() -> None:
    assert join_limited(["a", "b", "c"], 100) == "a, b, c"
    assert join_limited(["aaaa", "bbbb", "cccc"], 18) == "aaaa, …and 2 more"


def test_history_shows_formatted_values_not_none_or_floats() -> None:
    entry = AuditEntry(
        at=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        actor_id="U1",
        action="metric",
        allowed=True,
        before={"week": "2026-W48", "llm_cost": 3000.0, "revenue": None},
        after={"week": "2026-W48", "llm_cost": 1e12, "revenue": 250.5},
        detail="",
    )
    text = json.dumps(build_history_blocks("UC-1", [entry]), ensure_ascii=False)
    assert "llm_cost: 3,000 → 1,000,000,000,000" in text
    assert "revenue: — → 250.5" in text
    assert "None" not in text and "3000.0" not in text
