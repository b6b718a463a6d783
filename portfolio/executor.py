"""One way to run a ``/usecase`` command: ``execute(command, actor) -> outcome``.

Slack (slash command, buttons, modal), the console, the CLI and the digest's admin
buttons all hand a parsed command to :func:`execute` and render the outcome it returns;
none of them calls the service for a command on its own. So a rule, a permission or an
announcement is decided once, and each surface only chooses how an outcome looks.

Errors do not escape: a portfolio error (bad input, unknown id, refused change)
becomes a :class:`Failed` outcome carrying the user-facing message and usage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from portfolio import commands as c
from portfolio.errors import PermissionDenied, PortfolioError
from portfolio.fields import PHASES

if TYPE_CHECKING:
    from portfolio.read_model import AuditEntry, UnitValue, UseCaseCard, VoteEntry, WeekValue
    from portfolio.service import PortfolioService

LIST_LIMIT = 20
DIGEST_DROP_REASON = "Dropped from the weekly digest: it met a drop-candidate rule."
ADMINS_ONLY = "Only spine admins can act on the digest. Ask the use case's owner or a spine admin."


@dataclass(frozen=True)
class Actor:
    """Who runs a command, and under which policy.

    ``admins_only``: the surface lets only spine admins act (the digest's buttons); a
    refusal is audited like any other.
    """

    id: str
    admins_only: bool = False


# --- outcomes ----------------------------------------------------------------------


@dataclass
class Outcome:
    """Base class; ``announce`` marks what the channel should see, not only the actor."""

    announce: bool = field(default=False, init=False)


@dataclass
class Failed(Outcome):
    error: PortfolioError


@dataclass
class HelpShown(Outcome):
    topic: str | None = None


@dataclass
class FormNeeded(Outcome):
    """The command needs a form (Slack opens the modal; elsewhere: say so)."""


@dataclass
class SimilarFound(Outcome):
    pending: c.Register
    similar: list[tuple[UseCaseCard, float]]


@dataclass
class Registered(Outcome):
    card: UseCaseCard

    def __post_init__(self) -> None:
        self.announce = True


@dataclass
class Listed(Outcome):
    filter: str | None
    cards: list[UseCaseCard]
    limit: int = LIST_LIMIT


@dataclass
class Shown(Outcome):
    card: UseCaseCard


@dataclass
class Voted(Outcome):
    card: UseCaseCard  # read in the vote's own transaction: card.votes is the total
    new: bool


@dataclass
class Unvoted(Outcome):
    card: UseCaseCard
    removed: bool


@dataclass
class MetricsRecorded(Outcome):
    use_case_id: int
    week: WeekValue
    values: dict[str, float]


@dataclass
class PhaseChanged(Outcome):
    card: UseCaseCard
    previous: str
    override: str | None = None  # the admin's reason when a closed gate was passed

    def __post_init__(self) -> None:
        self.announce = True

    @property
    def upward(self) -> bool:
        return PHASES.index(self.card.phase) > PHASES.index(self.previous)


@dataclass
class Dropped(Outcome):
    card: UseCaseCard
    reason: str

    def __post_init__(self) -> None:
        self.announce = True


@dataclass
class Restored(Outcome):
    card: UseCaseCard


@dataclass
class Adopted(Outcome):
    card: UseCaseCard
    unit: str


@dataclass
class Snoozed(Outcome):
    card: UseCaseCard
    weeks: int


@dataclass
class HistoryShown(Outcome):
    use_case_id: int
    entries: list[AuditEntry]


@dataclass
class EditForm(Outcome):
    """The edit form may open, prefilled with ``card`` (the actor may change it)."""

    card: UseCaseCard


@dataclass
class Edited(Outcome):
    card: UseCaseCard
    changed: list[str]


@dataclass
class Reviewed(Outcome):
    card: UseCaseCard
    decision: str
    note: str


@dataclass
class Found(Outcome):
    words: str
    results: list[tuple[UseCaseCard, float]]


@dataclass
class UnitsShown(Outcome):
    week: str
    units: list[UnitValue]
    spans: tuple[int, ...] = (4, 13)


@dataclass
class VotesShown(Outcome):
    card: UseCaseCard
    votes: list[VoteEntry]


# --- the executor ------------------------------------------------------------------


_ACTIONS = {c.Drop: "drop", c.PhaseCmd: "phase", c.Snooze: "snooze"}


def execute(svc: PortfolioService, command: object, actor: Actor | str) -> Outcome:
    """Run one parsed command for ``actor``; never raises a PortfolioError."""
    who = actor if isinstance(actor, Actor) else Actor(actor)
    try:
        return _execute(svc, command, who)
    except PortfolioError as exc:
        return Failed(exc)


def _execute(svc: PortfolioService, cmd: object, actor: Actor) -> Outcome:
    user = actor.id
    if actor.admins_only and not svc.is_admin(user):
        use_case_id = getattr(cmd, "id", None)
        action = _ACTIONS.get(type(cmd), type(cmd).__name__.lower())
        if use_case_id is None:
            raise PortfolioError(ADMINS_ONLY)
        raise svc.refuse(actor=user, use_case_id=use_case_id, action=action, why=ADMINS_ONLY)
    if isinstance(cmd, c.Help):
        return HelpShown(cmd.topic)
    if isinstance(cmd, c.RegisterModal):
        return FormNeeded()
    if isinstance(cmd, c.Register):
        if not cmd.confirmed:
            similar = svc.find_similar(title=cmd.title, description=cmd.description)
            if similar:
                return SimilarFound(cmd, similar)
        card = svc.register(
            actor=user,
            title=cmd.title,
            description=cmd.description,
            units=cmd.units,
            processes=cmd.processes,
            risk_tier=cmd.risk_tier,
        )
        return Registered(card)
    if isinstance(cmd, c.ListCmd):
        if cmd.owner:
            cards = svc.read.list(owner=cmd.owner, viewer=user, limit=LIST_LIMIT + 1)
            return Listed(f"@{cmd.owner}", cards)
        cards = svc.list(filter=cmd.filter, viewer=user, limit=LIST_LIMIT + 1)
        return Listed(cmd.filter, cards)
    if isinstance(cmd, c.Search):
        meaning = svc.similarity.scores(cmd.words)
        return Found(cmd.words, svc.read.search(cmd.words, meaning))
    if isinstance(cmd, c.Units):
        from portfolio import weeks

        this_week = weeks.current_week(svc.settings.tz)
        return UnitsShown(this_week, svc.read.unit_values(this_week))
    if isinstance(cmd, c.Votes):
        card = svc.get(cmd.id, viewer=user)
        if not svc.may_change(user, card):
            raise PermissionDenied(
                f"Only the owner of {card.ref} or a spine admin can see who voted.",
                usage=c.USAGE["votes"],
            )
        return VotesShown(card, svc.read.votes(cmd.id))
    if isinstance(cmd, c.Show):
        return Shown(svc.get(cmd.id, viewer=user))
    if isinstance(cmd, c.VoteCmd):
        new, card = svc.cast_vote(actor=user, use_case_id=cmd.id, reason=cmd.reason)
        return Voted(card, new)
    if isinstance(cmd, c.Unvote):
        removed, card = svc.withdraw_vote(actor=user, use_case_id=cmd.id)
        return Unvoted(card, removed)
    if isinstance(cmd, c.MetricCmd):
        week = svc.report_metrics(actor=user, use_case_id=cmd.id, values=cmd.values, week=cmd.week)
        return MetricsRecorded(cmd.id, week, dict(cmd.values))
    if isinstance(cmd, c.PhaseCmd):
        previous, card, overridden = svc.move_phase(
            actor=user, use_case_id=cmd.id, phase=cmd.phase, override=cmd.override
        )
        return PhaseChanged(card, previous, cmd.override if overridden else None)
    if isinstance(cmd, c.ReviewCmd):
        card = svc.review(actor=user, use_case_id=cmd.id, decision=cmd.decision, note=cmd.note)
        return Reviewed(card, cmd.decision, cmd.note)
    if isinstance(cmd, c.Drop):
        card = svc.drop(actor=user, use_case_id=cmd.id, reason=cmd.reason)
        return Dropped(card, cmd.reason)
    if isinstance(cmd, c.Restore):
        return Restored(svc.restore(actor=user, use_case_id=cmd.id))
    if isinstance(cmd, c.Adopt):
        return Adopted(svc.adopt(actor=user, use_case_id=cmd.id, unit=cmd.unit), cmd.unit)
    if isinstance(cmd, c.Snooze):
        return Snoozed(svc.snooze(actor=user, use_case_id=cmd.id, weeks=cmd.weeks), cmd.weeks)
    if isinstance(cmd, c.EditModal):
        card = svc.get(cmd.id, viewer=user)
        if not svc.may_change(user, card):
            raise PermissionDenied(
                f"Only the owner of {card.ref} or a spine admin can edit it.", usage=c.USAGE["edit"]
            )
        return EditForm(card)
    if isinstance(cmd, c.Edit):
        changed, card = svc.edit_fields(
            actor=user,
            use_case_id=cmd.id,
            title=cmd.title,
            description=cmd.description,
            risk_tier=cmd.risk_tier,
            processes=cmd.processes,
            units=cmd.units,
            units_add=cmd.units_add,
            units_remove=cmd.units_remove,
            owner=cmd.owner,
        )
        return Edited(card, changed)
    if isinstance(cmd, c.History):
        return HistoryShown(cmd.id, svc.history(cmd.id))
    if isinstance(cmd, c.ImportCmd | c.ExportCmd):
        raise PortfolioError(
            "Files go through Slack or the command line: spinebot portfolio import FILE, "
            "spinebot portfolio export --format csv|xlsx|json."
        )
    raise PortfolioError("That subcommand is not available here.", usage="/usecase help")
