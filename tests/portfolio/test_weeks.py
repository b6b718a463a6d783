from datetime import date

import pytest

from portfolio import weeks


def test_week_of_uses_iso_years_at_the_turn_of_the_year() -> None:
    assert weeks.week_of(date(2026, 11, 25)) == "2026-W48"
    assert weeks.week_of(date(2027, 1, 1)) == "2026-W53"
    assert weeks.week_of(date(2024, 12, 30)) == "2025-W01"


def test_monday_of_accepts_loose_spellings_and_normalizes() -> None:
    assert weeks.monday_of("2026-W48") == date(2026, 11, 23)
    assert weeks.normalize("2026w5") == "2026-W05"


@pytest.mark.parametrize("bad", ["2026-48", "W48", "2026-W54", "2025-W53", "26-W01", ""])
def test_malformed_weeks_are_rejected(bad: str) -> None:
    with pytest.raises(weeks.WeekError):
        weeks.monday_of(bad)


def test_shift_and_distance() -> None:
    assert weeks.shift("2026-W52", 2) == "2027-W01"
    assert weeks.weeks_between("2026-W40", "2026-W48") == 8
