"""The /usecase parser: every subcommand, and every kind of bad input naming its usage."""

from __future__ import annotations

import pytest

from portfolio import commands as c
from portfolio.errors import InvalidInput
from portfolio.models import DESCRIPTION_MAX, REASON_MAX, TITLE_MAX, UNIT_MAX


def bad(text: str) -> InvalidInput:
    with pytest.raises(InvalidInput) as excinfo:
        c.parse_usecase(text)
    return excinfo.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", c.Help()),
        ("help", c.Help()),
        ("HELP metric", c.Help("metric")),
        ("register", c.RegisterModal()),
        ("register Invoice triage", c.Register("Invoice triage", "")),
        (
            "register  Invoice triage | Sort supplier invoices by urgency ",
            c.Register("Invoice triage", "Sort supplier invoices by urgency"),
        ),
        ("list", c.ListCmd(None)),
        ("list Pilot", c.ListCmd("pilot")),
        ("list mine", c.ListCmd("mine")),
        ("list dropped", c.ListCmd("dropped")),
        ("list Customer   Service", c.ListCmd("Customer Service")),
        ("show 12", c.Show(12)),
        ("show UC-12", c.Show(12)),
        ("show uc-7", c.Show(7)),
        ("vote 3", c.VoteCmd(3, None)),
        ("vote UC-3 saves my team a day a week", c.VoteCmd(3, "saves my team a day a week")),
        ("unvote 3", c.Unvote(3)),
        ("phase 4 Production", c.PhaseCmd(4, "production")),
        (
            "drop 4 no measurable value after 8 weeks",
            c.Drop(4, "no measurable value after 8 weeks"),
        ),
        ("restore UC-4", c.Restore(4)),
        ("adopt 4 Finance", c.Adopt(4, "Finance")),
        ("adopt 4 Customer  Service EMEA", c.Adopt(4, "Customer Service EMEA")),
        ("snooze 4", c.Snooze(4, 1)),
        ("snooze 4 3 weeks", c.Snooze(4, 3)),
        ("history UC-9", c.History(9)),
    ],
)
def test_each_subcommand_parses_into_its_typed_command(text: str, expected: c.Command) -> None:
    assert c.parse_usecase(text) == expected


def test_metric_reads_several_values_and_an_optional_week() -> None:
    command = c.parse_usecase("metric UC-5 hours_saved=12.5 llm_cost = 40 users=7 week=2026w5")
    assert command == c.MetricCmd(
        5, {"hours_saved": 12.5, "llm_cost": 40.0, "users": 7.0}, "2026-W05"
    )
    assert c.parse_usecase("metric 5 revenue=1e3") == c.MetricCmd(5, {"revenue": 1000.0}, None)


def test_slack_entities_are_turned_back_into_what_the_user_typed() -> None:
    command = c.parse_usecase("register R&amp;D search &lt;beta&gt; | a &amp; b")
    assert command == c.Register("R&D search <beta>", "a & b")


@pytest.mark.parametrize("ref", ["12", "UC-12", "uc-12", "UC12", "#12", " 12 "])
def test_parse_id_accepts_plain_numbers_and_uc_references(ref: str) -> None:
    assert c.parse_id(ref) == 12


@pytest.mark.parametrize("ref", ["", "twelve", "UC-", "12a", "-3", "0", "99999999999"])
def test_parse_id_rejects_anything_that_is_not_a_use_case_id(ref: str) -> None:
    with pytest.raises(InvalidInput):
        c.parse_id(ref)


def test_unknown_subcommand_names_the_valid_ones_and_points_to_help() -> None:
    error = bad("frobnicate 3")
    assert "frobnicate" in error.message and "/usecase help" in error.message
    assert error.usage == c.SUBCOMMANDS_USAGE
    assert all(name in error.usage for name in c.USAGE)


