from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text

from spinebot import db as dbmod


def test_migrations_apply_on_a_fresh_database_and_are_idempotent(db_url: str) -> None:
    dbmod.upgrade(db_url)
    assert dbmod.current_revisions(db_url) == dbmod.head_revisions()
    dbmod.upgrade(db_url)  # a second run has nothing to do and must not fail
    tables = set(inspect(dbmod.get_engine(db_url)).get_table_names())
    assert {"alembic_version", "spinebot_meta"} <= tables


def test_session_scope_commits_on_success_and_rolls_back_on_error(db: Engine) -> None:
    with dbmod.session_scope(db, write=True) as session:
        session.execute(text("INSERT INTO spinebot_meta (key, value) VALUES ('a', '1')"))
    with pytest.raises(RuntimeError), dbmod.session_scope(db, write=True) as session:
        session.execute(text("INSERT INTO spinebot_meta (key, value) VALUES ('b', '2')"))
        raise RuntimeError("boom")
    with dbmod.session_scope(db) as session:
        keys = set(session.execute(text("SELECT key FROM spinebot_meta")).scalars())
    assert {"a"} <= keys and "b" not in keys


def test_sqlite_engine_uses_wal_and_creates_the_data_dir(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'x.db'}"
    engine = dbmod.get_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert (tmp_path / "deep" / "er").is_dir()


def test_unreachable_database_is_reported_in_one_line() -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none?connect_timeout=2"
    ok, detail = dbmod.check_health(dbmod.get_engine(url))
    assert not ok
    assert "\n" not in detail and "secret" not in detail
    with pytest.raises(dbmod.DatabaseError) as excinfo:
        dbmod.upgrade(url)
    assert "is not usable" in str(excinfo.value)


def test_migrations_match_the_models(db_url: str) -> None:
    """Autogenerate finds nothing to add: every model's table is created by a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    import bot.models  # noqa: F401
    import jobs.models  # noqa: F401
    import knowledge.models  # noqa: F401
    import portfolio.models  # noqa: F401

    dbmod.upgrade(db_url)
    with dbmod.get_engine(db_url).connect() as conn:
        context = MigrationContext.configure(conn)
        diff = compare_metadata(context, SQLModel.metadata)
    # spinebot_meta and heartbeat (spinebot.health, a Core table) are ours but have no
    # model; everything else must match.
    ours = ("spinebot_meta", "heartbeat")
    diff = [d for d in diff if not (d[0] == "remove_table" and d[1].name in ours)]
    assert diff == []


def test_postgres_sessions_carry_the_statement_and_lock_timeouts(postgres_url, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from spinebot.settings import get_settings

    monkeypatch.setenv("DB_STATEMENT_TIMEOUT", "12")
    monkeypatch.setenv("DB_LOCK_TIMEOUT", "3")
    get_settings.cache_clear()
    with dbmod.get_engine(postgres_url).connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "12s"
        assert conn.execute(text("SHOW lock_timeout")).scalar() == "3s"


def test_sqlite_waits_for_writers_as_long_as_the_setting_says(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from spinebot.settings import get_settings

    monkeypatch.setenv("DB_BUSY_TIMEOUT", "2.5")
    get_settings.cache_clear()
    with dbmod.get_engine(f"sqlite:///{tmp_path / 'x.db'}").connect() as conn:
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 2500
