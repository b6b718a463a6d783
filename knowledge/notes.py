"""Knowledge notes: Slack threads a spine admin saved into the index.

A question the bot could not answer, once a person answers it in the thread, becomes a
document: its title is the thread's first message (the question), its text the people's
replies, its link the thread's permalink and its source id ``slack:<channel>/<thread_ts>``.
Saving the same thread again takes it out. Each saved note is recorded in
``knowledge_note`` with the knowledge gap it closed — the question the bot abstained on
(or that people marked 👎) in that thread, or the same question asked elsewhere — so
the weekly digest can say which gaps were closed this way.

The Slack side (reading the thread, the permalink) is the caller's: this module takes
plain :class:`NoteThread` values and imports nothing from Slack.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from knowledge.documents import Block, Document, safe_url
from knowledge.models import Feedback, KnowledgeNote, QuestionLog
from spinebot.db import session_scope
from spinebot.models import as_utc, utcnow

NOTE_PREFIX = "slack:"
NOTE_KIND = "note"
TITLE_CHARS = 150
MAX_REPLY_CHARS = 4000  # one reply; a thread is not a document dump
MAX_REPLIES = 200
GAP_LOOKBACK = timedelta(days=90)  # how far back a question asked elsewhere is matched

_USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^|>]*)?(?:\|([^>]*))?>")
_LINK = re.compile(r"<([a-z][a-z0-9+.-]*:[^|>]*)(?:\|([^>]*))?>", re.I)
_LEADING_MENTIONS = re.compile(r"^(?:\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s,:]*)+")


@dataclass(frozen=True)
class NoteMessage:
    """One message of a thread, as Slack gave it (``text`` in Slack's mrkdwn)."""

    user: str
    text: str
    ts: str
    bot: bool = False  # the bot's own (or any app's) message: never knowledge


@dataclass(frozen=True)
class NoteThread:
    channel_id: str
    thread_ts: str
    permalink: str | None
    messages: list[NoteMessage] = field(default_factory=list)  # the question first


@dataclass(frozen=True)
class NoteOutcome:
    """What the shortcut did: ``added``, ``removed``, or ``empty`` (nothing to learn)."""

    action: Literal["added", "removed", "empty"]
    title: str = ""
    permalink: str | None = None
    replies: int = 0
    gap_question: str | None = None


@dataclass(frozen=True)
class ClosedGap:
    """A knowledge gap closed by a saved thread (for the weekly digest)."""

    question: str
    title: str
    permalink: str | None
    added_by: str
    added_at: datetime


def note_source(channel_id: str, thread_ts: str) -> str:
    return f"{NOTE_PREFIX}{channel_id}/{thread_ts}"


def plain_text(text: str) -> str:
    """Slack mrkdwn as plain text: mentions, channels and links by their labels, the
    ``&amp;`` entities decoded. (What is shown later is escaped again when rendered.)"""
    text = _USER.sub(lambda m: "@" + (m.group(2) or m.group(1)), text or "")
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(lambda m: m.group(2) or "@" + m.group(1), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})" if m.group(2) else m.group(1), text)
    text = html.unescape(text)
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


def question_text(text: str) -> str:
    """A thread's first message as a question: leading mentions (of the bot) dropped."""
    return " ".join(plain_text(_LEADING_MENTIONS.sub("", text or "")).split())


def question_key(text: str) -> str:
    """The same grouping as the digest's gap list: case, spacing and end marks aside."""
    return " ".join(text.lower().split()).rstrip("?!. ")


