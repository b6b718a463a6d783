"""ISO weeks as the portfolio uses them: 'YYYY-Www' strings keyed by their Monday."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


class WeekError(ValueError):
    """Not an ISO week such as 2026-W48."""


def week_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def monday_of(week: str) -> date:
    """The Monday that starts ``week`` ('2026-W48'); WeekError when malformed."""
    match = _WEEK.match(week.strip())
    if not match:
        raise WeekError(f"'{week}' is not an ISO week like 2026-W48")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        return date.fromisocalendar(year, number, 1)
    except ValueError:
        raise WeekError(f"{year} has no week {number}") from None


def normalize(week: str) -> str:
    """'2026w5' → '2026-W05'."""
    return week_of(monday_of(week))


def today(tz: str | ZoneInfo = "UTC") -> date:
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return datetime.now(zone).date()


def current_week(tz: str | ZoneInfo = "UTC") -> str:
    return week_of(today(tz))


def shift(week: str, weeks: int) -> str:
    return week_of(monday_of(week) + timedelta(weeks=weeks))


def weeks_between(first: str, last: str) -> int:
    """Whole weeks from ``first`` to ``last`` (negative when ``last`` is earlier)."""
    return (monday_of(last) - monday_of(first)).days // 7
