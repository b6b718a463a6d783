"""The two seams of the answer pipeline, as typed interfaces.

:class:`Answerer` is what answers a question: ``KnowledgeService`` in production, a
scripted stand-in in tests. :class:`AnswerDispatcher` is what takes a recorded question
(``bot.pending``) to a posted answer: threads in this process (console, tests) or the
answer processes of ``serve``/``socket`` (``bot.answer_pool``). Mentions, DMs, thread
follow-ups, ``/ask``, the Home tab's Ask modal and the console all go through both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from knowledge.service import Answer


class Answerer(Protocol):
    def ask(self, question: str, *, history: Sequence[str] = ()) -> Answer: ...

    def health(self) -> tuple[bool, str]: ...


class AnswerDispatcher(Protocol):
    def dispatch(self, question_id: int) -> None:
        """Have the recorded question answered soon; returns at once."""

    def health(self) -> tuple[bool, str]:
        """False while no one can answer (e.g. every answer process is down)."""

    def close(self, grace: float) -> None:
        """Stop taking work, finish what is in flight within ``grace`` seconds, and hand
        the rest back as pending."""
