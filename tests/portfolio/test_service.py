"""PortfolioService on SQLite and Postgres: rules, permissions and the audit trail."""

from __future__ import annotations

import sys

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from portfolio import weeks
from portfolio.errors import InvalidInput, NotFound, PermissionDenied
from portfolio.models import AuditEvent, MetricReport, UseCase, Vote
from portfolio.service import PortfolioService, net_value
from spinebot.settings import load_settings

OWNER, ADMIN, OTHER = "UOWNER", "UADMIN", "UOTHER"


@pytest.fixture
def svc(db: Engine) -> PortfolioService:
    return PortfolioService(load_settings(spine_admins=[ADMIN], hourly_rate=50.0), engine=db)


@pytest.fixture
def sqlite_svc(sqlite_db: Engine) -> PortfolioService:
    return PortfolioService(load_settings(spine_admins=[ADMIN]), engine=sqlite_db)


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def register(svc: PortfolioService, title: str = "Invoice triage", **kw: object) -> int:
    return svc.register(actor=OWNER, title=title, **kw).id  # type: ignore[arg-type]


def ready(svc: PortfolioService, uc: int) -> int:
    """Four weeks of positive value: the pilot's gate to production opens."""
    now = weeks.current_week(svc.settings.tz)
    for ago in range(1, 5):
        svc.report_metrics(
            actor=OWNER, use_case_id=uc, values={"revenue": 100}, week=weeks.shift(now, -ago)
        )
    return uc


# --- registering and reading ---------------------------------------------------------


def test_register_returns_a_card_and_audits_the_new_state(svc: PortfolioService) -> None:
    card = svc.register(
        actor=OWNER,
        title="  Invoice   triage ",
        description="Sort supplier invoices by urgency.",
        units=["Finance", "finance", "Procurement"],
        processes=["accounts payable"],
        risk_tier="Limited",
    )
    assert card.ref == f"UC-{card.id}"
    assert (card.title, card.owner_id, card.phase, card.status) == (
        "Invoice triage",
        OWNER,
        "pilot",
        "active",
    )
    assert card.units == ["Finance", "Procurement"]  # case-insensitive repeats dropped
    assert card.processes == ["accounts payable"] and card.risk_tier == "limited"
    assert (card.votes, card.voted, card.weeks, card.net_value_latest) == (0, False, [], None)
    [entry] = svc.history(card.id)
    assert (entry.action, entry.actor_id, entry.allowed, entry.before) == (
        "register",
        OWNER,
        True,
        None,
    )
    assert entry.after is not None and entry.after["units"] == ["Finance", "Procurement"]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"title": ""}, "missing"),
        ({"title": "x" * 121}, "limit is 120"),
        ({"title": "Ping <!channel>"}, "@channel"),
        ({"title": "ok", "description": "hi @here"}, "@channel"),
        ({"title": "ok", "units": ["u" * 81]}, "limit is 80"),
        ({"title": "ok", "risk_tier": "extreme"}, "risk tier"),
    ],
)
def test_invalid_registrations_write_nothing(
    svc: PortfolioService, db: Engine, fields: dict, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words):
        svc.register(actor=OWNER, **fields)
    assert count(db, UseCase) == 0 and count(db, AuditEvent) == 0


def test_unknown_or_out_of_range_ids_raise_not_found(svc: PortfolioService) -> None:
    for bad in (1, 0, 2**40):
        with pytest.raises(NotFound, match="no use case"):
            svc.get(bad)
    with pytest.raises(NotFound):
        svc.vote(actor=OTHER, use_case_id=99)
    with pytest.raises(NotFound):
        svc.set_phase(actor=ADMIN, use_case_id=99, phase="production")


# --- votes ---------------------------------------------------------------------------


def test_a_person_has_one_vote_which_can_change_reason_and_be_withdrawn(
    svc: PortfolioService, db: Engine
) -> None:
    uc = register(svc)
    assert svc.vote(actor=OTHER, use_case_id=uc, reason="saves a day") == (True, 1)
    assert svc.vote(actor=OTHER, use_case_id=uc) == (False, 1)
    assert svc.vote(actor=OTHER, use_case_id=uc, reason="saves two days") == (False, 1)
    assert svc.vote(actor=ADMIN, use_case_id=uc) == (True, 2)
    with Session(db) as session:
        reason = session.execute(select(Vote.reason).where(Vote.user_id == OTHER)).scalar_one()
    assert reason == "saves two days"
    assert svc.get(uc, viewer=OTHER).voted is True
    assert svc.get(uc, viewer=OWNER).voted is False
    assert svc.get(uc).voted is None
    assert svc.unvote(actor=OTHER, use_case_id=uc) == (True, 1)
    assert svc.unvote(actor=OTHER, use_case_id=uc) == (False, 1)
    assert svc.get(uc, viewer=OTHER).votes == 1


