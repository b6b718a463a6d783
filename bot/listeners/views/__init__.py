from __future__ import annotations

from slack_bolt import App

from bot.constants import VIEW_ASK, VIEW_USECASE_EDIT, VIEW_USECASE_REGISTER
from bot.deps import Deps
from bot.listeners.views import ask_modal, usecase_register


def register(app: App, deps: Deps) -> None:
    app.view(VIEW_USECASE_REGISTER)(usecase_register.make(deps))
    app.view(VIEW_USECASE_EDIT)(usecase_register.make_edit(deps))
    app.view(VIEW_ASK)(ask_modal.make(deps))
