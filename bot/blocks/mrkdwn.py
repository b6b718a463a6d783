"""Model Markdown to Slack mrkdwn, safely.

A chat model writes Markdown (``**bold**``, ``[label](url)``, ``# Heading``); Slack
reads mrkdwn, where ``<`` starts a control sequence: ``<!channel>`` pages a whole
channel and ``<http://evil|login>`` shows "login" over any address. So model text (and
document text quoted back) is escaped *first*, which makes every such sequence inert,
and only then converted by ``markdown_to_mrkdwn``. Links are taken out before the
conversion and put back as ``<url|label>`` only when the address is a plain http(s) URL;
anything else keeps its label as text.

:func:`truncate_mrkdwn` shortens mrkdwn without cutting inside a ``<…>`` link or an
``&amp;`` entity, and closes a code block that the cut left open.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from urllib.parse import quote, urlsplit

from markdown_to_mrkdwn import SlackMarkdownConverter

from bot.blocks.text import escape, truncate

# [label](url) or ![alt](url), the URL optionally in <…>, with one level of balanced
# parentheses (Wikipedia-style addresses) and an optional "title".
_MD_LINK = re.compile(
    r"!?\[(?P<label>[^\[\]\n]{0,500})\]\(\s*(?:&lt;)?"
    r"(?P<url>[^\s()]*(?:\([^\s()]*\)[^\s()]*)*?)(?:&gt;)?"
    r'(?:\s+(?:"[^"\n]*"|\'[^\'\n]*\'))?\s*\)'
)
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_HOST = re.compile(r"^(?:[a-z0-9-]{1,63}\.)*[a-z0-9-]{1,63}$|^[0-9a-f:.]+$")
_QUOTE_LINE = re.compile(r"^&gt; ", re.MULTILINE)
_UNSAFE_URL_CHARS = {"|": "%7C", "<": "%3C", ">": "%3E", '"': "%22", " ": "%20"}
_CONVERTER = SlackMarkdownConverter()
MAX_INPUT = 40_000  # characters of Markdown looked at (a Slack message holds far fewer)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def safe_url(url: str | None) -> str | None:
    """``url`` ready to sit inside ``<…|…>``, or None when it is not a plain http(s) URL.

    Characters that would end or split a Slack link (``|``, ``<``, ``>``) are
    percent-encoded and ``&`` is escaped as Slack asks; control characters, other
    schemes (``javascript:``, ``mailto:``, ``slack:``), user-info before the host and
    host-less URLs are refused."""
    if not url:
        return None
    url = url.strip()
    if not url or len(url) > 2000 or any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    if not _HOST.match(parts.hostname):
        return None
    if "@" in parts.netloc:  # http://wiki.example.com@evil.example/ hides the real host
        return None
    for char, code in _UNSAFE_URL_CHARS.items():
        url = url.replace(char, code)
    url = quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")
    return url.replace("&", "&amp;")


def safe_label(label: str) -> str:
    """Link text that cannot end the link early: no ``|``, ``<`` or ``>``, escaped."""
    for char in "|<>":
        label = label.replace(char, " ")
    return escape(" ".join(label.split()))


def link(url: str | None, label: str) -> str:
    """``<url|label>`` for a safe http(s) URL; otherwise just the (escaped) label.

    Both arguments are raw text (as stored), not yet escaped."""
    target = safe_url(url)
    text = safe_label(label)
    if target is None:
        return text
    return f"<{target}|{text or target}>"


def to_mrkdwn(
    markdown: str, limit: int | None = None, *, trusted_hosts: Collection[str] = ()
) -> str:
    """Slack mrkdwn for model (or document) Markdown: escaped first, then converted.

    Every ``<!channel>``, ``<!here>``, ``<!subteam^…>``, ``<@U…>`` or ``<url|label>`` in
    the input shows as plain text. A Markdown link becomes a Slack link only to an
    http(s) address; its label masks the address only when the host is one of
    ``trusted_hosts`` (e.g. the hosts of the answer's own sources), otherwise the
    address is shown: ``label (<https://…>)``, so a prompt-injected "Sign in" cannot
    hide where it leads. With ``limit`` the result is cut by :func:`truncate_mrkdwn`."""
    if not markdown:
        return ""
    trusted = {host.lower() for host in trusted_hosts}
    markdown = markdown[:MAX_INPUT]
    for private in "\ue000\ue001\ue002":
        markdown = markdown.replace(private, "")
    text = escape(markdown)
    links: list[str] = []

    def take_link(match: re.Match[str]) -> str:
        url, label = _unescape(match.group("url")), _unescape(match.group("label"))
        target = safe_url(url)
        if target is None or (urlsplit(url).hostname or "").lower() in trusted:
            links.append(link(url, label))
        else:
            shown = safe_label(label)
            links.append(f"{shown} (<{target}>)" if shown else f"<{target}>")
        return f"\ue000{len(links) - 1}\ue001"

    text = _MD_LINK.sub(take_link, text)
    # With the links out, the converter needs no "[" (its link pattern is quadratic on
    # a run of them): hide them while it runs.
    text = _CONVERTER.convert(text.replace("[", "\ue002")).replace("\ue002", "[")
    # The converter emits "<" only for links and images; none are left, so any it made
    # from stray syntax is neutralised before the real links are put back.
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _QUOTE_LINE.sub("> ", text)  # a quote line is mrkdwn's own "> "
    text = _PLACEHOLDER.sub(lambda m: links[int(m.group(1))], text)
    return truncate_mrkdwn(text, limit) if limit is not None else text


def hosts_of(urls: Iterable[str | None]) -> set[str]:
    """The hosts of the safe http(s) URLs among ``urls`` (for ``trusted_hosts``)."""
    return {(urlsplit(url).hostname or "").lower() for url in urls if url and safe_url(url)}


def truncate_mrkdwn(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in "…" when cut; never inside ``<…>`` or an
    entity such as ``&amp;``, and with a code block left open by the cut closed."""
    return truncate(text, limit)


__all__ = ["hosts_of", "link", "safe_label", "safe_url", "to_mrkdwn", "truncate_mrkdwn"]
