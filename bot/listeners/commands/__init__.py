from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners.commands import ask, usecase


def register(app: App, deps: Deps) -> None:
    app.command("/ask")(ask.make(deps))
    app.command("/usecase")(usecase.make(deps))
