from __future__ import annotations

from slack_bolt import App

from bot.constants import SHORTCUT_KNOWLEDGE_NOTE
from bot.deps import Deps
from bot.listeners.shortcuts import knowledge_note


def register(app: App, deps: Deps) -> None:
    app.shortcut(SHORTCUT_KNOWLEDGE_NOTE)(knowledge_note.make(deps))
