"""`spinebot ingest` and `spinebot ask` through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from knowledge.service import reset_knowledge

runner = CliRunner()


def invoke(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    reset_knowledge()
    return runner.invoke(app, list(args), input=stdin)


def test_ingest_prints_a_summary_names_unreadable_files_and_exits_2(corpus: Path) -> None:
    (corpus / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    result = invoke("ingest", str(corpus))
    assert result.exit_code == 2, result.output
    assert "4 added, 0 updated, 0 removed, 0 unchanged" in result.output
    assert "broken.pdf" in result.output and "unreadable PDF" in result.output
    again = invoke("ingest", str(corpus))
    assert "0 added, 0 updated, 0 removed, 4 unchanged" in again.output


def test_ask_json_prints_one_object_per_question_with_sources(corpus: Path) -> None:
    invoke("ingest", str(corpus))
    result = invoke("ask", "--json", "When does a pilot move to production?")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("{")]
    assert len(lines) == 1
    payload = json.loads(lines[0])
    keys = {"question", "answer", "abstained", "sources", "related", "latency_ms", "usage"}
    assert set(payload) == keys
    assert payload["abstained"] is False and "[1]" in payload["answer"]
    assert {"title", "source", "section", "text", "score"} <= set(payload["sources"][0])
    assert payload["sources"][0]["section"] == "Pilot to production"


def test_ask_reads_one_question_per_stdin_line(corpus: Path) -> None:
    invoke("ingest", str(corpus))
    result = invoke("ask", "--json", stdin="When does a pilot move on?\n\nHow do I make lasagne?\n")
    answers = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [a["abstained"] for a in answers] == [False, True]
    assert answers[1]["sources"] == []


def test_ask_without_json_prints_the_answer_and_numbered_sources(corpus: Path) -> None:
    invoke("ingest", str(corpus))
    result = invoke("ask", "When", "does", "a", "pilot", "move", "to", "production?")
    assert result.exit_code == 0
    assert "[1] Phase gates for use cases — Pilot to production" in result.output
    assert "https://wiki.example.com/phase-gates" in result.output


def test_ask_on_an_empty_index_says_to_ingest_first() -> None:
    result = invoke("ask", "anything")
    assert result.exit_code == 2
    assert "spinebot ingest" in result.output
