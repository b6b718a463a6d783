"""Hostile and oversized documents are named and skipped; re-ingest follows loader changes."""

from __future__ import annotations

import socket
from pathlib import Path
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from bench.documents_bench import pdf_bomb, zip_bomb_docx
from bot.cli import app
from knowledge import index as index_module
from knowledge.documents import DocumentTooLarge, Limits, chunk_document, load_document
from knowledge.service import KnowledgeService, Source, reset_knowledge
from spinebot.settings import get_settings

runner = CliRunner()


def test_a_zip_bomb_docx_is_rejected_from_its_declared_sizes(tmp_path: Path) -> None:
    data = zip_bomb_docx(64)
    assert len(data) < 200_000  # the empty .docx template itself is ~36 KB
    path = tmp_path / "bomb.docx"
    path.write_bytes(data)
    with pytest.raises(DocumentTooLarge, match="KNOWLEDGE_MAX_UNZIPPED_MB"):
        load_document(path, limits=Limits(max_unzipped_bytes=16 * 1024 * 1024))


def test_a_huge_markdown_file_is_rejected_before_it_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.md"
    with path.open("w") as handle:
        line = "Use cases report their value every week. " * 20 + "\n"
        while handle.tell() < 6 * 1024 * 1024:
            handle.write(line)
    with pytest.raises(DocumentTooLarge, match="KNOWLEDGE_MAX_TEXT_MB"):
        load_document(path)
    with pytest.raises(DocumentTooLarge, match="KNOWLEDGE_MAX_FILE_MB"):
        load_document(path, limits=Limits(max_file_bytes=1024 * 1024))


def test_characters_chunks_and_parse_time_have_limits(tmp_path: Path) -> None:
    path = tmp_path / "long.md"
    path.write_text(
        "# Notes\n\n" + "\n\n".join(f"Paragraph {i} has some words." for i in range(400))
    )
    with pytest.raises(DocumentTooLarge, match="KNOWLEDGE_MAX_CHARS"):
        load_document(path, limits=Limits(max_chars=5000))
    doc = load_document(path)
    with pytest.raises(DocumentTooLarge, match="KNOWLEDGE_MAX_CHUNKS"):
        chunk_document(doc, max_chunks=3)
    with pytest.raises(DocumentTooLarge, match="KNOWLEDGE_MAX_PARSE_SECONDS"):
        load_document(path, limits=Limits(max_seconds=-1))


def test_a_pdf_over_the_page_limit_is_rejected(tmp_path: Path) -> None:
    from tests.knowledge.conftest import minimal_pdf

    path = tmp_path / "many.pdf"
    path.write_bytes(minimal_pdf([f"Page {i} text." for i in range(5)]))
    with pytest.raises(DocumentTooLarge, match="5 pages.*KNOWLEDGE_MAX_PAGES"):
        load_document(path, limits=Limits(max_pages=4))


def invoke(*args: str):  # type: ignore[no-untyped-def]
    reset_knowledge()
    get_settings.cache_clear()
    return runner.invoke(app, list(args))


def test_ingest_names_over_limit_documents_prints_the_summary_and_exits_2(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KNOWLEDGE_MAX_UNZIPPED_MB", "8")
    (corpus / "bomb.docx").write_bytes(zip_bomb_docx(32))
    result = invoke("ingest", str(corpus))
    assert result.exit_code == 2, result.output
    assert "bomb.docx" in result.output and "KNOWLEDGE_MAX_UNZIPPED_MB" in result.output
    assert "4 added" in result.output and "1 skipped over a size limit" in result.output
    assert "Traceback" not in result.output


def test_ingest_with_an_unreachable_chroma_server_is_one_line_naming_the_setting(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("CHROMA_URL", f"http://user:secret@127.0.0.1:{port}")
    result = invoke("ingest", str(corpus))
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "CHROMA_URL" in lines[0] and f"127.0.0.1:{port}" in lines[0]
    assert "secret" not in result.output and "Traceback" not in result.output


def test_links_for_files_come_from_knowledge_base_url_and_reach_the_sources(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KNOWLEDGE_BASE_URL", "https://git.example.com/org/docs/blob/main/")
    get_settings.cache_clear()
    service = KnowledgeService(get_settings())
    service.ingest([corpus])
    urls = {
        c.source.rsplit("/", 2)[-2] + "/" + c.source.rsplit("/", 1)[-1]: c.url
        for c in service.index.state().chunks
    }
    # Front matter wins; other files link to the base URL plus their relative path.
    assert urls["playbooks/phase-gates.md"] == "https://wiki.example.com/phase-gates"
    assert urls["playbooks/dropping.md"] == (
        "https://git.example.com/org/docs/blob/main/playbooks/dropping.md"
    )
    assert (
        urls["research/cases.txt"]
        == "https://git.example.com/org/docs/blob/main/research/cases.txt"
    )
    chunk = service.index.state().chunks[0]
    source = Source.from_hit(SimpleNamespace(chunk=chunk, score=1.0))  # type: ignore[arg-type]
    assert source.to_dict()["url"] == chunk.url


def test_a_loader_change_re_ingests_unchanged_files_and_replaces_their_chunks(
    service: KnowledgeService, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {c.id for c in service.index.state().chunks}
    monkeypatch.setattr(index_module, "LOADER_VERSION", "test-next")
    report = service.ingest([corpus])
    assert (report.added, report.updated, report.skipped) == (0, 4, 0)
    after = service.index.state()
    assert {c.id for c in after.chunks} == before
    assert service.chunk_count() == len(after.chunks)
    again = service.ingest([corpus])
    assert (again.updated, again.skipped) == (0, 4)


def test_a_pdf_page_that_inflates_into_endless_text_is_rejected_quickly(
    tmp_path: Path,
) -> None:
    data = pdf_bomb(200_000)  # 10 MB of text operators, minutes for a PDF parser
    assert len(data) < 100_000
    path = tmp_path / "bomb.pdf"
    path.write_bytes(data)
    with pytest.raises(DocumentTooLarge, match="drawing instructions"):
        load_document(path)
    path.write_bytes(pdf_bomb(4000))  # small enough to parse, too much text
    with pytest.raises(DocumentTooLarge, match="KNOWLEDGE_MAX_CHARS"):
        load_document(path, limits=Limits(max_chars=20_000))


def test_markdown_full_of_unmatched_marks_parses_in_linear_time(tmp_path: Path) -> None:
    """20,000 unmatched '*' on one line took minutes with a backtracking pattern."""
    path = tmp_path / "marks.md"
    path.write_text("# Marks\n\n" + "*word " * 20_000 + "\n\n" + "[a](" * 20_000 + "\n\nEnd.\n")
    doc = load_document(path)
    assert doc.blocks[0].text.startswith("*word *word")
    assert doc.blocks[-1].text == "End."
    path.write_text(
        "# Marks\n\n**bold**, *it*, ***both***, __under__ and [a link](https://x.y/z).\n"
    )
    assert load_document(path).blocks[0].text == "bold, it, both, under and a link."
