"""Seeding helpers and a recording Slack client for the digest tests."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from portfolio.models import MetricReport, UseCase, UseCaseUnit, Vote
from portfolio.weeks import monday_of, shift
from spinebot.db import session_scope

WEEK = "2026-W40"  # the digest week used throughout; it reports on 2026-W39


def add_use_case(
    engine: Engine,
    title: str,
    *,
    age: int = 20,
    phase: str = "pilot",
    owner: str = "UOWNER",
    weekly: dict[int, dict[str, float]] | None = None,
    units: int = 1,
    votes: int = 0,
    status: str = "active",
) -> int:
    """A use case registered ``age`` weeks before WEEK; ``weekly`` maps weeks-ago → metrics."""
    created = datetime.combine(monday_of(shift(WEEK, -age)), datetime.min.time(), UTC)
    with session_scope(engine) as session:
        uc = UseCase(title=title, owner_id=owner, phase=phase, status=status, created_at=created)
        session.add(uc)
        session.flush()
        assert uc.id is not None
        for n in range(units):
            session.add(UseCaseUnit(use_case_id=uc.id, unit=f"Unit {n}", adopted_by=owner))
        for n in range(votes):
            session.add(Vote(use_case_id=uc.id, user_id=f"UV{n}"))
        for ago, metrics in (weekly or {}).items():
            week = shift(WEEK, -ago)
            session.add(
                MetricReport(
                    use_case_id=uc.id,
                    week=week,
                    week_start=monday_of(week),
                    reported_by=owner,
                    **metrics,
                )
            )
        return uc.id


class RecordingClient:
    """Stands in for slack_sdk's WebClient in job tests (tests/bot uses real HTTP)."""

    def __init__(self, fail_posts: int = 0) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.fail_posts = fail_posts
        self._ts = itertools.count(1)
        self._lock = threading.Lock()

    def chat_postMessage(self, **kwargs: Any) -> dict[str, Any]:  # noqa: N802 - SDK name
        with self._lock:
            if self.fail_posts:
                self.fail_posts -= 1
                raise RuntimeError("slack is down")
            self.calls.append(("chat.postMessage", kwargs))
            return {"ok": True, "channel": kwargs["channel"], "ts": f"100.{next(self._ts)}"}

    def conversations_history(self, **kwargs: Any) -> dict[str, Any]:
        """What the channel shows: the messages posted here (with their metadata)."""
        with self._lock:
            self.calls.append(("conversations.history", kwargs))
            posted = [
                {"ts": f"100.{n}", "text": args.get("text", ""), "metadata": args.get("metadata")}
                for n, args in enumerate(self.posts(), start=1)
                if args["channel"] == kwargs["channel"]
            ]
        return {"ok": True, "messages": posted[::-1], "response_metadata": {"next_cursor": ""}}

    def files_upload_v2(self, **kwargs: Any) -> dict[str, Any]:
        with self._lock:
            self.calls.append(("files.upload", kwargs))
        return {"ok": True}

    def posts(self) -> list[dict[str, Any]]:
        return [args for method, args in self.calls if method == "chat.postMessage"]
