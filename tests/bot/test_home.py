"""The App Home tab, published when a person opens it."""

from __future__ import annotations

import json

from tests.bot.conftest import SlackApp
from tests.bot.test_slack_e2e import USER, register
from tests.harness import payloads


def test_app_home_shows_own_use_cases_and_buttons(slack: SlackApp) -> None:
    register(slack, "Contract review")
    slack.requester.event(payloads.app_home_opened_event(USER))
    published = slack.fake.wait_for("views.publish")[0]
    assert "Contract review" in json.dumps(published.args)
    assert "home_register_usecase" in json.dumps(published.args)
