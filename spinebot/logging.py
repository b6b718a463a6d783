"""Logging set-up for the entry points (never called by library modules)."""

from __future__ import annotations

import logging

_NOISY = ("chromadb", "httpx", "urllib3", "slack_bolt", "slack_sdk", "apscheduler", "alembic")


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet = logging.DEBUG if level == "DEBUG" else logging.WARNING
    for name in _NOISY:
        logging.getLogger(name).setLevel(max(quiet, logging.getLogger(name).level))
    # Chroma's product telemetry would try the network; it is off in our client settings,
    # and its logger is silenced here so an offline machine shows no noise.
    logging.getLogger("chromadb.telemetry.product.posthog").setLevel(logging.CRITICAL)