def test_votes_are_kept_out_of_history_unless_asked_for(svc: PortfolioService) -> None:
    uc = register(svc)
    svc.vote(actor=OTHER, use_case_id=uc)
    assert [e.action for e in svc.history(uc)] == ["register"]
    assert [e.action for e in svc.history(uc, include_votes=True)] == ["vote", "register"]


def test_dropped_use_cases_take_no_votes_but_votes_can_be_withdrawn(
    svc: PortfolioService,
) -> None:
    uc = register(svc)
    svc.vote(actor=OTHER, use_case_id=uc)
    svc.drop(actor=OWNER, use_case_id=uc, reason="no value")
    with pytest.raises(InvalidInput, match="dropped"):
        svc.vote(actor=ADMIN, use_case_id=uc)
    assert svc.unvote(actor=OTHER, use_case_id=uc) == (True, 0)


# --- metrics -------------------------------------------------------------------------


def test_reporting_a_week_again_replaces_only_the_metrics_given(
    svc: PortfolioService, db: Engine
) -> None:
    uc = register(svc)
    first = svc.report_metrics(
        actor=OWNER,
        use_case_id=uc,
        values={"hours_saved": 10, "llm_cost": 100, "users": 4},
        week="2026-W10",
    )
    assert first.net_value == 10 * 50.0 - 100
    second = svc.report_metrics(
        actor=OWNER, use_case_id=uc, values={"llm_cost": 40, "revenue": 5.5}, week="2026w10"
    )
    assert (second.week, second.hours_saved, second.llm_cost, second.revenue, second.users) == (
        "2026-W10",
        10.0,
        40.0,
        5.5,
        4,
    )
    assert second.net_value == net_value(
        hours_saved=10, cost_saved=None, revenue=5.5, llm_cost=40, hourly_rate=50.0
    )
    assert count(db, MetricReport) == 1
    latest = svc.history(uc)[0]
    assert latest.action == "metric"
    assert latest.before is not None and latest.before["llm_cost"] == 100
    assert latest.after is not None and latest.after["llm_cost"] == 40


def test_metrics_default_to_the_current_week_and_refuse_future_weeks(
    svc: PortfolioService,
) -> None:
    uc = register(svc)
    current = weeks.current_week("UTC")
    assert svc.report_metrics(actor=OWNER, use_case_id=uc, values={"cost_saved": 1}).week == current
    with pytest.raises(InvalidInput, match="has not started"):
        svc.report_metrics(
            actor=OWNER, use_case_id=uc, values={"cost_saved": 1}, week=weeks.shift(current, 1)
        )


@pytest.mark.parametrize(
    ("values", "week", "words"),
    [
        ({}, None, "at least one"),
        ({"hours_saved": -1}, None, "negative"),
        ({"speed": 3}, None, "not a metric"),
        ({"users": 1.5}, None, "whole number"),
        ({"revenue": float("nan")}, None, "finite"),
        ({"revenue": 1}, "2026-48", "ISO week"),
    ],
)
def test_bad_metric_reports_write_nothing(
    svc: PortfolioService, db: Engine, values: dict, week: str | None, words: str
) -> None:
    uc = register(svc)
    with pytest.raises(InvalidInput, match=words):
        svc.report_metrics(actor=OWNER, use_case_id=uc, values=values, week=week)
    assert count(db, MetricReport) == 0


def test_cards_show_the_last_four_reported_weeks_oldest_first(svc: PortfolioService) -> None:
    uc = register(svc)
    for n in (3, 1, 5, 2, 4):
        svc.report_metrics(
            actor=OWNER, use_case_id=uc, values={"cost_saved": n * 100}, week=f"2026-W0{n}"
        )
    card = svc.get(uc)
    assert [w.week for w in card.weeks] == ["2026-W02", "2026-W03", "2026-W04", "2026-W05"]
    assert card.net_value_latest == 500.0


