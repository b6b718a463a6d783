"""Knowledge notes: a Slack thread saved into the index answers its question next time,
cites the thread's permalink, and records the knowledge gap it closed (SQLite and
Postgres); saving it again takes it out."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from knowledge.notes import (
    NoteMessage,
    NoteThread,
    closed_gaps,
    find_note,
    note_document,
    plain_text,
)
from knowledge.qa_log import record_question
from knowledge.service import KnowledgeService
from spinebot.models import utcnow
from spinebot.settings import Settings

CHANNEL = "C0SPINE"
ROOT_TS = "1764583200.000100"
PERMALINK = f"https://acme.slack.com/archives/{CHANNEL}/p1764583200000100"
QUESTION = "Which badge colour do contractors need for the model lab?"
REPLY = (
    "Contractors need an orange badge for the model lab; the facilities desk issues "
    "it within two working days."
)


def thread(*replies: NoteMessage, root: str = f"<@UBOT> {QUESTION}") -> NoteThread:
    return NoteThread(
        channel_id=CHANNEL,
        thread_ts=ROOT_TS,
        permalink=PERMALINK,
        messages=[NoteMessage("U1", root, ROOT_TS), *replies],
    )


def answered() -> NoteThread:
    return thread(
        NoteMessage("UBOT", "The knowledge base does not say.", "1764583201.0", bot=True),
        NoteMessage("U2", REPLY, "1764583300.000200"),
    )


def test_a_thread_becomes_a_document_titled_by_its_question_with_the_replies_as_text() -> None:
    doc = note_document(answered())
    assert doc is not None
    assert doc.title == QUESTION  # the bot mention is not part of the question
    assert doc.url == PERMALINK and doc.source == f"slack:{CHANNEL}/{ROOT_TS}"
    text = "\n".join(block.text for block in doc.blocks)
    assert REPLY in text and "does not say" not in text  # the bot's own reply is no knowledge


def test_a_thread_nobody_has_answered_yet_is_no_document() -> None:
    assert note_document(thread()) is None
    bot_only = thread(NoteMessage("UBOT", "I could not find that.", "2.0", bot=True))
    assert note_document(bot_only) is None


def test_slack_markup_is_read_as_plain_text() -> None:
    text = plain_text(
        "Ask <@U0ANNA|anna> in <#C0OPS|ops> &amp; see <https://wiki.example.com/a|the wiki> "
        "or <https://x.example.com> <!here> &lt;b&gt;"
    )
    assert text == (
        "Ask @anna in #ops & see the wiki (https://wiki.example.com/a) "
        "or https://x.example.com @here <b>"
    )


def test_a_saved_thread_answers_its_question_next_time_citing_the_permalink(
    service: KnowledgeService, db: Engine
) -> None:
    before = service.ask(QUESTION)
    record_question(
        answer=before,
        user_id="U1",
        channel_id=CHANNEL,
        thread_ts=ROOT_TS,
        surface="mention",
        engine=db,
    )
    outcome = service.toggle_note(CHANNEL, ROOT_TS, added_by="UADMIN", fetch=answered)
    assert outcome.action == "added" and outcome.replies == 1

    after = service.ask(QUESTION)
    assert not after.abstained
    assert "orange badge" in after.text
    assert after.sources[0].url == PERMALINK and after.sources[0].title == QUESTION

    note = find_note(CHANNEL, ROOT_TS, engine=db)
    assert note is not None and note.added_by == "UADMIN" and note.permalink == PERMALINK
    assert before.abstained and note.gap_question == QUESTION  # the gap it closed


def test_saving_the_thread_again_removes_it_from_the_index_and_the_record(
    service: KnowledgeService, db: Engine
) -> None:
    assert service.toggle_note(CHANNEL, ROOT_TS, added_by="UADMIN", fetch=answered).action == (
        "added"
    )
    chunks = service.chunk_count()

    def never() -> NoteThread:
        raise AssertionError("a saved thread is not read again to remove it")

    outcome = service.toggle_note(CHANNEL, ROOT_TS, added_by="UADMIN", fetch=never)
    assert outcome.action == "removed" and outcome.title == QUESTION
    assert service.chunk_count() < chunks
    assert find_note(CHANNEL, ROOT_TS, engine=db) is None
    assert not any(s.source.startswith("slack:") for s in service.ask(QUESTION).sources)


def test_an_unanswered_thread_is_not_saved(service: KnowledgeService, db: Engine) -> None:
    chunks = service.chunk_count()
    outcome = service.toggle_note(CHANNEL, ROOT_TS, added_by="UADMIN", fetch=thread)
    assert outcome.action == "empty"
    assert service.chunk_count() == chunks and find_note(CHANNEL, ROOT_TS, engine=db) is None


def test_a_file_ingest_leaves_saved_notes_in_the_index(
    service: KnowledgeService, corpus: Path, db: Engine
) -> None:
    service.toggle_note(CHANNEL, ROOT_TS, added_by="UADMIN", fetch=answered)
    report = service.ingest([corpus])
    assert report.removed == 0
    assert service.ask(QUESTION).sources[0].url == PERMALINK


def test_the_gap_an_abstained_question_left_is_listed_as_closed_in_its_week(
    service: KnowledgeService, db: Engine
) -> None:
    from knowledge.service import Answer

    abstained = Answer(QUESTION, "The knowledge base does not say.", True, [], 4.0)
    record_question(
        answer=abstained,
        user_id="U1",
        channel_id="C0OTHER",  # asked elsewhere: matched by the question itself
        thread_ts="1764500000.000100",
        surface="mention",
        engine=db,
    )
    service.toggle_note(CHANNEL, ROOT_TS, added_by="UADMIN", fetch=answered)
    now = utcnow()
    closed = closed_gaps(since=now - timedelta(days=1), until=now + timedelta(days=1), engine=db)
    assert [(g.question, g.permalink, g.added_by) for g in closed] == [
        (QUESTION, PERMALINK, "UADMIN")
    ]
    later = now + timedelta(days=1)
    assert closed_gaps(since=later, until=later + timedelta(days=7), engine=db) == []


def test_another_process_on_the_same_data_dir_answers_from_the_note_at_once(
    service: KnowledgeService, settings: Settings, db: Engine
) -> None:
    """Answer processes keep their own copy of the index state; a note saved by the web
    process reaches them on their next question, not after the periodic re-check."""
    other = KnowledgeService(settings)
    assert not any(s.url == PERMALINK for s in other.ask(QUESTION).sources)  # state loaded
    service.toggle_note(CHANNEL, ROOT_TS, added_by="UADMIN", fetch=answered)
    assert other.ask(QUESTION).sources[0].url == PERMALINK
    service.toggle_note(CHANNEL, ROOT_TS, added_by="UADMIN", fetch=answered)
    assert not any(s.url == PERMALINK for s in other.ask(QUESTION).sources)
