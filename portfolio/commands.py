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

import re
from dataclasses import dataclass, field

from portfolio.errors import InvalidInput

# Field rules live in portfolio.fields, shared with the modal and the service.
from portfolio.fields import (
    MAX_SNOOZE_WEEKS,
    check_description,
    check_metric_values,
    check_phase,
    check_processes,
    check_reason,
    check_risk,
    check_title,
    check_unit,
    check_units,
    check_week,
    parse_id,
    parse_number,
    slack_unescape,
    split_list,
)
from portfolio.fields import clip as _clip
from portfolio.models import METRIC_NAMES

# --- usage -----------------------------------------------------------------------

USAGE: dict[str, str] = {
    "register": "/usecase register [<title> | <description>]   (without text: a form)",
    "list": "/usecase list [pilot|production|platform|dropped|mine|@owner|<business unit>]",
    "search": "/usecase search <words>",
    "units": "/usecase units",
    "votes": "/usecase votes <id>",
    "show": "/usecase show <id>",
    "vote": "/usecase vote <id> [reason]",
    "unvote": "/usecase unvote <id>",
    "metric": (
        "/usecase metric <id> <name>=<value> ... [week=YYYY-Www]   "
        "(names: " + ", ".join(METRIC_NAMES) + ")"
    ),
    "phase": "/usecase phase <id> <pilot|production|platform> [override <reason>]",
    "drop": "/usecase drop <id> <reason>",
    "restore": "/usecase restore <id>",
    "adopt": "/usecase adopt <id> <business unit>",
    "snooze": "/usecase snooze <id> [weeks]",
    "history": "/usecase history <id>",
    "review": "/usecase review <id> <approved|conditions|rejected> <note>",
    "import": "/usecase import <file link or id> [dry-run]   (a CSV or XLSX shared with the bot)",
    "export": "/usecase export [csv|xlsx|json]",
    "edit": (
        "/usecase edit <id> [title=… description=… risk=minimal|limited|high "
        "units=…|units+=…|units-=… processes=… owner=@user]   (without fields: a form)"
    ),
    "help": "/usecase help",
}

_EXPLAIN: dict[str, str] = {
    "register": "register a use case: its title, a |, then the problem it solves",
    "list": "list active use cases, or one phase, dropped ones, yours, someone's, a unit's",
    "search": "find use cases by meaning and by words in titles and descriptions",
    "units": "value, LLM cost and net value per business unit, last 4 and 13 weeks",
    "votes": "who voted for a use case and why; owner or admin",
    "show": "one use case: phase, units, votes, the last 4 weeks of value, trend",
    "vote": "vote for a use case (again to change the reason)",
    "unvote": "take your vote back",
    "metric": "report measured value for a week (default: this week); owner or admin",
    "phase": (
        "move a use case between phases; moving up passes the gate (a pilot must be "
        "ready to scale, a high-risk one reviewed); owner or admin; admins may override"
    ),
    "drop": "stop a use case that does not bring value, saying why; owner or admin",
    "restore": "bring a dropped use case back; owner or admin",
    "adopt": "record that another business unit runs it; owner or admin",
    "snooze": "keep it out of the digest's drop candidates for a few weeks; owner or admin",
    "history": "who changed what and when",
    "review": "record the review a high-risk use case needs to move up; spine admins",
    "import": "import use cases and weekly figures from a file (see README); spine admins",
    "export": "the whole portfolio as a file in your DM; spine admins",
    "edit": "correct a use case's fields, units or owner; owner or admin",
    "help": "this text",
}

HELP_TEXT = "\n".join(
    f"{USAGE[name]}\n    {_EXPLAIN[name]}"
    for name in (
        "register",
        "list",
        "search",
        "units",
        "show",
        "vote",
        "unvote",
        "votes",
        "metric",
        "phase",
        "drop",
        "restore",
        "adopt",
        "snooze",
        "history",
        "review",
        "edit",
        "import",
        "export",
        "help",
    )
) + ("\nIds can be written 12 or UC-12. Metric names: " + ", ".join(METRIC_NAMES) + ".")

