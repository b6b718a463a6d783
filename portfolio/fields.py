"""Field rules for a use case, in one place.

The ``/usecase`` parser, the registration and edit modal, the import and the service
all check a title, a unit, a risk tier or a metric with these functions, so a value is
accepted or refused with the same words whichever way it arrives. Every check returns
the cleaned value or raises :class:`InvalidInput` (carrying ``usage`` when given).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from portfolio import weeks
from portfolio.errors import InvalidInput
from portfolio.models import (
    DESCRIPTION_MAX,
    METRIC_NAMES,
    REASON_MAX,
    TITLE_MAX,
    UNIT_MAX,
    Phase,
    RiskTier,
)

PHASES = tuple(p.value for p in Phase)
RISK_TIERS = tuple(t.value for t in RiskTier)
MAX_ID = 2**31 - 1  # the INTEGER primary key's range on Postgres
MAX_METRIC_VALUE = 1e12
MAX_SNOOZE_WEEKS = 12
MAX_UNITS = 50
MAX_PROCESSES = 20
ACTOR_MAX = 32

_BROADCAST = re.compile(
    r"<!(?:channel|here|everyone|group)\b[^>]*>"
    r"|<!subteam\^[^>]*>"
    r"|(?<![\w@.])@(?:channel|here|everyone)\b",
    re.IGNORECASE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ID = re.compile(r"^(?:uc[-_ ]?)?#?(\d+)$", re.IGNORECASE)
_NUMBER = re.compile(r"^[+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$", re.IGNORECASE)


def slack_unescape(text: str) -> str:
    """Undo the three HTML entities Slack uses in message and command text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def has_broadcast(text: str) -> bool:
    """True when ``text`` would notify a whole channel or a user group if shown."""
    return bool(_BROADCAST.search(text))


