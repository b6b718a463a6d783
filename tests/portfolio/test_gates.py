"""Phase gates that hold: moving up is checked, moving down is free, admins override."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from portfolio import commands as c
from portfolio import executor as x
from portfolio import weeks
from portfolio.cli import lines
from portfolio.errors import InvalidInput, PermissionDenied
from portfolio.gates import closed_gate
from portfolio.service import PortfolioService
from spinebot.settings import load_settings

OWNER, ADMIN, OTHER = "UOWNER", "UADMIN", "UOTHER"


@pytest.fixture
def svc(db: Engine) -> PortfolioService:
    return PortfolioService(load_settings(spine_admins=[ADMIN]), engine=db)


def pilot(svc: PortfolioService, *, good_weeks: int = 4, risk: str = "minimal") -> int:
    uc = svc.register(actor=OWNER, title="Claims triage", risk_tier=risk).id
    now = weeks.current_week(svc.settings.tz)
    for ago in range(1, good_weeks + 1):
        svc.report_metrics(
            actor=OWNER, use_case_id=uc, values={"revenue": 100}, week=weeks.shift(now, -ago)
        )
    return uc


def test_the_gate_rules_on_their_own() -> None:
    def gate(**kw: object) -> str | None:
        args = dict(current="pilot", target="production", risk_tier="minimal", trend="new")
        return closed_gate(**{**args, "review": None, "pilot_weeks": 4, **kw})  # type: ignore[arg-type]

    assert gate(trend="ready_to_scale") is None
    assert "ready-to-scale rule" in (gate() or "")
    assert gate(current="production", target="pilot") is None  # down: always open
    assert gate(current="production", target="platform") is None
    assert "review" in (gate(trend="ready_to_scale", risk_tier="high") or "")
    assert gate(trend="ready_to_scale", risk_tier="high", review="conditions") is None
    assert "rejected" in (gate(trend="ready_to_scale", risk_tier="high", review="rejected") or "")


def test_a_pilot_with_one_week_of_data_cannot_move_up_and_the_attempt_is_recorded(
    svc: PortfolioService,
) -> None:
    uc = pilot(svc, good_weeks=1)
    with pytest.raises(InvalidInput) as closed:
        svc.set_phase(actor=OWNER, use_case_id=uc, phase="platform")
    assert "ready-to-scale rule" in closed.value.message and "override" in closed.value.message
    assert svc.get(uc).phase == "pilot"
    [attempt] = [e for e in svc.history(uc) if e.action == "phase"]
    assert not attempt.allowed and attempt.detail.startswith("gate closed (platform)")


def test_a_ready_pilot_moves_up(svc: PortfolioService) -> None:
    uc = pilot(svc)
    assert svc.get(uc).trend == "ready_to_scale"
    assert svc.set_phase(actor=OWNER, use_case_id=uc, phase="production").phase == "production"


def test_a_high_risk_use_case_needs_a_passing_review(svc: PortfolioService) -> None:
    uc = pilot(svc, risk="high")
    with pytest.raises(InvalidInput, match="none is recorded"):
        svc.set_phase(actor=OWNER, use_case_id=uc, phase="production")
    rejected = x.execute(svc, c.ReviewCmd(uc, "rejected", "no human in the loop"), ADMIN)
    assert isinstance(rejected, x.Reviewed) and rejected.card.review == "rejected"
    with pytest.raises(InvalidInput, match="latest review rejected it"):
        svc.set_phase(actor=OWNER, use_case_id=uc, phase="production")
    x.execute(svc, c.ReviewCmd(uc, "conditions", "weekly sample audit"), ADMIN)
    assert svc.set_phase(actor=OWNER, use_case_id=uc, phase="production").phase == "production"
    [review, first] = [e for e in svc.history(uc) if e.action == "review"]
    assert review.detail == "conditions: weekly sample audit"
    assert (review.before, review.after) == (
        {"review": "rejected"},
        {"review": "conditions", "note": "weekly sample audit"},
    )
    assert first.before == {"review": None}


def test_only_admins_record_reviews_and_a_refusal_is_audited(svc: PortfolioService) -> None:
    uc = pilot(svc, risk="high")
    outcome = x.execute(svc, c.ReviewCmd(uc, "approved"), OWNER)
    assert isinstance(outcome, x.Failed) and "Only spine admins" in outcome.error.message
    [refused] = [e for e in svc.history(uc) if e.action == "review"]
    assert not refused.allowed and refused.actor_id == OWNER
    assert svc.get(uc).review is None


def test_an_admin_overrides_a_closed_gate_with_a_reason_on_the_record(
    svc: PortfolioService,
) -> None:
    uc = pilot(svc, good_weeks=0, risk="high")
    with pytest.raises(PermissionDenied, match="Only spine admins can override"):
        svc.set_phase(actor=OWNER, use_case_id=uc, phase="production", override="trust me")
    outcome = x.execute(svc, c.PhaseCmd(uc, "production", "migrated from the old tracker"), ADMIN)
    assert isinstance(outcome, x.PhaseChanged) and outcome.override
    assert "Gate overridden: migrated from the old tracker" in lines(outcome)[0]
    latest = svc.history(uc)[0]
    assert latest.allowed and latest.actor_id == ADMIN
    assert "gate overridden: migrated from the old tracker" in latest.detail
    assert "review" in latest.detail  # what the gate said is kept with the override
    refusal = [e for e in svc.history(uc) if not e.allowed]
    assert [(e.actor_id, e.action) for e in refusal] == [(OWNER, "phase")]


def test_an_override_on_an_open_gate_or_a_move_down_is_just_a_move(
    svc: PortfolioService,
) -> None:
    uc = pilot(svc)
    up = x.execute(svc, c.PhaseCmd(uc, "production", "not needed"), ADMIN)
    assert isinstance(up, x.PhaseChanged) and up.override is None
    svc.edit(actor=OWNER, use_case_id=uc, risk_tier="high")  # no review recorded
    down = x.execute(svc, c.PhaseCmd(uc, "pilot"), OWNER)
    assert isinstance(down, x.PhaseChanged) and not down.upward
    assert lines(down)[0].startswith("⬇")


def test_review_and_override_parse_with_their_usage() -> None:
    assert c.parse_usecase("review UC-4 approved") == c.ReviewCmd(4, "approved", "")
    assert c.parse_usecase("review 4 Rejected no fallback") == c.ReviewCmd(
        4, "rejected", "no fallback"
    )
    assert c.parse_usecase("phase 4 production override: board approved") == c.PhaseCmd(
        4, "production", "board approved"
    )
    for bad, says in [
        ("review 4 maybe", "not a decision"),
        ("review 4 conditions", "add a note"),
        ("phase 4 production override", "Say why"),
        ("phase 4 production now", "not a phase"),
    ]:
        with pytest.raises(InvalidInput, match=says):
            c.parse_usecase(bad)
