"""Field rules: one module, the same answer from the parser, the modal and the service."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from portfolio import commands as c
from portfolio import fields as f
from portfolio.errors import InvalidInput
from portfolio.models import TITLE_MAX, UNIT_MAX
from portfolio.service import PortfolioService
from spinebot.settings import load_settings


def test_a_form_reports_every_bad_field_at_once_and_keeps_what_was_typed() -> None:
    cleaned, errors = f.check_form(
        {
            "title": "x" * (TITLE_MAX + 1),
            "description": "fine",
            "units": "Finance, " + "u" * (UNIT_MAX + 1),
            "processes": "billing",
            "risk_tier": "extreme",
        }
    )
    assert set(errors) == {"title", "units", "risk_tier"}
    assert cleaned["description"] == "fine" and cleaned["processes"] == ["billing"]
    assert cleaned["units"][0] == "Finance"


def test_a_good_form_is_cleaned_like_the_service_cleans_it() -> None:
    cleaned, errors = f.check_form(
        {
            "title": "  Claims   triage ",
            "description": "",
            "units": "Legal; legal, Ops",
            "processes": "",
            "risk_tier": "HIGH",
        }
    )
    assert errors == {}
    assert cleaned == {
        "title": "Claims triage",
        "description": "",
        "units": ["Legal", "Ops"],
        "processes": [],
        "risk_tier": "high",
    }


def test_the_modal_the_parser_and_the_service_refuse_a_broadcast_with_one_message(
    db: Engine,
) -> None:
    title = "Ping <!channel> now"
    _, errors = f.check_form({"title": title})
    with pytest.raises(InvalidInput) as parsed:
        c.parse_usecase(f"register {title}")
    svc = PortfolioService(load_settings(), engine=db)
    with pytest.raises(InvalidInput) as stored:
        svc.register(actor="U1", title=title)
    assert errors["title"] == parsed.value.message[:150] == stored.value.message[:150]


def test_lists_split_on_commas_and_semicolons_without_empty_parts() -> None:
    assert f.split_list(" Finance ,; Legal;Ops ,") == ["Finance", "Legal", "Ops"]
    assert f.split_list("") == []
