"""With Postgres frozen (SIGSTOP), acks still come back, a vote gets a friendly
"database busy" and /healthz says the database is failing, instead of hanging: real
HTTP, real Postgres, real signals.

The shared test server is never frozen: the first test stops only its own database's
backends; the second starts a throwaway cluster of its own (scripts/postgres.sh on
another port) and stops all of it, postmaster included.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

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


ROOT = Path(__file__).resolve().parents[2]


def _serve(url: str, monkeypatch) -> Iterator[SlackRequester]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    dbmod.upgrade(url)
    settings = get_settings()
    deps = Deps.create(settings)
    deps.knowledge_factory = lambda: ScriptedKnowledge()  # type: ignore[assignment, return-value]
    with Server(build_app(settings, deps=deps), threads=8, check_index=False) as server:
        yield SlackRequester(server.url, SIGNING_SECRET)
    deps.shutdown()


@pytest.fixture
def served(postgres_url: str, slack_env: FakeSlack, monkeypatch) -> Iterator[SlackRequester]:  # type: ignore[no-untyped-def]
    yield from _serve(postgres_url, monkeypatch)


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A throwaway Postgres cluster on a free port (root only: it runs as `postgres`)."""
    if os.geteuid() != 0 or not shutil.which("runuser"):
        pytest.skip("starting a private Postgres cluster needs root")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    folder = Path("/tmp") / f"spinebot-frozen-{port}"
    env = {**os.environ, "SPINEBOT_PG_PORT": str(port), "SPINEBOT_PG_DIR": str(folder)}
    started = subprocess.run(
        ["bash", str(ROOT / "scripts" / "postgres.sh")], env=env, capture_output=True, text=True
    )
    if started.returncode != 0:
        pytest.skip(f"no private Postgres cluster: {started.stderr.strip()[:200]}")
    try:
        yield started.stdout.strip().splitlines()[-1], folder / "data"
    finally:
        pg_ctl = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1]
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(pg_ctl), "-D", str(folder / "data")]
            + ["stop", "-m", "immediate"],
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)


def cluster_processes(data: Path) -> list[int]:
    """The postmaster and every process it started."""
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:
            children.append(int(stat.parent.name))
    return [postmaster, *children]


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


def test_a_whole_frozen_cluster_makes_health_fail_fast_and_votes_busy(
    own_cluster: tuple[str, Path], slack_env: FakeSlack, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    url, data = own_cluster
    requester = _serve(url, monkeypatch)
    served = next(requester)
    try:
        uc = add_use_case(dbmod.get_engine(), "Claims triage")
        warm = slack_env.response_url()
        assert served.command("/usecase", f"show {uc}", response_url=warm).status == 200
        slack_env.wait_for("response_url", timeout=10)
        assert served.get("/healthz").status == 200
        frozen = cluster_processes(data)
        for pid in frozen:
            os.kill(pid, signal.SIGSTOP)
        try:
            started = time.perf_counter()
            health = served.get("/healthz")
            health_seconds = time.perf_counter() - started
            assert health.status == 503
            assert health.json()["components"]["database"] == "failing"
            assert url.split("@")[1] not in health.body  # no host, port or database name
            assert served.command("/usecase", "help").status == 200
            vote_url = slack_env.response_url()
            assert served.command("/usecase", f"vote {uc}", response_url=vote_url).status == 200
            reply = slack_env.wait_for(
                "response_url",
                timeout=15,
                predicate=lambda c: vote_url.endswith(c.args["response_id"]),
            )[0]
            assert "database is busy" in json.dumps(reply.args)
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGCONT)
        print(f"frozen cluster: /healthz answered in {health_seconds:.2f} s")
    finally:
        requester.close()
