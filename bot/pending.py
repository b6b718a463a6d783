"""Questions recorded before they are answered, and claimed by whoever answers them.

A question Slack delivered is written to ``pending_question`` before the ack returns;
the answer workers claim it, write the answer into the placeholder and mark it done.
A claim is a lease: its holder renews ``claimed_at`` while it works, so a claim whose
worker died (SIGKILL, OOM, a crashed replica) goes stale and any replica's sweeper
takes it over. ``attempts`` counts claims; past :data:`MAX_ATTEMPTS` the question gets
an apology with a reference id instead of another try. The unique ``event_id`` is what
keeps one delivery from being answered twice.

Why a table and not a job-queue library: the queue must live in the database Spinebot
already has, the embedded SQLite by default and Postgres when several replicas run, and
no maintained Python job queue covers both (huey has no Postgres storage; procrastinate
and pgqueuer are Postgres-only; Celery/RQ/Dramatiq need a broker). So the record stays
small and claims use the databases' own locking: ``SELECT … FOR UPDATE SKIP LOCKED`` on
Postgres, and on SQLite a write transaction (``BEGIN IMMEDIATE``) with an atomic
``UPDATE … WHERE status = 'pending'``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.models import PendingQuestion
from spinebot.db import get_engine, is_sqlite, session_scope
from spinebot.models import utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
# A question whose placeholder was never posted (the web process died right after the
# ack) is left to that process this long, then answered by a sweeper in a new message.
UNSTARTED_AFTER = timedelta(seconds=20)

KEEP_FINISHED = timedelta(days=7)  # then a finished record is deleted (the qa log stays)

PENDING, CLAIMED, DONE, FAILED = "pending", "claimed", "done", "failed"


class PendingStore:
    def __init__(self, engine: Engine | None = None) -> None:
        self._engine = engine

    @property
    def engine(self) -> Engine:
        return self._engine or get_engine()

    # --- the web process ---------------------------------------------------------------

    def record(self, row: PendingQuestion) -> int | None:
        """Insert the question; None when its ``event_id`` was recorded before."""
        try:
            with session_scope(self.engine, write=True) as session:
                session.add(row)
                session.flush()
                assert row.id is not None
                return row.id
        except IntegrityError:
            return None

    def has_event(self, event_id: str) -> bool:
        with session_scope(self.engine) as session:
            found = session.execute(
                select(col(PendingQuestion.id)).where(col(PendingQuestion.event_id) == event_id)
            ).first()
            return found is not None

    def set_placeholder(self, question_id: int, channel_id: str, ts: str) -> None:
        with session_scope(self.engine, write=True) as session:
            session.execute(
                update(PendingQuestion)
                .where(col(PendingQuestion.id) == question_id)
                .values(placeholder_ts=ts, channel_id=channel_id)
            )

    # --- answer workers ----------------------------------------------------------------

    def claim(self, question_id: int, worker: str) -> PendingQuestion | None:
        """Take one pending question; None when someone else has it (or it is done)."""
        with session_scope(self.engine, write=True) as session:
            result = session.execute(
                update(PendingQuestion)
                .where(col(PendingQuestion.id) == question_id)
                .where(col(PendingQuestion.status) == PENDING)
                .values(
                    status=CLAIMED,
                    claimed_by=worker,
                    claimed_at=utcnow(),
                    attempts=col(PendingQuestion.attempts) + 1,
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return None
            return session.get(PendingQuestion, question_id)

    def claim_next(self, worker: str, *, lease: timedelta) -> PendingQuestion | None:
        """The oldest question ready to answer, or one whose claim went stale."""
        now = utcnow()
        ready = or_(
            col(PendingQuestion.placeholder_ts).is_not(None),
            col(PendingQuestion.response_url).is_not(None),
            col(PendingQuestion.created_at) < now - UNSTARTED_AFTER,
        )
        waiting = (col(PendingQuestion.status) == PENDING) & ready
        stale = (col(PendingQuestion.status) == CLAIMED) & (
            col(PendingQuestion.claimed_at) < now - lease
        )
        with session_scope(self.engine, write=True) as session:
            query = (
                select(col(PendingQuestion.id), col(PendingQuestion.status))
                .where(or_(waiting, stale))
                .order_by(col(PendingQuestion.id))
                .limit(1)
            )
            if not is_sqlite(self.engine):  # SQLite: BEGIN IMMEDIATE already serialises
                query = query.with_for_update(skip_locked=True)
            found = session.execute(query).first()
            if found is None:
                return None
            question_id, status = found
            if status == CLAIMED:
                log.warning("taking over question %s (its claim went stale)", question_id)
            # The row is locked (FOR UPDATE, or SQLite's write lock) until the commit.
            result = session.execute(
                update(PendingQuestion)
                .where(col(PendingQuestion.id) == question_id)
                .where(col(PendingQuestion.status) == status)
                .values(
                    status=CLAIMED,
                    claimed_by=worker,
                    claimed_at=now,
                    attempts=col(PendingQuestion.attempts) + 1,
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return None
            return session.get(PendingQuestion, question_id)

    def renew(self, worker: str) -> int:
        """Extend the lease on every question ``worker`` is answering."""
        with session_scope(self.engine, write=True) as session:
            result = session.execute(
                update(PendingQuestion)
                .where(col(PendingQuestion.claimed_by) == worker)
                .where(col(PendingQuestion.status) == CLAIMED)
                .values(claimed_at=utcnow())
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def finish(
        self, question_id: int, worker: str, *, failed: bool = False, reference: str | None = None
    ) -> bool:
        with session_scope(self.engine, write=True) as session:
            result = session.execute(
                update(PendingQuestion)
                .where(col(PendingQuestion.id) == question_id)
                .where(col(PendingQuestion.claimed_by) == worker)
                .where(col(PendingQuestion.status) == CLAIMED)
                .values(
                    status=FAILED if failed else DONE, reference=reference, finished_at=utcnow()
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    def release(self, worker: str, question_id: int | None = None) -> int:
        """Hand back what ``worker`` still holds (it stopped, or died): pending again."""
        query = (
            update(PendingQuestion)
            .where(col(PendingQuestion.claimed_by) == worker)
            .where(col(PendingQuestion.status) == CLAIMED)
        )
        if question_id is not None:
            query = query.where(col(PendingQuestion.id) == question_id)
        with session_scope(self.engine, write=True) as session:
            result = session.execute(query.values(status=PENDING, claimed_by=None, claimed_at=None))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def prune(self, keep: timedelta = KEEP_FINISHED) -> int:
        """Forget answered and failed questions older than ``keep``."""
        with session_scope(self.engine, write=True) as session:
            result = session.execute(
                delete(PendingQuestion)
                .where(col(PendingQuestion.status).in_([DONE, FAILED]))
                .where(col(PendingQuestion.created_at) < utcnow() - keep)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def get(self, question_id: int) -> PendingQuestion | None:
        with session_scope(self.engine) as session:
            return session.get(PendingQuestion, question_id)

    def unfinished(self, older_than: datetime | None = None) -> list[PendingQuestion]:
        with session_scope(self.engine) as session:
            query = select(PendingQuestion).where(
                col(PendingQuestion.status).in_([PENDING, CLAIMED])
            )
            if older_than is not None:
                query = query.where(col(PendingQuestion.created_at) < older_than)
            return list(session.execute(query).scalars())
