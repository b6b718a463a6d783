"""`/usecase …`: parse, ack at once, run the subcommand after the ack, reply ephemerally
(announcements such as registrations and phase changes go to the channel)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.blocks.answer import build_apology_blocks
from bot.blocks.text import error_blocks
from bot.blocks.usecase import build_edit_modal, build_register_modal
from bot.deps import Deps
from bot.usecase_files import run_export, run_import
from bot.usecase_flow import Reply, render, run_usecase_command
from portfolio.commands import EditModal, ExportCmd, Help, ImportCmd, RegisterModal, parse_usecase
from portfolio.errors import InvalidInput
from portfolio.executor import EditForm, execute

log = logging.getLogger(__name__)


def send(respond: Callable[..., object], reply: Reply) -> None:
    respond(
        blocks=reply.blocks,
        text=reply.text,
        response_type="in_channel" if reply.in_channel else "ephemeral",
        replace_original=reply.replace_original,
    )
    for extra in reply.extra:
        send(respond, extra)


def make(deps: Deps) -> Callable[..., None]:
    def handle_usecase(ack, command, respond, client) -> None:  # type: ignore[no-untyped-def]
        user = command.get("user_id", "")
        try:
            parsed = parse_usecase(command.get("text", ""))
        except InvalidInput as exc:
            ack(blocks=error_blocks(exc.message, exc.usage), text=exc.message)
            return
        if isinstance(parsed, Help):
            reply = run_usecase_command(deps, parsed, user)
            ack(blocks=reply.blocks, text=reply.text)
            return
        if isinstance(parsed, RegisterModal):
            ack()
            client.views_open(
                trigger_id=command["trigger_id"],
                view=build_register_modal(channel_id=command.get("channel_id", "")),
            )
            return
        if isinstance(parsed, ImportCmd | ExportCmd):
            ack()

            def transfer() -> None:
                run = run_import if isinstance(parsed, ImportCmd) else run_export
                send(respond, run(deps, client, parsed, user))  # type: ignore[arg-type]

            deps.run(
                transfer,
                what="/usecase " + ("import" if isinstance(parsed, ImportCmd) else "export"),
                on_error=lambda ref: respond(
                    blocks=build_apology_blocks(ref), text="Sorry, that failed."
                ),
            )
            return
        if isinstance(parsed, EditModal):
            ack()  # then open the form at once: the trigger expires in 3 s
            outcome = execute(deps.portfolio, parsed, user)
            if isinstance(outcome, EditForm):
                client.views_open(
                    trigger_id=command["trigger_id"],
                    view=build_edit_modal(outcome.card, channel_id=command.get("channel_id", "")),
                )
            else:
                send(respond, render(outcome, user))
            return
        ack()

        def work() -> None:
            send(respond, run_usecase_command(deps, parsed, user))

        def apologise(ref: str) -> None:
            respond(blocks=build_apology_blocks(ref), text="Sorry, that failed.")

        deps.run(work, what="/usecase", on_error=apologise)

    return handle_usecase
