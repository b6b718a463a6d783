"""Import and export: the long format in and out, checked, atomic and idempotent."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session
from typer.testing import CliRunner

from bot.cli import app
from portfolio.models import AuditEvent, MetricReport, UseCase
from portfolio.service import PortfolioService
from portfolio.transfer import COLUMNS, ImportErrors, export_bytes, import_file
from spinebot.settings import load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "portfolio-import.csv"
HEADER = ",".join(COLUMNS) + "\n"


@pytest.fixture
def svc(db: Engine) -> PortfolioService:
    return PortfolioService(load_settings(spine_admins=["UADMIN"]), engine=db)


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_the_example_file_imports_and_a_second_import_changes_nothing(
    svc: PortfolioService, db: Engine
) -> None:
    data = EXAMPLE.read_bytes()
    plan = import_file(svc, data, EXAMPLE.name, actor="UADMIN")
    assert plan.summary() == "3 use case(s) to create, 0 to update, 6 weekly report(s) to write."
    claims = svc.list(filter="Claims")[0]
    assert claims.title == "Claims e-mail triage" and claims.owner_id == "U0CLAIMS"
    assert claims.units == ["Claims", "Customer Service"] and claims.risk_tier == "limited"
    assert claims.created_at.date().isoformat() == "2026-06-01"
    assert [w.week for w in claims.weeks] == ["2026-W36", "2026-W37", "2026-W38", "2026-W39"]
    assert count(db, MetricReport) == 6
    audits = count(db, AuditEvent)
    again = import_file(svc, data, EXAMPLE.name, actor="UADMIN")
    assert again.nothing and again.summary().startswith("Nothing to change")
    assert (count(db, MetricReport), count(db, AuditEvent)) == (6, audits)


def test_a_changed_file_updates_only_what_changed_and_audits_it(svc: PortfolioService) -> None:
    import_file(svc, EXAMPLE.read_bytes(), EXAMPLE.name, actor="UADMIN")
    changed = HEADER + (
        "claims  E-MAIL triage,,,,production,high,,2026-W39,55,250,0,999,15\n"
        "Claims e-mail triage,,,,,,,2026-W40,60,,,,\n"
    )
    plan = import_file(svc, changed.encode(), "f.csv", actor="UADMIN")
    [update] = plan.updates
    assert set(update.changes) == {"phase", "risk_tier"}
    assert update.metrics == {"2026-W39": {"llm_cost": 999.0}, "2026-W40": {"hours_saved": 60.0}}
    card = svc.get(update.use_case_id)  # type: ignore[arg-type]
    assert (card.phase, card.risk_tier) == ("production", "high")
    w39 = next(w for w in card.weeks if w.week == "2026-W39")
    assert (w39.llm_cost, w39.cost_saved) == (999.0, 250.0)  # other metrics kept
    latest = svc.history(card.id)[0]
    assert latest.action == "import" and latest.actor_id == "UADMIN"
    assert latest.before == {"phase": "pilot", "risk_tier": "limited"}
    assert latest.after == {"phase": "production", "risk_tier": "high"}


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ("Claims,,,,,,,2026-W99,1,,,,\n", "row 3, column week: "),
        ("Claims,,,,,,,2026-W30,lots,,,,\n", "row 3, column hours_saved: "),
        ("Claims,,,,,,,,1,,,,\n", "row 3, column week: metrics need"),
        ("Claims,,,,scale,,,,,,,,\n", "row 3, column phase: "),
        ("Claims,,,,,,2026-13-01,,,,,,\n", "row 3, column registered: "),
        (",,,,,,,2026-W30,1,,,,\n", "row 3, column title: "),
        ("A,,,,pilot,,,,,,,,\nA,,,,production,,,,,,,,\n", "row 4, column phase: differs"),
        ("Claims,,,,,,,2026-W30,,,,1e13,\n", "row 3, column llm_cost: "),
    ],
)
def test_errors_name_the_row_and_column_and_store_nothing(
    svc: PortfolioService, db: Engine, rows: str, message: str
) -> None:
    good = "Good one,,,,,,,2026-W30,1,,,,\n"  # row 2: fine, and still not stored
    with pytest.raises(ImportErrors) as errors:
        import_file(svc, (HEADER + good + rows).encode(), "f.csv", actor="U")
    assert message in errors.value.message and "nothing was stored" in errors.value.message
    assert count(db, UseCase) == 0


def test_an_unknown_column_is_refused_at_the_header(svc: PortfolioService) -> None:
    with pytest.raises(ImportErrors, match="row 1, column colour: not a column"):
        import_file(svc, b"title,colour\nA,red\n", "f.csv", actor="U")


def test_xlsx_import_reads_numbers_and_dates_from_cells(svc: PortfolioService) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(
        [
            "Invoice matching",
            "",
            "U9",
            "Finance",
            "pilot",
            "",
            datetime(2026, 5, 4),
            "2026-W30",
            3,
            None,
            None,
            12.5,
            4,
        ]
    )
    out = io.BytesIO()
    book.save(out)
    plan = import_file(svc, out.getvalue(), "book.xlsx", actor="U")
    [case] = plan.creates
    assert case.rows.fields["registered"].isoformat() == "2026-05-04"
    assert case.metrics == {"2026-W30": {"hours_saved": 3.0, "llm_cost": 12.5, "users": 4.0}}


def test_an_export_reimports_without_changes_and_carries_votes_and_audit(
    svc: PortfolioService,
) -> None:
    import_file(svc, EXAMPLE.read_bytes(), EXAMPLE.name, actor="UADMIN")
    svc.vote(actor="UVOTER", use_case_id=1, reason="saves our mornings")
    files = export_bytes(svc, "csv")
    assert import_file(svc, files[".csv"], "export.csv", actor="UADMIN").nothing
    votes = list(csv.DictReader(io.StringIO(files["-votes.csv"].decode())))
    assert votes == [
        {
            "use_case": "UC-1",
            "title": "Claims e-mail triage",
            "user": "UVOTER",
            "reason": "saves our mornings",
            "voted_at": votes[0]["voted_at"],
        }
    ]
    document = json.loads(export_bytes(svc, "json")[".json"])
    assert {"portfolio", "votes", "audit"} <= set(document)
    assert any(e["action"] == "import" for e in document["audit"])
    workbook = export_bytes(svc, "xlsx")[".xlsx"]
    assert import_file(svc, workbook, "export.xlsx", actor="UADMIN").nothing


def test_the_cli_imports_with_a_dry_run_and_exports(db: Engine, tmp_path: Path) -> None:
    runner = CliRunner()
    dry = runner.invoke(app, ["portfolio", "import", str(EXAMPLE), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Dry run, nothing stored. 3 use case(s) to create" in dry.output
    assert count(db, UseCase) == 0
    done = runner.invoke(app, ["portfolio", "import", str(EXAMPLE)])
    assert done.exit_code == 0 and count(db, UseCase) == 3
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "X,,,,,,,2026-W30,-1,,,,\n")
    failed = runner.invoke(app, ["portfolio", "import", str(bad)])
    assert failed.exit_code == 2 and "row 2, column hours_saved" in failed.output
    out = runner.invoke(app, ["portfolio", "export", "--format", "csv"])
    assert out.exit_code == 0 and out.output.startswith("title,description,owner")
    target = tmp_path / "all.xlsx"
    saved = runner.invoke(app, ["portfolio", "export", "--format", "xlsx", "--output", str(target)])
    assert saved.exit_code == 0 and target.stat().st_size > 0
