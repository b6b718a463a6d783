"""The console drives the same Bolt app and listeners as Slack, with no network."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from rich.console import Console
from sqlmodel import select

from bot.app import build_app
from bot.console import ConsoleSession
from bot.deps import Deps
from portfolio.models import UseCase, Vote
from spinebot.db import session_scope
from spinebot.settings import get_settings
from tests.bot.conftest import ScriptedKnowledge


class Terminal:
    def __init__(self, answers: list[str]) -> None:
        self.out = io.StringIO()
        self.answers = answers

    def ask(self, prompt: str) -> str:
        return self.answers.pop(0)

    def text(self) -> str:
        return self.out.getvalue()


def _session(knowledge: ScriptedKnowledge) -> tuple[ConsoleSession, Terminal]:
    terminal = Terminal([])

    def factory(client):  # type: ignore[no-untyped-def]
        deps = Deps.create(get_settings(), inline=True)
        deps.knowledge_factory = lambda: knowledge
        return build_app(get_settings(), deps=deps, client=client, console=True)

    console = Console(file=terminal.out, width=160, color_system=None)
    return ConsoleSession(factory, console=console, ask=terminal.ask), terminal


@pytest.fixture
def knowledge() -> ScriptedKnowledge:
    return ScriptedKnowledge()


@pytest.fixture
def session(sqlite_db, knowledge) -> Iterator[tuple[ConsoleSession, Terminal]]:  # type: ignore[no-untyped-def]
    yield _session(knowledge)


def test_a_second_run_on_the_same_database_answers_its_first_questions(  # type: ignore[no-untyped-def]
    sqlite_db, knowledge
) -> None:
    for _run in range(2):
        console, terminal = _session(knowledge)
        console.handle_line("What must a pilot show?")
        assert "four weeks of positive value" in terminal.text()
    assert len(knowledge.questions) == 2


def test_in_a_channel_a_mention_starts_a_thread_and_the_next_lines_follow_up(  # type: ignore[no-untyped-def]
    session, knowledge
) -> None:
    console, terminal = session
    console.handle_line("/channel")
    console.handle_line("no mention, no answer")
    assert knowledge.questions == []
    console.handle_line("@spinebot What must a pilot show?")
    console.handle_line("And who signs it off?")
    assert [q for q, _ in knowledge.questions] == [
        "What must a pilot show?",
        "And who signs it off?",
    ]
    assert knowledge.questions[1][1] == ("What must a pilot show?",)  # the thread so far
    assert terminal.text().count("four weeks of positive value") == 2
    console.handle_line("/dm")
    console.handle_line("Is a DM answered again?")
    assert len(knowledge.questions) == 3


def test_ask_answers_in_the_terminal(session) -> None:  # type: ignore[no-untyped-def]
    console, terminal = session
    console.handle_line("/ask What must a pilot show?")
    out = terminal.text()
    assert "Looking that up" in out and "asked:" in out and "four weeks" in out


def test_a_question_shows_progress_then_the_cited_answer(session) -> None:  # type: ignore[no-untyped-def]
    console, terminal = session
    assert console.handle_line("What must a pilot show?")
    out = terminal.text()
    assert "Looking that up" in out
    assert out.index("Looking that up") < out.index("four weeks of positive value")
    assert "[1] Phase gates" in out and "Helpful" in out


def test_usecase_commands_and_a_button_pressed_by_number(session) -> None:  # type: ignore[no-untyped-def]
    console, terminal = session
    console.handle_line("/usecase register Claims triage | Route claims mail")
    console.handle_line("/usecase show 1")
    assert "UC-1 · Claims triage" in terminal.text()
    vote_number = len(console.screen.buttons)  # the card's Vote button is the last one shown
    console.handle_line(str(vote_number))
    with session_scope() as db:
        assert [v.user_id for v in db.exec(select(Vote)).all()] == ["UCONSOLE1"]


def test_bad_input_gets_the_same_friendly_error_as_in_slack(session) -> None:  # type: ignore[no-untyped-def]
    console, terminal = session
    console.handle_line("/usecase metric 1 hours_saved=lots")
    assert "Usage" in terminal.text()


def test_the_registration_modal_is_filled_in_at_the_prompt(session) -> None:  # type: ignore[no-untyped-def]
    console, terminal = session
    terminal.answers += ["Invoice matching", "Match invoices to orders", "Finance", "", "2"]
    console.handle_line("/usecase register")
    assert "submitted" in terminal.text()
    with session_scope() as db:
        uc = db.exec(select(UseCase)).one()
        assert (uc.title, uc.risk_tier) == ("Invoice matching", "limited")


def test_quit_ends_the_session(session) -> None:  # type: ignore[no-untyped-def]
    console, _ = session
    assert console.handle_line("/quit") is False


@pytest.mark.xdist_group("embedding-heavy")
def test_spinebot_with_nothing_configured_indexes_the_corpus_and_answers_offline(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """What `make run` starts on a fresh machine: the console, with a real index."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("spinebot")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env["SPINEBOT_DATA_DIR"] = str(tmp_path / "data")
    env["HF_HUB_OFFLINE"] = "1"
    done = subprocess.run(
        [str(exe)],
        input="What must a pilot show to move to production?\n/usecase list\n/quit\n",
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "chunks indexed" in done.stderr
    assert "Not connected to Slack" in done.stdout
    assert "Sources" in done.stdout and "Phase gates" in done.stdout
    assert "No use cases match" in done.stdout


def test_the_edit_form_keeps_what_is_not_retyped(session) -> None:  # type: ignore[no-untyped-def]
    console, terminal = session
    console.handle_line("/usecase register Claims triage | Route claims mail")
    console.handle_line("/usecase edit 1 risk=high units=Legal")
    terminal.answers += ["Claims e-mail triage", "", "", "", "", ""]  # keep the rest
    console.handle_line("/usecase edit 1")
    assert "submitted" in terminal.text()
    with session_scope() as db:
        uc = db.exec(select(UseCase)).one()
        assert (uc.title, uc.risk_tier) == ("Claims e-mail triage", "high")
        assert uc.owner_id == "UCONSOLE1"
