"""Errors the portfolio raises for people, not for programmers.

Every error carries a one-line ``message`` meant to be shown to the user as is, and
optionally the ``usage`` of the subcommand they were trying, so the Slack surface and
the console can answer "what was wrong and how to do it right" without knowing which
check failed.
"""

from __future__ import annotations


class PortfolioError(Exception):
    """Base class: ``message`` and ``usage`` are safe to show to the user."""

    def __init__(self, message: str, *, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage

    def __str__(self) -> str:
        return self.message

    def user_text(self) -> str:
        """The message followed by the usage line, when there is one."""
        if self.usage:
            return f"{self.message}\nUsage: {self.usage}"
        return self.message


class InvalidInput(PortfolioError):
    """The request is malformed or not allowed in the use case's current state."""


class NotFound(PortfolioError):
    """No use case has the id given."""


class PermissionDenied(PortfolioError):
    """Only the owner or a spine admin may make this change (the refusal is audited)."""
