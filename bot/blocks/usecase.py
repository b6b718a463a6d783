"""Block Kit for the use-case portfolio: cards, lists, history, help and the modal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.blocks.text import (
    FIELD_MAX,
    SECTION_MAX,
    actions,
    button,
    context,
    divider,
    escape,
    header,
    join_limited,
    money,
    number,
    section,
    truncate,
)
from bot.constants import (
    ACTION_USECASE_CANCEL_REGISTER,
    ACTION_USECASE_CONFIRM_REGISTER,
    ACTION_USECASE_SHOW,
    ACTION_USECASE_UNVOTE,
    ACTION_USECASE_VOTE,
    VIEW_USECASE_EDIT,
    VIEW_USECASE_REGISTER,
)
from portfolio.models import DESCRIPTION_MAX, TITLE_MAX, RiskTier
from portfolio.read_model import TREND_ICONS
from portfolio.read_model import trend_label as plain_trend

if TYPE_CHECKING:
    from portfolio.read_model import UnitValue, VoteEntry
    from portfolio.service import AuditEntry, UseCaseCard, WeekValue

LIST_MAX_ITEMS = 20  # 2 blocks per item + header/footer stays far below Slack's 50

TREND_EMOJI = TREND_ICONS  # one set of icons for cards, lists, App Home and the digest


def trend_label(kind: str | None) -> str:
    if not kind:
        return "—"
    return f"{TREND_ICONS.get(kind, '')} {plain_trend(kind)}".strip()


def _vote_button(card: UseCaseCard) -> dict:
    if card.voted:
        return button("Unvote", ACTION_USECASE_UNVOTE, str(card.id))
    return button(f":ballot_box_with_check: Vote ({card.votes})", ACTION_USECASE_VOTE, str(card.id))


def _weeks_table(weeks: Sequence[WeekValue]) -> str:
    if not weeks:
        return "_No value reported yet._"
    lines = ["week      net value   hours  cost saved  revenue  LLM cost"]
    for w in weeks:
        lines.append(
            f"{w.week}  {money(w.net_value):>9}  {_num(w.hours_saved):>5}  "
            f"{money(w.cost_saved):>10}  {money(w.revenue):>7}  {money(w.llm_cost):>8}"
        )
    return "```" + "\n".join(lines) + "```"


def _units_text(units: Sequence[str]) -> str:
    """The units, escaped, within Slack's 2,000 characters for a field."""
    if not units:
        return "—"
    return join_limited([escape(u) for u in units], FIELD_MAX - 20)


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def build_card_blocks(card: UseCaseCard, *, note: str | None = None) -> list[dict]:
    status = card.phase if card.status == "active" else f"dropped ({card.phase})"
    blocks: list[dict] = []
    if note:
        blocks.append(section(note))
    blocks += [
        header(f"{card.ref} · {card.title}"),
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Phase*\n{status}"},
                {"type": "mrkdwn", "text": f"*Owner*\n<@{escape(card.owner_id)}>"},
                {"type": "mrkdwn", "text": "*Units*\n" + _units_text(card.units)},
                {"type": "mrkdwn", "text": f"*Votes*\n{card.votes}"},
                {"type": "mrkdwn", "text": f"*Risk tier*\n{card.risk_tier}"},
                {"type": "mrkdwn", "text": f"*Trend*\n{trend_label(card.trend)}"},
                *(
                    [{"type": "mrkdwn", "text": f"*Review*\n{card.review or 'none recorded'}"}]
                    if card.review or card.risk_tier == "high"
                    else []
                ),
            ],
        },
    ]
    if card.description:
        blocks.append(section(escape(card.description)))
    if card.drop_reason and card.status == "dropped":
        blocks.append(section(f"*Dropped because:* {escape(card.drop_reason)}"))
    blocks.append(section("*Last 4 weeks*\n" + _weeks_table(card.weeks)))
    if card.trend_rule:
        blocks.append(context(escape(card.trend_rule)))
    if card.status == "active":
        blocks.append(actions(_vote_button(card), block_id=f"usecase_card_{card.id}"))
    return blocks


def build_list_blocks(cards: Sequence[UseCaseCard], *, title: str, more_hint: str = "") -> list:
    if not cards:
        return [
            section(
                f"*{escape(title)}*\nNo use cases match. Register one with `/usecase register`."
            )
        ]
    blocks: list[dict] = [header(title)]
    for card in cards[:LIST_MAX_ITEMS]:
        value = "no value yet" if card.net_value_latest is None else money(card.net_value_latest)
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": truncate(
                        f"*{card.ref}* {escape(card.title)}\n{card.phase} · {card.status} · "
                        f"{card.votes} vote(s) · {value} · {trend_label(card.trend)}",
                        3000,
                    ),
                },
                "accessory": button("Show", ACTION_USECASE_SHOW, str(card.id)),
            }
        )
    if len(cards) > LIST_MAX_ITEMS:
        blocks.append(context(f"…and {len(cards) - LIST_MAX_ITEMS} more. {more_hint}".strip()))
    return blocks


