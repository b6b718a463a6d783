"""Trend rules: which one of six trends a use case is in, and the rule that put it there.

Pure functions over a use case's weekly metric history; no database, no Slack. The
digest, the ``show`` card and the App Home all call :func:`classify`.

Rules are checked in this order and the first that fires wins:

1. **new** — first active fewer than ``new_weeks`` weeks ago: too early to judge. A use
   case's age counts from its first activity, its registration or its first reported
   week, whichever is earlier, so a portfolio moved in with months of back-filled
   figures is judged on them at once.
2. **drop candidate** — the spine's duty to stop what does not pay (unless snoozed):
   no value reported ``no_value_weeks`` after its first activity; net value ≤ 0 in each of
   the last ``nonpositive_weeks`` consecutive reported weeks; net value falling
   ``falling_weeks`` weeks in a row; or only hours saved, with no cost or revenue effect,
   for ``convenience_weeks`` consecutive weeks (convenience, not value).
3. **ready to scale** — a pilot with positive net value in each of its last
   ``pilot_scale_weeks`` consecutive weeks (→ production), or a production use case in a
   single unit positive for ``production_scale_weeks`` weeks (→ more units / platform).
4. **growing** — net value of the last 4 weeks up at least ``growth_pct`` % on the 4
   weeks before (weekly averages over the reported weeks, at least 2 in each window).
5. **stalling** — no report for ``stall_weeks`` weeks: nudge the owner.
6. **steady** — none of the above.

Drop rules come before the positive ones because a use case that fails one of them must
be looked at even if another signal looks good; stalling comes after growth because a
missing report says less than a measured trend.

"Consecutive" means consecutive ISO weeks: a gap in reporting breaks a streak.

Only the last :meth:`Thresholds.lookback_weeks` weeks before the current week feed the
streak and growth rules (the longest rule's span plus the stall period). So the answer
is the same whether the caller passes the whole history (a ``show`` card) or just that
window (the digest, which reads one window for thousands of use cases), and an old
streak from months ago cannot decide today's trend. Whole-history facts (last report,
any value ever) come from ``last_reported`` / ``ever_valued`` when given.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from portfolio.weeks import monday_of

KINDS = ("new", "drop_candidate", "ready_to_scale", "growing", "stalling", "steady")
GROWTH_WINDOW = 4


@dataclass(frozen=True)
class WeekPoint:
    week: str
    hours_saved: float | None
    cost_saved: float | None
    revenue: float | None
    llm_cost: float | None
    net_value: float

    @property
    def has_value(self) -> bool:
        return any(v is not None for v in (self.hours_saved, self.cost_saved, self.revenue))

    @property
    def hours_only(self) -> bool:
        return bool(self.hours_saved) and not self.cost_saved and not self.revenue


@dataclass(frozen=True)
class Thresholds:
    new_weeks: int = 2
    no_value_weeks: int = 6
    nonpositive_weeks: int = 4
    falling_weeks: int = 4
    convenience_weeks: int = 8
    pilot_scale_weeks: int = 4
    production_scale_weeks: int = 8
    growth_pct: float = 10.0
    stall_weeks: int = 3

    def lookback_weeks(self) -> int:
        """How many weeks, counting the current one, the streak and growth rules read."""
        span = max(
            self.nonpositive_weeks,
            self.falling_weeks + 1,
            self.convenience_weeks,
            self.pilot_scale_weeks,
            self.production_scale_weeks,
            2 * GROWTH_WINDOW,
        )
        # A streak may end up to stall_weeks - 1 weeks ago and still count; one more week
        # for the current week, which is usually not reported yet when the digest runs.
        return span + self.stall_weeks

    @classmethod
    def from_settings(cls, settings: Any) -> Thresholds:
        return cls(
            new_weeks=settings.trend_new_weeks,
            no_value_weeks=settings.trend_no_value_weeks,
            nonpositive_weeks=settings.trend_nonpositive_weeks,
            falling_weeks=settings.trend_falling_weeks,
            convenience_weeks=settings.trend_convenience_weeks,
            pilot_scale_weeks=settings.trend_pilot_scale_weeks,
            production_scale_weeks=settings.trend_production_scale_weeks,
            growth_pct=settings.trend_growth_pct,
            stall_weeks=settings.trend_stall_weeks,
        )


@dataclass(frozen=True)
class Trend:
    kind: str
    rule: str
    numbers: dict[str, float | int | str] = field(default_factory=dict)


def net_value(
    *,
    hours_saved: float | None,
    cost_saved: float | None,
    revenue: float | None,
    llm_cost: float | None,
    hourly_rate: float,
) -> float:
    """hours × rate + cost saved + revenue − LLM cost; an unreported metric counts as 0."""
    return (
        (hours_saved or 0.0) * hourly_rate
        + (cost_saved or 0.0)
        + (revenue or 0.0)
        - (llm_cost or 0.0)
    )


@lru_cache(maxsize=4096)
def week_index(week: str) -> int:
    """A week as a running number, so consecutive weeks differ by exactly 1."""
    return monday_of(week).toordinal() // 7


def _streak(points: Sequence[WeekPoint]) -> list[WeekPoint]:
    """The trailing run of reports in consecutive weeks, oldest first."""
    if not points:
        return []
    run = [points[-1]]
    for point in reversed(points[:-1]):
        if week_index(run[-1].week) - week_index(point.week) != 1:
            break
        run.append(point)
    run.reverse()
    return run


def _money(value: float) -> str:
    from spinebot.format import money

    return money(value)


def _weeks_ago(age: int) -> str:
    if age <= 0:
        return "this week"
    return "1 week ago" if age == 1 else f"{age} weeks ago"


def classify(
    *,
    created_week: str,
    current_week: str,
    phase: str,
    units: int,
    history: Sequence[WeekPoint],
    thresholds: Thresholds = Thresholds(),  # noqa: B008 - frozen, safe as a default
    snoozed: bool = False,
    last_reported: str | None = None,
    ever_valued: bool | None = None,
) -> Trend:
    """The one trend of an active use case as of ``current_week``.

    ``history`` may be the whole history or only its last ``lookback_weeks()`` weeks;
    with a window, pass ``last_reported`` (latest reported week up to ``current_week``)
    and ``ever_valued`` (any value reported by then) computed over the whole history.
    """
    t = thresholds
    now = week_index(current_week)
    age = now - week_index(created_week)

    if age < t.new_weeks:
        return Trend(
            "new",
            f"First active {_weeks_ago(age)} (new for {t.new_weeks} weeks).",
            {"age_weeks": age},
        )

    oldest = now - t.lookback_weeks() + 1
    indexed = sorted(
        ((index, p) for p in history if oldest <= (index := week_index(p.week)) <= now),
        key=lambda pair: pair[0],
    )
    points = [p for _, p in indexed]
    if last_reported is None or ever_valued is None:
        past = [p for p in history if week_index(p.week) <= now]
        if last_reported is None and past:
            last_reported = max(p.week for p in past)
        if ever_valued is None:
            ever_valued = any(p.has_value for p in past)

    streak = _streak(points)
    if not snoozed:
        if not ever_valued and age >= t.no_value_weeks:
            return Trend(
                "drop_candidate",
                f"No value reported {age} weeks after its first activity "
                f"(rule: none after {t.no_value_weeks} weeks).",
                {"rule": "no_value", "age_weeks": age},
            )
        tail = streak[-t.nonpositive_weeks :]
        if len(tail) == t.nonpositive_weeks and all(p.net_value <= 0 for p in tail):
            total = sum(p.net_value for p in tail)
            return Trend(
                "drop_candidate",
                f"Net value ≤ 0 for {t.nonpositive_weeks} consecutive weeks "
                f"({tail[0].week}–{tail[-1].week}, total {_money(total)}).",
                {"rule": "nonpositive", "weeks": t.nonpositive_weeks, "total": total},
            )
        falling = streak[-(t.falling_weeks + 1) :]
        if len(falling) == t.falling_weeks + 1 and all(
            b.net_value < a.net_value for a, b in zip(falling, falling[1:], strict=False)
        ):
            return Trend(
                "drop_candidate",
                f"Net value fell {t.falling_weeks} weeks in a row, from "
                f"{_money(falling[0].net_value)} to {_money(falling[-1].net_value)}.",
                {"rule": "falling", "from": falling[0].net_value, "to": falling[-1].net_value},
            )
        hours = streak[-t.convenience_weeks :]
        if len(hours) == t.convenience_weeks and all(p.hours_only for p in hours):
            return Trend(
                "drop_candidate",
                f"Only hours saved, no cost or revenue effect, for {t.convenience_weeks} weeks: "
                "convenience rather than measurable value.",
                {"rule": "convenience", "weeks": t.convenience_weeks},
            )

    if phase == "pilot":
        tail = streak[-t.pilot_scale_weeks :]
        if len(tail) == t.pilot_scale_weeks and all(p.net_value > 0 for p in tail):
            return Trend(
                "ready_to_scale",
                f"Pilot with positive net value {t.pilot_scale_weeks} weeks running "
                f"(latest {_money(tail[-1].net_value)}): ready for production.",
                {"rule": "pilot_to_production", "target": "production"},
            )
    elif phase == "production" and units <= 1:
        tail = streak[-t.production_scale_weeks :]
        if len(tail) == t.production_scale_weeks and all(p.net_value > 0 for p in tail):
            return Trend(
                "ready_to_scale",
                f"In production in one unit with positive net value "
                f"{t.production_scale_weeks} weeks running: adopt in more units or make it "
                "a platform.",
                {"rule": "production_to_platform", "target": "platform"},
            )

    if points:
        # Average weekly value per window, over the weeks actually reported: a week
        # nobody reported is unknown, not zero, so it cannot fake a rise. The windows end
        # at the current week, so a use case that went quiet cannot count as growing.
        by_week = {index: p.net_value for index, p in indexed}
        recent_vals = [by_week[now - i] for i in range(GROWTH_WINDOW) if now - i in by_week]
        before_vals = [
            by_week[w]
            for w in range(now - 2 * GROWTH_WINDOW + 1, now - GROWTH_WINDOW + 1)
            if w in by_week
        ]
        if len(recent_vals) >= 2 and len(before_vals) >= 2:
            recent = sum(recent_vals) / len(recent_vals) * GROWTH_WINDOW
            before = sum(before_vals) / len(before_vals) * GROWTH_WINDOW
            if before > 0 and recent >= before * (1 + t.growth_pct / 100):
                pct = (recent - before) / before * 100
                return Trend(
                    "growing",
                    f"Net value of the last 4 weeks {_money(recent)}, up {pct:.0f}% on the 4 "
                    f"before ({_money(before)}).",
                    {"recent": recent, "before": before, "pct": round(pct, 1)},
                )

    last = last_reported
    silent = now - week_index(last) if last else age
    if silent >= t.stall_weeks:
        last = last or "never"
        return Trend(
            "stalling",
            f"No metric report for {silent} weeks (last: {last}); the owner is nudged.",
            {"weeks_silent": silent},
        )
    return Trend("steady", "No rule fired: value is reported and stable.", {})
