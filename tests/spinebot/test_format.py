"""Money and numbers read the same on every surface."""

from __future__ import annotations

from spinebot.format import money, number


def test_money_is_whole_units_with_a_true_minus_and_a_dash_for_none() -> None:
    assert money(1234.56) == "$1,235"
    assert money(-50) == "−$50"
    assert money(None) == "—"


def test_numbers_drop_float_noise() -> None:
    assert number(3000.0) == "3,000"
    assert number(12.5) == "12.5"
    assert number(0.125) == "0.12" or number(0.125) == "0.13"
    assert number(None) == "—"