def build_search_blocks(words: str, results: Sequence[tuple[UseCaseCard, float]]) -> list[dict]:
    if not results:
        return [section(f"Nothing matches *{escape(words)}*. `/usecase list` shows them all.")]
    blocks: list[dict] = [section(f":mag: *{len(results)} match(es) for* {escape(words)}")]
    for card, score in results[:LIST_MAX_ITEMS]:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": truncate(
                        f"*{card.ref}* {escape(card.title)} · {card.phase} · "
                        f"{card.votes} vote(s) · match {round(score * 100)}%",
                        SECTION_MAX,
                    ),
                },
                "accessory": button("Show", ACTION_USECASE_SHOW, str(card.id)),
            }
        )
    return blocks


def build_units_blocks(week: str, units: Sequence[UnitValue], spans: Sequence[int]) -> list[dict]:
    if not units:
        return [section("No business unit runs an active use case yet.")]
    from portfolio.read_model import unit_table

    short, long = spans[0], spans[-1]
    header_line, *lines = unit_table(units, spans)
    shown: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in shown) + len(line) > SECTION_MAX - 200:
            break
        shown.append(line)
    blocks = [
        section(f":bar_chart: *Business units* — the {short} and {long} weeks before {week}"),
        section("```" + escape("\n".join([header_line, *shown])) + "```"),
    ]
    more = len(lines) - len(shown)
    note = "A use case run by several units counts in full for each."
    if more:
        note = f"…and {more} more units. " + note
    blocks.append(context(note))
    return blocks


def build_votes_blocks(card: UseCaseCard, votes: Sequence[VoteEntry]) -> list[dict]:
    if not votes:
        return [section(f"Nobody has voted for *{card.ref}* {escape(card.title)} yet.")]
    lines = [
        f"• <@{escape(v.user_id)}> {v.at:%Y-%m-%d}" + (f": {escape(v.reason)}" if v.reason else "")
        for v in votes
    ]
    shown: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in shown) + len(line) > SECTION_MAX - 100:
            break
        shown.append(line)
    text = f"*Votes for {card.ref}* {escape(card.title)} ({len(votes)})\n" + "\n".join(shown)
    if len(shown) < len(lines):
        text += f"\n…and {len(lines) - len(shown)} more"
    return [section(text)]


def build_history_blocks(ref: str, entries: Sequence[AuditEntry]) -> list[dict]:
    if not entries:
        return [section(f"*{ref}* has no recorded changes.")]
    lines = []
    for e in entries:
        mark = "" if e.allowed else " _(refused)_"
        detail = f" — {escape(truncate(e.detail, 120))}" if e.detail else ""
        change = _change_summary(e.before, e.after)
        lines.append(
            f"• {e.at:%Y-%m-%d %H:%M} <@{escape(e.actor_id)}> *{e.action}*{mark}{change}{detail}"
        )
    blocks = [header(f"History of {ref}")]
    chunk: list[str] = []
    for line in lines:
        if sum(len(x) + 1 for x in chunk) + len(line) > 2900:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks[:50]


def _change_summary(before: dict | None, after: dict | None) -> str:
    if not before or not after:
        return ""
    changed = [k for k in after if before.get(k) != after.get(k)]
    parts = [f"{k}: {_shown(before.get(k))} → {_shown(after.get(k))}" for k in changed]
    return (" (" + truncate("; ".join(parts), 200) + ")") if parts else ""


