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


def _prepare() -> None:
    """Common start-up; a data dir that cannot be created is one line, not a traceback."""
    from spinebot.cli_support import fail, prepare
    from spinebot.settings import get_settings

    try:
        prepare()
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

    _prepare()
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


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
    app.command("ask")(ask_command)
