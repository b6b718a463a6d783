"""The portfolio service: use cases, votes, weekly metrics and the audit trail.

Plain Python over SQL, used by Slack listeners, the console, the CLI and the digest
job alike. The rules it keeps, whoever calls it:

* Anyone registers, votes and lists. Only the owner or a spine admin changes a use
  case (phase, metrics, drop, restore, adopt, snooze, edit). A refused change raises
  ``PermissionDenied`` and is still written to the audit trail, in a transaction of its
  own, so attempts are visible in ``history``.
* Every change writes an ``AuditEvent`` with the state before and after, in the same
  transaction as the change: there is never a change without its record.
* Concurrency is the database's job. One vote per person is the unique constraint
  (``INSERT … ON CONFLICT DO NOTHING``); a metric report is an upsert on (use case,
  week) that replaces only the metrics given. On SQLite every write transaction takes
  the write lock up front (``BEGIN IMMEDIATE``), on Postgres a change locks the use-case
  row; transient lock or deadlock errors are retried a few times.
"""

from __future__ import annotations

import builtins
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from portfolio import weeks as wk
from portfolio.commands import (
    MAX_ID,
    MAX_SNOOZE_WEEKS,
    USAGE,
    check_description,
    check_metric_values,
    check_phase,
    check_reason,
    check_text,
    check_title,
    check_unit,
    check_week,
)
from portfolio.errors import InvalidInput, NotFound, PermissionDenied
from portfolio.models import (
    METRIC_NAMES,
    TITLE_MAX,
    AuditEvent,
    MetricReport,
    RiskTier,
    Status,
    UseCase,
    UseCaseUnit,
    Vote,
)
from portfolio.trends import net_value
from spinebot.db import get_engine, is_sqlite, session_scope
from spinebot.models import as_utc, utcnow

if TYPE_CHECKING:
    import numpy as np

    from spinebot.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

CARD_WEEKS = 4
MAX_UNITS = 50
MAX_PROCESSES = 20
ACTOR_MAX = 32
_RETRIES = 6
_VOTE_ACTIONS = ("vote", "unvote")

_VOTE_TABLE = Vote.__table__  # type: ignore[attr-defined]
_METRIC_TABLE = MetricReport.__table__  # type: ignore[attr-defined]


# --- what callers get back ---------------------------------------------------------


@dataclass
class WeekValue:
    """One reported ISO week; a metric is None when it was not reported that week."""

    week: str
    hours_saved: float | None
    cost_saved: float | None
    revenue: float | None
    llm_cost: float | None
    users: int | None
    net_value: float


@dataclass
class UseCaseCard:
    id: int
    ref: str
    title: str
    description: str
    owner_id: str
    units: list[str]
    processes: list[str]
    phase: str
    status: str
    drop_reason: str | None
    risk_tier: str
    votes: int
    voted: bool | None  # whether the viewer voted (None: no viewer)
    weeks: list[WeekValue]  # last 4 reported weeks, oldest first
    net_value_latest: float | None
    trend: str | None
    trend_rule: str | None
    created_at: datetime
    updated_at: datetime | None = None
    snoozed_until: date | None = None


@dataclass
class AuditEntry:
    at: datetime
    actor_id: str
    action: str
    allowed: bool
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str
    use_case_id: int | None = None


class _Refused(Exception):
    """Raised inside a transaction to roll it back before the refusal is recorded."""


# --- the service -------------------------------------------------------------------


