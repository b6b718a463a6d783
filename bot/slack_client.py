"""The Slack Web API client every part of Spinebot uses.

The base URL comes from SLACK_API_URL (tests point it at a fake server; GovSlack at its
own host). The SDK's default client does not retry: this one retries 429s after
``Retry-After`` and transient connection errors.
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


def make_client(settings: Settings | None = None, token: str | None = None) -> WebClient:
    settings = settings or get_settings()
    client = WebClient(
        token=token if token is not None else (settings.slack_bot_token or None),
        base_url=settings.slack_api_url,
        timeout=15,
    )
    for handler in retry_handlers():
        client.retry_handlers.append(handler)
    return client