SUBCOMMANDS_USAGE = (
    "/usecase <register|list|search|units|show|vote|unvote|votes|metric|phase|drop|restore|"
    "adopt|snooze|history|review|edit|import|export|help> ..."
)
LIST_KEYWORDS = ("pilot", "production", "platform", "dropped", "mine", "active", "all")

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
    units: tuple[str, ...] = ()
    processes: tuple[str, ...] = ()
    risk_tier: str = "minimal"
    confirmed: bool = False  # register even when similar use cases exist


@dataclass(frozen=True)
class ListCmd:
    filter: str | None = None
    owner: str | None = None  # list @owner: that person's use cases, any status


@dataclass(frozen=True)
class Search:
    words: str


@dataclass(frozen=True)
class Units:
    pass


@dataclass(frozen=True)
class Votes:
    id: int


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
    override: str | None = None  # an admin's reason to pass a closed gate


@dataclass(frozen=True)
class ReviewCmd:
    id: int
    decision: str
    note: str = ""


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


@dataclass(frozen=True)
class ImportCmd:
    file_id: str
    dry_run: bool = False


@dataclass(frozen=True)
class ExportCmd:
    format: str = "xlsx"


@dataclass(frozen=True)
class EditModal:
    """``/usecase edit <id>`` without fields: the form, prefilled."""

    id: int


@dataclass(frozen=True)
class Edit:
    """Fields left None stay as they are; ``units`` replaces the list, ``units_add`` and
    ``units_remove`` change it."""

    id: int
    title: str | None = None
    description: str | None = None
    risk_tier: str | None = None
    units: tuple[str, ...] | None = None
    units_add: tuple[str, ...] = ()
    units_remove: tuple[str, ...] = ()
    processes: tuple[str, ...] | None = None
    owner: str | None = None


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
    | EditModal
    | Edit
    | ReviewCmd
    | ImportCmd
    | ExportCmd
    | Search
    | Units
    | Votes
)

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
    "update": "edit",
    "find": "search",
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
    if rest.startswith(("@", "<@")):
        return ListCmd(None, owner=parse_user(rest, usage))
    return ListCmd(check_unit(rest, usage))


def _search(rest: str, usage: str) -> Command:
    words = " ".join(rest.split())
    if len(words) < 2:
        raise InvalidInput(
            "What should I look for? e.g. /usecase search claims e-mail", usage=usage
        )
    return Search(words[:200])


def _units(rest: str, usage: str) -> Command:
    if rest:
        raise InvalidInput(f"Unexpected text: '{_clip(rest)}'.", usage=usage)
    return Units()


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
    phase, _, more = tail.partition(" ")
    more = more.strip()
    if not more:
        return PhaseCmd(use_case_id, check_phase(phase, usage))
    word, _, reason = more.partition(" ")
    if word.lower().rstrip(":") != "override":
        raise InvalidInput(f"'{_clip(tail)}' is not a phase.", usage=usage)
    reason = reason.strip().lstrip(":").strip()
    if not reason:
        raise InvalidInput("Say why the gate is overridden: it goes on the record.", usage=usage)
    return PhaseCmd(
        use_case_id,
        check_phase(phase, usage),
        check_reason(reason, usage=usage, required=True),
    )


_DECISIONS = ("approved", "conditions", "rejected")


def _review(rest: str, usage: str) -> Command:
    use_case_id, tail = _split_id(rest, usage)
    decision, _, note = tail.partition(" ")
    decision = decision.lower()
    if decision not in _DECISIONS:
        raise InvalidInput(
            f"'{_clip(decision)}' is not a decision: use approved, conditions or rejected.",
            usage=usage,
        )
    required = decision != "approved"
    if required and not note.strip():
        raise InvalidInput(f"Say what the {decision} review found: add a note.", usage=usage)
    return ReviewCmd(use_case_id, decision, check_reason(note, usage=usage, required=required))


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


