"""`/usecase` on Slack: run a parsed command through the portfolio executor and render
its outcome as Block Kit.

Every Slack surface that changes or shows a use case (the slash command, card buttons,
the registration modal's confirmation, the digest's admin buttons, the console, which
drives the same Bolt app) comes through :func:`run_usecase_command`, so each outcome is
worded once. Failures become an ephemeral message with the usage that would work.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field

from bot.blocks.text import error_blocks, escape, money, number, plain, section
from bot.blocks.usecase import (
    build_card_blocks,
    build_duplicate_blocks,
    build_help_blocks,
    build_history_blocks,
    build_list_blocks,
    build_registered_blocks,
    build_search_blocks,
    build_units_blocks,
    build_votes_blocks,
)
from bot.deps import Deps
from portfolio import commands as c
from portfolio import executor as x
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
LIST_LIMIT = x.LIST_LIMIT
LIST_HINT = "Narrow it down: `/usecase list pilot|production|platform|mine|<unit>`."


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


def run_usecase_command(deps: Deps, command: object, actor: str | x.Actor) -> Reply:
    """Execute one parsed `/usecase` command and render what came of it. The database gets
    DB_INTERACTIVE_TIMEOUT: someone is waiting, so a frozen one is "busy", not a hang."""
    from sqlalchemy.exc import OperationalError

    from spinebot.db import db_budget

    who = actor if isinstance(actor, x.Actor) else x.Actor(actor)
    try:
        with db_budget(deps.settings.db_interactive_timeout):
            return render(x.execute(deps.portfolio, command, who), who.id)
    except PortfolioError as exc:
        return error_reply(exc)
    except OperationalError:
        log.warning("/usecase: the database did not answer in time")
        return Reply(error_blocks(BUSY), text=BUSY)


def render(outcome: x.Outcome, user: str) -> Reply:
    """The Slack reply for an outcome: the one wording of each announcement."""
    reply = _render(outcome, user)
    reply.in_channel = outcome.announce
    return reply


def _render(o: x.Outcome, user: str) -> Reply:  # noqa: C901 - one branch per outcome
    if isinstance(o, x.Failed):
        return error_reply(o.error)
    if isinstance(o, x.HelpShown):
        return Reply(_help_blocks(), text="How to use /usecase")
    if isinstance(o, x.FormNeeded):
        return Reply([section("Run `/usecase register` without text to open the form.")])
    if isinstance(o, x.SimilarFound):
        return Reply(build_duplicate_blocks(o.pending.title, o.pending.description, o.similar))
    if isinstance(o, x.Registered):
        return Reply(build_registered_blocks(o.card, user))
    if isinstance(o, x.Listed):
        if o.filter and o.filter.startswith("@"):
            title = f"Use cases owned by {o.filter}"
        else:
            title = LIST_TITLES.get(o.filter, f"Use cases in {o.filter}")
        return Reply(build_list_blocks(o.cards, title=title, more_hint=LIST_HINT))
    if isinstance(o, x.Shown):
        return Reply(build_card_blocks(o.card))
    if isinstance(o, x.Voted):
        verb = "Your vote is in" if o.new else "Your vote was already in; reason updated"
        note = f":ballot_box_with_check: {verb} ({o.card.votes})."
        return Reply(build_card_blocks(o.card, note=note))
    if isinstance(o, x.Unvoted):
        verb = "Vote withdrawn" if o.removed else "You had not voted for it"
        return Reply(build_card_blocks(o.card, note=f"{verb} ({o.card.votes} vote(s))."))
    if isinstance(o, x.MetricsRecorded):
        names = ", ".join(f"{k}={number(v)}" for k, v in o.values.items())
        return Reply(
            [
                section(
                    f":bar_chart: Recorded for *UC-{o.use_case_id}*, week {o.week.week}: "
                    f"{escape(names)}. Net value that week: *{money(o.week.net_value)}*."
                )
            ]
        )
    if isinstance(o, x.PhaseChanged):
        arrow = ":arrow_up:" if o.upward else ":arrow_down:"
        text = (
            f"{arrow} <@{escape(user)}> moved *{o.card.ref}* {escape(o.card.title)} "
            f"from {o.previous} to *{o.card.phase}*."
        )
        if o.override:
            text += f" The gate was overridden: {escape(o.override)}"
        return Reply([section(text)])
    if isinstance(o, x.Reviewed):
        note = f":memo: Review of *{o.card.ref}* recorded: *{o.decision}*"
        note += f" — {escape(o.note)}" if o.note else "."
        return Reply(build_card_blocks(o.card, note=note))
    if isinstance(o, x.Dropped):
        return Reply(
            [
                section(
                    f":wastebasket: <@{escape(user)}> dropped *{o.card.ref}* "
                    f"{escape(o.card.title)}: {escape(o.reason)}"
                )
            ]
        )
    if isinstance(o, x.Restored):
        return Reply(build_card_blocks(o.card, note=f":recycle: *{o.card.ref}* is active again."))
    if isinstance(o, x.Adopted):
        note = f":handshake: *{escape(o.unit)}* now runs *{o.card.ref}*."
        return Reply(build_card_blocks(o.card, note=note))
    if isinstance(o, x.Snoozed):
        note = f":zzz: *{o.card.ref}* is kept out of drop candidates for {o.weeks} week(s)."
        return Reply(build_card_blocks(o.card, note=note))
    if isinstance(o, x.EditForm):
        return Reply([section(f"Run `/usecase edit {o.card.id}` to open the form.")])
    if isinstance(o, x.Edited):
        note = f":pencil2: Saved *{o.card.ref}*: {escape(', '.join(o.changed))} changed."
        return Reply(build_card_blocks(o.card, note=note))
    if isinstance(o, x.Found):
        return Reply(build_search_blocks(o.words, o.results))
    if isinstance(o, x.UnitsShown):
        return Reply(build_units_blocks(o.week, o.units, o.spans))
    if isinstance(o, x.VotesShown):
        return Reply(build_votes_blocks(o.card, o.votes))
    if isinstance(o, x.HistoryShown):
        return Reply(build_history_blocks(f"UC-{o.use_case_id}", o.entries))
    log.warning("no Slack rendering for %s", type(o).__name__)
    return error_reply(PortfolioError("That subcommand is not available here."))


@functools.cache
def _help_blocks() -> list[dict]:
    """Built once: the help never changes while the process runs (callers don't mutate)."""
    return build_help_blocks(c.HELP_TEXT)
