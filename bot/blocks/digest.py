"""Block Kit for the weekly digest and the owner nudge.

A digest must never be rejected by Slack: at most 50 blocks and 3000 characters per
section, so long sections list their first items and point to `/usecase list` for the
rest. Drop candidates and ready-to-scale items carry admin buttons.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.blocks.mrkdwn import link
from bot.blocks.text import (
    actions,
    button,
    context,
    divider,
    escape,
    header,
    money,
    section,
    truncate,
)
from bot.constants import ACTION_DIGEST_DROP, ACTION_DIGEST_PHASE, ACTION_DIGEST_SNOOZE
from portfolio.read_model import SECTIONS

if TYPE_CHECKING:
    from jobs.digest import Digest, DigestItem
    from knowledge.notes import ClosedGap

BUTTON_ITEMS = 5  # items shown with buttons per actionable section (2 blocks each)
LINE_ITEMS = 10  # items listed in a plain section
MAX_BLOCKS = 50
SECTION_CHARS = 2900
GAP_CHARS = 280  # a knowledge gap is shown as its first words: the digest is not a log

# Section titles, icons and order come from the portfolio's read model (one definition).
ICONS = {s.key: s.icon for s in SECTIONS}
TITLES = {s.key: s.title for s in SECTIONS}
LIST_HINT = {
    "drop_candidate": "`/usecase list` and `/usecase show <id>`",
    "ready_to_scale": "`/usecase list pilot` and `/usecase list production`",
    "growing": "`/usecase list`",
    "stalling": "`/usecase list`",
    "new": "`/usecase list`",
}


def _line(item: DigestItem, *, owner: bool = False, rule: bool = True) -> str:
    value = "no report last week" if item.net_last_week is None else money(item.net_last_week)
    text = f"*{item.ref}* {escape(item.title)} · {item.phase} · {value}"
    if owner:
        text += f" · <@{escape(item.owner_id)}>"
    if rule:
        text += f"\n_{escape(item.rule)}_"
    return text


def _lines_section(lines: Sequence[str], more: int, hint: str) -> dict:
    text = ""
    shown = 0
    for line in lines:
        if len(text) + len(line) + 1 > SECTION_CHARS:
            break
        text += line + "\n"
        shown += 1
    more += len(lines) - shown
    if more:
        text += f"…and {more} more: {hint}" if hint else f"…and {more} more."
    return section(text.rstrip())


def _buttons(item: DigestItem) -> dict:
    elements = []
    if item.trend == "ready_to_scale":
        target = str(item.numbers.get("target", "production"))
        elements.append(
            button(f"Move to {target}", ACTION_DIGEST_PHASE, f"{item.id}:{target}", "primary")
        )
    else:
        elements.append(button("Drop", ACTION_DIGEST_DROP, str(item.id), "danger"))
    elements.append(button("Snooze a week", ACTION_DIGEST_SNOOZE, str(item.id)))
    return actions(*elements, block_id=f"digest_{item.trend}_{item.id}")


def build_digest_blocks(digest: Digest) -> list[dict]:
    blocks: list[dict] = [
        header(f"Weekly AI portfolio digest · {digest.week}"),
        context(
            f"Values for {digest.reported_week} (Monday–Sunday, {escape(digest.timezone)}); "
            "each item names the rule that put it there."
        ),
        section(f"*{escape(digest.headline)}*"),
    ]
    if digest.quiet:
        blocks.append(section("A quiet week: nothing to grow, scale, chase or drop."))
    for key in (s.key for s in SECTIONS):
        items = digest.sections.get(key) or []
        if not items:
            continue
        blocks += [divider(), section(f"{ICONS[key]} *{TITLES[key]}* ({len(items)})")]
        if key in ("drop_candidate", "ready_to_scale"):
            for item in items[:BUTTON_ITEMS]:
                blocks += [section(_line(item, owner=True)), _buttons(item)]
            if len(items) > BUTTON_ITEMS:
                blocks.append(context(f"…and {len(items) - BUTTON_ITEMS} more: {LIST_HINT[key]}"))
        else:
            lines = [_line(i, owner=key == "stalling", rule=key != "new") for i in items]
            blocks.append(
                _lines_section(lines[:LINE_ITEMS], len(lines[LINE_ITEMS:]), LIST_HINT[key])
            )
    if digest.most_voted:
        lines = [f"*{i.ref}* {escape(i.title)} · {i.votes} vote(s)" for i in digest.most_voted]
        blocks += [
            divider(),
            section(":ballot_box_with_check: *Most voted*"),
            _lines_section(lines, 0, "`/usecase list`"),
        ]
    if digest.knowledge_gaps:
        lines = [
            f"• {escape(truncate(' '.join(q.split()), GAP_CHARS))}" for q in digest.knowledge_gaps
        ]
        blocks += [
            divider(),
            section(":grey_question: *Knowledge gaps* — asked last week, not answered well"),
            _lines_section(lines, 0, ""),
        ]
    if digest.gaps_closed:
        blocks += [
            divider(),
            section(":white_check_mark: *Gaps closed last week* — threads the spine team added"),
            _lines_section([closed_gap_line(g) for g in digest.gaps_closed], 0, ""),
        ]
    line = assistant_cost_line(digest)
    if line:
        blocks.append(context(line))
    return blocks[:MAX_BLOCKS]


def closed_gap_line(gap: ClosedGap) -> str:
    """``• question — thread, added by @admin``: the question and title are Slack text."""
    question = escape(truncate(" ".join(gap.question.split()), GAP_CHARS))
    thread = link(gap.permalink, "the answer in Slack") if gap.permalink else "a Slack thread"
    by = f", added by <@{escape(gap.added_by)}>" if gap.added_by else ""
    return f"• {question} — {thread}{by}"


def assistant_cost_line(digest: Digest) -> str | None:
    """Spinebot's own bill for the reported week: answers, abstentions, tokens, cost."""
    usage = digest.assistant
    if usage is None or not usage.questions:
        return None
    tokens = usage.input_tokens + usage.output_tokens
    cost = f"${usage.cost:.4f}" if 0 < usage.cost < 0.01 else f"${usage.cost:,.2f}"
    return (
        f":robot_face: Spinebot itself in {escape(usage.week)}: {usage.answers} answer(s), "
        f"{usage.abstentions} abstention(s) for {usage.askers} people; "
        f"{tokens:,} model tokens, {cost}"
    )


def build_nudge_blocks(items: Sequence[DigestItem]) -> list[dict]:
    lines = "\n".join(_line(i) for i in items[:LINE_ITEMS])
    return [
        section(
            ":wave: These use cases of yours have no value reported lately, so tomorrow's "
            "portfolio digest lists them as stalling or as drop candidates.\n" + lines
        ),
        context(
            "Report with `/usecase metric <id> hours_saved=… cost_saved=… llm_cost=…`, "
            "or drop it with `/usecase drop <id> <reason>` if it no longer pays off."
        ),
    ]
