"""Small but visible: sanity bounds, currency, the digest of a past week, nudges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, update
from sqlmodel import Session

from jobs.digest import build_digest, nudge_items
from portfolio.errors import InvalidInput
from portfolio.models import UseCase
from portfolio.service import PortfolioService
from portfolio.transfer import ImportErrors, import_file
from portfolio.weeks import current_week, monday_of, shift
from spinebot.format import money
from spinebot.settings import SettingsError, get_settings, load_settings

OWNER = "UOWNER"


@pytest.fixture
def svc(db: Engine) -> PortfolioService:
    return PortfolioService(load_settings(), engine=db)


def test_an_implausible_weekly_figure_is_refused_by_reports_and_imports(
    svc: PortfolioService,
) -> None:
    uc = svc.register(actor=OWNER, title="Claims triage").id
    with pytest.raises(InvalidInput, match="implausibly large for one week"):
        svc.report_metrics(actor=OWNER, use_case_id=uc, values={"llm_cost": 1e12})
    assert svc.get(uc).weeks == []
    csv = "title,week,llm_cost\nClaims triage,2026-W30,1e12\n"
    with pytest.raises(ImportErrors, match="row 2, column llm_cost: llm_cost=1e"):
        import_file(svc, csv.encode(), "f.csv", actor=OWNER)


def test_the_bounds_are_settings(db: Engine) -> None:
    strict = PortfolioService(load_settings(metric_max_hours=100), engine=db)
    uc = strict.register(actor=OWNER, title="Claims triage").id
    with pytest.raises(InvalidInput, match="the limit is 100"):
        strict.report_metrics(actor=OWNER, use_case_id=uc, values={"hours_saved": 101})
    assert strict.report_metrics(actor=OWNER, use_case_id=uc, values={"hours_saved": 100})


def test_currency_sets_the_symbol_and_its_place(monkeypatch: pytest.MonkeyPatch) -> None:
    assert money(1200, "EUR") == "€1,200" and money(-5, "GBP") == "−£5"
    assert money(1200, "CHF") == "1,200 CHF"
    monkeypatch.setenv("CURRENCY", "eur")
    get_settings.cache_clear()
    assert get_settings().currency == "EUR" and money(99) == "€99"
    with pytest.raises(SettingsError, match="CURRENCY"):
        load_settings(currency="euro")


def test_the_digest_of_a_past_week_leaves_out_later_registrations(
    svc: PortfolioService, db: Engine
) -> None:
    old = svc.register(actor=OWNER, title="Claims triage").id
    recent = svc.register(actor=OWNER, title="Invoice matching").id
    past = shift(current_week("UTC"), -5)
    with Session(db) as session:
        session.execute(
            update(UseCase)
            .where(UseCase.id == old)  # type: ignore[arg-type]
            .values(
                created_at=datetime.combine(monday_of(shift(past, -1)), datetime.min.time(), UTC)
            )
        )
        session.commit()
    digest = build_digest(week=past, settings=svc.settings, engine=db)
    listed = [i.id for items in digest.sections.values() for i in items]
    assert listed == [old] and recent not in listed and digest.active == 1
    assert all("-" not in i.rule.split("week")[0] for i in digest.sections["new"])
    assert "First active 1 week ago" in digest.sections["new"][0].rule


def test_owners_of_use_cases_that_never_reported_are_nudged_too(
    svc: PortfolioService, db: Engine
) -> None:
    silent = svc.register(actor=OWNER, title="Never reported").id
    with Session(db) as session:
        session.execute(
            update(UseCase)
            .where(UseCase.id == silent)  # type: ignore[arg-type]
            .values(created_at=datetime.now(UTC) - timedelta(weeks=8))
        )
        session.commit()
    digest = build_digest(settings=svc.settings, engine=db)
    [item] = digest.sections["drop_candidate"]
    assert item.id == silent and item.numbers["rule"] == "no_value"
    assert [i.id for i in nudge_items(digest)] == [silent]
