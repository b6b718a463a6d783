"""The ``/usecase`` language: text in, one typed command out.

The same parser serves Slack and the console, so a user sees the same rules and the
same error messages everywhere. Parsing never touches the database: it checks shape
(ids, metric names and numbers, weeks, lengths, broadcast mentions) and leaves state
checks (does UC-12 exist, may this person change it) to ``portfolio.service``.

Text handling, decided once for every entry point:

* Slack escapes ``&``, ``<`` and ``>`` in slash-command text as HTML entities. The
  parser turns them back, so what is stored is what the person typed.
* Broadcast mentions (``<!channel>``, ``<!here>``, ``<!everyone>``, user-group
  mentions ``<!subteam^…>`` and their bare ``@channel``/``@here``/``@everyone``
  spellings) are refused with a clear message, here and in the service: a use-case
  title must never page a whole channel when a card or a digest shows it.
* Everything else (``*bold*``, links, ``<@U123>``) is stored as typed; the Block Kit
  builders escape ``&``, ``<`` and ``>`` when they render it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from portfolio import weeks
from portfolio.errors import InvalidInput
from portfolio.models import (
    DESCRIPTION_MAX,
    METRIC_NAMES,
    REASON_MAX,
    TITLE_MAX,
    UNIT_MAX,
    Phase,
)

# --- usage -----------------------------------------------------------------------

USAGE: dict[str, str] = {
    "register": "/usecase register [<title> | <description>]   (without text: a form)",
    "list": "/usecase list [pilot|production|platform|dropped|mine|<business unit>]",
    "show": "/usecase show <id>",
    "vote": "/usecase vote <id> [reason]",
    "unvote": "/usecase unvote <id>",
    "metric": (
        "/usecase metric <id> <name>=<value> ... [week=YYYY-Www]   "
        "(names: " + ", ".join(METRIC_NAMES) + ")"
    ),
    "phase": "/usecase phase <id> <pilot|production|platform>",
    "drop": "/usecase drop <id> <reason>",
    "restore": "/usecase restore <id>",
    "adopt": "/usecase adopt <id> <business unit>",
    "snooze": "/usecase snooze <id> [weeks]",
    "history": "/usecase history <id>",
    "help": "/usecase help",
}

_EXPLAIN: dict[str, str] = {
    "register": "register a use case: its title, a |, then the problem it solves",
    "list": "list active use cases, or only one phase, dropped ones, yours, or a unit's",
    "show": "one use case: phase, units, votes, the last 4 weeks of value, trend",
    "vote": "vote for a use case (again to change the reason)",
    "unvote": "take your vote back",
    "metric": "report measured value for a week (default: this week); owner or admin",
    "phase": "move a use case between phases; owner or admin",
    "drop": "stop a use case that does not bring value, saying why; owner or admin",
    "restore": "bring a dropped use case back; owner or admin",
    "adopt": "record that another business unit runs it; owner or admin",
    "snooze": "keep it out of the digest's drop candidates for a few weeks; owner or admin",
    "history": "who changed what and when",
    "help": "this text",
}

HELP_TEXT = "\n".join(
    f"{USAGE[name]}\n    {_EXPLAIN[name]}"
    for name in (
        "register",
        "list",
        "show",
        "vote",
        "unvote",
        "metric",
        "phase",
        "drop",
        "restore",
        "adopt",
        "snooze",
        "history",
        "help",
    )
) + ("\nIds can be written 12 or UC-12. Metric names: " + ", ".join(METRIC_NAMES) + ".")

SUBCOMMANDS_USAGE = (
    "/usecase <register|list|show|vote|unvote|metric|phase|drop|restore|adopt|snooze|"
    "history|help> ..."
)
LIST_KEYWORDS = ("pilot", "production", "platform", "dropped", "mine", "active", "all")
PHASES = tuple(p.value for p in Phase)
MAX_ID = 2**31 - 1  # the INTEGER primary key's range on Postgres
MAX_METRIC_VALUE = 1e12
MAX_SNOOZE_WEEKS = 12

# --- commands --------------------------------------------------------------------


@dataclass(frozen=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True)
class RegisterModal:
    pass


@dataclass(frozen=True)
class Register:
    title: str
    description: str = ""


@dataclass(frozen=True)
class ListCmd:
    filter: str | None = None


@dataclass(frozen=True)
class Show:
    id: int


@dataclass(frozen=True)
class VoteCmd:
    id: int
    reason: str | None = None


@dataclass(frozen=True)
class Unvote:
    id: int


@dataclass(frozen=True)
class MetricCmd:
    id: int
    values: dict[str, float] = field(default_factory=dict)
    week: str | None = None


@dataclass(frozen=True)
class PhaseCmd:
    id: int
    phase: str


@dataclass(frozen=True)
class Drop:
    id: int
    reason: str


@dataclass(frozen=True)
class Restore:
    id: int


@dataclass(frozen=True)
class Adopt:
    id: int
    unit: str


@dataclass(frozen=True)
class Snooze:
    id: int
    weeks: int = 1


@dataclass(frozen=True)
class History:
    id: int


Command = (
    Help
    | RegisterModal
    | Register
    | ListCmd
    | Show
    | VoteCmd
    | Unvote
    | MetricCmd
    | PhaseCmd
    | Drop
    | Restore
    | Adopt
    | Snooze
    | History
)

# --- field checks (shared with the service, so a modal or the API obeys them too) ---

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


def check_title(value: str | None, usage: str | None = USAGE["register"]) -> str:
    return check_text(value, what="title", max_len=TITLE_MAX, usage=usage, single_line=True)


def check_description(value: str | None, usage: str | None = USAGE["register"]) -> str:
    return check_text(
        value, what="description", max_len=DESCRIPTION_MAX, usage=usage, required=False
    )


def check_reason(
    value: str | None, *, usage: str | None, required: bool, what: str = "reason"
) -> str:
    return check_text(value, what=what, max_len=REASON_MAX, usage=usage, required=required)


def check_unit(value: str | None, usage: str | None = USAGE["adopt"]) -> str:
    return check_text(value, what="business unit", max_len=UNIT_MAX, usage=usage, single_line=True)


def check_phase(value: str | None, usage: str | None = USAGE["phase"]) -> str:
    phase = (value or "").strip().lower()
    if not phase:
        raise InvalidInput("Which phase? Say pilot, production or platform.", usage=usage)
    if phase not in PHASES:
        raise InvalidInput(
            f"'{_clip(phase)}' is not a phase: use pilot, production or platform.", usage=usage
        )
    return phase


def check_week(value: str, usage: str | None = USAGE["metric"]) -> str:
    try:
        return weeks.normalize(value)
    except weeks.WeekError:
        raise InvalidInput(
            f"'{_clip(value)}' is not an ISO week: write it like 2026-W48.", usage=usage
        ) from None


def parse_number(name: str, raw: str, usage: str | None = USAGE["metric"]) -> float:
    """A metric value: a finite number ≥ 0 (``users``: a whole number)."""
    text = raw.strip()
    if text.startswith("-") and _NUMBER.match(text[1:]):
        return check_metric_value(name, -float(text[1:]), usage)
    if not _NUMBER.match(text):
        hint = " (no thousands separators; use a dot for decimals)" if "," in text else ""
        raise InvalidInput(f"{name}={_clip(text)} is not a number{hint}.", usage=usage)
    value = float(text)
    return check_metric_value(name, value, usage)


def check_metric_value(name: str, value: object, usage: str | None = USAGE["metric"]) -> float:
    if name not in METRIC_NAMES:
        raise InvalidInput(
            f"'{_clip(name)}' is not a metric: use " + ", ".join(METRIC_NAMES) + ".",
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
    if number > MAX_METRIC_VALUE:
        raise InvalidInput(f"{name}={number:g} is implausibly large.", usage=usage)
    if name == "users" and not number.is_integer():
        raise InvalidInput("users must be a whole number.", usage=usage)
    return number


def check_metric_values(
    values: Mapping[str, object], usage: str | None = USAGE["metric"]
) -> dict[str, float]:
    if not values:
        raise InvalidInput(
            "Give at least one metric, e.g. hours_saved=12 llm_cost=40.", usage=usage
        )
    return {name: check_metric_value(name, value, usage) for name, value in values.items()}


def parse_id(text: str) -> int:
    """'12', 'UC-12', 'uc-12' (also 'UC12', '#12') → 12; InvalidInput otherwise."""
    raw = (text or "").strip()
    match = _ID.match(raw)
    if not match:
        if not raw:
            raise InvalidInput("The use case id is missing (e.g. UC-12).")
        raise InvalidInput(f"'{_clip(raw)}' is not a use case id: write 12 or UC-12.")
    number = int(match.group(1))
    if number < 1 or number > MAX_ID:
        raise InvalidInput(f"There is no use case UC-{_clip(match.group(1))}.")
    return number


# --- the parser ------------------------------------------------------------------

_ALIASES = {
    "?": "help",
    "ls": "list",
    "new": "register",
    "add": "register",
    "info": "show",
    "metrics": "metric",
    "report": "metric",
    "log": "history",
    "upvote": "vote",
}


def parse_usecase(text: str) -> Command:
    """Parse the text after ``/usecase``; InvalidInput says what is wrong and the usage."""
    text = slack_unescape(text or "").strip()
    if not text:
        return Help()
    head, _, rest = text.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        rest = more + "\n" + rest
    name = _ALIASES.get(head.lower(), head.lower())
    rest = rest.strip()
    parser = _PARSERS.get(name)
    if parser is None:
        raise InvalidInput(
            f"'{_clip(head)}' is not a /usecase subcommand; /usecase help lists them.",
            usage=SUBCOMMANDS_USAGE,
        )
    return parser(rest, USAGE[name])


def _help(rest: str, usage: str) -> Command:
    topic = _ALIASES.get(rest.lower(), rest.lower()) or None
    return Help(topic if topic in USAGE else None)


def _register(rest: str, usage: str) -> Command:
    if not rest:
        return RegisterModal()
    title, _, description = rest.partition("|")
    return Register(check_title(title, usage), check_description(description, usage))


def _list(rest: str, usage: str) -> Command:
    if not rest:
        return ListCmd(None)
    if rest.lower() in LIST_KEYWORDS:
        return ListCmd(rest.lower())
    return ListCmd(check_unit(rest, usage))


def _split_id(rest: str, usage: str) -> tuple[int, str]:
    head, _, tail = rest.partition(" ")
    if "\n" in head:
        head, _, more = head.partition("\n")
        tail = more + "\n" + tail
    try:
        return parse_id(head), tail.strip()
    except InvalidInput as exc:
        raise InvalidInput(exc.message, usage=usage) from None


def _id_only(factory):  # type: ignore[no-untyped-def]
    def parse(rest: str, usage: str) -> Command:
        use_case_id, tail = _split_id(rest, usage)
        if tail:
            raise InvalidInput(f"Unexpected text after the id: '{_clip(tail)}'.", usage=usage)
        return factory(use_case_id)

    return parse


def _vote(rest: str, usage: str) -> Command:
    use_case_id, tail = _split_id(rest, usage)
    reason = check_reason(tail, usage=usage, required=False)
    return VoteCmd(use_case_id, reason or None)


def _metric(rest: str, usage: str) -> Command:
    use_case_id, tail = _split_id(rest, usage)
    tail = re.sub(r"\s*=\s*", "=", tail)
    values: dict[str, float] = {}
    week: str | None = None
    for token in tail.split():
        name, sep, raw = token.partition("=")
        name = name.lower()
        if not sep or not name or not raw:
            raise InvalidInput(
                f"'{_clip(token)}' is not name=value (e.g. hours_saved=12).", usage=usage
            )
        if name == "week":
            if week is not None:
                raise InvalidInput("week is given twice.", usage=usage)
            week = check_week(raw, usage)
            continue
        if name not in METRIC_NAMES:
            raise InvalidInput(
                f"'{_clip(name)}' is not a metric: use " + ", ".join(METRIC_NAMES) + ".",
                usage=usage,
            )
        if name in values:
            raise InvalidInput(f"{name} is given twice.", usage=usage)
        values[name] = parse_number(name, raw, usage)
    check_metric_values(values, usage)
    return MetricCmd(use_case_id, values, week)


def _phase(rest: str, usage: str) -> Command:
    use_case_id, tail = _split_id(rest, usage)
    if len(tail.split()) > 1:
        raise InvalidInput(f"'{_clip(tail)}' is not a phase.", usage=usage)
    return PhaseCmd(use_case_id, check_phase(tail, usage))


def _drop(rest: str, usage: str) -> Command:
    use_case_id, tail = _split_id(rest, usage)
    if not tail:
        raise InvalidInput(
            "Say why it is dropped: the reason is kept for the portfolio's record.", usage=usage
        )
    return Drop(use_case_id, check_reason(tail, usage=usage, required=True))


def _adopt(rest: str, usage: str) -> Command:
    use_case_id, tail = _split_id(rest, usage)
    return Adopt(use_case_id, check_unit(tail, usage))


def _snooze(rest: str, usage: str) -> Command:
    use_case_id, tail = _split_id(rest, usage)
    if not tail:
        return Snooze(use_case_id, 1)
    raw = tail.lower().removesuffix("weeks").removesuffix("week").removesuffix("w").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SNOOZE_WEEKS:
        raise InvalidInput(
            f"Snooze for 1 to {MAX_SNOOZE_WEEKS} weeks, not '{_clip(tail)}'.", usage=usage
        )
    return Snooze(use_case_id, int(raw))


_PARSERS = {
    "help": _help,
    "register": _register,
    "list": _list,
    "show": _id_only(Show),
    "vote": _vote,
    "unvote": _id_only(Unvote),
    "metric": _metric,
    "phase": _phase,
    "drop": _drop,
    "restore": _id_only(Restore),
    "adopt": _adopt,
    "snooze": _snooze,
    "history": _id_only(History),
}


def _clip(text: str, limit: int = 40) -> str:
    """Echo user text back in an error without letting it grow the message."""
    text = _BROADCAST.sub("[mention]", " ".join(text.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