@pytest.mark.parametrize(
    ("text", "usage_key", "words"),
    [
        ("show", "show", "missing"),
        ("show abc", "show", "not a use case id"),
        ("show 3 extra", "show", "Unexpected"),
        ("vote", "vote", "missing"),
        ("unvote x", "unvote", "not a use case id"),
        ("metric 3", "metric", "at least one metric"),
        ("metric 3 hours_saved=abc", "metric", "not a number"),
        ("metric 3 hours_saved=1,5", "metric", "thousands"),
        ("metric 3 hours_saved=-2", "metric", "cannot be negative"),
        ("metric 3 velocity=2", "metric", "not a metric"),
        ("metric 3 users=2.5", "metric", "whole number"),
        ("metric 3 hours_saved=nan", "metric", "not a number"),
        ("metric 3 hours_saved=1e400", "metric", "finite"),
        ("metric 3 hours_saved=2 hours_saved=3", "metric", "twice"),
        ("metric 3 hours_saved", "metric", "name=value"),
        ("metric 3 hours_saved=2 week=2026-48", "metric", "ISO week"),
        ("metric 3 hours_saved=2 week=2025-W53", "metric", "ISO week"),
        ("phase 3", "phase", "Which phase"),
        ("phase 3 scale", "phase", "not a phase"),
        ("drop 3", "drop", "why"),
        ("restore", "restore", "missing"),
        ("adopt 3", "adopt", "missing"),
        ("snooze 3 forever", "snooze", "1 to 12"),
        ("history", "history", "missing"),
    ],
)
def test_bad_input_says_what_is_wrong_with_the_right_usage(
    text: str, usage_key: str, words: str
) -> None:
    error = bad(text)
    assert words.lower() in error.message.lower()
    assert error.usage == c.USAGE[usage_key]


def test_negative_numbers_written_with_a_space_are_still_refused() -> None:
    error = bad("metric 3 llm_cost = -5")
    assert "llm_cost" in error.message


def test_negative_value_through_the_shared_check_names_the_rule() -> None:
    with pytest.raises(InvalidInput, match="cannot be negative"):
        c.check_metric_values({"hours_saved": -1.0})


@pytest.mark.parametrize(
    ("text", "limit"),
    [
        ("register " + "x" * (TITLE_MAX + 1), TITLE_MAX),
        ("register ok | " + "d" * (DESCRIPTION_MAX + 1), DESCRIPTION_MAX),
        ("vote 3 " + "r" * (REASON_MAX + 1), REASON_MAX),
        ("drop 3 " + "r" * (REASON_MAX + 1), REASON_MAX),
        ("adopt 3 " + "u" * (UNIT_MAX + 1), UNIT_MAX),
    ],
)
def test_over_long_text_is_refused_with_the_limit(text: str, limit: int) -> None:
    error = bad(text)
    assert str(limit) in error.message


def test_text_at_the_limit_is_accepted() -> None:
    command = c.parse_usecase("register " + "x" * TITLE_MAX)
    assert isinstance(command, c.Register) and len(command.title) == TITLE_MAX


@pytest.mark.parametrize(
    "text",
    [
        "register Hello <!channel> | x",
        "register Hello &lt;!here&gt;",
        "register Hi | ping <!everyone> now",
        "register Hi | <!subteam^S123|@ops> look",
        "vote 3 <!here|here> please",
        "drop 3 @channel this is dead",
        "adopt 3 <!channel>",
    ],
)
def test_broadcast_mentions_in_stored_text_are_refused(text: str) -> None:
    error = bad(text)
    assert "@channel" in error.message
    assert "<!" not in error.message


def test_ordinary_markup_and_email_addresses_are_stored_as_typed() -> None:
    command = c.parse_usecase("register *Bold* idea | mail ops@here.com or <@U123> <http://x|y>")
    assert command == c.Register("*Bold* idea", "mail ops@here.com or <@U123> <http://x|y>")


def test_error_messages_never_echo_a_broadcast_mention() -> None:
    error = bad("<!channel> 3")
    assert "<!channel>" not in error.message and "[mention]" in error.message


def test_help_text_lists_every_subcommand_as_plain_text() -> None:
    for usage in c.USAGE.values():
        assert usage in c.HELP_TEXT
    assert "`" not in c.HELP_TEXT  # renderers choose the formatting


def test_invalid_input_renders_message_and_usage_for_people() -> None:
    error = bad("phase 3 scale")
    assert error.user_text().startswith("'scale' is not a phase")
    assert error.user_text().endswith(c.USAGE["phase"])
