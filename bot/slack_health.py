"""The Slack part of the health checks: does Slack accept SLACK_BOT_TOKEN?

Kept in ``bot`` (the only package that talks to Slack); the rest is spinebot/health.py.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from spinebot.health import Check

SLACK_CACHE = 60.0  # seconds an auth.test result is reused

_slack_cache: dict[str, tuple[float, Check]] = {}
_slack_lock = threading.Lock()


def check_slack(settings: Any) -> Check:
    """``auth.test`` with the bot token (cached for SLACK_CACHE seconds)."""
    key = settings.slack_bot_token
    with _slack_lock:
        cached = _slack_cache.get(key)
        if cached and time.monotonic() - cached[0] < SLACK_CACHE:
            return cached[1]
    result = auth_check(settings)
    with _slack_lock:
        _slack_cache[key] = (time.monotonic(), result)
    return result


def auth_check(settings: Any) -> Check:
    """Does Slack accept SLACK_BOT_TOKEN? (a revoked token: ok False, Slack's error)."""
    from slack_sdk.errors import SlackApiError

    from bot.slack_client import make_client

    try:
        response = make_client(settings, retries=False).auth_test()
    except SlackApiError as exc:
        return Check(False, f"Slack refused the bot token: {exc.response.get('error')}")
    except Exception as exc:  # noqa: BLE001 - unreachable Slack is a failing check
        return Check(False, f"Slack could not be reached ({type(exc).__name__})")
    return Check(True, f"bot {response.get('user_id', '?')} in team {response.get('team', '?')}")


def clear_cache() -> None:
    with _slack_lock:
        _slack_cache.clear()
