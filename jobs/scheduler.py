"""The one scheduler (APScheduler 3), run by `spinebot worker`, never by web processes.

Its job store is the SQL database, so job definitions and next run times survive a
restart. Four jobs, each with an explicit id, ``replace_existing``, ``coalesce`` and
``max_instances=1``:

* ``weekly-digest`` on DIGEST_SCHEDULE in TIMEZONE. Its misfire grace time is six days:
  a digest missed while the worker was down is posted when it comes back, within the
  same week. Posting is guarded in the database (see ``jobs.delivery``), so a second
  worker started by mistake, or a trigger firing twice, cannot post twice.
* ``digest-retry``, a one-off date job: a digest that failed is tried again with backoff
  (RETRY_DELAYS) through the rest of that day, while it is still that week. The admins
  (SPINE_ADMINS) get a DM on the first failure and again when the last try fails.
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

from spinebot.db import get_engine
from spinebot.settings import Settings, digest_trigger, get_settings

log = logging.getLogger(__name__)

DIGEST_JOB = "weekly-digest"
RETRY_JOB = "digest-retry"
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (2, 5, 15, 30, 60, 120, 240))
NUDGE_JOB = "owner-nudges"
REINDEX_JOB = "nightly-reindex"
ASSISTANT_JOB = "assistant-usage"
DIGEST_GRACE = int(timedelta(days=6).total_seconds())
NUDGE_WINDOW = (timedelta(hours=23), timedelta(hours=24))


# The running scheduler (set by build_scheduler): the digest job adds its retries to it.
_scheduler: BaseScheduler | None = None


def run_weekly_digest(week: str | None = None) -> str:
    """Post this week's digest; on failure plan a retry and tell the admins."""
    from bot.slack_client import make_client
    from jobs.delivery import STALE_SENDING, DeliveryError, post_digest
    from portfolio.weeks import current_week
    from spinebot.metrics import record_digest_run

    settings = get_settings()
    if not settings.digest_channel or not settings.slack_bot_token:
        log.warning("weekly digest skipped: DIGEST_CHANNEL or SLACK_BOT_TOKEN is not set")
        return "skipped"
    now = datetime.now(settings.tz)
    week = week or current_week(settings.tz)
    client = make_client(settings, retries=False)
    try:
        outcome = post_digest(client=client, channel=settings.digest_channel, week=week)
    except DeliveryError as failure:
        record_digest_run("failed" if not failure.maybe_posted else "unknown")
        return _after_failure(failure, week=week, now=now, settings=settings)
    record_digest_run(outcome)
    if outcome == "in_progress":  # look again once that other attempt must be over
        schedule_retry(week, now + STALE_SENDING + timedelta(seconds=30))
    log.info("weekly digest %s: %s", week, outcome)
    return outcome


def run_assistant_usage() -> str:
    """Report last week's llm_cost and users of Spinebot's own use case (idempotent:
    hourly runs after the first change nothing)."""
    from jobs.assistant import report_assistant_usage

    return report_assistant_usage().outcome


def next_retry(
    attempts: int, now: datetime, week: str, retry_after: float | None = None
) -> datetime | None:
    """When to try again after ``attempts`` failed tries: backoff, the same day and week."""
    from portfolio.weeks import week_of

    delays = RETRY_DELAYS
    delay = delays[min(max(attempts, 1), len(delays)) - 1]
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    at = now + delay
    if at.date() != now.date() or week_of(at.date()) != week:
        return None
    return at


def schedule_retry(week: str, at: datetime) -> bool:
    """Add (or move) the one retry job; False outside the worker (no scheduler)."""
    if _scheduler is None:
        return False
    _scheduler.add_job(
        "jobs.scheduler:run_digest_retry",
        "date",
        run_date=at,
        args=[week],
        id=RETRY_JOB,
        name=f"Digest retry for {week}",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=3600,
    )
    return True


def run_digest_retry(week: str) -> str:
    """The retry job: the same delivery as the weekly job, for the week that failed."""
    from portfolio.weeks import current_week

    settings = get_settings()
    if week != current_week(settings.tz):
        log.warning("digest retry for %s dropped: that week is over", week)
        return "expired"
    return run_weekly_digest(week)


def _after_failure(failure: Any, *, week: str, now: datetime, settings: Settings) -> str:
    from jobs.delivery import run_state

    run = run_state("digest", settings.digest_channel, week)
    attempts = run.attempts if run else 1
    at = next_retry(attempts, now, week, failure.retry_after)
    planned = at is not None and schedule_retry(week, at)
    log.warning(
        "weekly digest %s failed (try %d): %s; %s",
        week,
        attempts,
        failure.reason,
        f"next try at {at:%H:%M %Z}" if planned and at else "no automatic retry left",
    )
    if attempts <= 1 or not planned:
        next_at = at if planned else None
        notify_admins(settings, week=week, failure=failure, next_at=next_at, first=attempts <= 1)
    return "failed"


def failure_text(
    *, week: str, channel: str, reason: str, code: str, next_at: datetime | None, first: bool
) -> str:
    """The admins' DM: what failed, what happens next, how to post it by hand."""
    from bot.blocks.text import escape

    lines = [
        f":warning: The weekly digest for *{week}* could not be posted to <#{channel}>: "
        f"{escape(reason)}."
    ]
    if code == "not_in_channel":
        lines.append(
            f"Spinebot is not a member of <#{channel}>: invite it there (`/invite @spinebot`)."
        )
    elif code == "channel_not_found":
        lines.append("Check DIGEST_CHANNEL: it must be a channel id (e.g. C0123ABCD).")
    elif code in ("invalid_auth", "token_revoked", "account_inactive", "not_authed"):
        lines.append("Slack refused the bot token: check SLACK_BOT_TOKEN (reinstall the app).")
    if next_at is not None:
        lines.append(
            f"Next automatic try at {next_at:%H:%M %Z}; tries go on with backoff through today."
        )
    else:
        lines.append(
            "That was the last automatic try for today."
            if not first
            else "There will be no automatic retry today."
        )
    lines.append(f"To post it by hand: `spinebot digest --post --week {week}`")
    return "\n".join(lines)


def notify_admins(
    settings: Settings, *, week: str, failure: Any, next_at: datetime | None, first: bool
) -> int:
    """DM every SPINE_ADMINS user; returns how many DMs went out (failures are logged)."""
    from bot.slack_client import make_client

    if not settings.spine_admins:
        log.warning("digest failure not reported: SPINE_ADMINS is empty")
        return 0
    text = failure_text(
        week=week,
        channel=settings.digest_channel,
        reason=failure.reason,
        code=failure.code,
        next_at=next_at,
        first=first,
    )
    client = make_client(settings)
    sent = 0
    for admin in settings.spine_admins:
        try:
            client.chat_postMessage(channel=admin, text=text)
            sent += 1
        except Exception as exc:  # noqa: BLE001 - one line per admin, then go on
            log.error("could not tell admin %s about the digest: %s", admin, type(exc).__name__)
    return sent


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
    global _scheduler
    settings = settings or get_settings()
    scheduler = _scheduler = scheduler_class(
        # The shared engine: the job store gets the same connect/statement timeouts.
        jobstores={"default": SQLAlchemyJobStore(engine=get_engine(settings.sqlalchemy_url))},
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
