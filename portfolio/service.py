"""The portfolio service: the audited writes, and the front door to reads.

Plain Python over SQL, used by the executor (Slack, the console, the CLI, the digest
buttons), the App Home and the digest job alike. The service is split by job:

* :mod:`portfolio.fields` — the field rules every entry point shares;
* :mod:`portfolio.transactions` — write transactions and their retries;
* :mod:`portfolio.read_model` — cards, lists, history and the digest's week;
* :mod:`portfolio.similarity` — the duplicate check by meaning;
* this module — permissions and the audited changes.

The rules it keeps, whoever calls it:

* Anyone registers, votes and lists. Only the owner or a spine admin changes a use
  case (phase, metrics, drop, restore, adopt, snooze, edit). A refused change raises
  ``PermissionDenied`` and is still written to the audit trail, in a transaction of its
  own, so attempts are visible in ``history``.
* Every change writes an ``AuditEvent`` with the state before and after, in the same
  transaction as the change: there is never a change without its record.
* Concurrency is the database's job. One vote per person is the unique constraint
  (``INSERT … ON CONFLICT DO NOTHING``); a metric report is an upsert on (use case,
  week) that replaces only the metrics given.
"""

from __future__ import annotations

import builtins
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, delete, func, select, update
from sqlmodel import Session

from portfolio import gates
from portfolio import weeks as wk
from portfolio.commands import USAGE
from portfolio.errors import InvalidInput, PermissionDenied
from portfolio.fields import (
    MAX_SNOOZE_WEEKS,
    MAX_UNITS,
    check_actor,
    check_description,
    check_metric_values,
    check_phase,
    check_processes,
    check_reason,
    check_risk,
    check_title,
    check_unit,
    check_units,
    check_use_case,
    check_week,
    metric_bounds,
)
from portfolio.models import (
    METRIC_NAMES,
    AuditEvent,
    Review,
    ReviewDecision,
    Status,
    UseCase,
    UseCaseUnit,
)
from portfolio.read_model import (
    METRIC_TABLE,
    VOTE_TABLE,
    AuditEntry,
    ReadModel,
    UseCaseCard,
    WeekValue,
    load,
    units_of,
)
from portfolio.similarity import Similarity
from portfolio.transactions import Refused, Transactions
from portfolio.trends import net_value
from spinebot.db import get_engine
from spinebot.models import utcnow

if TYPE_CHECKING:
    from spinebot.settings import Settings

log = logging.getLogger(__name__)


