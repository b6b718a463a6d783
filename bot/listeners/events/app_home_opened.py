"""The App Home tab, published fresh each time a person opens it."""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient

from bot.blocks.home import build_home_view
from bot.deps import Deps


def publish_home(deps: Deps, client: WebClient, user_id: str) -> None:
    from jobs.digest import latest_headline

    svc = deps.portfolio
    view = build_home_view(
        user_id=user_id,
        mine=svc.owned_by(user_id),
        top=svc.top_voted(),
        digest_headline=latest_headline(),
    )
    client.views_publish(user_id=user_id, view=view)


def make(deps: Deps) -> Callable[..., None]:
    def handle_app_home_opened(event, client) -> None:  # type: ignore[no-untyped-def]
        if event.get("tab", "home") != "home":
            return
        user = event["user"]
        deps.run(lambda: publish_home(deps, client, user), what="app home")

    return handle_app_home_opened
