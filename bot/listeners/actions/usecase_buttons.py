"""Buttons on use-case cards and lists: Vote, Unvote, Show, and the duplicate check's
Register anyway / Cancel. Replies are ephemeral to the person who pressed."""

from __future__ import annotations

import json
from collections.abc import Callable

from bot.blocks.answer import build_apology_blocks
from bot.blocks.text import section
from bot.deps import Deps
from bot.listeners.commands.usecase import send
from bot.usecase_flow import Reply, run_usecase_command
from portfolio import commands as c


def _use_case_id(action: dict) -> int | None:
    try:
        return int(action.get("value", ""))
    except ValueError:
        return None


def _is_ephemeral(body: dict) -> bool:
    container = body.get("container", {})
    return bool(container.get("is_ephemeral"))


def _button(deps: Deps, build: Callable[[int], object]) -> Callable[..., None]:
    def handle(ack, action, body, respond) -> None:  # type: ignore[no-untyped-def]
        ack()
        user = body["user"]["id"]
        use_case_id = _use_case_id(action)
        if use_case_id is None:
            respond(text="That button is out of date.", replace_original=False)
            return

        def work() -> None:
            reply = run_usecase_command(deps, build(use_case_id), user)
            # Update an ephemeral card in place; never overwrite a shared message.
            reply.replace_original = _is_ephemeral(body)
            send(respond, reply)

        deps.run(
            work,
            what="use-case button",
            on_error=lambda ref: respond(
                blocks=build_apology_blocks(ref), text="Sorry.", replace_original=False
            ),
        )

    return handle


def make_vote(deps: Deps) -> Callable[..., None]:
    return _button(deps, lambda i: c.VoteCmd(id=i, reason=None))


def make_unvote(deps: Deps) -> Callable[..., None]:
    return _button(deps, lambda i: c.Unvote(id=i))


def make_show(deps: Deps) -> Callable[..., None]:
    return _button(deps, lambda i: c.Show(id=i))


def make_confirm_register(deps: Deps) -> Callable[..., None]:
    def handle_confirm(ack, action, body, respond) -> None:  # type: ignore[no-untyped-def]
        ack()
        user = body["user"]["id"]
        try:
            pending = json.loads(action.get("value", ""))
            title, description = str(pending["t"]), str(pending.get("d", ""))
        except (ValueError, KeyError, TypeError):
            respond(text="That registration can no longer be confirmed.", replace_original=False)
            return

        def work() -> None:
            command = c.Register(title, description, confirmed=True)
            reply = run_usecase_command(deps, command, user)
            if reply.in_channel:  # registered: the prompt is settled
                respond(
                    blocks=[section(":white_check_mark: Registered.")],
                    text="Registered.",
                    replace_original=True,
                )
            send(respond, reply)

        deps.run(work, what="confirm registration")

    return handle_confirm


def make_cancel_register(deps: Deps) -> Callable[..., None]:
    def handle_cancel(ack, respond) -> None:  # type: ignore[no-untyped-def]
        ack()
        send(
            respond,
            Reply([section("Not registered. Nothing was changed.")], replace_original=True),
        )

    return handle_cancel
