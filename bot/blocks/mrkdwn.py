"""Model Markdown to Slack mrkdwn (a minimal version; the LLM-safety work replaces it
with the full one: same names, safe links).

The text is escaped first, so nothing the model wrote can become a Slack control
sequence (``<!channel>``, ``<url|label>``), then converted by ``markdown_to_mrkdwn``;
whatever ``<`` the converter makes is neutralised again; only ``[label](http…)`` links
come back as Slack links. :func:`truncate_mrkdwn` never cuts inside a link or an entity.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from markdown_to_mrkdwn import SlackMarkdownConverter

from bot.blocks.text import escape

_CONVERTER = SlackMarkdownConverter()
_ENTITY_TAIL = re.compile(r"&[a-z]{0,4}$")
_LINK = re.compile(r"\[([^\[\]\n]{1,300})\]\((https?://[^\s()<>|]{1,1500})\)")
_SLOT = re.compile("\ue000(\\d+)\ue001")


def to_mrkdwn(
    markdown: str, limit: int | None = None, *, trusted_hosts: Collection[str] = ()
) -> str:
    if not markdown:
        return ""
    links: list[str] = []

    def keep(match: re.Match[str]) -> str:
        label = escape(match.group(1).replace("|", " "))
        links.append(f"<{escape(match.group(2))}|{label}>")
        return f"\ue000{len(links) - 1}\ue001"

    text = _LINK.sub(keep, markdown.replace("\ue000", "").replace("\ue001", ""))
    text = _CONVERTER.convert(escape(text))
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _SLOT.sub(lambda m: links[int(m.group(1))], text)
    return truncate_mrkdwn(text, limit) if limit is not None else text


def truncate_mrkdwn(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    if cut.rfind("<") > cut.rfind(">"):  # never half a link
        cut = cut[: cut.rfind("<")]
    return _ENTITY_TAIL.sub("", cut).rstrip() + "…"
