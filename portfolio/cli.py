"""`spinebot usecase <text>`: the /usecase language from a shell, for operators.

Runs the same parser and service as Slack, so scripts and admins get the same rules,
checks and audit trail. Whoever can run this command on the server can already change
the database, so the acting user (``--as``, default ``cli``) has spine-admin rights;
every change it makes is recorded in the audit trail under that name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from portfolio.service import AuditEntry, PortfolioService, UseCaseCard

CLI_ACTOR = "cli"


def register(app: typer.Typer) -> None:
    app.command(
        "usecase",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": False},
    )(usecase_command)


def usecase_command(
    text: Annotated[
        list[str] | None,
        typer.Argument(help="What you would type after /usecase, e.g. `list pilot`."),
    ] = None,
    actor: Annotated[
        str, typer.Option("--as", help="Act as this user id (recorded in the audit trail).")
    ] = CLI_ACTOR,
    yes: Annotated[
        bool, typer.Option("--yes", help="Register even when similar use cases exist.")
    ] = False,
) -> None:
    """Run a /usecase subcommand against the configured database (try `usecase help`)."""
    from bot.cli import fail, prepare
    from portfolio.commands import parse_usecase
    from portfolio.errors import PortfolioError
    from portfolio.service import PortfolioService
    from spinebot.settings import get_settings

    prepare()
    settings = get_settings()
    admins = [*settings.spine_admins, actor]
    svc = PortfolioService(settings.model_copy(update={"spine_admins": admins}))
    try:
        command = parse_usecase(" ".join(text or []))
        for line in run(svc, command, actor, confirm=yes):
            typer.echo(line)
    except PortfolioError as exc:
        raise fail(exc.user_text()) from None


def run(svc: PortfolioService, cmd: object, actor: str, *, confirm: bool = False) -> list[str]:
    """Execute one parsed command; the lines to print."""
    from portfolio import commands as c

    if isinstance(cmd, c.Help):
        return [c.HELP_TEXT]
    if isinstance(cmd, c.RegisterModal):
        return ["The registration form is Slack-only here: " + c.USAGE["register"]]
    if isinstance(cmd, c.Register):
        similar = svc.find_similar(title=cmd.title, description=cmd.description)
        if similar and not confirm:
            return [
                "Similar use cases exist; vote for one of them, or add --yes to register anyway:",
                *(f"  {card.ref}  {card.title}  ({score:.0%} similar)" for card, score in similar),
            ]
        card = svc.register(actor=actor, title=cmd.title, description=cmd.description)
        return [f"Registered {card.ref}."] + card_lines(card)
    if isinstance(cmd, c.ListCmd):
        cards = svc.list(filter=cmd.filter, viewer=actor)
        if not cards:
            return ["No use cases match."]
        return [
            f"{card.ref:>7}  {card.phase:10} {card.status:7} {card.votes:>4} votes  {card.title}"
            for card in cards
        ]
    if isinstance(cmd, c.Show):
        return card_lines(svc.get(cmd.id, viewer=actor))
    if isinstance(cmd, c.VoteCmd):
        new, total = svc.vote(actor=actor, use_case_id=cmd.id, reason=cmd.reason)
        return [f"{'Voted' if new else 'Vote updated'}: UC-{cmd.id} has {total} vote(s)."]
    if isinstance(cmd, c.Unvote):
        removed, total = svc.unvote(actor=actor, use_case_id=cmd.id)
        return [f"{'Vote withdrawn' if removed else 'No vote to withdraw'}; {total} vote(s)."]
    if isinstance(cmd, c.MetricCmd):
        week = svc.report_metrics(actor=actor, use_case_id=cmd.id, values=cmd.values, week=cmd.week)
        return [f"UC-{cmd.id} {week.week}: net value {week.net_value:,.2f}."]
    if isinstance(cmd, c.PhaseCmd):
        card = svc.set_phase(actor=actor, use_case_id=cmd.id, phase=cmd.phase)
        return [f"{card.ref} is now in {card.phase}."]
    if isinstance(cmd, c.Drop):
        card = svc.drop(actor=actor, use_case_id=cmd.id, reason=cmd.reason)
        return [f"{card.ref} dropped: {card.drop_reason}"]
    if isinstance(cmd, c.Restore):
        card = svc.restore(actor=actor, use_case_id=cmd.id)
        return [f"{card.ref} is active again ({card.phase})."]
    if isinstance(cmd, c.Adopt):
        card = svc.adopt(actor=actor, use_case_id=cmd.id, unit=cmd.unit)
        return [f"{card.ref} units: {', '.join(card.units)}."]
    if isinstance(cmd, c.Snooze):
        card = svc.snooze(actor=actor, use_case_id=cmd.id, weeks=cmd.weeks)
        return [f"{card.ref} is snoozed until {card.snoozed_until}."]
    if isinstance(cmd, c.History):
        return history_lines(svc.history(cmd.id)) or [f"UC-{cmd.id} has no recorded changes."]
    return [f"Not supported here: {type(cmd).__name__}"]


def card_lines(card: UseCaseCard) -> list[str]:
    lines = [
        f"{card.ref}  {card.title}",
        f"  phase {card.phase} · {card.status} · owner {card.owner_id} · risk {card.risk_tier}",
        f"  units: {', '.join(card.units) or '-'} · votes: {card.votes}",
    ]
    if card.description:
        lines.append(f"  {card.description}")
    if card.drop_reason:
        lines.append(f"  dropped because: {card.drop_reason}")
    for week in card.weeks:
        lines.append(f"  {week.week}  net value {week.net_value:>12,.2f}")
    if card.trend:
        lines.append(f"  trend: {card.trend} ({card.trend_rule})")
    return lines


def history_lines(entries: list[AuditEntry]) -> list[str]:
    return [
        f"{e.at:%Y-%m-%d %H:%M}  {e.actor_id:12} {e.action:9}"
        f"{'' if e.allowed else ' (refused)'}  {e.detail}".rstrip()
        for e in entries
    ]
