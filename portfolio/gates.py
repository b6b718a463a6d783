"""Phase gates: what a use case must show before it moves up.

* Moving down (platform → production → pilot) is always allowed.
* A pilot moves up only when it meets the ready-to-scale rule of :mod:`portfolio.trends`
  (positive net value in each of its last ``pilot_scale_weeks`` consecutive weeks).
* A high-risk use case moves up only with a recorded review whose latest decision is
  ``approved`` or ``conditions`` (``/usecase review``).

A spine admin may override a closed gate, giving a reason; the override is audited.
"""

from __future__ import annotations

from portfolio.fields import PHASES
from portfolio.models import ReviewDecision, RiskTier

PASSING_REVIEWS = (ReviewDecision.approved.value, ReviewDecision.conditions.value)


def is_upward(current: str, target: str) -> bool:
    return PHASES.index(target) > PHASES.index(current)


def closed_gate(
    *,
    current: str,
    target: str,
    risk_tier: str,
    trend: str | None,
    review: str | None,
    pilot_weeks: int,
) -> str | None:
    """Why the move from ``current`` to ``target`` is not allowed yet; None when it is."""
    if not is_upward(current, target):
        return None
    problems = []
    if current == "pilot" and trend != "ready_to_scale":
        shown = (trend or "unknown").replace("_", " ")
        problems.append(
            f"a pilot moves up once it meets the ready-to-scale rule (positive net value "
            f"{pilot_weeks} weeks running); its trend is {shown}"
        )
    if risk_tier == RiskTier.high.value and review not in PASSING_REVIEWS:
        why = "its latest review rejected it" if review else "none is recorded"
        problems.append(
            f"a high-risk use case needs a recorded review (approved or conditions); {why}"
        )
    return "; ".join(problems) or None
