"""Histories that must land in each trend, with the rule that put them there."""

from __future__ import annotations

import pytest

from portfolio.trends import Thresholds, WeekPoint, classify, net_value
from portfolio.weeks import shift

NOW = "2026-W40"


def pt(weeks_ago: int, net: float, *, hours=None, cost=None, revenue=None) -> WeekPoint:  # type: ignore[no-untyped-def]
    if hours is None and cost is None and revenue is None:
        cost = net  # a plain cost-saving report worth ``net``
    return WeekPoint(shift(NOW, -weeks_ago), hours, cost, revenue, 0.0, net)


def run(  # type: ignore[no-untyped-def]
    history,
    *,
    age=20,
    phase="pilot",
    units=1,
    snoozed=False,
    last_reported=None,
    ever_valued=None,
    **thresholds,
):
    return classify(
        created_week=shift(NOW, -age),
        current_week=NOW,
        phase=phase,
        units=units,
        history=history,
        thresholds=Thresholds(**thresholds),
        snoozed=snoozed,
        last_reported=last_reported,
        ever_valued=ever_valued,
    )


def test_net_value_prices_hours_and_subtracts_llm_cost() -> None:
    value = net_value(hours_saved=10, cost_saved=100, revenue=None, llm_cost=50, hourly_rate=60)
    assert value == 650


def test_recently_registered_use_case_is_new_whatever_its_numbers() -> None:
    trend = run([pt(0, -500)], age=1)
    assert trend.kind == "new" and "1 week" in trend.rule


def test_no_value_six_weeks_after_registration_is_a_drop_candidate() -> None:
    trend = run([], age=6)
    assert trend.kind == "drop_candidate" and trend.numbers["rule"] == "no_value"


def test_four_nonpositive_consecutive_weeks_is_a_drop_candidate() -> None:
    trend = run([pt(4, 100), pt(3, 0), pt(2, -10), pt(1, -20), pt(0, 0)])
    assert trend.kind == "drop_candidate" and trend.numbers["rule"] == "nonpositive"


def test_a_gap_in_reporting_breaks_the_nonpositive_streak() -> None:
    trend = run([pt(5, -1), pt(4, -1), pt(2, -1), pt(1, -1)])
    assert trend.numbers.get("rule") != "nonpositive"


def test_value_falling_four_weeks_in_a_row_is_a_drop_candidate() -> None:
    trend = run([pt(4, 500), pt(3, 400), pt(2, 300), pt(1, 200), pt(0, 100)])
    assert trend.kind == "drop_candidate" and trend.numbers["rule"] == "falling"
    assert "$500" in trend.rule and "$100" in trend.rule


def test_hours_only_for_eight_weeks_is_convenience() -> None:
    history = [pt(i, 600, hours=10) for i in range(8)]
    trend = run(history, phase="production", units=2)
    assert trend.kind == "drop_candidate" and trend.numbers["rule"] == "convenience"


def test_snoozed_use_case_is_never_a_drop_candidate() -> None:
    trend = run([], age=10, snoozed=True)
    assert trend.kind == "stalling"


def test_pilot_positive_four_weeks_is_ready_for_production() -> None:
    trend = run([pt(3, 100), pt(2, 100), pt(1, 100), pt(0, 100)])
    assert trend.kind == "ready_to_scale" and trend.numbers["target"] == "production"


def test_production_in_one_unit_positive_eight_weeks_is_ready_for_more_units() -> None:
    history = [pt(i, 100) for i in range(8)]
    assert run(history, phase="production", units=1).numbers["target"] == "platform"
    assert run(history, phase="production", units=3).kind == "steady"


def test_value_up_ten_percent_on_the_previous_four_weeks_is_growing() -> None:
    history = [pt(i, 100) for i in range(4, 8)] + [pt(i, 120) for i in range(4)]
    trend = run(history, phase="platform")
    assert trend.kind == "growing" and trend.numbers["pct"] == 20.0


