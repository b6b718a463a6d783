"""The one scheduler (APScheduler 3), run by `spinebot worker`, never by web processes.

Its job store is the SQL database, so job definitions and next run times survive a
restart. Four jobs, each with an explicit id, ``replace_existing``, ``coalesce`` and
``max_instances=1``:

* ``weekly-digest`` on DIGEST_SCHEDULE in TIMEZONE. Its misfire grace time is six days:
  a digest missed while the worker was down is posted when it comes back, within the
  same week. Posting is guarded in the database (see ``jobs.digest.post_digest``), so a
  second worker started by mistake, or a trigger firing twice, cannot post twice.
* ``owner-nudges`` hourly; it sends when the next digest is 23–24 hours away, i.e. the
  day before, whatever the schedule. Nudges are de-duplicated per owner and week.
* ``nightly-reindex`` at 03:00: re-ingests the bundled corpus and KNOWLEDGE_DIRS
  (unchanged documents are skipped by content hash).
* ``assistant-usage`` hourly: reports last week's ``llm_cost`` and ``users`` of
  Spinebot's own use case (see ``jobs.assistant``); unchanged figures write nothing.

Job functions are module-level so the SQL job store can refer to them by name.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from spinebot.settings import Settings, digest_trigger, get_settings

log = logging.getLogger(__name__)

DIGEST_JOB = "weekly-digest"
NUDGE_JOB = "owner-nudges"
REINDEX_JOB = "nightly-reindex"
ASSISTANT_JOB = "assistant-usage"
DIGEST_GRACE = int(timedelta(days=6).total_seconds())
NUDGE_WINDOW = (timedelta(hours=23), timedelta(hours=24))


def run_weekly_digest() -> str:
    from bot.slack_client import make_client
    from jobs.digest import post_digest

    settings = get_settings()
    if not settings.digest_channel or not settings.slack_bot_token:
        log.warning("weekly digest skipped: DIGEST_CHANNEL or SLACK_BOT_TOKEN is not set")
        return "skipped"
    outcome = post_digest(client=make_client(settings), channel=settings.digest_channel)
    log.info("weekly digest: %s", outcome)
    return outcome


def run_assistant_usage() -> str:
    """Report last week's llm_cost and users of Spinebot's own use case (idempotent:
    hourly runs after the first change nothing)."""
    from jobs.assistant import report_assistant_usage

    return report_assistant_usage().outcome


def nudge_due(now: datetime, settings: Settings) -> bool:
    """True when the next digest is 23–24 hours after ``now``: the day before."""
    trigger = digest_trigger(settings.digest_schedule, settings.timezone)
    next_fire = trigger.get_next_fire_time(None, now)
    if next_fire is None:
        return False
    low, high = NUDGE_WINDOW
    return low <= next_fire - now <= high


def run_owner_nudges() -> int:
    from bot.slack_client import make_client
    from jobs.digest import send_nudges

    settings = get_settings()
    now = datetime.now(settings.tz)
    if not settings.slack_bot_token or not nudge_due(now, settings):
        return 0
    digest_day = digest_trigger(settings.digest_schedule, settings.timezone).get_next_fire_time(
        None, now
    )
    from portfolio.weeks import week_of

    sent = send_nudges(client=make_client(settings), week=week_of(digest_day.date()))
    log.info("owner nudges sent: %d", sent)
    return sent


def run_nightly_reindex() -> str:
    from knowledge.service import get_knowledge

    report = get_knowledge().ingest()
    log.info("nightly re-index: %s", report.summary())
    return report.summary()


def last_fire_before(now: datetime, settings: Settings) -> datetime | None:
    """The digest's most recent scheduled time at or before ``now`` (within 8 days)."""
    trigger = digest_trigger(settings.digest_schedule, settings.timezone)
    fire = trigger.get_next_fire_time(None, now - timedelta(days=8))
    last = None
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return last


def catch_up(now: datetime | None = None, settings: Settings | None = None) -> str:
    """At worker start: post this week's digest if its time has passed while the worker
    was down. Re-registering jobs with ``replace_existing`` recomputes their next run from
    now, so APScheduler alone would skip it. Harmless when it was posted already."""
    settings = settings or get_settings()
    now = now or datetime.now(settings.tz)
    last = last_fire_before(now, settings)
    from portfolio.weeks import week_of

    if last is None or week_of(last.date()) != week_of(now.date()):
        return "nothing_missed"
    return run_weekly_digest()


def build_scheduler(
    settings: Settings | None = None, *, scheduler_class: type[BaseScheduler] = BlockingScheduler
) -> BaseScheduler:
    settings = settings or get_settings()
    scheduler = scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(url=settings.sqlalchemy_url)},
        timezone=settings.tz,
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    common: dict[str, Any] = {"replace_existing": True, "coalesce": True, "max_instances": 1}
    scheduler.add_job(
        "jobs.scheduler:run_weekly_digest",
        digest_trigger(settings.digest_schedule, settings.timezone),
        id=DIGEST_JOB,
        name="Weekly digest",
        misfire_grace_time=DIGEST_GRACE,
        **common,
    )
    minute = digest_trigger(settings.digest_schedule, settings.timezone)
    scheduler.add_job(
        "jobs.scheduler:run_owner_nudges",
        CronTrigger(minute=_minute_of(minute), timezone=settings.tz),
        id=NUDGE_JOB,
        name="Owner nudges (the day before the digest)",
        misfire_grace_time=1800,
        **common,
    )
    scheduler.add_job(
        "jobs.scheduler:run_nightly_reindex",
        CronTrigger(hour=3, minute=0, timezone=settings.tz),
        id=REINDEX_JOB,
        name="Nightly re-index",
        misfire_grace_time=3 * 3600,
        **common,
    )
    scheduler.add_job(
        "jobs.scheduler:run_assistant_usage",
        CronTrigger(minute=7, timezone=settings.tz),
        id=ASSISTANT_JOB,
        name="The assistant's own llm_cost and users (last week)",
        misfire_grace_time=3600,
        **common,
    )
    return scheduler


def _minute_of(trigger: CronTrigger) -> str:
    """The minute field of the digest's trigger, so nudges land on the same minute."""
    for f in trigger.fields:
        if f.name == "minute":
            return str(f)
    return "0"
