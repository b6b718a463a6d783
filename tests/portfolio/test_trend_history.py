"""Trends read history, not the registration date: a portfolio moved in with months of
back-filled figures is judged on them from the day it is registered."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from jobs.digest import build_digest
from portfolio.service import PortfolioService
from portfolio.weeks import current_week, shift
from spinebot.settings import load_settings

OWNER = "UOWNER"


@pytest.fixture
def svc(db: Engine) -> PortfolioService:
    return PortfolioService(load_settings(hourly_rate=60.0), engine=db)


def backfill(svc: PortfolioService, uc: int, weekly: list[dict[str, float]]) -> None:
    """``weekly``: oldest first, ending with last week."""
    now = current_week(svc.settings.tz)
    for ago, values in zip(range(len(weekly), 0, -1), weekly, strict=True):
        svc.report_metrics(actor=OWNER, use_case_id=uc, values=values, week=shift(now, -ago))


def digest_kind(svc: PortfolioService, uc: int) -> str | None:
    digest = build_digest(settings=svc.settings, engine=svc.engine)
    return next((k for k, items in digest.sections.items() for i in items if i.id == uc), None)


def test_registered_today_with_eight_losing_weeks_is_a_drop_candidate(
    svc: PortfolioService,
) -> None:
    uc = svc.register(actor=OWNER, title="Contract summaries").id
    backfill(svc, uc, [{"hours_saved": 1, "llm_cost": 900}] * 8)
    card = svc.get(uc)
    assert card.trend == "drop_candidate", card.trend_rule
    assert card.trend_rule and "≤ 0" in card.trend_rule
    assert digest_kind(svc, uc) == "drop_candidate"


def test_registered_today_with_eight_weeks_of_growth_is_growing(svc: PortfolioService) -> None:
    uc = svc.register(actor=OWNER, title="Claims triage", units=["Claims", "Retail"]).id
    backfill(svc, uc, [{"revenue": 1000.0 * n, "llm_cost": 100} for n in range(1, 9)])
    assert svc.get(uc).trend == "ready_to_scale"  # a pilot: ready for production
    svc.set_phase(actor=OWNER, use_case_id=uc, phase="production")
    card = svc.get(uc)
    assert card.trend == "growing", card.trend_rule
    assert digest_kind(svc, uc) == "growing"


def test_a_new_registration_without_history_is_still_new(svc: PortfolioService) -> None:
    uc = svc.register(actor=OWNER, title="Meeting notes").id
    card = svc.get(uc)
    assert card.trend == "new" and card.trend_rule == "First active this week (new for 2 weeks)."
    assert digest_kind(svc, uc) == "new"


def test_age_counts_from_the_earliest_reported_week(svc: PortfolioService) -> None:
    uc = svc.register(actor=OWNER, title="Invoice triage").id
    backfill(svc, uc, [{"hours_saved": 3}])  # one week, last week: first active a week ago
    assert svc.get(uc).trend == "new"
    backfill(svc, uc, [{"hours_saved": 3}, {"hours_saved": 3}, {"hours_saved": 3}])
    assert svc.get(uc).trend != "new"