def test_no_report_for_three_weeks_is_stalling() -> None:
    trend = run([pt(5, 100), pt(4, 100), pt(3, 100)], phase="platform")
    assert trend.kind == "stalling" and trend.numbers["weeks_silent"] == 3


def test_otherwise_steady() -> None:
    trend = run([pt(i, 100) for i in range(6)], phase="platform")
    assert trend.kind == "steady"


def test_reports_after_the_current_week_are_ignored() -> None:
    history = [pt(i, 100) for i in range(6)] + [pt(-1, -999)]
    assert run(history, phase="platform").kind == "steady"


@pytest.mark.parametrize("weeks", [2, 6])
def test_thresholds_come_from_the_settings(weeks: int) -> None:
    trend = run([], age=weeks, no_value_weeks=weeks)
    assert trend.kind == "drop_candidate"


def test_a_windowed_history_uses_the_whole_history_facts() -> None:
    trend = run([], age=40, ever_valued=True, last_reported=shift(NOW, -20))
    assert trend.kind == "stalling" and trend.numbers["weeks_silent"] == 20


# --- precedence: the first rule that fires wins -------------------------------------


def test_a_drop_rule_beats_ready_to_scale() -> None:
    # A pilot positive for five weeks, but falling every week: look at it before scaling.
    trend = run([pt(4, 500), pt(3, 400), pt(2, 300), pt(1, 200), pt(0, 100)], phase="pilot")
    assert trend.kind == "drop_candidate" and trend.numbers["rule"] == "falling"


def test_ready_to_scale_beats_growing() -> None:
    history = [pt(i, 100) for i in range(4, 8)] + [pt(i, 200) for i in range(4)]
    assert run(history, phase="platform").kind == "growing"
    trend = run(history, phase="pilot")
    assert trend.kind == "ready_to_scale" and "production" in trend.rule


def test_growing_beats_stalling() -> None:
    history = [pt(i, 100) for i in range(4, 8)] + [pt(3, 200), pt(2, 200)]
    trend = run(history, phase="platform", stall_weeks=2)
    assert trend.kind == "growing"
    assert run(history, phase="platform", stall_weeks=2, growth_pct=500).kind == "stalling"


def test_a_use_case_that_went_quiet_is_stalling_not_growing() -> None:
    history = [pt(i, 100) for i in range(8, 12)] + [pt(i, 300) for i in range(4, 8)]
    trend = run(history, phase="platform")
    assert trend.kind == "stalling" and trend.numbers["weeks_silent"] == 4


def test_a_streak_older_than_the_lookback_does_not_decide_the_trend() -> None:
    lookback = Thresholds().lookback_weeks()
    old_losses = [pt(lookback + i, -100) for i in range(4)]
    trend = run(old_losses + [pt(1, 100)], phase="platform")
    assert trend.kind == "steady"


def test_a_window_with_whole_history_facts_classifies_like_the_whole_history() -> None:
    import random

    rng = random.Random(3)
    lookback = Thresholds().lookback_weeks()
    for _ in range(400):
        history = []
        for ago in range(30):
            if rng.random() < 0.25:
                continue
            kind = rng.random()
            if kind < 0.2:  # only an LLM bill: no value
                history.append(WeekPoint(shift(NOW, -ago), None, None, None, 10.0, -10.0))
            elif kind < 0.4:
                history.append(pt(ago, 60.0 * rng.randint(1, 5), hours=rng.randint(1, 5)))
            else:
                history.append(pt(ago, rng.uniform(-300, 900)))
        history.sort(key=lambda p: p.week)
        phase = rng.choice(["idea", "pilot", "production", "platform"])
        units = rng.randint(0, 3)
        age = rng.randint(0, 40)
        whole = run(history, age=age, phase=phase, units=units)
        window = [p for p in history if p.week > shift(NOW, -lookback)]
        past = [p.week for p in history]
        windowed = run(
            window,
            age=age,
            phase=phase,
            units=units,
            last_reported=max(past) if past else None,
            ever_valued=any(p.has_value for p in history),
        )
        assert windowed == whole
