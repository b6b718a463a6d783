"""The digest's Block Kit at its worst: every section full, titles and questions at their
longest and made of the characters escaping grows. Pure: no database, no Slack."""

from __future__ import annotations

import json

from bot.blocks.digest import build_digest_blocks
from jobs.digest import SECTIONS, Digest, DigestItem
from portfolio.models import TITLE_MAX


def item(n: int, kind: str) -> DigestItem:
    return DigestItem(
        id=n,
        ref=f"UC-{n}",
        title=("&<>" * TITLE_MAX)[:TITLE_MAX],
        owner_id="UOWNER",
        phase="pilot",
        units=1,
        trend=kind,
        rule="Net value ≤ 0 for 4 consecutive weeks. " * 10,
        numbers={"target": "production"},
        votes=300 - n,
        net_last_week=-5.0,
    )


def crowded_digest(gaps: list[str]) -> Digest:
    return Digest(
        week="2026-W40",
        reported_week="2026-W39",
        timezone="Europe/Berlin",
        active=1500,
        net_this_week=100.0,
        net_last_week=200.0,
        sections={key: [item(n, key) for n in range(300)] for key in SECTIONS},
        most_voted=[item(n, "steady") for n in range(5)],
        knowledge_gaps=gaps,
    )


def texts(blocks: list[dict]) -> list[str]:
    found = []
    for block in blocks:
        if "text" in block:
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            text = element.get("text")
            found.append(text["text"] if isinstance(text, dict) else text)
    return found


def test_a_full_digest_of_hostile_titles_stays_within_slack_limits() -> None:
    blocks = build_digest_blocks(crowded_digest(["Where & <why>? " * 300] * 10))
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
    joined = "\n".join(texts(blocks))
    assert "<>" not in joined and "<why>" not in joined  # user text is escaped
    assert "…and 295 more" in joined  # drop candidates past the five with buttons


def test_long_unanswered_questions_are_shortened_not_hidden() -> None:
    blocks = build_digest_blocks(crowded_digest(["How do I  expense\na GPU? " * 200, "Short?"]))
    gaps = next(b for b in blocks if "• " in b.get("text", {}).get("text", ""))
    lines = gaps["text"]["text"].splitlines()
    assert len(lines) == 2 and lines[1] == "• Short?"
    assert lines[0].startswith("• How do I expense a GPU?") and lines[0].endswith("…")
    assert len(lines[0]) < 400


def test_every_section_names_how_many_it_holds_and_where_to_see_the_rest() -> None:
    joined = json.dumps(build_digest_blocks(crowded_digest([])), ensure_ascii=False)
    for title in ("Drop candidates", "Ready to scale", "Growing", "Stalling", "New"):
        assert f"{title}" in joined
    assert joined.count("(300)") == len(SECTIONS)
    assert "`/usecase list" in joined
    assert "Knowledge gaps" not in joined  # empty sections are left out


def test_a_closed_gap_shows_its_question_escaped_and_links_only_to_its_permalink() -> None:
    from datetime import UTC, datetime

    from knowledge.notes import ClosedGap

    digest = crowded_digest([])
    digest.sections = {key: [] for key in SECTIONS}
    digest.most_voted = []
    digest.gaps_closed = [
        ClosedGap(
            question="Who pays <!channel> & <https://evil.example|the bill>?",
            title="x",
            permalink="https://acme.slack.com/archives/C1/p1",
            added_by="UADMIN",
            added_at=datetime(2026, 9, 24, tzinfo=UTC),
        ),
        ClosedGap("No link?", "y", None, "", datetime(2026, 9, 24, tzinfo=UTC)),
    ]
    text = "\n".join(texts(build_digest_blocks(digest)))
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|the bill&gt;" in text
    assert "<https://acme.slack.com/archives/C1/p1|the answer in Slack>, added by <@UADMIN>" in text
    assert "No link? — a Slack thread" in text
    assert not digest.quiet
