"""The package layers, checked on the source: the core never reaches for Slack.

``knowledge``, ``portfolio`` and ``spinebot`` are the application core: they must not
import ``bot``, ``jobs`` or the Slack libraries, not even inside a function. ``jobs``
may use ``bot`` only to post (Block Kit builders and the Slack client), never at import
time, so building a digest needs no Slack code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ("knowledge", "portfolio", "spinebot")
FORBIDDEN = {"bot", "jobs", "slack_bolt", "slack_sdk"}


def imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, top-level module, at module level?) for every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module_level = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            found.append((node.lineno, name.split(".")[0], id(node) in module_level))
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", CORE)
def test_the_core_packages_never_import_slack_bot_or_jobs(package: str) -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sources(package)
        for line, module, _ in imports(path)
        if module in FORBIDDEN
    ]
    assert sources(package), f"no sources found for {package}"
    assert offending == []


def test_jobs_imports_bot_only_inside_the_functions_that_post() -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module} at import time"
        for path in sources("jobs")
        for line, module, top in imports(path)
        if top and module in {"bot", "slack_bolt", "slack_sdk"}
    ]
    assert offending == []


def test_the_scan_sees_imports_inside_functions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os\n\ndef f():\n    from bot.cli import fail\n")
    assert imports(sample) == [(1, "os", True), (4, "bot", False)]
