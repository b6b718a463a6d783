"""Threads the bot answers in: follow-ups there are answered without a new mention."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from bot.models import BotThread
from spinebot.db import get_engine, session_scope


def remember_thread(channel_id: str, thread_ts: str, engine: Engine | None = None) -> None:
    try:  # read-then-insert: take the write lock up front (SQLite cannot upgrade under load)
        with session_scope(engine or get_engine(), write=True) as session:
            if session.get(BotThread, (channel_id, thread_ts)) is None:
                session.add(BotThread(channel_id=channel_id, thread_ts=thread_ts))
    except IntegrityError:
        pass  # another request recorded it first


def is_bot_thread(channel_id: str, thread_ts: str, engine: Engine | None = None) -> bool:
    with session_scope(engine or get_engine()) as session:
        return session.get(BotThread, (channel_id, thread_ts)) is not None
