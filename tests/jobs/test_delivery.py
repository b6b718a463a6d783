"""Digest delivery against the fake Slack over real HTTP, on SQLite and Postgres: each
failure Slack can produce ends with exactly one digest in the channel, and the admins
are told."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import update
from typer.testing import CliRunner

from bot.cli import app
from jobs import scheduler as sched
from jobs.delivery import DIGEST_EVENT, STALE_SENDING, run_state
from jobs.models import DigestRun
from portfolio.weeks import current_week
from spinebot.db import session_scope
from spinebot.settings import get_settings
from tests.harness.fake_slack import ApiError, FakeSlack, dm_channel
from tests.jobs.conftest import add_use_case

CHANNEL = "CDIGEST"
ADMINS = ("UADMIN1", "UADMIN2")


@pytest.fixture
def delivery(db, slack_env, monkeypatch):  # type: ignore[no-untyped-def]
    """The worker's view: digest channel, admins, a 1 s Slack timeout, a paused scheduler."""
    monkeypatch.setenv("DIGEST_CHANNEL", CHANNEL)
    monkeypatch.setenv("SPINE_ADMINS", ",".join(ADMINS))
    monkeypatch.setenv("SLACK_TIMEOUT", "1")
    get_settings.cache_clear()
    # retries stop at midnight (test_retries_stay_within_the_day_and_the_week): judge the
    # day's end as if the run began at 09:00, so no test depends on the hour it runs at
    in_the_day = sched.next_retry

    def next_retry(attempts, now, week, retry_after=None):  # type: ignore[no-untyped-def]
        morning = now.replace(hour=9, minute=0, second=0, microsecond=0)
        at = in_the_day(attempts, morning, week, retry_after)
        return None if at is None else now + (at - morning)

    monkeypatch.setattr(sched, "next_retry", next_retry)
    add_use_case(db, "Claims triage")
    scheduler = sched.build_scheduler(get_settings(), scheduler_class=BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        yield slack_env
    finally:
        scheduler.shutdown(wait=False)
        sched._scheduler = None


def digests(fake: FakeSlack) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.messages.get(CHANNEL, [])
        if (m.get("metadata") or {}).get("event_type") == DIGEST_EVENT
    ]


def digest_posts(fake: FakeSlack) -> int:
    return len([c for c in fake.calls_to("chat.postMessage") if c.args["channel"] == CHANNEL])


def dms(fake: FakeSlack, admin: str) -> list[str]:
    return [m["text"] for m in fake.messages.get(dm_channel(admin), [])]


def status() -> str:
    run = run_state("digest", CHANNEL, current_week(get_settings().tz))
    assert run is not None
    return run.status


def retry_planned() -> bool:
    assert sched._scheduler is not None
    return sched._scheduler.get_job(sched.RETRY_JOB) is not None


def test_slack_posting_and_then_answering_500_leaves_one_digest(delivery) -> None:  # type: ignore[no-untyped-def]
    from prometheus_client import REGISTRY

    def runs(outcome: str) -> float:
        return REGISTRY.get_sample_value("spinebot_digest_runs_total", {"outcome": outcome}) or 0

    unknown, reconciled = runs("unknown"), runs("reconciled")
    delivery.fail_after_posting("chat.postMessage", status=500)
    assert sched.run_weekly_digest() == "failed"
    assert digest_posts(delivery) == 1  # the client did not retry the 500
    assert status() == "unknown" and retry_planned()
    for admin in ADMINS:
        (dm,) = dms(delivery, admin)
        assert "HTTP 500" in dm and "spinebot digest --post" in dm and "Next automatic try" in dm
    assert sched.run_digest_retry(current_week(get_settings().tz)) == "reconciled"
    assert len(digests(delivery)) == 1 and digest_posts(delivery) == 1
    assert status() == "posted"
    history = delivery.last_call("conversations.history")
    assert history.args["include_all_metadata"] in (True, "true", "1")
    assert all(len(dms(delivery, admin)) == 1 for admin in ADMINS)
    assert (runs("unknown"), runs("reconciled")) == (unknown + 1, reconciled + 1)


def test_an_answer_after_the_client_timeout_is_found_in_the_history(delivery) -> None:  # type: ignore[no-untyped-def]
    delivery.answer_late("chat.postMessage", seconds=2.5)
    assert sched.run_weekly_digest() == "failed"
    assert status() == "unknown"
    assert "did not answer within 1 s" in dms(delivery, ADMINS[0])[0]
    assert sched.run_weekly_digest() == "reconciled"
    assert len(digests(delivery)) == 1 and digest_posts(delivery) == 1


def test_rate_limits_are_retried_by_the_scheduler_not_the_client(delivery) -> None:  # type: ignore[no-untyped-def]
    delivery.rate_limit("chat.postMessage", times=5, retry_after=1, channel=CHANNEL)
    week = current_week(get_settings().tz)
    outcomes = [sched.run_weekly_digest()] + [sched.run_digest_retry(week) for _ in range(5)]
    assert outcomes == ["failed"] * 5 + ["posted"]
    assert digest_posts(delivery) == 6 and len(digests(delivery)) == 1
    assert status() == "posted"
    assert all(len(dms(delivery, admin)) == 1 for admin in ADMINS)  # the first failure only
    run = run_state("digest", CHANNEL, week)
    assert run is not None and run.attempts == 6


def test_an_unreadable_history_counts_as_a_try_and_is_not_reported_twice(delivery) -> None:  # type: ignore[no-untyped-def]
    delivery.fail_after_posting("chat.postMessage", status=500)
    assert sched.run_weekly_digest() == "failed"
    delivery.fail("conversations.history", error="missing_scope")
    assert sched.run_weekly_digest() == "failed"  # cannot tell: nothing is posted
    assert status() == "unknown" and len(digests(delivery)) == 1
    assert all(len(dms(delivery, admin)) == 1 for admin in ADMINS)
    assert sched.run_weekly_digest() == "reconciled"
    run = run_state("digest", CHANNEL, current_week(get_settings().tz))
    assert run is not None and run.attempts == 3


