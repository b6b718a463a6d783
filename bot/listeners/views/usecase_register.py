"""The registration modal's submission: field errors shown in the modal, a duplicate
check that asks once, then the registration announced."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.usecase import build_duplicate_modal, build_registered_blocks
from bot.deps import Deps, new_reference
from portfolio.errors import PortfolioError
from portfolio.models import DESCRIPTION_MAX, TITLE_MAX, UNIT_MAX, RiskTier

log = logging.getLogger(__name__)


def field_value(view: dict, block_id: str) -> str:
    state = view.get("state", {}).get("values", {}).get(block_id, {}).get("value", {})
    if state.get("type") == "static_select":
        return ((state.get("selected_option") or {}).get("value")) or ""
    return (state.get("value") or "").strip()


def split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def validate(view: dict) -> tuple[dict, dict[str, str]]:
    title = field_value(view, "title")
    description = field_value(view, "description")
    units = split_list(field_value(view, "units"))
    processes = split_list(field_value(view, "processes"))
    risk = field_value(view, "risk_tier") or RiskTier.minimal.value
    errors: dict[str, str] = {}
    if not title:
        errors["title"] = "Give the use case a short title."
    elif len(title) > TITLE_MAX:
        errors["title"] = f"Keep the title under {TITLE_MAX} characters."
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = f"Keep the description under {DESCRIPTION_MAX} characters."
    if any(len(u) > UNIT_MAX for u in units):
        errors["units"] = f"Each unit name must be under {UNIT_MAX} characters."
    if risk not in {t.value for t in RiskTier}:
        errors["risk_tier"] = "Pick a risk tier."
    fields = {
        "title": title,
        "description": description,
        "units": units,
        "processes": processes,
        "risk_tier": risk,
    }
    return fields, errors


def announce(client: WebClient, channel: str, user: str, blocks: list[dict], text: str) -> None:
    """Post to the channel the modal came from; fall back to a DM when we can't."""
    if channel:
        try:
            client.chat_postMessage(channel=channel, blocks=blocks, text=text)
            return
        except SlackApiError as exc:
            log.info("cannot post to the origin channel (%s); sending a DM", exc.response["error"])
    client.chat_postMessage(channel=user, blocks=blocks, text=text)


def make(deps: Deps) -> Callable[..., None]:
    def handle_register_submission(ack, body, view, client) -> None:  # type: ignore[no-untyped-def]
        user = body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")
        fields, errors = validate(view)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        svc = deps.portfolio
        if not meta.get("confirmed"):
            similar = svc.find_similar(title=fields["title"], description=fields["description"])
            if similar:
                ack(
                    response_action="update",
                    view=build_duplicate_modal(
                        similar,
                        channel_id=meta.get("channel", ""),
                        title=fields["title"],
                        description=fields["description"],
                    ),
                )
                return
        try:
            card = svc.register(actor=user, **fields)
        except PortfolioError as exc:
            ack(response_action="errors", errors={"title": exc.message[:150]})
            return
        except Exception:
            ref = new_reference()
            log.exception("registration failed (ref %s)", ref)
            ack(
                response_action="errors",
                errors={"title": f"Sorry, saving failed (reference {ref}). Please try again."},
            )
            return
        ack()
        blocks = build_registered_blocks(card, user)
        deps.run(
            lambda: announce(
                client, meta.get("channel", ""), user, blocks, f"{card.ref} registered"
            ),
            what="announce registration",
        )

    return handle_register_submission
