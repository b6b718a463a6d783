"""Find and compare: search by meaning and words, list @owner, units, who voted."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from portfolio import commands as c
from portfolio import executor as x
from portfolio import weeks
from portfolio.cli import lines
from portfolio.errors import InvalidInput
from portfolio.service import PortfolioService
from spinebot.settings import load_settings

OWNER, ADMIN, OTHER = "UOWNER", "UADMIN", "UOTHER"


@pytest.fixture
def svc(db: Engine) -> PortfolioService:
    return PortfolioService(load_settings(spine_admins=[ADMIN], hourly_rate=50.0), engine=db)


def test_search_finds_by_words_and_by_meaning(svc: PortfolioService) -> None:
    claims = svc.register(
        actor=OWNER, title="Claims e-mail triage", description="Route insurance claims mail"
    ).id
    svc.register(actor=OWNER, title="Invoice matching", description="Pair invoices with orders")
    found = x.execute(svc, c.parse_usecase("search claims"), OTHER)
    assert isinstance(found, x.Found) and [card.id for card, _ in found.results][0] == claims
    by_meaning = x.execute(svc, c.Search("sorting incoming insurance correspondence"), OTHER)
    assert isinstance(by_meaning, x.Found)
    assert by_meaning.results and by_meaning.results[0][0].id == claims
    nothing = x.execute(svc, c.Search("zebra quantum"), OTHER)
    assert isinstance(nothing, x.Found) and nothing.results == []
    assert lines(nothing) == ["Nothing matches 'zebra quantum'."]
    with pytest.raises(InvalidInput, match="What should I look for"):
        c.parse_usecase("search")


def test_list_at_owner_shows_that_persons_use_cases(svc: PortfolioService) -> None:
    mine = svc.register(actor=OWNER, title="Claims triage").id
    svc.register(actor=OTHER, title="Invoice matching")
    assert c.parse_usecase("list <@UOWNER|ana>") == c.ListCmd(None, owner=OWNER)
    listed = x.execute(svc, c.parse_usecase("list @UOWNER"), OTHER)
    assert isinstance(listed, x.Listed) and [card.id for card in listed.cards] == [mine]


def test_units_sum_value_cost_and_net_over_4_and_13_weeks(svc: PortfolioService) -> None:
    now = weeks.current_week(svc.settings.tz)
    a = svc.register(actor=OWNER, title="Claims triage", units=["Claims", "Retail"]).id
    b = svc.register(actor=OWNER, title="Invoice matching", units=["Finance"]).id
    svc.report_metrics(
        actor=OWNER,
        use_case_id=a,
        values={"hours_saved": 2, "llm_cost": 30},
        week=weeks.shift(now, -1),
    )
    svc.report_metrics(
        actor=OWNER, use_case_id=a, values={"revenue": 1000}, week=weeks.shift(now, -10)
    )
    svc.report_metrics(
        actor=OWNER, use_case_id=a, values={"revenue": 9999}, week=weeks.shift(now, -20)
    )
    svc.report_metrics(
        actor=OWNER, use_case_id=b, values={"cost_saved": 40}, week=now
    )  # not counted
    shown = x.execute(svc, c.Units(), OTHER)
    assert isinstance(shown, x.UnitsShown)
    by_unit = {u.unit: u for u in shown.units}
    claims = by_unit["Claims"]
    assert (claims.value(4), claims.cost(4), claims.net(4)) == (100.0, 30.0, 70.0)
    assert (claims.value(13), claims.net(13)) == (1100.0, 1070.0)
    assert by_unit["Retail"].net(13) == 1070.0  # counted in full for each unit
    assert by_unit["Finance"].net(13) == 0.0 and by_unit["Finance"].use_cases == 1
    table = lines(shown)
    assert table[0].split()[:3] == ["unit", "cases", "net"] and "Claims" in table[1]


def test_votes_show_who_voted_and_why_to_the_owner_or_an_admin(svc: PortfolioService) -> None:
    uc = svc.register(actor=OWNER, title="Claims triage").id
    svc.vote(actor=OTHER, use_case_id=uc, reason="saves our mornings")
    svc.vote(actor=ADMIN, use_case_id=uc)
    for viewer in (OWNER, ADMIN):
        shown = x.execute(svc, c.parse_usecase(f"votes UC-{uc}"), viewer)
        assert isinstance(shown, x.VotesShown)
        assert [(v.user_id, v.reason) for v in shown.votes] == [
            (OTHER, "saves our mornings"),
            (ADMIN, ""),
        ]
    refused = x.execute(svc, c.Votes(uc), OTHER)
    assert isinstance(refused, x.Failed) and "Only the owner" in refused.error.message
