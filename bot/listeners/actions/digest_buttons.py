"""Admin buttons on the weekly digest: drop, move phase, snooze a week.

Only spine admins may use them; anyone else gets a polite ephemeral refusal, and the
refused attempt is recorded in the audit trail by the portfolio service.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.blocks.answer import build_apology_blocks
from bot.blocks.text import error_blocks, escape, section
from bot.deps import Deps
from portfolio.errors import PermissionDenied, PortfolioError

ACTIONS = {"drop": "drop", "phase": "phase", "snooze": "snooze"}
DIGEST_DROP_REASON = "Dropped from the weekly digest: it met a drop-candidate rule."


def parse_value(value: str) -> tuple[int, str | None]:
    """``"12"`` or ``"12:production"`` → (12, "production")."""
    head, _, tail = value.partition(":")
    return int(head), (tail or None)


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
            svc = deps.portfolio
            try:
                if not svc.is_admin(user):
                    raise svc.refuse(
                        actor=user,
                        use_case_id=use_case_id,
                        action=ACTIONS[kind],
                        why="Only spine admins can act on the digest. Ask the use case's "
                        "owner or a spine admin.",
                    )
                if kind == "drop":
                    card = svc.drop(actor=user, use_case_id=use_case_id, reason=DIGEST_DROP_REASON)
                    note = f":wastebasket: <@{user}> dropped *{card.ref}* {escape(card.title)}."
                elif kind == "phase":
                    card = svc.set_phase(
                        actor=user, use_case_id=use_case_id, phase=target or "production"
                    )
                    note = f":arrow_up: <@{user}> moved *{card.ref}* to *{card.phase}*."
                else:
                    card = svc.snooze(actor=user, use_case_id=use_case_id, weeks=1)
                    note = f":zzz: <@{user}> snoozed *{card.ref}* for a week."
            except PermissionDenied as exc:
                respond(blocks=error_blocks(exc.message), text=exc.message, replace_original=False)
                return
            except PortfolioError as exc:
                respond(
                    blocks=error_blocks(exc.message, exc.usage),
                    text=exc.message,
                    replace_original=False,
                )
                return
            respond(
                blocks=[section(note)],
                text=note,
                response_type="in_channel",
                replace_original=False,
            )

        deps.run(
            work,
            what=f"digest {kind}",
            on_error=lambda ref: respond(
                blocks=build_apology_blocks(ref), text="Sorry.", replace_original=False
            ),
        )

    return handle_digest_button
