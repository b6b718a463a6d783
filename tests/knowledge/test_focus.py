"""What a typed question asks for (knowledge.focus), and the abstention it drives:
a figure on the question's topic that is not the figure asked for answers nothing."""

from __future__ import annotations

import pytest

from knowledge.focus import focus_of


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How many analysts work in the pricing team?", "count"),
        ("How long does onboarding a vendor take?", "duration"),
        ("Within how many hours must a breach be reported?", "duration"),
        ("How often is the rota reviewed?", "duration"),
        ("By what percentage did handling time fall?", "percent"),
        ("How large a budget did the board give the lab?", "money"),
        ("How much did the claims unit spend on tokens?", "money"),
        ("In which year was the charter signed?", "year"),
        ("Which cloud provider hosts the gateway?", "named"),
        ("What is the name of the current model risk officer?", "person"),
        ("Who is the product owner of the gateway?", "person"),
        ("When does the new policy take effect?", "date"),
        ("On which day are invoices sent?", "date"),
        ("What does the gateway cost per month?", "money"),
        ("What is the current price of a premium seat?", "money"),
    ],
)
def test_typed_questions_get_their_focus(question: str, kind: str) -> None:
    focus = focus_of(question)
    assert focus is not None and focus.kind == kind


@pytest.mark.parametrize(
    "question",
    [
        "How does the gateway route requests?",
        "What is a drop candidate?",
        "Why do pilots fail?",
        "What are the three phases?",
    ],
)
def test_open_questions_get_no_focus(question: str) -> None:
    assert focus_of(question) is None


def test_a_count_needs_the_counted_noun_right_after_the_figure() -> None:
    focus = focus_of("How many analysts work in the pricing team?")
    assert focus is not None
    assert focus.satisfied("The pricing team has 14 analysts and two managers.")
    assert not focus.satisfied("The pricing team saved 300 hours last year.")  # other figure
    assert not focus.satisfied("The pricing team is made of analysts.")  # no figure


def test_a_count_of_a_compound_noun_needs_all_of_it_or_a_synonym() -> None:
    days = focus_of("How many vacation days do new staff get?")
    assert days is not None
    assert not days.satisfied("Complaints are answered within 5 working days.")
    assert days.satisfied("New staff get 25 vacation days a year.")
    signoffs = focus_of("How many sign-offs does a release need?")
    assert signoffs is not None and signoffs.satisfied("A release needs two approvals.")


def test_durations_amounts_years_and_names_are_recognised() -> None:
    duration = focus_of("How long are the sprints?")
    assert duration is not None
    assert duration.satisfied("The team works in two-week sprints.")
    assert duration.satisfied("A review takes 8-10 minutes.")
    assert not duration.satisfied("The team works in short sprints.")
    money = focus_of("How large a budget did the board give the lab?")
    assert money is not None
    assert money.satisfied("The board granted the lab €2.5 million.")
    assert money.satisfied("The lab spent 4,000 on tokens.")
    assert not money.satisfied("The board funds the lab directly.")
    year = focus_of("In which year was the charter signed?")
    assert year is not None
    assert year.satisfied("The charter was signed in 2019.") and not year.satisfied(
        "It was signed."
    )
    named = focus_of("Which cloud provider hosts the gateway?")
    assert named is not None
    assert named.satisfied("The gateway runs on Azure in two regions.")
    assert not named.satisfied("The gateway runs in the public cloud.")
    person = focus_of("Who is the product owner of the gateway?")
    assert person is not None
    assert person.satisfied("The gateway's product owner is Ilse de Boer.")
    assert not person.satisfied("The product owner of the gateway signs every change.")


def test_a_when_question_needs_a_point_in_time_and_only_checks_support() -> None:
    when = focus_of("When was the review board set up?")
    assert when is not None and not when.selective  # it never reorders sentences
    assert when.satisfied("The board was set up in March 2024.")
    assert when.satisfied("A pilot moves on after four weeks of positive value.")
    assert not when.satisfied("The board reviews models for the whole company.")
