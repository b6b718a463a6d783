"""The Slack Web API client every part of Spinebot uses.

The base URL comes from SLACK_API_URL (tests point it at a fake server; GovSlack at its
own host). The SDK's default client does not retry: this one retries 429s after
``Retry-After`` and transient connection errors. Every call gives up after SLACK_TIMEOUT
seconds. ``retries=False`` is for calls that must never be repeated blindly (the digest:
a 500 or a timeout may come after Slack posted it).
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from spinebot.settings import Settings, get_settings


def retry_handlers() -> list:
    return [
        RateLimitErrorRetryHandler(max_retry_count=3),
        ConnectionErrorRetryHandler(max_retry_count=2),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def make_client(
    settings: Settings | None = None, token: str | None = None, *, retries: bool = True
) -> WebClient:
    settings = settings or get_settings()
    client = WebClient(
        token=token if token is not None else (settings.slack_bot_token or None),
        base_url=settings.slack_api_url,
        timeout=max(1, round(settings.slack_timeout)),
    )
    # The SDK installs a connection-error retry by default; a no-retry client drops it.
    client.retry_handlers.clear()
    if retries:
        client.retry_handlers.extend(retry_handlers())
    return client
