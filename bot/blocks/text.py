"""Safe text for Block Kit: escaping, truncation, number formatting.

User text is stored as typed and escaped only here, at render time, so ``<!channel>``
typed into a title shows literally instead of pinging a channel.
"""

from __future__ import annotations

import re

# Formatting lives in spinebot.format; re-exported for the builders.
from spinebot.format import money as money
from spinebot.format import number as number

SECTION_MAX = 3000
HEADER_MAX = 150
CONTEXT_MAX = 2000
BUTTON_TEXT_MAX = 75


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ENTITY = re.compile(r"&(?:amp|lt|gt|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")


def _cut(text: str, size: int) -> str:
    cut = size
    opened = text.rfind("<", 0, cut)
    if opened != -1 and text.find(">", opened, cut) == -1:
        cut = opened  # the cut would fall inside a <link|label>: drop the whole link
    amp = text.rfind("&", max(0, cut - 10), cut)
    if amp != -1:
        entity = _ENTITY.match(text, amp)
        if entity and entity.end() > cut:
            cut = amp  # nor inside an entity such as &amp;
    return text[:cut].rstrip()


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in "…" when cut. The cut never falls inside
    a ``<…>`` link or an ``&amp;`` entity, and a code block it leaves open is closed."""
    if len(text) <= limit:
        return text
    if limit < 1:
        return ""
    head = _cut(text, limit - 1)
    if head.count("```") % 2:
        head = _cut(text, max(0, limit - 5))  # room for "…\n```"
        if head.count("```") % 2:
            return head + "…\n```"
    return head + "…"


FIELD_MAX = 2000


def join_limited(items: list[str], limit: int, sep: str = ", ") -> str:
    """``items`` joined, stopping before ``limit`` characters with '…and N more'."""
    out: list[str] = []
    for n, item in enumerate(items):
        tail = f"{sep}…and {len(items) - n} more"
        if len(sep.join([*out, item])) + len(tail) > limit:
            return sep.join(out) + (tail if out else f"…and {len(items) - n} more")
        out.append(item)
    return sep.join(out)


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_MAX)}}


def context(*texts: str) -> dict:
    elements = [{"type": "mrkdwn", "text": truncate(t, CONTEXT_MAX)} for t in texts if t]
    return {"type": "context", "elements": elements[:10]}


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": truncate(text, HEADER_MAX)}}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    element = {
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, BUTTON_TEXT_MAX), "emoji": True},
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    return element


def actions(*elements: dict, block_id: str | None = None) -> dict:
    block: dict = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def divider() -> dict:
    return {"type": "divider"}


def error_blocks(message: str, usage: str | None = None) -> list[dict]:
    """A friendly ephemeral error: what was wrong, then the right usage."""
    blocks = [section(f":warning: {escape(message)}")]
    if usage:
        blocks.append(context(f"Usage: `{escape(usage)}`"))
    return blocks


def plain(blocks: list[dict]) -> str:
    """A notification fallback text from the first text block."""
    for block in blocks:
        text = block.get("text")
        if isinstance(text, dict) and text.get("text"):
            return truncate(str(text["text"]), 300)
    return "Spinebot"
