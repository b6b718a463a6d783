"""`spinebot usecase <text>`: the /usecase language from a shell, for operators.

Runs the same parser and executor as Slack, so scripts and admins get the same rules,
checks and audit trail. Whoever can run this command on the server can already change
the database, so the acting user (``--as``, default ``cli``) has spine-admin rights;
every change it makes is recorded in the audit trail under that name.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from portfolio.executor import Outcome
    from portfolio.service import AuditEntry, PortfolioService, UseCaseCard

CLI_ACTOR = "cli"


def register(app: typer.Typer) -> None:
    app.command(
        "usecase",
        context_settings={"ignore_unknown_options": True, "allow_extra_args": False},
    )(usecase_command)
    portfolio_app = typer.Typer(help="Move a portfolio in and out: import, export.")
    portfolio_app.command("import")(import_command)
    portfolio_app.command("export")(export_command)
    app.add_typer(portfolio_app, name="portfolio")


def _service(actor: str) -> PortfolioService:
    from portfolio.service import PortfolioService
    from spinebot.cli_support import prepare
    from spinebot.settings import get_settings

    prepare()
    settings = get_settings()
    admins = [*settings.spine_admins, actor]
    return PortfolioService(settings.model_copy(update={"spine_admins": admins}))


def import_command(
    file: Annotated[Path, typer.Argument(help="A CSV or XLSX file in the long format.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would change; store nothing.")
    ] = False,
    actor: Annotated[
        str, typer.Option("--as", help="Record the import under this user id.")
    ] = CLI_ACTOR,
) -> None:
    """Import use cases and weekly figures (one row per use case and week; see README)."""
    from portfolio.errors import PortfolioError
    from portfolio.transfer import import_file
    from spinebot.cli_support import fail

    if not file.is_file():
        raise fail(f"{file}: no such file.")
    svc = _service(actor)
    try:
        plan = import_file(svc, file.read_bytes(), file.name, actor=actor, dry_run=dry_run)
    except PortfolioError as exc:
        raise fail(exc.message) from None
    typer.echo(("Dry run, nothing stored. " if dry_run else "") + plan.summary())
    for line in plan.lines():
        typer.echo(line)


def export_command(
    fmt: Annotated[str, typer.Option("--format", help="csv, xlsx or json.")] = "csv",
    output: Annotated[
        Path | None, typer.Option("--output", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """Export use cases, weekly figures, votes with reasons and the audit trail."""
    import sys

    from portfolio.errors import PortfolioError
    from portfolio.transfer import export_bytes, write_export
    from spinebot.cli_support import fail

    svc = _service(CLI_ACTOR)
    try:
        if output is not None:
            for path in write_export(svc, fmt.lower(), output):
                typer.echo(f"Wrote {path}", err=True)
            return
        files = export_bytes(svc, fmt.lower())
    except PortfolioError as exc:
        raise fail(exc.message) from None
    if fmt.lower() == "xlsx":
        raise fail("XLSX is a binary format: give --output FILE.")
    sys.stdout.buffer.write(next(iter(files.values())))
    sys.stdout.flush()


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
    from portfolio.commands import parse_usecase
    from portfolio.errors import PortfolioError
    from portfolio.service import PortfolioService
    from spinebot.cli_support import fail, prepare
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
    """Execute one parsed command through the executor; the lines to print.

    Raises the PortfolioError of a failed command, so the caller exits non-zero.
    """
    from dataclasses import replace

    from portfolio import commands as c
    from portfolio import executor as x

    if confirm and isinstance(cmd, c.Register):
        cmd = replace(cmd, confirmed=True)
    outcome = x.execute(svc, cmd, actor)
    if isinstance(outcome, x.Failed):
        raise outcome.error
    return lines(outcome)


def lines(o: Outcome) -> list[str]:  # noqa: C901 - one branch per outcome
    """The plain-text rendering of an outcome (the CLI's counterpart of the blocks)."""
    from portfolio import commands as c
    from portfolio import executor as x
    from spinebot.format import money, number

    if isinstance(o, x.HelpShown):
        return [c.HELP_TEXT]
    if isinstance(o, x.FormNeeded):
        return ["The registration form is Slack-only here: " + c.USAGE["register"]]
    if isinstance(o, x.SimilarFound):
        return [
            "Similar use cases exist; vote for one of them, or add --yes to register anyway:",
            *(f"  {card.ref}  {card.title}  ({score:.0%} similar)" for card, score in o.similar),
        ]
    if isinstance(o, x.Registered):
        return [f"Registered {o.card.ref}."] + card_lines(o.card)
    if isinstance(o, x.Listed):
        if not o.cards:
            return ["No use cases match."]
        return [
            f"{card.ref:>7}  {card.phase:10} {card.status:7} {card.votes:>4} votes  {card.title}"
            for card in o.cards
        ]
    if isinstance(o, x.Shown):
        return card_lines(o.card)
    if isinstance(o, x.Voted):
        return [f"{'Voted' if o.new else 'Vote updated'}: {o.card.ref} has {o.card.votes} vote(s)."]
    if isinstance(o, x.Unvoted):
        verb = "Vote withdrawn" if o.removed else "No vote to withdraw"
        return [f"{verb}; {o.card.votes} vote(s)."]
    if isinstance(o, x.MetricsRecorded):
        names = ", ".join(f"{k}={number(v)}" for k, v in o.values.items())
        return [f"UC-{o.use_case_id} {o.week.week}: {names}; net value {money(o.week.net_value)}."]
    if isinstance(o, x.PhaseChanged):
        arrow = "⬆" if o.upward else "⬇"
        line = f"{arrow} {o.card.ref} is now in {o.card.phase} (was {o.previous})."
        return [line + (f" Gate overridden: {o.override}" if o.override else "")]
    if isinstance(o, x.Reviewed):
        return [
            f"Review of {o.card.ref} recorded: {o.decision}" + (f" — {o.note}" if o.note else ".")
        ]
    if isinstance(o, x.Dropped):
        return [f"{o.card.ref} dropped: {o.reason}"]
    if isinstance(o, x.Restored):
        return [f"{o.card.ref} is active again ({o.card.phase})."]
    if isinstance(o, x.Adopted):
        return [f"{o.card.ref} units: {', '.join(o.card.units)}."]
    if isinstance(o, x.Snoozed):
        return [f"{o.card.ref} is snoozed until {o.card.snoozed_until}."]
    if isinstance(o, x.EditForm):
        return ["The edit form is Slack-only here: " + c.USAGE["edit"]]
    if isinstance(o, x.Edited):
        return [f"Edited {o.card.ref}: {', '.join(o.changed)}."] + card_lines(o.card)
    if isinstance(o, x.Found):
        if not o.results:
            return [f"Nothing matches '{o.words}'."]
        return [f"{c_.ref:>7}  {round(score * 100):>3}%  {c_.title}" for c_, score in o.results]
    if isinstance(o, x.UnitsShown):
        from portfolio.read_model import unit_table

        return unit_table(o.units, o.spans)
    if isinstance(o, x.VotesShown):
        return [f"{o.card.ref}: {len(o.votes)} vote(s)"] + [
            f"  {v.user_id:12} {v.at:%Y-%m-%d}  {v.reason}".rstrip() for v in o.votes
        ]
    if isinstance(o, x.HistoryShown):
        return history_lines(o.entries) or [f"UC-{o.use_case_id} has no recorded changes."]
    return [f"Not supported here: {type(o).__name__}"]


def card_lines(card: UseCaseCard) -> list[str]:
    from spinebot.format import money

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
        lines.append(f"  {week.week}  net value {money(week.net_value):>12}")
    if card.trend:
        lines.append(f"  trend: {card.trend} ({card.trend_rule})")
    return lines


def history_lines(entries: list[AuditEntry]) -> list[str]:
    return [
        f"{e.at:%Y-%m-%d %H:%M}  {e.actor_id:12} {e.action:9}"
        f"{'' if e.allowed else ' (refused)'}  {e.detail}".rstrip()
        for e in entries
    ]
