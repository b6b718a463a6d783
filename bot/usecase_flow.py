"""`/usecase` subcommands: from a parsed command to the reply the user sees.

Slack-free apart from the Block Kit dicts, so the listener stays thin and this is tested
directly. Portfolio errors (bad input, unknown id, refused change) become an ephemeral
message saying what was wrong with the usage that would work.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

from bot.blocks.text import error_blocks, escape, money, plain, section
from bot.blocks.usecase import (
    build_card_blocks,
    build_duplicate_blocks,
    build_help_blocks,
    build_history_blocks,
    build_list_blocks,
    build_registered_blocks,
)
from bot.deps import Deps
from portfolio import commands as c
from portfolio.errors import PortfolioError

log = logging.getLogger(__name__)

LIST_TITLES = {
    None: "Active use cases",
    "pilot": "Use cases in pilot",
    "production": "Use cases in production",
    "platform": "Use cases on the platform",
    "dropped": "Dropped use cases",
    "mine": "Your use cases",
    "active": "Active use cases",
    "all": "All use cases",
}


@dataclass
class Reply:
    blocks: list[dict]
    text: str = ""
    in_channel: bool = False  # announce to the channel (registrations, phase changes)
    replace_original: bool = False
    extra: list[Reply] = field(default_factory=list)  # a second message, e.g. an ephemeral card

    def __post_init__(self) -> None:
        if not self.text:
            self.text = plain(self.blocks)


def error_reply(exc: PortfolioError) -> Reply:
    return Reply(error_blocks(exc.message, exc.usage), text=exc.message)


BUSY = (
    "The database is busy right now and did not answer in time, so this may not have "
    "been saved. Please try again in a minute (a repeated vote is not counted twice)."
)


def run_usecase_command(deps: Deps, command: object, user_id: str) -> Reply:
    """Execute one parsed `/usecase` command for ``user_id``. The database gets
    DB_INTERACTIVE_TIMEOUT: someone is waiting, so a frozen one is "busy", not a hang."""
    from sqlalchemy.exc import OperationalError

    from spinebot.db import db_budget

    try:
        with db_budget(deps.settings.db_interactive_timeout):
            return _run(deps, command, user_id)
    except PortfolioError as exc:
        return error_reply(exc)
    except OperationalError:
        log.warning("/usecase: the database did not answer in time")
        return Reply(error_blocks(BUSY), text=BUSY)


def _run(deps: Deps, cmd: object, user: str) -> Reply:
    svc = deps.portfolio
    if isinstance(cmd, c.Help):
        return Reply(_help_blocks(), text="How to use /usecase")
    if isinstance(cmd, c.Register):
        similar = svc.find_similar(title=cmd.title, description=cmd.description)
        if similar:
            return Reply(build_duplicate_blocks(cmd.title, cmd.description, similar))
        return register(deps, user, cmd.title, cmd.description)
    if isinstance(cmd, c.ListCmd):
        cards = svc.list(filter=cmd.filter, viewer=user, limit=LIST_LIMIT + 1)
        title = LIST_TITLES.get(cmd.filter, f"Use cases in {cmd.filter}")
        return Reply(build_list_blocks(cards, title=title, more_hint=_list_hint(cmd.filter)))
    if isinstance(cmd, c.Show):
        return Reply(build_card_blocks(svc.get(cmd.id, viewer=user)))
    if isinstance(cmd, c.VoteCmd):
        new, total = svc.vote(actor=user, use_case_id=cmd.id, reason=cmd.reason)
        verb = "Your vote is in" if new else "Your vote was already in; reason updated"
        card = svc.get(cmd.id, viewer=user)
        return Reply(build_card_blocks(card, note=f":ballot_box_with_check: {verb} ({total})."))
    if isinstance(cmd, c.Unvote):
        removed, total = svc.unvote(actor=user, use_case_id=cmd.id)
        note = "Vote withdrawn" if removed else "You had not voted for it"
        card = svc.get(cmd.id, viewer=user)
        return Reply(build_card_blocks(card, note=f"{note} ({total} vote(s))."))
    if isinstance(cmd, c.MetricCmd):
        week = svc.report_metrics(actor=user, use_case_id=cmd.id, values=cmd.values, week=cmd.week)
        names = ", ".join(f"{k}={v:g}" for k, v in cmd.values.items())
        return Reply(
            [
                section(
                    f":bar_chart: Recorded for *UC-{cmd.id}*, week {week.week}: {escape(names)}. "
                    f"Net value that week: *{money(week.net_value)}*."
                )
            ]
        )
    if isinstance(cmd, c.PhaseCmd):
        card = svc.set_phase(actor=user, use_case_id=cmd.id, phase=cmd.phase)
        return Reply(
            [
                section(
                    f":arrow_up: <@{user}> moved *{card.ref}* {escape(card.title)} to "
                    f"*{card.phase}*."
                )
            ],
            in_channel=True,
        )
    if isinstance(cmd, c.Drop):
        card = svc.drop(actor=user, use_case_id=cmd.id, reason=cmd.reason)
        return Reply(
            [
                section(
                    f":wastebasket: <@{user}> dropped *{card.ref}* {escape(card.title)}: "
                    f"{escape(cmd.reason)}"
                )
            ],
            in_channel=True,
        )
    if isinstance(cmd, c.Restore):
        card = svc.restore(actor=user, use_case_id=cmd.id)
        return Reply(build_card_blocks(card, note=f":recycle: *{card.ref}* is active again."))
    if isinstance(cmd, c.Adopt):
        card = svc.adopt(actor=user, use_case_id=cmd.id, unit=cmd.unit)
        return Reply(
            build_card_blocks(card, note=f":handshake: *{escape(cmd.unit)}* now runs *{card.ref}*.")
        )
    if isinstance(cmd, c.Snooze):
        card = svc.snooze(actor=user, use_case_id=cmd.id, weeks=cmd.weeks)
        return Reply(
            build_card_blocks(
                card,
                note=f":zzz: *{card.ref}* is kept out of drop candidates for {cmd.weeks} week(s).",
            )
        )
    if isinstance(cmd, c.History):
        return Reply(build_history_blocks(f"UC-{cmd.id}", svc.history(cmd.id)))
    raise PortfolioError("That subcommand is not available here.", usage="/usecase help")


LIST_LIMIT = 20


@functools.cache
def _help_blocks() -> list[dict]:
    """Built once: the help never changes while the process runs (callers don't mutate)."""
    return build_help_blocks(c.HELP_TEXT)


def _list_hint(filter_: str | None) -> str:
    return "Narrow it down: `/usecase list pilot|production|platform|mine|<unit>`."


def register(deps: Deps, user: str, title: str, description: str, **fields: object) -> Reply:
    card = deps.portfolio.register(actor=user, title=title, description=description, **fields)  # type: ignore[arg-type]
    return Reply(build_registered_blocks(card, user), in_channel=True)
