"""Small corpora and helpers for the knowledge tests (real model, real Chroma, tmp dirs)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.service import KnowledgeService, reset_knowledge
from spinebot.settings import Settings, get_settings
from tests.harness.pdf import pdf_file

PLAYBOOK = """---
title: Phase gates for use cases
kind: playbook
owner: AI spine team
updated: 2026-11-25
url: https://wiki.example.com/phase-gates
---

# Phase gates for use cases

## Pilot to production

A pilot moves to production once it shows measured value for four weeks in a row and
its owner has a named support rota. The spine team reviews the numbers every Monday.

## Production to platform

A production use case becomes a platform when at least three business units adopt it.
The platform team then takes over hosting, monitoring and the LLM budget.
"""

DROPPING = """---
title: Dropping a use case
kind: playbook
owner: AI spine team
---

# Dropping a use case

A use case is dropped when it shows no measurable value after six weeks of reporting.
The owner writes a short reason so other units can learn from the attempt.

Dropped use cases can be restored later when new evidence appears.
"""

RESEARCH = """Bank email assistant

A retail bank built an email assistant that drafted replies for its service staff.
Handling time per email fell by roughly a third within two months of the launch.

Medical coding

A medical coding firm used a language model to suggest billing codes from clinical notes.
The coders accepted most suggestions and the backlog shrank week after week.
"""

CODE_NOTE = """---
title: Internal service codes
kind: playbook
---

# Service codes

Tickets about the document scanner go to queue QZX-4471 rather than the general desk.
Everything else is handled by the standard support process described elsewhere.
"""


def write_corpus(root: Path) -> Path:
    """Four short documents in two folders, enough for ranking to mean something."""
    (root / "playbooks").mkdir(parents=True, exist_ok=True)
    (root / "research").mkdir(parents=True, exist_ok=True)
    (root / "playbooks" / "phase-gates.md").write_text(PLAYBOOK)
    (root / "playbooks" / "dropping.md").write_text(DROPPING)
    (root / "playbooks" / "codes.md").write_text(CODE_NOTE)
    (root / "research" / "cases.txt").write_text(RESEARCH)
    return root


@pytest.fixture(autouse=True)
def _forget_cached_service() -> Iterator[None]:
    """``get_knowledge()`` caches per process; no test may see another's data dir."""
    reset_knowledge()
    yield
    reset_knowledge()


@pytest.fixture
def settings(isolated_env: Path) -> Settings:
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path / "docs")


@pytest.fixture
def service(settings: Settings, corpus: Path) -> KnowledgeService:
    """A service over the small corpus, already ingested."""
    reset_knowledge()
    svc = KnowledgeService(settings)
    report = svc.ingest([corpus])
    assert report.added == 4 and not report.failed
    return svc


def minimal_pdf(pages: list[str]) -> bytes:
    """A valid PDF with one line of Helvetica text per page (no PDF library needed)."""
    objects: list[bytes] = []
    n_pages = len(pages)
    page_ids = [3 + 2 * i for i in range(n_pages)]
    font_id = 3 + 2 * n_pages
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{pid} 0 R" for pid in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    for i, text in enumerate(pages):
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        stream = f"BT /F1 12 Tf 72 720 Td ({escaped}) Tj ET".encode()
        objects.append(
            (
                f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                f"/Resources << /Font << /F1 {font_id} 0 R >> >> "
                f"/Contents {page_ids[i] + 1} 0 R >>"
            ).encode()
        )
        objects.append(
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    return pdf_file(objects)