def _title(question: str) -> str:
    if len(question) <= TITLE_CHARS:
        return question
    cut = question.rfind(" ", 0, TITLE_CHARS - 1)
    return question[: cut if cut > TITLE_CHARS // 2 else TITLE_CHARS - 1].rstrip() + "…"


def note_document(thread: NoteThread) -> Document | None:
    """The thread as a document, or None when no person has replied to it yet."""
    if not thread.messages:
        return None
    root, replies = thread.messages[0], thread.messages[1:MAX_REPLIES]
    blocks: list[Block] = []
    for reply in replies:
        if reply.bot:
            continue
        text = plain_text(reply.text)[:MAX_REPLY_CHARS].strip()
        if text:
            blocks.extend(Block(text=part) for part in text.split("\n\n") if part.strip())
    if not blocks:
        return None
    question = question_text(root.text) or "Slack thread"
    return Document(
        source=note_source(thread.channel_id, thread.thread_ts),
        title=_title(question),
        blocks=blocks,
        url=safe_url(thread.permalink),
        kind=NOTE_KIND,
        meta={"channel": thread.channel_id, "thread_ts": thread.thread_ts},
        format="slack",
    )


# --- the record ------------------------------------------------------------------------


def find_note(
    channel_id: str, thread_ts: str, *, engine: Engine | None = None
) -> KnowledgeNote | None:
    with session_scope(engine) as session:
        return session.exec(
            select(KnowledgeNote).where(
                KnowledgeNote.channel_id == channel_id, KnowledgeNote.thread_ts == thread_ts
            )
        ).first()


def gap_for(
    channel_id: str, thread_ts: str, question: str, *, engine: Engine | None = None
) -> tuple[int, str] | None:
    """The knowledge gap a thread answers: a question logged in this thread that the bot
    abstained on or people marked 👎, else the same question abstained on elsewhere in
    the last :data:`GAP_LOOKBACK`. (id, question as asked) or None."""
    with session_scope(engine) as session:
        here = session.exec(
            select(QuestionLog)
            .where(QuestionLog.channel_id == channel_id, QuestionLog.thread_ts == thread_ts)
            .order_by(col(QuestionLog.asked_at), col(QuestionLog.id))
        ).all()
        for row in here:
            if row.abstained:
                assert row.id is not None
                return row.id, row.question
        ids = [row.id for row in here]
        if ids:
            votes: Counter[int] = Counter()
            for fb in session.exec(
                select(Feedback).where(col(Feedback.question_id).in_(ids))
            ).all():
                votes[fb.question_id] += -1 if fb.helpful else 1
            for row in here:
                if votes.get(row.id or 0, 0) > 0:
                    assert row.id is not None
                    return row.id, row.question
        key = question_key(question_text(question))
        if not key:
            return None
        elsewhere = session.exec(
            select(QuestionLog.id, QuestionLog.question)
            .where(
                col(QuestionLog.abstained).is_(True),
                QuestionLog.asked_at >= utcnow() - GAP_LOOKBACK,
            )
            .order_by(col(QuestionLog.asked_at).desc())
            .limit(5000)
        ).all()
        for qid, text in elsewhere:
            if qid is not None and question_key(text) == key:
                return int(qid), text
    return None


def save_note(note: KnowledgeNote, *, engine: Engine | None = None) -> None:
    """Record a saved note (replacing the record of the same thread, if any)."""
    try:
        with session_scope(engine, write=True) as session:
            existing = session.exec(
                select(KnowledgeNote).where(
                    KnowledgeNote.channel_id == note.channel_id,
                    KnowledgeNote.thread_ts == note.thread_ts,
                )
            ).first()
            if existing is not None:
                session.delete(existing)
                session.flush()
            session.add(note)
    except IntegrityError:  # saved at the same moment elsewhere: that record stands
        pass


def delete_note(channel_id: str, thread_ts: str, *, engine: Engine | None = None) -> bool:
    with session_scope(engine, write=True) as session:
        existing = session.exec(
            select(KnowledgeNote).where(
                KnowledgeNote.channel_id == channel_id, KnowledgeNote.thread_ts == thread_ts
            )
        ).first()
        if existing is None:
            return False
        session.delete(existing)
        return True


def closed_gaps(
    *, since: datetime, until: datetime, limit: int = 10, engine: Engine | None = None
) -> list[ClosedGap]:
    """Gaps closed by notes saved in [since, until) (and still saved), oldest first."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(KnowledgeNote)
            .where(
                KnowledgeNote.added_at >= since,
                KnowledgeNote.added_at < until,
                col(KnowledgeNote.gap_question).is_not(None),
            )
            .order_by(col(KnowledgeNote.added_at), col(KnowledgeNote.id))
            .limit(limit)
        ).all()
    return [
        ClosedGap(
            question=row.gap_question or "",
            title=row.title,
            permalink=safe_url(row.permalink),
            added_by=row.added_by,
            added_at=as_utc(row.added_at) or since,
        )
        for row in rows
    ]


__all__ = [
    "ClosedGap",
    "NoteMessage",
    "NoteOutcome",
    "NoteThread",
    "closed_gaps",
    "delete_note",
    "find_note",
    "gap_for",
    "note_document",
    "note_source",
    "plain_text",
    "question_key",
    "question_text",
    "save_note",
]
