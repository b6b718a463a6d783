"""One read model: a card and the digest classify a use case from the same inputs."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from jobs.digest import SECTION_TITLES, build_digest
from portfolio.models import MetricReport, UseCase
from portfolio.read_model import SECTIONS, TREND_ICONS, ReadModel
from portfolio.weeks import current_week, monday_of, shift
from spinebot.db import session_scope
from spinebot.settings import load_settings


def add_use_case(
    engine: Engine, title: str, *, week: str, age: int, weekly: dict | None = None
) -> int:
    """Registered ``age`` weeks before ``week``; ``weekly`` maps weeks-ago → metrics."""
    created = datetime.combine(monday_of(shift(week, -age)), datetime.min.time(), UTC)
    with session_scope(engine) as session:
        uc = UseCase(title=title, owner_id="UOWNER", created_at=created)
        session.add(uc)
        session.flush()
        assert uc.id is not None
        for ago, metrics in (weekly or {}).items():
            reported = shift(week, -ago)
            session.add(
                MetricReport(
                    use_case_id=uc.id,
                    week=reported,
                    week_start=monday_of(reported),
                    reported_by="UOWNER",
                    **metrics,
                )
            )
        return uc.id


def test_cards_and_the_digest_agree_on_every_use_cases_trend(db: Engine) -> None:
    settings = load_settings()
    week = current_week(settings.tz)
    ago = {n: {"hours_saved": 10.0 + n, "llm_cost": 5.0} for n in range(1, 9)}  # falling
    shapes = {
        "falling": dict(age=20, weekly=ago),
        "silent": dict(age=20, weekly={9: {"revenue": 100.0}}),
        "new": dict(age=0),
        "scaling": dict(age=10, weekly={n: {"revenue": 500.0} for n in range(1, 6)}),
    }
    ids = {name: add_use_case(db, name, week=week, **shape) for name, shape in shapes.items()}  # type: ignore[arg-type]
    read = ReadModel(settings, db)
    digest = build_digest(week=week, settings=settings, engine=db)
    in_digest = {i.id: key for key, items in digest.sections.items() for i in items}
    for name, uc in ids.items():
        card = read.get(uc)
        assert in_digest.get(uc, "steady") == card.trend, name
    week_view = {u.id: u.trend.kind for u in read.portfolio_week(week).use_cases}
    assert week_view == {uc: read.get(uc).trend for uc in ids.values()}
    assert shift(week, -1) == digest.reported_week


def test_section_titles_and_icons_are_defined_once() -> None:
    from bot.blocks.digest import ICONS, TITLES

    assert list(SECTION_TITLES) == [s.key for s in SECTIONS]
    assert TITLES == SECTION_TITLES and TITLES["new"] == "New"
    assert all(ICONS[key] == TREND_ICONS[key] for key in ICONS)
