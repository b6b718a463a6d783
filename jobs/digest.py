"""The weekly digest: what grows, what is ready to scale, what stalls, what to drop.

``build_digest`` takes the week's portfolio from the read model
(:meth:`portfolio.read_model.ReadModel.portfolio_week`, a handful of set-based queries
whatever the size) and groups it into sections defined there. ``post_digest`` posts
it exactly once per (channel, week): a ``digest_run`` row is claimed in its own
transaction before anything is sent, and the table's unique key makes every other
caller — a second worker, a trigger firing twice, a restart — see the claim and stand down.

The digest for ISO week W is posted early in W and reports on the week before: the
headline compares W−1 with W−2, and the trend rules run as of W.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Engine, Table, and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from jobs.models import DigestRun
from portfolio.read_model import SECTIONS as PORTFOLIO_SECTIONS
from portfolio.read_model import ReadModel
from portfolio.weeks import current_week, monday_of, shift
from spinebot.db import get_engine, session_scope
from spinebot.format import money
from spinebot.models import utcnow
from spinebot.settings import Settings, get_settings

if TYPE_CHECKING:
    from knowledge.notes import ClosedGap
    from knowledge.qa_log import WeekUsage

log = logging.getLogger(__name__)

_RUN = cast(Table, DigestRun.__table__).c  # type: ignore[attr-defined]

SECTIONS = tuple(s.key for s in PORTFOLIO_SECTIONS)  # order and titles: the read model
SECTION_TITLES = {s.key: s.title for s in PORTFOLIO_SECTIONS}
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
    # What answering questions cost in the reported week (see assistant_usage below).
    assistant: WeekUsage | None = None
    # Gaps closed in the reported week by a Slack thread saved as a knowledge note.
    gaps_closed: list[ClosedGap] = field(default_factory=list)

    @property
    def quiet(self) -> bool:
        return not any(self.sections.values()) and not self.knowledge_gaps and not self.gaps_closed

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
            "assistant": self.assistant.to_dict() if self.assistant else None,
            "gaps_closed": [
                {**asdict(g), "added_at": g.added_at.isoformat()} for g in self.gaps_closed
            ],
        }


def build_digest(
    *, week: str | None = None, settings: Settings | None = None, engine: Engine | None = None
) -> Digest:
    """The digest for ISO ``week`` (default: the current week in TIMEZONE).

    The portfolio's read model classifies every active use case as of ``week`` (the
    same trend inputs as a ``show`` card); this groups them into the digest's sections.
    """
    settings = settings or get_settings()
    engine = engine or get_engine()
    week = week or current_week(settings.tz)
    reported = shift(week, -1)
    before_week = shift(reported, -1)
    portfolio = ReadModel(settings, engine).portfolio_week(week)

    sections: dict[str, list[DigestItem]] = {key: [] for key in SECTIONS}
    everyone: list[DigestItem] = []
    net_this = net_before = 0.0
    for uc in portfolio.use_cases:
        by_week = {p.week: p.net_value for p in uc.history}
        net_this += by_week.get(reported, 0.0)
        net_before += by_week.get(before_week, 0.0)
        item = DigestItem(
            id=uc.id,
            ref=uc.ref,
            title=uc.title,
            owner_id=uc.owner_id,
            phase=uc.phase,
            units=uc.units,
            trend=uc.trend.kind,
            rule=uc.trend.rule,
            numbers=dict(uc.trend.numbers),
            votes=uc.votes,
            net_last_week=by_week.get(reported),
            series=[(p.week, p.net_value) for p in uc.history],
        )
        everyone.append(item)
        if item.trend in sections:
            sections[item.trend].append(item)

    for key, items in sections.items():
        if key == "drop_candidate":
            items.sort(key=lambda i: (i.net_last_week or 0.0, i.id))
        else:
            items.sort(key=lambda i: (-(i.net_last_week or 0.0), i.id))
    most_voted = sorted((i for i in everyone if i.votes), key=lambda i: (-i.votes, i.id))[:5]
    closed = _closed_gaps(week, settings, engine)
    gaps = _knowledge_gaps(week, settings, engine, closed=closed)
    return Digest(
        week=week,
        reported_week=reported,
        timezone=settings.timezone,
        active=len(portfolio.use_cases),
        net_this_week=net_this,
        net_last_week=net_before,
        sections=sections,
        most_voted=most_voted,
        knowledge_gaps=gaps,
        assistant=assistant_usage(week, settings, engine),
        gaps_closed=closed,
    )


def nudge_items(digest: Digest) -> list[DigestItem]:
    """Whom to remind to report: stalling use cases, and those that never reported any
    value (a drop candidate by the no-value rule, still worth one reminder)."""
    never = [i for i in digest.sections["drop_candidate"] if i.numbers.get("rule") == "no_value"]
    return digest.sections["stalling"] + never


def assistant_usage(week: str, settings: Settings, engine: Engine) -> WeekUsage | None:
    """The assistant's own answers, tokens and cost in the week the digest reports on
    (None when the Q&A log cannot be read: the digest goes out without the line)."""
    from knowledge.qa_log import weekly_usage

    try:
        return weekly_usage(week=shift(week, -1), tz=settings.tz, engine=engine)
    except Exception:
        log.warning("could not read the assistant's usage for the digest", exc_info=True)
        return None


def _reported_window(week: str, settings: Settings) -> tuple[datetime, datetime]:
    start = datetime.combine(monday_of(shift(week, -1)), datetime.min.time(), settings.tz)
    return start.astimezone(UTC), (start + timedelta(days=7)).astimezone(UTC)


def _knowledge_gaps(
    week: str, settings: Settings, engine: Engine, *, closed: Sequence[ClosedGap] = ()
) -> list[str]:
    """Questions from the reported week the knowledge base could not serve (those a
    saved thread closed in that week are listed as closed instead)."""
    from knowledge.notes import question_key
    from knowledge.qa_log import knowledge_gaps

    since, until = _reported_window(week, settings)
    done = {question_key(g.question) for g in closed}
    gaps = knowledge_gaps(since=since, until=until, limit=10 + len(done), engine=engine)
    return [q for q in gaps if question_key(q) not in done][:10]


def _closed_gaps(week: str, settings: Settings, engine: Engine) -> list[ClosedGap]:
    """Gaps closed in the reported week by "Add to Spinebot knowledge" (none when the
    notes cannot be read: the digest goes out without them)."""
    from knowledge.notes import closed_gaps

    since, until = _reported_window(week, settings)
    try:
        return closed_gaps(since=since, until=until, limit=10, engine=engine)
    except Exception:
        log.warning("could not read the closed knowledge gaps for the digest", exc_info=True)
        return []


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
    for item in nudge_items(digest):
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
