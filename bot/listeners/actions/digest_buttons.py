"""Admin buttons on the weekly digest: drop, move phase, snooze a week.

Each button is a portfolio command run through the executor under the digest's policy
(spine admins only: anyone else is refused politely, and the attempt is audited), and
rendered like the same command typed as `/usecase`.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.answer import build_apology_blocks
from bot.deps import Deps
from bot.listeners.commands.usecase import send
from bot.usecase_flow import run_usecase_command
from portfolio import commands as c
from portfolio.executor import DIGEST_DROP_REASON, Actor


def parse_value(value: str) -> tuple[int, str | None]:
    """``"12"`` or ``"12:production"`` → (12, "production")."""
    head, _, tail = value.partition(":")
    return int(head), (tail or None)


def command_for(kind: str, use_case_id: int, target: str | None) -> object:
    if kind == "drop":
        return c.Drop(use_case_id, DIGEST_DROP_REASON)
    if kind == "phase":
        return c.PhaseCmd(use_case_id, target or "production")
    return c.Snooze(use_case_id, 1)


def make(deps: Deps, kind: str) -> Callable[..., None]:
    def handle_digest_button(ack, action, body, respond) -> None:  # type: ignore[no-untyped-def]
        ack()
        user = body["user"]["id"]
        try:
            use_case_id, target = parse_value(action.get("value", ""))
        except ValueError:
            respond(text="That button is out of date.", replace_original=False)
            return

        def work() -> None:
            command = command_for(kind, use_case_id, target)
            send(respond, run_usecase_command(deps, command, Actor(user, admins_only=True)))

        deps.run(
            work,
            what=f"digest {kind}",
            on_error=lambda ref: respond(
                blocks=build_apology_blocks(ref), text="Sorry.", replace_original=False
            ),
        )

    return handle_digest_button