def test_a_refused_token_is_reported_on_the_first_and_the_last_try(delivery, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def refuse_digest(args: dict[str, Any]) -> dict[str, Any]:
        if args["channel"] == CHANNEL:
            raise ApiError("invalid_auth")
        return delivery._chat_post_message(args)

    delivery.on("chat.postMessage", refuse_digest)
    week = current_week(get_settings().tz)
    assert sched.run_weekly_digest() == "failed"
    assert status() == "failed" and retry_planned()
    monkeypatch.setattr(sched, "next_retry", lambda *a, **k: None)  # the day is over
    assert sched.run_digest_retry(week) == "failed"
    assert digests(delivery) == []
    for admin in ADMINS:
        first, last = dms(delivery, admin)
        assert "invalid_auth" in first and "SLACK_BOT_TOKEN" in first
        assert "last automatic try" in last and f"spinebot digest --post --week {week}" in last


def test_an_unknown_channel_tells_the_admins_to_check_the_setting(delivery) -> None:  # type: ignore[no-untyped-def]
    delivery.fail("chat.postMessage", error="channel_not_found")
    assert sched.run_weekly_digest() == "failed"
    assert status() == "failed"
    assert "DIGEST_CHANNEL" in dms(delivery, ADMINS[0])[0]
    assert sched.run_weekly_digest() == "posted"
    assert len(digests(delivery)) == 1


def test_a_bot_outside_the_channel_tells_the_admins_to_invite_it(delivery) -> None:  # type: ignore[no-untyped-def]
    delivery.not_member.add(CHANNEL)
    assert sched.run_weekly_digest() == "failed"
    dm = dms(delivery, ADMINS[1])[0]
    assert "not_in_channel" in dm and "/invite @spinebot" in dm
    delivery.not_member.clear()  # someone invited it
    assert sched.run_weekly_digest() == "posted"
    assert len(digests(delivery)) == 1


def test_retries_stay_within_the_day_and_the_week() -> None:
    monday = datetime(2026, 11, 30, 9, 0)
    week = "2026-W49"
    assert sched.next_retry(1, monday, week) == monday + timedelta(minutes=2)
    assert sched.next_retry(3, monday, week) == monday + timedelta(minutes=15)
    assert sched.next_retry(1, monday, week, retry_after=600) == monday + timedelta(minutes=10)
    assert sched.next_retry(99, monday.replace(hour=21), week) is None  # past midnight
    assert sched.next_retry(1, monday, "2026-W48") is None  # that week is over


KILLED = """
import sys
from bot.cli import main
sys.argv = ["spinebot", "digest", "--post"]
main()
"""


def test_a_worker_killed_while_sending_is_reconciled_without_a_second_post(delivery, db) -> None:  # type: ignore[no-untyped-def]
    settings = get_settings()
    env = {
        **os.environ,
        "DATABASE_URL": db.url.render_as_string(hide_password=False),
        "SLACK_API_URL": settings.slack_api_url,
        "SLACK_BOT_TOKEN": settings.slack_bot_token,
        "DIGEST_CHANNEL": CHANNEL,
        "SLACK_TIMEOUT": "30",
    }
    delivery.hold("chat.postMessage")  # Slack takes it, the answer never comes in time
    proc = subprocess.Popen([sys.executable, "-c", KILLED], env=env, stderr=subprocess.PIPE)
    try:
        delivery.wait_for("chat.postMessage", timeout=60)
        assert status() == "sending"
    finally:
        proc.kill()  # SIGKILL: no handler, no cleanup
        proc.wait(timeout=30)
        delivery.released.set()
    assert len(digests(delivery)) == 1
    week = current_week(settings.tz)
    assert sched.run_weekly_digest() == "in_progress"  # a crashed run is not guessed at
    with session_scope(db) as session:  # … until the call must be over
        session.execute(
            update(DigestRun)
            .where(DigestRun.week == week)  # type: ignore[arg-type]
            .values(claimed_at=datetime.now(settings.tz) - STALE_SENDING * 2)
        )
    assert sched.run_weekly_digest() == "reconciled"
    assert len(digests(delivery)) == 1 and digest_posts(delivery) == 1
    result = CliRunner().invoke(app, ["digest", "--post"])
    assert "Already posted" in result.output
    listed = CliRunner().invoke(app, ["digest", "--status"])
    assert listed.exit_code == 0
    # Two tries: the killed one, and the one that found its message in the history.
    assert [week, "digest", CHANNEL, "posted", "2"] == listed.output.splitlines()[1].split()[:5]


def test_a_manual_post_that_fails_says_why_and_exits_non_zero(delivery) -> None:  # type: ignore[no-untyped-def]
    delivery.not_member.add(CHANNEL)
    result = CliRunner().invoke(app, ["digest", "--post"])
    assert result.exit_code == 1
    assert "not_in_channel" in result.output and "Invite the bot" in result.output
    assert "Traceback" not in result.output


def test_the_worker_start_check_says_to_invite_the_bot(delivery, caplog) -> None:  # type: ignore[no-untyped-def]
    from jobs.cli import check_digest_channel

    assert check_digest_channel(get_settings()) is True
    delivery.not_member.add(CHANNEL)
    assert check_digest_channel(get_settings()) is False
    (line,) = [r.getMessage() for r in caplog.records if r.name == "jobs.cli"]
    assert "/invite @spinebot" in line and CHANNEL in line
