"""Events API de-duplication by ``event_id``.

Slack redelivers an event when it did not see a 200 within 3 s (``X-Slack-Retry-Num``),
and Bolt handles every delivery. The first delivery inserts the id into ``slack_event``
(a primary key, so two replicas racing on the same id cannot both win); later ones are
acknowledged and dropped. A small in-process cache answers the common repeat without a
database round trip.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from datetime import timedelta

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.models import SlackEvent
from spinebot.db import get_engine, session_scope
from spinebot.models import utcnow

log = logging.getLogger(__name__)

KEEP = timedelta(days=2)


class EventDeduper:
    def __init__(self, engine: Engine | None = None, cache_size: int = 10_000) -> None:
        self._engine = engine
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self._inserts = 0

    @property
    def engine(self) -> Engine:
        return self._engine or get_engine()

    def first_time(self, event_id: str) -> bool:
        """True exactly once per ``event_id`` across threads, processes and replicas."""
        with self._lock:
            if event_id in self._seen:
                return False
            self._seen[event_id] = None
            if len(self._seen) > self._cache_size:
                self._seen.popitem(last=False)
        try:
            with session_scope(self.engine, write=True) as session:
                session.add(SlackEvent(event_id=event_id))
        except IntegrityError:
            return False
        except Exception:
            # Not recorded (database down?): forget it here too, so Slack's retry of this
            # delivery is handled instead of being dropped as a duplicate.
            with self._lock:
                self._seen.pop(event_id, None)
            raise
        self._inserts += 1
        if self._inserts % 1000 == 0:
            self.prune()
        return True

    def prune(self) -> int:
        """Forget ids older than two days (Slack stops retrying long before)."""
        cutoff = utcnow() - KEEP
        with session_scope(self.engine, write=True) as session:
            result = session.execute(delete(SlackEvent).where(col(SlackEvent.received_at) < cutoff))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