# --- permissions and state changes ---------------------------------------------------


def test_only_the_owner_or_an_admin_may_change_a_use_case(svc: PortfolioService) -> None:
    uc = register(svc)
    attempts = [
        lambda: svc.set_phase(actor=OTHER, use_case_id=uc, phase="production"),
        lambda: svc.report_metrics(actor=OTHER, use_case_id=uc, values={"revenue": 1}),
        lambda: svc.drop(actor=OTHER, use_case_id=uc, reason="meh"),
        lambda: svc.restore(actor=OTHER, use_case_id=uc),
        lambda: svc.adopt(actor=OTHER, use_case_id=uc, unit="Sales"),
        lambda: svc.snooze(actor=OTHER, use_case_id=uc),
        lambda: svc.edit(actor=OTHER, use_case_id=uc, title="Mine now"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="owner"):
            attempt()
    card = svc.get(uc)
    assert (card.phase, card.status, card.units, card.weeks, card.title) == (
        "pilot",
        "active",
        [],
        [],
        "Invoice triage",
    )
    refused = [e for e in svc.history(uc) if not e.allowed]
    assert len(refused) == len(attempts)
    assert {e.action for e in refused} == {
        "phase",
        "metric",
        "drop",
        "restore",
        "adopt",
        "snooze",
        "edit",
    }
    assert all(e.actor_id == OTHER and "refused" in e.detail for e in refused)
    ready(svc, uc)
    assert svc.set_phase(actor=ADMIN, use_case_id=uc, phase="production").phase == "production"
    assert svc.set_phase(actor=OWNER, use_case_id=uc, phase="platform").phase == "platform"


def test_phase_moves_are_validated_and_audited_with_before_and_after(
    svc: PortfolioService,
) -> None:
    uc = ready(svc, register(svc))
    with pytest.raises(InvalidInput, match="already in pilot"):
        svc.set_phase(actor=OWNER, use_case_id=uc, phase="pilot")
    with pytest.raises(InvalidInput, match="not a phase"):
        svc.set_phase(actor=OWNER, use_case_id=uc, phase="scale")
    svc.set_phase(actor=OWNER, use_case_id=uc, phase="Production")
    latest = svc.history(uc)[0]
    assert latest.action == "phase" and latest.detail == "pilot → production"
    assert latest.before and latest.after
    assert (latest.before["phase"], latest.after["phase"]) == ("pilot", "production")


def test_a_dropped_use_case_keeps_its_phase_until_restored(svc: PortfolioService) -> None:
    uc = ready(svc, register(svc))
    card = svc.drop(actor=OWNER, use_case_id=uc, reason="no measurable value in 8 weeks")
    assert (card.status, card.drop_reason, card.trend) == (
        "dropped",
        "no measurable value in 8 weeks",
        None,
    )
    with pytest.raises(InvalidInput, match="restore it"):
        svc.set_phase(actor=OWNER, use_case_id=uc, phase="production")
    with pytest.raises(InvalidInput, match="restore it"):
        svc.report_metrics(actor=OWNER, use_case_id=uc, values={"revenue": 1})
    with pytest.raises(InvalidInput, match="already dropped"):
        svc.drop(actor=OWNER, use_case_id=uc, reason="again")
    restored = svc.restore(actor=ADMIN, use_case_id=uc)
    assert (restored.status, restored.drop_reason) == ("active", None)
    with pytest.raises(InvalidInput, match="not dropped"):
        svc.restore(actor=OWNER, use_case_id=uc)
    assert svc.set_phase(actor=OWNER, use_case_id=uc, phase="production").phase == "production"
    actions = [e.action for e in svc.history(uc) if e.action != "metric"]
    assert actions == ["phase", "restore", "drop", "register"]


def test_adopting_adds_units_once_ignoring_case(svc: PortfolioService) -> None:
    uc = register(svc, units=["Finance"])
    assert svc.adopt(actor=OWNER, use_case_id=uc, unit="Customer Service").units == [
        "Finance",
        "Customer Service",
    ]
    with pytest.raises(InvalidInput, match="already runs"):
        svc.adopt(actor=ADMIN, use_case_id=uc, unit="customer service")
    latest = svc.history(uc)[0]
    assert latest.before and latest.after
    assert latest.before["units"] == ["Finance"]
    assert latest.after["units"] == ["Finance", "Customer Service"]


def test_snooze_and_edit_change_the_card(svc: PortfolioService) -> None:
    uc = register(svc)
    card = svc.snooze(actor=OWNER, use_case_id=uc, weeks=2)
    expected = weeks.monday_of(weeks.shift(weeks.current_week("UTC"), 2))
    assert card.snoozed_until == expected
    with pytest.raises(InvalidInput, match="1 to 12"):
        svc.snooze(actor=OWNER, use_case_id=uc, weeks=0)
    edited = svc.edit(actor=OWNER, use_case_id=uc, description="Now with OCR", risk_tier="high")
    assert (edited.description, edited.risk_tier) == ("Now with OCR", "high")
    with pytest.raises(InvalidInput, match="Nothing to change"):
        svc.edit(actor=OWNER, use_case_id=uc, risk_tier="high")


# --- lists ---------------------------------------------------------------------------


def test_list_filters_by_phase_status_owner_and_unit_most_voted_first(
    svc: PortfolioService,
) -> None:
    a = ready(svc, register(svc, "Invoice triage", units=["Finance"]))
    b = svc.register(actor=OTHER, title="Contract review", units=["Legal"]).id
    c = register(svc, "Meeting notes", units=["finance"])
    d = register(svc, "Churn predictor")
    svc.vote(actor=ADMIN, use_case_id=c)
    svc.vote(actor=OTHER, use_case_id=c)
    svc.vote(actor=ADMIN, use_case_id=b)
    svc.set_phase(actor=OWNER, use_case_id=a, phase="production")
    svc.drop(actor=OWNER, use_case_id=d, reason="duplicate of a vendor tool")

    def ids(**kw: object) -> list[int]:
        return [card.id for card in svc.list(**kw)]  # type: ignore[arg-type]

    assert ids() == [c, b, a]
    assert ids(filter="pilot") == [c, b]
    assert ids(filter="production") == [a]
    assert ids(filter="dropped") == [d]
    assert ids(filter="all") == [c, b, d, a]
    assert ids(filter="mine", viewer=OTHER) == [b]
    assert ids(filter="FINANCE") == [c, a]
    assert ids(filter="Nowhere") == []
    assert ids(limit=1) == [c]
    assert [card.id for card in svc.top_voted(limit=2)] == [c, b]
    assert [card.id for card in svc.owned_by(OWNER)] == [c, a, d]
    with pytest.raises(InvalidInput, match="mine"):
        svc.list(filter="mine")


def test_mentioned_in_finds_references_and_titles(svc: PortfolioService) -> None:
    a = register(svc, "Invoice triage")
    b = register(svc, "Contract review assistant")
    register(svc, "Notes")  # too short a title to match by name
    found = svc.mentioned_in(f"How is uc-{b} doing compared with invoice triage? notes?")
    assert [card.id for card in found] == [b, a]
    assert svc.mentioned_in("nothing relevant here") == []
    assert [c.id for c in svc.mentioned_in(f"UC-{a} UC-{b}", limit=1)] == [a]


def test_is_admin_reads_the_spine_admins_setting(svc: PortfolioService) -> None:
    assert svc.is_admin(ADMIN) and not svc.is_admin(OWNER) and not svc.is_admin("")


# --- duplicates ----------------------------------------------------------------------


def test_find_similar_ranks_active_use_cases_by_meaning(sqlite_svc: PortfolioService) -> None:
    svc = sqlite_svc
    invoices = register(
        svc, "Invoice triage", description="Sort incoming supplier invoices by urgency with an LLM"
    )
    register(svc, "Meeting notes", description="Summarise recorded team meetings into action items")
    dropped = register(svc, "Supplier invoice sorting", description="Classify supplier invoices")
    svc.drop(actor=OWNER, use_case_id=dropped, reason="merged")
    similar = svc.find_similar(
        title="Triage supplier invoices", description="Use AI to sort invoices from suppliers"
    )
    assert [card.id for card, _ in similar] == [invoices]
    assert 0.6 <= similar[0][1] <= 1.0
    assert svc.find_similar(title="Forecast warehouse staffing for the holidays") == []
    assert svc.find_similar(title="") == []


# --- the operator's command line -----------------------------------------------------


def test_the_usecase_cli_runs_the_same_language_with_admin_rights(sqlite_db: Engine) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    runner = CliRunner()
    first = runner.invoke(app, ["usecase", "register", "Invoice triage | sort invoices"])
    assert first.exit_code == 0, first.output
    assert "Registered UC-1." in first.output
    duplicate = runner.invoke(app, ["usecase", "register", "Invoice triage"])
    assert "Similar use cases exist" in duplicate.output
    moved = runner.invoke(
        app, ["usecase", "--as", "UOPS", "phase", "UC-1", "production", "override", "migrated"]
    )
    assert moved.exit_code == 0 and "now in production" in moved.output
    history = runner.invoke(app, ["usecase", "history", "1"])
    assert "UOPS" in history.output and "pilot → production" in history.output
    wrong = runner.invoke(app, ["usecase", "metric", "1", "hours_saved=-3"])
    assert wrong.exit_code == 2
    assert "cannot be negative" in wrong.output and "Usage: /usecase metric" in wrong.output


# --- trends on cards -----------------------------------------------------------------


class _StubTrends:
    """Stands in for portfolio.trends to check what the service hands the classifier."""

    def __init__(self, fail: bool = False) -> None:
        from dataclasses import dataclass

        @dataclass(frozen=True)
        class WeekPoint:
            week: str
            hours_saved: float | None
            cost_saved: float | None
            revenue: float | None
            llm_cost: float | None
            net_value: float

        class Thresholds:
            @classmethod
            def from_settings(cls, settings: object) -> Thresholds:
                return cls()

        self.WeekPoint, self.Thresholds, self.fail, self.calls = WeekPoint, Thresholds, fail, []

    def classify(self, **kwargs: object) -> object:
        from types import SimpleNamespace

        self.calls.append(kwargs)
        if self.fail:
            raise ZeroDivisionError("bug in a rule")
        return SimpleNamespace(kind="growing", rule="net value up 3 weeks running", numbers={})


def test_cards_carry_the_trend_the_digest_rules_give(
    sqlite_svc: PortfolioService, monkeypatch: pytest.MonkeyPatch
) -> None:
    import portfolio

    stub = _StubTrends()
    monkeypatch.setitem(sys.modules, "portfolio.trends", stub)
    monkeypatch.setattr(portfolio, "trends", stub, raising=False)
    uc = register(sqlite_svc, units=["Finance", "Sales"])
    sqlite_svc.report_metrics(
        actor=OWNER, use_case_id=uc, values={"hours_saved": 2}, week="2026-W01"
    )
    card = sqlite_svc.get(uc)
    assert (card.trend, card.trend_rule) == ("growing", "net value up 3 weeks running")
    call = stub.calls[-1]
    assert (call["phase"], call["units"]) == ("pilot", 2)
    assert call["current_week"] == weeks.current_week("UTC")
    assert call["created_week"] == "2026-W01"  # age counts from the first reported week
    [point] = call["history"]
    assert (point.week, point.hours_saved, point.cost_saved) == ("2026-W01", 2.0, None)
    assert point.net_value == 2 * sqlite_svc.settings.hourly_rate


def test_a_failing_trend_rule_leaves_the_card_without_a_trend(
    sqlite_svc: PortfolioService, monkeypatch: pytest.MonkeyPatch
) -> None:
    import portfolio

    stub = _StubTrends(fail=True)
    monkeypatch.setitem(sys.modules, "portfolio.trends", stub)
    monkeypatch.setattr(portfolio, "trends", stub, raising=False)
    card = sqlite_svc.get(register(sqlite_svc))
    assert (card.trend, card.trend_rule) == (None, None)


def test_real_trend_rules_flag_silence_and_respect_a_snooze(
    svc: PortfolioService, db: Engine
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from spinebot.models import utcnow

    uc = register(svc)
    assert svc.get(uc).trend == "new"
    with Session(db) as session:
        session.execute(
            update(UseCase)
            .where(UseCase.id == uc)
            .values(created_at=utcnow() - timedelta(weeks=10))
        )
        session.commit()
    card = svc.get(uc)
    assert card.trend == "drop_candidate" and card.trend_rule and "No value" in card.trend_rule
    assert svc.snooze(actor=OWNER, use_case_id=uc, weeks=1).trend != "drop_candidate"
