"""The shortcut in a real `spinebot serve` (answers written in an answer process): the
web process saves the thread into the shared index, and the answer process, which has
its own copy of the index state, answers from the note next time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.constants import SHORTCUT_KNOWLEDGE_NOTE
from tests.harness import payloads
from tests.harness.fake_slack import FakeSlack
from tests.harness.fixtures import SIGNING_SECRET
from tests.harness.serve import ServeProcess, build_index
from tests.harness.signing import SlackRequester

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("embedding-heavy")]

CHANNEL = "C0SPINE"
QUESTION = "Which badge colour do contractors need for the model lab?"
REPLY = "Contractors need an orange badge for the model lab, from the facilities desk."


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("indexed") / "data"
    build_index(data)
    return data


def test_a_thread_saved_in_the_web_process_is_answered_by_the_answer_process(  # type: ignore[no-untyped-def]
    sqlite_db, fake_slack: FakeSlack, index_dir: Path, tmp_path: Path
) -> None:
    serve = ServeProcess(
        tmp_path / "serve", fake_slack.api_url, index=index_dir, spine_admins="UADMIN"
    ).start()
    try:
        slack = SlackRequester(serve.base, SIGNING_SECRET)
        root = fake_slack.add_message(CHANNEL, f"<@UBOT> {QUESTION}", user="U1")
        fake_slack.add_message(CHANNEL, REPLY, user="U2", thread_ts=root["ts"])
        url = fake_slack.response_url()
        shortcut = payloads.message_action_payload(
            SHORTCUT_KNOWLEDGE_NOTE, root, CHANNEL, "UADMIN", response_url=url
        )
        assert slack.interactive(shortcut).status == 200
        said = fake_slack.wait_for("response_url", timeout=60)[0].args
        assert "Added to Spinebot knowledge" in said["text"], serve.log()
        permalink = fake_slack.calls_to("chat.getPermalink")[0].response["permalink"]  # type: ignore[index]

        event = payloads.app_mention_event(QUESTION, user="U3", channel=CHANNEL)
        assert slack.event(event).status == 200
        answer = fake_slack.wait_for("chat.update", timeout=60)[0]
        text = json.dumps(answer.args.get("blocks"))
        assert "orange badge" in text and f"<{permalink}|" in text
    finally:
        serve.stop()
