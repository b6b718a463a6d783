"""`spinebot ingest` and `spinebot ask`: the knowledge base from the terminal."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer


def ingest_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders (default: the bundled corpus + KNOWLEDGE_DIRS)."),
    ] = None,
) -> None:
    """Index documents (Markdown, text, PDF, HTML, .docx); unchanged ones are skipped.

    Exits 2 when any document could not be read or was over an ingest limit (after
    printing the summary), and with one line naming the setting when Chroma is unreachable.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from knowledge.index import IndexUnavailable
    from knowledge.service import get_knowledge
    from spinebot.cli_support import fail

    _prepare()
    console = Console(stderr=True)
    service = get_knowledge()
    try:
        with (
            Progress(
                TextColumn("{task.description:<40}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=console,
                transient=True,
            ) as progress,
            _logs_above(progress),
        ):
            task = progress.add_task("scanning", total=None)

            def on_progress(done: int, total: int, name: str) -> None:
                progress.update(task, completed=done, total=total, description=name[-40:])

            report = service.ingest(paths or None, progress=on_progress)
    except IndexUnavailable as exc:
        raise fail(str(exc)) from None
    except Exception as exc:
        raise fail(f"Indexing failed: {type(exc).__name__}: {exc}") from None
    for path, reason in report.failed:
        typer.secho(f"could not read {path}: {reason}", fg=typer.colors.YELLOW, err=True)
    for path, reason in report.too_large:
        typer.secho(f"skipped {path}: {reason}", fg=typer.colors.YELLOW, err=True)
    typer.echo(report.summary())
    if not report.ok:
        raise typer.Exit(2)


def _prepare(*, model: bool = False) -> None:
    """Common start-up; a data dir that cannot be created is one line, not a traceback."""
    from spinebot.cli_support import fail, prepare
    from spinebot.settings import get_settings

    try:
        prepare(model=model)
    except OSError as exc:
        where = get_settings().data_dir
        reason = exc.strerror or type(exc).__name__
        raise fail(f"Cannot create the data dir {where} (SPINEBOT_DATA_DIR): {reason}") from None


@contextlib.contextmanager
def _logs_above(progress: Any) -> Iterator[None]:
    """While the bar is shown, log records print through its console (above the bar)
    instead of through the plain stderr handlers (which would write inside it)."""
    from rich.logging import RichHandler

    root = logging.getLogger()
    saved = root.handlers[:]
    level = min((h.level for h in saved), default=logging.NOTSET)
    handler = RichHandler(
        console=progress.console, show_path=False, show_time=False, markup=False, level=level
    )
    root.handlers = [handler]
    try:
        yield
    finally:
        root.handlers = saved


def ask_command(
    question: Annotated[
        list[str] | None, typer.Argument(help="The question (default: one per line on stdin).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per question, one per line.")
    ] = False,
) -> None:
    """Ask the knowledge base; answers cite their sources as [1], [2]…"""
    from knowledge.service import get_knowledge
    from spinebot.cli_support import fail

    _prepare(model=True)
    service = get_knowledge()
    if question:
        questions = [" ".join(question)]
    else:
        if sys.stdin.isatty():
            raise fail("Give a question, or pipe questions in, one per line.")
        questions = [line.strip() for line in sys.stdin if line.strip()]
    from knowledge.index import IndexUnavailable

    try:
        empty = service.chunk_count() == 0
    except IndexUnavailable as exc:
        raise fail(str(exc)) from None
    if empty:
        raise fail("The knowledge base is empty: run `spinebot ingest` first.")
    for text in questions:
        answer = service.ask(text)
        if as_json:
            typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
            continue
        typer.echo(answer.text)
        for n, source in enumerate(answer.sources, start=1):
            where = " — ".join(p for p in (source.title, source.section) if p)
            page = f", p. {source.page}" if source.page else ""
            typer.echo(f"  [{n}] {where} ({source.url or source.source}{page})")
        if len(questions) > 1:
            typer.echo("")


def format_cost(cost: float) -> str:
    """Dollars to the cent, or to a hundredth of a cent below one cent."""
    if 0 < cost < 0.01:
        return f"${cost:.4f}"
    return f"${cost:,.2f}"


def usage_command(
    week: Annotated[str | None, typer.Option("--week", help="One ISO week, e.g. 2026-W48.")] = None,
    weeks: Annotated[
        int, typer.Option("--weeks", min=1, max=104, help="How many recent weeks.")
    ] = 4,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per week.")] = False,
) -> None:
    """What answering cost: answers, abstentions, askers, tokens and cost per ISO week
    (weeks in TIMEZONE; prices from LLM_PRICE_* / LLM_PRICES when each answer was written)."""
    from datetime import datetime, timedelta

    from knowledge.qa_log import week_bounds, weekly_usage
    from spinebot.cli_support import fail, prepare
    from spinebot.settings import get_settings

    prepare()
    settings = get_settings()
    if week:
        try:
            week_bounds(week, settings.tz)
        except ValueError as exc:
            raise fail(str(exc)) from None
        year, number = week.upper().replace("-", "").split("W")
        names = [f"{int(year)}-W{int(number):02d}"]
    else:
        today = datetime.now(settings.tz).date()
        names = []
        for back in range(weeks - 1, -1, -1):
            year_, number_, _ = (today - timedelta(weeks=back)).isocalendar()
            names.append(f"{year_}-W{number_:02d}")
    rows = [weekly_usage(week=name, tz=settings.tz) for name in names]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row.to_dict()))
        return
    header = (
        f"{'week':<9} {'answers':>7} {'abstained':>9} {'askers':>6} "
        f"{'input tok':>10} {'output tok':>10} {'cost':>10}"
    )
    typer.echo(header)
    for row in rows:
        typer.echo(
            f"{row.week:<9} {row.answers:>7} {row.abstentions:>9} {row.askers:>6} "
            f"{row.input_tokens:>10,} {row.output_tokens:>10,} {format_cost(row.cost):>10}"
        )
    if len(rows) > 1:
        typer.echo(
            f"{'total':<9} {sum(r.answers for r in rows):>7} "
            f"{sum(r.abstentions for r in rows):>9} {'':>6} "
            f"{sum(r.input_tokens for r in rows):>10,} {sum(r.output_tokens for r in rows):>10,} "
            f"{format_cost(sum(r.cost for r in rows)):>10}"
        )


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
    app.command("ask")(ask_command)
    app.command("usage")(usage_command)
