"""Builders for what Slack sends an app: slash commands, events, button presses, modals.

Each builder returns the payload with the same keys, nesting and encoding as the real
ones recorded in ``tests/fixtures/`` (taken from Slack's SDK and Bolt test suites); the
tests in ``test_harness.py`` rebuild those fixtures field for field. They are pure
functions (no I/O), so the console can dispatch them to the Bolt app in-process too.

Defaults name a plausible workspace: team ``T111``, app ``A111``, user ``U111``, channel
``C111`` and the bot user ``UBOT`` (the fake Web API's ``auth.test`` answer).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlencode

TEAM_ID = "T111"
TEAM_DOMAIN = "fake-workspace"
APP_ID = "A111"
USER_ID = "U111"
CHANNEL_ID = "C111"
BOT_USER_ID = "UBOT"
VERIFICATION_TOKEN = "verification_token"
DEFAULT_RESPONSE_URL = "https://hooks.slack.com/commands/T111/111/xxxxx"

_ts_lock = threading.Lock()
_last_ts_micros = 0


def next_ts() -> str:
    """A Slack-style ``"seconds.micros"`` timestamp from the clock, strictly increasing
    across this process: messages built here and those the fake Slack posts sort in the
    order they were made, as in a real conversation."""
    global _last_ts_micros
    with _ts_lock:
        _last_ts_micros = max(time.time_ns() // 1000, _last_ts_micros + 1)
        micros = _last_ts_micros
    return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"


def new_event_id() -> str:
    return "Ev" + uuid.uuid4().hex[:10].upper()


def new_trigger_id() -> str:
    return f"{int(time.time())}.{uuid.uuid4().int % 10**11}.{uuid.uuid4().hex}"


# ---------------------------------------------------------------------- slash commands


def slash_command_fields(
    command: str,
    text: str = "",
    *,
    user_id: str = USER_ID,
    user_name: str | None = None,
    channel_id: str = CHANNEL_ID,
    channel_name: str | None = None,
    team_id: str = TEAM_ID,
    team_domain: str = TEAM_DOMAIN,
    response_url: str = DEFAULT_RESPONSE_URL,
    trigger_id: str | None = None,
    enterprise_id: str | None = None,
    enterprise_name: str | None = None,
    api_app_id: str | None = None,
    token: str = VERIFICATION_TOKEN,
) -> dict[str, str]:
    """The fields of a slash command, in the order Slack sends them."""
    if not command.startswith("/"):
        raise ValueError(f"a slash command starts with '/': {command!r}")
    fields = {
        "token": token,
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name or _channel_name(channel_id),
        "user_id": user_id,
        "user_name": user_name or _user_name(user_id),
        "command": command,
        "text": text,
    }
    if api_app_id:
        fields["api_app_id"] = api_app_id
    if enterprise_id:
        fields["enterprise_id"] = enterprise_id
        fields["enterprise_name"] = enterprise_name or "Enterprise"
    fields["response_url"] = response_url
    fields["trigger_id"] = trigger_id or new_trigger_id()
    return fields


def slash_command_form(command: str, text: str = "", **kwargs: Any) -> str:
    """A slash command body, ``application/x-www-form-urlencoded`` like Slack's.

    Keyword arguments are those of :func:`slash_command_fields`.
    """
    return urlencode(slash_command_fields(command, text, **kwargs))


# ---------------------------------------------------------------------- events


def event_callback(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    bot_user_id: str = BOT_USER_ID,
    event_time: int | None = None,
    event_context: str | None = None,
    token: str | None = VERIFICATION_TOKEN,
) -> dict[str, Any]:
    """The Events API envelope around ``event`` (an ``event_callback``), with the
    ``authorizations`` list Slack sends today (the bot user that may act on it)."""
    envelope: dict[str, Any] = {} if token is None else {"token": token}
    return envelope | {
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": event_context or f"4-{uuid.uuid4().hex[:24]}",
    }


def _rich_text(text: str) -> list[dict[str, Any]]:
    """The ``rich_text`` block Slack attaches to typed messages (mentions as user items)."""
    elements: list[dict[str, Any]] = []
    for piece in _split_mentions(text):
        if piece.startswith("<@") and piece.endswith(">"):
            elements.append({"type": "user", "user_id": piece[2:-1]})
        elif piece:
            elements.append({"type": "text", "text": piece})
    return [
        {
            "type": "rich_text",
            "block_id": uuid.uuid4().hex[:4],
            "elements": [{"type": "rich_text_section", "elements": elements}],
        }
    ]


def _split_mentions(text: str) -> list[str]:
    pieces, rest = [], text
    while "<@" in rest:
        before, _, after = rest.partition("<@")
        mention, sep, rest = after.partition(">")
        pieces.append(before)
        pieces.append(f"<@{mention}>" if sep else "<@" + mention)
    pieces.append(rest)
    return pieces


def message_event(
    text: str,
    *,
    user: str = USER_ID,
    channel: str = CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    channel_type: str | None = None,
    team: str = TEAM_ID,
    **extra: Any,
) -> dict[str, Any]:
    """A ``message`` event as a person typed it (``channel_type`` from the id if not
    given: ``D…`` is ``im``, ``G…`` ``group``, otherwise ``channel``)."""
    ts = ts or next_ts()
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "team": team,
        "blocks": _rich_text(text),
        "channel": channel,
        "event_ts": ts,
        "channel_type": channel_type or _channel_type(channel),
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = extra.pop("parent_user_id", BOT_USER_ID)
    event.update(extra)
    return event


def app_mention_event(
    text: str,
    *,
    user: str = USER_ID,
    channel: str = CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    bot_user_id: str = BOT_USER_ID,
    team: str = TEAM_ID,
) -> dict[str, Any]:
    """An ``app_mention``: ``text`` is what follows the ``<@bot>`` mention."""
    ts = ts or next_ts()
    full = f"<@{bot_user_id}> {text}".rstrip()
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "app_mention",
        "text": full,
        "user": user,
        "ts": ts,
        "team": team,
        "blocks": _rich_text(full),
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def app_home_opened_event(user: str = USER_ID, *, tab: str = "home") -> dict[str, Any]:
    ts = next_ts()
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": "D" + user,
        "tab": tab,
        "event_ts": ts,
    }


def assistant_thread_started_event(
    user: str = USER_ID, *, channel: str | None = None, thread_ts: str | None = None
) -> dict[str, Any]:
    """The event Slack sends when someone opens the app's assistant side panel."""
    channel = channel or "D" + user
    thread_ts = thread_ts or next_ts()
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": user,
            "context": {"channel_id": None, "team_id": TEAM_ID, "enterprise_id": None},
            "channel_id": channel,
            "thread_ts": thread_ts,
        },
        "event_ts": next_ts(),
    }


