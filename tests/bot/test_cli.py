import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app

runner = CliRunner()


def _subcommands() -> list[str]:
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)  # type: ignore[attr-defined]


def test_help_lists_every_subcommand() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for name in _subcommands():
        assert name in result.output


@pytest.mark.parametrize("name", _subcommands())
def test_every_subcommand_has_help(name: str) -> None:
    result = runner.invoke(app, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_db_upgrade_then_status_reports_up_to_date(isolated_env: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "Database is at" in result.output
    assert (isolated_env / "spinebot.db").exists()
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 0 and "Up to date." in status.output


def test_db_status_exits_1_with_pending_migrations(isolated_env: Path) -> None:
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 1
    assert "Pending migrations" in status.output


def _spinebot(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    full_env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )


def test_wrong_database_url_gives_one_clear_line_and_exit_2() -> None:
    result = _spinebot("db", "upgrade", env={"DATABASE_URL": "nonsense"})
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("Invalid setting DATABASE_URL")
    assert "Traceback" not in result.stderr


def test_unreachable_database_gives_one_clear_line() -> None:
    url = "postgresql://nobody:pw@127.0.0.1:1/none?connect_timeout=2"
    result = _spinebot("db", "upgrade", env={"DATABASE_URL": url})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "is not usable" in result.stderr and "pw" not in result.stderr


def test_bad_setting_value_names_the_setting() -> None:
    result = _spinebot("config", env={"TIMEZONE": "Nowhere/Else"})
    assert result.returncode == 2
    assert result.stderr.strip().startswith("Invalid setting TIMEZONE")


def test_python_dash_m_bot_prints_the_version() -> None:
    result = _spinebot("--version")
    assert result.returncode == 0 and result.stdout.startswith("spinebot ")


def test_config_masks_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret-token")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    assert "xoxb-very-secret-token" not in result.output
    assert "SLACK_BOT_TOKEN" in result.output


def test_config_shows_no_part_of_a_secret_nor_credentials_in_urls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "abcdef0123456789")
    monkeypatch.setenv("LLM_API_KEY", "sk-live-0123456789")
    monkeypatch.setenv("DATABASE_URL", "postgresql://spine:hunter2@db.internal:5432/spine")
    monkeypatch.setenv("CHROMA_URL", "https://chroma-user:chroma-pass@chroma.internal:8000/")
    monkeypatch.setenv("LLM_BASE_URL", "https://llm.internal/v1?api_key=sk-query-secret&x=1")
    result = runner.invoke(app, ["config"])
    assert result.exit_code == 0
    for secret in (
        "abcd",
        "sk-live",
        "hunter2",
        "spine:",
        "chroma-user",
        "chroma-pass",
        "sk-query",
    ):
        assert secret not in result.output
    assert "db.internal:5432/spine" in result.output and "chroma.internal:8000" in result.output
    assert "api_key=***&x=1" in result.output
    assert "(set)" in result.output
