"""The question log and feedback, on SQLite and Postgres; gaps feed the weekly digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, select

from knowledge.models import Feedback, QuestionLog
from knowledge.qa_log import knowledge_gaps, record_feedback, record_question
from knowledge.service import Answer, Source

SOURCE = Source(
    title="Phase gates",
    source="spinebot:playbooks/phase-gates.md",
    section="Pilot",
    text="A pilot needs four good weeks.",
    score=0.9,
)


def answer(question: str, *, abstained: bool = False) -> Answer:
    sources = [] if abstained else [SOURCE]
    return Answer(question, "Four weeks [1].", abstained, sources, latency_ms=12.5)


def log(db: Engine, question: str, *, abstained: bool = False) -> int:
    return record_question(
        answer=answer(question, abstained=abstained),
        user_id="U1",
        channel_id="C1",
        thread_ts="1700000000.000100",
        surface="mention",
        engine=db,
    )


def test_a_question_is_stored_with_its_answer_and_sources(db: Engine) -> None:
    qid = log(db, "When does a pilot move on?")
    with Session(db) as session:
        row = session.get(QuestionLog, qid)
    assert row is not None
    assert (row.question, row.answer, row.abstained, row.surface) == (
        "When does a pilot move on?",
        "Four weeks [1].",
        False,
        "mention",
    )
    assert row.sources[0]["source"] == "spinebot:playbooks/phase-gates.md"
    assert "text" not in row.sources[0]  # passages are in the index, not copied per question


def test_feedback_is_one_vote_per_person_and_can_change(db: Engine) -> None:
    qid = log(db, "When does a pilot move on?")
    record_feedback(question_id=qid, user_id="U2", helpful=True, engine=db)
    record_feedback(question_id=qid, user_id="U2", helpful=False, engine=db)
    record_feedback(question_id=qid, user_id="U3", helpful=True, engine=db)
    with Session(db) as session:
        votes = {f.user_id: f.helpful for f in session.exec(select(Feedback)).all()}
    assert votes == {"U2": False, "U3": True}


def test_knowledge_gaps_are_abstentions_and_unhelpful_answers_most_asked_first(
    db: Engine,
) -> None:
    log(db, "Where do I park?", abstained=True)
    log(db, "where do I park", abstained=True)
    log(db, "What is the canteen menu?", abstained=True)
    disliked = log(db, "How do I vote?")
    record_feedback(question_id=disliked, user_id="U2", helpful=False, engine=db)
    liked = log(db, "When does a pilot move on?")
    record_feedback(question_id=liked, user_id="U2", helpful=True, engine=db)
    now = datetime.now(UTC)
    gaps = knowledge_gaps(
        since=now - timedelta(days=7), until=now + timedelta(minutes=1), engine=db
    )
    assert gaps[0] == "Where do I park?"
    assert set(gaps) == {"Where do I park?", "What is the canteen menu?", "How do I vote?"}
    assert (
        knowledge_gaps(since=now + timedelta(minutes=1), until=now + timedelta(days=1), engine=db)
        == []
    )
    assert (
        len(
            knowledge_gaps(
                since=now - timedelta(days=7), until=now + timedelta(minutes=1), limit=1, engine=db
            )
        )
        == 1
    )
