"""Import and export of the portfolio: CSV or XLSX in, CSV, XLSX or JSON out.

The import format is long: one row per use case and week, with the columns
:data:`COLUMNS`. A row may leave ``week`` and the metrics empty (a use case without
figures); use-case columns may be repeated on every row or given once. Units are
``;``-separated, ``registered`` is an ISO date, ``week`` is ``YYYY-Www``.

Rules: every field is checked with :mod:`portfolio.fields`; an error names its row
and column, and a file with any error stores nothing. Use cases are matched by title
(case and spacing ignored), so importing the same file again changes nothing. An
empty cell leaves the stored value as it is. The whole import is one transaction,
audited per use case (action ``import``). Imports set phases directly (no gate): they
move an existing record in, and only spine admins run them.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Table, select
from sqlmodel import Session

from portfolio import weeks as wk
from portfolio.errors import InvalidInput, PortfolioError
from portfolio.fields import (
    check_description,
    check_metric_value,
    check_phase,
    check_risk,
    check_title,
    check_units,
    check_week,
    metric_bounds,
    parse_number,
    split_list,
)
from portfolio.models import (
    METRIC_NAMES,
    AuditEvent,
    MetricReport,
    UseCase,
    UseCaseUnit,
    Vote,
)
from spinebot.db import session_scope
from spinebot.models import as_utc, utcnow

if TYPE_CHECKING:
    from portfolio.service import PortfolioService

CASE_COLUMNS = ("title", "description", "owner", "units", "phase", "risk_tier", "registered")
COLUMNS = (*CASE_COLUMNS, "week", *METRIC_NAMES)
FORMATS = ("csv", "xlsx", "json")
MAX_ERRORS = 50

_UC = cast(Table, UseCase.__table__)  # type: ignore[attr-defined]
_METRIC = cast(Table, MetricReport.__table__)  # type: ignore[attr-defined]
_UNIT = cast(Table, UseCaseUnit.__table__)  # type: ignore[attr-defined]


class ImportErrors(PortfolioError):
    """The file has errors; ``errors`` lists them ('row 3, column week: …')."""

    def __init__(self, errors: list[str]) -> None:
        shown = errors[:MAX_ERRORS]
        more = f"\n…and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        super().__init__(
            f"The file has {len(errors)} error(s); nothing was stored.\n" + "\n".join(shown) + more
        )
        self.errors = errors


# --- reading a file -----------------------------------------------------------------


def read_table(data: bytes, name: str) -> list[dict[str, Any]]:
    """The rows of a CSV or XLSX file as dicts keyed by lower-case column names.

    Each dict carries its row number in the file under ``"_row"`` (the header is row 1).
    """
    if name.lower().endswith((".xlsx", ".xlsm")) or data[:2] == b"PK":
        rows = _xlsx_rows(data)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportErrors(["row 1: the file is neither UTF-8 CSV nor XLSX"]) from None
        rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise ImportErrors(["row 1: the file is empty"])
    header = [str(h or "").strip().lower() for h in rows[0]]
    errors = [
        f"row 1, column {h or '(blank)'}: not a column; the columns are " + ", ".join(COLUMNS)
        for h in header
        if h not in COLUMNS and h
    ]
    if "title" not in header:
        errors.append("row 1, column title: missing; every row needs a title")
    if errors:
        raise ImportErrors(errors)
    out = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(str(v).strip() for v in values if v is not None):
            continue  # blank lines are skipped
        row: dict[str, Any] = {"_row": number}
        for column, value in zip(header, values, strict=False):
            if column:
                row[column] = value
        out.append(row)
    return out


def _xlsx_rows(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is one error line
        raise ImportErrors([f"row 1: not a readable XLSX file ({type(exc).__name__})"]) from None
    sheet = book["portfolio"] if "portfolio" in book.sheetnames else book.worksheets[0]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    book.close()
    return rows


# --- checking rows --------------------------------------------------------------------


@dataclass
class CaseRows:
    """Everything a file says about one use case."""

    title: str
    first_row: int
    fields: dict[str, Any] = field(default_factory=dict)  # column → checked value
    seen_in: dict[str, int] = field(default_factory=dict)  # column → row that gave it
    weeks: dict[str, dict[str, float]] = field(default_factory=dict)  # week → metrics


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _user(value: str) -> str:
    from portfolio.commands import parse_user

    return parse_user(value)


def _registered(value: Any, today: date) -> date:
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        try:
            day = date.fromisoformat(_text(value)[:10])
        except ValueError:
            raise InvalidInput(f"'{_text(value)[:20]}' is not a date like 2026-03-02") from None
    if day > today:
        raise InvalidInput(f"{day.isoformat()} is in the future")
    return day


def check_rows(
    rows: Iterable[dict[str, Any]],
    *,
    current_week: str,
    today: date,
    bounds: dict[str, float] | None = None,
) -> list[CaseRows]:
    """Rows → one checked record per use case; ImportErrors naming row and column."""
    errors: list[str] = []
    cases: dict[str, CaseRows] = {}
    checks: dict[str, Any] = {
        "description": check_description,
        "owner": _user,
        "units": lambda v: check_units(split_list(v, ";")),
        "phase": check_phase,
        "risk_tier": check_risk,
    }
    for row in rows:
        number = row["_row"]

        def fail(column: str, message: str, number: int = number) -> None:
            errors.append(f"row {number}, column {column}: {message}")

        try:
            title = check_title(_text(row.get("title")))
        except InvalidInput as exc:
            fail("title", exc.message)
            continue
        key = " ".join(title.lower().split())
        case = cases.setdefault(key, CaseRows(title=title, first_row=number))
        for column in CASE_COLUMNS[1:]:
            raw = row.get(column)
            if _text(raw) == "":
                continue
            try:
                if column == "registered":
                    value: Any = _registered(raw, today)
                else:
                    value = checks[column](_text(raw))
            except InvalidInput as exc:
                fail(column, exc.message)
                continue
            if column in case.fields and case.fields[column] != value:
                fail(column, f"differs from row {case.seen_in[column]} for the same title")
                continue
            case.fields[column] = value
            case.seen_in.setdefault(column, number)
        metrics: dict[str, float] = {}
        for name in METRIC_NAMES:
            raw = row.get(name)
            if _text(raw) == "":
                continue
            try:
                if isinstance(raw, int | float) and not isinstance(raw, bool):
                    metrics[name] = check_metric_value(name, float(raw), None, bounds)
                else:
                    metrics[name] = check_metric_value(
                        name, parse_number(name, _text(raw)), None, bounds
                    )
            except InvalidInput as exc:
                fail(name, exc.message)
        raw_week = _text(row.get("week"))
        if not raw_week:
            if metrics:
                fail("week", "metrics need the ISO week they were measured in")
            continue
        try:
            week = check_week(raw_week)
        except InvalidInput as exc:
            fail("week", exc.message)
            continue
        if week > current_week:
            fail("week", f"{week} has not started yet (this is {current_week})")
            continue
        if week in case.weeks:
            fail("week", f"{week} is given twice for {title}")
            continue
        case.weeks[week] = metrics
    if errors:
        raise ImportErrors(errors)
    return list(cases.values())


# --- planning against the database --------------------------------------------------


@dataclass
class CasePlan:
    rows: CaseRows
    use_case_id: int | None  # None: to be created (set once it is)
    new: bool = False
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # field → (old, new)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)  # week → changed values

    @property
    def empty(self) -> bool:
        return not self.new and not self.changes and not self.metrics


@dataclass
class ImportPlan:
    cases: list[CasePlan]

    @property
    def creates(self) -> list[CasePlan]:
        return [c for c in self.cases if c.new]

    @property
    def updates(self) -> list[CasePlan]:
        return [c for c in self.cases if not c.new and not c.empty]

    @property
    def weeks(self) -> int:
        return sum(len(c.metrics) for c in self.cases)

    @property
    def nothing(self) -> bool:
        return not self.creates and not self.updates

    def summary(self) -> str:
        if self.nothing:
            return "Nothing to change: the portfolio already matches the file."
        return (
            f"{len(self.creates)} use case(s) to create, {len(self.updates)} to update, "
            f"{self.weeks} weekly report(s) to write."
        )

    def lines(self, limit: int = 20) -> list[str]:
        out = []
        for case in (self.creates + self.updates)[:limit]:
            if case.new:
                out.append(f"  new      {case.rows.title} ({len(case.metrics)} week(s))")
            else:
                what = ", ".join(case.changes) or "figures"
                out.append(
                    f"  UC-{case.use_case_id:<6} {case.rows.title}: {what}"
                    f" ({len(case.metrics)} week(s))"
                )
        more = len(self.creates) + len(self.updates) - len(out)
        return out + ([f"  …and {more} more"] if more > 0 else [])


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)


def plan_import(svc: PortfolioService, cases: list[CaseRows]) -> ImportPlan:
    tz = svc.settings.tz
    with session_scope(svc.engine) as session:
        conn = session.connection()
        existing: dict[str, list[Any]] = {}
        for row in conn.execute(select(_UC)).mappings():
            existing.setdefault(" ".join(row["title"].lower().split()), []).append(dict(row))
        units: dict[int, list[str]] = {}
        for uc_id, unit in conn.execute(
            select(_UNIT.c.use_case_id, _UNIT.c.unit).order_by(_UNIT.c.adopted_at, _UNIT.c.unit)
        ):
            units.setdefault(uc_id, []).append(unit)
        stored: dict[tuple[int, str], dict[str, Any]] = {}
        for row in conn.execute(
            select(_METRIC.c.use_case_id, _METRIC.c.week, *[_METRIC.c[m] for m in METRIC_NAMES])
        ).mappings():
            stored[(row["use_case_id"], row["week"])] = dict(row)
    errors = []
    plans = []
    for case in cases:
        matches = existing.get(" ".join(case.title.lower().split()), [])
        if len(matches) > 1:
            errors.append(
                f"row {case.first_row}, column title: {len(matches)} use cases are called "
                f"'{case.title}'; rename one before importing"
            )
            continue
        if not matches:
            plans.append(CasePlan(case, None, new=True, metrics=dict(case.weeks)))
            continue
        current = matches[0]
        plan = CasePlan(case, current["id"])
        now_fields = {
            "description": current["description"],
            "owner": current["owner_id"],
            "units": units.get(current["id"], []),
            "phase": current["phase"],
            "risk_tier": current["risk_tier"],
            "registered": (as_utc(current["created_at"]) or utcnow()).astimezone(tz).date(),
        }
        for column, value in case.fields.items():
            old = now_fields[column]
            if column == "units":
                if sorted(u.lower() for u in old) != sorted(u.lower() for u in value):
                    plan.changes[column] = (old, value)
            elif old != value:
                plan.changes[column] = (old, value)
        for week, metrics in case.weeks.items():
            before = stored.get((current["id"], week))
            if before is None:
                plan.metrics[week] = metrics
                continue
            changed = {k: v for k, v in metrics.items() if not _same(before.get(k), v)}
            if changed:
                plan.metrics[week] = changed
        plans.append(plan)
    if errors:
        raise ImportErrors(errors)
    return ImportPlan(plans)


# --- applying ---------------------------------------------------------------------


def apply_import(svc: PortfolioService, plan: ImportPlan, actor: str) -> None:
    """Store the plan in one transaction, with an audit event per use case."""
    if plan.nothing:
        return
    tz = svc.settings.tz

    def created_at(day: date | None, now: datetime) -> datetime:
        if day is None:
            return now
        return datetime.combine(day, time.min, tz).astimezone(UTC)

    def work(session: Session) -> None:
        now = utcnow()
        conn = session.connection()
        metric_rows: list[dict[str, Any]] = []
        audits: list[dict[str, Any]] = []
        for case in plan.creates:
            f = case.rows.fields
            use_case = UseCase(
                title=case.rows.title,
                description=f.get("description", ""),
                owner_id=f.get("owner", actor),
                processes=[],
                phase=f.get("phase", "pilot"),
                risk_tier=f.get("risk_tier", "minimal"),
                created_at=created_at(f.get("registered"), now),
                updated_at=now,
            )
            session.add(use_case)
            session.flush()
            assert use_case.id is not None
            case.use_case_id = use_case.id
            for unit in f.get("units", []):
                session.add(
                    UseCaseUnit(
                        use_case_id=use_case.id, unit=unit, adopted_by=actor, adopted_at=now
                    )
                )
            audits.append(
                _audit(use_case.id, actor, now, None, _fields_json(f, case.rows.title), case)
            )
        session.flush()
        for case in plan.updates:
            assert case.use_case_id is not None
            use_case_id = case.use_case_id
            values: dict[str, Any] = {}
            for column, (_, new) in case.changes.items():
                if column == "units":
                    conn.execute(_UNIT.delete().where(_UNIT.c.use_case_id == use_case_id))
                    adopted = [
                        {
                            "use_case_id": use_case_id,
                            "unit": u,
                            "adopted_by": actor,
                            "adopted_at": now,
                        }
                        for u in new
                    ]
                    if adopted:
                        conn.execute(_UNIT.insert(), adopted)
                elif column == "registered":
                    values["created_at"] = created_at(new, now)
                else:
                    values[{"owner": "owner_id"}.get(column, column)] = new
            values["updated_at"] = now
            conn.execute(_UC.update().where(_UC.c.id == use_case_id).values(**values))
            before = {k: _jsonable(old) for k, (old, _) in case.changes.items()}
            after = {k: _jsonable(new) for k, (_, new) in case.changes.items()}
            audits.append(_audit(use_case_id, actor, now, before, after, case))
        for case in plan.cases:
            for week, metrics in case.metrics.items():
                metric_rows.append(
                    {
                        "use_case_id": case.use_case_id,
                        "week": week,
                        "week_start": wk.monday_of(week),
                        "reported_by": actor,
                        "reported_at": now,
                        **{m: metrics.get(m) for m in METRIC_NAMES},
                    }
                )
        if metric_rows:
            insert = svc.tx.insert(_METRIC)
            coalesced = {m: _coalesce(insert.excluded[m], _METRIC.c[m]) for m in METRIC_NAMES}
            conn.execute(
                insert.on_conflict_do_update(
                    index_elements=["use_case_id", "week"],
                    set_={
                        **coalesced,
                        "reported_by": insert.excluded.reported_by,
                        "reported_at": insert.excluded.reported_at,
                    },
                ),
                metric_rows,
            )
        conn.execute(cast(Table, AuditEvent.__table__).insert(), audits)  # type: ignore[attr-defined]

    svc.tx.run(work)


def _coalesce(new: Any, old: Any) -> Any:
    from sqlalchemy import func

    return func.coalesce(new, old)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _fields_json(fields: dict[str, Any], title: str) -> dict[str, Any]:
    return {"title": title, **{k: _jsonable(v) for k, v in fields.items()}}


def _audit(
    use_case_id: int,
    actor: str,
    now: datetime,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    case: CasePlan,
) -> dict[str, Any]:
    weeks = sorted(case.metrics)
    detail = "imported"
    if case.changes:
        detail += ": " + ", ".join(case.changes)
    if weeks:
        detail += f"; {len(weeks)} weekly report(s) {weeks[0]}–{weeks[-1]}"
    return {
        "use_case_id": use_case_id,
        "actor_id": actor,
        "action": "import",
        "allowed": True,
        "before": before,
        "after": after,
        "detail": detail[:500],
        "at": now,
    }


def import_file(
    svc: PortfolioService, data: bytes, name: str, *, actor: str, dry_run: bool = False
) -> ImportPlan:
    """Read, check, plan and (unless ``dry_run``) store; ImportErrors on any error."""
    tz = svc.settings.tz
    rows = read_table(data, name)
    cases = check_rows(
        rows,
        current_week=wk.current_week(tz),
        today=wk.today(tz),
        bounds=metric_bounds(svc.settings),
    )
    plan = plan_import(svc, cases)
    if not dry_run:
        apply_import(svc, plan, actor)
    return plan


# --- export -------------------------------------------------------------------------


def export_tables(svc: PortfolioService) -> dict[str, list[dict[str, Any]]]:
    """'portfolio' (the import format), 'votes' and 'audit', as lists of rows."""
    tz = svc.settings.tz
    with session_scope(svc.engine) as session:
        conn = session.connection()
        cases = [dict(r) for r in conn.execute(select(_UC).order_by(_UC.c.id)).mappings()]
        units: dict[int, list[str]] = {}
        for uc_id, unit in conn.execute(
            select(_UNIT.c.use_case_id, _UNIT.c.unit).order_by(_UNIT.c.adopted_at, _UNIT.c.unit)
        ):
            units.setdefault(uc_id, []).append(unit)
        metrics: dict[int, list[dict[str, Any]]] = {}
        for row in conn.execute(
            select(_METRIC).order_by(_METRIC.c.use_case_id, _METRIC.c.week_start)
        ).mappings():
            metrics.setdefault(row["use_case_id"], []).append(dict(row))
        vote_table = cast(Table, Vote.__table__)  # type: ignore[attr-defined]
        votes = [
            dict(r)
            for r in conn.execute(
                select(vote_table).order_by(vote_table.c.use_case_id, vote_table.c.id)
            ).mappings()
        ]
        audit_table = cast(Table, AuditEvent.__table__)  # type: ignore[attr-defined]
        audit = [
            dict(r) for r in conn.execute(select(audit_table).order_by(audit_table.c.id)).mappings()
        ]
    titles = {c["id"]: c["title"] for c in cases}
    portfolio = []
    for case in cases:
        base = {
            "title": case["title"],
            "description": case["description"],
            "owner": case["owner_id"],
            "units": "; ".join(units.get(case["id"], [])),
            "phase": case["phase"],
            "risk_tier": case["risk_tier"],
            "registered": (as_utc(case["created_at"]) or utcnow())
            .astimezone(tz)
            .date()
            .isoformat(),
        }
        reported = metrics.get(case["id"], [])
        if not reported:
            portfolio.append({**base, "week": "", **dict.fromkeys(METRIC_NAMES)})
        for report in reported:
            portfolio.append(
                {**base, "week": report["week"], **{m: report[m] for m in METRIC_NAMES}}
            )
    return {
        "portfolio": portfolio,
        "votes": [
            {
                "use_case": f"UC-{v['use_case_id']}",
                "title": titles.get(v["use_case_id"], ""),
                "user": v["user_id"],
                "reason": v["reason"] or "",
                "voted_at": _iso(v["created_at"]),
            }
            for v in votes
        ],
        "audit": [
            {
                "at": _iso(e["at"]),
                "use_case": f"UC-{e['use_case_id']}" if e["use_case_id"] else "",
                "actor": e["actor_id"],
                "action": e["action"],
                "allowed": bool(e["allowed"]),
                "detail": e["detail"],
                "before": json.dumps(e["before"], ensure_ascii=False) if e["before"] else "",
                "after": json.dumps(e["after"], ensure_ascii=False) if e["after"] else "",
            }
            for e in audit
        ],
    }


def _iso(value: Any) -> str:
    moment = as_utc(value) if isinstance(value, datetime) else value
    return moment.isoformat() if moment else ""


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return "" if value is None else value


def to_csv(rows: list[dict[str, Any]], columns: Iterable[str] | None = None) -> bytes:
    names = list(columns or (rows[0].keys() if rows else COLUMNS))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=names, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(row.get(k)) for k in names})
    return out.getvalue().encode("utf-8")


def export_bytes(svc: PortfolioService, fmt: str) -> dict[str, bytes]:
    """The export as files: {suffix: bytes}. CSV gives the portfolio and, beside it,
    votes and audit files; XLSX one workbook with three sheets; JSON one document."""
    if fmt not in FORMATS:
        raise InvalidInput(f"'{fmt}' is not an export format: use csv, xlsx or json.")
    tables = export_tables(svc)
    if fmt == "json":
        return {".json": json.dumps(tables, ensure_ascii=False, indent=2).encode("utf-8")}
    if fmt == "csv":
        return {
            ".csv": to_csv(tables["portfolio"], COLUMNS),
            "-votes.csv": to_csv(
                tables["votes"], ["use_case", "title", "user", "reason", "voted_at"]
            ),
            "-audit.csv": to_csv(
                tables["audit"],
                ["at", "use_case", "actor", "action", "allowed", "detail", "before", "after"],
            ),
        }
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, rows in tables.items():
        sheet = book.create_sheet(name)
        columns = list(COLUMNS) if name == "portfolio" else list(rows[0].keys() if rows else [])
        sheet.append(columns)
        for row in rows:
            sheet.append([_cell(row.get(c)) for c in columns])
    out = io.BytesIO()
    book.save(out)
    return {".xlsx": out.getvalue()}


def write_export(svc: PortfolioService, fmt: str, output: Path) -> list[str]:
    """Write the export to ``output`` (CSV: votes and audit beside it); the paths."""
    files = export_bytes(svc, fmt)
    stem = output.with_suffix("") if output.suffix else output
    written = []
    for suffix, data in files.items():
        path = output if suffix in (".csv", ".xlsx", ".json") else Path(f"{stem}{suffix}")
        path.write_bytes(data)
        written.append(str(path))
    return written
