"""`spinebot ingest` and `spinebot ask`: the knowledge base from the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer


def ingest_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Files or folders (default: the bundled corpus + KNOWLEDGE_DIRS)."),
    ] = None,
) -> None:
    """Index documents (Markdown, text, PDF, HTML, .docx); unchanged ones are skipped."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from bot.cli import fail, prepare
    from knowledge.service import get_knowledge

    prepare()
    console = Console(stderr=True)
    service = get_knowledge()
    try:
        with Progress(
            TextColumn("{task.description:<40}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as progress:
            task = progress.add_task("scanning", total=None)

            def on_progress(done: int, total: int, name: str) -> None:
                progress.update(task, completed=done, total=total, description=name[-40:])

            report = service.ingest(paths or None, progress=on_progress)
    except Exception as exc:
        raise fail(f"Indexing failed: {type(exc).__name__}: {exc}") from None
    for path, reason in report.failed:
        typer.secho(f"skipped {path}: {reason}", fg=typer.colors.YELLOW, err=True)
    typer.echo(report.summary())


def ask_command(
    question: Annotated[
        list[str] | None, typer.Argument(help="The question (default: one per line on stdin).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per question, one per line.")
    ] = False,
) -> None:
    """Ask the knowledge base; answers cite their sources as [1], [2]…"""
    from bot.cli import fail, prepare
    from knowledge.service import get_knowledge

    prepare(model=True)
    service = get_knowledge()
    if question:
        questions = [" ".join(question)]
    else:
        if sys.stdin.isatty():
            raise fail("Give a question, or pipe questions in, one per line.")
        questions = [line.strip() for line in sys.stdin if line.strip()]
    if service.chunk_count() == 0:
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
