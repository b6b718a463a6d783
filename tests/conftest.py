"""Shared fixtures.

* Every test runs in its own working directory and data dir with no Spinebot setting
  inherited from the user's environment or a ``.env`` file.
* ``db_url`` runs a test on SQLite and on a fresh Postgres database. Postgres comes from
  ``SPINEBOT_TEST_POSTGRES_URL`` (``make test`` starts one); without it those cases are
  skipped, unless ``SPINEBOT_REQUIRE_POSTGRES=1`` (CI), where they fail instead.
* ``db`` is a migrated engine for ``db_url``, also installed as DATABASE_URL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from spinebot import db as dbmod
from spinebot.settings import Settings, get_settings

FIXTURES = Path(__file__).parent / "fixtures"

pytest_plugins = ["tests.harness.fixtures"]


def _setting_env_names() -> set[str]:
    names = {name.upper() for name in Settings.model_fields}
    names.update({"SPINEBOT_DATA_DIR", "DATA_DIR"})
    return names


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.upper() in _setting_env_names():
            monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    data_dir = tmp_path / "data"
    monkeypatch.setenv("SPINEBOT_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    yield data_dir
    # A runner a test built (through build_app) and never closed would go on sweeping a
    # database that later tests have dropped, logging into their captured logs.
    from bot.answer_pool import AnswerRunner

    for runner in list(AnswerRunner.live):
        runner.close(grace=0)
    get_settings.cache_clear()
    dbmod.dispose_engines()


def _postgres_admin_url() -> str | None:
    url = os.environ.get("SPINEBOT_TEST_POSTGRES_URL", "").strip()
    if url:
        return url
    if os.environ.get("SPINEBOT_REQUIRE_POSTGRES") == "1":
        pytest.fail("SPINEBOT_REQUIRE_POSTGRES=1 but SPINEBOT_TEST_POSTGRES_URL is not set")
    return None


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A brand-new, empty Postgres database, dropped after the test."""
    admin_url = _postgres_admin_url()
    if admin_url is None:
        pytest.skip("no PostgreSQL: set SPINEBOT_TEST_POSTGRES_URL or run `make test`")
    name = f"spinebot_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        admin.dispose()
        if os.environ.get("SPINEBOT_REQUIRE_POSTGRES") == "1":
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        dbmod.dispose_engines()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A migrated database (SQLite and Postgres), also the configured DATABASE_URL."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    get_settings.cache_clear()
    dbmod.upgrade(db_url)
    return dbmod.get_engine(db_url)


@pytest.fixture
def sqlite_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A migrated SQLite database only, for tests where the backend does not matter."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    dbmod.upgrade(url)
    return dbmod.get_engine(url)
