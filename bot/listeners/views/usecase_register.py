"""The registration modal's submission: field errors shown in the modal, a duplicate
check that asks once (keeping every field), then the registration announced.

Fields are checked with :mod:`portfolio.fields` and the registration runs through the
portfolio executor, like `/usecase register` typed as text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.usecase import build_duplicate_modal
from bot.deps import Deps, new_reference
from bot.usecase_flow import render
from portfolio import commands as c
from portfolio import executor as x
from portfolio.fields import check_form

log = logging.getLogger(__name__)


def field_value(view: dict, block_id: str) -> str:
    state = view.get("state", {}).get("values", {}).get(block_id, {}).get("value", {})
    if state.get("type") == "static_select":
        return ((state.get("selected_option") or {}).get("value")) or ""
    if state.get("type") == "users_select":
        return state.get("selected_user") or ""
    return (state.get("value") or "").strip()


def validate(view: dict) -> tuple[dict, dict[str, str]]:
    """The modal's fields, checked by the shared field rules; errors by block id."""
    raw = {
        name: field_value(view, name)
        for name in ("title", "description", "units", "processes", "risk_tier")
    }
    return check_form(raw)


def _in_channel_or_dm(
    client: WebClient, channel: str, user: str, blocks: list[dict], text: str, *, private: bool
) -> None:
    """Into the channel the modal came from (ephemeral when ``private``), else a DM."""
    if channel:
        try:
            if private:
                client.chat_postEphemeral(channel=channel, user=user, blocks=blocks, text=text)
            else:
                client.chat_postMessage(channel=channel, blocks=blocks, text=text)
            return
        except SlackApiError as exc:
            log.info("cannot reach the origin channel (%s); sending a DM", exc.response["error"])
    client.chat_postMessage(channel=user, blocks=blocks, text=text)


def announce(client: WebClient, channel: str, user: str, blocks: list[dict], text: str) -> None:
    """Post to the channel the modal came from; fall back to a DM when we can't."""
    _in_channel_or_dm(client, channel, user, blocks, text, private=False)


def make(deps: Deps) -> Callable[..., None]:
    def handle_register_submission(ack, body, view, client) -> None:  # type: ignore[no-untyped-def]
        user = body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")
        fields, errors = validate(view)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        command = c.Register(
            title=fields["title"],
            description=fields["description"],
            units=tuple(fields["units"]),
            processes=tuple(fields["processes"]),
            risk_tier=fields["risk_tier"],
            confirmed=bool(meta.get("confirmed")),
        )
        try:
            outcome = x.execute(deps.portfolio, command, user)
        except Exception:
            ref = new_reference()
            log.exception("registration failed (ref %s)", ref)
            ack(
                response_action="errors",
                errors={"title": f"Sorry, saving failed (reference {ref}). Please try again."},
            )
            return
        if isinstance(outcome, x.SimilarFound):
            ack(
                response_action="update",
                view=build_duplicate_modal(
                    outcome.similar, channel_id=meta.get("channel", ""), **fields
                ),
            )
            return
        if isinstance(outcome, x.Failed):
            ack(response_action="errors", errors={"title": outcome.error.message[:150]})
            return
        ack()
        reply = render(outcome, user)
        ref = outcome.card.ref if isinstance(outcome, x.Registered) else "use case"
        deps.run(
            lambda: announce(
                client, meta.get("channel", ""), user, reply.blocks, f"{ref} registered"
            ),
            what="announce registration",
        )

    return handle_register_submission


def tell(client: WebClient, channel: str, user: str, blocks: list[dict], text: str) -> None:
    """Show ``user`` a private message in the channel the modal came from, else a DM."""
    _in_channel_or_dm(client, channel, user, blocks, text, private=True)


def make_edit(deps: Deps) -> Callable[..., None]:
    """The edit modal's submission: the same field rules, saved as one audited edit."""

    def handle_edit_submission(ack, body, view, client) -> None:  # type: ignore[no-untyped-def]
        user = body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")
        fields, errors = validate(view)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        owner = field_value(view, "owner") or None
        command = c.Edit(
            int(meta.get("edit", 0)),
            title=fields["title"],
            description=fields["description"],
            risk_tier=fields["risk_tier"],
            units=tuple(fields["units"]),
            processes=tuple(fields["processes"]),
            owner=owner,
        )
        try:
            outcome = x.execute(deps.portfolio, command, user)
        except Exception:
            ref = new_reference()
            log.exception("edit failed (ref %s)", ref)
            ack(
                response_action="errors",
                errors={"title": f"Sorry, saving failed (reference {ref}). Please try again."},
            )
            return
        if isinstance(outcome, x.Failed):
            ack(response_action="errors", errors={"title": outcome.error.message[:150]})
            return
        ack()
        reply = render(outcome, user)
        deps.run(
            lambda: tell(client, meta.get("channel", ""), user, reply.blocks, reply.text),
            what="confirm edit",
        )

    return handle_edit_submission
