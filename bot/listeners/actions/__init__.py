from __future__ import annotations

from slack_bolt import App

from bot.constants import (
    ACTION_DIGEST_DROP,
    ACTION_DIGEST_PHASE,
    ACTION_DIGEST_SNOOZE,
    ACTION_FEEDBACK_DOWN,
    ACTION_FEEDBACK_UP,
    ACTION_HOME_ASK,
    ACTION_HOME_REGISTER,
    ACTION_USECASE_CANCEL_REGISTER,
    ACTION_USECASE_CONFIRM_REGISTER,
    ACTION_USECASE_SHOW,
    ACTION_USECASE_UNVOTE,
    ACTION_USECASE_VOTE,
)
from bot.deps import Deps
from bot.listeners.actions import digest_buttons, feedback, home_buttons, usecase_buttons


def register(app: App, deps: Deps) -> None:
    app.action(ACTION_FEEDBACK_UP)(feedback.make(deps, helpful=True))
    app.action(ACTION_FEEDBACK_DOWN)(feedback.make(deps, helpful=False))
    app.action(ACTION_USECASE_VOTE)(usecase_buttons.make_vote(deps))
    app.action(ACTION_USECASE_UNVOTE)(usecase_buttons.make_unvote(deps))
    app.action(ACTION_USECASE_SHOW)(usecase_buttons.make_show(deps))
    app.action(ACTION_USECASE_CONFIRM_REGISTER)(usecase_buttons.make_confirm_register(deps))
    app.action(ACTION_USECASE_CANCEL_REGISTER)(usecase_buttons.make_cancel_register(deps))
    app.action(ACTION_HOME_REGISTER)(home_buttons.make_register(deps))
    app.action(ACTION_HOME_ASK)(home_buttons.make_ask(deps))
    app.action(ACTION_DIGEST_DROP)(digest_buttons.make(deps, "drop"))
    app.action(ACTION_DIGEST_PHASE)(digest_buttons.make(deps, "phase"))
    app.action(ACTION_DIGEST_SNOOZE)(digest_buttons.make(deps, "snooze"))
