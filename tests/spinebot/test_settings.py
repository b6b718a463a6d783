from pathlib import Path

import pytest

from spinebot.settings import SettingsError, digest_trigger, load_settings


def test_defaults_need_nothing_configured(isolated_env: Path) -> None:
    settings = load_settings()
    assert settings.data_dir == isolated_env
    assert settings.sqlalchemy_url == f"sqlite:///{(isolated_env / 'spinebot.db').resolve()}"
    assert settings.chroma_url == ""
    assert settings.llm_model == ""
    assert settings.slack_api_url == "https://slack.com/api/"
    assert not settings.has_slack_http and not settings.has_slack_socket
    assert settings.digest_schedule == "mon 09:00"
    assert settings.timezone == "UTC"


def test_environment_values_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPINE_ADMINS", "U1, U2;U3")
    monkeypatch.setenv("KNOWLEDGE_DIRS", "docs,more")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.example/spine")
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("DIGEST_SCHEDULE", "0 9 * * mon")
    settings = load_settings()
    assert settings.spine_admins == ["U1", "U2", "U3"]
    assert settings.knowledge_dirs == [Path("docs"), Path("more")]
    # A trailing slash is added so the SDK joins method names correctly.
    assert settings.slack_api_url == "http://127.0.0.1:9999/api/"
    # Heroku-style postgres:// URLs are accepted and use the psycopg 3 driver.
    assert settings.database_url == "postgresql+psycopg://u:p@db.example/spine"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LLM_MODEL=openai:gpt-4o-mini\nHOURLY_RATE=75\n")
    settings = load_settings()
    assert settings.llm_model == "openai:gpt-4o-mini"
    assert settings.hourly_rate == 75


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "not a url", "Invalid setting DATABASE_URL: not a database URL"),
        ("DATABASE_URL", "mysql://x/y", "Invalid setting DATABASE_URL: unsupported database"),
        ("CHROMA_URL", "localhost:8000", "Invalid setting CHROMA_URL: must start with http"),
        ("RERANK_URL", "api.cohere.com/v2/rerank", "Invalid setting RERANK_URL: must start"),
        ("RERANK_MIN_SCORE", "1.5", "Invalid setting RERANK_MIN_SCORE:"),
        ("TIMEZONE", "Mars/Olympus", "Invalid setting TIMEZONE: unknown time zone"),
        ("DIGEST_SCHEDULE", "someday", "Invalid setting DIGEST_SCHEDULE: 'someday' is not"),
        ("DIGEST_SCHEDULE", "mon 25:00", "Invalid setting DIGEST_SCHEDULE:"),
        ("HOURLY_RATE", "lots", "Invalid setting HOURLY_RATE:"),
        ("PORT", "0", "Invalid setting PORT:"),
        ("LOG_LEVEL", "LOUD", "Invalid setting LOG_LEVEL:"),
    ],
)
def test_invalid_values_fail_with_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as excinfo:
        load_settings()
    message = str(excinfo.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_digest_schedule_accepts_day_and_time_in_the_time_zone() -> None:
    trigger = digest_trigger("Monday 09:30", "Europe/Berlin")
    fields = {f.name: str(f) for f in trigger.fields}
    assert fields["day_of_week"] == "mon"
    assert fields["hour"] == "9" and fields["minute"] == "30"
    assert str(trigger.timezone) == "Europe/Berlin"
