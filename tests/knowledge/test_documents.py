"""Loaders for every supported format, and structure-aware chunking."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.documents import (
    CORPUS_DIR,
    MAX_CHARS,
    Block,
    Document,
    DocumentError,
    chunk_document,
    discover,
    load_document,
    source_id,
)
from tests.knowledge.conftest import PLAYBOOK, RESEARCH, minimal_pdf


def test_markdown_front_matter_gives_title_url_and_kind(tmp_path: Path) -> None:
    path = tmp_path / "phase-gates.md"
    path.write_text(PLAYBOOK)
    doc = load_document(path)
    assert doc.title == "Phase gates for use cases"
    assert doc.url == "https://wiki.example.com/phase-gates"
    assert doc.kind == "playbook"
    assert doc.source == str(path.resolve())


def test_markdown_sections_are_heading_paths_without_the_title(tmp_path: Path) -> None:
    path = tmp_path / "guide.md"
    path.write_text(
        "# Guide\n\n## Setup\n\nInstall it.\n\n### Linux\n\nUse apt.\n\n## Use\n\nRun.\n"
    )
    doc = load_document(path)
    assert doc.title == "Guide"
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("Setup", "Install it."),
        ("Setup > Linux", "Use apt."),
        ("Use", "Run."),
    ]


def test_front_matter_that_is_not_valid_yaml_is_still_read(tmp_path: Path) -> None:
    """Titles such as 'Phase gates: pilot, production' break YAML but are common."""
    path = tmp_path / "gates.md"
    path.write_text("---\ntitle: Phase gates: pilot, production\nkind: playbook\n---\n\nText.\n")
    doc = load_document(path)
    assert doc.title == "Phase gates: pilot, production"
    assert doc.kind == "playbook"
    assert doc.blocks[0].text == "Text."


def test_plain_text_uses_short_lines_as_sections(tmp_path: Path) -> None:
    path = tmp_path / "ai-cases.txt"
    path.write_text(RESEARCH)
    doc = load_document(path)
    assert doc.title == "AI cases"
    assert {b.section for b in doc.blocks} == {"Bank email assistant", "Medical coding"}


def test_text_with_one_paragraph_per_line_is_split_into_paragraphs(tmp_path: Path) -> None:
    prose = "is long enough to be treated as prose rather than as a title line. " * 4
    path = tmp_path / "notes.txt"
    path.write_text(f"Key Findings\nOne {prose}\nTwo {prose}\nNext Steps\nThree {prose}\n")
    doc = load_document(path)
    assert [b.section for b in doc.blocks] == ["Key Findings", "Key Findings", "Next Steps"]


def test_pdf_pages_are_kept_on_every_chunk(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(minimal_pdf(["Pilots need weekly value reports.", "Platforms serve units."]))
    doc = load_document(path)
    chunks = chunk_document(doc)
    assert [(c.page, c.text) for c in chunks] == [
        (1, "Pilots need weekly value reports."),
        (2, "Platforms serve units."),
    ]


def test_html_keeps_headings_and_drops_scripts(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Spine FAQ</title><script>var x = 1;</script></head><body>"
        "<nav>Home | About</nav><h1>Spine FAQ</h1><h2>Funding</h2>"
        "<p>The spine is funded by the <b>executive board</b>.</p>"
        "<ul><li>Budget is yearly.</li><li>Savings are shared.</li></ul></body></html>"
    )
    doc = load_document(path)
    assert doc.title == "Spine FAQ"
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("Funding", "The spine is funded by the executive board."),
        ("Funding", "Budget is yearly."),
        ("Funding", "Savings are shared."),
    ]
    assert "var x" not in " ".join(b.text for b in doc.blocks)


def test_docx_headings_become_sections(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Governance review", level=0)
    document.add_heading("High-stakes areas", level=1)
    document.add_paragraph("Healthcare and finance use cases need a risk review first.")
    document.add_heading("Sign-off", level=1)
    document.add_paragraph("The risk owner signs the review before the pilot starts.")
    path = tmp_path / "governance.docx"
    document.save(str(path))
    doc = load_document(path)
    assert doc.title == "Governance review"
    assert [(b.section, b.text) for b in doc.blocks] == [
        ("High-stakes areas", "Healthcare and finance use cases need a risk review first."),
        ("Sign-off", "The risk owner signs the review before the pilot starts."),
    ]


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf", "unreadable PDF"),
        ("empty.md", b"   \n\n", "empty file"),
        ("latin1.txt", "Café crème for the team".encode("latin-1"), "not UTF-8"),
        ("broken.docx", b"PK\x03\x04 not a zip archive at all", "unreadable .docx"),
    ],
)
def test_unreadable_documents_raise_a_short_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=reason):
        load_document(path)


def test_chunks_stay_within_size_and_section_and_overlap_by_a_sentence() -> None:
    sentences = [f"Sentence number {i} explains one more detail of the rule." for i in range(60)]
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, 60, 5)]
    doc = Document(
        source="/docs/rules.md",
        title="Rules",
        blocks=[Block(p, "Long section") for p in paragraphs] + [Block("Short.", "Other")],
    )
    chunks = chunk_document(doc)
    assert len(chunks) >= 3
    assert all(len(c.text) <= MAX_CHARS for c in chunks)
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert chunks[-1].section == "Other" and chunks[-1].text == "Short."
    first, second = chunks[0], chunks[1]
    last_sentence = first.text.split("\n")[-1].split(". ")[-1]
    assert second.text.startswith(last_sentence)
    assert all(c.title == "Rules" and c.source == "/docs/rules.md" for c in chunks)


def test_chunk_ids_are_stable_and_distinct() -> None:
    doc = Document(source="/a.md", title="A", blocks=[Block("x " * 700, ""), Block("y " * 700, "")])
    first, again = chunk_document(doc), chunk_document(doc)
    assert [c.id for c in first] == [c.id for c in again]
    assert len({c.id for c in first}) == len(first)


def test_bundled_corpus_files_get_a_location_independent_source_id() -> None:
    assert source_id(CORPUS_DIR / "playbooks" / "phase-gates.md") == (
        "spinebot:playbooks/phase-gates.md"
    )


def test_discover_skips_hidden_and_unsupported_files(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "notes.md").write_text("x")
    (tmp_path / "a.md").write_text("x")
    (tmp_path / "b.png").write_bytes(b"\x89PNG")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("x")
    found = [p.relative_to(tmp_path).as_posix() for p in discover([tmp_path])]
    assert found == ["a.md", "sub/c.txt"]
