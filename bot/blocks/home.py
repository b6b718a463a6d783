"""The App Home tab: your use cases, the most-voted ones, the latest digest, two buttons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.blocks.text import actions, button, context, divider, escape, header, money, section
from bot.blocks.usecase import trend_label
from bot.constants import ACTION_HOME_ASK, ACTION_HOME_REGISTER, ACTION_USECASE_SHOW, VIEW_ASK

if TYPE_CHECKING:
    from portfolio.service import UseCaseCard

HOME_LIST_MAX = 10


def _card_line(card: UseCaseCard) -> dict:
    value = "no value yet" if card.net_value_latest is None else money(card.net_value_latest)
    return {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": f"*{card.ref}* {escape(card.title)}\n{card.phase} · {card.votes} vote(s) · "
            f"{value} · {trend_label(card.trend)}",
        },
        "accessory": button("Show", ACTION_USECASE_SHOW, str(card.id)),
    }


def build_home_view(
    *,
    user_id: str,
    mine: Sequence[UseCaseCard],
    top: Sequence[UseCaseCard],
    digest_headline: str | None,
) -> dict:
    blocks: list[dict] = [
        header("Spinebot — the AI spine's assistant"),
        section(
            "Ask me anything about scaling AI use cases, register a use case, or see how the "
            "portfolio is doing. In channels, mention me; here, just write in *Messages*."
        ),
        actions(
            button(":bulb: Register a use case", ACTION_HOME_REGISTER, "register", "primary"),
            button(":mag: Ask a question", ACTION_HOME_ASK, "ask"),
            block_id="home_actions",
        ),
        divider(),
        section("*Your use cases*"),
    ]
    if mine:
        blocks += [_card_line(c) for c in mine[:HOME_LIST_MAX]]
    else:
        blocks.append(context("You own no use cases yet."))
    blocks += [divider(), section("*Most voted*")]
    if top:
        blocks += [_card_line(c) for c in top[:HOME_LIST_MAX]]
    else:
        blocks.append(context("No votes yet: `/usecase list` shows what is registered."))
    blocks += [divider(), section("*Latest weekly digest*")]
    blocks.append(
        section(escape(digest_headline))
        if digest_headline
        else context("No digest has been posted yet.")
    )
    return {"type": "home", "blocks": blocks[:100]}


def build_ask_modal(channel_id: str = "") -> dict:
    return {
        "type": "modal",
        "callback_id": VIEW_ASK,
        "private_metadata": channel_id,
        "title": {"type": "plain_text", "text": "Ask Spinebot"},
        "submit": {"type": "plain_text", "text": "Ask"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": "question",
                "label": {"type": "plain_text", "text": "Your question"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "max_length": 2000,
                },
            }
        ],
    }
