"""Posting the digest: never twice, never lost, never silent.

A ``digest_run`` row per (kind, channel, week) is claimed in its own transaction before
anything is sent; its unique key makes every other caller stand down. The digest post is
made by a client without retries and carries Slack message ``metadata`` naming its week
and run, so a run whose outcome is unknown — Slack answered 5xx or nothing within the
timeout, or the worker died while ``sending`` — is settled by reading the channel's
recent history before anything is posted again: if the digest is there, the run is
marked posted.

Statuses: ``claimed`` (building), ``sending`` (the Slack call is under way), ``posted``,
``failed`` (Slack refused it: nothing was posted) and ``unknown`` (it may be out). The
scheduler (``jobs.scheduler``) retries failed runs with backoff and tells the admins.
"""

from __future__ import annotations

import logging
import socket
import urllib.error
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, select, update
from sqlalchemy.exc import IntegrityError

from jobs.models import DigestRun
from spinebot.db import get_engine, session_scope
from spinebot.models import as_utc, utcnow
from spinebot.settings import Settings, get_settings

log = logging.getLogger(__name__)

_RUN = cast(Table, DigestRun.__table__).c  # type: ignore[attr-defined]

DIGEST_EVENT = "spinebot_digest"  # the message metadata event type of every digest
STALE_CLAIM = timedelta(minutes=15)  # a 'claimed' row older than this: its builder died
STALE_SENDING = timedelta(minutes=2)  # a 'sending' row older than this: the call is over
# Slack error codes after which the message may have been posted all the same.
UNCERTAIN_ERRORS = frozenset({"internal_error", "fatal_error", "request_timeout"})


class DeliveryError(RuntimeError):
    """The digest post did not (knowingly) succeed. ``code`` is Slack's error code (or
    ``http_500``, ``timeout``…); ``maybe_posted`` when Slack may have posted it anyway."""

    def __init__(
        self, reason: str, *, code: str, maybe_posted: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code
        self.maybe_posted = maybe_posted
        self.retry_after = retry_after


@dataclass(frozen=True)
class Claim:
    run_id: int
    attempts: int  # tries so far, this one included
    reconcile: bool  # the previous attempt may have posted: read the history first


def claim_run(
    kind: str, channel: str, week: str, engine: Engine, *, recover_sending: bool = False
) -> Claim | None:
    """Take the (kind, channel, week) slot; None when someone else holds or used it.

    A new slot, a ``failed`` one, or one whose claimer died while building (``claimed``
    for longer than STALE_CLAIM) is taken to post. With ``recover_sending`` an ``unknown``
    slot, or one left in ``sending`` for longer than STALE_SENDING, is taken too, flagged
    ``reconcile``: the caller must look for the message before posting. The UPDATE's
    WHERE clause repeats what was read, so exactly one caller wins a slot.
    """
    try:
        with session_scope(engine, write=True) as session:
            run = DigestRun(kind=kind, channel_id=channel, week=week, attempts=1)
            session.add(run)
            session.flush()
            assert run.id is not None
            return Claim(run.id, 1, reconcile=False)
    except IntegrityError:
        pass
    now = utcnow()
    with session_scope(engine, write=True) as session:
        row = session.execute(
            select(_RUN.id, _RUN.status, _RUN.claimed_at, _RUN.attempts).where(
                _RUN.kind == kind, _RUN.channel_id == channel, _RUN.week == week
            )
        ).one()
        claimed_at = as_utc(row.claimed_at) or now
        if row.status == "failed" or (row.status == "claimed" and claimed_at < now - STALE_CLAIM):
            reconcile = False
        elif recover_sending and (
            row.status == "unknown"
            or (row.status == "sending" and claimed_at < now - STALE_SENDING)
        ):
            reconcile = True
        else:
            return None
        result = session.execute(
            update(DigestRun)
            .where(_RUN.id == row.id, _RUN.status == row.status, _RUN.claimed_at == row.claimed_at)
            .values(status="claimed", claimed_at=now, attempts=row.attempts + 1)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        return Claim(row.id, row.attempts + 1, reconcile=reconcile)


def finish(run_id: int, engine: Engine, **values: Any) -> None:
    with session_scope(engine, write=True) as session:
        session.execute(update(DigestRun).where(_RUN.id == run_id).values(**values))


def run_state(kind: str, channel: str, week: str, engine: Engine | None = None) -> DigestRun | None:
    with session_scope(engine or get_engine()) as session:
        return session.execute(
            select(DigestRun).where(
                _RUN.kind == kind, _RUN.channel_id == channel, _RUN.week == week
            )
        ).scalar_one_or_none()


def classify(exc: BaseException, timeout: float) -> DeliveryError:
    """What a failed ``chat.postMessage`` means: refused (nothing posted) or unknown."""
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, SlackApiError):
        status = int(getattr(exc.response, "status_code", 200) or 200)
        if status == 429:
            after = (exc.response.headers or {}).get("Retry-After") or (
                exc.response.headers or {}
            ).get("retry-after")
            return DeliveryError(
                "Slack rate-limited the post (HTTP 429)",
                code="ratelimited",
                maybe_posted=False,
                retry_after=float(after) if after else None,
            )
        if status >= 500:
            return DeliveryError(
                f"Slack answered HTTP {status}", code=f"http_{status}", maybe_posted=True
            )
        error = str(exc.response.get("error") or "unknown_error")
        return DeliveryError(
            f"Slack refused the post: {error}", code=error, maybe_posted=error in UNCERTAIN_ERRORS
        )
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError | socket.timeout):
        return DeliveryError(
            f"Slack did not answer within {timeout:g} s", code="timeout", maybe_posted=True
        )
    if isinstance(reason, ConnectionRefusedError | socket.gaierror):
        return DeliveryError(
            f"Slack could not be reached ({type(reason).__name__})",
            code="unreachable",
            maybe_posted=False,
        )
    return DeliveryError(
        f"the post failed ({type(exc).__name__})", code=type(exc).__name__, maybe_posted=True
    )


