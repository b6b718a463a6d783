"""The one executor: every surface's command runs here and comes back as an outcome."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from portfolio import commands as c
from portfolio import executor as x
from portfolio.cli import lines
from portfolio.models import AuditEvent, UseCase
from portfolio.service import PortfolioService
from spinebot.settings import load_settings

OWNER, ADMIN, OTHER = "UOWNER", "UADMIN", "UOTHER"


@pytest.fixture
def svc(db: Engine) -> PortfolioService:
    return PortfolioService(load_settings(spine_admins=[ADMIN]), engine=db)


def registered(svc: PortfolioService, title: str = "Invoice triage") -> int:
    outcome = x.execute(svc, c.Register(title, "Sort invoices", confirmed=True), OWNER)
    assert isinstance(outcome, x.Registered), outcome
    return outcome.card.id


def test_a_registration_is_an_announced_outcome_with_its_card(svc: PortfolioService) -> None:
    outcome = x.execute(
        svc,
        c.Register("Claims triage", units=("Legal",), risk_tier="high", confirmed=True),
        OWNER,
    )
    assert isinstance(outcome, x.Registered) and outcome.announce
    assert (outcome.card.units, outcome.card.risk_tier) == (["Legal"], "high")


def test_errors_come_back_as_a_failed_outcome_with_the_usage(svc: PortfolioService) -> None:
    uc = registered(svc)
    outcome = x.execute(svc, c.PhaseCmd(uc, "production"), OTHER)
    assert isinstance(outcome, x.Failed) and not outcome.announce
    assert "Only the owner" in outcome.error.message
    missing = x.execute(svc, c.Show(999), OWNER)
    assert isinstance(missing, x.Failed) and "no use case UC-999" in missing.error.message


def test_a_phase_change_knows_whether_it_went_up_or_down(svc: PortfolioService) -> None:
    uc = registered(svc)
    up = x.execute(svc, c.PhaseCmd(uc, "platform", override="moved in"), ADMIN)
    assert isinstance(up, x.PhaseChanged) and up.upward and up.previous == "pilot"
    assert up.override == "moved in"
    down = x.execute(svc, c.PhaseCmd(uc, "production"), OWNER)
    assert isinstance(down, x.PhaseChanged) and not down.upward and down.previous == "platform"
    assert lines(down) == [f"⬇ UC-{uc} is now in production (was platform)."]


def test_the_digest_policy_lets_only_admins_act_and_audits_the_refusal(
    svc: PortfolioService, db: Engine
) -> None:
    uc = registered(svc)
    refused = x.execute(svc, c.Drop(uc, x.DIGEST_DROP_REASON), x.Actor(OWNER, admins_only=True))
    assert isinstance(refused, x.Failed) and "spine admins" in refused.error.message
    with Session(db) as session:
        refusals = select(AuditEvent).where(AuditEvent.allowed == False)  # noqa: E712
        events = session.exec(refusals).all()
        assert [(e.actor_id, e.action) for e in events] == [(OWNER, "drop")]
        assert session.get(UseCase, uc).status == "active"  # type: ignore[union-attr]
    dropped = x.execute(svc, c.Drop(uc, x.DIGEST_DROP_REASON), x.Actor(ADMIN, admins_only=True))
    assert isinstance(dropped, x.Dropped) and dropped.announce


def test_a_similar_registration_asks_first_unless_confirmed(
    svc: PortfolioService, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered(svc, "Claims triage")
    first = svc.get(1)
    monkeypatch.setattr(svc, "find_similar", lambda **_: [(first, 0.9)])
    pending = c.Register("Triage of claims", units=("Ops",), risk_tier="limited")
    asked = x.execute(svc, pending, OWNER)
    assert isinstance(asked, x.SimilarFound) and asked.pending == pending
    assert lines(asked)[0].startswith("Similar use cases exist")


def test_the_vote_total_and_the_card_come_from_the_same_transaction(
    svc: PortfolioService,
) -> None:
    uc = registered(svc)
    voters = [f"UV{n}" for n in range(12)]
    with ThreadPoolExecutor(6) as pool:
        outcomes = list(pool.map(lambda v: x.execute(svc, c.VoteCmd(uc, "useful"), v), voters))
    assert all(isinstance(o, x.Voted) and o.new and o.card.voted for o in outcomes)
    assert all(1 <= o.card.votes <= 12 for o in outcomes)  # type: ignore[attr-defined]
    assert svc.get(uc).votes == 12
    from bot.usecase_flow import render

    for outcome in outcomes:  # the note and the card's button show one count
        text = str(render(outcome, "UV0").blocks)
        total = outcome.card.votes  # type: ignore[attr-defined]
        assert f"Your vote is in ({total})." in text and "Unvote" in text
    gone = x.execute(svc, c.Unvote(uc), voters[0])
    assert isinstance(gone, x.Unvoted) and gone.removed and gone.card.votes == 11


def test_the_cli_and_slack_render_the_same_outcome(svc: PortfolioService) -> None:
    from bot.usecase_flow import render

    uc = registered(svc)
    outcome = x.execute(svc, c.MetricCmd(uc, {"hours_saved": 2.5, "llm_cost": 40.0}), OWNER)
    assert isinstance(outcome, x.MetricsRecorded)
    assert "hours_saved=2.5, llm_cost=40" in lines(outcome)[0]
    assert "hours_saved=2.5, llm_cost=40" in render(outcome, OWNER).text
