"""The portfolio as people see it: cards, lists, App Home and the weekly digest.

One read model for every surface. Trend inputs (the week, "today" for snoozes, the
first week of activity, the history window, the whole-history facts) are prepared here
and nowhere else, so a ``show`` card and the digest classify a use case alike. The
sections of the digest, their titles, icons and order, are defined here once too.
"""

from __future__ import annotations

import builtins
import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Engine, Table, and_, func, or_, select
from sqlmodel import Session, col
from sqlmodel import select as orm_select

from portfolio import weeks as wk
from portfolio.errors import InvalidInput, NotFound
from portfolio.fields import MAX_ID, check_unit
from portfolio.models import (
    AuditEvent,
    MetricReport,
    Review,
    Status,
    UseCase,
    UseCaseUnit,
    Vote,
)
from portfolio.trends import net_value
from spinebot.db import session_scope
from spinebot.models import as_utc, utcnow

if TYPE_CHECKING:
    from portfolio.trends import Trend, WeekPoint
    from spinebot.settings import Settings

log = logging.getLogger(__name__)

CARD_WEEKS = 4
VOTE_ACTIONS = ("vote", "unvote")
SEARCH_MEANING_MIN = 0.45  # below this, a match by meaning alone is noise
LIST_USAGE = "/usecase list [pilot|production|platform|dropped|mine|<business unit>]"

VOTE_TABLE = cast(Table, Vote.__table__)  # type: ignore[attr-defined]
METRIC_TABLE = cast(Table, MetricReport.__table__)  # type: ignore[attr-defined]
_UC_TABLE = cast(Table, UseCase.__table__)  # type: ignore[attr-defined]
_UC = _UC_TABLE.c
_METRIC = METRIC_TABLE.c
_VOTE = VOTE_TABLE.c
_UNIT = cast(Table, UseCaseUnit.__table__).c  # type: ignore[attr-defined]
_REVIEW = cast(Table, Review.__table__).c  # type: ignore[attr-defined]


# --- sections and trend labels: one definition for every surface ---------------------


@dataclass(frozen=True)
class Section:
    key: str  # a trend kind
    title: str
    icon: str  # a Slack emoji code; the CLI prints the title only


# The digest's sections in the order it shows them.
SECTIONS: tuple[Section, ...] = (
    Section("drop_candidate", "Drop candidates", ":warning:"),
    Section("ready_to_scale", "Ready to scale", ":rocket:"),
    Section("growing", "Growing", ":chart_with_upwards_trend:"),
    Section("stalling", "Stalling — owners, please report", ":zzz:"),
    Section("new", "New", ":seedling:"),
)
SECTION_BY_KEY = {s.key: s for s in SECTIONS}
TREND_ICONS = {s.key: s.icon for s in SECTIONS} | {"steady": ":large_blue_circle:"}


def trend_label(kind: str | None) -> str:
    """'ready_to_scale' → 'ready to scale' (the card's and the list's wording)."""
    return kind.replace("_", " ") if kind else "—"


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
    review: str | None = None  # the latest recorded review's decision


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


@dataclass
class UnitValue:
    """One business unit's figures: span (weeks) → [value, LLM cost]."""

    unit: str
    use_cases: int
    sums: dict[int, builtins.list[float]]

    def value(self, span: int) -> float:
        return self.sums[span][0]

    def cost(self, span: int) -> float:
        return self.sums[span][1]

    def net(self, span: int) -> float:
        return self.sums[span][0] - self.sums[span][1]


def unit_table(units: Sequence[UnitValue], spans: Sequence[int]) -> builtins.list[str]:
    """The units as aligned text lines, a header first (for the CLI and Slack alike)."""
    from spinebot.format import money

    short, long = spans[0], spans[-1]
    heads = [f"net {short}w", f"net {long}w", f"value {long}w", f"LLM {long}w"]
    lines = [f"{'unit':24} {'cases':>5} " + " ".join(f"{h:>10}" for h in heads)]
    for u in units:
        figures = [u.net(short), u.net(long), u.value(long), u.cost(long)]
        lines.append(
            f"{u.unit[:24]:24} {u.use_cases:>5} " + " ".join(f"{money(f):>10}" for f in figures)
        )
    return lines


@dataclass
class VoteEntry:
    user_id: str
    reason: str
    at: datetime


@dataclass
class TrendedUseCase:
    """One active use case as the digest sees it in a given week."""

    id: int
    title: str
    owner_id: str
    phase: str
    units: int
    votes: int
    history: list[WeekPoint]  # the trend window, oldest first
    trend: Trend

    @property
    def ref(self) -> str:
        return f"UC-{self.id}"


