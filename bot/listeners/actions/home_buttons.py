"""The App Home's buttons open the registration and the question modals."""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.home import build_ask_modal
from bot.blocks.usecase import build_register_modal
from bot.deps import Deps


def make_register(deps: Deps) -> Callable[..., None]:
    def handle_home_register(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=build_register_modal())

    return handle_home_register


def make_ask(deps: Deps) -> Callable[..., None]:
    def handle_home_ask(ack, body, client) -> None:  # type: ignore[no-untyped-def]
        ack()
        client.views_open(trigger_id=body["trigger_id"], view=build_ask_modal())

    return handle_home_ask