def _shown(value: object) -> str:
    """A value from the audit trail as people read it: no None, no float noise."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, list | tuple):
        return escape(", ".join(str(v) for v in value)) or "none"
    return escape(str(value))


def build_help_blocks(help_text: str) -> list[dict]:
    return [
        section("*`/usecase` — the AI use-case portfolio*"),
        section("```" + escape(help_text) + "```"),
        context("Anyone can register, vote and list. Owners and spine admins change the rest."),
    ]


def build_duplicate_blocks(
    title: str, description: str, similar: Sequence[tuple[UseCaseCard, float]]
) -> list[dict]:
    """Similar use cases exist: ask before registering another."""
    lines = [
        f"• *{c.ref}* {escape(c.title)} · {c.phase} · {round(score * 100)}% similar"
        for c, score in similar
    ]
    pending = json.dumps({"t": title, "d": description}, ensure_ascii=False)
    blocks = [
        section(
            f"Before I register *{escape(title)}*: these look similar. Vote for one of them "
            "instead, or register anyway.\n" + "\n".join(lines)
        )
    ]
    buttons = []
    if len(pending) <= 2000:
        buttons.append(
            button("Register anyway", ACTION_USECASE_CONFIRM_REGISTER, pending, style="primary")
        )
    buttons.append(button("Cancel", ACTION_USECASE_CANCEL_REGISTER, "cancel"))
    blocks.append(actions(*buttons, block_id="usecase_duplicates"))
    for card, _ in similar[:3]:
        blocks.append(
            actions(
                button(f"Show {card.ref}", ACTION_USECASE_SHOW, str(card.id)),
                button(f"Vote for {card.ref}", ACTION_USECASE_VOTE, str(card.id)),
                block_id=f"usecase_similar_{card.id}",
            )
        )
    return blocks


def build_registered_blocks(card: UseCaseCard, actor: str) -> list[dict]:
    return [
        section(
            f":new: <@{escape(actor)}> registered *{card.ref}* {escape(card.title)} "
            f"({card.phase}). Vote with `/usecase vote {card.id}`."
        )
    ]


LIST_INPUT_MAX = 2000  # the units and processes inputs (comma-separated)


def build_register_modal(
    *,
    channel_id: str = "",
    title: str = "",
    description: str = "",
    units: Sequence[str] = (),
    processes: Sequence[str] = (),
    risk_tier: str = "minimal",
    confirmed: bool = False,
) -> dict:
    """The registration form; every field prefilled when given (e.g. after the
    duplicate warning, so nothing typed is lost)."""
    risk_options = [
        {"text": {"type": "plain_text", "text": tier.value}, "value": tier.value}
        for tier in RiskTier
    ]
    initial_risk = next((o for o in risk_options if o["value"] == risk_tier), risk_options[0])
    units_input = _list_input(units)
    processes_input = _list_input(processes)
    title_input: dict = {
        "type": "plain_text_input",
        "action_id": "value",
        "max_length": TITLE_MAX,
        "placeholder": {"type": "plain_text", "text": "e.g. Claims e-mail triage"},
    }
    if title:
        title_input["initial_value"] = title
    description_input: dict = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": True,
        "max_length": DESCRIPTION_MAX,
    }
    if description:
        description_input["initial_value"] = description
    return {
        "type": "modal",
        "callback_id": VIEW_USECASE_REGISTER,
        "private_metadata": json.dumps({"channel": channel_id, "confirmed": confirmed}),
        "title": {"type": "plain_text", "text": "Register a use case"},
        "submit": {"type": "plain_text", "text": "Register anyway" if confirmed else "Register"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": "title", "label": _pt("Title"), "element": title_input},
            {
                "type": "input",
                "block_id": "description",
                "label": _pt("Problem and how AI helps"),
                "element": description_input,
            },
            {
                "type": "input",
                "block_id": "units",
                "optional": True,
                "label": _pt("Business units (comma-separated)"),
                "element": units_input,
            },
            {
                "type": "input",
                "block_id": "processes",
                "optional": True,
                "label": _pt("Processes touched (comma-separated)"),
                "element": processes_input,
            },
            {
                "type": "input",
                "block_id": "risk_tier",
                "label": _pt("Risk tier"),
                "hint": _pt(
                    "High: public services, healthcare, defence, financial decisions about people."
                ),
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": risk_options,
                    "initial_option": initial_risk,
                },
            },
        ],
    }


def build_edit_modal(card: UseCaseCard, *, channel_id: str = "") -> dict:
    """The registration form, prefilled with ``card``, saving as an edit; plus the owner."""
    view = build_register_modal(
        channel_id=channel_id,
        title=card.title,
        description=card.description,
        units=card.units,
        processes=card.processes,
        risk_tier=card.risk_tier,
    )
    view["callback_id"] = VIEW_USECASE_EDIT
    view["private_metadata"] = json.dumps({"channel": channel_id, "edit": card.id})
    view["title"] = _pt(truncate(f"Edit {card.ref}", 24))
    view["submit"] = _pt("Save")
    view["blocks"].append(
        {
            "type": "input",
            "block_id": "owner",
            "label": _pt("Owner"),
            "element": {
                "type": "users_select",
                "action_id": "value",
                "initial_user": card.owner_id,
            },
        }
    )
    return view


def build_duplicate_modal(
    similar: Sequence[tuple[UseCaseCard, float]],
    *,
    channel_id: str,
    title: str,
    description: str,
    units: Sequence[str] = (),
    processes: Sequence[str] = (),
    risk_tier: str = "minimal",
) -> dict:
    """The registration modal again, every field kept, with the similar use cases above."""
    view = build_register_modal(
        channel_id=channel_id,
        title=title,
        description=description,
        units=units,
        processes=processes,
        risk_tier=risk_tier,
        confirmed=True,
    )
    lines = "\n".join(
        f"• *{c.ref}* {escape(c.title)} · {round(s * 100)}% similar" for c, s in similar
    )
    view["blocks"] = [
        section(":mag: These use cases look similar; consider voting for one instead:\n" + lines),
        divider(),
        *view["blocks"],
    ]
    return view


def _list_input(values: Sequence[str]) -> dict:
    element: dict = {"type": "plain_text_input", "action_id": "value", "max_length": LIST_INPUT_MAX}
    joined = ", ".join(values)
    if joined:
        element["initial_value"] = truncate(joined, LIST_INPUT_MAX)
    return element


def _pt(text: str) -> dict:
    return {"type": "plain_text", "text": text}