@dataclass
class PortfolioWeek:
    week: str
    use_cases: list[TrendedUseCase] = field(default_factory=list)


# --- trend inputs, prepared once --------------------------------------------------


def today_in(week: str, tz: Any) -> date:
    """'Today' for snoozes: the real date while ``week`` runs, clamped into ``week``
    when another week is looked at."""
    start = wk.monday_of(week)
    return min(max(datetime.now(tz).date(), start), start + timedelta(days=6))


def classify_use_case(
    *,
    created_at: datetime | None,
    phase: str,
    units: int,
    history: Sequence[Any],
    snoozed_until: date | None,
    week: str,
    settings: Settings,
    thresholds: Any = None,
    last_reported: str | None = None,
    ever_valued: bool | None = None,
    first_reported: str | None = None,
    today: date | None = None,
    created_week: str | None = None,
) -> Trend:
    """The trend of one active use case as of ``week``: the one place trend inputs are
    derived from a use case's stored state (cards and the digest both call it).

    Age counts from the first activity: the registration or the first reported week
    (``first_reported``, else the oldest week of ``history``), whichever came first.
    """
    from portfolio import trends

    tz = settings.tz
    first = created_week or registered_week(created_at, tz)
    if first_reported is None and history:
        first_reported = min(p.week for p in history)
    if first_reported is not None and first_reported < first:  # 'YYYY-Www' sorts by time
        first = first_reported
    return trends.classify(
        created_week=first,
        current_week=week,
        phase=phase,
        units=units,
        history=history,
        thresholds=thresholds or trends.Thresholds.from_settings(settings),
        snoozed=bool(snoozed_until and snoozed_until >= (today or today_in(week, tz))),
        last_reported=last_reported,
        ever_valued=ever_valued,
    )


def registered_week(created_at: datetime | None, tz: Any) -> str:
    created = as_utc(created_at) or utcnow()
    return wk.week_of(created.astimezone(tz).date())


# --- the read model ---------------------------------------------------------------


