"""Spinebot holds itself to the spine's rules: it is a use case in the portfolio.

:func:`report_assistant_usage` finds (or registers) the use case named by
ASSISTANT_USE_CASE and reports, for a finished ISO week, what the Q&A log says: the
model cost of answering (``llm_cost``) and how many distinct people asked (``users``).
It goes through :meth:`PortfolioService.report_metrics` like any owner's report, so the
digest's trend rules can call the assistant growing, stalling or a drop candidate.

It is idempotent: a week already reported with the same figures is left alone (no
second audit entry), and other metrics people reported for that week (e.g.
``hours_saved``) are kept. A dropped assistant use case is not reported on (someone
decided to drop it; the job does not undo that by registering a new one).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import col, select

from knowledge.qa_log import weekly_usage
from portfolio.models import MetricReport, Status, UseCase
from portfolio.weeks import current_week, shift
from spinebot.db import session_scope
from spinebot.settings import Settings, get_settings

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "spinebot"
DESCRIPTION = (
    "The spine's own Slack assistant: cited answers from the knowledge base. Its weekly "
    "model cost and the number of people asking are reported automatically from the Q&A log."
)


@dataclass(frozen=True)
class AssistantReport:
    use_case_id: int | None
    week: str
    llm_cost: float
    users: int
    outcome: str  # reported, unchanged, dropped

    def summary(self) -> str:
        where = f"UC-{self.use_case_id}" if self.use_case_id else "no use case"
        return (
            f"assistant usage {self.week} ({where}): {self.outcome}, "
            f"llm_cost={self.llm_cost:.4f}, users={self.users}"
        )


def _find(title: str, engine: Engine | None) -> tuple[int, str, str] | None:
    """(id, status, owner) of the assistant's use case: the active one first, else the
    most recent with that title."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(UseCase.id, UseCase.status, UseCase.owner_id)
            .where(UseCase.title == title)
            .order_by(col(UseCase.id).desc())
        ).all()
    for row in rows:
        if row[1] == Status.active.value:
            return int(row[0] or 0), row[1], row[2]
    return (int(rows[0][0] or 0), rows[0][1], rows[0][2]) if rows else None


def _reported(use_case_id: int, week: str, engine: Engine | None) -> MetricReport | None:
    with session_scope(engine) as session:
        return session.exec(
            select(MetricReport).where(
                MetricReport.use_case_id == use_case_id, MetricReport.week == week
            )
        ).first()


def report_assistant_usage(
    *, week: str | None = None, settings: Settings | None = None, engine: Engine | None = None
) -> AssistantReport:
    """Report ``week`` (default: last week, in TIMEZONE) for the assistant's use case."""
    from portfolio.service import PortfolioService

    settings = settings or get_settings()
    week = week or shift(current_week(settings.tz), -1)
    usage = weekly_usage(week=week, tz=settings.tz, engine=engine)
    cost, users = round(usage.cost, 6), usage.askers
    portfolio = PortfolioService(settings, engine=engine)
    found = _find(settings.assistant_use_case, engine)
    if found is None:
        owner = settings.spine_admins[0] if settings.spine_admins else SYSTEM_ACTOR
        card = portfolio.register(
            actor=owner, title=settings.assistant_use_case, description=DESCRIPTION
        )
        found = (card.id, Status.active.value, owner)
        log.info("registered the assistant's own use case UC-%s", card.id)
    use_case_id, status, owner = found
    if status != Status.active.value:
        return AssistantReport(use_case_id, week, cost, users, "dropped")
    before = _reported(use_case_id, week, engine)
    if before is not None and before.users == users and abs((before.llm_cost or 0.0) - cost) < 1e-9:
        return AssistantReport(use_case_id, week, cost, users, "unchanged")
    portfolio.report_metrics(
        actor=owner, use_case_id=use_case_id, values={"llm_cost": cost, "users": users}, week=week
    )
    report = AssistantReport(use_case_id, week, cost, users, "reported")
    log.info("%s", report.summary())
    return report


__all__ = ["AssistantReport", "report_assistant_usage"]