_EDIT_KEY = re.compile(
    r"(?:^|(?<=\s))(title|description|risk_tier|risk|units|processes|owner)\s*(\+=|-=|=)",
    re.IGNORECASE,
)
_MENTION = re.compile(r"^(?:<@([A-Z0-9]{1,32})(?:\|[^>]*)?>|@?([A-Z0-9]{1,32}))$")


def parse_user(text: str, usage: str | None = None) -> str:
    """A Slack user: '<@U123|ana>', '<@U123>', '@U123' or 'U123' → 'U123'."""
    match = _MENTION.match(text.strip())
    if not match:
        raise InvalidInput(
            f"'{_clip(text)}' is not a Slack user: mention them, e.g. owner=@ana.", usage=usage
        )
    return match.group(1) or match.group(2)


def _edit(rest: str, usage: str) -> Command:
    use_case_id, tail = _split_id(rest, usage)
    if not tail:
        return EditModal(use_case_id)
    matches = list(_EDIT_KEY.finditer(tail))
    if not matches or matches[0].start() != 0:
        head = tail[: matches[0].start()] if matches else tail
        raise InvalidInput(
            f"'{_clip(head)}' is not field=value (e.g. title=Claims triage).", usage=usage
        )
    given: dict[str, str] = {}
    add: list[str] = []
    remove: list[str] = []
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        key, op = match.group(1).lower(), match.group(2)
        key = "risk_tier" if key == "risk" else key
        value = tail[match.end() : following.start() if following else len(tail)].strip()
        if op != "=" and key != "units":
            raise InvalidInput(f"{op} works for units only.", usage=usage)
        if op == "+=":
            add += split_list(value) or [""]
            continue
        if op == "-=":
            remove += split_list(value) or [""]
            continue
        if key in given:
            raise InvalidInput(f"{key} is given twice.", usage=usage)
        given[key] = value
    if "units" in given and (add or remove):
        raise InvalidInput(
            "Set units= or change them with units+= / units-=, not both.", usage=usage
        )
    return Edit(
        use_case_id,
        title=check_title(given["title"], usage) if "title" in given else None,
        description=(
            check_description(given["description"], usage) if "description" in given else None
        ),
        risk_tier=check_risk(given["risk_tier"], usage) if "risk_tier" in given else None,
        units=tuple(check_units(split_list(given["units"]), usage)) if "units" in given else None,
        units_add=tuple(check_unit(u, usage) for u in add),
        units_remove=tuple(check_unit(u, usage) for u in remove),
        processes=(
            tuple(check_processes(split_list(given["processes"]), usage))
            if "processes" in given
            else None
        ),
        owner=parse_user(given["owner"], usage) if "owner" in given else None,
    )


_FILE_ID = re.compile(r"\b(F[A-Z0-9]{6,})\b")


def _import(rest: str, usage: str) -> Command:
    words = rest.split()
    dry_run = any(w.lower() in ("dry-run", "--dry-run", "dryrun") for w in words)
    match = _FILE_ID.search(rest)
    if not match:
        raise InvalidInput(
            "Share the file with me first, then give its link or id (it starts with F).",
            usage=usage,
        )
    return ImportCmd(match.group(1), dry_run)


def _export(rest: str, usage: str) -> Command:
    fmt = (rest.strip().lower() or "xlsx").lstrip("-")
    if fmt not in ("csv", "xlsx", "json"):
        raise InvalidInput(f"'{_clip(fmt)}' is not a format: use csv, xlsx or json.", usage=usage)
    return ExportCmd(fmt)


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
    "edit": _edit,
    "review": _review,
    "import": _import,
    "export": _export,
    "search": _search,
    "units": _units,
    "votes": _id_only(Votes),
}