def clip(text: str, limit: int = 40) -> str:
    """Echo user text back in an error without letting it grow the message."""
    text = _BROADCAST.sub("[mention]", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- text fields -------------------------------------------------------------------


def check_text(
    value: str | None,
    *,
    what: str,
    max_len: int,
    usage: str | None,
    required: bool = True,
    single_line: bool = False,
) -> str:
    """Trimmed ``value`` if it is acceptable as stored text, else InvalidInput."""
    text = _CONTROL.sub("", value or "").strip()
    if single_line:
        text = " ".join(text.split())
    if required and not text:
        raise InvalidInput(f"The {what} is missing.", usage=usage)
    if len(text) > max_len:
        raise InvalidInput(
            f"The {what} is {len(text)} characters long; the limit is {max_len}.", usage=usage
        )
    if has_broadcast(text):
        raise InvalidInput(
            f"The {what} may not contain @channel, @here, @everyone or user-group mentions: "
            "they would notify everyone each time the use case is shown.",
            usage=usage,
        )
    return text


def check_title(value: str | None, usage: str | None = None) -> str:
    return check_text(value, what="title", max_len=TITLE_MAX, usage=usage, single_line=True)


def check_description(value: str | None, usage: str | None = None) -> str:
    return check_text(
        value, what="description", max_len=DESCRIPTION_MAX, usage=usage, required=False
    )


def check_reason(
    value: str | None, *, usage: str | None, required: bool, what: str = "reason"
) -> str:
    return check_text(value, what=what, max_len=REASON_MAX, usage=usage, required=required)


def check_unit(value: str | None, usage: str | None = None) -> str:
    return check_text(value, what="business unit", max_len=UNIT_MAX, usage=usage, single_line=True)


def check_process(value: str | None, usage: str | None = None) -> str:
    return check_text(value, what="process", max_len=TITLE_MAX, usage=usage, single_line=True)


def split_list(text: str | None, separators: str = ",;") -> list[str]:
    """'Finance, Legal;Ops' → ['Finance', 'Legal', 'Ops'] (empty parts dropped)."""
    parts = re.split("[" + re.escape(separators) + "]", text or "")
    return [part.strip() for part in parts if part.strip()]


def unique(items: Iterable[str]) -> list[str]:
    """Items in order, without case-insensitive repeats."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            out.append(item)
    return out


def check_units(values: Iterable[str], usage: str | None = None) -> list[str]:
    units = unique(check_unit(u, usage) for u in values if u and u.strip())
    if len(units) > MAX_UNITS:
        raise InvalidInput(f"At most {MAX_UNITS} business units.", usage=usage)
    return units


def check_processes(values: Iterable[str], usage: str | None = None) -> list[str]:
    processes = unique(check_process(p, usage) for p in values if p and p.strip())
    if len(processes) > MAX_PROCESSES:
        raise InvalidInput(f"At most {MAX_PROCESSES} processes.", usage=usage)
    return processes


def check_risk(value: str | None, usage: str | None = None) -> str:
    risk = (value or RiskTier.minimal.value).strip().lower()
    if risk not in RISK_TIERS:
        raise InvalidInput(
            f"'{clip(risk, 20)}' is not a risk tier: use minimal, limited or high.", usage=usage
        )
    return risk


def check_phase(value: str | None, usage: str | None = None) -> str:
    phase = (value or "").strip().lower()
    if not phase:
        raise InvalidInput("Which phase? Say pilot, production or platform.", usage=usage)
    if phase not in PHASES:
        raise InvalidInput(
            f"'{clip(phase)}' is not a phase: use pilot, production or platform.", usage=usage
        )
    return phase


def check_actor(actor: str | None) -> str:
    actor = (actor or "").strip()
    if not actor or len(actor) > ACTOR_MAX:
        raise InvalidInput("Unknown user: cannot act without a valid Slack user id.")
    return actor


# --- weeks, ids and metrics --------------------------------------------------------


def check_week(value: str, usage: str | None = None) -> str:
    try:
        return weeks.normalize(value)
    except weeks.WeekError:
        raise InvalidInput(
            f"'{clip(value)}' is not an ISO week: write it like 2026-W48.", usage=usage
        ) from None


def parse_number(name: str, raw: str, usage: str | None = None) -> float:
    """A metric value: a finite number ≥ 0 (``users``: a whole number)."""
    text = raw.strip()
    if text.startswith("-") and _NUMBER.match(text[1:]):
        return check_metric_value(name, -float(text[1:]), usage)
    if not _NUMBER.match(text):
        hint = " (no thousands separators; use a dot for decimals)" if "," in text else ""
        raise InvalidInput(f"{name}={clip(text)} is not a number{hint}.", usage=usage)
    return check_metric_value(name, float(text), usage)


def metric_bounds(settings: Any) -> dict[str, float]:
    """The largest plausible weekly figure per metric, from the settings."""
    money = float(settings.metric_max_money)
    return {
        "hours_saved": float(settings.metric_max_hours),
        "cost_saved": money,
        "revenue": money,
        "llm_cost": money,
        "users": float(settings.metric_max_users),
    }


def check_metric_value(
    name: str, value: object, usage: str | None = None, bounds: Mapping[str, float] | None = None
) -> float:
    if name not in METRIC_NAMES:
        raise InvalidInput(
            f"'{clip(name)}' is not a metric: use " + ", ".join(METRIC_NAMES) + ".",
            usage=usage,
        )
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"{name} must be a number.", usage=usage)
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"{name} must be a finite number.", usage=usage)
    if number < 0:
        raise InvalidInput(
            f"{name} cannot be negative; report costs as llm_cost, not as negative value.",
            usage=usage,
        )
    limit = (bounds or {}).get(name, MAX_METRIC_VALUE)
    if number > limit:
        raise InvalidInput(
            f"{name}={number:,.10g} is implausibly large for one week (the limit is "
            f"{limit:,.10g}; an admin can raise it in the settings).",
            usage=usage,
        )
    if name == "users" and not number.is_integer():
        raise InvalidInput("users must be a whole number.", usage=usage)
    return number


def check_metric_values(
    values: Mapping[str, object],
    usage: str | None = None,
    bounds: Mapping[str, float] | None = None,
) -> dict[str, float]:
    if not values:
        raise InvalidInput(
            "Give at least one metric, e.g. hours_saved=12 llm_cost=40.", usage=usage
        )
    return {name: check_metric_value(name, value, usage, bounds) for name, value in values.items()}


def parse_id(text: str) -> int:
    """'12', 'UC-12', 'uc-12' (also 'UC12', '#12') → 12; InvalidInput otherwise."""
    raw = (text or "").strip()
    match = _ID.match(raw)
    if not match:
        if not raw:
            raise InvalidInput("The use case id is missing (e.g. UC-12).")
        raise InvalidInput(f"'{clip(raw)}' is not a use case id: write 12 or UC-12.")
    number = int(match.group(1))
    if number < 1 or number > MAX_ID:
        raise InvalidInput(f"There is no use case UC-{clip(match.group(1))}.")
    return number


# --- a whole form ------------------------------------------------------------------


@dataclass(frozen=True)
class UseCaseFields:
    """A use case's editable fields, each one checked."""

    title: str
    description: str
    units: list[str]
    processes: list[str]
    risk_tier: str

    def as_kwargs(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "description": self.description,
            "units": list(self.units),
            "processes": list(self.processes),
            "risk_tier": self.risk_tier,
        }


def check_use_case(
    *,
    title: str | None,
    description: str | None = "",
    units: Iterable[str] = (),
    processes: Iterable[str] = (),
    risk_tier: str | None = None,
    usage: str | None = None,
) -> UseCaseFields:
    return UseCaseFields(
        title=check_title(title, usage),
        description=check_description(description, usage),
        units=check_units(units, usage),
        processes=check_processes(processes, usage),
        risk_tier=check_risk(risk_tier, usage),
    )


def check_form(raw: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """A modal's raw text fields → (cleaned values, errors by field name).

    Each field is checked on its own with the rules above, so the modal can show every
    problem next to its field at once; values that failed keep what was typed.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    checks: dict[str, Any] = {
        "title": lambda v: check_title(v),
        "description": lambda v: check_description(v),
        "units": lambda v: check_units(split_list(v)),
        "processes": lambda v: check_processes(split_list(v)),
        "risk_tier": lambda v: check_risk(v),
    }
    for name, check in checks.items():
        value = raw.get(name, "")
        try:
            cleaned[name] = check(value)
        except InvalidInput as exc:
            errors[name] = exc.message[:150]
            cleaned[name] = split_list(value) if name in ("units", "processes") else value
    return cleaned, errors