class PortfolioService:
    """Thread-safe: each call opens its own session; one instance serves a process."""

    def __init__(self, settings: Settings | None = None, engine: Engine | None = None) -> None:
        if settings is None:
            from spinebot.settings import get_settings

            settings = get_settings()
        self.settings = settings
        self.engine = engine or get_engine(settings.sqlalchemy_url)
        self._sqlite = is_sqlite(self.engine)
        self._vectors: dict[int, tuple[str, Any]] = {}
        self._vectors_lock = threading.Lock()

    # --- permissions ----------------------------------------------------------------

    def is_admin(self, user_id: str) -> bool:
        return bool(user_id) and user_id in self.settings.spine_admins

    def may_change(self, user_id: str, card: UseCaseCard) -> bool:
        """Whether ``user_id`` may change ``card`` (for showing owner-only buttons)."""
        return user_id == card.owner_id or self.is_admin(user_id)

    # --- registering ------------------------------------------------------------------

    def register(
        self,
        *,
        actor: str,
        title: str,
        description: str = "",
        units: Iterable[str] = (),
        processes: Iterable[str] = (),
        risk_tier: str = "minimal",
    ) -> UseCaseCard:
        actor = _check_actor(actor)
        usage = USAGE["register"]
        title = check_title(title, usage)
        description = check_description(description, usage)
        unit_names = _unique(check_unit(u, usage) for u in units if u and u.strip())
        if len(unit_names) > MAX_UNITS:
            raise InvalidInput(f"At most {MAX_UNITS} business units.", usage=usage)
        process_names = _unique(
            check_text(p, what="process", max_len=TITLE_MAX, usage=usage, single_line=True)
            for p in processes
            if p and p.strip()
        )
        if len(process_names) > MAX_PROCESSES:
            raise InvalidInput(f"At most {MAX_PROCESSES} processes.", usage=usage)
        risk = (risk_tier or RiskTier.minimal.value).strip().lower()
        if risk not in {t.value for t in RiskTier}:
            raise InvalidInput(
                f"'{risk[:20]}' is not a risk tier: use minimal, limited or high.", usage=usage
            )

        def work(session: Session) -> int:
            now = utcnow()
            use_case = UseCase(
                title=title,
                description=description,
                owner_id=actor,
                processes=process_names,
                risk_tier=risk,
                created_at=now,
                updated_at=now,
            )
            session.add(use_case)
            session.flush()
            assert use_case.id is not None
            for unit in unit_names:
                session.add(
                    UseCaseUnit(
                        use_case_id=use_case.id, unit=unit, adopted_by=actor, adopted_at=now
                    )
                )
            session.flush()
            session.add(
                AuditEvent(
                    use_case_id=use_case.id,
                    actor_id=actor,
                    action="register",
                    before=None,
                    after=self._snapshot(session, use_case),
                    at=now,
                )
            )
            return use_case.id

        use_case_id = self._transact(work)
        log.info("use case UC-%s registered by %s", use_case_id, actor)
        return self.get(use_case_id, viewer=actor)

    def find_similar(
        self, *, title: str, description: str = "", limit: int = 3, threshold: float = 0.6
    ) -> list[tuple[UseCaseCard, float]]:
        """Active use cases whose title and description mean much the same, best first.

        Cosine similarity of the same sentence embeddings the knowledge index uses.
        Vectors are cached per use case and text, so only new or edited ones are embedded.
        """
        query = _doc_text(title, description)
        if not query.strip() or limit <= 0:
            return []
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(UseCase.id, UseCase.title, UseCase.description).where(  # type: ignore[call-overload]
                    UseCase.status == Status.active.value
                )
            ).all()
        if not rows:
            return []
        import numpy as np

        texts = {row[0]: _doc_text(row[1], row[2]) for row in rows}
        matrix = self._vectors_for(texts)
        query_vector = _embed([query])[0]
        scores = matrix @ query_vector
        ids = list(texts)
        ranked = sorted(
            ((ids[i], float(scores[i])) for i in np.flatnonzero(scores >= threshold)),
            key=lambda item: -item[1],
        )[:limit]
        if not ranked:
            return []
        with session_scope(self.engine) as session:
            by_id = {
                uc.id: uc
                for uc in session.exec(
                    orm_select(UseCase).where(UseCase.id.in_([i for i, _ in ranked]))  # type: ignore[union-attr]
                ).all()
            }
            cards = {c.id: c for c in self._cards(session, list(by_id.values()), None)}
        return [(cards[i], round(min(score, 1.0), 4)) for i, score in ranked if i in cards]

    def _vectors_for(self, texts: dict[int, str]) -> np.ndarray:
        import numpy as np

        with self._vectors_lock:
            missing = [i for i, t in texts.items() if self._vectors.get(i, ("",))[0] != t]
        if missing:
            vectors = _embed([texts[i] for i in missing])
            with self._vectors_lock:
                for i, vector in zip(missing, vectors, strict=True):
                    self._vectors[i] = (texts[i], vector)
        with self._vectors_lock:
            return np.stack([self._vectors[i][1] for i in texts])

    # --- reading --------------------------------------------------------------------

    def get(self, use_case_id: int, *, viewer: str | None = None) -> UseCaseCard:
        with session_scope(self.engine) as session:
            use_case = self._load(session, use_case_id)
            return self._cards(session, [use_case], viewer)[0]

    def list(
        self, *, filter: str | None = None, viewer: str | None = None, limit: int = 20
    ) -> builtins.list[UseCaseCard]:
        """Active use cases, most voted first; ``filter`` narrows them down.

        ``filter``: a phase (``pilot``, ``production``, ``platform``), ``dropped``,
        ``mine`` (the viewer's own, any status), ``active``, ``all``, or a business unit.
        """
        key = (filter or "").strip()
        lowered = key.lower()
        stmt = self._ranked()
        if not key or lowered == "active":
            stmt = stmt.where(UseCase.status == Status.active.value)
        elif lowered == "all":
            pass
        elif lowered == "dropped":
            stmt = stmt.where(UseCase.status == Status.dropped.value)
        elif lowered in ("pilot", "production", "platform"):
            stmt = stmt.where(UseCase.status == Status.active.value, UseCase.phase == lowered)
        elif lowered == "mine":
            if not viewer:
                raise InvalidInput("`list mine` needs to know who is asking.", usage=USAGE["list"])
            stmt = stmt.where(UseCase.owner_id == viewer)
        else:
            unit = check_unit(key, USAGE["list"])
            units = select(col(UseCaseUnit.use_case_id)).where(
                func.lower(UseCaseUnit.unit) == unit.lower()
            )
            stmt = stmt.where(
                UseCase.status == Status.active.value,
                UseCase.id.in_(units),  # type: ignore[union-attr]
            )
        return self._select_cards(stmt, viewer, limit)

    def owned_by(self, user_id: str, *, limit: int = 10) -> builtins.list[UseCaseCard]:
        """The user's use cases, active ones first, then most voted."""
        stmt = self._ranked(status_first=True).where(UseCase.owner_id == user_id)
        return self._select_cards(stmt, user_id, limit)

    def top_voted(self, *, limit: int = 5) -> builtins.list[UseCaseCard]:
        stmt = self._ranked().where(UseCase.status == Status.active.value)
        return self._select_cards(stmt, None, limit)

    def mentioned_in(self, text: str, *, limit: int = 3) -> builtins.list[UseCaseCard]:
        """Use cases a question names, by reference ("UC-12") or by title."""
        if not text or limit <= 0:
            return []
        wanted: builtins.list[int] = []
        for match in re.finditer(r"\bUC[-_ ]?(\d{1,10})\b", text, re.IGNORECASE):
            number = int(match.group(1))
            if 1 <= number <= MAX_ID and number not in wanted:
                wanted.append(number)
        lowered = " ".join(text.lower().split())
        with session_scope(self.engine) as session:
            titles = session.exec(
                select(UseCase.id, UseCase.title).where(  # type: ignore[call-overload]
                    UseCase.status == Status.active.value
                )
            ).all()
            named = sorted(
                (
                    (uc_id, title)
                    for uc_id, title in titles
                    if _nameable(title)
                    and re.search(
                        r"(?<!\w)" + re.escape(" ".join(title.lower().split())) + r"(?!\w)",
                        lowered,
                    )
                ),
                key=lambda item: -len(item[1]),
            )
            wanted += [uc_id for uc_id, _ in named if uc_id not in wanted]
            wanted = wanted[:limit]
            if not wanted:
                return []
            found = {
                uc.id: uc
                for uc in session.exec(
                    orm_select(UseCase).where(UseCase.id.in_(wanted))  # type: ignore[union-attr]
                ).all()
            }
            ordered = [found[i] for i in wanted if i in found]
            return self._cards(session, ordered, None)

    def history(
        self, use_case_id: int, *, limit: int = 30, include_votes: bool = False
    ) -> builtins.list[AuditEntry]:
        """The audit trail of one use case, newest first (votes left out unless asked)."""
        with session_scope(self.engine) as session:
            self._load(session, use_case_id)
            stmt = orm_select(AuditEvent).where(AuditEvent.use_case_id == use_case_id)
            if not include_votes:
                stmt = stmt.where(AuditEvent.action.not_in(_VOTE_ACTIONS))  # type: ignore[attr-defined]
            stmt = stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)  # type: ignore[attr-defined,union-attr]
            return [
                AuditEntry(
                    at=as_utc(event.at) or event.at,
                    actor_id=event.actor_id,
                    action=event.action,
                    allowed=event.allowed,
                    before=event.before,
                    after=event.after,
                    detail=event.detail,
                    use_case_id=event.use_case_id,
                )
                for event in session.exec(stmt).all()
            ]

    # --- votes ----------------------------------------------------------------------

    def vote(self, *, actor: str, use_case_id: int, reason: str | None = None) -> tuple[bool, int]:
        """(new_vote, total). Voting again keeps one vote and replaces the reason if given."""
        actor = _check_actor(actor)
        reason = check_reason(reason, usage=USAGE["vote"], required=False) or None

        def work(session: Session) -> tuple[bool, int]:
            use_case = self._load(session, use_case_id)
            if use_case.status == Status.dropped.value:
                raise InvalidInput(
                    f"{use_case.ref} is dropped, so it takes no votes; its owner or a spine "
                    "admin can restore it.",
                    usage=USAGE["vote"],
                )
            now = utcnow()
            conn = session.connection()
            inserted = conn.execute(
                self._insert(_VOTE_TABLE)
                .values(
                    use_case_id=use_case_id,
                    user_id=actor,
                    reason=reason,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["use_case_id", "user_id"])
                .returning(_VOTE_TABLE.c.id)
            ).first()
            new = inserted is not None
            changed = new
            if not new and reason is not None:
                result = conn.execute(
                    update(_VOTE_TABLE)
                    .where(
                        _VOTE_TABLE.c.use_case_id == use_case_id,
                        _VOTE_TABLE.c.user_id == actor,
                        _VOTE_TABLE.c.reason.is_distinct_from(reason),
                    )
                    .values(reason=reason, updated_at=now)
                )
                changed = result.rowcount > 0
            if changed:
                session.add(
                    AuditEvent(
                        use_case_id=use_case_id,
                        actor_id=actor,
                        action="vote",
                        after={"reason": reason},
                        detail="new vote" if new else "reason changed",
                        at=now,
                    )
                )
            return new, self._vote_count(session, use_case_id)

        return self._transact(work)

    def unvote(self, *, actor: str, use_case_id: int) -> tuple[bool, int]:
        """(removed, total)."""
        actor = _check_actor(actor)

        def work(session: Session) -> tuple[bool, int]:
            self._load(session, use_case_id)
            result = session.connection().execute(
                delete(_VOTE_TABLE).where(
                    _VOTE_TABLE.c.use_case_id == use_case_id, _VOTE_TABLE.c.user_id == actor
                )
            )
            removed = result.rowcount > 0
            if removed:
                session.add(AuditEvent(use_case_id=use_case_id, actor_id=actor, action="unvote"))
            return removed, self._vote_count(session, use_case_id)

        return self._transact(work)

    # --- metrics --------------------------------------------------------------------

    def report_metrics(
        self,
        *,
        actor: str,
        use_case_id: int,
        values: dict[str, float],
        week: str | None = None,
    ) -> WeekValue:
        """Record measured value for one ISO week (default: the current one).

        Metrics given replace the ones already reported for that week; the others stay.
        """
        actor = _check_actor(actor)
        usage = USAGE["metric"]
        checked = check_metric_values(values, usage)
        current = wk.current_week(self.settings.tz)
        week = check_week(week, usage) if week else current
        if wk.weeks_between(current, week) > 0:
            raise InvalidInput(
                f"{week} has not started yet (this is {current}): report weeks that happened.",
                usage=usage,
            )
        row: dict[str, float | int] = {
            name: int(value) if name == "users" else value for name, value in checked.items()
        }
        detail = f"{week}: " + ", ".join(f"{k}={v:g}" for k, v in row.items())

        def work(session: Session) -> WeekValue:
            use_case = self._load(session, use_case_id, lock=True)
            self._require_change(actor, use_case)
            if use_case.status == Status.dropped.value:
                raise InvalidInput(
                    f"{use_case.ref} is dropped; restore it before reporting metrics.",
                    usage=usage,
                )
            conn = session.connection()
            before = self._metric_row(conn, use_case_id, week)
            now = utcnow()
            stmt = self._insert(_METRIC_TABLE).values(
                use_case_id=use_case_id,
                week=week,
                week_start=wk.monday_of(week),
                reported_by=actor,
                reported_at=now,
                **row,
            )
            stmt = stmt.on_conflict_do_update(
                index_elements=["use_case_id", "week"],
                set_={**row, "reported_by": actor, "reported_at": now},
            )
            conn.execute(stmt)
            after = self._metric_row(conn, use_case_id, week)
            assert after is not None
            session.add(
                AuditEvent(
                    use_case_id=use_case_id,
                    actor_id=actor,
                    action="metric",
                    before=before,
                    after=after,
                    detail=detail,
                    at=now,
                )
            )
            return self._week_value(after)

        try:
            return self._transact(work)
        except _Refused:
            raise self._refuse(actor, use_case_id, "metric", detail) from None

    # --- changes by the owner or an admin ---------------------------------------------

    def set_phase(self, *, actor: str, use_case_id: int, phase: str) -> UseCaseCard:
        phase = check_phase(phase)

        def apply(session: Session, use_case: UseCase) -> str:
            _require_active(use_case, "changing its phase", USAGE["phase"])
            if use_case.phase == phase:
                raise InvalidInput(f"{use_case.ref} is already in {phase}.", usage=USAGE["phase"])
            previous, use_case.phase = use_case.phase, phase
            return f"{previous} → {phase}"

        return self._change(
            actor=actor, use_case_id=use_case_id, action="phase", apply=apply, attempt=phase
        )

    def drop(self, *, actor: str, use_case_id: int, reason: str) -> UseCaseCard:
        reason = check_reason(reason, usage=USAGE["drop"], required=True)

        def apply(session: Session, use_case: UseCase) -> str:
            if use_case.status == Status.dropped.value:
                raise InvalidInput(f"{use_case.ref} is already dropped.", usage=USAGE["restore"])
            use_case.status = Status.dropped.value
            use_case.drop_reason = reason
            return reason

        return self._change(
            actor=actor, use_case_id=use_case_id, action="drop", apply=apply, attempt=reason
        )

    def restore(self, *, actor: str, use_case_id: int) -> UseCaseCard:
        def apply(session: Session, use_case: UseCase) -> str:
            if use_case.status != Status.dropped.value:
                raise InvalidInput(f"{use_case.ref} is not dropped.", usage=USAGE["restore"])
            use_case.status = Status.active.value
            use_case.drop_reason = None
            return ""

        return self._change(actor=actor, use_case_id=use_case_id, action="restore", apply=apply)

    def adopt(self, *, actor: str, use_case_id: int, unit: str) -> UseCaseCard:
        """Record that one more business unit runs the use case."""
        unit = check_unit(unit)

        def apply(session: Session, use_case: UseCase) -> str:
            _require_active(use_case, "adding units", USAGE["adopt"])
            existing = self._units(session, [use_case_id]).get(use_case_id, [])
            if unit.lower() in {u.lower() for u in existing}:
                raise InvalidInput(f"{unit} already runs {use_case.ref}.", usage=USAGE["adopt"])
            if len(existing) >= MAX_UNITS:
                raise InvalidInput(
                    f"{use_case.ref} already has {MAX_UNITS} units.", usage=USAGE["adopt"]
                )
            session.add(UseCaseUnit(use_case_id=use_case_id, unit=unit, adopted_by=actor))
            session.flush()
            return unit

        return self._change(
            actor=actor, use_case_id=use_case_id, action="adopt", apply=apply, attempt=unit
        )

    def snooze(self, *, actor: str, use_case_id: int, weeks: int = 1) -> UseCaseCard:
        """Keep the use case off the digest's drop list until ``weeks`` weeks from now."""
        if isinstance(weeks, bool) or not isinstance(weeks, int):
            raise InvalidInput("Snooze for a whole number of weeks.", usage=USAGE["snooze"])
        if not 1 <= weeks <= MAX_SNOOZE_WEEKS:
            raise InvalidInput(f"Snooze for 1 to {MAX_SNOOZE_WEEKS} weeks.", usage=USAGE["snooze"])
        until = wk.monday_of(wk.shift(wk.current_week(self.settings.tz), weeks))

        def apply(session: Session, use_case: UseCase) -> str:
            _require_active(use_case, "snoozing it", USAGE["snooze"])
            use_case.snoozed_until = until
            return f"until {until.isoformat()}"

        return self._change(
            actor=actor,
            use_case_id=use_case_id,
            action="snooze",
            apply=apply,
            attempt=f"{weeks} week(s)",
        )

    def edit(
        self,
        *,
        actor: str,
        use_case_id: int,
        title: str | None = None,
        description: str | None = None,
        processes: Iterable[str] | None = None,
        risk_tier: str | None = None,
    ) -> UseCaseCard:
        """Change the text fields or the risk tier; fields left None stay as they are."""
        usage = USAGE["register"]
        new_title = check_title(title, usage) if title is not None else None
        new_description = check_description(description, usage) if description is not None else None
        new_processes = (
            _unique(
                check_text(p, what="process", max_len=TITLE_MAX, usage=usage, single_line=True)
                for p in processes
                if p and p.strip()
            )
            if processes is not None
            else None
        )
        new_risk = risk_tier.strip().lower() if risk_tier is not None else None
        if new_risk is not None and new_risk not in {t.value for t in RiskTier}:
            raise InvalidInput("Risk tier is minimal, limited or high.", usage=usage)

        def apply(session: Session, use_case: UseCase) -> str:
            changed = []
            if new_title is not None and new_title != use_case.title:
                use_case.title = new_title
                changed.append("title")
            if new_description is not None and new_description != use_case.description:
                use_case.description = new_description
                changed.append("description")
            if new_processes is not None and new_processes != list(use_case.processes):
                use_case.processes = new_processes
                changed.append("processes")
            if new_risk is not None and new_risk != use_case.risk_tier:
                use_case.risk_tier = new_risk
                changed.append("risk tier")
            if not changed:
                raise InvalidInput(f"Nothing to change on {use_case.ref}.", usage=usage)
            return ", ".join(changed)

        return self._change(actor=actor, use_case_id=use_case_id, action="edit", apply=apply)

    # --- internals: transactions ------------------------------------------------------

    def _transact(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in one write transaction, retrying transient lock conflicts."""
        for attempt in range(_RETRIES):
            try:
                with session_scope(self.engine, write=True) as session:
                    return work(session)
            except DBAPIError as exc:
                if attempt + 1 >= _RETRIES or not _transient(exc):
                    raise
                log.info("write conflict (%s); retrying", type(exc.orig).__name__)
                time.sleep(0.02 * 2**attempt * (1 + random.random()))  # noqa: S311
        raise AssertionError("unreachable")

    def _change(
        self,
        *,
        actor: str,
        use_case_id: int,
        action: str,
        apply: Callable[[Session, UseCase], str],
        attempt: str = "",
    ) -> UseCaseCard:
        """Lock, check permission, apply, and audit one change; refusals are audited too."""
        actor = _check_actor(actor)

        def work(session: Session) -> None:
            use_case = self._load(session, use_case_id, lock=True)
            self._require_change(actor, use_case)
            before = self._snapshot(session, use_case)
            detail = apply(session, use_case)
            now = utcnow()
            use_case.updated_at = now
            session.add(use_case)
            session.flush()
            session.add(
                AuditEvent(
                    use_case_id=use_case_id,
                    actor_id=actor,
                    action=action,
                    before=before,
                    after=self._snapshot(session, use_case),
                    detail=detail[:500],
                    at=now,
                )
            )

        try:
            self._transact(work)
        except _Refused:
            raise self._refuse(actor, use_case_id, action, attempt) from None
        log.info("UC-%s %s by %s", use_case_id, action, actor)
        return self.get(use_case_id, viewer=actor)

    def _require_change(self, actor: str, use_case: UseCase) -> None:
        if actor != use_case.owner_id and not self.is_admin(actor):
            raise _Refused()

    def refuse(self, *, actor: str, use_case_id: int, action: str, why: str) -> PermissionDenied:
        """Record a refusal decided by a caller's own policy (e.g. admin-only digest
        buttons) in the audit trail; returns the error to show."""
        self._refuse(actor, use_case_id, action, why)
        return PermissionDenied(why)

    def _refuse(self, actor: str, use_case_id: int, action: str, attempt: str) -> PermissionDenied:
        """Record the refused attempt in its own transaction; the error to raise."""
        detail = (
            f"refused: not the owner or a spine admin ({attempt})"
            if attempt
            else ("refused: not the owner or a spine admin")
        )

        def work(session: Session) -> None:
            session.add(
                AuditEvent(
                    use_case_id=use_case_id,
                    actor_id=actor,
                    action=action,
                    allowed=False,
                    detail=detail[:500],
                )
            )

        self._transact(work)
        log.info("UC-%s %s refused for %s", use_case_id, action, actor)
        return PermissionDenied(
            f"Only the owner of UC-{use_case_id} or a spine admin can {_VERBS.get(action, action)}."
            " The attempt is recorded in its history."
        )

    # --- internals: reading ---------------------------------------------------------

    def _insert(self, table: Any) -> Any:
        from sqlalchemy.dialects import postgresql, sqlite

        return sqlite.insert(table) if self._sqlite else postgresql.insert(table)

    def _load(self, session: Session, use_case_id: int, *, lock: bool = False) -> UseCase:
        if isinstance(use_case_id, bool) or not isinstance(use_case_id, int):
            raise InvalidInput(f"'{use_case_id}' is not a use case id.")
        if not 1 <= use_case_id <= MAX_ID:
            raise NotFound(f"There is no use case UC-{use_case_id}. `/usecase list` shows them.")
        stmt = orm_select(UseCase).where(UseCase.id == use_case_id)
        if lock and not self._sqlite:
            stmt = stmt.with_for_update(key_share=True)  # votes (FK key share) still pass
        use_case = session.exec(stmt).first()
        if use_case is None:
            raise NotFound(f"There is no use case UC-{use_case_id}. `/usecase list` shows them.")
        return use_case

    def _vote_count(self, session: Session, use_case_id: int) -> int:
        return int(
            session.connection()
            .execute(
                select(func.count())
                .select_from(_VOTE_TABLE)
                .where(_VOTE_TABLE.c.use_case_id == use_case_id)
            )
            .scalar_one()
        )

    def _metric_row(self, conn: Any, use_case_id: int, week: str) -> dict[str, Any] | None:
        cols = [_METRIC_TABLE.c.week] + [_METRIC_TABLE.c[name] for name in METRIC_NAMES]
        found = (
            conn.execute(
                select(*cols).where(
                    _METRIC_TABLE.c.use_case_id == use_case_id, _METRIC_TABLE.c.week == week
                )
            )
            .mappings()
            .first()
        )
        return dict(found) if found is not None else None

    def _week_value(self, row: Any) -> WeekValue:
        get = row.get if isinstance(row, dict) else (lambda name: getattr(row, name))
        return WeekValue(
            week=str(get("week")),
            hours_saved=get("hours_saved"),
            cost_saved=get("cost_saved"),
            revenue=get("revenue"),
            llm_cost=get("llm_cost"),
            users=get("users"),
            net_value=net_value(
                hours_saved=get("hours_saved"),
                cost_saved=get("cost_saved"),
                revenue=get("revenue"),
                llm_cost=get("llm_cost"),
                hourly_rate=self.settings.hourly_rate,
            ),
        )

    def _units(self, session: Session, ids: Sequence[int]) -> dict[int, builtins.list[str]]:
        units: dict[int, builtins.list[str]] = {}
        if not ids:
            return units
        stmt = (
            select(UseCaseUnit.use_case_id, UseCaseUnit.unit)  # type: ignore[call-overload]
            .where(UseCaseUnit.use_case_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(UseCaseUnit.adopted_at, UseCaseUnit.unit)
        )
        for use_case_id, unit in session.exec(stmt).all():
            units.setdefault(use_case_id, []).append(unit)
        return units

    def _snapshot(self, session: Session, use_case: UseCase) -> dict[str, Any]:
        """The fields a change can touch, JSON-ready, for the audit trail."""
        assert use_case.id is not None
        return {
            "title": use_case.title,
            "description": use_case.description,
            "phase": use_case.phase,
            "status": use_case.status,
            "drop_reason": use_case.drop_reason,
            "risk_tier": use_case.risk_tier,
            "processes": list(use_case.processes or []),
            "units": self._units(session, [use_case.id]).get(use_case.id, []),
            "snoozed_until": use_case.snoozed_until.isoformat() if use_case.snoozed_until else None,
        }

    def _ranked(self, *, status_first: bool = False) -> Any:
        """Use cases ordered by vote count (most first), then newest first."""
        counts = (
            select(_VOTE_TABLE.c.use_case_id, func.count().label("n"))
            .group_by(_VOTE_TABLE.c.use_case_id)
            .subquery()
        )
        order: builtins.list[Any] = []
        if status_first:
            order.append(UseCase.status)  # "active" sorts before "dropped"
        order += [func.coalesce(counts.c.n, 0).desc(), UseCase.id.desc()]  # type: ignore[union-attr]
        return (
            orm_select(UseCase)
            .outerjoin(counts, counts.c.use_case_id == UseCase.id)
            .order_by(*order)
        )

    def _select_cards(
        self, stmt: Any, viewer: str | None, limit: int
    ) -> builtins.list[UseCaseCard]:
        if limit <= 0:
            return []
        with session_scope(self.engine) as session:
            use_cases = session.exec(stmt.limit(limit)).all()
            return self._cards(session, list(use_cases), viewer)

    def _cards(
        self, session: Session, use_cases: Sequence[UseCase], viewer: str | None
    ) -> builtins.list[UseCaseCard]:
        """Cards for several use cases with a fixed number of queries (no N+1)."""
        ids = [uc.id for uc in use_cases if uc.id is not None]
        if not ids:
            return []
        conn = session.connection()
        units = self._units(session, ids)
        votes: dict[int, int] = dict(
            conn.execute(
                select(_VOTE_TABLE.c.use_case_id, func.count())
                .where(_VOTE_TABLE.c.use_case_id.in_(ids))
                .group_by(_VOTE_TABLE.c.use_case_id)
            ).all()
        )
        voted: set[int] = set()
        if viewer:
            voted = set(
                conn.execute(
                    select(_VOTE_TABLE.c.use_case_id).where(
                        _VOTE_TABLE.c.use_case_id.in_(ids), _VOTE_TABLE.c.user_id == viewer
                    )
                ).scalars()
            )
        history: dict[int, builtins.list[WeekValue]] = {}
        for row in conn.execute(
            select(_METRIC_TABLE)
            .where(_METRIC_TABLE.c.use_case_id.in_(ids))
            .order_by(_METRIC_TABLE.c.use_case_id, _METRIC_TABLE.c.week_start)
        ).mappings():
            history.setdefault(row["use_case_id"], []).append(self._week_value(dict(row)))
        cards = []
        for uc in use_cases:
            assert uc.id is not None
            reported = history.get(uc.id, [])
            trend, rule = self._trend(uc, len(units.get(uc.id, [])), reported)
            cards.append(
                UseCaseCard(
                    id=uc.id,
                    ref=uc.ref,
                    title=uc.title,
                    description=uc.description,
                    owner_id=uc.owner_id,
                    units=units.get(uc.id, []),
                    processes=list(uc.processes or []),
                    phase=uc.phase,
                    status=uc.status,
                    drop_reason=uc.drop_reason,
                    risk_tier=uc.risk_tier,
                    votes=int(votes.get(uc.id, 0)),
                    voted=(uc.id in voted) if viewer else None,
                    weeks=reported[-CARD_WEEKS:],
                    net_value_latest=reported[-1].net_value if reported else None,
                    trend=trend,
                    trend_rule=rule,
                    created_at=as_utc(uc.created_at) or uc.created_at,
                    updated_at=as_utc(uc.updated_at),
                    snoozed_until=uc.snoozed_until,
                )
            )
        return cards

    def _trend(
        self, use_case: UseCase, unit_count: int, reported: Sequence[WeekValue]
    ) -> tuple[str | None, str | None]:
        """The digest's classification for a card; None for dropped use cases."""
        if use_case.status != Status.active.value:
            return None, None
        from portfolio import trends

        try:
            tz = self.settings.tz
            created = as_utc(use_case.created_at) or use_case.created_at
            points = [
                trends.WeekPoint(
                    week=w.week,
                    hours_saved=w.hours_saved,
                    cost_saved=w.cost_saved,
                    revenue=w.revenue,
                    llm_cost=w.llm_cost,
                    net_value=w.net_value,
                )
                for w in reported
            ]
            today = wk.today(tz)
            snoozed = use_case.snoozed_until is not None and use_case.snoozed_until >= today
            result = trends.classify(
                created_week=wk.week_of(created.astimezone(tz).date()),
                current_week=wk.week_of(today),
                phase=use_case.phase,
                units=unit_count,
                history=points,
                thresholds=trends.Thresholds.from_settings(self.settings),
                snoozed=snoozed,
            )
        except Exception:  # a trend bug must not hide the card
            log.warning("trend classification failed for UC-%s", use_case.id, exc_info=True)
            return None, None
        return result.kind, result.rule