class PortfolioService:
    """Thread-safe: each call opens its own session; one instance serves a process."""

    def __init__(self, settings: Settings | None = None, engine: Engine | None = None) -> None:
        if settings is None:
            from spinebot.settings import get_settings

            settings = get_settings()
        self.settings = settings
        self.engine = engine or get_engine(settings.sqlalchemy_url)
        self.tx = Transactions(self.engine)
        self.read = ReadModel(settings, self.engine)
        self.similarity = Similarity(self.read)

    # --- permissions ----------------------------------------------------------------

    def is_admin(self, user_id: str) -> bool:
        return bool(user_id) and user_id in self.settings.spine_admins

    def may_change(self, user_id: str, card: UseCaseCard) -> bool:
        """Whether ``user_id`` may change ``card`` (for showing owner-only buttons)."""
        return user_id == card.owner_id or self.is_admin(user_id)

    # --- reads (the read model) -------------------------------------------------------

    def get(self, use_case_id: int, *, viewer: str | None = None) -> UseCaseCard:
        return self.read.get(use_case_id, viewer=viewer)

    def list(
        self, *, filter: str | None = None, viewer: str | None = None, limit: int = 20
    ) -> builtins.list[UseCaseCard]:
        return self.read.list(filter=filter, viewer=viewer, limit=limit)

    def owned_by(self, user_id: str, *, limit: int = 10) -> builtins.list[UseCaseCard]:
        return self.read.owned_by(user_id, limit=limit)

    def top_voted(self, *, limit: int = 5) -> builtins.list[UseCaseCard]:
        return self.read.top_voted(limit=limit)

    def mentioned_in(self, text: str, *, limit: int = 3) -> builtins.list[UseCaseCard]:
        return self.read.mentioned_in(text, limit=limit)

    def history(
        self, use_case_id: int, *, limit: int = 30, include_votes: bool = False
    ) -> builtins.list[AuditEntry]:
        return self.read.history(use_case_id, limit=limit, include_votes=include_votes)

    def find_similar(
        self, *, title: str, description: str = "", limit: int = 3, threshold: float = 0.6
    ) -> builtins.list[tuple[UseCaseCard, float]]:
        return self.similarity.find_similar(
            title=title, description=description, limit=limit, threshold=threshold
        )

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
        actor = check_actor(actor)
        fields = check_use_case(
            title=title,
            description=description,
            units=units,
            processes=processes,
            risk_tier=risk_tier,
            usage=USAGE["register"],
        )

        def work(session: Session) -> int:
            now = utcnow()
            use_case = UseCase(
                title=fields.title,
                description=fields.description,
                owner_id=actor,
                processes=fields.processes,
                risk_tier=fields.risk_tier,
                created_at=now,
                updated_at=now,
            )
            session.add(use_case)
            session.flush()
            assert use_case.id is not None
            for unit in fields.units:
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

        use_case_id = self.tx.run(work)
        log.info("use case UC-%s registered by %s", use_case_id, actor)
        return self.get(use_case_id, viewer=actor)

    # --- votes ----------------------------------------------------------------------

    def vote(self, *, actor: str, use_case_id: int, reason: str | None = None) -> tuple[bool, int]:
        """(new_vote, total). Voting again keeps one vote and replaces the reason if given."""
        new, card = self.cast_vote(actor=actor, use_case_id=use_case_id, reason=reason)
        return new, card.votes

    def cast_vote(
        self, *, actor: str, use_case_id: int, reason: str | None = None
    ) -> tuple[bool, UseCaseCard]:
        """(new_vote, card): the card, with its vote count, read in the vote's transaction."""
        actor = check_actor(actor)
        reason = check_reason(reason, usage=USAGE["vote"], required=False) or None

        def work(session: Session) -> tuple[bool, UseCaseCard]:
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
                self.tx.insert(VOTE_TABLE)
                .values(
                    use_case_id=use_case_id,
                    user_id=actor,
                    reason=reason,
                    created_at=now,
                    updated_at=now,
                )
                .on_conflict_do_nothing(index_elements=["use_case_id", "user_id"])
                .returning(VOTE_TABLE.c.id)
            ).first()
            new = inserted is not None
            changed = new
            if not new and reason is not None:
                result = conn.execute(
                    update(VOTE_TABLE)
                    .where(
                        VOTE_TABLE.c.use_case_id == use_case_id,
                        VOTE_TABLE.c.user_id == actor,
                        VOTE_TABLE.c.reason.is_distinct_from(reason),
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
            session.flush()
            return new, self.read.cards(session, [use_case], actor)[0]

        return self.tx.run(work)

    def unvote(self, *, actor: str, use_case_id: int) -> tuple[bool, int]:
        """(removed, total)."""
        removed, card = self.withdraw_vote(actor=actor, use_case_id=use_case_id)
        return removed, card.votes

    def withdraw_vote(self, *, actor: str, use_case_id: int) -> tuple[bool, UseCaseCard]:
        """(removed, card), both from one transaction."""
        actor = check_actor(actor)

        def work(session: Session) -> tuple[bool, UseCaseCard]:
            use_case = self._load(session, use_case_id)
            result = session.connection().execute(
                delete(VOTE_TABLE).where(
                    VOTE_TABLE.c.use_case_id == use_case_id, VOTE_TABLE.c.user_id == actor
                )
            )
            removed = result.rowcount > 0
            if removed:
                session.add(AuditEvent(use_case_id=use_case_id, actor_id=actor, action="unvote"))
                session.flush()
            return removed, self.read.cards(session, [use_case], actor)[0]

        return self.tx.run(work)

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
        actor = check_actor(actor)
        usage = USAGE["metric"]
        checked = check_metric_values(values, usage, metric_bounds(self.settings))
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
            stmt = self.tx.insert(METRIC_TABLE).values(
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
            return self.read.week_value(after)

        try:
            return self.tx.run(work)
        except Refused:
            raise self._refuse(actor, use_case_id, "metric", detail) from None

    # --- changes by the owner or an admin ---------------------------------------------

    def set_phase(
        self, *, actor: str, use_case_id: int, phase: str, override: str | None = None
    ) -> UseCaseCard:
        return self.move_phase(
            actor=actor, use_case_id=use_case_id, phase=phase, override=override
        )[1]

    def move_phase(
        self, *, actor: str, use_case_id: int, phase: str, override: str | None = None
    ) -> tuple[str, UseCaseCard, bool]:
        """(previous phase, card, whether a closed gate was overridden).

        Moving up passes the gate (:mod:`portfolio.gates`) unless a spine admin
        overrides it with a reason; moving down always works.
        A move the gate stops is recorded in the history, like a refusal."""
        usage = USAGE["phase"]
        phase = check_phase(phase, usage)
        reason = check_reason(override, usage=usage, required=False) if override else None
        actor = check_actor(actor)
        if reason and not self.is_admin(actor):
            self._record_refusal(
                actor, use_case_id, "phase", f"refused: only spine admins override a gate ({phase})"
            )
            raise PermissionDenied(
                "Only spine admins can override a phase gate. The attempt is recorded in its "
                "history.",
                usage=usage,
            )
        seen: dict[str, str] = {}

        def apply(session: Session, use_case: UseCase) -> str:
            seen.clear()  # a retried transaction starts again
            _require_active(use_case, "changing its phase", usage)
            if use_case.phase == phase:
                raise InvalidInput(f"{use_case.ref} is already in {phase}.", usage=usage)
            problem = self._closed_gate(session, use_case, phase)
            seen["previous"], use_case.phase = use_case.phase, phase
            detail = f"{seen['previous']} → {phase}"
            if problem and not reason:
                raise _GateClosed(problem)
            if problem:
                detail += f"; gate overridden: {reason} (gate: {problem})"
                seen["overridden"] = "yes"
            return detail

        try:
            card = self._change(
                actor=actor, use_case_id=use_case_id, action="phase", apply=apply, attempt=phase
            )
        except _GateClosed as closed:
            self._record_refusal(actor, use_case_id, "phase", f"gate closed ({phase}): {closed}")
            raise InvalidInput(
                f"UC-{use_case_id} cannot move up to {phase} yet: {closed}. A spine admin can "
                f"override: /usecase phase {use_case_id} {phase} override <reason>.",
                usage=usage,
            ) from None
        return seen["previous"], card, "overridden" in seen

    def _closed_gate(self, session: Session, use_case: UseCase, target: str) -> str | None:
        from portfolio.trends import Thresholds

        if not gates.is_upward(use_case.phase, target):
            return None
        card = self.read.cards(session, [use_case], None)[0]
        return gates.closed_gate(
            current=use_case.phase,
            target=target,
            risk_tier=use_case.risk_tier,
            trend=card.trend,
            review=card.review,
            pilot_weeks=Thresholds.from_settings(self.settings).pilot_scale_weeks,
        )

    # --- reviews ----------------------------------------------------------------------

    def review(self, *, actor: str, use_case_id: int, decision: str, note: str = "") -> UseCaseCard:
        """Record a spine admin's review; the latest decides the high-risk gate."""
        usage = USAGE["review"]
        actor = check_actor(actor)
        if decision not in {d.value for d in ReviewDecision}:
            raise InvalidInput("The decision is approved, conditions or rejected.", usage=usage)
        note = check_reason(note, usage=usage, required=decision != "approved")
        if not self.is_admin(actor):
            raise self.refuse(
                actor=actor,
                use_case_id=use_case_id,
                action="review",
                why="Only spine admins can record a review.",
            )

        def work(session: Session) -> None:
            use_case = self._load(session, use_case_id, lock=True)
            before = self.read.cards(session, [use_case], None)[0].review
            now = utcnow()
            session.add(
                Review(
                    use_case_id=use_case_id,
                    decision=decision,
                    note=note,
                    reviewer_id=actor,
                    at=now,
                )
            )
            session.add(
                AuditEvent(
                    use_case_id=use_case_id,
                    actor_id=actor,
                    action="review",
                    before={"review": before},
                    after={"review": decision, "note": note},
                    detail=f"{decision}: {note}"[:500] if note else decision,
                    at=now,
                )
            )

        self.tx.run(work)
        log.info("UC-%s reviewed (%s) by %s", use_case_id, decision, actor)
        return self.get(use_case_id, viewer=actor)

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
        unit = check_unit(unit, USAGE["adopt"])

        def apply(session: Session, use_case: UseCase) -> str:
            _require_active(use_case, "adding units", USAGE["adopt"])
            existing = units_of(session, [use_case_id]).get(use_case_id, [])
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

    def edit(self, *, actor: str, use_case_id: int, **fields: Any) -> UseCaseCard:
        """Correct a use case (see :meth:`edit_fields`); the card after the change."""
        return self.edit_fields(actor=actor, use_case_id=use_case_id, **fields)[1]

    def edit_fields(
        self,
        *,
        actor: str,
        use_case_id: int,
        title: str | None = None,
        description: str | None = None,
        processes: Iterable[str] | None = None,
        risk_tier: str | None = None,
        units: Iterable[str] | None = None,
        units_add: Iterable[str] = (),
        units_remove: Iterable[str] = (),
        owner: str | None = None,
    ) -> tuple[builtins.list[str], UseCaseCard]:
        """Correct a use case; fields left None stay as they are. (what changed, card).

        ``units`` replaces the business units, ``units_add``/``units_remove`` change
        them; ``owner`` hands the use case to another person. The audit event holds the
        whole state before and after.
        """
        usage = USAGE["edit"]
        new_title = check_title(title, usage) if title is not None else None
        new_description = check_description(description, usage) if description is not None else None
        new_processes = check_processes(processes, usage) if processes is not None else None
        new_risk = check_risk(risk_tier, usage) if risk_tier is not None else None
        new_units = check_units(units, usage) if units is not None else None
        adding = check_units(units_add, usage)
        removing = check_units(units_remove, usage)
        new_owner = check_actor(owner) if owner is not None else None
        changed: builtins.list[str] = []

        def apply(session: Session, use_case: UseCase) -> str:
            changed.clear()  # a retried transaction starts again
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
            if new_owner is not None and new_owner != use_case.owner_id:
                use_case.owner_id = new_owner
                changed.append("owner")
            if self._edit_units(session, use_case, actor, new_units, adding, removing, usage):
                changed.append("units")
            if not changed:
                raise InvalidInput(f"Nothing to change on {use_case.ref}.", usage=usage)
            return ", ".join(changed)

        card = self._change(actor=actor, use_case_id=use_case_id, action="edit", apply=apply)
        return list(changed), card

    def _edit_units(
        self,
        session: Session,
        use_case: UseCase,
        actor: str,
        replace: builtins.list[str] | None,
        adding: builtins.list[str],
        removing: builtins.list[str],
        usage: str,
    ) -> bool:
        """Apply a units edit; whether anything changed."""
        assert use_case.id is not None
        current = units_of(session, [use_case.id]).get(use_case.id, [])
        by_key = {u.lower(): u for u in current}
        if replace is not None:
            wanted = replace
        else:
            missing = [u for u in removing if u.lower() not in by_key]
            if missing:
                raise InvalidInput(
                    f"{', '.join(missing)} does not run {use_case.ref} "
                    f"(its units: {', '.join(current) or 'none'}).",
                    usage=usage,
                )
            dropped = {u.lower() for u in removing}
            wanted = [u for u in current if u.lower() not in dropped]
            wanted += [u for u in adding if u.lower() not in {w.lower() for w in wanted}]
        if len(wanted) > MAX_UNITS:
            raise InvalidInput(f"At most {MAX_UNITS} business units.", usage=usage)
        keep = {u.lower() for u in wanted}
        gone = [u for u in current if u.lower() not in keep]
        new = [u for u in wanted if u.lower() not in by_key]
        if gone:
            session.execute(
                delete(UseCaseUnit).where(
                    UseCaseUnit.use_case_id == use_case.id,  # type: ignore[arg-type]
                    UseCaseUnit.unit.in_(gone),  # type: ignore[attr-defined]
                )
            )
        for unit in new:
            session.add(UseCaseUnit(use_case_id=use_case.id, unit=unit, adopted_by=actor))
        session.flush()
        return bool(gone or new)

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
        actor = check_actor(actor)

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
            self.tx.run(work)
        except Refused:
            raise self._refuse(actor, use_case_id, action, attempt) from None
        log.info("UC-%s %s by %s", use_case_id, action, actor)
        return self.get(use_case_id, viewer=actor)

    def _require_change(self, actor: str, use_case: UseCase) -> None:
        if actor != use_case.owner_id and not self.is_admin(actor):
            raise Refused()

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

        self.tx.run(work)
        log.info("UC-%s %s refused for %s", use_case_id, action, actor)
        return PermissionDenied(
            f"Only the owner of UC-{use_case_id} or a spine admin can {_VERBS.get(action, action)}."
            " The attempt is recorded in its history."
        )

    def _record_refusal(self, actor: str, use_case_id: int, action: str, detail: str) -> None:
        """An attempt that was not allowed, recorded in its own transaction."""

        def work(session: Session) -> None:
            self._load(session, use_case_id)
            session.add(
                AuditEvent(
                    use_case_id=use_case_id,
                    actor_id=actor,
                    action=action,
                    allowed=False,
                    detail=detail[:500],
                )
            )

        self.tx.run(work)

    # --- internals ------------------------------------------------------------------

    def _load(self, session: Session, use_case_id: int, *, lock: bool = False) -> UseCase:
        return load(session, use_case_id, lock=lock, sqlite=self.tx.sqlite)

    def _vote_count(self, session: Session, use_case_id: int) -> int:
        return int(
            session.connection()
            .execute(
                select(func.count())
                .select_from(VOTE_TABLE)
                .where(VOTE_TABLE.c.use_case_id == use_case_id)
            )
            .scalar_one()
        )

    def _metric_row(self, conn: Any, use_case_id: int, week: str) -> dict[str, Any] | None:
        cols = [METRIC_TABLE.c.week] + [METRIC_TABLE.c[name] for name in METRIC_NAMES]
        found = (
            conn.execute(
                select(*cols).where(
                    METRIC_TABLE.c.use_case_id == use_case_id, METRIC_TABLE.c.week == week
                )
            )
            .mappings()
            .first()
        )
        return dict(found) if found is not None else None

    def _snapshot(self, session: Session, use_case: UseCase) -> dict[str, Any]:
        """The fields a change can touch, JSON-ready, for the audit trail."""
        assert use_case.id is not None
        return {
            "title": use_case.title,
            "description": use_case.description,
            "owner_id": use_case.owner_id,
            "phase": use_case.phase,
            "status": use_case.status,
            "drop_reason": use_case.drop_reason,
            "risk_tier": use_case.risk_tier,
            "processes": list(use_case.processes or []),
            "units": units_of(session, [use_case.id]).get(use_case.id, []),
            "snoozed_until": use_case.snoozed_until.isoformat() if use_case.snoozed_until else None,
        }


_VERBS = {
    "phase": "change its phase",
    "metric": "report its metrics",
    "drop": "drop it",
    "restore": "restore it",
    "adopt": "add business units",
    "snooze": "snooze it",
    "edit": "edit it",
    "review": "review it",
}


class _GateClosed(Exception):
    """Raised inside a phase change to roll it back; the message says what is missing."""


def _require_active(use_case: UseCase, doing: str, usage: str) -> None:
    if use_case.status == Status.dropped.value:
        raise InvalidInput(f"{use_case.ref} is dropped; restore it before {doing}.", usage=usage)


__all__ = [
    "AuditEntry",
    "PermissionDenied",
    "PortfolioService",
    "UseCaseCard",
    "WeekValue",
    "net_value",
]
