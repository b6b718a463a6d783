"""Editing a use case: the text form, the rules, who may, and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from portfolio import commands as c
from portfolio import executor as x
from portfolio.errors import InvalidInput
from portfolio.service import PortfolioService
from spinebot.settings import load_settings

OWNER, ADMIN, OTHER = "UOWNER", "UADMIN", "UOTHER"


@pytest.fixture
def svc(db: Engine) -> PortfolioService:
    return PortfolioService(load_settings(spine_admins=[ADMIN]), engine=db)


def registered(svc: PortfolioService) -> int:
    return svc.register(
        actor=OWNER, title="Claims triage", units=["Ops", "Finance"], risk_tier="minimal"
    ).id


def test_the_text_form_reads_every_field_with_spaces_in_values() -> None:
    command = c.parse_usecase(
        "edit UC-12 title=Claims e-mail triage description=Route claims by urgency "
        "risk=high units+=Legal units-=Ops processes=intake, routing owner=<@U0ABC|ana>"
    )
    assert command == c.Edit(
        12,
        title="Claims e-mail triage",
        description="Route claims by urgency",
        risk_tier="high",
        units_add=("Legal",),
        units_remove=("Ops",),
        processes=("intake", "routing"),
        owner="U0ABC",
    )
    assert c.parse_usecase("edit 12") == c.EditModal(12)
    assert c.parse_usecase("edit 3 units=Finance; Legal").units == ("Finance", "Legal")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("edit 12 colour=blue", "is not field=value"),
        ("edit 12 risk=extreme", "not a risk tier"),
        ("edit 12 title=a title=b", "given twice"),
        ("edit 12 title+=more", "units only"),
        ("edit 12 units=A units+=B", "not both"),
        ("edit 12 owner=not a user", "not a Slack user"),
        ("edit 12 title=", "title is missing"),
    ],
)
def test_bad_edits_are_explained_with_the_usage(text: str, says: str) -> None:
    with pytest.raises(InvalidInput) as error:
        c.parse_usecase(text)
    assert says in error.value.message and error.value.usage == c.USAGE["edit"]


def test_an_owner_edits_fields_units_and_owner_and_the_audit_has_before_and_after(
    svc: PortfolioService,
) -> None:
    uc = registered(svc)
    command = c.parse_usecase(
        f"edit {uc} title=Claims e-mail triage risk=high units+=Legal units-=ops owner=@UNEW"
    )
    outcome = x.execute(svc, command, OWNER)
    assert isinstance(outcome, x.Edited), outcome
    assert outcome.changed == ["title", "risk tier", "owner", "units"]
    card = outcome.card
    assert (card.title, card.risk_tier, card.owner_id) == ("Claims e-mail triage", "high", "UNEW")
    assert sorted(card.units) == ["Finance", "Legal"]
    [event] = [e for e in svc.history(uc) if e.action == "edit"]
    assert event.actor_id == OWNER and event.detail == "title, risk tier, owner, units"
    assert event.before and event.after
    assert (event.before["title"], event.after["title"]) == (
        "Claims triage",
        "Claims e-mail triage",
    )
    assert (event.before["risk_tier"], event.after["risk_tier"]) == ("minimal", "high")
    assert (event.before["owner_id"], event.after["owner_id"]) == (OWNER, "UNEW")
    assert sorted(event.before["units"]) == ["Finance", "Ops"]
    assert sorted(event.after["units"]) == ["Finance", "Legal"]


def test_only_the_owner_or_an_admin_may_edit_and_a_refusal_is_audited(
    svc: PortfolioService,
) -> None:
    uc = registered(svc)
    refused = x.execute(svc, c.Edit(uc, title="Mine now"), OTHER)
    assert isinstance(refused, x.Failed) and "Only the owner" in refused.error.message
    assert [(e.actor_id, e.allowed) for e in svc.history(uc) if e.action == "edit"] == [
        (OTHER, False)
    ]
    form = x.execute(svc, c.EditModal(uc), OTHER)
    assert isinstance(form, x.Failed)
    assert isinstance(x.execute(svc, c.EditModal(uc), ADMIN), x.EditForm)
    by_admin = x.execute(svc, c.Edit(uc, units=("Retail",)), ADMIN)
    assert isinstance(by_admin, x.Edited) and by_admin.card.units == ["Retail"]


def test_an_edit_that_changes_nothing_or_removes_a_missing_unit_is_refused(
    svc: PortfolioService,
) -> None:
    uc = registered(svc)
    same = x.execute(svc, c.Edit(uc, title="Claims triage"), OWNER)
    assert isinstance(same, x.Failed) and "Nothing to change" in same.error.message
    missing = x.execute(svc, c.Edit(uc, units_remove=("Legal",)), OWNER)
    assert isinstance(missing, x.Failed) and "Legal does not run" in missing.error.message
    assert sorted(svc.get(uc).units) == ["Finance", "Ops"]


def test_the_cli_edits_through_the_same_language(db: Engine) -> None:
    from typer.testing import CliRunner

    from bot.cli import app

    runner = CliRunner()
    assert runner.invoke(app, ["usecase", "register", "Invoice triage"]).exit_code == 0
    edited = runner.invoke(app, ["usecase", "edit", "1", "risk=high", "units+=Finance"])
    assert edited.exit_code == 0, edited.output
    assert "Edited UC-1: risk tier, units." in edited.output
    form = runner.invoke(app, ["usecase", "edit", "1"])
    assert "Slack-only" in form.output