# ---------------------------------------------------------------------- interactivity


def button_action(
    action_id: str, value: str, *, block_id: str | None = None, text: str = "Button"
) -> dict[str, Any]:
    """One entry of a ``block_actions`` payload's ``actions`` list (a button press)."""
    return {
        "action_id": action_id,
        "block_id": block_id or uuid.uuid4().hex[:3],
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": next_ts(),
    }


def block_actions_payload(
    action_id: str,
    value: str,
    user_id: str = USER_ID,
    *,
    channel_id: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
    action: dict[str, Any] | None = None,
    state_values: dict[str, Any] | None = None,
    trigger_id: str | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    user_name: str | None = None,
) -> dict[str, Any]:
    """A ``block_actions`` payload for a button press.

    Where the button was decides the container, as on Slack: on a ``message`` (given:
    the message dict as posted, with its ``channel_id``), on an ephemeral message (only
    ``channel_id`` given), or in a ``view`` (a modal or the App Home tab; no channel).
    ``action`` replaces the default button action (e.g. a select menu).
    """
    name = user_name or _user_name(user_id)
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {"id": user_id, "username": name, "name": name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V111")}
    elif message is not None:
        if not channel_id:
            raise ValueError("a button on a message needs the message's channel_id")
        payload["container"] = {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
    elif channel_id:
        payload["container"] = {
            "type": "message",
            "message_ts": next_ts(),
            "channel_id": channel_id,
            "is_ephemeral": True,
        }
    else:
        raise ValueError("a button press needs a message, a channel_id or a view")
    payload["trigger_id"] = trigger_id or new_trigger_id()
    payload["team"] = {"id": team_id, "domain": TEAM_DOMAIN}
    payload["enterprise"] = None
    payload["is_enterprise_install"] = False
    if channel_id and view is None:
        payload["channel"] = {"id": channel_id, "name": _channel_name(channel_id)}
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = view
    payload["state"] = {"values": state_values or {}}
    if view is None or response_url:
        payload["response_url"] = response_url or (
            f"https://hooks.slack.com/actions/{team_id}/111/{uuid.uuid4().hex[:12]}"
        )
    payload["actions"] = [action or button_action(action_id, value)]
    return payload


def view_submission_payload(
    callback_id: str,
    state_values: dict[str, dict[str, Any]],
    user_id: str = USER_ID,
    *,
    private_metadata: str = "",
    view_id: str | None = None,
    blocks: list[dict[str, Any]] | None = None,
    title: str = "Spinebot",
    external_id: str = "",
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    user_name: str | None = None,
    trigger_id: str | None = None,
) -> dict[str, Any]:
    """A ``view_submission`` payload for a modal.

    ``state_values`` maps block_id → action_id → value. A plain string value is
    shorthand for a ``plain_text_input``; pass a dict for other elements, e.g.
    ``{"type": "static_select", "selected_option": {"value": "pilot", ...}}``.
    """
    values = {
        block_id: {
            action_id: (
                {"type": "plain_text_input", "value": value} if isinstance(value, str) else value
            )
            for action_id, value in actions.items()
        }
        for block_id, actions in state_values.items()
    }
    if blocks is None:
        blocks = [
            {
                "type": "input",
                "block_id": block_id,
                "label": {"type": "plain_text", "text": block_id},
                "optional": False,
                "element": {"type": elem["type"], "action_id": action_id},
            }
            for block_id, actions in values.items()
            for action_id, elem in actions.items()
        ]
    view_id = view_id or "V" + uuid.uuid4().hex[:10].upper()
    name = user_name or _user_name(user_id)
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "username": name, "name": name, "team_id": team_id},
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": blocks,
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": values},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "title": {"type": "plain_text", "text": title},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": {"type": "plain_text", "text": "Cancel"},
            "submit": {"type": "plain_text", "text": "Submit"},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": api_app_id,
            "external_id": external_id,
            "app_installed_team_id": team_id,
            "bot_id": "BBOT",
        },
        "response_urls": [],
    }


