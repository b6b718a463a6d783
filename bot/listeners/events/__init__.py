"""Event listeners. Only the events subscribed in manifest.yml are handled, and every
one of them is handled (an unhandled event answers 404 and Slack retries it)."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners.events import app_home_opened, app_mention, assistant_thread, message


def register(app: App, deps: Deps) -> None:
    app.event("app_mention")(app_mention.make(deps))
    app.event("message")(message.make(deps))
    app.event("app_home_opened")(app_home_opened.make(deps))
    app.event("assistant_thread_started")(assistant_thread.make(deps))
    # Bolt routes assistant_thread_context_changed separately; we have nothing to update.
    app.event("assistant_thread_context_changed")(lambda: None)
