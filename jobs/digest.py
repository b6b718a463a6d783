"""The weekly digest: what grows, what is ready to scale, what stalls, what to drop.

``build_digest`` reads the portfolio with a handful of set-based queries (use cases,
recent metric rows, per-use-case history facts, votes, units) and classifies each
active use case with :mod:`portfolio.trends`. ``post_digest`` posts it exactly once per
(channel, week): a ``digest_run`` row is claimed in its own transaction before anything
is sent, and the table's unique key makes every other caller — a second worker, a
trigger firing twice, a restart — see the claim and stand down.

The digest for ISO week W is posted early in W and reports on the week before: the
headline compares W−1 with W−2, and the trend rules run as of W.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine, Table, and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.blocks.text import money
from jobs.models import DigestRun
from portfolio.models import MetricReport, Status, UseCase, UseCaseUnit, Vote
from portfolio.trends import Thresholds, WeekPoint, classify, net_value
from portfolio.weeks import current_week, monday_of, shift, week_of
from spinebot.db import get_engine, session_scope
from spinebot.models import as_utc, utcnow
from spinebot.settings import Settings, get_settings

log = logging.getLogger(__name__)

# Core table handles: typed column expressions for set-based queries.
_UC = cast(Table, UseCase.__table__).c  # type: ignore[attr-defined]
_METRIC = cast(Table, MetricReport.__table__).c  # type: ignore[attr-defined]
_VOTE = cast(Table, Vote.__table__).c  # type: ignore[attr-defined]
_UNIT = cast(Table, UseCaseUnit.__table__).c  # type: ignore[attr-defined]
_RUN = cast(Table, DigestRun.__table__).c  # type: ignore[attr-defined]

SECTIONS = ("drop_candidate", "ready_to_scale", "growing", "stalling", "new")
SECTION_TITLES = {
    "drop_candidate": "Drop candidates",
    "ready_to_scale": "Ready to scale",
    "growing": "Growing",
    "stalling": "Stalling — owners, please report",
    "new": "New",
}
HEADLINE_COUNTS = {  # singular, plural
    "drop_candidate": ("drop candidate", "drop candidates"),
    "ready_to_scale": ("ready to scale", "ready to scale"),
    "growing": ("growing", "growing"),
}
STALE_CLAIM = timedelta(minutes=15)  # a claim older than this was left by a crashed post


@dataclass
class DigestItem:
    id: int
    ref: str
    title: str
    owner_id: str
    phase: str
    units: int
    trend: str
    rule: str
    numbers: dict[str, Any]
    votes: int
    net_last_week: float | None
    series: list[tuple[str, float]] = field(default_factory=list)  # (week, net), oldest first

    @property
    def movement(self) -> float:
        """How much the weekly net value moved over the window (for the chart)."""
        if len(self.series) < 2:
            return 0.0
        return abs(self.series[-1][1] - self.series[0][1])


@dataclass
class Digest:
    week: str
    reported_week: str
    timezone: str
    active: int
    net_this_week: float
    net_last_week: float
    sections: dict[str, list[DigestItem]]
    most_voted: list[DigestItem]
    knowledge_gaps: list[str]

    @property
    def quiet(self) -> bool:
        return not any(self.sections.values()) and not self.knowledge_gaps

    @property
    def change_pct(self) -> float | None:
        if self.net_last_week == 0:
            return None
        return (self.net_this_week - self.net_last_week) / abs(self.net_last_week) * 100

    @property
    def headline(self) -> str:
        pct = self.change_pct
        if abs(self.net_this_week - self.net_last_week) < 0.5:  # same to the dollar
            change = "unchanged"
        else:
            arrow = "▲" if self.net_this_week > self.net_last_week else "▼"
            change = f"{arrow} {abs(pct):.0f}%" if pct is not None else arrow
        counts = ", ".join(
            f"{len(items)} {HEADLINE_COUNTS[key][len(items) > 1]}"
            for key, items in self.sections.items()
            if items and key in HEADLINE_COUNTS
        )
        line = (
            f"{self.reported_week}: net value {money(self.net_this_week)}, {change} vs "
            f"{self.reported_week_before} ({money(self.net_last_week)}) across "
            f"{self.active} active use case(s)"
        )
        return line + (f"; {counts}." if counts else ".")

    @property
    def reported_week_before(self) -> str:
        return shift(self.reported_week, -1)

    def top_movers(self, limit: int = 5) -> list[DigestItem]:
        items = [i for items in self.sections.values() for i in items] + self.most_voted
        unique = {i.id: i for i in items if len(i.series) >= 2}
        return sorted(unique.values(), key=lambda i: i.movement, reverse=True)[:limit]

    def to_dict(self) -> dict[str, Any]:
        return {
            "week": self.week,
            "reported_week": self.reported_week,
            "timezone": self.timezone,
            "headline": self.headline,
            "quiet": self.quiet,
            "active": self.active,
            "net_this_week": self.net_this_week,
            "net_last_week": self.net_last_week,
            "sections": {k: [asdict(i) for i in v] for k, v in self.sections.items() if v},
            "most_voted": [asdict(i) for i in self.most_voted],
            "knowledge_gaps": self.knowledge_gaps,
        }


def build_digest(
    *, week: str | None = None, settings: Settings | None = None, engine: Engine | None = None
) -> Digest:
    """The digest for ISO ``week`` (default: the current week in TIMEZONE).

    Four queries whatever the portfolio's size: active use cases (with their last report
    and whether they ever reported value, from correlated index look-ups), the metric
    rows of the trend window, vote counts and unit counts.
    """
    settings = settings or get_settings()
    engine = engine or get_engine()
    tz = settings.tz
    week = week or current_week(tz)
    reported = shift(week, -1)
    thresholds = Thresholds.from_settings(settings)
    window_start = monday_of(shift(week, -(thresholds.lookback_weeks() - 1)))
    week_end = monday_of(week) + timedelta(days=7)
    rate = settings.hourly_rate
    # "Today" for snoozes: the real date while the week runs, clamped into the week
    # when another week is previewed.
    today = min(max(datetime.now(tz).date(), monday_of(week)), week_end - timedelta(days=1))

    past = and_(_METRIC.use_case_id == _UC.id, _METRIC.week <= week)
    last_reported = select(func.max(_METRIC.week)).where(past).scalar_subquery()
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
    with session_scope(engine) as session:
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
            ).where(_UC.status == Status.active.value)
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
            conn.execute(
                select(_VOTE.use_case_id, func.count(_VOTE.id)).group_by(_VOTE.use_case_id)
            ).all()
        )
        units: dict[int, int] = dict(
            conn.execute(select(_UNIT.use_case_id, func.count()).group_by(_UNIT.use_case_id)).all()
        )

    history: dict[int, list[WeekPoint]] = defaultdict(list)
    for uc_id, wk, hours, cost, revenue, llm in rows:  # ordered by use case, then week
        value = net_value(
            hours_saved=hours, cost_saved=cost, revenue=revenue, llm_cost=llm, hourly_rate=rate
        )
        history[uc_id].append(WeekPoint(wk, hours, cost, revenue, llm, value))

    sections: dict[str, list[DigestItem]] = {key: [] for key in SECTIONS}
    everyone: list[DigestItem] = []
    net_this = net_before = 0.0
    before_week = shift(reported, -1)
    created_weeks: dict[Any, str] = {}
    for uc_id, title, owner, phase, created_at, snoozed_until, last, valued in use_cases:
        points = history.get(uc_id, [])
        created = as_utc(created_at) or utcnow()
        created_day = created.astimezone(tz).date()
        created_week = created_weeks.get(created_day)
        if created_week is None:
            created_week = created_weeks[created_day] = week_of(created_day)
        trend = classify(
            created_week=created_week,
            current_week=week,
            phase=phase,
            units=units.get(uc_id, 0),
            history=points,
            thresholds=thresholds,
            snoozed=bool(snoozed_until and snoozed_until >= today),
            last_reported=last,
            ever_valued=bool(valued),
        )
        by_week = {p.week: p.net_value for p in points}
        net_this += by_week.get(reported, 0.0)
        net_before += by_week.get(before_week, 0.0)
        item = DigestItem(
            id=uc_id,
            ref=f"UC-{uc_id}",
            title=title,
            owner_id=owner,
            phase=phase,
            units=units.get(uc_id, 0),
            trend=trend.kind,
            rule=trend.rule,
            numbers=dict(trend.numbers),
            votes=int(votes.get(uc_id, 0)),
            net_last_week=by_week.get(reported),
            series=[(p.week, p.net_value) for p in points],
        )
        everyone.append(item)
        if trend.kind in sections:
            sections[trend.kind].append(item)

    for key, items in sections.items():
        if key == "drop_candidate":
            items.sort(key=lambda i: (i.net_last_week or 0.0, i.id))
        else:
            items.sort(key=lambda i: (-(i.net_last_week or 0.0), i.id))
    most_voted = sorted((i for i in everyone if i.votes), key=lambda i: (-i.votes, i.id))[:5]
    gaps = _knowledge_gaps(week, settings, engine)
    return Digest(
        week=week,
        reported_week=reported,
        timezone=settings.timezone,
        active=len(use_cases),
        net_this_week=net_this,
        net_last_week=net_before,
        sections=sections,
        most_voted=most_voted,
        knowledge_gaps=gaps,
    )


def _knowledge_gaps(week: str, settings: Settings, engine: Engine) -> list[str]:
    """Questions from the reported week the knowledge base could not serve."""
    from knowledge.qa_log import knowledge_gaps

    start = datetime.combine(monday_of(shift(week, -1)), datetime.min.time(), settings.tz)
    end = start + timedelta(days=7)
    return knowledge_gaps(
        since=start.astimezone(UTC), until=end.astimezone(UTC), limit=10, engine=engine
    )


# ------------------------------------------------------------------ posting, exactly once


def claim(kind: str, channel: str, week: str, engine: Engine) -> bool:
    """Take the (kind, channel, week) slot; False when someone else holds or used it.

    Statuses: ``claimed`` (building), ``sending`` (the Slack call is under way),
    ``posted``, ``failed`` (Slack refused or errored). A failed slot, or one whose
    claimer died while still building (``claimed`` for longer than STALE_CLAIM), may be
    re-taken; the UPDATE's WHERE clause lets exactly one caller win it. A slot left in
    ``sending`` is never re-taken automatically: the message may be out, and posting
    twice is worse than a digest someone has to post by hand.
    """
    try:
        with session_scope(engine, write=True) as session:
            session.add(DigestRun(kind=kind, channel_id=channel, week=week))
        return True
    except IntegrityError:
        pass
    stale = utcnow() - STALE_CLAIM
    with session_scope(engine, write=True) as session:
        result = session.execute(
            update(DigestRun)
            .where(
                _RUN.kind == kind,
                _RUN.channel_id == channel,
                _RUN.week == week,
                or_(
                    _RUN.status == "failed",
                    and_(_RUN.status == "claimed", _RUN.claimed_at < stale),
                ),
            )
            .values(status="claimed", claimed_at=utcnow(), error=None)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _finish(kind: str, channel: str, week: str, engine: Engine, **values: Any) -> None:
    with session_scope(engine, write=True) as session:
        session.execute(
            update(DigestRun)
            .where(_RUN.kind == kind, _RUN.channel_id == channel, _RUN.week == week)
            .values(**values)
        )


def post_digest(
    *,
    client: Any,
    channel: str,
    week: str | None = None,
    settings: Settings | None = None,
    engine: Engine | None = None,
) -> str:
    """Post the digest for ``week`` to ``channel`` once (see :mod:`jobs.delivery`)."""
    from jobs import delivery

    return delivery.post_digest(
        client=client, channel=channel, week=week, settings=settings, engine=engine
    )


def send_nudges(
    *,
    client: Any,
    week: str | None = None,
    settings: Settings | None = None,
    engine: Engine | None = None,
) -> int:
    """DM each owner of a stalling use case once per week; returns how many were sent."""
    from bot.blocks.digest import build_nudge_blocks

    settings = settings or get_settings()
    engine = engine or get_engine()
    week = week or current_week(settings.tz)
    digest = build_digest(week=week, settings=settings, engine=engine)
    by_owner: dict[str, list[DigestItem]] = defaultdict(list)
    for item in digest.sections["stalling"]:
        by_owner[item.owner_id].append(item)
    sent = 0
    for owner, items in sorted(by_owner.items()):
        if not claim("nudge", owner, week, engine):
            continue
        try:
            response = client.chat_postMessage(
                channel=owner, blocks=build_nudge_blocks(items), text="Time to report value"
            )
        except Exception as exc:
            _finish("nudge", owner, week, engine, status="failed", error=str(exc)[:500])
            log.warning("nudge to an owner failed: %s", type(exc).__name__)
            continue
        _finish(
            "nudge",
            owner,
            week,
            engine,
            status="posted",
            message_ts=response.get("ts"),
            posted_at=utcnow(),
        )
        sent += 1
    return sent


def latest_headline(engine: Engine | None = None) -> str | None:
    """The headline of the most recently posted digest (for the App Home)."""
    with session_scope(engine or get_engine()) as session:
        row = session.execute(
            select(_RUN.headline, _RUN.week)
            .where(_RUN.kind == "digest", _RUN.status == "posted")
            .order_by(_RUN.posted_at.desc())  # type: ignore[union-attr]
            .limit(1)
        ).first()
    return row[0] if row else None