def message_action_payload(
    callback_id: str,
    message: dict[str, Any],
    channel_id: str,
    user_id: str = USER_ID,
    *,
    response_url: str | None = None,
    team_id: str = TEAM_ID,
    user_name: str | None = None,
) -> dict[str, Any]:
    """A ``message_action`` payload: someone chose the app's message shortcut
    ``callback_id`` from the "More actions" menu of ``message`` (as posted, with its
    ``ts`` and, for a reply, its ``thread_ts``) in ``channel_id``."""
    name = user_name or _user_name(user_id)
    return {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": next_ts(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": {"id": user_id, "name": name, "username": name, "team_id": team_id},
        "channel": {"id": channel_id, "name": _channel_name(channel_id)},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": callback_id,
        "trigger_id": new_trigger_id(),
        "response_url": response_url
        or f"https://hooks.slack.com/app/{team_id}/111/{uuid.uuid4().hex[:12]}",
        "message_ts": message["ts"],
        "message": message,
    }


def interactive_form(payload: dict[str, Any]) -> str:
    """How Slack posts interactivity: one form field ``payload`` holding the JSON."""
    return urlencode({"payload": json.dumps(payload)})


# ---------------------------------------------------------------------- names


def _channel_type(channel: str) -> str:
    return {"D": "im", "G": "group"}.get(channel[:1], "channel")


def _channel_name(channel_id: str) -> str:
    if channel_id.startswith("D"):
        return "directmessage"
    return f"channel-{channel_id.lower()}"


def _user_name(user_id: str) -> str:
    return f"user-{user_id.lower()}"