def find_posted(client: Any, channel: str, week: str, settings: Settings) -> dict | None:
    """The digest for ``week`` if it is in ``channel``'s history since the week began."""
    from portfolio.weeks import monday_of

    start = datetime.combine(monday_of(week), datetime.min.time(), settings.tz) - timedelta(days=1)
    cursor = None
    for _page in range(10):  # 10 × 200 messages: far more than a channel gets in a week
        response = client.conversations_history(
            channel=channel,
            oldest=f"{start.timestamp():.6f}",
            limit=200,
            include_all_metadata=True,
            **({"cursor": cursor} if cursor else {}),
        )
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if metadata.get("event_type") == DIGEST_EVENT and payload.get("week") == week:
                return dict(message)
        cursor = (response.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            break
    return None


def post_digest(
    *,
    client: Any,
    channel: str,
    week: str | None = None,
    settings: Settings | None = None,
    engine: Engine | None = None,
) -> str:
    """Post the digest for ``week`` to ``channel`` once.

    Returns "posted", "reconciled" (an earlier attempt had posted it: found in the
    history), "already_posted" or "in_progress" (another caller holds the run). Raises
    DeliveryError when it was not posted (the run is then ``failed`` or ``unknown``).
    ``client`` must not retry on its own (``make_client(retries=False)``).
    """
    from bot.blocks.digest import build_digest_blocks
    from jobs.chart import render_chart
    from jobs.digest import build_digest
    from portfolio.weeks import current_week

    settings = settings or get_settings()
    engine = engine or get_engine()
    week = week or current_week(settings.tz)
    taken = claim_run("digest", channel, week, engine, recover_sending=True)
    if taken is None:
        state = run_state("digest", channel, week, engine)
        outcome = "already_posted" if state and state.status == "posted" else "in_progress"
        log.info("digest for %s in %s: %s", week, channel, outcome.replace("_", " "))
        return outcome
    run_id = taken.run_id
    if taken.reconcile:
        try:
            found = find_posted(client, channel, week, settings)
        except Exception as exc:
            failure = classify(exc, settings.slack_timeout)
            failure = DeliveryError(
                f"the channel history could not be read to check for an earlier post "
                f"({failure.reason})",
                code=failure.code,
                maybe_posted=True,
                retry_after=failure.retry_after,
            )
            finish(run_id, engine, status="unknown", error=failure.reason[:500])
            raise failure from None
        if found is not None:
            finish(
                run_id,
                engine,
                status="posted",
                message_ts=found.get("ts"),
                headline=str(found.get("text") or "")[:500],
                posted_at=utcnow(),
                error=None,
            )
            log.info("digest for %s was already in %s: run marked posted", week, channel)
            return "reconciled"
    try:
        digest = build_digest(week=week, settings=settings, engine=engine)
        blocks = build_digest_blocks(digest)
    except Exception as exc:
        finish(run_id, engine, status="failed", error=f"building failed: {exc}"[:500])
        raise
    finish(run_id, engine, status="sending", claimed_at=utcnow())
    try:
        response = client.chat_postMessage(
            channel=channel,
            blocks=blocks,
            text=digest.headline,
            metadata={
                "event_type": DIGEST_EVENT,
                "event_payload": {"week": week, "channel": channel, "run": run_id},
            },
        )
        ts = response["ts"]
    except Exception as exc:
        failure = classify(exc, settings.slack_timeout)
        status = "unknown" if failure.maybe_posted else "failed"
        finish(run_id, engine, status=status, error=failure.reason[:500])
        log.warning("digest for %s not posted (%s): %s", week, status, failure.reason)
        raise failure from None
    # The digest is out: from here on nothing may mark the run failed, or a retry would
    # post it twice. A chart that cannot be uploaded is logged and left out.
    try:
        png = render_chart(digest)
        if png:
            client.files_upload_v2(
                channel=response.get("channel", channel),
                thread_ts=ts,
                file=png,
                filename=f"spinebot-digest-{week}.png",
                title=f"Top movers: weekly net value to {digest.reported_week}",
                alt_txt="Line chart of the weekly net value of the use cases that moved most",
            )
    except Exception:
        log.warning("the digest for %s was posted without its chart", week, exc_info=True)
    finish(
        run_id,
        engine,
        status="posted",
        message_ts=ts,
        headline=digest.headline[:500],
        posted_at=utcnow(),
        error=None,
    )
    return "posted"


def list_runs(engine: Engine | None = None, limit: int = 20) -> list[DigestRun]:
    """The most recent runs (digests and nudges), newest first, for `digest --status`."""
    with session_scope(engine or get_engine()) as session:
        return list(
            session.execute(
                select(DigestRun)
                .order_by(_RUN.week.desc(), _RUN.kind, _RUN.claimed_at.desc())
                .limit(limit)
            ).scalars()
        )
