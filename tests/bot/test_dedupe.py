"""Event de-duplication: once per event_id, across instances, and never lost on failure."""

from __future__ import annotations

import pytest

from bot.dedupe import EventDeduper


def test_an_event_id_is_new_exactly_once_even_across_instances(db) -> None:  # type: ignore[no-untyped-def]
    first, second = EventDeduper(db), EventDeduper(db)  # e.g. two web replicas
    assert first.first_time("Ev1") is True
    assert first.first_time("Ev1") is False
    assert second.first_time("Ev1") is False
    assert second.first_time("Ev2") is True


def test_a_delivery_that_could_not_be_recorded_is_handled_when_retried(sqlite_db) -> None:  # type: ignore[no-untyped-def]
    deduper = EventDeduper(sqlite_db)
    with sqlite_db.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE slack_event RENAME TO slack_event_away")
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
        deduper.first_time("Ev9")
    with sqlite_db.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE slack_event_away RENAME TO slack_event")
    assert deduper.first_time("Ev9") is True  # the retry is not mistaken for a duplicate
