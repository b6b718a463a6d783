"""The one scheduler: job definitions, the day-before nudge, catching up a missed digest."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from typer.testing import CliRunner

from bot.cli import app
from jobs import scheduler as sched
from spinebot.settings import get_settings
from tests.jobs.conftest import RecordingClient, add_use_case

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def berlin(sqlite_db, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("DIGEST_SCHEDULE", "mon 09:00")
    get_settings.cache_clear()
    return get_settings()


def test_jobs_have_ids_coalesce_one_instance_and_grace(berlin) -> None:  # type: ignore[no-untyped-def]
    scheduler = sched.build_scheduler(berlin, scheduler_class=BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"weekly-digest", "owner-nudges", "nightly-reindex", "assistant-usage"}
        digest = jobs["weekly-digest"]
        assert digest.coalesce and digest.max_instances == 1
        assert digest.misfire_grace_time == 6 * 24 * 3600
        fire = digest.trigger.get_next_fire_time(None, datetime(2026, 11, 25, tzinfo=BERLIN))
        assert fire == datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)
    finally:
        scheduler.shutdown(wait=False)


def test_a_restarted_scheduler_keeps_one_copy_of_each_job(berlin) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        scheduler = sched.build_scheduler(berlin, scheduler_class=BackgroundScheduler)
        scheduler.start(paused=True)
        ids = [job.id for job in scheduler.get_jobs()]
        scheduler.shutdown(wait=False)
    assert sorted(ids) == ["assistant-usage", "nightly-reindex", "owner-nudges", "weekly-digest"]


def test_nudges_are_due_only_the_day_before_the_digest(berlin) -> None:  # type: ignore[no-untyped-def]
    assert sched.nudge_due(datetime(2026, 11, 29, 9, 0, tzinfo=BERLIN), berlin)
    assert not sched.nudge_due(datetime(2026, 11, 29, 7, 0, tzinfo=BERLIN), berlin)
    assert not sched.nudge_due(datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN), berlin)


def test_a_digest_missed_this_week_is_posted_once_on_start(berlin, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DIGEST_CHANNEL", "CDIGEST")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    get_settings.cache_clear()
    client = RecordingClient()
    monkeypatch.setattr("bot.slack_client.make_client", lambda settings=None, **_: client)
    add_use_case(get_settings_engine(), "Something")
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN)
    assert sched.catch_up(wednesday) == "posted"
    assert sched.catch_up(wednesday) == "already_posted"  # a second start, or a 2nd worker
    # Monday 08:00, before this week's 09:00 digest: last week's is not posted late.
    assert sched.catch_up(datetime(2026, 11, 23, 8, 0, tzinfo=BERLIN)) == "nothing_missed"
    assert len(client.posts()) == 1


def get_settings_engine():  # type: ignore[no-untyped-def]
    from spinebot.db import get_engine

    return get_engine()


def test_digest_preview_prints_and_json_is_machine_readable(berlin) -> None:  # type: ignore[no-untyped-def]
    add_use_case(get_settings_engine(), "Fresh idea", age=0)
    runner = CliRunner()
    shown = runner.invoke(app, ["digest", "--preview", "--week", "2026-W40"])
    assert shown.exit_code == 0, shown.output
    assert "Weekly AI portfolio digest · 2026-W40" in shown.output
    assert "Europe/Berlin" in shown.output
    data = runner.invoke(app, ["digest", "--json", "--week", "2026w40"])
    assert json.loads(data.output)["week"] == "2026-W40"


def test_digest_post_without_a_channel_is_one_clear_error(berlin) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["digest", "--post"])
    assert result.exit_code == 2 and "DIGEST_CHANNEL" in result.output
    bad = CliRunner().invoke(app, ["digest", "--week", "2026-W99"])
    assert bad.exit_code == 2 and "--week" in bad.output


def test_the_worker_process_starts_the_scheduler_and_lists_its_jobs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("spinebot")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL"))}
    env.update(SPINEBOT_DATA_DIR=str(tmp_path / "data"), TIMEZONE="Europe/Berlin")
    proc = subprocess.Popen(
        [str(exe), "worker"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(5)]  # type: ignore[union-attr]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    listed = "".join(lines)
    for job in ("weekly-digest", "owner-nudges", "nightly-reindex", "assistant-usage"):
        assert job in listed
    assert "09:00 CET" in listed or "09:00 CEST" in listed


def test_the_digest_job_fired_twice_and_after_a_restart_posts_once(berlin, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

    monkeypatch.setenv("DIGEST_CHANNEL", "CDIGEST")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    get_settings.cache_clear()
    client = RecordingClient()
    monkeypatch.setattr("bot.slack_client.make_client", lambda settings=None, **_: client)
    add_use_case(get_settings_engine(), "Something")
    outcomes: list[object] = []

    def fire(scheduler) -> None:  # type: ignore[no-untyped-def]
        done = threading.Event()

        def listener(event) -> None:  # type: ignore[no-untyped-def]
            if event.job_id == sched.DIGEST_JOB:
                outcomes.append(event.retval if event.exception is None else event.exception)
                done.set()

        scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        scheduler.get_job(sched.DIGEST_JOB).modify(next_run_time=datetime.now(BERLIN))
        scheduler.wakeup()
        assert done.wait(30)
        scheduler.remove_listener(listener)

    for _restart in range(2):  # a first run of the worker, then a restarted one
        scheduler = sched.build_scheduler(get_settings(), scheduler_class=BackgroundScheduler)
        scheduler.start()
        try:
            fire(scheduler)
            fire(scheduler)  # the trigger firing a second time in the same week
        finally:
            scheduler.shutdown(wait=True)
    assert outcomes == ["posted", "already_posted", "already_posted", "already_posted"]
    assert len(client.posts()) == 1


def test_the_worker_serves_health_and_its_heartbeat_reaches_the_web(
    slack_env, sqlite_db, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """A real `spinebot worker` process: /healthz and /metrics on HEALTH_PORT, and the
    heartbeat row the web process's health reads."""
    import os
    import socket
    import subprocess
    import sys
    import time

    from spinebot.health import check_worker
    from tests.harness.signing import http_request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "DATABASE_URL": sqlite_db.url.render_as_string(hide_password=False),
        "SLACK_API_URL": slack_env.api_url,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "DIGEST_CHANNEL": "CDIGEST",
        "DIGEST_SCHEDULE": "sun 03:33",
        "HEALTH_PORT": str(port),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "worker"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = http_request(f"http://127.0.0.1:{port}/healthz", timeout=5)
                if health.json()["components"].get("scheduler") == "ok":
                    break
            except OSError:
                pass
            assert proc.poll() is None, proc.stdout.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the worker's health never came up"
            time.sleep(0.2)
        assert health.status == 200
        assert set(health.json()["components"]) == {"database", "slack", "scheduler"}
        metrics = http_request(f"http://127.0.0.1:{port}/metrics", timeout=5)
        assert "spinebot_digest_runs_total" in metrics.body
        slack_env.wait_until(lambda: check_worker(sqlite_db) is not None, timeout=30)
        worker = check_worker(sqlite_db)
        assert worker is not None and worker.ok
        assert slack_env.calls_to("auth.test") and slack_env.calls_to("conversations.info")
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_worker_with_a_revoked_token_exits_with_one_line(slack_env, sqlite_db) -> None:  # type: ignore[no-untyped-def]
    slack_env.fail("auth.test", error="token_revoked", times=None)
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 2
    assert "SLACK_BOT_TOKEN" in result.output and "token_revoked" in result.output
    assert "Traceback" not in result.output
