"""The manifest declares only what the app handles: every subscribed event, every
command and every shortcut reaches a listener (an unhandled one would answer 404 and be retried)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from rich.console import Console
from slack_bolt.request import BoltRequest

from bot.app import build_app
from bot.console import ConsoleSlack, Screen
from spinebot.settings import get_settings

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"

EVENTS = {
    "app_mention": {
        "type": "app_mention",
        "user": "U1",
        "channel": "C1",
        "text": "<@UBOT>",
        "ts": "1.1",
    },
    "app_home_opened": {"type": "app_home_opened", "user": "U1", "tab": "messages"},
    "assistant_thread_started": {"type": "assistant_thread_started", "assistant_thread": {}},
    "assistant_thread_context_changed": {
        "type": "assistant_thread_context_changed",
        "assistant_thread": {},
    },
    "message.channels": {
        "type": "message",
        "channel_type": "channel",
        "channel": "C1",
        "user": "U1",
        "text": "hi all",
        "ts": "1.2",
    },
    "message.groups": {
        "type": "message",
        "channel_type": "group",
        "channel": "G1",
        "user": "U1",
        "text": "hi",
        "ts": "1.3",
    },
    "message.im": {
        "type": "message",
        "channel_type": "im",
        "channel": "D1",
        "user": "U1",
        "subtype": "message_changed",
        "ts": "1.4",
    },
}


@pytest.fixture
def app(sqlite_db):  # type: ignore[no-untyped-def]
    client = ConsoleSlack(Screen(Console(file=io.StringIO())))
    return build_app(get_settings(), client=client, console=True)


def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def test_every_subscribed_event_has_a_listener(app) -> None:  # type: ignore[no-untyped-def]
    subscribed = manifest()["settings"]["event_subscriptions"]["bot_events"]
    assert set(subscribed) == set(EVENTS), "keep this test's payloads in step with the manifest"
    for n, name in enumerate(subscribed):
        body = {
            "type": "event_callback",
            "team_id": "T1",
            "event_id": f"Ev{n}",
            "event": EVENTS[name],
        }
        response = app.dispatch(
            BoltRequest(body=json.dumps(body), headers={"content-type": ["application/json"]})
        )
        assert response.status == 200, name


def test_every_declared_command_has_a_listener(app) -> None:  # type: ignore[no-untyped-def]
    for command in manifest()["features"]["slash_commands"]:
        body = urlencode(
            {
                "command": command["command"],
                "text": "",
                "user_id": "U1",
                "channel_id": "C1",
                "team_id": "T1",
                "response_url": "x",
                "trigger_id": "t",
            }
        )
        response = app.dispatch(
            BoltRequest(body=body, headers={"content-type": ["application/x-www-form-urlencoded"]})
        )
        assert response.status == 200, command["command"]


def test_every_declared_shortcut_has_a_listener(app, fake_slack) -> None:  # type: ignore[no-untyped-def]
    from tests.harness import payloads

    shortcuts = manifest()["features"]["shortcuts"]
    assert shortcuts, "the manifest declares the message shortcut"
    for shortcut in shortcuts:
        assert shortcut["type"] == "message" and len(shortcut["description"]) <= 80
        message = {"type": "message", "user": "U1", "text": "hi", "ts": "1.5"}
        payload = payloads.message_action_payload(
            shortcut["callback_id"], message, "C1", response_url=fake_slack.response_url()
        )
        response = app.dispatch(
            BoltRequest(
                body=payloads.interactive_form(payload),
                headers={"content-type": ["application/x-www-form-urlencoded"]},
            )
        )
        assert response.status == 200, shortcut["callback_id"]


def test_an_event_the_manifest_does_not_declare_is_not_handled(app) -> None:  # type: ignore[no-untyped-def]
    body = {
        "type": "event_callback",
        "team_id": "T1",
        "event_id": "EvX",
        "event": {"type": "reaction_added", "user": "U1"},
    }
    response = app.dispatch(
        BoltRequest(body=json.dumps(body), headers={"content-type": ["application/json"]})
    )
    assert response.status == 404


def test_the_manifest_lets_the_digest_reach_its_channel() -> None:
    """Posting to a public channel the bot was not invited to needs chat:write.public
    (otherwise Slack answers not_in_channel); the digest's history check and chart need
    channels:history and files:write."""
    scopes = set(yaml.safe_load(MANIFEST.read_text())["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "chat:write.public", "channels:history", "files:write"} <= scopes
