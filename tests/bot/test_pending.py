"""Recorded questions and their claims (bot.pending), on SQLite and Postgres, and what
the app does with them: retries, leftovers of a crash, questions that keep failing."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import update

from bot.answer_pool import AnswerRunner
from bot.models import PendingQuestion, SlackEvent
from bot.pending import CLAIMED, DONE, FAILED, MAX_ATTEMPTS, PENDING, PendingStore
from spinebot.db import session_scope
from spinebot.models import utcnow
from tests.harness import payloads

LEASE = timedelta(seconds=60)


def _row(n: int, **fields) -> PendingQuestion:  # type: ignore[no-untyped-def]
    values = dict(
        event_id=f"Ev{n:06d}",
        surface="mention",
        channel_id="C1",
        thread_ts="1.0",
        placeholder_ts=f"2.{n}",
        question=f"question {n}",
    )
    values.update(fields)
    return PendingQuestion(**values)


def test_a_delivery_is_recorded_once(db) -> None:  # type: ignore[no-untyped-def]
    store = PendingStore(db)
    assert store.record(_row(1)) is not None
    assert store.record(_row(1)) is None
    assert store.has_event("Ev000001") and not store.has_event("Ev000002")


def test_many_workers_claiming_at_once_each_get_different_questions(db) -> None:  # type: ignore[no-untyped-def]
    store = PendingStore(db)
    ids = [store.record(_row(n)) for n in range(30)]
    claimed: list[int] = []
    lock = threading.Lock()

    def worker(name: str) -> None:
        while (row := store.claim_next(name, lease=LEASE)) is not None:
            assert row.id is not None
            with lock:
                claimed.append(row.id)

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(ids)  # every one, none twice
    assert all(store.claim(i, "late") is None for i in claimed if i is not None)


def test_a_stale_claim_is_taken_over_and_a_fresh_one_is_not(db) -> None:  # type: ignore[no-untyped-def]
    store = PendingStore(db)
    first = store.record(_row(1))
    second = store.record(_row(2))
    assert first is not None and second is not None
    assert store.claim(first, "dead") is not None
    assert store.claim(second, "alive") is not None
    with session_scope(db, write=True) as session:
        session.execute(
            update(PendingQuestion)
            .where(PendingQuestion.id == first)  # type: ignore[arg-type]
            .values(claimed_at=utcnow() - timedelta(minutes=5))
        )
    row = store.claim_next("sweeper", lease=LEASE)
    assert row is not None and row.id == first and row.attempts == 2
    assert row.claimed_by == "sweeper"
    assert store.claim_next("sweeper", lease=LEASE) is None
    assert not store.finish(first, "dead")  # the old holder cannot finish it any more
    assert store.finish(first, "sweeper")
    assert store.get(first).status == DONE  # type: ignore[union-attr]


def test_a_question_without_placeholder_waits_for_the_web_process_a_little(db) -> None:  # type: ignore[no-untyped-def]
    store = PendingStore(db)
    fresh = store.record(_row(1, placeholder_ts=None))
    assert store.claim_next("w", lease=LEASE) is None
    with session_scope(db, write=True) as session:
        session.execute(
            update(PendingQuestion)
            .where(PendingQuestion.id == fresh)  # type: ignore[arg-type]
            .values(created_at=utcnow() - timedelta(minutes=1))
        )
    row = store.claim_next("w", lease=LEASE)
    assert row is not None and row.id == fresh


def test_released_questions_are_pending_again(db) -> None:  # type: ignore[no-untyped-def]
    store = PendingStore(db)
    ids = [store.record(_row(n)) for n in range(3)]
    for question_id in ids:
        assert question_id is not None and store.claim(question_id, "stopping") is not None
    assert store.release("stopping") == 3
    assert {row.status for row in store.unfinished()} == {PENDING}


# --------------------------------------------------------------------------- the app


def test_a_retry_of_an_answered_question_is_not_answered_again(slack) -> None:  # type: ignore[no-untyped-def]
    event = payloads.app_mention_event("What must a pilot show?")
    slack.requester.event(event, event_id="EvRETRY1")
    slack.fake.wait_for("chat.update", timeout=10)
    assert slack.requester.event(event, event_id="EvRETRY1", retry_num=1).status == 200
    slack.deps.work.submit(lambda: None).result()  # work after the retry's ack is done
    assert len(slack.fake.calls_to("chat.postMessage")) == 1
    assert len(slack.fake.calls_to("chat.update")) == 1


def test_a_retry_whose_first_delivery_was_never_recorded_is_answered(slack) -> None:  # type: ignore[no-untyped-def]
    # The first delivery's id was stored, then the process died before the question was.
    with session_scope(write=True) as session:
        session.add(SlackEvent(event_id="EvLOST1"))
    event = payloads.app_mention_event("What must a pilot show?")
    assert slack.requester.event(event, event_id="EvLOST1", retry_num=1).status == 200
    update_call = slack.fake.wait_for("chat.update", timeout=10)[0]
    assert "four weeks" in str(update_call.args)
    slack.fake.wait_until(lambda: PendingStore().unfinished() == [])


def test_a_question_a_dead_worker_held_is_answered_in_its_placeholder(slack) -> None:  # type: ignore[no-untyped-def]
    placeholder = slack.fake.add_message("C123", "Looking that up…", user="UBOT")
    store = PendingStore()
    question_id = store.record(
        _row(
            7,
            channel_id="C123",
            thread_ts=placeholder["ts"],
            placeholder_ts=placeholder["ts"],
            question="What must a pilot show?",
        )
    )
    assert question_id is not None and store.claim(question_id, "gone:1:x") is not None
    with session_scope(write=True) as session:
        session.execute(
            update(PendingQuestion)
            .where(PendingQuestion.id == question_id)  # type: ignore[arg-type]
            .values(claimed_at=utcnow() - timedelta(minutes=10))
        )
    runner = slack.deps.answers
    assert isinstance(runner, AnswerRunner)
    runner.sweep_once()  # (or the runner's own sweeper, if it came first)
    update_call = slack.fake.wait_for("chat.update", timeout=10)[0]
    assert update_call.args["ts"] == placeholder["ts"]
    slack.fake.wait_until(lambda: store.get(question_id).status == DONE)  # type: ignore[union-attr]
    assert store.get(question_id).attempts == 2  # type: ignore[union-attr]


def test_a_question_that_keeps_failing_gets_an_apology_with_a_reference(slack) -> None:  # type: ignore[no-untyped-def]
    placeholder = slack.fake.add_message("C123", "Looking that up…", user="UBOT")
    store = PendingStore()
    question_id = store.record(
        _row(8, channel_id="C123", placeholder_ts=placeholder["ts"], attempts=MAX_ATTEMPTS)
    )
    assert question_id is not None
    runner = slack.deps.answers
    assert isinstance(runner, AnswerRunner)
    runner.sweep_once()
    slack.fake.wait_until(lambda: store.get(question_id).status == FAILED)  # type: ignore[union-attr]
    row = store.get(question_id)
    assert row is not None and row.reference
    update_call = slack.fake.wait_for("chat.update", timeout=10)[0]
    assert row.reference in str(update_call.args)
    assert slack.knowledge.questions == []  # not tried a fourth time


def test_a_claimed_question_is_not_touched_while_its_lease_runs(slack) -> None:  # type: ignore[no-untyped-def]
    store = PendingStore()
    # no placeholder yet: the app's own sweeper leaves the row alone until the test claims it
    question_id = store.record(_row(9, placeholder_ts=None))
    assert question_id is not None and store.claim(question_id, "busy:1:x") is not None
    runner = slack.deps.answers
    assert isinstance(runner, AnswerRunner)
    assert runner.sweep_once() == 0
    assert store.get(question_id).status == CLAIMED  # type: ignore[union-attr]


def test_a_question_whose_placeholder_was_never_posted_is_answered_in_its_thread(slack) -> None:  # type: ignore[no-untyped-def]
    # The web process recorded the question, acked, and died before posting the placeholder.
    store = PendingStore()
    question_id = store.record(
        _row(10, channel_id="C123", thread_ts="1700000000.000100", placeholder_ts=None)
    )
    with session_scope(write=True) as session:
        session.execute(
            update(PendingQuestion)
            .where(PendingQuestion.id == question_id)  # type: ignore[arg-type]
            .values(created_at=utcnow() - timedelta(minutes=1))
        )
    runner = slack.deps.answers
    assert isinstance(runner, AnswerRunner)
    runner.sweep_once()
    posted = slack.fake.wait_for("chat.postMessage", timeout=10)[0]
    assert posted.args["thread_ts"] == "1700000000.000100" and "Sources" in str(posted.args)
    slack.fake.wait_until(lambda: store.get(question_id).status == DONE)  # type: ignore[arg-type, union-attr]


def test_finished_questions_are_forgotten_after_a_week_and_unfinished_ones_never(db) -> None:  # type: ignore[no-untyped-def]
    store = PendingStore(db)
    done, waiting = store.record(_row(1)), store.record(_row(2))
    assert done is not None and store.claim(done, "w") is not None and store.finish(done, "w")
    with session_scope(db, write=True) as session:
        session.execute(update(PendingQuestion).values(created_at=utcnow() - timedelta(days=30)))
    assert store.prune() == 1
    assert store.get(done) is None and store.get(waiting) is not None  # type: ignore[arg-type]


def test_a_database_outage_is_one_log_line_without_traceback_until_it_recovers(
    sqlite_db, tmp_path, caplog
) -> None:  # type: ignore[no-untyped-def]
    import logging

    from sqlalchemy import create_engine

    from bot.deps import Deps
    from spinebot.settings import get_settings

    deps = Deps.create(get_settings(), inline=True)
    gone = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    runner = AnswerRunner(deps, None, sweep=False, store=PendingStore(gone))  # type: ignore[arg-type]
    try:
        with caplog.at_level(logging.INFO, logger="bot.answer_pool"):
            for _ in range(3):
                assert runner.sweep_once() == 0
            warnings = [r for r in caplog.records if r.name == "bot.answer_pool"]
            assert len(warnings) == 1 and warnings[0].exc_info is None
            assert "could not look for pending questions: database" in warnings[0].getMessage()
            runner.store = PendingStore(sqlite_db)
            assert runner.sweep_once() == 0
            assert "readable again" in caplog.records[-1].getMessage()
    finally:
        runner.close(grace=0)