class ReadModel:
    """Reads only; each call opens its own session."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    # --- single use cases and lists -----------------------------------------------

    def get(self, use_case_id: int, *, viewer: str | None = None) -> UseCaseCard:
        with session_scope(self.engine) as session:
            use_case = load(session, use_case_id)
            return self.cards(session, [use_case], viewer)[0]

    def list(
        self,
        *,
        filter: str | None = None,
        viewer: str | None = None,
        limit: int = 20,
        owner: str | None = None,
    ) -> builtins.list[UseCaseCard]:
        """Active use cases, most voted first; ``filter`` narrows them down.

        ``filter``: a phase (``pilot``, ``production``, ``platform``), ``dropped``,
        ``mine`` (the viewer's own, any status), ``active``, ``all``, or a business unit.
        """
        key = (filter or "").strip()
        lowered = key.lower()
        stmt = ranked()
        if owner:
            return self.select_cards(
                ranked(status_first=True).where(UseCase.owner_id == owner), viewer, limit
            )
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
                raise InvalidInput("`list mine` needs to know who is asking.", usage=LIST_USAGE)
            stmt = stmt.where(UseCase.owner_id == viewer)
        else:
            unit = check_unit(key, LIST_USAGE)
            units = select(col(UseCaseUnit.use_case_id)).where(
                func.lower(UseCaseUnit.unit) == unit.lower()
            )
            stmt = stmt.where(
                UseCase.status == Status.active.value,
                UseCase.id.in_(units),  # type: ignore[union-attr]
            )
        return self.select_cards(stmt, viewer, limit)

    def owned_by(self, user_id: str, *, limit: int = 10) -> builtins.list[UseCaseCard]:
        """The user's use cases, active ones first, then most voted."""
        stmt = ranked(status_first=True).where(UseCase.owner_id == user_id)
        return self.select_cards(stmt, user_id, limit)

    def top_voted(self, *, limit: int = 5) -> builtins.list[UseCaseCard]:
        stmt = ranked().where(UseCase.status == Status.active.value)
        return self.select_cards(stmt, None, limit)

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
            return self.cards(session, self.by_ids(session, wanted), None)

    def search(
        self, words: str, meaning: dict[int, float], *, limit: int = 10
    ) -> builtins.list[tuple[UseCaseCard, float]]:
        """Active use cases matching ``words`` by meaning (``meaning``: id → cosine
        similarity) or by the words themselves in the title or description, best first."""
        terms = [t for t in re.findall(r"\w+", words.lower()) if len(t) > 1]
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(UseCase.id, UseCase.title, UseCase.description).where(  # type: ignore[call-overload]
                    UseCase.status == Status.active.value
                )
            ).all()
            scored = []
            for uc_id, title, description in rows:
                text = f"{title} {description}".lower()
                found = sum(1 for t in terms if re.search(r"\b" + re.escape(t), text))
                by_words = found / len(terms) if terms else 0.0
                by_meaning = max(meaning.get(uc_id, 0.0), 0.0)
                if by_words == 0 and by_meaning < SEARCH_MEANING_MIN:
                    continue
                scored.append((uc_id, round(0.5 * by_words + 0.5 * by_meaning, 4)))
            scored.sort(key=lambda item: (-item[1], item[0]))
            scored = scored[:limit]
            cards = {
                c.id: c
                for c in self.cards(session, self.by_ids(session, [i for i, _ in scored]), None)
            }
        return [(cards[i], score) for i, score in scored if i in cards]

    def unit_values(self, week: str, spans: Sequence[int] = (4, 13)) -> builtins.list[UnitValue]:
        """Value, LLM cost and net value per business unit over the last weeks before
        ``week`` (a use case run by two units counts in full for each)."""
        rate = self.settings.hourly_rate
        oldest = wk.monday_of(wk.shift(week, -max(spans)))
        end = wk.monday_of(week)
        with session_scope(self.engine) as session:
            conn = session.connection()
            rows = conn.execute(
                select(
                    _UNIT.unit,
                    _METRIC.week_start,
                    _METRIC.hours_saved,
                    _METRIC.cost_saved,
                    _METRIC.revenue,
                    _METRIC.llm_cost,
                )
                .join(_UC_TABLE, _UC.id == _UNIT.use_case_id)
                .join(METRIC_TABLE, _METRIC.use_case_id == _UNIT.use_case_id)
                .where(
                    _UC.status == Status.active.value,
                    _METRIC.week_start >= oldest,
                    _METRIC.week_start < end,
                )
            ).all()
            counts: dict[str, int] = dict(
                conn.execute(  # type: ignore[arg-type]
                    select(_UNIT.unit, func.count())
                    .join(_UC_TABLE, _UC.id == _UNIT.use_case_id)
                    .where(_UC.status == Status.active.value)
                    .group_by(_UNIT.unit)
                ).all()
            )
        starts = {span: wk.monday_of(wk.shift(week, -span)) for span in spans}
        totals: dict[str, UnitValue] = {}
        for unit, start, hours, cost, revenue, llm in rows:
            item = totals.setdefault(
                unit.lower(),
                UnitValue(unit, int(counts.get(unit, 0)), {s: [0.0, 0.0] for s in spans}),
            )
            value = (hours or 0.0) * rate + (cost or 0.0) + (revenue or 0.0)
            for span, first in starts.items():
                if start >= first:
                    item.sums[span][0] += value
                    item.sums[span][1] += llm or 0.0
        for unit, n in counts.items():
            totals.setdefault(unit.lower(), UnitValue(unit, int(n), {s: [0.0, 0.0] for s in spans}))
        return sorted(totals.values(), key=lambda u: (-u.net(max(spans)), u.unit.lower()))

    def votes(self, use_case_id: int) -> builtins.list[VoteEntry]:
        """Who voted for a use case and why, oldest first."""
        with session_scope(self.engine) as session:
            load(session, use_case_id)
            rows = (
                session.connection()
                .execute(
                    select(_VOTE.user_id, _VOTE.reason, _VOTE.created_at)
                    .where(_VOTE.use_case_id == use_case_id)
                    .order_by(_VOTE.created_at, _VOTE.id)
                )
                .all()
            )
        return [VoteEntry(user, reason or "", as_utc(at) or at) for user, reason, at in rows]

    def by_ids(self, session: Session, ids: Sequence[int]) -> builtins.list[UseCase]:
        """The use cases with these ids, in the order given (missing ones left out)."""
        found = {
            uc.id: uc
            for uc in session.exec(
                orm_select(UseCase).where(UseCase.id.in_(list(ids)))  # type: ignore[union-attr]
            ).all()
        }
        return [found[i] for i in ids if i in found]

    def history(
        self, use_case_id: int, *, limit: int = 30, include_votes: bool = False
    ) -> builtins.list[AuditEntry]:
        """The audit trail of one use case, newest first (votes left out unless asked)."""
        with session_scope(self.engine) as session:
            load(session, use_case_id)
            stmt = orm_select(AuditEvent).where(AuditEvent.use_case_id == use_case_id)
            if not include_votes:
                stmt = stmt.where(AuditEvent.action.not_in(VOTE_ACTIONS))  # type: ignore[attr-defined]
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

    # --- cards ------------------------------------------------------------------

    def select_cards(self, stmt: Any, viewer: str | None, limit: int) -> builtins.list[UseCaseCard]:
        if limit <= 0:
            return []
        with session_scope(self.engine) as session:
            use_cases = session.exec(stmt.limit(limit)).all()
            return self.cards(session, list(use_cases), viewer)

    def week_value(self, row: Any) -> WeekValue:
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

    def cards(
        self, session: Session, use_cases: Sequence[UseCase], viewer: str | None
    ) -> builtins.list[UseCaseCard]:
        """Cards for several use cases with a fixed number of queries (no N+1)."""
        ids = [uc.id for uc in use_cases if uc.id is not None]
        if not ids:
            return []
        conn = session.connection()
        units = units_of(session, ids)
        votes: dict[int, int] = dict(
            conn.execute(  # type: ignore[arg-type]
                select(_VOTE.use_case_id, func.count())
                .where(_VOTE.use_case_id.in_(ids))
                .group_by(_VOTE.use_case_id)
            ).all()
        )
        voted: set[int] = set()
        if viewer:
            voted = set(
                conn.execute(
                    select(_VOTE.use_case_id).where(
                        _VOTE.use_case_id.in_(ids), _VOTE.user_id == viewer
                    )
                ).scalars()
            )
        reviews: dict[int, str] = {}
        for uc_id, decision in conn.execute(
            select(_REVIEW.use_case_id, _REVIEW.decision)
            .where(_REVIEW.use_case_id.in_(ids))
            .order_by(_REVIEW.at, _REVIEW.id)
        ):
            reviews[uc_id] = decision  # the latest wins
        history: dict[int, builtins.list[WeekValue]] = {}
        for row in conn.execute(
            select(METRIC_TABLE)
            .where(_METRIC.use_case_id.in_(ids))
            .order_by(_METRIC.use_case_id, _METRIC.week_start)
        ).mappings():
            history.setdefault(row["use_case_id"], []).append(self.week_value(dict(row)))
        cards = []
        for uc in use_cases:
            assert uc.id is not None
            reported = history.get(uc.id, [])
            trend, rule = self._card_trend(uc, len(units.get(uc.id, [])), reported)
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
                    review=reviews.get(uc.id),
                )
            )
        return cards

    def _card_trend(
        self, use_case: UseCase, unit_count: int, reported: Sequence[WeekValue]
    ) -> tuple[str | None, str | None]:
        """The digest's classification for a card; None for dropped use cases."""
        if use_case.status != Status.active.value:
            return None, None
        from portfolio import trends

        try:
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
            result = classify_use_case(
                created_at=use_case.created_at,
                phase=use_case.phase,
                units=unit_count,
                history=points,
                snoozed_until=use_case.snoozed_until,
                week=wk.current_week(self.settings.tz),
                settings=self.settings,
            )
        except Exception:  # a trend bug must not hide the card
            log.warning("trend classification failed for UC-%s", use_case.id, exc_info=True)
            return None, None
        return result.kind, result.rule

    # --- the whole portfolio in one week (the digest) -----------------------------

    def portfolio_week(self, week: str) -> PortfolioWeek:
        """Every active use case classified as of ``week``.

        Four queries whatever the portfolio's size: active use cases (with their last
        report and whether they ever reported value, from correlated index look-ups),
        the metric rows of the trend window, vote counts and unit counts.
        """
        from portfolio.trends import Thresholds, WeekPoint

        thresholds = Thresholds.from_settings(self.settings)
        window_start = wk.monday_of(wk.shift(week, -(thresholds.lookback_weeks() - 1)))
        week_end = wk.monday_of(week) + timedelta(days=7)
        rate = self.settings.hourly_rate
        registered_by = datetime.combine(week_end, datetime.min.time(), self.settings.tz)

        past = and_(_METRIC.use_case_id == _UC.id, _METRIC.week <= week)
        last_reported = select(func.max(_METRIC.week)).where(past).scalar_subquery()
        first_reported = select(func.min(_METRIC.week)).where(past).scalar_subquery()
        ever_valued = (
            select(_METRIC.id)
            .where(
                past,
                or_(
                    _METRIC.hours_saved.is_not(None),
                    _METRIC.cost_saved.is_not(None),
                    _METRIC.revenue.is_not(None),
                ),
            )
            .exists()
        )
        with session_scope(self.engine) as session:
            conn = session.connection()  # Core rows: no ORM bookkeeping for 10^5 tuples
            use_cases = conn.execute(
                select(
                    _UC.id,
                    _UC.title,
                    _UC.owner_id,
                    _UC.phase,
                    _UC.created_at,
                    _UC.snoozed_until,
                    last_reported,
                    ever_valued,
                    first_reported,
                ).where(
                    _UC.status == Status.active.value,
                    _UC.created_at < registered_by,  # as it was: none registered later
                )
            ).all()
            rows = conn.execute(
                select(
                    _METRIC.use_case_id,
                    _METRIC.week,
                    _METRIC.hours_saved,
                    _METRIC.cost_saved,
                    _METRIC.revenue,
                    _METRIC.llm_cost,
                )
                .join(UseCase, _UC.id == _METRIC.use_case_id)
                .where(
                    _UC.status == Status.active.value,
                    _METRIC.week_start >= window_start,
                    _METRIC.week_start < week_end,
                )
                .order_by(_METRIC.use_case_id, _METRIC.week)
            ).all()
            votes: dict[int, int] = dict(
                conn.execute(  # type: ignore[arg-type]
                    select(_VOTE.use_case_id, func.count(_VOTE.id)).group_by(_VOTE.use_case_id)
                ).all()
            )
            units: dict[int, int] = dict(
                conn.execute(  # type: ignore[arg-type]
                    select(_UNIT.use_case_id, func.count()).group_by(_UNIT.use_case_id)
                ).all()
            )

        history: dict[int, builtins.list[WeekPoint]] = defaultdict(list)
        for uc_id, week_, hours, cost, revenue, llm in rows:  # ordered by use case, week
            value = net_value(
                hours_saved=hours, cost_saved=cost, revenue=revenue, llm_cost=llm, hourly_rate=rate
            )
            history[uc_id].append(WeekPoint(week_, hours, cost, revenue, llm, value))

        result = PortfolioWeek(week=week)
        today = today_in(week, self.settings.tz)
        created_weeks: dict[Any, str] = {}  # many use cases share a registration day
        for uc_id, title, owner, phase, created_at, snoozed_until, last, valued, first in use_cases:
            points = history.get(uc_id, [])
            day = (as_utc(created_at) or utcnow()).astimezone(self.settings.tz).date()
            if day not in created_weeks:
                created_weeks[day] = wk.week_of(day)
            trend = classify_use_case(
                created_at=created_at,
                phase=phase,
                units=units.get(uc_id, 0),
                history=points,
                snoozed_until=snoozed_until,
                week=week,
                settings=self.settings,
                thresholds=thresholds,
                last_reported=last,
                ever_valued=bool(valued),
                first_reported=first,
                today=today,
                created_week=created_weeks[day],
            )
            result.use_cases.append(
                TrendedUseCase(
                    id=uc_id,
                    title=title,
                    owner_id=owner,
                    phase=phase,
                    units=units.get(uc_id, 0),
                    votes=int(votes.get(uc_id, 0)),
                    history=points,
                    trend=trend,
                )
            )
        return result


