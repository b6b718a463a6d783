"""Socket Mode carries the same payloads to the same app; logs never hold message text."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.app import build_app
from bot.deps import Deps
from spinebot.settings import get_settings
from tests.bot.conftest import ScriptedKnowledge, SlackApp
from tests.harness import payloads

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "bolt_socket_mode_envelopes.jsonl"


class RecordingSocketClient:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict | None]] = []
        self.logger = logging.getLogger("socket-mode-test")

    def send_socket_mode_response(self, response) -> None:  # type: ignore[no-untyped-def]
        self.sent.append((response.envelope_id, response.payload))


def test_a_socket_mode_slash_command_is_acked_through_the_same_listeners(slack_env) -> None:  # type: ignore[no-untyped-def]
    settings = get_settings()
    deps = Deps.create(settings)
    deps.knowledge_factory = lambda: ScriptedKnowledge()
    app = build_app(settings, deps=deps)
    handler = SocketModeHandler(app, app_token="xapp-1-test")
    envelope = json.loads(FIXTURE.read_text().splitlines()[1])  # a recorded slash command
    payload = {**envelope["payload"], "command": "/usecase", "text": "help"}
    client = RecordingSocketClient()
    handler.handle(
        client,  # type: ignore[arg-type]
        SocketModeRequest(
            type="slash_commands", envelope_id=envelope["envelope_id"], payload=payload
        ),
    )
    assert client.sent and client.sent[0][0] == envelope["envelope_id"]
    assert "register" in json.dumps(client.sent[0][1])
    deps.shutdown()


def test_message_text_is_never_logged(slack: SlackApp, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    secret = "quarterly-merger-codename-zebra"
    slack.requester.event(payloads.app_mention_event(f"what about {secret}?"))
    slack.requester.event(payloads.message_event(f"{secret} in a DM", channel="D111"))
    slack.knowledge.fail = True
    slack.requester.event(payloads.app_mention_event(f"and {secret} again"))
    slack.fake.wait_for("chat.update", count=3)
    assert any("answering failed" in r.getMessage() for r in caplog.records)
    assert not any(secret in r.getMessage() for r in caplog.records)
