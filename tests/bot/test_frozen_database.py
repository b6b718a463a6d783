"""With the Postgres backends frozen (SIGSTOP), acks still come back and a vote gets a
friendly "database busy" instead of hanging: real HTTP, real Postgres, real signals.

Only this test's own database backends are stopped, never the shared server: the
postmaster and every other database keep running.
"""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from bot.app import build_app
from bot.deps import Deps
from bot.server import Server
from spinebot import db as dbmod
from spinebot.settings import get_settings
from tests.bot.conftest import ScriptedKnowledge
from tests.harness.fake_slack import FakeSlack
from tests.harness.fixtures import SIGNING_SECRET
from tests.harness.signing import SlackRequester
from tests.jobs.conftest import add_use_case

pytestmark = pytest.mark.postgres


@pytest.fixture
def served(postgres_url: str, slack_env: FakeSlack, monkeypatch) -> Iterator[SlackRequester]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    get_settings.cache_clear()
    dbmod.upgrade(postgres_url)
    settings = get_settings()
    deps = Deps.create(settings)
    deps.knowledge_factory = lambda: ScriptedKnowledge()  # type: ignore[assignment, return-value]
    with Server(build_app(settings, deps=deps), threads=8, check_index=False) as server:
        yield SlackRequester(server.url, SIGNING_SECRET, response_url=slack_env.response_url)
    deps.shutdown()


def backends(url: str) -> list[int]:
    """The server processes serving this test's database (not the admin connection)."""
    name = url.rsplit("/", 1)[-1]
    admin = create_engine(os.environ["SPINEBOT_TEST_POSTGRES_URL"])
    try:
        with admin.connect() as conn:
            rows = conn.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :name"), {"name": name}
            ).all()
    finally:
        admin.dispose()
    return [int(r[0]) for r in rows]


def test_acks_and_votes_do_not_hang_on_a_frozen_database(
    served: SlackRequester, slack_env: FakeSlack, postgres_url: str
) -> None:
    uc = add_use_case(dbmod.get_engine(), "Claims triage")
    url = slack_env.response_url()
    assert served.command("/usecase", f"show {uc}", response_url=url).status == 200
    slack_env.wait_for("response_url", timeout=10)  # the pool now holds live connections
    frozen = backends(postgres_url)
    assert frozen
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.perf_counter()
        helped = served.command("/usecase", "help")
        help_seconds = time.perf_counter() - started
        assert helped.status == 200 and "register" in json.dumps(helped.json())

        vote_url = slack_env.response_url()
        started = time.perf_counter()
        assert served.command("/usecase", f"vote {uc}", response_url=vote_url).status == 200
        reply = slack_env.wait_for(
            "response_url",
            timeout=10,
            predicate=lambda c: vote_url.endswith(c.args["response_id"]),
        )[0]
        vote_seconds = time.perf_counter() - started
        assert "database is busy" in json.dumps(reply.args)
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    # Figures for the report, not asserted (the machine is shared): see bench/ for timing.
    print(f"frozen database: help ack {help_seconds:.2f} s, busy reply {vote_seconds:.2f} s")
    # Once the database answers again, so does the bot.
    again = slack_env.response_url()
    assert served.command("/usecase", f"vote {uc}", response_url=again).status == 200
    done = slack_env.wait_for(
        "response_url", timeout=10, predicate=lambda c: again.endswith(c.args["response_id"])
    )[0]
    assert "vote" in json.dumps(done.args).lower()