# --- shared query pieces --------------------------------------------------------------


def load(session: Session, use_case_id: int, *, lock: bool = False, sqlite: bool = True) -> UseCase:
    """The use case, or NotFound; ``lock`` takes a row lock on Postgres."""
    if isinstance(use_case_id, bool) or not isinstance(use_case_id, int):
        raise InvalidInput(f"'{use_case_id}' is not a use case id.")
    if not 1 <= use_case_id <= MAX_ID:
        raise NotFound(f"There is no use case UC-{use_case_id}. `/usecase list` shows them.")
    stmt = orm_select(UseCase).where(UseCase.id == use_case_id)
    if lock and not sqlite:
        stmt = stmt.with_for_update(key_share=True)  # votes (FK key share) still pass
    use_case = session.exec(stmt).first()
    if use_case is None:
        raise NotFound(f"There is no use case UC-{use_case_id}. `/usecase list` shows them.")
    return use_case


def units_of(session: Session, ids: Sequence[int]) -> dict[int, builtins.list[str]]:
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


def ranked(*, status_first: bool = False) -> Any:
    """Use cases ordered by vote count (most first), then newest first."""
    counts = (
        select(_VOTE.use_case_id, func.count().label("n")).group_by(_VOTE.use_case_id).subquery()
    )
    order: builtins.list[Any] = []
    if status_first:
        order.append(UseCase.status)  # "active" sorts before "dropped"
    order += [func.coalesce(counts.c.n, 0).desc(), UseCase.id.desc()]  # type: ignore[union-attr]
    return (
        orm_select(UseCase).outerjoin(counts, counts.c.use_case_id == UseCase.id).order_by(*order)
    )


def _nameable(title: str) -> bool:
    """Long enough to count as named when it appears in a question (not "Search")."""
    return len(title.split()) >= 2 or len(title) >= 8