# --- helpers -------------------------------------------------------------------------

_VERBS = {
    "phase": "change its phase",
    "metric": "report its metrics",
    "drop": "drop it",
    "restore": "restore it",
    "adopt": "add business units",
    "snooze": "snooze it",
    "edit": "edit it",
}


def _check_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor or len(actor) > ACTOR_MAX:
        raise InvalidInput("Unknown user: cannot act without a valid Slack user id.")
    return actor


def _require_active(use_case: UseCase, doing: str, usage: str) -> None:
    if use_case.status == Status.dropped.value:
        raise InvalidInput(f"{use_case.ref} is dropped; restore it before {doing}.", usage=usage)


def _unique(items: Iterable[str]) -> list[str]:
    """Items in order, without case-insensitive repeats."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out


def _nameable(title: str) -> bool:
    """Long enough to count as named when it appears in a question (not "Search")."""
    return len(title.split()) >= 2 or len(title) >= 8


def _doc_text(title: str, description: str) -> str:
    return f"{title or ''}\n{description or ''}".strip()


def _embed(texts: list[str]) -> Any:
    """Unit vectors from the shared embedder (MiniLM by default)."""
    import numpy as np

    from knowledge.embeddings import get_embedder

    embedder: Any = get_embedder()
    if hasattr(embedder, "embed"):
        vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    else:
        vectors = np.asarray(embedder.embed_documents(texts), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.clip(norms, 1e-12, None)


def _transient(exc: DBAPIError) -> bool:
    """Lock timeouts on SQLite, serialization failures and deadlocks on Postgres."""
    text = str(exc.orig).lower()
    if "database is locked" in text or "database is busy" in text:
        return True
    return getattr(exc.orig, "sqlstate", None) in {"40001", "40P01"}


__all__ = [
    "AuditEntry",
    "PortfolioService",
    "UseCaseCard",
    "WeekValue",
    "net_value",
]
