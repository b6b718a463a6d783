"""Durations and shares said in other units (knowledge.quantities) reach the keyword index."""

from __future__ import annotations

from pathlib import Path

from knowledge.index import tokenize
from knowledge.quantities import restate
from knowledge.retrieve import expand
from knowledge.service import KnowledgeService
from spinebot.settings import Settings


def test_a_length_of_time_is_restated_in_the_units_documents_use() -> None:
    assert {"90 days", "13 weeks", "a quarter"} <= set(restate("unused for three months"))
    assert {"4 weeks", "four weeks", "30 days"} <= set(restate("no value for a month"))
    assert {"two weeks", "10 working days", "14 days"} <= set(restate("for a fortnight"))
    assert {"15 working days", "21 days"} <= set(restate("less than three weeks"))
    assert {"3 weeks", "three weeks"} <= set(restate("within 15 working days"))
    assert {"365 days", "a year"} <= set(restate("within twelve months"))
    assert "3 months" in restate("kept for 90 days")


def test_a_share_is_restated_as_a_percentage_and_back() -> None:
    assert restate("three quarters of its allowance") == ("75 percent",)
    assert "half" in restate("at 50 percent of the budget")


def test_periods_and_plain_numbers_are_not_lengths_of_time() -> None:
    for question in (
        "When must owners enter their weekly figures?",
        "What happens each month?",
        "Who signs in the first year?",
        "How many reports are checked?",
    ):
        assert restate(question) == (), question


def test_restated_units_are_keyword_expansions_only_with_the_question() -> None:
    question = "What happens to a login left alone for three months?"
    tokens = tokenize(question)
    assert "90" not in expand(tokens)
    assert {"90", "quarter"} <= set(expand(tokens, question))


def test_a_duration_asked_in_other_units_finds_its_passage(
    settings: Settings, tmp_path: Path
) -> None:
    # the shorter guest passage matches every question word but the duration; the staff
    # one says "90 days" for the "three months" asked about
    folder = tmp_path / "access"
    folder.mkdir()
    (folder / "accounts.md").write_text(
        "# Staff accounts\n\n## Dormant accounts\n\nAn account left unused for 90 days is "
        "closed by the identity team, and its mailbox is archived.\n"
    )
    (folder / "guests.md").write_text(
        "# Guest accounts\n\n## Dormant guests\n\nA guest account left unused for 7 days "
        "is locked.\n"
    )
    service = KnowledgeService(settings)
    service.ingest([folder])
    question = "What happens to an account left unused for three months?"
    for mode in ("keyword", "hybrid"):
        top = service.retriever.search(question, mode=mode).hits[0]
        assert top.chunk.source.endswith("accounts.md"), mode


def test_a_ratio_is_a_share_and_part_of_a_million_an_amount() -> None:
    assert "10 percent" in restate("What happens when more than one in ten answers fail?")
    assert "40 percent" in restate("if two out of five checks fail")
    assert restate("the one in 2026") == ()
    said = restate("a payment of more than a quarter of a million euros")
    assert "250,000" in said and "25 percent" not in said
    assert "500,000" in restate("over half a million euros")
