"""Block Kit for answers: the progress placeholder, the cited answer, the apology."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.blocks.mrkdwn import hosts_of, link, to_mrkdwn
from bot.blocks.text import SECTION_MAX, actions, button, context, escape, money, section, truncate
from bot.constants import ACTION_FEEDBACK_DOWN, ACTION_FEEDBACK_UP

if TYPE_CHECKING:
    from knowledge.service import Answer, Source
    from portfolio.service import UseCaseCard

THINKING_TEXT = ":hourglass_flowing_sand: Looking that up in the knowledge base…"


def build_thinking_blocks() -> list[dict]:
    return [context(THINKING_TEXT)]


def build_apology_blocks(reference: str) -> list[dict]:
    return [
        section(
            ":disappointed: Sorry, something went wrong while answering. Please try again in "
            f"a moment; if it keeps happening, tell the spine team (reference `{reference}`)."
        )
    ]


def source_line(number: int, source: Source) -> str:
    """``[n] title — section — p. 4``; the title links to the source's http(s) URL.

    Title, section and URL come from documents (front matter, headings), so they are
    escaped, and the link is built by :func:`bot.blocks.mrkdwn.link`, which refuses other
    schemes and keeps ``|`` and ``>`` from ending the link early."""
    label = source.title or source.source
    title = link(source.url, label) if source.url else escape(label)
    parts = [f"[{number}] {title}"]
    if source.section:
        parts.append(escape(source.section))
    if source.page:
        parts.append(f"p. {source.page}")
    return " — ".join(parts)


def use_case_line(card: UseCaseCard) -> str:
    value = money(card.net_value_latest) if card.net_value_latest is not None else "no value yet"
    return f":bulb: Related use case *{card.ref}* {escape(card.title)} · {card.phase} · {value}"


def build_answer_blocks(
    answer: Answer,
    *,
    question_id: int | None,
    use_cases: list[UseCaseCard] | tuple = (),
) -> list[dict]:
    """The answer with numbered citations, related use cases and 👍/👎 buttons."""
    blocks: list[dict] = []
    if answer.abstained:
        blocks.append(section(":grey_question: " + escape(answer.text)))
    else:
        hosts = hosts_of(source.url for source in answer.sources)
        blocks.append(section(to_mrkdwn(answer.text, SECTION_MAX, trusted_hosts=hosts)))
        lines = [source_line(n, s) for n, s in enumerate(answer.sources, start=1)]
        if lines:
            blocks.append(context(truncate("*Sources*  " + "\n".join(lines), 2000)))
    for card in list(use_cases)[:3]:
        blocks.append(context(use_case_line(card)))
    if question_id is not None:
        value = str(question_id)
        blocks.append(
            actions(
                button(":+1: Helpful", ACTION_FEEDBACK_UP, value),
                button(":-1: Not helpful", ACTION_FEEDBACK_DOWN, value),
                block_id="answer_feedback",
            )
        )
    return blocks


def answer_fallback(answer: Answer) -> str:
    """The notification text: Slack parses it as mrkdwn too, so it is escaped as well."""
    return truncate(escape(answer.text), 300)


_UNFINISHED_LINK = re.compile(r"!?\[[^\[\]\n]*(?:\]\([^)\n]*)?$")
WRITING_TEXT = ":writing_hand: Writing…"


def build_partial_answer_blocks(markdown: str) -> list[dict]:
    """An answer still being written: the text so far (a link the model has not
    finished yet is held back), then a note that more is coming."""
    from bot.blocks.mrkdwn import to_mrkdwn

    shown = to_mrkdwn(_UNFINISHED_LINK.sub("", markdown), limit=2900)
    return [section(shown or "…"), context(WRITING_TEXT)]
